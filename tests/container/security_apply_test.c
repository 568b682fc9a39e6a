/*
 * security_apply in a forked child, checked from inside: /proc/self/status (CapEff, CapBnd,
 * CapAmb, NoNewPrivs, Seccomp), syscalls the filter answers with its errno, getrlimit,
 * oom_score_adj, personality(0xffffffff). Each child exits 0 or with the line of the first
 * check that failed, after printing it. Needs root (capabilities, a user switch).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../container/security.h"
#include "../stderr_capture.h"

#include <errno.h>
#include <json-c/json.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIT(c) (1ULL << (c))
/* In a child: print what failed and exit with its line. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "child check failed: %s (errno %d)\n", #cond, errno);      \
			_exit(__LINE__ & 0xff ? __LINE__ & 0xff : 1);                              \
		}                                                                                  \
	} while (0)

static uint64_t status_field(const char *key, int base)
{
	char line[256];
	size_t n = strlen(key);
	uint64_t v = ~0ULL;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtoull(line + n + 1, NULL, base);
	if (f)
		fclose(f);
	return v;
}

static void in_child(void (*body)(void *), void *arg)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		body(arg);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("child: %s %d", WIFEXITED(st) ? "exit" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static int parse(const char *proc, const char *lin, struct process_security *s)
{
	struct json_object *p = proc ? json_tokener_parse(proc) : NULL;
	struct json_object *l = lin ? json_tokener_parse(lin) : NULL;
	int rc = security_from_oci(p, l, s);
	json_object_put(p);
	json_object_put(l);
	return rc;
}

static int skip_unless_root(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	return 0;
}

static const char custom_process[] =
    "{\"capabilities\": {\"bounding\": [\"CAP_CHOWN\", \"CAP_KILL\", \"CAP_SETPCAP\"],"
    " \"effective\": [\"CAP_KILL\"], \"inheritable\": [\"CAP_KILL\"], \"permitted\":"
    " [\"CAP_KILL\"], \"ambient\": [\"CAP_KILL\"]},"
    " \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 256, \"hard\": 512},"
    " {\"type\": \"RLIMIT_CORE\", \"soft\": 0, \"hard\": 0}],"
    " \"noNewPrivileges\": true, \"oomScoreAdj\": 500}";

/* getppid answers ENOSYS, kill(_, 0) EPERM, umask with all of 0007 set EDOM. */
static const char custom_linux[] =
    "{\"personality\": {\"domain\": \"LINUX32\"},"
    " \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
    " {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38},"
    " {\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1,"
    " \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]},"
    " {\"names\": [\"umask\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 33, \"args\":"
    " [{\"index\": 0, \"value\": 7, \"valueTwo\": 7, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}}";

static void custom_body(void *arg)
{
	const struct process_security *s = arg;
	CHECK(security_apply(s) == 0);
	CHECK(status_field("CapBnd", 16) == (BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_SETPCAP)));
	CHECK(status_field("CapEff", 16) == BIT(CAP_KILL));
	CHECK(status_field("CapPrm", 16) == BIT(CAP_KILL));
	CHECK(status_field("CapInh", 16) == BIT(CAP_KILL));
	CHECK(status_field("CapAmb", 16) == BIT(CAP_KILL));
	CHECK(status_field("NoNewPrivs", 10) == 1);
	CHECK(status_field("Seccomp", 10) == 2);
	errno = 0;
	CHECK(syscall(SYS_getppid) == -1 && errno == ENOSYS);
	CHECK(kill(getpid(), 0) == -1 && errno == EPERM);
	CHECK(kill(getpid(), SIGCONT) == 0);
	CHECK(syscall(SYS_umask, 0027) == -1 && errno == EDOM);
	CHECK(syscall(SYS_umask, 0022) >= 0);
	struct rlimit r;
	CHECK(getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur == 256 && r.rlim_max == 512);
	CHECK(getrlimit(RLIMIT_CORE, &r) == 0 && r.rlim_cur == 0 && r.rlim_max == 0);
	CHECK((personality(0xffffffff) & PER_MASK) == PER_LINUX32);
	char adj[16] = "";
	FILE *f = fopen("/proc/self/oom_score_adj", "r");
	CHECK(f && fgets(adj, sizeof(adj), f) && atoi(adj) == 500);
	fclose(f);
}

static void test_custom_profile(void **state)
{
	(void)state;
	struct process_security s;
	assert_int_equal(parse(custom_process, custom_linux, &s), 0);
	in_child(custom_body, &s);
	security_free(&s);
}

static void docker_body(void *arg)
{
	CHECK(security_apply(arg) == 0);
	CHECK(status_field("CapEff", 16) == 0xa80425fbULL);
	CHECK(status_field("CapBnd", 16) == 0xa80425fbULL);
	CHECK(status_field("CapInh", 16) == 0 && status_field("CapAmb", 16) == 0);
	CHECK(status_field("NoNewPrivs", 10) == 1 && status_field("Seccomp", 10) == 2);
	char params[120] = {0};
	CHECK(syscall(SYS_io_uring_setup, 1, params) == -1 && errno == EPERM);
	CHECK(syscall(SYS_io_uring_enter, 0, 0, 0, 0, NULL, 0) == -1 && errno == EPERM);
	CHECK(syscall(SYS_io_uring_register, 0, 0, NULL, 0) == -1 && errno == EPERM);
	CHECK(unshare(CLONE_NEWNS) == -1 && errno == EPERM);
	CHECK(mount("none", "/", NULL, MS_REMOUNT, NULL) == -1 && errno == EPERM);
	struct clone_args ca = {.flags = CLONE_NEWUSER};
	CHECK(syscall(SYS_clone3, &ca, sizeof(ca)) == -1 && errno == ENOSYS);
	CHECK(socket(40 /* AF_VSOCK */, SOCK_STREAM, 0) == -1 && errno == EPERM);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	close(fd);
	CHECK(personality(0xffffffff) >= 0);
	CHECK(personality(ADDR_NO_RANDOMIZE) == -1 && errno == EPERM);
	CHECK(syscall(SYS_getpid) == getpid());
	/* Not in the profile: EPERM below its newest syscall, ENOSYS above (libc falls back). */
	CHECK(syscall(SYS_kexec_load, 0, 0, NULL, 0) == -1 && errno == EPERM);
	CHECK(syscall(1000) == -1 && errno == ENOSYS);
}

static void test_docker_default(void **state)
{
	(void)state;
	struct process_security s;
	security_docker_defaults(&s, false);
	in_child(docker_body, &s);
	security_free(&s);
}

static void privileged_body(void *arg)
{
	uint64_t before = status_field("CapPrm", 16);
	CHECK(security_apply(arg) == 0);
	CHECK(status_field("CapEff", 16) == before && status_field("CapBnd", 16) == before);
	CHECK(status_field("Seccomp", 10) == 0 && status_field("NoNewPrivs", 10) == 0);
	CHECK(status_field("CapInh", 16) == 0);
}

static void test_privileged(void **state)
{
	(void)state;
	struct process_security s;
	security_docker_defaults(&s, true);
	in_child(privileged_body, &s);
	security_free(&s);
}

/* A user switch that kept the permitted set (PR_SET_KEEPCAPS), then the config's sets. */
static void user_body(void *arg)
{
	CHECK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0);
	CHECK(setresgid(1000, 1000, 1000) == 0 && setresuid(1000, 1000, 1000) == 0);
	CHECK(security_apply(arg) == 0);
	CHECK(getuid() == 1000 && geteuid() == 1000);
	CHECK(status_field("CapEff", 16) == BIT(CAP_KILL));
	CHECK(status_field("CapAmb", 16) == BIT(CAP_KILL));
	CHECK(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0);
}

static void test_user_switch(void **state)
{
	(void)state;
	struct process_security s;
	assert_int_equal(parse(custom_process, NULL, &s), 0);
	in_child(user_body, &s);
	security_free(&s);
}

/* Without no_new_privs the filter goes in before the capabilities drop (it needs
 * CAP_SYS_ADMIN then), and the process keeps the right to gain privileges. */
static void no_nnp_body(void *arg)
{
	CHECK(security_apply(arg) == 0);
	CHECK(status_field("NoNewPrivs", 10) == 0 && status_field("Seccomp", 10) == 2);
	CHECK(status_field("CapEff", 16) == BIT(CAP_KILL));
	CHECK(syscall(SYS_getppid) == -1 && errno == ENOSYS);
}

static void test_filter_without_nnp(void **state)
{
	(void)state;
	struct process_security s;
	assert_int_equal(parse("{\"capabilities\": {\"effective\": [\"CAP_KILL\"], "
			       "\"permitted\": [\"CAP_KILL\"], \"bounding\": [\"CAP_KILL\"]}}",
			       custom_linux, &s),
			 0);
	in_child(no_nnp_body, &s);
	security_free(&s);
}

static void drop_sys_resource(void)
{
	cap_t caps = cap_get_proc();
	cap_value_t c = CAP_SYS_RESOURCE;
	CHECK(caps && cap_set_flag(caps, CAP_PERMITTED, 1, &c, CAP_CLEAR) == 0 &&
	      cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, CAP_CLEAR) == 0 && cap_set_proc(caps) == 0);
	cap_free(caps);
}

/* Raising a hard limit without CAP_SYS_RESOURCE (as root on this lab's host): the
 * error says which limit, to what, and why. */
static void raise_body(void *arg)
{
	(void)arg;
	drop_sys_resource();
	struct rlimit now;
	CHECK(getrlimit(RLIMIT_NOFILE, &now) == 0);
	if (now.rlim_max == RLIM_INFINITY)
		return;
	struct process_rlimit want = {RLIMIT_NOFILE, {now.rlim_max + 1, now.rlim_max + 1}};
	struct process_security s = {.rlimits = &want, .nrlimits = 1};
	char *err, *early, expect[256];
	int rc, early_rc;
	snprintf(expect, sizeof(expect),
		 "cannot set RLIMIT_NOFILE to %llu:%llu: the hard limit is %llu and raising it "
		 "needs CAP_SYS_RESOURCE, which this runtime does not have",
		 (unsigned long long)want.limit.rlim_cur, (unsigned long long)want.limit.rlim_max,
		 (unsigned long long)now.rlim_max);
	/* The runtime's check at create says the same as the failure would after start. */
	STDERR_OF(early, early_rc = security_check_host(&s, false));
	CHECK(early_rc == -1 && strstr(early, expect));
	free(early);
	STDERR_OF(err, rc = security_apply(&s));
	CHECK(rc == -1);
	CHECK(strstr(err, expect) && strchr(err, '\n') == err + strlen(err) - 1);
	free(err);
	/* Lowering is always allowed. */
	want.limit.rlim_cur = want.limit.rlim_max = now.rlim_max - 1;
	CHECK(security_check_host(&s, false) == 0 && security_apply(&s) == 0);
}

static void test_rlimit_raise_refused(void **state)
{
	(void)state;
	in_child(raise_body, NULL);
}

/* Asking for a capability the runtime does not hold names it. */
static void missing_cap_body(void *arg)
{
	(void)arg;
	drop_sys_resource();
	struct process_security s = {.set_caps = true};
	s.caps[CAPSET_PERMITTED] = s.caps[CAPSET_EFFECTIVE] = BIT(CAP_SYS_RESOURCE);
	s.caps[CAPSET_BOUNDING] = BIT(CAP_SYS_RESOURCE);
	char *err, *early;
	int rc, early_rc;
	STDERR_OF(early, early_rc = security_check_host(&s, false));
	CHECK(early_rc == -1);
	CHECK(strstr(early, "cannot grant CAP_SYS_RESOURCE: the runtime does not hold it"));
	free(early);
	STDERR_OF(err, rc = security_apply(&s));
	CHECK(rc == -1);
	CHECK(strstr(err, "cannot grant CAP_SYS_RESOURCE: the runtime does not hold it"));
	free(err);
	CHECK(security_check_host(&s, true) == 0); /* a new user namespace: its own full set */
	s.caps[CAPSET_PERMITTED] = s.caps[CAPSET_EFFECTIVE] = s.caps[CAPSET_BOUNDING] =
	    BIT(CAP_KILL);
	CHECK(security_check_host(&s, false) == 0);
}

static void test_missing_capability(void **state)
{
	(void)state;
	in_child(missing_cap_body, NULL);
}

int main(void)
{
	setenv("ISOLAB_SECCOMP_CACHE", "", 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_custom_profile, skip_unless_root),
	    cmocka_unit_test_setup(test_docker_default, skip_unless_root),
	    cmocka_unit_test_setup(test_privileged, skip_unless_root),
	    cmocka_unit_test_setup(test_user_switch, skip_unless_root),
	    cmocka_unit_test_setup(test_filter_without_nnp, skip_unless_root),
	    cmocka_unit_test_setup(test_rlimit_raise_refused, skip_unless_root),
	    cmocka_unit_test_setup(test_missing_capability, skip_unless_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
