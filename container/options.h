/* Command-line model of `container run`: what the user asked for, validated. */
#ifndef CONTAINER_OPTIONS_H
#define CONTAINER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct volume {
	char *spec;	/* owned copy of HOST:CTR[:MODE], split in place */
	char *resolved; /* owned realpath of host, once checked */
	const char *host;
	const char *ctr;
	bool readonly;
};

struct port_map {
	uint16_t host_port;
	uint16_t ctr_port;
};

enum net_mode { NET_BRIDGE, NET_NONE, NET_HOST };

/* The smallest --memory, as docker: 6 MiB. */
#define MIN_MEMORY_BYTES (6LL << 20)

/* Zero means "no limit" for every field. */
struct limits {
	long long memory_bytes;
	long long cpu_quota_us; /* per cpu_period_us */
	long long cpu_period_us;
	long long pids;
	int io_weight; /* docker's blkio scale, 10..1000 */
};

struct run_opts {
	const char *name;
	const char *hostname;
	const char **env; /* KEY=VAL from -e, in order */
	size_t nenv;
	const char *workdir;
	uid_t uid;
	gid_t gid;
	bool interactive, tty, rm, detach, privileged, userns, stats;
	struct limits lim;
	struct volume *vols;
	size_t nvols;
	const char **layers; /* bottom first, above the rootfs */
	size_t nlayers;
	enum net_mode net;
	bool net_given;
	struct port_map *ports;
	size_t nports;
	const char *rootfs;
	char **argv;   /* NULL-terminated command, default /init */
	bool resolved; /* rootfs and the first nresolved_layers layers are malloc'ed */
	size_t nresolved_layers;
	bool cmd_given, user_given; /* else an image's config gives them */
	const char *entrypoint;	    /* --entrypoint: replaces an image's (NULL: not given) */
	void *image;		    /* run IMAGE: what image_apply_to_run allocated */
};

/* Each parser returns 0, or -1 after printing a one-line error. */
int parse_size(const char *s, long long *bytes);
int parse_cpus(const char *s, long long *quota_us, long long *period_us);
int parse_run_opts(int argc, char **argv, struct run_opts *o);
void free_run_opts(struct run_opts *o);
bool valid_name(const char *name);
int parse_user(const char *s, uid_t *uid, gid_t *gid);
/* Absolute and without "..": stays inside the container's root. */
bool safe_ctr_path(const char *p);

#endif
