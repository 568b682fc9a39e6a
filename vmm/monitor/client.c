/*
 * vmm monitor PATH [COMMAND...]: talks to a monitor socket. With a command
 * it runs that one and prints the answer; on a terminal it is a readline
 * prompt; otherwise it copies stdin to the monitor (one command per line).
 * Unless on a terminal, exits 1 when the monitor answered any command with
 * an error.
 */
#include <errno.h>
#include <poll.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util.h"
#include "monitor.h"
#include "readline_setup.h"

static const char error_tag[] = "error:";

struct reply_state {
	size_t tag_pos; /* bytes of "error:" matched at the start of the current line */
	bool errors;
};

/* Writes the monitor's answer to stdout, noting lines that start with "error:". */
static void show(struct reply_state *st, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			st->tag_pos = 0;
		} else if (st->tag_pos < sizeof(error_tag) - 1) {
			st->tag_pos = buf[i] == error_tag[st->tag_pos] ? st->tag_pos + 1 : SIZE_MAX;
			if (st->tag_pos == sizeof(error_tag) - 1)
				st->errors = true;
		}
	}
	(void)!write(STDOUT_FILENO, buf, n);
}

static int send_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return vmm_err("monitor connection: %s",
				       w < 0 ? strerror(errno) : "closed");
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (!*path || strlen(path) >= sizeof(addr.sun_path))
		return vmm_err("monitor socket path must be 1 to %zu bytes",
			       sizeof(addr.sun_path) - 1);
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		vmm_err("cannot connect to the monitor at %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Copies stdin to the socket (when input_fd >= 0) and the socket to stdout, until it closes. */
static int pump(int sock, int input_fd, struct reply_state *st)
{
	struct pollfd fds[2] = {{.fd = sock, .events = POLLIN}, {.fd = input_fd, .events = POLLIN}};
	for (;;) {
		if (poll(fds, fds[1].fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return vmm_err("poll: %s", strerror(errno));
		}
		char buf[4096];
		if (fds[0].revents) {
			ssize_t n = recv(sock, buf, sizeof(buf), 0);
			if (n <= 0)
				return 0;
			show(st, buf, (size_t)n);
		}
		if (fds[1].fd >= 0 && fds[1].revents) {
			ssize_t n = read(fds[1].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				shutdown(
				    sock,
				    SHUT_WR); /* the monitor answers what it has, then closes */
				fds[1].fd = -1;
			} else if (send_all(sock, buf, (size_t)n) < 0) {
				return -1;
			}
		}
	}
}

static int one_command(int sock, int argc, char **argv, struct reply_state *st)
{
	char line[MONITOR_LINE_MAX + 2];
	size_t len = 0;
	for (int i = 0; i < argc; i++) {
		int n = snprintf(line + len, sizeof(line) - 1 - len, "%s%s", i ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(line) - 1 - len)
			return vmm_err("monitor command is too long (at most %d bytes)",
				       MONITOR_LINE_MAX);
		len += (size_t)n;
	}
	line[len++] = '\n';
	if (send_all(sock, line, len) < 0)
		return -1;
	shutdown(sock, SHUT_WR);
	return pump(sock, -1, st);
}

static int tty_sock = -1;
static bool tty_done;

static void on_line(char *line)
{
	if (!line) {
		tty_done = true;
		return;
	}
	if (*line) {
		add_history(line);
		if (send_all(tty_sock, line, strlen(line)) < 0 || send_all(tty_sock, "\n", 1) < 0)
			tty_done = true;
	}
	free(line);
}

/* Prints the monitor's output above the line being edited. */
static bool show_above_prompt(int sock, struct reply_state *st)
{
	char buf[4096];
	ssize_t n = recv(sock, buf, sizeof(buf), 0);
	if (n <= 0)
		return false;
	char *saved = rl_copy_text(0, rl_end);
	int point = rl_point;
	rl_save_prompt();
	rl_replace_line("", 0);
	rl_redisplay();
	show(st, buf, (size_t)n);
	rl_restore_prompt();
	rl_replace_line(saved, 0);
	rl_point = point;
	rl_redisplay();
	free(saved);
	return true;
}

static int interactive(int sock, struct reply_state *st)
{
	monitor_readline_setup();
	tty_sock = sock;
	rl_callback_handler_install("(vmm) ", on_line);
	struct pollfd fds[2] = {{.fd = sock, .events = POLLIN},
				{.fd = STDIN_FILENO, .events = POLLIN}};
	while (!tty_done) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[0].revents && !show_above_prompt(sock, st))
			break;
		if (fds[1].revents)
			rl_callback_read_char();
	}
	rl_callback_handler_remove();
	fputc('\n', stdout);
	return 0;
}

int monitor_client_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(
		    argc < 2 ? stderr : stdout,
		    "usage: vmm monitor PATH [COMMAND...]\n"
		    "  connects to the monitor vmm serves with --monitor unix:PATH; runs COMMAND,\n"
		    "  or the lines read from stdin (a readline prompt on a terminal).\n");
		return argc < 2 ? 2 : 0;
	}
	int sock = connect_to(argv[1]);
	if (sock < 0)
		return 1;
	struct reply_state st = {0};
	int ret;
	if (argc > 2) {
		ret = one_command(sock, argc - 2, argv + 2, &st);
	} else if (isatty(STDIN_FILENO)) {
		ret = interactive(sock, &st);
		st.errors = false; /* a person saw them; the session itself went fine */
	} else {
		ret = pump(sock, STDIN_FILENO, &st);
	}
	close(sock);
	return ret < 0 || st.errors ? 1 : 0;
}
