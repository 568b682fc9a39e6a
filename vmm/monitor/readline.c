/* The (vmm) prompt on a terminal: GNU readline with history and completion of commands. */
#include <errno.h>
#include <poll.h>
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

static struct monitor *console_mon;
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
		monitor_exec(console_mon, line, stdout, STDIN_FILENO);
	}
	free(line);
}

void monitor_console(struct monitor *mon)
{
	monitor_readline_setup();
	/* vmm's own handlers decide what SIGINT and SIGTERM do to the VM. */
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_bind_keyseq("\\C-ac", leave_monitor);
	fprintf(stdout, "\r\nvmm monitor: help lists the commands; Ctrl-A c or Ctrl-D returns "
			"to the guest console\r\n");
	console_mon = mon;
	leave_requested = false;
	/* The callback interface, so a VM that stops while nobody types ends the prompt too. */
	rl_callback_handler_install("(vmm) ", on_line);
	while (!leave_requested && !mon->ops->exiting(mon->ctx)) {
		struct pollfd in = {.fd = STDIN_FILENO, .events = POLLIN};
		int n = poll(&in, 1, 200);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (in.revents & (POLLHUP | POLLERR)) && !(in.revents & POLLIN))
			break;
		if (n > 0)
			rl_callback_read_char();
	}
	rl_callback_handler_remove();
	fprintf(stdout, "\r\n[back to the guest console]\r\n");
	fflush(stdout);
}
