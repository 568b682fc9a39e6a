/* Unit tests of the container runtime: option parsing, and the cgroup v2 code run against
 * a temporary directory laid out like a v2 hierarchy (this host's v2 mount has no controllers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../container/cgroup.h"
#include "../../container/oci_cgroup.h"
#include "../../container/options.h"
#include "../../container/util.h"
#include "../stderr_capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_sizes(void **state)
{
	(void)state;
	long long b;
	assert_int_equal(parse_size("256m", &b), 0);
	assert_true(b == 256LL << 20);
	assert_int_equal(parse_size("1G", &b), 0);
	assert_true(b == 1LL << 30);
	assert_int_equal(parse_size("512k", &b), 0);
	assert_true(b == 512LL << 10);
	assert_int_equal(parse_size("4096", &b), 0);
	assert_true(b == 4096);
	assert_int_equal(parse_size("1mb", &b), 0); /* docker spells it so too */
	assert_true(b == 1LL << 20);
	const char *bad[] = {
	    "", "12x", "-1", "0", "m", "99999999999999999g", "9223372036854775808"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err, want[64];
		int rc;
		STDERR_OF(err, rc = parse_size(bad[i], &b));
		assert_int_equal(rc, -1);
		snprintf(want, sizeof(want), "container: bad size '%s' (use e.g. 256m, 1g)",
			 bad[i]);
		assert_one_line_with(err, want);
	}
}

static void test_cpus(void **state)
{
	(void)state;
	long long q, p;
	assert_int_equal(parse_cpus("1.5", &q, &p), 0);
	assert_true(q == 150000 && p == 100000);
	assert_int_equal(parse_cpus("0.25", &q, &p), 0);
	assert_true(q == 25000);
	const char *bad[] = {"0", "-1", "two", "nan"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err, want[64];
		int rc;
		STDERR_OF(err, rc = parse_cpus(bad[i], &q, &p));
		assert_int_equal(rc, -1);
		snprintf(want, sizeof(want), "container: bad --cpus '%s'", bad[i]);
		assert_one_line_with(err, want);
	}
}

static void test_run_options(void **state)
{
	(void)state;
	char *argv[] = {"run",	    "--name",  "web",	   "-e",    "A=1",    "-w", "/srv",
			"-u",	    "7:8",     "--memory", "64m",   "--pids", "10", "-v",
			"/h:/c:ro", "--layer", "/l",	   "--net", "bridge", "-p", "8080:80",
			"--rm",	    "/rootfs", "--",	   "sh",    "-c",     "x",  NULL};
	struct run_opts o;
	assert_int_equal(parse_run_opts(26, argv, &o), 0);
	assert_string_equal(o.name, "web");
	assert_int_equal(o.nenv, 1);
	assert_string_equal(o.workdir, "/srv");
	assert_true(o.uid == 7 && o.gid == 8);
	assert_true(o.lim.memory_bytes == 64LL << 20 && o.lim.pids == 10);
	assert_int_equal(o.nvols, 1);
	assert_string_equal(o.vols[0].host, "/h");
	assert_string_equal(o.vols[0].ctr, "/c");
	assert_true(o.vols[0].readonly);
	assert_int_equal(o.nlayers, 1);
	assert_true(o.net == NET_BRIDGE && o.nports == 1 && o.ports[0].host_port == 8080);
	assert_true(o.rm);
	assert_string_equal(o.rootfs, "/rootfs");
	assert_string_equal(o.argv[0], "sh");
	assert_string_equal(o.argv[2], "x");
	free_run_opts(&o);

	char *plain[] = {"run", "/rootfs", NULL};
	assert_int_equal(parse_run_opts(2, plain, &o), 0);
	assert_string_equal(o.argv[0], "/init");
	assert_null(o.argv[1]);
	free_run_opts(&o);
}

static void test_bad_run_options(void **state)
{
	(void)state;
	char *cases[][5] = {
	    {"run", "--net", "none", "-p", "1:2"}, {"run", "-v", "/a:../b", "/r", NULL},
	    {"run", "-v", "/a:/b:rx", "/r", NULL}, {"run", "--name", "a/b", "/r", NULL},
	    {"run", "-w", "rel", "/r", NULL},	   {"run", "-e", "=x", "/r", NULL},
	    {"run", "--bogus", "/r", NULL, NULL},  {"run", "-d", "-t", "/r", NULL},
	    {"run", NULL, NULL, NULL, NULL},
	};
	const char *errors[] = {
	    "-p needs --net bridge",
	    "bad -v '/a:../b'",
	    "bad -v '/a:/b:rx'",
	    "bad --name 'a/b'",
	    "bad -w 'rel'",
	    "bad -e '=x'",
	    "unknown option or missing value '--bogus'",
	    "-t with -d is not supported",
	    "missing ROOTFS",
	};
	assert_int_equal(sizeof(errors) / sizeof(errors[0]), sizeof(cases) / sizeof(cases[0]));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[7] = {0};
		int argc = 0;
		for (int j = 0; j < 5 && cases[i][j]; j++)
			argv[argc++] = cases[i][j];
		if (i == 0)
			argv[argc++] = "/r";
		struct run_opts o;
		char *err;
		int rc;
		STDERR_OF(err, rc = parse_run_opts(argc, argv, &o));
		assert_int_equal(rc, -1);
		assert_one_line_with(err, errors[i]);
		free_run_opts(&o);
	}
}

static void test_paths_and_names(void **state)
{
	(void)state;
	assert_true(safe_ctr_path("/a/b..c"));
	assert_false(safe_ctr_path("/a/../b"));
	assert_false(safe_ctr_path("/.."));
	assert_false(safe_ctr_path("a"));
	assert_true(valid_name("web-1.x_y"));
	assert_false(valid_name("../x"));
	assert_false(valid_name(""));
	assert_false(valid_name("-x"));
}

/* A v2 hierarchy in a temp dir: the backend writes plain files where cgroupfs has knobs. */
struct fake_v2 {
	char root[64];
};

static void put(const char *dir, const char *file, const char *text)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *get(const char *dir, const char *file)
{
	static char buf[256];
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	buf[0] = '\0';
	read_file(path, buf, sizeof(buf));
	return buf;
}

static int fake_setup(void **state)
{
	struct fake_v2 *f = calloc(1, sizeof(*f));
	strcpy(f->root, "/tmp/isolab-cgv2-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	put(f->root, "cgroup.controllers", "cpuset cpu io memory pids\n");
	put(f->root, "cgroup.subtree_control", "");
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake_v2 *f = *state;
	remove_tree(f->root);
	free(f);
	return 0;
}

/* The docker-like CLI's limits as its spec has them, on the fake v2 root. */
static int create_v2(struct fake_v2 *f, const char *name, const struct spec_resources *r,
		     struct cgroup *cg)
{
	struct spec s = {.res = *r};
	char path[64];
	snprintf(path, sizeof(path), "/isolab/%s", name);
	s.cgroups_path = path;
	setenv("ISOLAB_CGROUP2_ROOT", f->root, 1);
	int rc = oci_cgroup_create(&s, name, cg);
	unsetenv("ISOLAB_CGROUP2_ROOT");
	return rc;
}

static void test_v2_limits(void **state)
{
	struct fake_v2 *f = *state;
	struct spec_resources r;
	spec_resources_init(&r);
	r.memory_limit = r.memory_swap = 256LL << 20;
	r.cpu_quota = 150000;
	r.cpu_period = 100000;
	r.pids_limit = 64;
	r.blkio_weight = 500;
	char want[512];
	/* cgroupfs has io.weight once the io controller is on; the fake gets it beforehand. */
	snprintf(want, sizeof(want), "%s/isolab/c1", f->root);
	assert_int_equal(mkdir_p(want, 0755), 0);
	put(want, "io.weight", "");
	struct cgroup cg;
	assert_int_equal(create_v2(f, "c1", &r, &cg), 0);
	assert_int_equal(cg.ndirs, 1);
	assert_string_equal(cg.dirs[0], want);
	assert_string_equal(get(f->root, "cgroup.subtree_control"),
			    "+memory +cpu +pids +cpuset +io");
	snprintf(want, sizeof(want), "%s/isolab", f->root);
	assert_string_equal(get(want, "cgroup.subtree_control"), "+memory +cpu +pids +cpuset +io");
	assert_string_equal(get(cg.dirs[0], "memory.max"), "268435456");
	assert_string_equal(get(cg.dirs[0], "memory.swap.max"), "0");
	assert_string_equal(get(cg.dirs[0], "cpu.max"), "150000 100000");
	assert_string_equal(get(cg.dirs[0], "pids.max"), "64");
	assert_string_equal(get(cg.dirs[0], "io.weight"), "default 4950");

	assert_int_equal(cgroup_enter(&cg, 4242), 0);
	assert_string_equal(get(cg.dirs[0], "cgroup.procs"), "4242");

	put(cg.dirs[0], "memory.peak", "12345\n");
	put(cg.dirs[0], "cpu.stat", "usage_usec 777\nuser_usec 700\nsystem_usec 77\n");
	struct cg_stats st;
	assert_int_equal(cgroup_stats(&cg, &st), 0);
	assert_true(st.peak_memory_bytes == 12345);
	assert_true(st.cpu_usec == 777);

	/* cgroupfs removes its files with the directory; here we do. */
	remove_tree(cg.dirs[0]);
	mkdir(cg.dirs[0], 0755);
	cgroup_destroy(&cg);
	assert_int_equal(access(want, F_OK), 0);
	snprintf(want, sizeof(want), "%s/isolab/c1", f->root);
	assert_int_equal(access(want, F_OK), -1);
}

static void test_v2_missing_controller(void **state)
{
	struct fake_v2 *f = *state;
	put(f->root, "cgroup.controllers", "cpu memory\n");
	struct spec_resources r;
	spec_resources_init(&r);
	r.pids_limit = 10;
	struct cgroup cg;
	char *err;
	int rc;
	STDERR_OF(err, rc = create_v2(f, "c2", &r, &cg));
	assert_int_equal(rc, -1);
	assert_one_line_with(err, "container: cgroup controller unavailable: pids (not in ");
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/isolab/c2", f->root);
	assert_int_equal(access(dir, F_OK), -1);

	/* Without limits, missing memory/cpu controllers are not an error (only --stats loses). */
	put(f->root, "cgroup.controllers", "pids\n");
	spec_resources_init(&r);
	assert_int_equal(create_v2(f, "c3", &r, &cg), 0);
	cgroup_destroy(&cg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_cpus),
	    cmocka_unit_test(test_run_options),
	    cmocka_unit_test(test_bad_run_options),
	    cmocka_unit_test(test_paths_and_names),
	    cmocka_unit_test_setup_teardown(test_v2_limits, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_v2_missing_controller, fake_setup, fake_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
