/*
 * bench-sys: what it costs to enter the kernel. A cheap syscall (getppid,
 * which does no work once inside) and an anonymous page fault (first write
 * to a fresh 4 KiB page) are where a VM pays most, and on a host whose KVM
 * emulates guest kernel code they show that cost at its largest.
 */
#include "common.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char prog[] = "bench-sys";
static const char usage[] = "[--time SECONDS] [--fault-size BYTES]\n"
			    "  splits --time between the syscall and the page-fault test";

struct config {
	double seconds;
	size_t fault_bytes;
};

/* Syscalls in batches, so reading the clock costs little next to them. */
static int run_syscalls(double seconds)
{
	const uint64_t batch = 256;
	uint64_t calls = 0, start = now_ns(), deadline = start + (uint64_t)(seconds * 1e9), now;
	long expect = getppid(), got = expect;

	do {
		for (uint64_t i = 0; i < batch; i++)
			got = syscall(SYS_getppid);
		calls += batch;
		now = now_ns();
	} while (now < deadline);
	report_u64("syscalls", calls);
	report_f("syscall_ns", (double)(now - start) / calls);
	report_str("syscall_verified", got == expect ? "yes" : "no");
	return got == expect;
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* One fresh mapping per round; the counter must see every page fault. */
static int run_faults(double seconds, size_t bytes)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t pages = 0, fault_ns = 0, deadline = now_ns() + (uint64_t)(seconds * 1e9);
	long before = minor_faults(), counted;

	do {
		char *p =
		    mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint64_t t0;

		if (p == MAP_FAILED)
			die(prog, "cannot map %zu bytes", bytes);
		/* Huge pages would turn 512 faults into one and hide the cost. */
		madvise(p, bytes, MADV_NOHUGEPAGE);
		t0 = now_ns();
		for (size_t off = 0; off < bytes; off += page)
			p[off] = 1;
		fault_ns += now_ns() - t0;
		pages += bytes / page;
		munmap(p, bytes);
	} while (now_ns() < deadline);
	counted = minor_faults() - before;
	report_u64("fault_pages", pages);
	report_u64("fault_counted", (uint64_t)counted);
	report_f("fault_ns", (double)fault_ns / pages);
	report_str("fault_verified", (uint64_t)counted >= pages ? "yes" : "no");
	return (uint64_t)counted >= pages;
}

static void parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"time", required_argument, NULL, 't'},
	    {"fault-size", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	*cfg = (struct config){.seconds = 2, .fault_bytes = 16u << 20};
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			cfg->seconds = parse_seconds(prog, "--time", optarg);
			break;
		case 'f':
			cfg->fault_bytes =
			    parse_size(prog, "--fault-size", optarg, 4096, 1ull << 34);
			break;
		default:
			usage_error(prog, usage);
		}
	}
	if (optind != argc)
		die(prog, "unexpected argument '%s'", argv[optind]);
}

int main(int argc, char **argv)
{
	struct config cfg;
	uint64_t start;
	int ok;

	parse_args(argc, argv, &cfg);
	report_begin("sys");
	start = now_ns();
	ok = run_syscalls(cfg.seconds / 2);
	ok &= run_faults(cfg.seconds / 2, cfg.fault_bytes);
	report_f("elapsed_s", (now_ns() - start) / 1e9);
	report_str("verified", ok ? "yes" : "no");
	report_end("sys");
	return ok ? 0 : 1;
}
