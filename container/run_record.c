/*
 * run.json: the options of a `container run` as they were resolved (absolute rootfs,
 * layers and volume sources, an image's command and user applied), written into the
 * state directory at start. `container checkpoint` carries it, and `container restore`
 * rebuilds the same container from it: the same spec (run_build_spec), cgroup limits,
 * volumes, network and published ports.
 */
#include "run_record.h"
#include "json_field.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const net_names[] = {
    [NET_BRIDGE] = "bridge", [NET_NONE] = "none", [NET_HOST] = "host"};

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* n strings, or up to v's NULL when n is SIZE_MAX. */
static struct json_object *str_array(const char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; n == SIZE_MAX ? v[i] != NULL : i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static void add_int(struct json_object *o, const char *key, long long v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void add_bool(struct json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

static struct json_object *mounts_and_ports(const struct run_opts *o, struct json_object *doc)
{
	struct json_object *vols = json_object_new_array(), *ports = json_object_new_array();
	for (size_t i = 0; i < o->nvols; i++) {
		struct json_object *v = json_object_new_object();
		json_object_object_add(v, "host", json_object_new_string(o->vols[i].host));
		json_object_object_add(v, "container", json_object_new_string(o->vols[i].ctr));
		add_bool(v, "readonly", o->vols[i].readonly);
		json_object_array_add(vols, v);
	}
	for (size_t i = 0; i < o->nports; i++) {
		struct json_object *p = json_object_new_object();
		add_int(p, "host", o->ports[i].host_port);
		add_int(p, "container", o->ports[i].ctr_port);
		json_object_array_add(ports, p);
	}
	json_object_object_add(doc, "volumes", vols);
	json_object_object_add(doc, "ports", ports);
	return doc;
}

struct json_object *run_record_json(const struct run_opts *o)
{
	struct json_object *doc = json_object_new_object();
	json_object_object_add(doc, "rootfs", json_object_new_string(o->rootfs));
	json_object_object_add(doc, "layers", str_array(o->layers, o->nlayers));
	json_object_object_add(doc, "argv", str_array((const char *const *)o->argv, SIZE_MAX));
	json_object_object_add(doc, "env", str_array(o->env, o->nenv));
	json_object_object_add(doc, "hostname", str_or_null(o->hostname));
	json_object_object_add(doc, "workdir", str_or_null(o->workdir));
	add_int(doc, "uid", o->uid);
	add_int(doc, "gid", o->gid);
	json_object_object_add(doc, "net", json_object_new_string(net_names[o->net]));
	add_int(doc, "memory", o->lim.memory_bytes);
	add_int(doc, "cpu_quota_us", o->lim.cpu_quota_us);
	add_int(doc, "cpu_period_us", o->lim.cpu_period_us);
	add_int(doc, "pids", o->lim.pids);
	add_int(doc, "io_weight", o->lim.io_weight);
	add_bool(doc, "tty", o->tty);
	add_bool(doc, "interactive", o->interactive);
	add_bool(doc, "detach", o->detach);
	add_bool(doc, "rm", o->rm);
	add_bool(doc, "privileged", o->privileged);
	add_bool(doc, "userns", o->userns);
	add_bool(doc, "stats", o->stats);
	return mounts_and_ports(o, doc);
}

int run_record_save(const char *dir, const struct run_opts *o)
{
	struct json_object *doc = run_record_json(o);
	char *path = xasprintf("%s/%s", dir, RUN_RECORD);
	int rc = json_object_to_file_ext(path, doc,
					 JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (rc < 0)
		err_ret("cannot write %s: %s", path, strerror(errno));
	free(path);
	json_object_put(doc);
	return rc < 0 ? -1 : 0;
}

static int load_volumes(struct json_object *doc, struct run_opts *o, int *bad)
{
	struct json_object *a = json_obj_of(doc, "volumes", json_type_array, "", bad);
	o->nvols = a ? json_object_array_length(a) : 0;
	o->vols = o->nvols ? xrealloc(NULL, o->nvols * sizeof(*o->vols)) : NULL;
	for (size_t i = 0; i < o->nvols; i++) {
		struct json_object *v = json_object_array_get_idx(a, i);
		o->vols[i] =
		    (struct volume){.host = json_str_of(v, "host", "volumes[]", bad),
				    .ctr = json_str_of(v, "container", "volumes[]", bad),
				    .readonly = json_object_get_boolean(jget(v, "readonly"))};
		if (!o->vols[i].host || !o->vols[i].ctr)
			*bad = -1;
	}
	a = json_obj_of(doc, "ports", json_type_array, "", bad);
	o->nports = a ? json_object_array_length(a) : 0;
	o->ports = o->nports ? xrealloc(NULL, o->nports * sizeof(*o->ports)) : NULL;
	for (size_t i = 0; i < o->nports; i++) {
		struct json_object *p = json_object_array_get_idx(a, i);
		o->ports[i].host_port =
		    (uint16_t)json_int_of(p, "host", 1, 65535, 0, "ports[]", bad);
		o->ports[i].ctr_port =
		    (uint16_t)json_int_of(p, "container", 1, 65535, 0, "ports[]", bad);
	}
	return *bad;
}

static void load_flags(struct json_object *doc, struct run_opts *o)
{
	o->tty = json_object_get_boolean(jget(doc, "tty"));
	o->interactive = json_object_get_boolean(jget(doc, "interactive"));
	o->detach = json_object_get_boolean(jget(doc, "detach"));
	o->rm = json_object_get_boolean(jget(doc, "rm"));
	o->privileged = json_object_get_boolean(jget(doc, "privileged"));
	o->userns = json_object_get_boolean(jget(doc, "userns"));
	o->stats = json_object_get_boolean(jget(doc, "stats"));
}

static int load_limits(struct json_object *doc, struct run_opts *o, int *bad)
{
	struct limits *l = &o->lim;
	l->memory_bytes = json_int_of(doc, "memory", 0, INT64_MAX, 0, "", bad);
	l->cpu_quota_us = json_int_of(doc, "cpu_quota_us", 0, INT64_MAX, 0, "", bad);
	l->cpu_period_us = json_int_of(doc, "cpu_period_us", 0, INT64_MAX, 0, "", bad);
	l->pids = json_int_of(doc, "pids", 0, INT64_MAX, 0, "", bad);
	l->io_weight = (int)json_int_of(doc, "io_weight", 0, 1000, 0, "", bad);
	const char *net = json_str_of(doc, "net", "", bad);
	o->net = NET_NONE;
	bool known = false;
	for (int i = NET_BRIDGE; net && i <= NET_HOST; i++)
		if (!strcmp(net, net_names[i]) && (known = true))
			o->net = (enum net_mode)i;
	if (!known)
		*bad = err_ret("%s: net is not bridge, none or host", RUN_RECORD);
	return *bad;
}

int run_record_parse(struct json_object *doc, struct run_opts *o)
{
	int bad = 0;
	*o = (struct run_opts){0};
	o->rootfs = json_str_of(doc, "rootfs", "", &bad);
	o->argv = json_str_array(json_obj_of(doc, "argv", json_type_array, "", &bad), "argv", &bad);
	char **layers =
	    json_str_array(json_obj_of(doc, "layers", json_type_array, "", &bad), "layers", &bad);
	for (o->nlayers = 0; layers && layers[o->nlayers]; o->nlayers++)
		;
	o->layers = (const char **)layers;
	char **env =
	    json_str_array(json_obj_of(doc, "env", json_type_array, "", &bad), "env", &bad);
	for (o->nenv = 0; env && env[o->nenv]; o->nenv++)
		;
	o->env = (const char **)env;
	o->hostname = json_str_of(doc, "hostname", "", &bad);
	o->workdir = json_str_of(doc, "workdir", "", &bad);
	o->uid = (uid_t)json_int_of(doc, "uid", 0, UINT32_MAX, 0, "", &bad);
	o->gid = (gid_t)json_int_of(doc, "gid", 0, UINT32_MAX, 0, "", &bad);
	load_flags(doc, o);
	if (bad == 0 && (!o->rootfs || !o->argv || !o->argv[0]))
		bad = err_ret("%s: rootfs or argv missing", RUN_RECORD);
	if (bad == 0)
		load_volumes(doc, o, &bad);
	if (bad == 0)
		load_limits(doc, o, &bad);
	return bad;
}

void run_record_free(struct run_opts *o)
{
	/* Its arrays are ours; what check_inputs resolved, free_run_opts knows. */
	free(o->argv);
	free_run_opts(o);
	*o = (struct run_opts){0};
}
