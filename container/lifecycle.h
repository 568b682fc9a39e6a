/* Commands on containers found through their state directory. */
#ifndef CONTAINER_LIFECYCLE_H
#define CONTAINER_LIFECYCLE_H

int cmd_ps(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_rm(int argc, char **argv);

#endif
