/*
 * The source side of a live migration: pre-copy on a thread of its own,
 * the end reported on the VM's event loop (see migration.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../event_loop.h"
#include "../machine.h"
#include "../util.h"
#include "internal.h"

struct migration {
	struct vm *vm;
	struct event_watch done; /* an eventfd the thread writes when it ends */
	pthread_t thread;
	bool running, ran;
	pthread_mutex_t conn_lock; /* conn.fd: the thread opens and closes it, cancel shuts it */
	const char *unsupported;   /* why this VM cannot migrate, or NULL */
	migration_report_fn report;
	void *report_arg;
	char path[108];
	struct migration_params params;
	struct dirty_log dirty;
	struct wire_conn conn;
	struct migration_stats stats;
	bool succeeded;
	char err[320];
};

const char *migration_unix_path(const char *uri)
{
	if (!uri || strncmp(uri, "unix:", 5) != 0 || !uri[5] ||
	    strlen(uri + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return NULL;
	return uri + 5;
}

/* A decimal number from 0 to max: 0, or -1. */
static int parse_bounded(const char *text, unsigned max, unsigned *value)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(text, &end, 10);
	if (*text < '0' || *text > '9' || *end || errno || n > max)
		return -1;
	*value = (unsigned)n;
	return 0;
}

int migration_parse_params(int nargs, char *const *args, struct migration_params *params, char *err,
			   size_t err_size)
{
	*params = (struct migration_params){.max_downtime_ms = MIGRATION_DOWNTIME_MS,
					    .auto_converge = true};
	for (int i = 0; i < nargs; i++) {
		const char *a = args[i];
		if (strncmp(a, "downtime=", 9) == 0) {
			if (parse_bounded(a + 9, 60000, &params->max_downtime_ms) < 0) {
				snprintf(err, err_size,
					 "downtime=MS takes 0 to 60000 (got '%.40s')", a + 9);
				return -1;
			}
		} else if (strncmp(a, "bandwidth=", 10) == 0) {
			if (parse_bounded(a + 10, 1 << 20, &params->bandwidth_mib) < 0) {
				snprintf(err, err_size,
					 "bandwidth=MIB takes MiB/s, 0 to 1048576 (got '%.40s')",
					 a + 10);
				return -1;
			}
		} else if (strcmp(a, "throttle=on") == 0 || strcmp(a, "throttle=off") == 0) {
			params->auto_converge = a[10] == 'n';
		} else {
			snprintf(err, err_size,
				 "unknown migrate option '%.40s' (downtime=MS, bandwidth=MIB, "
				 "throttle=on|off)",
				 a);
			return -1;
		}
	}
	return 0;
}

/* The thread's outcome, as "key: value" lines or one error line. */
static char *format_report(const struct migration *m)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	if (!out)
		return NULL;
	if (m->succeeded)
		fprintf(out, "migrated to unix:%s; the guest runs there now\n", m->path);
	else
		fprintf(out, "error: migration to unix:%s failed: %s; the guest runs on here\n",
			m->path, m->err);
	migration_stats_print(&m->stats, out);
	fclose(out);
	return text;
}

static void on_done(void *arg, uint32_t events)
{
	struct migration *m = arg;
	uint64_t count;
	(void)events;
	if (read(m->done.fd, &count, sizeof(count)) != sizeof(count))
		return;
	pthread_join(m->thread, NULL);
	m->running = false;
	char *report = format_report(m);
	const char *text = report ? report : "error: out of memory for the migration report\n";
	if (m->report)
		m->report(m->report_arg, text);
	else
		fputs(text, stderr);
	m->report = NULL;
	free(report);
	if (m->succeeded)
		vm_request_exit(m->vm, 0);
}

struct migration *migration_create(struct vm *vm, const char *unsupported)
{
	struct migration *m = calloc(1, sizeof(*m));
	if (!m) {
		vmm_err("out of memory");
		return NULL;
	}
	m->vm = vm;
	m->unsupported = unsupported;
	m->conn.fd = -1;
	pthread_mutex_init(&m->conn_lock, NULL);
	m->done = (struct event_watch){eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), on_done, m};
	if (m->done.fd < 0 || event_loop_add(vm_event_loop(vm), &m->done, EPOLLIN) < 0) {
		vmm_err("migration: no eventfd: %s", strerror(errno));
		if (m->done.fd >= 0)
			close(m->done.fd);
		free(m);
		return NULL;
	}
	return m;
}

void migration_cancel(struct migration *m)
{
	if (!m || !m->running)
		return;
	/* The connection goes, so the thread ends on its error. */
	pthread_mutex_lock(&m->conn_lock);
	if (m->conn.fd >= 0)
		shutdown(m->conn.fd, SHUT_RDWR);
	pthread_mutex_unlock(&m->conn_lock);
	pthread_join(m->thread, NULL);
	m->running = false;
}

void migration_destroy(struct migration *m)
{
	if (!m)
		return;
	migration_cancel(m);
	event_loop_del(vm_event_loop(m->vm), &m->done);
	close(m->done.fd);
	dirty_log_release(&m->dirty);
	pthread_mutex_destroy(&m->conn_lock);
	free(m);
}

static int connect_unix(struct migration *m)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", m->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		snprintf(m->err, sizeof(m->err), "cannot connect: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	migration_set_timeouts(fd);
	pthread_mutex_lock(&m->conn_lock);
	wire_conn_init(&m->conn, fd);
	pthread_mutex_unlock(&m->conn_lock);
	return 0;
}

static void *source_thread(void *arg)
{
	struct migration *m = arg;
	m->stats = (struct migration_stats){0};
	m->succeeded = false;
	m->err[0] = '\0';
	uint64_t start = vmm_monotonic_ns();
	if (connect_unix(m) == 0) {
		m->succeeded = migration_precopy(m->vm, &m->conn, &m->dirty, &m->params, &m->stats,
						 m->err, sizeof(m->err)) == 0;
		pthread_mutex_lock(&m->conn_lock);
		wire_conn_free(&m->conn);
		close(m->conn.fd);
		m->conn.fd = -1;
		pthread_mutex_unlock(&m->conn_lock);
	}
	m->stats.total_ns = vmm_monotonic_ns() - start;
	uint64_t one = 1;
	(void)!write(m->done.fd, &one, sizeof(one));
	return NULL;
}

int migration_start(struct migration *m, const char *uri, const struct migration_params *params,
		    migration_report_fn report, void *arg, char *err, size_t err_size)
{
	const char *path = migration_unix_path(uri);
	if (!path) {
		snprintf(err, err_size, "migrate to unix:PATH (got '%.60s')", uri ? uri : "");
		return -1;
	}
	if (m->running) {
		snprintf(err, err_size, "a migration to unix:%s is under way", m->path);
		return -1;
	}
	if (m->unsupported) {
		snprintf(err, err_size, "this VM cannot migrate: %s", m->unsupported);
		return -1;
	}
	snprintf(m->path, sizeof(m->path), "%s", path);
	m->params = *params;
	m->report = report;
	m->report_arg = arg;
	int e = vmm_thread_create(&m->thread, source_thread, m);
	if (e) {
		snprintf(err, err_size, "no migration thread: %s", strerror(e));
		return -1;
	}
	m->running = m->ran = true;
	return 0;
}

void migration_forget_reporter(struct migration *m, void *arg)
{
	if (m && m->report_arg == arg)
		m->report = NULL;
}

void migration_print_stats(const struct migration *m, FILE *out)
{
	if (m && m->ran && !m->running)
		migration_stats_print(&m->stats, out);
}
