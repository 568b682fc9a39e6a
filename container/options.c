/* Parsing of `container run` options, in docker/podman spelling. */
#include "options.h"
#include "image/image.h"
#include "util.h"
#include "../lib/size.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int parse_size(const char *s, long long *bytes)
{
	uint64_t v;
	if (size_parse(s, SIZE_BYTE, &v) < 0 || v == 0 || v > LLONG_MAX)
		return err_ret("bad size '%s' (use e.g. 256m, 1g)", s);
	*bytes = (long long)v;
	return 0;
}

int parse_cpus(const char *s, long long *quota_us, long long *period_us)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < 0.01 || v > 1024)
		return err_ret("bad --cpus '%s' (a number of CPUs, e.g. 1.5)", s);
	*period_us = 100000;
	*quota_us = (long long)(v * 100000 + 0.5);
	return 0;
}

static int parse_ll(const char *s, long long min, long long max, const char *what, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno || v < min || v > max)
		return err_ret("bad %s '%s' (%lld..%lld)", what, s, min, max);
	*out = v;
	return 0;
}

int parse_user(const char *s, uid_t *uid_out, gid_t *gid_out)
{
	long long uid, gid;
	char buf[64];
	if (strlen(s) >= sizeof(buf))
		return err_ret("bad -u '%s' (UID[:GID], numeric)", s);
	strcpy(buf, s);
	char *colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (parse_ll(buf, 0, 65535 * 65536LL, "uid", &uid) < 0)
		return -1;
	gid = uid;
	if (colon && parse_ll(colon + 1, 0, 65535 * 65536LL, "gid", &gid) < 0)
		return -1;
	*uid_out = (uid_t)uid;
	*gid_out = (gid_t)gid;
	return 0;
}

/* Container paths must be absolute and free of "..", so they stay inside the rootfs. */
bool safe_ctr_path(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *c = p; (c = strstr(c, "..")); c += 2)
		if ((c == p || c[-1] == '/') && (c[2] == '/' || c[2] == '\0'))
			return false;
	return true;
}

static int parse_volume(const char *s, struct run_opts *o)
{
	char *copy = xstrdup(s);
	char *ctr = strchr(copy, ':');
	char *mode = ctr ? strchr(ctr + 1, ':') : NULL;
	if (ctr)
		*ctr++ = '\0';
	if (mode)
		*mode++ = '\0';
	bool ok = ctr && copy[0] == '/' && safe_ctr_path(ctr) && strcmp(ctr, "/") &&
		  (!mode || !strcmp(mode, "ro") || !strcmp(mode, "rw"));
	if (!ok) {
		free(copy);
		return err_ret("bad -v '%s' (HOST:CTR[:ro|rw], absolute paths, no '..', CTR not /)",
			       s);
	}
	o->vols = xrealloc(o->vols, (o->nvols + 1) * sizeof(*o->vols));
	o->vols[o->nvols++] = (struct volume){
	    .spec = copy, .host = copy, .ctr = ctr, .readonly = mode && !strcmp(mode, "ro")};
	return 0;
}

static int parse_port(const char *s, struct run_opts *o)
{
	unsigned h, c;
	char tail;
	if (sscanf(s, "%u:%u%c", &h, &c, &tail) != 2 || !h || !c || h > 65535 || c > 65535)
		return err_ret("bad -p '%s' (HOSTPORT:CTRPORT)", s);
	o->ports = xrealloc(o->ports, (o->nports + 1) * sizeof(*o->ports));
	o->ports[o->nports++] = (struct port_map){(uint16_t)h, (uint16_t)c};
	return 0;
}

bool valid_name(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > 63 || n[0] == '.' || n[0] == '-')
		return false;
	return strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       len;
}

enum {
	OPT_NAME = 256,
	OPT_HOSTNAME,
	OPT_RM,
	OPT_MEMORY,
	OPT_CPUS,
	OPT_PIDS,
	OPT_IOW,
	OPT_LAYER,
	OPT_NET,
	OPT_PRIV,
	OPT_USERNS,
	OPT_STATS,
	OPT_ENTRYPOINT,
};

static const struct option run_longopts[] = {
    {"name", required_argument, 0, OPT_NAME},
    {"hostname", required_argument, 0, OPT_HOSTNAME},
    {"env", required_argument, 0, 'e'},
    {"workdir", required_argument, 0, 'w'},
    {"user", required_argument, 0, 'u'},
    {"interactive", no_argument, 0, 'i'},
    {"tty", no_argument, 0, 't'},
    {"detach", no_argument, 0, 'd'},
    {"rm", no_argument, 0, OPT_RM},
    {"memory", required_argument, 0, OPT_MEMORY},
    {"cpus", required_argument, 0, OPT_CPUS},
    {"pids", required_argument, 0, OPT_PIDS},
    {"pids-limit", required_argument, 0, OPT_PIDS},
    {"io-weight", required_argument, 0, OPT_IOW},
    {"volume", required_argument, 0, 'v'},
    {"layer", required_argument, 0, OPT_LAYER},
    {"net", required_argument, 0, OPT_NET},
    {"network", required_argument, 0, OPT_NET},
    {"publish", required_argument, 0, 'p'},
    {"privileged", no_argument, 0, OPT_PRIV},
    {"userns", no_argument, 0, OPT_USERNS},
    {"stats", no_argument, 0, OPT_STATS},
    {"entrypoint", required_argument, 0, OPT_ENTRYPOINT},
    {0, 0, 0, 0},
};

static int parse_one(int c, const char *arg, struct run_opts *o)
{
	long long v;
	switch (c) {
	case OPT_NAME:
		if (!valid_name(arg))
			return err_ret("bad --name '%s' (letters, digits, '_.-', at most 63)", arg);
		o->name = arg;
		return 0;
	case OPT_HOSTNAME:
		if (!*arg || strlen(arg) > 64)
			return err_ret("bad --hostname '%s' (1..64 characters)", arg);
		o->hostname = arg;
		return 0;
	case 'e':
		if (!strchr(arg, '=') || arg[0] == '=')
			return err_ret("bad -e '%s' (KEY=VAL)", arg);
		o->env = xrealloc(o->env, (o->nenv + 1) * sizeof(*o->env));
		o->env[o->nenv++] = arg;
		return 0;
	case 'w':
		if (!safe_ctr_path(arg))
			return err_ret("bad -w '%s' (an absolute path without '..')", arg);
		o->workdir = arg;
		return 0;
	case 'u':
		o->user_given = true;
		return parse_user(arg, &o->uid, &o->gid);
	case 'i':
		o->interactive = true;
		return 0;
	case 't':
		o->tty = true;
		return 0;
	case 'd':
		o->detach = true;
		return 0;
	case OPT_RM:
		o->rm = true;
		return 0;
	case OPT_MEMORY:
		if (parse_size(arg, &o->lim.memory_bytes) < 0)
			return -1;
		/* docker's floor: below it the container dies at once with 137 and no word. */
		if (o->lim.memory_bytes < MIN_MEMORY_BYTES)
			return err_ret("--memory %s: the minimum is 6m (a container needs more)",
				       arg);
		return 0;
	case OPT_CPUS:
		return parse_cpus(arg, &o->lim.cpu_quota_us, &o->lim.cpu_period_us);
	case OPT_PIDS:
		if (parse_ll(arg, 1, 4194304, "--pids", &v) < 0)
			return -1;
		o->lim.pids = v;
		return 0;
	case OPT_IOW:
		if (parse_ll(arg, 10, 1000, "--io-weight", &v) < 0)
			return -1;
		o->lim.io_weight = (int)v;
		return 0;
	case 'v':
		return parse_volume(arg, o);
	case OPT_LAYER:
		if (arg[0] != '/')
			return err_ret("bad --layer '%s' (an absolute host directory)", arg);
		o->layers = xrealloc(o->layers, (o->nlayers + 1) * sizeof(*o->layers));
		o->layers[o->nlayers++] = arg;
		return 0;
	case OPT_NET:
		o->net_given = true;
		if (!strcmp(arg, "bridge"))
			o->net = NET_BRIDGE;
		else if (!strcmp(arg, "none"))
			o->net = NET_NONE;
		else if (!strcmp(arg, "host"))
			o->net = NET_HOST;
		else
			return err_ret("bad --net '%s' (none, host or bridge)", arg);
		return 0;
	case 'p':
		return parse_port(arg, o);
	case OPT_PRIV:
		o->privileged = true;
		return 0;
	case OPT_USERNS:
		o->userns = true;
		return 0;
	case OPT_STATS:
		o->stats = true;
		return 0;
	case OPT_ENTRYPOINT:
		o->entrypoint = arg; /* "" clears the image's, as docker */
		return 0;
	}
	return -1;
}

static const char *const default_cmd[] = {"/init", NULL};

int parse_run_opts(int argc, char **argv, struct run_opts *o)
{
	*o = (struct run_opts){.net = NET_BRIDGE};
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "+e:w:u:itdv:p:", run_longopts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return err_ret("run: unknown option or missing value '%s'",
				       argv[optind - 1]);
		if (parse_one(c, optarg, o) < 0)
			return -1;
	}
	if (optind >= argc)
		return err_ret(
		    "run: missing ROOTFS (usage: container run [OPTIONS] ROOTFS [-- CMD...])");
	o->rootfs = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	o->cmd_given = optind < argc;
	o->argv = optind < argc ? &argv[optind] : (char **)default_cmd;
	if (o->net != NET_BRIDGE && o->nports)
		return err_ret("-p needs --net bridge");
	if (o->detach && o->tty)
		return err_ret("-t with -d is not supported (there is no attach)");
	return 0;
}

void free_run_opts(struct run_opts *o)
{
	for (size_t i = 0; i < o->nvols; i++) {
		free(o->vols[i].spec);
		free(o->vols[i].resolved);
	}
	free(o->vols);
	free(o->env);
	if (o->resolved)
		free((char *)o->rootfs);
	for (size_t i = 0; i < o->nresolved_layers; i++)
		free((char *)o->layers[i]);
	free(o->layers);
	free(o->ports);
	image_run_free(o->image);
}
