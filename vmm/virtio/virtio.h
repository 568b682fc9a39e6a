/*
 * The virtio device layer as the rest of vmm sees it: add devices while the
 * machine is being built, start them once, shut down on any exit. Every
 * device hangs off its struct vm (vm_virtio_devices), so a process can hold
 * several VMs.
 * Every *_add prints one "vmm: ..." line and returns VIRTIO_BAD_SPEC when the
 * option's value is malformed (a usage error) or -1 when the device cannot
 * be had, leaving nothing behind (no TAP, no open file, no bus entry).
 */
#ifndef VMM_VIRTIO_H
#define VMM_VIRTIO_H

#include <stdbool.h>
#include <stdio.h>

struct vm;

#define VIRTIO_BAD_SPEC (-2)

/* "PATH[,ro][,direct]". The first disk added becomes /dev/vda. */
int virtio_blk_add(struct vm *vm, const char *spec);
/* "tap[,name=NAME][,bridge=BR][,mac=MAC]". */
int virtio_net_add(struct vm *vm, const char *spec);
int virtio_rng_add(struct vm *vm);
/* hvc0: guest output goes to out_fd, in_fd (or -1 for none) feeds guest input. */
int virtio_console_add(struct vm *vm, int in_fd, int out_fd);
/* "cid=N" (N >= 3), through the host's /dev/vhost-vsock. */
int virtio_vsock_add(struct vm *vm, const char *spec);

/* The kernel command line that mounts the first disk as root ("root=/dev/vda rw"). */
const char *virtio_blk_root_cmdline(struct vm *vm);
/*
 * Live migration hands the disks' flocks over: the source unlocks them once
 * its guest is paused for good, the target (vm_incoming: opened without
 * them) locks them before its guest runs. lock: -1 after a message when a
 * disk is in use by another process.
 */
int virtio_blk_lock_disks(struct vm *vm, bool lock);
/*
 * Live migration hands each TAP over as an fd (SCM_RIGHTS), so the TAP
 * never closes (one vmm created goes with its last fd) and whichever side
 * runs the guest holds it; the source keeps its own until it exits.
 * virtio_net_tap_fd: net device index's fd, or -1 past the last one.
 * virtio_net_adopt_tap: on an incoming VM (whose net devices open nothing),
 * net device index takes fd for good; -1 after a message (fd closed) when
 * it is no TAP with virtio headers, or not the one its --net name= says.
 */
int virtio_net_tap_fd(struct vm *vm, unsigned index);
int virtio_net_adopt_tap(struct vm *vm, unsigned index, int fd);

/* After every device is added: starts the VM's event loop. -1 with a message on failure. */
int virtio_start(struct vm *vm);
/*
 * Snapshot and migration (state.c): stops every device touching guest memory
 * (requests in flight complete first, vhost stops, kicks and host input
 * wait) until virtio_resume, so that guest RAM and the device sections saved
 * meanwhile agree. Call with the vCPUs paused, before saving RAM and the
 * sections; resume when the VM runs on. Each device's section saves through
 * its bus device's save hook (virtio_dev_save) and loads with virtio_dev_load,
 * after guest RAM and the irqchip are in place.
 */
void virtio_pause(struct vm *vm);
void virtio_resume(struct vm *vm);
/*
 * Stops the VM's event loop, closes and frees its devices, removes the TAPs
 * vmm created. Idempotent.
 */
void virtio_shutdown(struct vm *vm);
/*
 * Per device, as "virtio_blk0_requests: N" lines: requests, bytes,
 * notifications received, interrupts sent. Each device also registers
 * these lines with vm_add_stats_hook, so --stats prints them by itself.
 */
void virtio_print_stats(struct vm *vm, FILE *out);
/* Negotiated features and queue positions per device, for the monitor. */
bool virtio_has_devices(struct vm *vm);
void virtio_print_info(struct vm *vm, FILE *out);

#endif
