/* Commands on containers found through their state directory. */
#ifndef CONTAINER_LIFECYCLE_H
#define CONTAINER_LIFECYCLE_H

#include <stdbool.h>

int cmd_ps(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_rm(int argc, char **argv);
/* Wait for the monitor to finish its cleanup (the state says exited, or is gone). */
bool state_wait_exited(const char *name, int timeout_ms);

#endif
