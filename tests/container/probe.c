/*
 * A small static program put into test root filesystems: it reports what a
 * process sees from inside a container, one "key: value" line per fact, and
 * tries the things a container must not be able to do.
 * Usage: probe info | read PATH | try WHAT | alloc MIB | forkbomb N |
 *        zombies N | serve PORT | fetch IP PORT | hold-io-uring
 * (try: mount unshare-user unshare-net keyctl kexec init_module mknod chown sethostname
 *  io_uring_setup write-exe open-exe)
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void status_line(const char *key)
{
	char line[512];
	FILE *f = fopen("/proc/self/status", "r");
	size_t n = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			char *v = line + n + 1;
			v += strspn(v, " \t");
			printf("%s: %s", key, v);
		}
	if (f)
		fclose(f);
}

static int info(void)
{
	static const char *const ns[] = {"pid", "mnt", "uts", "ipc", "net", "cgroup", "user"};
	char host[256] = "", cwd[512] = "", path[64], link[256];
	printf("pid: %d\n", (int)getpid());
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		printf("ns_%s: %s\n", ns[i], link);
	}
	gethostname(host, sizeof(host));
	printf("hostname: %s\n", host);
	printf("uid: %d\ngid: %d\n", (int)getuid(), (int)getgid());
	printf("cwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	status_line("CapEff");
	status_line("CapPrm");
	status_line("CapBnd");
	status_line("CapAmb");
	status_line("Seccomp");
	status_line("NoNewPrivs");
	/* Every descriptor beyond stdio is one the runtime leaked. */
	DIR *d = opendir("/proc/self/fd");
	printf("extra_fds:");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd > 2 && fd != dirfd(d)) {
			ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
			link[n > 0 ? n : 0] = '\0';
			printf(" %d=%s", fd, link);
		}
	}
	printf("\n");
	if (d)
		closedir(d);
	const char *c = getenv("container");
	printf("env_container: %s\n", c ? c : "");
	return 0;
}

static int try_read(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (n < 0)
		printf("read %s: error %s\n", path, strerror(errno));
	else
		printf("read %s: %zd bytes\n", path, n);
	return 0;
}

/* Prints "WHAT: ok" or "WHAT: error MESSAGE". */
static int try_op(const char *what)
{
	long rc = -1;
	if (!strcmp(what, "mount"))
		rc = mount("tmpfs", "/mnt", "tmpfs", 0, NULL);
	else if (!strcmp(what, "unshare-user"))
		rc = unshare(CLONE_NEWUSER);
	else if (!strcmp(what, "unshare-net"))
		rc = unshare(CLONE_NEWNET);
	else if (!strcmp(what, "keyctl"))
		rc = syscall(SYS_keyctl, 0, 0, 0, 0, 0);
	else if (!strcmp(what, "kexec"))
		rc = syscall(SYS_kexec_load, 0, 0, NULL, 0);
	else if (!strcmp(what, "init_module"))
		rc = syscall(SYS_init_module, NULL, 0, "");
	else if (!strcmp(what, "mknod"))
		rc = mknod("/tmp/sda", S_IFBLK | 0600, makedev(8, 0));
	else if (!strcmp(what, "chown"))
		rc = chown("/tmp", 1, 1);
	else if (!strcmp(what, "io_uring_setup")) {
		/* docker blocks io_uring (a rich kernel attack surface); 0 params: the kernel's
		 * answer when allowed is a new ring fd. */
		static char params[120];
		rc = syscall(SYS_io_uring_setup, 1, params);
	} else if (!strcmp(what, "sethostname"))
		rc = sethostname("x", 1);
	else if (!strcmp(what, "write-exe"))
		rc = open("/proc/1/exe", O_WRONLY);
	else if (!strcmp(what, "open-exe"))
		rc = open("/proc/1/exe", O_RDONLY);
	else {
		fprintf(stderr, "probe: unknown operation %s\n", what);
		return 2;
	}
	if (rc < 0)
		printf("%s: error %s\n", what, strerror(errno));
	else
		printf("%s: ok\n", what);
	return 0;
}

static int alloc(long mib)
{
	for (long i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);
		if (!p)
			return printf("alloc: failed at %ld MiB\n", i), 1;
		memset(p, 1, 1 << 20);
	}
	printf("alloc: %ld MiB done\n", mib);
	return 0;
}

static int forkbomb(int n)
{
	int ok = 0, err = 0;
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			err = errno;
			break;
		}
		ok++;
	}
	printf("forked: %d\nfork_error: %s\n", ok, err ? strerror(err) : "none");
	fflush(stdout);
	return 0; /* the children die with the container's init */
}

static int count_zombies(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int z = 0;
	while (d && (e = readdir(d))) {
		char path[300], buf[512];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			char *rp = strrchr(buf, ')');
			z += rp && rp[1] == ' ' && rp[2] == 'Z';
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return z;
}

/* Orphans that exit become children of pid 1: only a reaping init keeps them from piling up. */
static int zombies(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			if (fork() == 0)
				_exit(0);
			_exit(0);
		}
		waitpid(p, NULL, 0);
	}
	struct timespec t = {0, 300000000};
	nanosleep(&t, NULL);
	printf("zombies: %d\n", count_zombies());
	return 0;
}

static int serve(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 4) < 0)
		return perror("probe: serve"), 1;
	printf("serving: %d\n", port);
	fflush(stdout);
	int c = accept(s, NULL, NULL);
	char host[64] = "";
	gethostname(host, sizeof(host));
	dprintf(c, "hello from %s\n", host);
	close(c);
	return 0;
}

static int fetch(const char *ip, int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	char buf[256];
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return printf("fetch: error %s\n", strerror(errno)), 1;
	ssize_t n = read(s, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("fetch: %s", buf);
	return 0;
}

/* An io_uring instance held open: a resource CRIU (3.17) cannot checkpoint. */
static int hold_io_uring(void)
{
	struct io_uring_params params = {0};
	long fd = syscall(__NR_io_uring_setup, 4, &params);
	if (fd < 0)
		return printf("hold-io-uring: error %s\n", strerror(errno)), 1;
	printf("hold-io-uring: fd %ld\n", fd);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "info"))
		return info();
	if (argc == 3 && !strcmp(argv[1], "read"))
		return try_read(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "try"))
		return try_op(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "alloc"))
		return alloc(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "forkbomb"))
		return forkbomb(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "zombies"))
		return zombies(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "fetch"))
		return fetch(argv[2], atoi(argv[3]));
	if (argc == 2 && !strcmp(argv[1], "hold-io-uring"))
		return hold_io_uring();
	fprintf(stderr, "usage: probe info|read PATH|try WHAT|alloc MIB|forkbomb N|zombies N|"
			"serve PORT|fetch IP PORT|hold-io-uring\n");
	return 2;
}
