/* The docker-like CLI's `checkpoint NAME DIR` and `restore DIR` (podman's verbs),
 * around the OCI checkpoint's CRIU dump and restore (checkpoint.h). */
#ifndef CONTAINER_CHECKPOINT_RUN_H
#define CONTAINER_CHECKPOINT_RUN_H

#include <stdbool.h>

/* DIR/checkpoint.json: what makes DIR a checkpoint of this CLI (checkpoint_run.c). */
#define CHECKPOINT_FILE	   "checkpoint.json"
#define CHECKPOINT_FORMAT  "isolab-container-checkpoint"
#define CHECKPOINT_VERSION 1

/* checkpoint NAME DIR [--leave-running] [--tcp-established] [--file-locks] */
int cmd_checkpoint(int argc, char **argv);
/* restore DIR [--name NEW] [-d] [--tcp-established] [--file-locks] */
int cmd_restore(int argc, char **argv);
/* Is this `checkpoint`/`restore` command line the docker-like one (NAME DIR; DIR a
 * checkpoint directory, --name, or a path) rather than the OCI verb's? */
bool checkpoint_run_wanted(int argc, char **argv);

#endif
