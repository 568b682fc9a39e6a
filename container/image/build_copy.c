/* The steps that make a layer: COPY/ADD of files from the context, and RUN in a container. */
#include "build.h"
#include "tar_dir.h"
#include "../state.h"
#include "../util.h"
#include "lazy_libs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A source, resolved, that must stay inside the context (no ../, no symlink out). */
static char *context_path(const struct build *b, const char *src, int line)
{
	char *joined = xasprintf("%s/%s", b->context, src);
	char *real = realpath(joined, NULL);
	free(joined);
	size_t n = strlen(b->context);
	if (!real)
		err_ret("line %d: COPY source %s: %s", line, src, strerror(errno));
	else if (strncmp(real, b->context, n) || (real[n] && real[n] != '/')) {
		err_ret("line %d: COPY source %s is outside the build context", line, src);
		free(real);
		real = NULL;
	}
	return real;
}

/* dest as a path in the tar: relative to the workdir when relative, no leading '/'. */
static char *tar_dest(json_object *cfg, const char *dest)
{
	json_object *wd = NULL;
	json_object_object_get_ex(config_section(cfg), "WorkingDir", &wd);
	const char *w = wd && *json_object_get_string(wd) ? json_object_get_string(wd) : "/";
	char *abs = dest[0] == '/' ? xstrdup(dest) : xasprintf("%s/%s", w, dest);
	const char *p = abs + strspn(abs, "/");
	char *out = xstrdup(*p ? p : ".");
	size_t len = strlen(out);
	while (len > 1 && out[len - 1] == '/')
		out[--len] = '\0';
	free(abs);
	return out;
}

static int add_source(struct archive *out, const char *real, const char *dest, bool into_dir)
{
	struct stat st;
	if (stat(real, &st) < 0)
		return err_ret("%s: %s", real, strerror(errno));
	if (S_ISDIR(st.st_mode) || !into_dir)
		return tar_add(out, real, dest, true); /* a directory's contents go to dest */
	const char *base = strrchr(real, '/') + 1;
	char *as = strcmp(dest, ".") ? xasprintf("%s/%s", dest, base) : xstrdup(base);
	int rc = tar_add(out, real, as, true);
	free(as);
	return rc;
}

int build_copy_tar(const struct build *b, json_object *cfg, const struct instruction *in,
		   const char *tar)
{
	json_object *w = build_words(in->args);
	size_t n = w ? json_object_array_length(w) : 0;
	if (n < 2)
		return json_object_put(w),
		       err_ret("line %d: %s SRC... DEST", in->line, in->keyword);
	const char *first = json_object_get_string(json_object_array_get_idx(w, 0));
	const char *last = json_object_get_string(json_object_array_get_idx(w, n - 1));
	int rc = 0;
	if (first[0] == '-' && first[1] == '-')
		rc = err_ret("line %d: %s %s is not supported", in->line, in->keyword, first);
	for (size_t i = 0; rc == 0 && i + 1 < n; i++)
		if (strstr(json_object_get_string(json_object_array_get_idx(w, i)), "://"))
			rc = err_ret("line %d: ADD of a URL is not supported (local files only)",
				     in->line);
	char *dest = tar_dest(cfg, last);
	bool into_dir = n > 2 || last[strlen(last) - 1] == '/';
	struct archive *out = rc == 0 ? tar_open(tar) : NULL;
	for (size_t i = 0; out && rc == 0 && i + 1 < n; i++) {
		char *real = context_path(
		    b, json_object_get_string(json_object_array_get_idx(w, i)), in->line);
		rc = real ? add_source(out, real, dest, into_dir) : -1;
		free(real);
	}
	if (out)
		rc = tar_close(out, tar, rc);
	else
		rc = -1;
	free(dest);
	json_object_put(w);
	return rc;
}

static int spawn(char **argv, bool quiet)
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, STDIN_FILENO);
		if (quiet)
			dup2(null, STDOUT_FILENO);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int build_run(const struct build *b, struct store *s, const struct instruction *in, const char *tar)
{
	json_object *cmd = build_command(in->args);
	if (!cmd)
		return err_ret("line %d: bad RUN (a JSON array of strings, or a shell command)",
			       in->line);
	char name[64];
	snprintf(name, sizeof(name), "build-%d-%d", (int)getpid(), b->step);
	size_t n = json_object_array_length(cmd), k = 0;
	char **argv = xrealloc(NULL, (n + 12) * sizeof(*argv));
	const char *head[] = {
	    "container",	  "run", "--name", name, "--net", "none", "--entrypoint", "",
	    digest_hex(b->image), "--"};
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		argv[k++] = (char *)head[i];
	for (size_t i = 0; i < n; i++)
		argv[k++] = (char *)json_object_get_string(json_object_array_get_idx(cmd, i));
	argv[k] = NULL;
	/* The run resolves the image itself: let it into the store meanwhile. */
	fflush(stdout);
	store_unlock(s);
	int code = spawn(argv, false);
	int rc = store_relock(s);
	if (rc == 0 && code != 0)
		rc = err_ret("line %d: RUN exited with status %d", in->line, code);
	if (rc == 0) {
		char *dir = state_dir(name);
		char *upper = xasprintf("%s/upper", dir);
		rc = tar_directory(upper, tar, true);
		free(upper);
		free(dir);
	}
	char *rm[] = {"container", "rm", "-f", name, NULL};
	spawn(rm, true);
	free(argv);
	json_object_put(cmd);
	return rc;
}
