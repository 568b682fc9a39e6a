/* Host side of virtio-net: a TAP device, configured over rtnetlink (libmnl). */
#ifndef VMM_VIRTIO_TAP_H
#define VMM_VIRTIO_TAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct tap {
	int fd;
	char name[IFNAMSIZ];
	bool created;	   /* vmm made it: it disappears when fd closes */
	unsigned offloads; /* TUN_F_* the TAP accepted when probed */
};

/* Opens (or creates) the TAP with a virtio_net_hdr_v1 on every packet. One-line errors. */
int tap_open(struct tap *t, const char *name);
void tap_close(struct tap *t);
/*
 * Takes fd, opened by another vmm (a migration's source), as t: it must be
 * a TAP with virtio headers, and named want unless want is "". -1 after a
 * message, fd left to the caller.
 */
int tap_adopt(struct tap *t, int fd, const char *want);
/* Brings the link up, and either gives it addr/prefix or enslaves it to bridge. */
int tap_configure(struct tap *t, uint32_t addr_be, unsigned prefix, const char *bridge);
/* True when no host interface has an IPv4 address inside net_be/24. */
bool tap_subnet_free(uint32_t net_be);
bool tap_is_bridge(const char *name);

#endif
