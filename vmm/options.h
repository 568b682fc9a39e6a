/*
 * The command line. Each option is one row of a table (options.c): adding a
 * device option means adding a field here and a row there.
 */
#ifndef VMM_OPTIONS_H
#define VMM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VMM_DEFAULT_MEM (128ULL << 20)
#define VMM_MIN_MEM	(2ULL << 20)
#define VMM_MAX_MEM	(1ULL << 40)
#define VMM_MAX_CPUS	64
#define VMM_VERSION	"0.1"

struct vmm_options {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *firmware;
	const char *console; /* NULL: stdio */
	uint64_t mem_size;
	int cpus;
	bool stats;
	bool pmu;	      /* pass the host's performance counters to the guest */
	const char *dump_dtb; /* --dump-dtb FILE */
	const char *disks[8];
	int nr_disks;
	const char *nets[4];
	int nr_nets;
	bool rng;
	bool hvc;
	const char *vsock;
	bool monitor;		    /* Ctrl-A c opens the (vmm) prompt */
	const char *monitor_socket; /* --monitor unix:PATH also serves it there */
	const char *restore;	    /* --restore DIR: the guest comes from a snapshot */
	bool restore_eager;	    /* read the snapshot's memory in whole instead of mapping it */
	const char *incoming;	    /* --incoming unix:PATH: the guest comes from a migration */
};

enum options_result { OPTIONS_RUN, OPTIONS_EXIT_OK, OPTIONS_ERROR };

enum options_result options_parse(int argc, char **argv, struct vmm_options *opts);
/* A decimal integer in [min, max]; -1 otherwise. */
int parse_int(const char *text, int min, int max, int *value);
void options_usage(FILE *out);

#endif
