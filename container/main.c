/* container: run a root filesystem as a namespace container (docker-like CLI). */
#include "container.h"
#include "lifecycle.h"
#include "oci.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: container COMMAND ...\n"
    "  run [OPTIONS] ROOTFS [-- CMD ARGS...]   run CMD (default /init) in a new container\n"
    "      --name NAME  --hostname NAME  -e KEY=VAL  -w DIR  -u UID[:GID]  -i  -t  -d  --rm\n"
    "      --memory SIZE  --cpus N  --pids N  --io-weight 10..1000  --stats\n"
    "      -v HOST:CTR[:ro]  --layer DIR  --net none|host|bridge  -p HOST:CTR\n"
    "      --privileged  --userns\n"
    "  exec [-e K=V] [-w DIR] [-u UID[:GID]] [-i] NAME [--] CMD...\n"
    "  ps | stop [-t SECONDS] NAME | kill [-s SIGNAL] NAME | rm [-f] NAME\n"
    "OCI runtime (runc's CLI): container [--root DIR] [--log FILE] [--log-format text|json]\n"
    "  [--debug] [--version] create|start|state|kill|delete|run|exec|list|ps|pause|resume|\n"
    "  update|spec|features ...   (see container/README.md)\n";

/*
 * One binary, two CLIs. The OCI one (runc's shape, for podman and the conformance suite)
 * takes global options first or its own verbs; the verbs both have (run, exec, kill, ps)
 * are OCI when they name an OCI container under --root, or run has a bundle, not a ROOTFS.
 */
static bool is_oci_call(int argc, char **argv)
{
	static const char *const oci_only[] = {"create", "start",  "state",  "delete", "list",
					       "pause",	 "resume", "update", "spec",   "features"};
	const char *cmd = argv[1];
	if (cmd[0] == '-' && strcmp(cmd, "-h"))
		return true;
	for (size_t i = 0; i < sizeof(oci_only) / sizeof(oci_only[0]); i++)
		if (!strcmp(cmd, oci_only[i]))
			return true;
	if (!strcmp(cmd, "run")) {
		for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
			if (!strcmp(argv[i], "--bundle") || !strcmp(argv[i], "-b"))
				return true;
		struct stat st;
		const char *last = argv[argc - 1];
		return argc > 2 && last[0] != '-' && stat(last, &st) < 0 &&
		       access("config.json", F_OK) == 0;
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

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *cmd = argv[1];
	proc_title_init(argc, argv);
	/*
	 * CVE-2019-5736: a process of the container could open /proc/PID/exe of a runtime
	 * process that is inside (the init, or `exec` between its fork and exec) and write
	 * the runtime's binary on the host through it. A non-dumpable process's /proc files
	 * need CAP_SYS_PTRACE in the host's user namespace, which no container process has.
	 * Forks inherit this; the command's execve resets it. (runc re-executes from a
	 * sealed memfd copy instead: one more exec, ~4 ms here, for the same guarantee.)
	 */
	if (prctl(PR_SET_DUMPABLE, 0) < 0) {
		err_ret("cannot make the runtime non-dumpable");
		return 125;
	}
	if (is_oci_call(argc, argv))
		return oci_main(argc, argv);
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "exec"))
		return cmd_exec(argc - 1, argv + 1);
	if (!strcmp(cmd, "ps"))
		return cmd_ps(argc - 1, argv + 1);
	if (!strcmp(cmd, "stop"))
		return cmd_stop(argc - 1, argv + 1);
	if (!strcmp(cmd, "kill"))
		return cmd_kill(argc - 1, argv + 1);
	if (!strcmp(cmd, "rm"))
		return cmd_rm(argc - 1, argv + 1);
	err_ret("unknown command '%s' (run, exec, ps, stop, kill, rm)", cmd);
	return 2;
}
