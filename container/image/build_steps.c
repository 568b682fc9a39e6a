/* What each Containerfile instruction does to the image so far. */
#include "build.h"
#include "../util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Words split at blanks; "..." quotes (without escapes). A JSON array of strings is taken whole. */
json_object *build_words(const char *args)
{
	if (args[0] == '[') {
		json_object *a = json_tokener_parse(args);
		if (!a || !json_object_is_type(a, json_type_array)) {
			json_object_put(a);
			return NULL;
		}
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if (!json_object_is_type(json_object_array_get_idx(a, i),
						 json_type_string)) {
				json_object_put(a);
				return NULL;
			}
		return a;
	}
	json_object *a = json_object_new_array();
	for (const char *p = args; *p;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		char *w = xrealloc(NULL, strlen(p) + 1);
		size_t n = 0;
		bool quoted = false;
		for (; *p && (quoted || (*p != ' ' && *p != '\t')); p++)
			if (*p == '"')
				quoted = !quoted;
			else
				w[n++] = *p;
		w[n] = '\0';
		json_object_array_add(a, json_object_new_string(w));
		free(w);
	}
	return a;
}

json_object *build_command(const char *args)
{
	if (args[0] == '[')
		return build_words(args);
	json_object *a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("/bin/sh"));
	json_object_array_add(a, json_object_new_string("-c"));
	json_object_array_add(a, json_object_new_string(args));
	return a;
}

bool build_is_config_step(const char *k)
{
	static const char *const steps[] = {"ENV",	  "WORKDIR", "USER",  "CMD",
					    "ENTRYPOINT", "LABEL",   "EXPOSE"};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (!strcmp(k, steps[i]))
			return true;
	return false;
}

static const char *cfg_str(json_object *c, const char *key, const char *dflt)
{
	json_object *v;
	const char *s = json_object_object_get_ex(c, key, &v) ? json_object_get_string(v) : NULL;
	return s && *s ? s : dflt;
}

static void set_env(json_object *c, const char *key, const char *val)
{
	json_object *env;
	if (!json_object_object_get_ex(c, "Env", &env) ||
	    !json_object_is_type(env, json_type_array)) {
		env = json_object_new_array();
		json_object_object_add(c, "Env", env);
	}
	size_t klen = strlen(key);
	for (size_t i = json_object_array_length(env); i-- > 0;) {
		const char *e = json_object_get_string(json_object_array_get_idx(env, i));
		if (e && !strncmp(e, key, klen) && e[klen] == '=')
			json_object_array_del_idx(env, i, 1);
	}
	char *kv = xasprintf("%s=%s", key, val);
	json_object_array_add(env, json_object_new_string(kv));
	free(kv);
}

/* ENV K=V... or ENV K V; LABEL K=V... */
static int key_values(json_object *c, const struct instruction *in, bool env)
{
	json_object *w = build_words(in->args);
	size_t n = w ? json_object_array_length(w) : 0;
	const char *first = n ? json_object_get_string(json_object_array_get_idx(w, 0)) : "";
	int rc = n ? 0 : err_ret("line %d: %s needs KEY=VALUE", in->line, in->keyword);
	json_object *labels = NULL;
	if (!env && !json_object_object_get_ex(c, "Labels", &labels)) {
		labels = json_object_new_object();
		json_object_object_add(c, "Labels", labels);
	}
	if (rc == 0 && env && !strchr(first, '=')) {
		const char *val = in->args + strlen(first);
		set_env(c, first, val + strspn(val, " \t"));
	} else {
		for (size_t i = 0; rc == 0 && i < n; i++) {
			char *kv = xstrdup(json_object_get_string(json_object_array_get_idx(w, i)));
			char *eq = strchr(kv, '=');
			if (!eq || eq == kv)
				rc = err_ret("line %d: bad %s '%s' (KEY=VALUE)", in->line,
					     in->keyword, kv);
			else if ((*eq = '\0'), env)
				set_env(c, kv, eq + 1);
			else
				json_object_object_add(labels, kv, json_object_new_string(eq + 1));
			free(kv);
		}
	}
	json_object_put(w);
	return rc;
}

static int expose(json_object *c, const struct instruction *in)
{
	json_object *ports, *w = build_words(in->args);
	if (!json_object_object_get_ex(c, "ExposedPorts", &ports)) {
		ports = json_object_new_object();
		json_object_object_add(c, "ExposedPorts", ports);
	}
	int rc = 0;
	for (size_t i = 0; w && i < json_object_array_length(w); i++) {
		const char *p = json_object_get_string(json_object_array_get_idx(w, i));
		unsigned port;
		char proto[8] = "tcp";
		if (sscanf(p, "%u/%7s", &port, proto) < 1 || !port || port > 65535 ||
		    (strcmp(proto, "tcp") && strcmp(proto, "udp"))) {
			rc = err_ret("line %d: bad EXPOSE '%s' (PORT[/tcp|udp])", in->line, p);
			break;
		}
		char *key = xasprintf("%u/%s", port, proto);
		json_object_object_add(ports, key, json_object_new_object());
		free(key);
	}
	json_object_put(w);
	return rc;
}

int build_edit_config(json_object *cfg, const struct instruction *in)
{
	json_object *c = config_section(cfg);
	const char *k = in->keyword;
	if (!strcmp(k, "ENV") || !strcmp(k, "LABEL"))
		return key_values(c, in, !strcmp(k, "ENV"));
	if (!strcmp(k, "EXPOSE"))
		return expose(c, in);
	if (!*in->args)
		return err_ret("line %d: %s needs an argument", in->line, k);
	if (!strcmp(k, "WORKDIR")) {
		const char *cur = cfg_str(c, "WorkingDir", "/");
		char *wd = in->args[0] == '/'
			       ? xstrdup(in->args)
			       : xasprintf("%s%s%s", cur, cur[strlen(cur) - 1] == '/' ? "" : "/",
					   in->args);
		json_object_object_add(c, "WorkingDir", json_object_new_string(wd));
		free(wd);
		return 0;
	}
	if (!strcmp(k, "USER")) {
		json_object_object_add(c, "User", json_object_new_string(in->args));
		return 0;
	}
	json_object *cmd = build_command(in->args); /* CMD, ENTRYPOINT */
	if (!cmd)
		return err_ret("line %d: bad %s (a JSON array of strings, or a shell command)",
			       in->line, k);
	json_object_object_add(c, !strcmp(k, "CMD") ? "Cmd" : "Entrypoint", cmd);
	return 0;
}
