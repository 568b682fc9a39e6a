/*
 * container-init: pid 1 of a docker-like container once the runtime has set it up and
 * forked the command (init.c). It reaps every orphan, forwards signals to the command
 * and exits with its status, as docker's --init (tini) does.
 *
 * Why a program of its own rather than the runtime staying pid 1: the runtime maps its
 * binary and libraries from the host, outside the container's mount namespace, and CRIU
 * cannot checkpoint a process whose mappings it cannot find in there. This one is
 * static and exec'ed from a read-only bind mount inside the container (docker's
 * /sbin/docker-init), so all that pid 1 maps is the container's.
 *
 *   container-init CMD_PID     (signals arrive blocked; the runtime blocked them)
 */
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int exit_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Only CAP_KILL: a command run as another user still gets the signals we forward. */
static void drop_capabilities(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {{0}};
	data[0].effective = data[0].permitted = 1u << CAP_KILL;
	syscall(SYS_capset, &hdr, data);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* Reap what has exited; the command's exit ends the container (the kernel kills the
 * rest of the pid namespace when its init exits). */
static void reap(pid_t cmd)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == cmd)
			_exit(exit_status(st));
}

int main(int argc, char **argv)
{
	pid_t cmd = argc == 2 ? (pid_t)atoi(argv[1]) : 0;
	if (cmd <= 0 || getpid() != 1)
		return 125;
	/* Its name in ps, and (CVE-2019-5736, as for the runtime) not dumpable: no process
	 * of the container may open /proc/1/exe or ptrace it. CRIU, root outside, may. */
	prctl(PR_SET_NAME, "container-init", 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	drop_capabilities();
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* The command may have exited between the runtime's fork and our exec. */
	reap(cmd);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig == SIGCHLD)
			reap(cmd);
		else if (sig > 0)
			kill(cmd, sig);
	}
}
