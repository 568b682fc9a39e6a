/*
 * bench-start: the startup and footprint probe. It reports the wall clock
 * the moment it runs (CLOCK_REALTIME is shared by the host and its
 * containers, so the harness can subtract its own launch time) and the
 * kernel it sees, then optionally stays alive so the harness can measure
 * the memory an idle instance costs.
 */
#include "common.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static const char prog[] = "bench-start";
static const char usage[] = "[--hold SECONDS]\n"
			    "  prints when it started and which kernel it runs on, then waits";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"hold", required_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	uint64_t started = wall_ns();
	double hold = 0;
	struct utsname u;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'H')
			hold = parse_seconds(prog, "--hold", optarg);
		else
			usage_error(prog, usage);
	}
	if (optind != argc)
		die(prog, "unexpected argument '%s'", argv[optind]);
	uname(&u);
	report_begin("start");
	report_u64("wall_ns", started);
	report_u64("pid", (uint64_t)getpid());
	report_str("kernel", u.release);
	report_str("ready", "yes");
	if (hold > 0) {
		struct timespec ts = {(time_t)hold, (long)((hold - (time_t)hold) * 1e9)};

		while (nanosleep(&ts, &ts))
			;
	}
	report_str("verified", "yes");
	report_end("start");
	return 0;
}
