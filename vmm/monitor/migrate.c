/*
 * migrate unix:PATH [OPTION...]: the answer comes when the migration ends (seconds
 * later), so the command only starts it; the session's input waits, as for
 * stats watch, until the machine hands over the report.
 */
#include "internal.h"

static void answer(void *arg, const char *text)
{
	struct monitor_session *s = arg;
	s->migrating = false;
	fputs(text, s->out);
	fflush(s->out);
	if (s->watch_ended)
		s->watch_ended(s); /* input that waited runs now */
}

int cmd_migrate(struct cmd_ctx *c)
{
	const struct monitor_ops *ops = c->mon->ops;
	if (!ops->migrate)
		return cmd_error(c, "this machine cannot migrate");
	if (!c->session)
		return cmd_error(c, "migrate answers later: use the socket or the prompt");
	if (c->session->migrating)
		return cmd_error(c, "this session is waiting for a migration already");
	char err[200];
	if (ops->migrate(c->mon->ctx, c->argc - 1, c->argv + 1, answer, c->session, err,
			 sizeof(err)) < 0)
		return cmd_error(c, "%s", err);
	c->session->migrating = true;
	fprintf(c->out, "migrating to %s\n", c->argv[1]);
	return 0;
}

void monitor_session_leave_migration(struct monitor_session *s)
{
	if (!s->migrating)
		return;
	s->migrating = false;
	if (s->mon->ops->migrate_forget)
		s->mon->ops->migrate_forget(s->mon->ctx, s);
}
