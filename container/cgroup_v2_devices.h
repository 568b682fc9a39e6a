/* Device rules: the list a container's device cgroup enforces, and on cgroup v2 (no
 * devices.allow there) a BPF_PROG_TYPE_CGROUP_DEVICE program made from it. */
#ifndef CONTAINER_CGROUP_V2_DEVICES_H
#define CONTAINER_CGROUP_V2_DEVICES_H

#include "spec.h"

#include <linux/bpf.h>
#include <stddef.h>

/* In order, the last rule that matches a request deciding: linux.resources.devices, then
 * the devices every container gets and linux.devices, allowed whatever the rules denied
 * (as runc). *n: how many; free() the array. */
struct spec_dev_rule *device_rules(const struct spec *s, size_t *n);

/* The program for these rules: a request no rule matches is allowed, as in a new v1
 * cgroup below an unrestricted parent. *n: its length; free() it. */
struct bpf_insn *v2_devices_program(const struct spec_dev_rule *rules, size_t nrules, size_t *n);

/* linux.resources.devices on a new v2 cgroup directory: load the program and attach it.
 * No rules in the spec: nothing is attached. -1 after one line. */
int v2_devices_apply(const char *dir, const struct spec *s);

#endif
