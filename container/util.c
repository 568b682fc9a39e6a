/* Small helpers shared by every part of the container runtime. */
#include "util.h"
#include "sync.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int remove_tree(const char *path);

/*
 * Where this process's errors go: stderr, or (the container's init during setup) the start
 * protocol's socket, so that the runtime reports them before it says anything else. Per
 * process like stderr itself, which is why it is not passed around.
 */
static int error_sync_fd = -1;
/* --log FILE (OCI): errors are appended there too, as text or JSON lines (runc's format). */
static int error_log_fd = -1;
static bool error_log_json;

void err_send_to_sync(int fd)
{
	error_sync_fd = fd;
}

int err_log_to(const char *path, bool json)
{
	error_log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	error_log_json = json;
	if (error_log_fd < 0)
		return err_ret("cannot open --log %s: %s", path, strerror(errno));
	return 0;
}

static void log_line(const char *level, const char *line)
{
	if (error_log_fd < 0)
		return;
	if (!error_log_json) {
		dprintf(error_log_fd, "container: %s: %s\n", level, line);
		return;
	}
	struct json_object *o = json_object_new_object();
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	json_object_object_add(o, "level", json_object_new_string(level));
	json_object_object_add(o, "msg", json_object_new_string(line));
	json_object_object_add(o, "time", json_object_new_string(when));
	dprintf(error_log_fd, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];
	int saved = errno;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (error_sync_fd >= 0 && !prefix[0] &&
	    sync_send(error_sync_fd, SYNC_ERROR, saved, line) == 0)
		return;
	log_line(prefix[0] ? "warning" : "error", line);
	/* One write, so lines from several processes never interleave. */
	dprintf(STDERR_FILENO, "container: %s%s\n", prefix, line);
}

int err_ret(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	return -1;
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	/* _exit: also called in forked children, which must not run the parent's atexit work. */
	_exit(125);
}

void warnx_ctr(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		die("out of memory");
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("out of memory");
	return s;
}

int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = strlen(s);
	ssize_t n = write(fd, s, len);
	int saved = errno;
	close(fd);
	if (n != (ssize_t)len) {
		errno = n < 0 ? saved : EIO;
		return -1;
	}
	return 0;
}

int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

int mkdir_p(const char *path, unsigned mode)
{
	char buf[4096];
	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	/* overlayfs leaves work/work with mode 000: unreadable for a rootless owner. */
	if (flag == FTW_DNR)
		return chmod(path, 0700) < 0 ? -1 : remove_tree(path);
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

int remove_tree(const char *path)
{
	if (access(path, F_OK) < 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static char *title_start;
static size_t title_len;

void proc_title_init(int argc, char **argv)
{
	/* The argument strings lie back to back: their span is what /proc/PID/cmdline shows. */
	title_start = argv[0];
	title_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]);
}

void proc_title_set(const char *title)
{
	if (!title_start || title_len == 0)
		return;
	memset(title_start, 0, title_len);
	snprintf(title_start, title_len, "%s", title);
}

int connect_unix(const char *what, const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path))
		return err_ret("%s path too long: %s", what, path);
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return err_ret("cannot connect to %s %s: %s", what, path, strerror(e));
	}
	return fd;
}

int send_fd(int sock, int fd, const void *data, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	if (n >= 0 && (size_t)n != len)
		errno = EMSGSIZE;
	return n >= 0 && (size_t)n == len ? 0 : -1;
}

pid_t fork_with_pipe(bool child_reads, int *fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_ret("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return err_ret("fork: %s", strerror(errno));
	}
	/* The child's end is the read one when it reads; the parent holds the other. */
	bool reader = (pid == 0) == child_reads;
	close(p[reader ? 1 : 0]);
	*fd = p[reader ? 0 : 1];
	return pid;
}
