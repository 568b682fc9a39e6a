/*
 * The OCI runtime spec's config.json as an in-memory model: what `create` honours.
 * Parsed with json-c (the project's JSON library); strings point into the parsed
 * document, which the model owns. Unknown fields of known objects are refused by name
 * in spec.c rather than ignored (see README: "OCI runtime").
 */
#ifndef CONTAINER_SPEC_H
#define CONTAINER_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct json_object;

enum hook_kind {
	HOOK_PRESTART,
	HOOK_CREATE_RUNTIME,
	HOOK_CREATE_CONTAINER,
	HOOK_START_CONTAINER,
	HOOK_POSTSTART,
	HOOK_POSTSTOP,
	HOOK_KINDS
};

struct spec_hook {
	const char *path;
	char **args; /* NULL-terminated; NULL means { path } */
	char **env;
	int timeout; /* seconds, 0: none */
};

struct spec_mount {
	const char *dest, *type, *source;
	unsigned long flags;	   /* MS_* from the options */
	unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) */
	char *data;		   /* the options the kernel takes as data, comma-joined */
	bool bind;
	const char *what; /* not OCI: the name errors give it ("volume HOST:CTR"), or NULL */
};

struct spec_ns {
	int type;	  /* CLONE_NEW* */
	const char *path; /* join this one, or NULL for a new one */
};

struct spec_idmap {
	unsigned container, host, size;
};

struct spec_device {
	const char *path;
	char type; /* c, b, u, p */
	long long major, minor;
	mode_t mode; /* 0666 unless given */
	uid_t uid;
	gid_t gid;
};

struct spec_dev_rule {
	bool allow;
	char type;		/* a, c, b */
	long long major, minor; /* -1: any */
	char access[4];
};

/* linux.resources.blockIO's per-device entries: a weight, or a rate (bytes or ios/s). */
struct spec_blkio_dev {
	long long major, minor, value;
};

enum blkio_throttle {
	BLKIO_READ_BPS,
	BLKIO_WRITE_BPS,
	BLKIO_READ_IOPS,
	BLKIO_WRITE_IOPS,
	BLKIO_THROTTLES
};

struct spec_resources {
	long long memory_limit, memory_reservation, memory_swap; /* -1: unset */
	long long memory_kernel, memory_kernel_tcp, swappiness;	 /* -1: unset */
	bool disable_oom_killer;
	long long cpu_shares, cpu_quota, cpu_period; /* -1: unset */
	const char *cpus, *mems;
	long long pids_limit; /* -1: unset */
	struct spec_dev_rule *dev_rules;
	size_t ndev_rules;
	long long blkio_weight, blkio_leaf_weight; /* 10..1000, -1: unset */
	struct spec_blkio_dev *blkio_weight_dev;
	size_t nblkio_weight_dev;
	struct spec_blkio_dev *blkio_throttle[BLKIO_THROTTLES];
	size_t nblkio_throttle[BLKIO_THROTTLES];
};

struct spec_process {
	char **args, **env;
	const char *cwd;
	uid_t uid;
	gid_t gid;
	gid_t *gids;
	size_t ngids;
	int umask; /* -1: unset */
	bool terminal;
};

struct spec {
	struct json_object *doc;
	const char *oci_version;
	const char *bundle; /* absolute */
	char *root;	    /* absolute */
	bool root_readonly;
	const char *hostname, *domainname;
	struct spec_process process;
	bool has_process;
	struct spec_mount *mounts;
	size_t nmounts;
	struct spec_ns ns[8];
	size_t nns;
	struct spec_idmap uid_maps[8], gid_maps[8];
	size_t nuid_maps, ngid_maps;
	struct spec_device *devices;
	size_t ndevices;
	struct spec_resources res;
	const char *cgroups_path;
	/* Not OCI (the docker-like CLI): the v1 hierarchies to make the cgroup in, by
	 * controller, comma-separated; NULL: every one, as OCI containers get. */
	const char *cgroup_v1_controllers;
	const char **sysctl_keys, **sysctl_values;
	size_t nsysctl;
	const char **masked, **readonly;
	size_t nmasked, nreadonly;
	unsigned long rootfs_propagation; /* 0: private, the default */
	struct spec_hook *hooks[HOOK_KINDS];
	size_t nhooks[HOOK_KINDS];
	struct json_object *annotations;	     /* or NULL */
	struct json_object *process_obj, *linux_obj; /* for security_from_oci */
};

/* Read BUNDLE/config.json; 0, or -1 after one line naming the field. */
int spec_load(const char *bundle, struct spec *s);
/* Parse a `process` object (config.json's, or exec --process FILE's). */
int spec_parse_process(struct json_object *o, struct spec_process *p);
void spec_process_free(struct spec_process *p);
void spec_free(struct spec *s);
/* Every limit unset (-1). */
void spec_resources_init(struct spec_resources *r);
void spec_resources_free(struct spec_resources *r);
bool spec_has_ns(const struct spec *s, int type);
/* A new user namespace (not one joined by path): the runtime writes its id maps. */
bool spec_new_user_ns(const struct spec *s);
/* The OCI name of a namespace type ("pid", "network", ...). */
const char *spec_ns_name(int type);

const char *spec_hook_name(enum hook_kind k);
/* One mount option ("ro", "rbind", "rshared", "size=1m") into m. */
void spec_mount_option(struct spec_mount *m, const char *opt);

#endif
