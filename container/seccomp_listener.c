/* The seccomp agent's side of SCMP_ACT_NOTIFY: see seccomp_listener.h. */
#include "seccomp_listener.h"
#include "util.h"

#include <errno.h>
#include <json-c/json.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool seccomp_notifies(const struct process_security *s)
{
	return s->seccomp && (s->seccomp->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER);
}

int seccomp_listener_connect(struct process_security *s)
{
	if (!seccomp_notifies(s))
		return 0;
	int fd = connect_unix("the seccomp listener", s->seccomp->listener_path);
	if (fd < 0)
		return -1;
	s->listener_fd = fd;
	s->has_listener = true;
	return 0;
}

void seccomp_listener_release(struct process_security *s)
{
	if (s->has_listener)
		close(s->listener_fd);
	s->has_listener = false;
}

void seccomp_listener_prepare(struct process_security *s, const char *state_json, pid_t pid)
{
	if (!s->has_listener)
		return;
	struct json_object *doc = json_object_new_object(), *fds = json_object_new_array();
	json_object_array_add(fds, json_object_new_string("seccompFd"));
	json_object_object_add(doc, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(doc, "fds", fds);
	json_object_object_add(doc, "pid", json_object_new_int(pid));
	if (s->seccomp->listener_metadata)
		json_object_object_add(doc, "metadata",
				       json_object_new_string(s->seccomp->listener_metadata));
	json_object_object_add(doc, "state", json_tokener_parse(state_json));
	free(s->listener_msg);
	s->listener_msg = xstrdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
	json_object_put(doc);
}

int seccomp_listener_send(const struct process_security *s, int notify_fd)
{
	int rc = 0;
	if (!s->has_listener || !s->listener_msg)
		rc = err_ret("seccomp: the profile notifies, but no listener is connected");
	else if (send_fd(s->listener_fd, notify_fd, s->listener_msg, strlen(s->listener_msg)) < 0)
		rc = err_ret("cannot send the seccomp fd to the listener %s: %s",
			     s->seccomp->listener_path, strerror(errno));
	/* The agent holds its copy now; ours would only keep the filter's listener alive. */
	close(notify_fd);
	if (s->has_listener)
		close(s->listener_fd);
	return rc;
}
