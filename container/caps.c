/*
 * Capabilities from CAP_* names (libcap). The sets are bit masks so the parsed config
 * owns no libcap object; they are applied in the order the kernel's rules need:
 * the bounding set while CAP_SETPCAP is still effective, then the three process sets,
 * then the ambient set, whose members must already be permitted and inheritable.
 */
#include "caps.h"
#include "json_field.h"
#include "util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

static const char *const set_keys[NCAPSETS] = {
    [CAPSET_BOUNDING] = "bounding",	  [CAPSET_EFFECTIVE] = "effective",
    [CAPSET_INHERITABLE] = "inheritable", [CAPSET_PERMITTED] = "permitted",
    [CAPSET_AMBIENT] = "ambient",
};

/* docker's default set. CAP_MKNOD with it: the device cgroup (v1 rules, v2's program)
 * decides which nodes may be made and opened. */
static const cap_value_t docker_caps[] = {
    CAP_CHOWN,	 CAP_DAC_OVERRIDE, CAP_FSETID,		 CAP_FOWNER,
    CAP_MKNOD,	 CAP_NET_RAW,	   CAP_SETGID,		 CAP_SETUID,
    CAP_SETFCAP, CAP_SETPCAP,	   CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
    CAP_KILL,	 CAP_AUDIT_WRITE,
};

static int cap_by_name(const char *name, const struct json_path *p, cap_value_t *out)
{
	/* libcap also takes "chown" or numbers; the spec's names are CAP_ + the kernel's. */
	if (strncmp(name, "CAP_", 4) != 0 || cap_from_name(name, out) < 0)
		return err_ret("config.json: %s: unknown capability %s", p->s, name);
	return 0;
}

static int set_from_oci(struct json_object *arr, const struct json_path *path, uint64_t *set)
{
	*set = 0;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		const char *name;
		struct json_path p;
		cap_value_t c;
		json_path_index(&p, path, i);
		if (json_string_at(arr, path, i, &name) < 0 || cap_by_name(name, &p, &c) < 0)
			return -1;
		/* Known to libcap but not to this kernel: nothing to grant (runc: a warning). */
		if (c >= (cap_value_t)cap_max_bits()) {
			warnx_ctr("%s: %s is not supported by this kernel, ignored", p.s, name);
			continue;
		}
		*set |= 1ULL << c;
	}
	return 0;
}

int caps_from_oci(struct json_object *obj, const struct json_path *path, uint64_t sets[NCAPSETS])
{
	memset(sets, 0, NCAPSETS * sizeof(sets[0]));
	if (!obj)
		return 0;
	json_object_object_foreach(obj, key, val)
	{
		int k = 0;
		while (k < NCAPSETS && strcmp(set_keys[k], key))
			k++;
		struct json_path p;
		json_path_key(&p, path, key);
		if (k == NCAPSETS)
			return err_ret("config.json: %s: unknown capability set", p.s);
		if (!json_object_is_type(val, json_type_array))
			return err_ret("config.json: %s must be an array of CAP_ names", p.s);
		if (set_from_oci(val, &p, &sets[k]) < 0)
			return -1;
	}
	return 0;
}

static uint64_t held_permitted(void)
{
	uint64_t held = 0;
	cap_t now = cap_get_proc();
	for (cap_value_t c = 0; now && c < (cap_value_t)cap_max_bits() && c < 64; c++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(now, c, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
			held |= 1ULL << c;
	}
	cap_free(now);
	return held;
}

void caps_docker_default(uint64_t sets[NCAPSETS], bool privileged)
{
	uint64_t mask = 0;
	for (size_t i = 0; i < sizeof(docker_caps) / sizeof(docker_caps[0]); i++)
		mask |= 1ULL << docker_caps[i];
	if (privileged)
		mask = held_permitted();
	sets[CAPSET_BOUNDING] = sets[CAPSET_EFFECTIVE] = sets[CAPSET_PERMITTED] = mask;
	sets[CAPSET_INHERITABLE] = 0; /* docker sets none, privileged or not (CVE-2022-24769) */
	sets[CAPSET_AMBIENT] = 0;
}

static const char *cap_label(cap_value_t c, char *buf, size_t len)
{
	char *name = cap_to_name(c);
	snprintf(buf, len, "%s", name ? name : "?");
	cap_free(name);
	for (char *p = buf; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	return buf;
}

static int drop_bounding(uint64_t keep)
{
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
		if ((keep >> c) & 1 || cap_get_bound(c) != 1)
			continue;
		if (cap_drop_bound(c) < 0) {
			char n[32];
			return err_ret("cannot drop %s from the bounding set: %s",
				       cap_label(c, n, sizeof(n)), strerror(errno));
		}
	}
	return 0;
}

/* Name the first capability asked for that this process cannot grant. */
int caps_check_held(const uint64_t sets[NCAPSETS])
{
	uint64_t lack = sets[CAPSET_PERMITTED] & ~held_permitted();
	uint64_t stray = sets[CAPSET_EFFECTIVE] & ~sets[CAPSET_PERMITTED];
	char n[32];
	for (cap_value_t c = 0; c < 64; c++) {
		if ((lack >> c) & 1)
			return err_ret("cannot grant %s: the runtime does not hold it on this host",
				       cap_label(c, n, sizeof(n)));
		if ((stray >> c) & 1)
			return err_ret("%s is effective but not permitted: the kernel refuses that",
				       cap_label(c, n, sizeof(n)));
	}
	return 0;
}

static void put_set(cap_t caps, cap_flag_t flag, uint64_t set)
{
	for (cap_value_t c = 0; c < 64; c++)
		if ((set >> c) & 1)
			cap_set_flag(caps, flag, 1, &c, CAP_SET);
}

static int set_process_caps(const uint64_t sets[NCAPSETS])
{
	if (caps_check_held(sets) < 0)
		return -1;
	cap_t caps = cap_init();
	if (!caps)
		return err_ret("cap_init: %s", strerror(errno));
	put_set(caps, CAP_PERMITTED, sets[CAPSET_PERMITTED]);
	put_set(caps, CAP_EFFECTIVE, sets[CAPSET_EFFECTIVE]);
	put_set(caps, CAP_INHERITABLE, sets[CAPSET_INHERITABLE]);
	int rc = cap_set_proc(caps);
	cap_free(caps);
	if (rc < 0)
		return err_ret("cannot set capabilities: %s", strerror(errno));
	return 0;
}

static int set_ambient(uint64_t set)
{
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return err_ret("cannot clear the ambient set: %s", strerror(errno));
	for (cap_value_t c = 0; c < 64; c++) {
		if (!((set >> c) & 1) || cap_set_ambient(c, CAP_SET) == 0)
			continue;
		char n[32];
		return err_ret("cannot raise %s in the ambient set (%s): it must also be permitted "
			       "and inheritable",
			       cap_label(c, n, sizeof(n)), strerror(errno));
	}
	return 0;
}

int caps_apply(const uint64_t sets[NCAPSETS])
{
	if (drop_bounding(sets[CAPSET_BOUNDING]) < 0 || set_process_caps(sets) < 0)
		return -1;
	/* Only now: a setuid done before us kept the permitted set through this flag. */
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return set_ambient(sets[CAPSET_AMBIENT]);
}

bool caps_effective_has(int cap)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t now = cap_get_proc();
	if (now)
		cap_get_flag(now, (cap_value_t)cap, CAP_EFFECTIVE, &v);
	cap_free(now);
	return v == CAP_SET;
}

int caps_raise_effective(void)
{
	cap_t caps = cap_get_proc();
	if (!caps)
		return err_ret("cap_get_proc: %s", strerror(errno));
	cap_clear_flag(caps, CAP_EFFECTIVE);
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
		cap_flag_value_t v;
		if (cap_get_flag(caps, c, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, CAP_SET);
	}
	int rc = cap_set_proc(caps);
	cap_free(caps);
	return rc < 0 ? err_ret("cannot raise the effective capabilities: %s", strerror(errno)) : 0;
}
