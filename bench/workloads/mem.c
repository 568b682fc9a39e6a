/*
 * bench-mem: STREAM's copy/scale/add/triad bandwidth (best of --ntimes,
 * first pass excluded, results checked the way STREAM checks them) and a
 * random-access latency test that chases a single random cycle through a
 * buffer larger than the caches, so every step is a dependent cache miss.
 */
#include "common.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char prog[] = "bench-mem";
static const char usage[] =
    "[--size BYTES] [--ntimes N] [--random-size BYTES] [--random-steps N]\n"
    "  --size is per STREAM array (three arrays); sizes take K/M/G suffixes";

#define SCALAR 3.0

struct config {
	size_t n; /* doubles per STREAM array */
	unsigned ntimes;
	size_t slots; /* entries in the random-access cycle */
	uint64_t steps;
};

enum { COPY, SCALE, ADD, TRIAD, KERNELS };
static const char *const kernel_names[KERNELS] = {"copy", "scale", "add", "triad"};
static const unsigned kernel_arrays[KERNELS] = {2, 2, 3, 3};

static void stream_pass(double *a, double *b, double *c, size_t n, uint64_t t[KERNELS])
{
	uint64_t t0 = now_ns();

	for (size_t j = 0; j < n; j++)
		c[j] = a[j];
	t[COPY] = now_ns() - t0;
	t0 = now_ns();
	for (size_t j = 0; j < n; j++)
		b[j] = SCALAR * c[j];
	t[SCALE] = now_ns() - t0;
	t0 = now_ns();
	for (size_t j = 0; j < n; j++)
		c[j] = a[j] + b[j];
	t[ADD] = now_ns() - t0;
	t0 = now_ns();
	for (size_t j = 0; j < n; j++)
		a[j] = b[j] + SCALAR * c[j];
	t[TRIAD] = now_ns() - t0;
}

/* STREAM's checkSTREAMresults: replay the passes on scalars, bound the mean error. */
static int stream_check(const double *a, const double *b, const double *c, size_t n,
			unsigned passes)
{
	double aj = 2.0, bj = 2.0, cj = 0.0, ea = 0, eb = 0, ec = 0;

	for (unsigned k = 0; k < passes; k++) {
		cj = aj;
		bj = SCALAR * cj;
		cj = aj + bj;
		aj = bj + SCALAR * cj;
	}
	for (size_t j = 0; j < n; j++) {
		ea += fabs(a[j] - aj);
		eb += fabs(b[j] - bj);
		ec += fabs(c[j] - cj);
	}
	return ea / n / aj < 1e-13 && eb / n / bj < 1e-13 && ec / n / cj < 1e-13;
}

static double *alloc_array(size_t n)
{
	double *p = malloc(n * sizeof(double));

	if (!p)
		die(prog, "cannot allocate %zu bytes", n * sizeof(double));
	return p;
}

static int run_stream(const struct config *cfg)
{
	double *a = alloc_array(cfg->n), *b = alloc_array(cfg->n), *c = alloc_array(cfg->n);
	uint64_t best[KERNELS] = {0}, t[KERNELS];
	char key[32];
	int ok;

	/* Touch every page before timing: page faults belong to bench-sys. */
	for (size_t j = 0; j < cfg->n; j++) {
		a[j] = 1.0;
		b[j] = 2.0;
		c[j] = 0.0;
	}
	for (size_t j = 0; j < cfg->n; j++)
		a[j] = 2.0 * a[j];
	for (unsigned k = 0; k < cfg->ntimes; k++) {
		stream_pass(a, b, c, cfg->n, t);
		for (int i = 0; k > 0 && i < KERNELS; i++)
			if (!best[i] || t[i] < best[i])
				best[i] = t[i];
	}
	report_u64("array_bytes", cfg->n * sizeof(double));
	report_u64("ntimes", cfg->ntimes);
	for (int i = 0; i < KERNELS; i++) {
		double bytes = (double)kernel_arrays[i] * sizeof(double) * cfg->n;

		snprintf(key, sizeof(key), "%s_mb_per_s", kernel_names[i]);
		report_f(key, bytes / 1e6 / ((best[i] ? best[i] : 1) / 1e9));
	}
	ok = stream_check(a, b, c, cfg->n, cfg->ntimes);
	report_str("stream_verified", ok ? "yes" : "no");
	free(a);
	free(b);
	free(c);
	return ok;
}

/* xorshift64*: deterministic, so a run's cycle is reproducible. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static int run_random(const struct config *cfg)
{
	size_t *next = malloc(cfg->slots * sizeof(size_t)), pos = 0, len = 0;
	uint64_t seed = 0x9E3779B97F4A7C15ull, t0, elapsed;

	if (!next)
		die(prog, "cannot allocate %zu bytes", cfg->slots * sizeof(size_t));
	/* Sattolo's shuffle yields one cycle through every slot. */
	for (size_t i = 0; i < cfg->slots; i++)
		next[i] = i;
	for (size_t i = cfg->slots - 1; i > 0; i--) {
		size_t j = next_random(&seed) % i, tmp = next[i];

		next[i] = next[j];
		next[j] = tmp;
	}
	t0 = now_ns();
	for (uint64_t s = 0; s < cfg->steps; s++)
		pos = next[pos];
	elapsed = now_ns() - t0;
	keep(pos);
	pos = 0;
	do {
		pos = next[pos];
		len++;
	} while (pos != 0 && len <= cfg->slots);
	report_u64("random_bytes", cfg->slots * sizeof(size_t));
	report_u64("random_steps", cfg->steps);
	report_f("random_ns_per_access", (double)elapsed / cfg->steps);
	report_str("random_verified", len == cfg->slots ? "yes" : "no");
	free(next);
	return len == cfg->slots;
}

static void parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"size", required_argument, NULL, 's'},
	    {"ntimes", required_argument, NULL, 'n'},
	    {"random-size", required_argument, NULL, 'r'},
	    {"random-steps", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	*cfg = (struct config){.n = (32u << 20) / sizeof(double),
			       .ntimes = 10,
			       .slots = (64u << 20) / sizeof(size_t),
			       .steps = 10000000};
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cfg->n =
			    parse_size(prog, "--size", optarg, 64, 1ull << 34) / sizeof(double);
			break;
		case 'n':
			cfg->ntimes = (unsigned)parse_u64(prog, "--ntimes", optarg, 2, 1000);
			break;
		case 'r':
			cfg->slots = parse_size(prog, "--random-size", optarg, 64, 1ull << 34) /
				     sizeof(size_t);
			break;
		case 'k':
			cfg->steps = parse_u64(prog, "--random-steps", optarg, 1, 1ull << 40);
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
	report_begin("mem");
	start = now_ns();
	ok = run_stream(&cfg);
	ok &= run_random(&cfg);
	report_f("elapsed_s", (now_ns() - start) / 1e9);
	report_str("verified", ok ? "yes" : "no");
	report_end("mem");
	return ok ? 0 : 1;
}
