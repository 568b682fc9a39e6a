/* container: run a root filesystem as a namespace container (docker-like CLI). */
#include "checkpoint_run.h"
#include "container.h"
#include "image/image.h"
#include "lifecycle.h"
#include "oci.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

static const char usage[] =
    "usage: container COMMAND ...\n"
    "  run [OPTIONS] ROOTFS|IMAGE [-- CMD ARGS...]   run CMD (default /init) in a container\n"
    "      --name NAME  --hostname NAME  -e KEY=VAL  -w DIR  -u UID[:GID]  -i  -t  -d  --rm\n"
    "      --memory SIZE  --cpus N  --pids N  --io-weight 10..1000  --stats\n"
    "      -v HOST:CTR[:ro]  --layer DIR  --net none|host|bridge  -p HOST:CTR\n"
    "      --privileged  --userns  --entrypoint CMD (an image's; \"\" clears it)\n"
    "  exec [-e K=V] [-w DIR] [-u UID[:GID]] [-i] NAME [--] CMD...\n"
    "  ps | stop [-t SECONDS] NAME | kill [-s SIGNAL] NAME | rm [-f] NAME\n"
    "  checkpoint NAME DIR [--leave-running] [--tcp-established] [--file-locks]\n"
    "      a running `run -d` container into DIR (CRIU); without --leave-running it is gone\n"
    "  restore DIR [--name NEW] [-d] [--tcp-established] [--file-locks]   it back from DIR\n"
    "  image import|load|save|ls|inspect|history|rm|prune|export-disk ...  (image --help)\n"
    "  commit NAME IMAGE[:TAG] | diff NAME   the container's writable layer as a layer\n"
    "  build [-f Containerfile] -t NAME[:TAG] DIR   FROM RUN COPY ADD ENV WORKDIR USER CMD ...\n"
    "OCI runtime (runc's CLI): container [--root DIR] [--log FILE] [--log-format text|json]\n"
    "  [--debug] [--version] create|start|state|kill|delete|run|exec|list|ps|pause|resume|\n"
    "  update|spec|features|checkpoint|restore ...   (see container/README.md)\n";

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
	if (oci_wants(argc, argv))
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
	if (!strcmp(cmd, "checkpoint"))
		return cmd_checkpoint(argc - 1, argv + 1);
	if (!strcmp(cmd, "restore"))
		return cmd_restore(argc - 1, argv + 1);
	if (!strcmp(cmd, "image"))
		return cmd_image(argc - 1, argv + 1);
	if (!strcmp(cmd, "commit"))
		return cmd_commit(argc - 1, argv + 1);
	if (!strcmp(cmd, "diff"))
		return cmd_diff(argc - 1, argv + 1);
	if (!strcmp(cmd, "build"))
		return cmd_build(argc - 1, argv + 1);
	err_ret("unknown command '%s' (run, exec, ps, stop, kill, rm, checkpoint, restore, image, "
		"commit, diff, build)",
		cmd);
	return 2;
}
