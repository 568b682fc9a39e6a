/*
 * For cmocka suites: run code that is expected to print errors, keep what it
 * writes to stderr (fd 2, so stdio and write(2) alike), and let the test assert
 * the message instead of leaking it onto the terminal. Anything printed outside
 * a capture still shows, so an unexpected message is seen.
 *
 *	char *err;
 *	STDERR_OF(err, rc = parse_size("12x", &bytes));
 *	assert_string_equal(err, "container: bad size '12x' (use e.g. 256m, 1g)\n");
 *	free(err);
 *
 * Keep assertions outside the captured code: a failing assert would skip the
 * restore.
 */
#ifndef TESTS_STDERR_CAPTURE_H
#define TESTS_STDERR_CAPTURE_H

struct stderr_capture {
	int saved_fd; /* the real stderr while the capture runs */
	int file_fd;  /* a memory file that stands in for it */
};

/* Starts sending stderr to a memory file; aborts the test program if it cannot. */
void stderr_capture_begin(struct stderr_capture *c);
/* Restores stderr; returns everything written meanwhile (malloc'd, NUL-terminated). */
char *stderr_capture_end(struct stderr_capture *c);

/*
 * Asserts text is exactly one line (the project's rule for bad input) that
 * contains want, then frees text.
 */
void assert_one_line_with(char *text, const char *want);
/* The same with an extended regular expression that the line (without its \n) must match. */
void assert_one_line_matching(char *text, const char *regex);

/* Runs code with stderr captured; text (a char *) gets what it wrote, for free(). */
#define STDERR_OF(text, code)                                                                      \
	do {                                                                                       \
		struct stderr_capture stderr_capture_;                                             \
		stderr_capture_begin(&stderr_capture_);                                            \
		code;                                                                              \
		(text) = stderr_capture_end(&stderr_capture_);                                     \
	} while (0)

#endif
