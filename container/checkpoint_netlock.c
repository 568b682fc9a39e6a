/*
 * CRIU 3.17 locks a container's network with an nftables table named after the dumped
 * tree's root pid ("CRIU-PID") and, on restore, unlocks the table named after the
 * restored root's new pid. The dumped table comes back with the network namespace and
 * drops every packet of the restored container; restore deletes it by the name the
 * dump recorded in the descriptor file.
 */
#include "checkpoint.h"
#include "json_field.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* `nft VERB table inet TABLE` in the network namespace of pid, quiet: its status. */
static int nft_in(pid_t pid, const char *verb, const char *table)
{
	pid_t p = fork();
	if (p == 0) {
		char *ns = xasprintf("/proc/%d/ns/net", (int)pid);
		int fd = open(ns, O_RDONLY | O_CLOEXEC), null = open("/dev/null", O_WRONLY);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0 || null < 0)
			_exit(126);
		dup2(null, 1);
		dup2(null, 2);
		execlp("nft", "nft", verb, "table", "inet", table, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	while (p > 0 && waitpid(p, &st, 0) < 0 && errno == EINTR)
		;
	return p < 0 ? -1 : exit_code(st);
}

int checkpoint_unlock_network(const char *image_dir, pid_t pid)
{
	char *path = xasprintf("%s/%s", image_dir, CHECKPOINT_DESCRIPTORS);
	struct json_object *doc = json_object_from_file(path);
	free(path);
	char table[32];
	snprintf(table, sizeof(table), "%s", jstr(doc, "lock_table"));
	if (doc)
		json_object_put(doc);
	if (!table[0] || nft_in(pid, "list", table) != 0)
		return 0;
	return nft_in(pid, "delete", table) == 0
		   ? 0
		   : err_ret("restore: cannot remove CRIU's network lock (nft delete table inet "
			     "%s) in the container's network namespace",
			     table);
}
