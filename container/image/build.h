/* `container build`: a Containerfile's steps, each an image, with a build cache. */
#ifndef CONTAINER_IMAGE_BUILD_H
#define CONTAINER_IMAGE_BUILD_H

#include "config.h"

struct build {
	char *context;		/* realpath of DIR */
	char image[DIGEST_LEN]; /* the image so far ("" = scratch) */
	char key[DIGEST_LEN];	/* cache key of the steps so far */
	int step;
};

struct instruction {
	char *keyword; /* upper case */
	char *args;
	int line;
};

/* Steps that only edit the config: ENV WORKDIR USER CMD ENTRYPOINT LABEL EXPOSE. */
int build_edit_config(json_object *cfg, const struct instruction *in);
bool build_is_config_step(const char *keyword);
/* The tar of COPY/ADD's sources (inside the context) at their destination. */
int build_copy_tar(const struct build *b, json_object *cfg, const struct instruction *in,
		   const char *tar);
/* RUN in a container of the image so far (the store unlocked meanwhile); its writable
 * layer packed into tar. */
int build_run(const struct build *b, struct store *s, const struct instruction *in,
	      const char *tar);
/* Words split at blanks ("..." quoted), or a JSON array of strings taken whole. */
json_object *build_words(const char *args);
/* args as a JSON array of strings (exec form) or ["/bin/sh", "-c", args]; NULL if bad. */
json_object *build_command(const char *args);

#endif
