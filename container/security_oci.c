/*
 * The process-security part of an OCI config.json: process.capabilities, rlimits,
 * noNewPrivileges, oomScoreAdj, apparmorProfile, selinuxLabel, and linux.seccomp,
 * personality, mountLabel. A label for an LSM the host does not have is refused: a
 * container started without the confinement its config asks for would be a silent change.
 */
#include "json_field.h"
#include "security.h"
#include "util.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <unistd.h>

static const struct {
	const char *name;
	unsigned long flag;
} personality_flags[] = {
    {"ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE}, {"ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT},
    {"ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT},   {"ADDR_LIMIT_3GB", ADDR_LIMIT_3GB},
    {"FDPIC_FUNCPTRS", FDPIC_FUNCPTRS},	      {"MMAP_PAGE_ZERO", MMAP_PAGE_ZERO},
    {"READ_IMPLIES_EXEC", READ_IMPLIES_EXEC}, {"SHORT_INODE", SHORT_INODE},
    {"STICKY_TIMEOUTS", STICKY_TIMEOUTS},     {"UNAME26", UNAME26},
    {"WHOLE_SECONDS", WHOLE_SECONDS},
};

static int parse_personality_flags(struct json_object *arr, const struct json_path *path,
				   unsigned long *out)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		const char *name;
		size_t k = 0, n = sizeof(personality_flags) / sizeof(personality_flags[0]);
		if (json_string_at(arr, path, i, &name) < 0)
			return -1;
		while (k < n && strcmp(personality_flags[k].name, name))
			k++;
		if (k == n) {
			struct json_path p;
			json_path_index(&p, path, i);
			return err_ret("config.json: %s: unknown personality flag %s", p.s, name);
		}
		*out |= personality_flags[k].flag;
	}
	return 0;
}

static int parse_personality(struct json_object *obj, const struct json_path *path,
			     struct process_security *out)
{
	struct json_object *domain, *flags;
	struct json_path p;
	if (!obj)
		return 0;
	if (json_member(obj, path, "domain", json_type_string, &domain) < 0 ||
	    json_member(obj, path, "flags", json_type_array, &flags) < 0)
		return -1;
	json_path_key(&p, path, "domain");
	const char *d = domain ? json_object_get_string(domain) : "";
	if (!strcmp(d, "LINUX"))
		out->personality = PER_LINUX;
	else if (!strcmp(d, "LINUX32"))
		out->personality = PER_LINUX32;
	else
		return err_ret("config.json: %s must be LINUX or LINUX32%s%s", p.s,
			       domain ? ", not " : "", d);
	json_path_key(&p, path, "flags");
	out->set_personality = true;
	return parse_personality_flags(flags, &p, &out->personality);
}

static bool host_has_apparmor(void)
{
	char on[4] = "";
	return read_file("/sys/module/apparmor/parameters/enabled", on, sizeof(on)) >= 0 &&
	       on[0] == 'Y';
}

static bool host_has_selinux(void)
{
	return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

/* A non-empty string label at obj.key into *out; refused where the LSM is not there. */
static int parse_label(struct json_object *obj, const struct json_path *path, const char *key,
		       const char *lsm, bool present, char **out)
{
	struct json_object *v;
	if (json_member(obj, path, key, json_type_string, &v) < 0)
		return -1;
	if (!v || json_object_get_string_len(v) == 0)
		return 0;
	struct json_path p;
	json_path_key(&p, path, key);
	if (!present)
		return err_ret("config.json: %s: this host has no %s, so %s cannot be applied", p.s,
			       lsm, json_object_get_string(v));
	if (!out)
		return err_ret("config.json: %s: not supported (mounts get no %s context)", p.s,
			       lsm);
	*out = xstrdup(json_object_get_string(v));
	return 0;
}

static int parse_process(struct json_object *proc, struct process_security *out)
{
	struct json_path path = {"process"}, p;
	struct json_object *caps, *rlimits, *nnp, *oom;
	if (json_member(proc, &path, "capabilities", json_type_object, &caps) < 0 ||
	    json_member(proc, &path, "rlimits", json_type_array, &rlimits) < 0 ||
	    json_member(proc, &path, "noNewPrivileges", json_type_boolean, &nnp) < 0 ||
	    json_member(proc, &path, "oomScoreAdj", json_type_int, &oom) < 0)
		return -1;
	json_path_key(&p, &path, "capabilities");
	out->set_caps = true;
	if (caps_from_oci(caps, &p, out->caps) < 0)
		return -1;
	json_path_key(&p, &path, "rlimits");
	if (rlimits_from_oci(rlimits, &p, &out->rlimits, &out->nrlimits) < 0)
		return -1;
	out->no_new_privileges = nnp && json_object_get_boolean(nnp);
	json_path_key(&p, &path, "oomScoreAdj");
	int64_t adj;
	if (oom && json_int_in(oom, &p, -1000, 1000, &adj) < 0)
		return -1;
	out->set_oom_score_adj = oom != NULL;
	out->oom_score_adj = oom ? (int)adj : 0;
	if (parse_label(proc, &path, "apparmorProfile", "AppArmor", host_has_apparmor(),
			&out->apparmor_profile) < 0)
		return -1;
	return parse_label(proc, &path, "selinuxLabel", "SELinux", host_has_selinux(),
			   &out->selinux_label);
}

static int parse_linux(struct json_object *lin, struct process_security *out)
{
	struct json_path path = {"linux"}, p;
	struct json_object *seccomp, *pers;
	if (json_member(lin, &path, "seccomp", json_type_object, &seccomp) < 0 ||
	    json_member(lin, &path, "personality", json_type_object, &pers) < 0)
		return -1;
	json_path_key(&p, &path, "personality");
	if (parse_personality(pers, &p, out) < 0 ||
	    parse_label(lin, &path, "mountLabel", "SELinux", host_has_selinux(), NULL) < 0)
		return -1;
	if (!seccomp)
		return 0;
	json_path_key(&p, &path, "seccomp");
	out->seccomp = xrealloc(NULL, sizeof(*out->seccomp));
	if (syscall_profile_from_oci(seccomp, &p, out->seccomp) < 0)
		return -1;
	return syscall_filter_build(out->seccomp, &out->filter);
}

int security_from_oci(struct json_object *process, struct json_object *linux_obj,
		      struct process_security *out)
{
	memset(out, 0, sizeof(*out));
	if (parse_process(process, out) == 0 && parse_linux(linux_obj, out) == 0)
		return 0;
	security_free(out);
	return -1;
}
