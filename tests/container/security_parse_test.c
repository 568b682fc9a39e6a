/*
 * The process-security part of an OCI config.json (container/security.h): every field
 * parsed from good JSON, and every bad value one line on stderr that names the field.
 * No filter cache here (ISOLAB_SECCOMP_CACHE=""), except in the test of the cache itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../container/security.h"
#include "../stderr_capture.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <unistd.h>

static struct json_object *json(const char *text)
{
	if (!text)
		return NULL;
	struct json_object *o = json_tokener_parse(text);
	if (!o)
		fail_msg("test JSON does not parse: %s", text);
	return o;
}

static int parse(const char *proc, const char *lin, struct process_security *s)
{
	struct json_object *p = json(proc), *l = json(lin);
	int rc = security_from_oci(p, l, s);
	json_object_put(p);
	json_object_put(l);
	return rc;
}

#define BIT(c) (1ULL << (c))

static const char good_process[] =
    "{\"capabilities\": {\"bounding\": [\"CAP_CHOWN\", \"CAP_KILL\"], \"effective\": "
    "[\"CAP_KILL\"], \"inheritable\": [\"CAP_KILL\"], \"permitted\": [\"CAP_KILL\"], "
    "\"ambient\": [\"CAP_KILL\"]},"
    " \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 256, \"hard\": 512},"
    " {\"type\": \"RLIMIT_CORE\", \"soft\": 0, \"hard\": 18446744073709551615}],"
    " \"noNewPrivileges\": true, \"oomScoreAdj\": 500, \"apparmorProfile\": \"\"}";

static const char good_linux[] =
    "{\"personality\": {\"domain\": \"LINUX32\", \"flags\": [\"ADDR_NO_RANDOMIZE\"]},"
    " \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
    " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"],"
    " \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"], \"syscalls\": ["
    " {\"names\": [\"getppid\", \"no_such_syscall\"], \"action\": \"SCMP_ACT_ERRNO\","
    " \"errnoRet\": 38},"
    " {\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1,"
    " \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]},"
    " {\"names\": [\"umask\"], \"action\": \"SCMP_ACT_KILL_PROCESS\", \"args\": [{\"index\": 0,"
    " \"value\": 7, \"valueTwo\": 7, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}}";

static void test_good_config(void **state)
{
	(void)state;
	struct process_security s;
	assert_int_equal(parse(good_process, good_linux, &s), 0);
	assert_true(s.set_caps);
	assert_true(s.caps[CAPSET_BOUNDING] == (BIT(CAP_CHOWN) | BIT(CAP_KILL)));
	for (int k = CAPSET_EFFECTIVE; k < NCAPSETS; k++)
		assert_true(s.caps[k] == BIT(CAP_KILL));
	assert_int_equal(s.nrlimits, 2);
	assert_int_equal(s.rlimits[0].resource, RLIMIT_NOFILE);
	assert_true(s.rlimits[0].limit.rlim_cur == 256 && s.rlimits[0].limit.rlim_max == 512);
	assert_int_equal(s.rlimits[1].resource, RLIMIT_CORE);
	assert_true(s.rlimits[1].limit.rlim_max == RLIM_INFINITY);
	assert_true(s.no_new_privileges);
	assert_true(s.set_oom_score_adj && s.oom_score_adj == 500);
	assert_true(s.set_personality && s.personality == (PER_LINUX32 | ADDR_NO_RANDOMIZE));
	assert_null(s.apparmor_profile); /* "" is no profile */
	assert_non_null(s.seccomp);
	assert_true(s.seccomp->default_action == SCMP_ACT_ALLOW);
	assert_int_equal(s.seccomp->narches, 2);
	assert_true(s.seccomp->arches[1] == SCMP_ARCH_X86);
	assert_int_equal(s.seccomp->flags, SECCOMP_FILTER_FLAG_LOG);
	assert_int_equal(s.seccomp->nrules, 3);
	assert_int_equal(s.seccomp->rules[0].nsyscalls, 1); /* no_such_syscall skipped */
	assert_true(s.seccomp->rules[0].action == SCMP_ACT_ERRNO(38));
	assert_true(s.seccomp->rules[1].action == SCMP_ACT_ERRNO(EPERM)); /* the default errno */
	assert_int_equal(s.seccomp->rules[1].nargs, 1);
	assert_true(s.seccomp->rules[1].args[0].index == 1 &&
		    s.seccomp->rules[1].args[0].op == SCMP_CMP_EQ);
	assert_true(s.seccomp->rules[2].action == SCMP_ACT_KILL_PROCESS);
	assert_true(s.seccomp->rules[2].args[0].op == SCMP_CMP_MASKED_EQ &&
		    s.seccomp->rules[2].args[0].value_two == 7);
	assert_true(s.filter.len > 0 && s.filter.flags == SECCOMP_FILTER_FLAG_LOG);
	security_free(&s);
}

/* Absent objects: capabilities all empty (runc), nothing else set, no filter. */
static void test_empty_config(void **state)
{
	(void)state;
	struct process_security s;
	assert_int_equal(parse("{}", "{}", &s), 0);
	assert_true(s.set_caps);
	for (int k = 0; k < NCAPSETS; k++)
		assert_true(s.caps[k] == 0);
	assert_false(s.no_new_privileges || s.set_oom_score_adj || s.set_personality);
	assert_true(s.nrlimits == 0 && s.seccomp == NULL && s.filter.len == 0);
	security_free(&s);
	assert_int_equal(parse(NULL, NULL, &s), 0);
	security_free(&s);
}

struct bad_case {
	const char *process, *linux_obj, *message;
};

static const struct bad_case bad_process[] = {
    {"{\"capabilities\": []}", NULL, "process.capabilities must be an object, not an array"},
    {"{\"capabilities\": {\"bound\": []}}", NULL,
     "process.capabilities.bound: unknown capability set"},
    {"{\"capabilities\": {\"bounding\": \"CAP_KILL\"}}", NULL,
     "process.capabilities.bounding must be an array of CAP_ names"},
    {"{\"capabilities\": {\"effective\": [1]}}", NULL,
     "process.capabilities.effective[0] must be a string"},
    {"{\"capabilities\": {\"permitted\": [\"CAP_KILL\", \"CAP_FLY\"]}}", NULL,
     "process.capabilities.permitted[1]: unknown capability CAP_FLY"},
    {"{\"capabilities\": {\"ambient\": [\"kill\"]}}", NULL,
     "process.capabilities.ambient[0]: unknown capability kill"},
    {"{\"rlimits\": {}}", NULL, "process.rlimits must be an array, not an object"},
    {"{\"rlimits\": [1]}", NULL, "process.rlimits[0] must be an object"},
    {"{\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]}", NULL,
     "process.rlimits[0].type: unknown rlimit type RLIMIT_FOO"},
    {"{\"rlimits\": [{\"soft\": 1, \"hard\": 1}]}", NULL, "process.rlimits[0].type is missing"},
    {"{\"rlimits\": [{\"type\": 7, \"soft\": 1, \"hard\": 1}]}", NULL,
     "process.rlimits[0].type must be a string, not an integer"},
    {"{\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1}]}", NULL,
     "process.rlimits[0].hard is missing"},
    {"{\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": -1, \"hard\": 1}]}", NULL,
     "process.rlimits[0].soft must not be negative"},
    {"{\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": \"1\", \"hard\": 1}]}", NULL,
     "process.rlimits[0].soft must be an integer"},
    {"{\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 2, \"hard\": 1}]}", NULL,
     "process.rlimits[0]: the soft limit is above the hard limit"},
    {"{\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1},"
     " {\"type\": \"RLIMIT_NOFILE\", \"soft\": 2, \"hard\": 2}]}",
     NULL, "process.rlimits[1]: RLIMIT_NOFILE is set twice"},
    {"{\"noNewPrivileges\": \"yes\"}", NULL,
     "process.noNewPrivileges must be a boolean, not a string"},
    {"{\"oomScoreAdj\": 1001}", NULL, "process.oomScoreAdj: 1001 is out of range -1000..1000"},
    {"{\"oomScoreAdj\": -1001}", NULL, "process.oomScoreAdj: -1001 is out of range"},
    {"{\"oomScoreAdj\": 1.5}", NULL, "process.oomScoreAdj must be an integer, not a number"},
    {"{\"apparmorProfile\": 3}", NULL, "process.apparmorProfile must be a string"},
};

static const struct bad_case bad_linux[] = {
    {NULL, "{\"personality\": {\"domain\": \"BSD\"}}",
     "linux.personality.domain must be LINUX or LINUX32, not BSD"},
    {NULL, "{\"personality\": {}}", "linux.personality.domain must be LINUX or LINUX32"},
    {NULL, "{\"personality\": {\"domain\": \"LINUX\", \"flags\": [\"FOO\"]}}",
     "linux.personality.flags[0]: unknown personality flag FOO"},
    {NULL, "{\"personality\": \"LINUX\"}", "linux.personality must be an object"},
    {NULL, "{\"seccomp\": []}", "linux.seccomp must be an object"},
    {NULL, "{\"seccomp\": {}}", "linux.seccomp.defaultAction is missing"},
    {NULL, "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_FOO\"}}",
     "linux.seccomp.defaultAction: unknown seccomp action SCMP_ACT_FOO"},
    {NULL, "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_NOTIFY\"}}",
     "linux.seccomp.defaultAction cannot be SCMP_ACT_NOTIFY"},
    {NULL,
     "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
     "[\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}}",
     "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath"},
    {NULL,
     "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"s\", "
     "\"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}}",
     "linux.seccomp.listenerPath must be an absolute path"},
    {NULL, "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1}}",
     "linux.seccomp.defaultErrnoRet only goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE"},
    {NULL, "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}}",
     "linux.seccomp.defaultErrnoRet: -1 is out of range 0..4095"},
    {NULL,
     "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
     "[\"SCMP_ARCH_VAX\"]}}",
     "linux.seccomp.architectures[0]: unknown architecture SCMP_ARCH_VAX"},
    {NULL, "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [1]}}",
     "linux.seccomp.architectures[0] must be a string"},
    {NULL,
     "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": "
     "[\"SECCOMP_FILTER_FLAG_FOO\"]}}",
     "linux.seccomp.flags[0]: unknown seccomp flag SECCOMP_FILTER_FLAG_FOO"},
    {NULL, "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}}",
     "linux.seccomp.syscalls must be an array"},
    {NULL, "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [1]}}",
     "linux.seccomp.syscalls[0] must be an object"},
    {NULL,
     "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": "
     "\"SCMP_ACT_ERRNO\"}]}}",
     "linux.seccomp.syscalls[0].names is missing"},
    {NULL,
     "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
     "[\"getpid\", 7], \"action\": \"SCMP_ACT_ERRNO\"}]}}",
     "linux.seccomp.syscalls[0].names[1] must be a string"},
    {NULL,
     "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
     "[\"getpid\"]}]}}",
     "linux.seccomp.syscalls[0].action is missing"},
    {NULL,
     "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
     "[\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5000}]}}",
     "linux.seccomp.syscalls[0].errnoRet: 5000 is out of range 0..4095"},
    {NULL,
     "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
     "[\"getpid\"], \"action\": \"SCMP_ACT_LOG\", \"errnoRet\": 1}]}}",
     "linux.seccomp.syscalls[0].errnoRet only goes with"},
    {NULL,
     "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
     "[\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 0, "
     "\"op\": \"SCMP_CMP_EQ\"}]}]}}",
     "linux.seccomp.syscalls[0].args[0].index: 6 is out of range 0..5"},
    {NULL,
     "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
     "[\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": 0, "
     "\"op\": \"SCMP_CMP_FOO\"}]}]}}",
     "linux.seccomp.syscalls[0].args[0].op: unknown comparison SCMP_CMP_FOO"},
    {NULL,
     "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
     "[\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"op\": "
     "\"SCMP_CMP_EQ\"}]}]}}",
     "linux.seccomp.syscalls[0].args[0] needs index, value and op"},
    {NULL,
     "{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
     "[\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": -2, "
     "\"op\": \"SCMP_CMP_EQ\"}]}]}}",
     "linux.seccomp.syscalls[0].args[0].value must not be negative"},
};

static void expect_bad(const struct bad_case *c)
{
	struct process_security s;
	char *err;
	int rc;
	STDERR_OF(err, rc = parse(c->process, c->linux_obj, &s));
	if (rc != -1)
		fail_msg("accepted: %s %s", c->process ? c->process : "",
			 c->linux_obj ? c->linux_obj : "");
	assert_one_line_with(err, c->message);
}

static void test_bad_process(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_process) / sizeof(bad_process[0]); i++)
		expect_bad(&bad_process[i]);
}

static void test_bad_linux(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_linux) / sizeof(bad_linux[0]); i++)
		expect_bad(&bad_linux[i]);
}

/* No LSM on this host: a label is refused, not ignored. */
static void test_labels_without_lsm(void **state)
{
	(void)state;
	char on[4] = "";
	FILE *f = fopen("/sys/module/apparmor/parameters/enabled", "r");
	bool apparmor = f && fgets(on, sizeof(on), f) && on[0] == 'Y';
	if (f)
		fclose(f);
	if (apparmor || access("/sys/fs/selinux/enforce", F_OK) == 0)
		skip();
	const struct bad_case labels[] = {
	    {"{\"apparmorProfile\": \"docker-default\"}", NULL,
	     "process.apparmorProfile: this host has no AppArmor, so docker-default cannot be "
	     "applied"},
	    {"{\"selinuxLabel\": \"system_u:system_r:container_t:s0\"}", NULL,
	     "process.selinuxLabel: this host has no SELinux"},
	    {NULL, "{\"mountLabel\": \"system_u:object_r:container_file_t:s0\"}",
	     "linux.mountLabel: this host has no SELinux"},
	};
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		expect_bad(&labels[i]);
}

/* docker's profile: deny by default (EPERM), io_uring not among the allowed calls. */
static void test_docker_profile(void **state)
{
	(void)state;
	struct process_security s;
	security_docker_defaults(&s, false);
	assert_non_null(s.seccomp);
	assert_true(s.seccomp->default_action == SCMP_ACT_ERRNO(EPERM));
	assert_true(s.filter.len > 0);
	assert_true(s.no_new_privileges);
	assert_true(s.caps[CAPSET_EFFECTIVE] == 0xa80425fbULL);
	assert_true(s.caps[CAPSET_INHERITABLE] == 0 && s.caps[CAPSET_AMBIENT] == 0);
	int uring = seccomp_syscall_resolve_name("io_uring_setup");
	int openat = seccomp_syscall_resolve_name("openat");
	bool has_openat = false;
	for (size_t i = 0; i < s.seccomp->nrules; i++)
		for (size_t j = 0; j < s.seccomp->rules[i].nsyscalls; j++) {
			assert_int_not_equal(s.seccomp->rules[i].syscalls[j], uring);
			has_openat |= s.seccomp->rules[i].syscalls[j] == openat;
		}
	assert_true(has_openat);
	security_free(&s);
	security_docker_defaults(&s, true);
	assert_null(s.seccomp);
	assert_false(s.no_new_privileges);
	security_free(&s);
}

static size_t count_files(const char *dir)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* The cache gives the compiled BPF back, and ignores a file others could have written. */
static void test_filter_cache(void **state)
{
	(void)state;
	char dir[] = "/tmp/ocisec-cache-XXXXXX";
	assert_non_null(mkdtemp(dir));
	setenv("ISOLAB_SECCOMP_CACHE", dir, 1);
	struct syscall_profile p;
	struct syscall_bpf direct, first, again;
	syscall_profile_docker_default(&p);
	assert_int_equal(syscall_filter_compile(&p, &direct), 0);
	assert_int_equal(syscall_filter_build(&p, &first), 0);
	assert_int_equal(count_files(dir), 1);
	assert_int_equal(syscall_filter_build(&p, &again), 0);
	assert_true(again.len == direct.len && first.len == direct.len);
	assert_memory_equal(again.insns, direct.insns, direct.len * sizeof(*direct.insns));
	syscall_bpf_free(&again);

	/* Group-writable, with its BPF altered: not trusted, the filter is compiled again. */
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512] = "";
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
	closedir(d);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	FILE *f = fopen(path, "r+");
	assert_non_null(f);
	fseek(f, st.st_size - 8, SEEK_SET);
	fwrite("\xff\xff\xff\xff\xff\xff\xff\xff", 1, 8, f);
	fclose(f);
	chmod(path, 0620);
	assert_int_equal(syscall_filter_build(&p, &again), 0);
	assert_memory_equal(again.insns, direct.insns, direct.len * sizeof(*direct.insns));
	syscall_bpf_free(&again);

	/* Another profile, another entry. */
	p.default_action = SCMP_ACT_ERRNO(ENOSYS);
	assert_int_equal(syscall_filter_build(&p, &again), 0);
	assert_int_equal(count_files(dir), 2);
	syscall_bpf_free(&again);
	syscall_bpf_free(&first);
	syscall_bpf_free(&direct);
	syscall_profile_free(&p);
	setenv("ISOLAB_SECCOMP_CACHE", "", 1);
	char *rm = NULL;
	assert_true(asprintf(&rm, "rm -rf %s", dir) > 0);
	assert_int_equal(system(rm), 0);
	free(rm);
}

int main(void)
{
	setenv("ISOLAB_SECCOMP_CACHE", "", 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_config),	       cmocka_unit_test(test_empty_config),
	    cmocka_unit_test(test_bad_process),	       cmocka_unit_test(test_bad_linux),
	    cmocka_unit_test(test_labels_without_lsm), cmocka_unit_test(test_docker_profile),
	    cmocka_unit_test(test_filter_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
