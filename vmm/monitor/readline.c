/* The (vmm) prompt on a terminal: GNU readline with history and completion of commands. */
#include <errno.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "readline_setup.h"

static char line_before_word[MONITOR_LINE_MAX + 1];

static char *next_match(const char *text, int state)
{
	static int index;
	if (state == 0)
		index = 0;
	const char *name = monitor_complete(line_before_word, text, index++);
	return name ? strdup(name) : NULL;
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	size_t n = (size_t)start < sizeof(line_before_word) - 1 ? (size_t)start
								: sizeof(line_before_word) - 1;
	memcpy(line_before_word, rl_line_buffer, n);
	line_before_word[n] = '\0';
	rl_attempted_completion_over = 1; /* never fall back to file names */
	return rl_completion_matches(text, next_match);
}

void monitor_readline_setup(void)
{
	rl_readline_name = "vmm";
	rl_attempted_completion_function = complete;
	using_history();
	stifle_history(500);
}

/* readline's callback interface is global state: one console prompt at a time. */
static struct monitor_session console_session;
static bool leave_requested;

/* Ctrl-A c while at the prompt: back to the guest console. */
static int leave_monitor(int count, int key)
{
	(void)count;
	(void)key;
	leave_requested = true;
	rl_done = 1;
	return 0;
}

static void on_line(char *line)
{
	if (!line) {
		leave_requested = true; /* Ctrl-D */
		return;
	}
	if (!leave_requested && *line) {
		add_history(line);
		monitor_exec(console_session.mon, line, stdout, &console_session);
	}
	free(line);
}

struct monitor_session *monitor_console_open(struct monitor *mon, struct event_loop *loop)
{
	monitor_readline_setup();
	/* vmm's own handlers decide what SIGINT and SIGTERM do to the VM. */
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_bind_keyseq("\\C-ac", leave_monitor);
	fprintf(stdout, "\r\nvmm monitor: help lists the commands; Ctrl-A c or Ctrl-D returns "
			"to the guest console\r\n");
	console_session = (struct monitor_session){.mon = mon, .loop = loop, .out = stdout};
	console_session.tick.fd = -1;
	leave_requested = false;
	rl_callback_handler_install("(vmm) ", on_line);
	return &console_session;
}

bool monitor_console_feed(struct monitor_session *s)
{
	if (monitor_session_watching(s)) {
		char key[16];
		(void)!read(STDIN_FILENO, key, sizeof(key)); /* the key only stops the watch */
		monitor_session_end_watch(s);
		return true;
	}
	rl_callback_read_char();
	return !leave_requested && !s->mon->ops->exiting(s->mon->ctx);
}

void monitor_console_close(struct monitor_session *s)
{
	monitor_session_end_watch(s);
	monitor_session_leave_migration(s);
	rl_callback_handler_remove();
	fprintf(stdout, "\r\n[back to the guest console]\r\n");
	fflush(stdout);
}
