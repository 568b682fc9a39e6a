/*
 * bench-cpu: the `sysbench cpu` workload. One event is sysbench's prime
 * search (trial division by every integer up to sqrt(c), for every c below
 * --cpu-max-prime); threads run events until the time or event limit, and
 * the figure is events per second, as sysbench reports it.
 */
#include "common.h"

#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char prog[] = "bench-cpu";
static const char usage[] =
    "[--threads N] [--cpu-max-prime N] [--time SECONDS] [--events N]\n"
    "  runs sysbench's prime-search events; prints 'bench: KEY: VALUE' lines";

struct config {
	unsigned threads;
	uint64_t max_prime;
	double seconds;
	uint64_t max_events; /* 0: only the time limit applies */
};

struct worker {
	pthread_t tid;
	const struct config *cfg;
	uint64_t deadline_ns;
	uint64_t events;
	uint64_t primes; /* primes found by this worker's last event */
};

static atomic_uint_fast64_t events_started;

/* sysbench's cpu_execute_event, kept as it is so the numbers compare. */
static uint64_t prime_event(uint64_t max_prime)
{
	uint64_t n = 0;

	for (uint64_t c = 3; c < max_prime; c++) {
		double t = sqrt((double)c);
		uint64_t l;

		for (l = 2; l <= t; l++)
			if (c % l == 0)
				break;
		if (l > t)
			n++;
	}
	return n;
}

/* An independent count (sieve) to check the event's answer against. */
static uint64_t sieve_count(uint64_t max_prime)
{
	uint64_t n = 0;
	char *composite = calloc(max_prime + 1, 1);

	if (!composite)
		die(prog, "out of memory for the check sieve");
	for (uint64_t i = 2; i < max_prime; i++) {
		if (composite[i])
			continue;
		if (i >= 3)
			n++;
		for (uint64_t j = i * i; j < max_prime; j += i)
			composite[j] = 1;
	}
	free(composite);
	return n;
}

static int may_start_event(const struct worker *w)
{
	if (w->cfg->max_events && atomic_fetch_add(&events_started, 1) >= w->cfg->max_events)
		return 0;
	return !w->deadline_ns || now_ns() < w->deadline_ns;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (may_start_event(w)) {
		w->primes = prime_event(w->cfg->max_prime);
		w->events++;
	}
	return NULL;
}

static void parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"threads", required_argument, NULL, 't'},
	    {"cpu-max-prime", required_argument, NULL, 'p'},
	    {"time", required_argument, NULL, 's'},
	    {"events", required_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	*cfg = (struct config){.threads = 1, .max_prime = 10000, .seconds = 10};
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			cfg->threads = (unsigned)parse_u64(prog, "--threads", optarg, 1, 1024);
			break;
		case 'p':
			cfg->max_prime = parse_u64(prog, "--cpu-max-prime", optarg, 3, 1u << 30);
			break;
		case 's':
			cfg->seconds = parse_seconds(prog, "--time", optarg);
			break;
		case 'e':
			cfg->max_events = parse_u64(prog, "--events", optarg, 1, UINT64_MAX / 2);
			break;
		case 'h':
			usage_error(prog, usage);
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
	struct worker *workers;
	uint64_t start, elapsed, events = 0, primes = 0, expected;

	parse_args(argc, argv, &cfg);
	workers = calloc(cfg.threads, sizeof(*workers));
	if (!workers)
		die(prog, "out of memory for %u threads", cfg.threads);
	report_begin("cpu");
	start = now_ns();
	for (unsigned i = 0; i < cfg.threads; i++) {
		workers[i].cfg = &cfg;
		/* With --events alone the run ends on the event count, like sysbench --time=0. */
		workers[i].deadline_ns = cfg.max_events ? 0 : start + (uint64_t)(cfg.seconds * 1e9);
		if (pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]))
			die(prog, "cannot start thread %u", i);
	}
	for (unsigned i = 0; i < cfg.threads; i++) {
		pthread_join(workers[i].tid, NULL);
		events += workers[i].events;
		if (workers[i].events)
			primes = workers[i].primes;
	}
	elapsed = now_ns() - start;
	expected = sieve_count(cfg.max_prime);
	report_u64("threads", cfg.threads);
	report_u64("cpu_max_prime", cfg.max_prime);
	report_u64("events", events);
	report_f("elapsed_s", elapsed / 1e9);
	report_f("events_per_sec", events / (elapsed / 1e9));
	report_u64("primes", primes);
	report_u64("primes_expected", expected);
	report_str("verified", primes == expected ? "yes" : "no");
	report_end("cpu");
	free(workers);
	if (events == 0)
		die(prog, "no event finished");
	return primes == expected ? 0 : 1;
}
