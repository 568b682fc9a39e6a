/* The OCI verbs around the lifecycle: list, ps, pause, resume, update, spec, features;
 * and oci_main, the global options (--root, --log, --log-format, --debug, --version). */
#include "checkpoint.h"
#include "checkpoint_run.h"
#include "oci.h"
#include "oci_cgroup.h"
#include "spec_json.h"
#include "util.h"

#include <dirent.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmd_list(const struct oci_globals *g)
{
	DIR *d = opendir(g->root);
	printf("%-24s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct oci_state st;
		if (e->d_name[0] == '.' || oci_state_load(g->root, e->d_name, &st) < 0)
			continue;
		const char *status = oci_status(&st);
		printf("%-24s %-8d %-10s %-40s %s\n", st.id, strcmp(status, "stopped") ? st.pid : 0,
		       status, st.bundle, st.created);
		oci_state_release(&st);
	}
	if (d)
		closedir(d);
	return 0;
}

static int cmd_ps(const struct oci_globals *g, int argc, char **argv)
{
	bool json = argc == 4 && (!strcmp(argv[1], "--format") || !strcmp(argv[1], "-f")) &&
		    !strcmp(argv[2], "json");
	if (argc != 2 && !json)
		return err_ret("usage: container ps [--format json] ID");
	struct oci_state st;
	if (oci_state_load(g->root, argv[argc - 1], &st) < 0)
		return -1;
	char *path = st.cg.ndirs ? xasprintf("%s/cgroup.procs", st.cg.dirs[0]) : NULL;
	FILE *f = path ? fopen(path, "re") : NULL;
	free(path);
	int pid, n = 0;
	printf(json ? "[" : "PID\n");
	while (f && fscanf(f, "%d", &pid) == 1)
		printf(json ? "%s%d" : "%.0s%d\n", n++ ? "," : "", pid);
	if (json)
		printf("]\n");
	if (f)
		fclose(f);
	oci_state_release(&st);
	return 0;
}

/* Freeze or thaw every process of the container: v2 cgroup.freeze, v1 freezer.state. */
static int cmd_freeze(const struct oci_globals *g, int argc, char **argv, bool freeze)
{
	if (argc != 2)
		return err_ret("usage: container %s ID", argv[0]);
	struct oci_state st;
	if (oci_state_load(g->root, argv[1], &st) < 0)
		return -1;
	const char *status = oci_status(&st);
	int rc = -1;
	if (strcmp(status, freeze ? "running" : "paused")) {
		err_ret("container %s is %s", argv[1], status);
	} else {
		for (int i = 0; i < st.cg.ndirs && rc < 0; i++)
			if (cg_write(st.cg.dirs[i], "cgroup.freeze", freeze ? "1" : "0") == 0 ||
			    cg_write(st.cg.dirs[i], "freezer.state",
				     freeze ? "FROZEN" : "THAWED") == 0)
				rc = 0;
		if (rc < 0)
			err_ret("container %s: no freezer in its cgroup", argv[1]);
	}
	oci_state_release(&st);
	return rc;
}

static int cmd_update(const struct oci_globals *g, int argc, char **argv)
{
	if (argc != 4 || strcmp(argv[1], "--resources") || !strcmp(argv[3], "-"))
		return err_ret("usage: container update --resources FILE ID");
	struct json_object *doc = json_object_from_file(argv[2]);
	if (!doc)
		return err_ret("cannot read %s: %s", argv[2], json_util_get_last_err());
	struct spec s = {0};
	spec_resources_init(&s.res);
	struct oci_state st;
	int rc = -1;
	if (spec_parse_resources(doc, &s.res) == 0 && oci_state_load(g->root, argv[3], &st) == 0) {
		rc = oci_cgroup_apply(&st.cg, &s.res);
		oci_state_release(&st);
	}
	spec_resources_free(&s.res);
	json_object_put(doc);
	return rc;
}

static const char default_spec[] =
    "{\n"
    "\t\"ociVersion\": \"1.0.2\",\n"
    "\t\"process\": {\n"
    "\t\t\"terminal\": false,\n"
    "\t\t\"user\": {\"uid\": 0, \"gid\": 0},\n"
    "\t\t\"args\": [\"sh\"],\n"
    "\t\t\"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", "
    "\"TERM=xterm\"],\n"
    "\t\t\"cwd\": \"/\",\n"
    "\t\t\"noNewPrivileges\": true\n"
    "\t},\n"
    "\t\"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    "\t\"hostname\": \"isolab\",\n"
    "\t\"mounts\": [\n"
    "\t\t{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "\t\t{\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", "
    "\"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
    "\t\t{\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\", "
    "\"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", "
    "\"gid=5\"]},\n"
    "\t\t{\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\", "
    "\"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},\n"
    "\t\t{\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\", "
    "\"options\": [\"nosuid\", \"noexec\", \"nodev\"]},\n"
    "\t\t{\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\", "
    "\"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]}\n"
    "\t],\n"
    "\t\"linux\": {\n"
    "\t\t\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"}, "
    "{\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],\n"
    "\t\t\"maskedPaths\": [\"/proc/acpi\", \"/proc/kcore\", \"/proc/keys\", "
    "\"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\", "
    "\"/proc/sched_debug\", \"/proc/scsi\", \"/sys/firmware\"],\n"
    "\t\t\"readonlyPaths\": [\"/proc/asound\", \"/proc/bus\", \"/proc/fs\", \"/proc/irq\", "
    "\"/proc/sys\", \"/proc/sysrq-trigger\"]\n"
    "\t}\n"
    "}\n";

static int cmd_spec(int argc, char **argv)
{
	const char *dir = argc == 3 && (!strcmp(argv[1], "--bundle") || !strcmp(argv[1], "-b"))
			      ? argv[2]
			  : argc == 1 ? "."
				      : NULL;
	if (!dir)
		return err_ret("usage: container spec [--bundle DIR]");
	char *path = xasprintf("%s/config.json", dir);
	FILE *f = access(path, F_OK) == 0 ? NULL : fopen(path, "wx");
	int rc = f && fputs(default_spec, f) >= 0 && fclose(f) == 0 ? 0 : -1;
	if (rc < 0)
		err_ret("cannot write %s: %s", path, f ? strerror(errno) : "it exists already");
	free(path);
	return rc;
}

static int cmd_features(void)
{
	printf("{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"1.0.2\",\n"
	       "  \"hooks\": [\"prestart\", \"createRuntime\", \"createContainer\", "
	       "\"startContainer\", \"poststart\", \"poststop\"],\n"
	       "  \"mountOptions\": [\"ro\", \"rw\", \"nosuid\", \"suid\", \"nodev\", \"dev\", "
	       "\"noexec\", \"exec\", \"sync\", \"async\", \"dirsync\", \"remount\", \"mand\", "
	       "\"nomand\", \"atime\", \"noatime\", \"diratime\", \"nodiratime\", \"relatime\", "
	       "\"norelatime\", \"strictatime\", \"nostrictatime\", \"bind\", \"rbind\", "
	       "\"private\", \"rprivate\", \"shared\", \"rshared\", \"slave\", \"rslave\", "
	       "\"unbindable\", \"runbindable\"],\n"
	       "  \"linux\": {\n    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", "
	       "\"pid\", \"user\", \"uts\"],\n"
	       "    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false}\n  }\n}\n");
	return 0;
}

int oci_more_verbs(const struct oci_globals *g, const char *verb, int argc, char **argv)
{
	if (!strcmp(verb, "list"))
		return cmd_list(g);
	if (!strcmp(verb, "ps"))
		return cmd_ps(g, argc, argv);
	if (!strcmp(verb, "pause") || !strcmp(verb, "resume"))
		return cmd_freeze(g, argc, argv, !strcmp(verb, "pause"));
	if (!strcmp(verb, "update"))
		return cmd_update(g, argc, argv);
	if (!strcmp(verb, "spec"))
		return cmd_spec(argc, argv);
	if (!strcmp(verb, "features"))
		return cmd_features();
	if (!strcmp(verb, "checkpoint"))
		return oci_checkpoint(g, argc, argv);
	if (!strcmp(verb, "restore"))
		return oci_restore(g, argc, argv);
	return err_ret("unknown command '%s'", verb);
}

/*
 * One binary, two CLIs. The OCI one (runc's shape, for podman and the conformance suite)
 * takes global options first or its own verbs; the verbs both have (run, exec, kill, ps)
 * are OCI when they name an OCI container under --root, or run is given --bundle.
 */
bool oci_wants(int argc, char **argv)
{
	static const char *const oci_only[] = {"create", "start",    "state",	   "delete",
					       "list",	 "pause",    "resume",	   "update",
					       "spec",	 "features", "checkpoint", "restore"};
	const char *cmd = argv[1];
	if (cmd[0] == '-' && strcmp(cmd, "-h"))
		return true;
	/* podman's `checkpoint NAME DIR` and `restore DIR` (checkpoint_run.h). */
	if ((!strcmp(cmd, "checkpoint") || !strcmp(cmd, "restore")) &&
	    checkpoint_run_wanted(argc, argv))
		return false;
	for (size_t i = 0; i < sizeof(oci_only) / sizeof(oci_only[0]); i++)
		if (!strcmp(cmd, oci_only[i]))
			return true;
	if (!strcmp(cmd, "run")) {
		for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
			if (!strcmp(argv[i], "--bundle") || !strcmp(argv[i], "-b"))
				return true;
		return false;
	}
	if (strcmp(cmd, "exec") && strcmp(cmd, "kill") && strcmp(cmd, "ps"))
		return false;
	/* The first argument that is not an option (nor an option's value) names it. */
	for (int i = 2; i < argc; i++) {
		if (argv[i][0] == '-') {
			i += !strchr(argv[i], '=') && i + 1 < argc &&
			     (!strcmp(argv[i], "--process") || !strcmp(argv[i], "--pid-file") ||
			      !strcmp(argv[i], "--console-socket") || !strcmp(argv[i], "--cwd") ||
			      !strcmp(argv[i], "--preserve-fds") || !strcmp(argv[i], "-e") ||
			      !strcmp(argv[i], "--env") || !strcmp(argv[i], "--format") ||
			      !strcmp(argv[i], "-s"));
			continue;
		}
		char *dir = xasprintf("/run/isolab/oci/%s", argv[i]);
		bool oci = strchr(argv[i], '/') == NULL && access(dir, F_OK) == 0;
		free(dir);
		return oci;
	}
	return false;
}

static const struct option global_opts[] = {
    {"root", required_argument, 0, 'r'},
    {"log", required_argument, 0, 'l'},
    {"log-format", required_argument, 0, 'f'},
    {"debug", no_argument, 0, 'd'},
    {"version", no_argument, 0, 'v'},
    {"systemd-cgroup", no_argument, 0, 's'},
    {0, 0, 0, 0},
};

int oci_main(int argc, char **argv)
{
	struct oci_globals g = {.root = "/run/isolab/oci"};
	const char *log = NULL, *format = "text";
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", global_opts, NULL)) != -1) {
		if (c == 'r')
			g.root = optarg;
		else if (c == 'l')
			log = optarg;
		else if (c == 'f')
			format = optarg;
		else if (c == 'd')
			g.debug = true;
		else if (c == 'v')
			return printf("container version 0.1 (isolab)\nspec: 1.0.2\n"), 0;
		else if (c == 's')
			return err_ret("--systemd-cgroup is not supported (cgroupfs only)"), 1;
		else
			return err_ret("unknown global option '%s'", argv[optind - 1]), 2;
	}
	if (strcmp(format, "text") && strcmp(format, "json"))
		return err_ret("bad --log-format '%s' (text or json)", format), 2;
	if (log && err_log_to(log, !strcmp(format, "json")) < 0)
		return 1;
	if (optind >= argc)
		return err_ret("missing command"), 2;
	int rc = oci_verbs(&g, argv[optind], argc - optind, argv + optind);
	return rc < 0 ? 1 : rc;
}
