#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stderr_capture.h"

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	abort();
}

void stderr_capture_begin(struct stderr_capture *c)
{
	fflush(stderr);
	c->file_fd = memfd_create("stderr_capture", MFD_CLOEXEC);
	if (c->file_fd < 0)
		die("stderr_capture: memfd_create");
	c->saved_fd = dup(STDERR_FILENO);
	if (c->saved_fd < 0 || dup2(c->file_fd, STDERR_FILENO) < 0)
		die("stderr_capture: dup");
}

char *stderr_capture_end(struct stderr_capture *c)
{
	struct stat st;
	fflush(stderr);
	if (dup2(c->saved_fd, STDERR_FILENO) < 0)
		abort(); /* no stderr left to say why */
	close(c->saved_fd);
	if (fstat(c->file_fd, &st) < 0)
		die("stderr_capture: fstat");
	char *text = malloc((size_t)st.st_size + 1);
	if (!text)
		die("stderr_capture: malloc");
	ssize_t n = pread(c->file_fd, text, (size_t)st.st_size, 0);
	if (n < 0)
		die("stderr_capture: read");
	text[n] = 0;
	close(c->file_fd);
	return text;
}

static bool one_line(const char *text)
{
	size_t len = strlen(text);
	return len > 0 && text[len - 1] == '\n' && !memchr(text, '\n', len - 1);
}

static void check(char *text, bool good, const char *how, const char *want)
{
	if (!good) {
		print_error("expected one line of stderr %s '%s', got '%s'\n", how, want, text);
		free(text);
		fail();
	}
	free(text);
}

void assert_one_line_with(char *text, const char *want)
{
	check(text, one_line(text) && strstr(text, want), "with", want);
}

void assert_one_line_matching(char *text, const char *regex)
{
	regex_t re;
	if (regcomp(&re, regex, REG_EXTENDED | REG_NOSUB) != 0) {
		print_error("bad regular expression '%s'\n", regex);
		free(text);
		fail();
	}
	bool single = one_line(text);
	if (single)
		text[strlen(text) - 1] = 0; /* so that $ anchors at the end of the line */
	bool match = single && regexec(&re, text, 0, NULL, 0) == 0;
	regfree(&re);
	check(text, match, "matching", regex);
}
