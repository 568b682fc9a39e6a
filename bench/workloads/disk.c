/*
 * bench-disk: sequential 1 MiB and random 4 KiB reads and writes on one
 * file or block device. It asks for O_DIRECT so the page cache does not
 * answer for the disk; where the filesystem refuses (tmpfs, some overlay
 * setups) it says so and falls back to fsync after writes and dropping the
 * file's cached pages before reads. Every block read back is checked.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static const char prog[] = "bench-disk";
static const char usage[] =
    "--file PATH [--size BYTES] [--time SECONDS] [--allow-device]\n"
    "  PATH must not exist (it is created and removed), or be a block device\n"
    "  with --allow-device (its contents are overwritten)";

#define SEQ_BLOCK  (1u << 20)
#define RAND_BLOCK 4096u

struct disk {
	const char *path;
	int fd;
	int direct;
	int is_device;
	uint64_t size;	    /* bytes used, a multiple of SEQ_BLOCK */
	double seconds;	    /* per random test */
	uint32_t *gen;	    /* generation last written to each 4 KiB block */
	unsigned char *buf; /* SEQ_BLOCK bytes, aligned for O_DIRECT */
	uint64_t bad_blocks;
};

static void fill_block(unsigned char *p, uint64_t block, uint32_t gen)
{
	uint64_t *w = (uint64_t *)p;

	for (unsigned i = 0; i < RAND_BLOCK / 8; i++)
		w[i] = (block << 24 | gen) * 0x9E3779B97F4A7C15ull + i;
}

static void check_block(struct disk *d, const unsigned char *p, uint64_t block)
{
	uint64_t want[RAND_BLOCK / 8];

	fill_block((unsigned char *)want, block, d->gen[block]);
	if (memcmp(want, p, RAND_BLOCK))
		d->bad_blocks++;
}

static void io_at(struct disk *d, int write, size_t len, uint64_t off)
{
	ssize_t n =
	    write ? pwrite(d->fd, d->buf, len, (off_t)off) : pread(d->fd, d->buf, len, (off_t)off);

	if (n != (ssize_t)len)
		die(prog, "%s %s at %llu: %s", write ? "write" : "read", d->path,
		    (unsigned long long)off, n < 0 ? strerror(errno) : "short transfer");
}

/* Without O_DIRECT, make the next reads come from the device, not memory. */
static void settle(struct disk *d)
{
	if (fsync(d->fd))
		die(prog, "fsync %s: %s", d->path, strerror(errno));
	if (!d->direct)
		posix_fadvise(d->fd, 0, (off_t)d->size, POSIX_FADV_DONTNEED);
}

static void sequential(struct disk *d, int write)
{
	uint64_t t0 = now_ns(), elapsed;

	for (uint64_t off = 0; off < d->size; off += SEQ_BLOCK) {
		uint64_t first = off / RAND_BLOCK;

		for (unsigned b = 0; write && b < SEQ_BLOCK / RAND_BLOCK; b++)
			fill_block(d->buf + b * RAND_BLOCK, first + b, d->gen[first + b]);
		io_at(d, write, SEQ_BLOCK, off);
		for (unsigned b = 0; !write && b < SEQ_BLOCK / RAND_BLOCK; b++)
			check_block(d, d->buf + b * RAND_BLOCK, first + b);
	}
	if (write)
		settle(d);
	elapsed = now_ns() - t0;
	report_f(write ? "seq_write_mb_per_s" : "seq_read_mb_per_s",
		 d->size / 1e6 / (elapsed / 1e9));
}

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static void random_io(struct disk *d, int write)
{
	uint64_t blocks = d->size / RAND_BLOCK, seed = write ? 0x1234567 : 0x7654321, ops = 0;
	uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(d->seconds * 1e9), elapsed;

	do {
		uint64_t block = next_random(&seed) % blocks;

		if (write)
			fill_block(d->buf, block, ++d->gen[block]);
		io_at(d, write, RAND_BLOCK, block * RAND_BLOCK);
		if (!write)
			check_block(d, d->buf, block);
		ops++;
	} while (now_ns() < deadline);
	if (write)
		settle(d);
	elapsed = now_ns() - t0;
	report_u64(write ? "rand_write_ops" : "rand_read_ops", ops);
	report_f(write ? "rand_write_iops" : "rand_read_iops", ops / (elapsed / 1e9));
}

static int open_target(struct disk *d, int allow_device, uint64_t want)
{
	struct stat st;
	int flags = O_RDWR | O_CLOEXEC;

	if (stat(d->path, &st) == 0) {
		uint64_t dev_size = 0;

		if (!S_ISBLK(st.st_mode) || !allow_device)
			die(prog,
			    "%s exists; give a new path (or a block device with --allow-device)",
			    d->path);
		d->is_device = 1;
		d->fd = open(d->path, flags | O_DIRECT);
		d->direct = d->fd >= 0;
		if (d->fd < 0)
			d->fd = open(d->path, flags);
		if (d->fd < 0 || ioctl(d->fd, BLKGETSIZE64, &dev_size))
			die(prog, "%s: %s", d->path, strerror(errno));
		if (dev_size < want)
			want = dev_size;
	} else {
		/* Create first, then ask for O_DIRECT: a file system that refuses
		 * it (tmpfs before 6.6) does so after the file already exists. */
		int direct;

		d->fd = open(d->path, flags | O_CREAT | O_EXCL, 0600);
		if (d->fd < 0)
			die(prog, "cannot create %s: %s", d->path, strerror(errno));
		direct = open(d->path, flags | O_DIRECT);
		d->direct = direct >= 0;
		if (d->direct) {
			close(d->fd);
			d->fd = direct;
		}
	}
	d->size = want / SEQ_BLOCK * SEQ_BLOCK;
	if (d->size == 0)
		die(prog, "%s: need at least 1 MiB", d->path);
	return d->fd;
}

/* Some filesystems accept O_DIRECT at open and refuse it at the first I/O. */
static void probe_direct(struct disk *d)
{
	memset(d->buf, 0, RAND_BLOCK);
	if (!d->direct || pwrite(d->fd, d->buf, RAND_BLOCK, 0) == RAND_BLOCK)
		return;
	if (errno != EINVAL)
		die(prog, "write %s: %s", d->path, strerror(errno));
	fcntl(d->fd, F_SETFL, fcntl(d->fd, F_GETFL) & ~O_DIRECT);
	d->direct = 0;
}

/* Names the filesystem, so "direct: yes" on tmpfs is not read as a disk figure. */
static const char *fs_name(int fd)
{
	static char hex[32];
	struct statfs sf;

	if (fstatfs(fd, &sf))
		return "unknown";
	switch ((unsigned long)sf.f_type) {
	case TMPFS_MAGIC:
		return "tmpfs (memory)";
	case EXT4_SUPER_MAGIC:
		return "ext2/3/4";
	case OVERLAYFS_SUPER_MAGIC:
		return "overlayfs";
	case XFS_SUPER_MAGIC:
		return "xfs";
	case BTRFS_SUPER_MAGIC:
		return "btrfs";
	case RAMFS_MAGIC:
		return "ramfs (memory)";
	case BDEVFS_MAGIC:
		return "block device";
	}
	snprintf(hex, sizeof(hex), "0x%lx", (unsigned long)sf.f_type);
	return hex;
}

static void parse_args(int argc, char **argv, struct disk *d, uint64_t *size, int *allow_device)
{
	static const struct option opts[] = {
	    {"file", required_argument, NULL, 'f'}, {"size", required_argument, NULL, 's'},
	    {"time", required_argument, NULL, 't'}, {"allow-device", no_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},	    {0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			d->path = optarg;
			break;
		case 's':
			*size = parse_size(prog, "--size", optarg, SEQ_BLOCK, 1ull << 40);
			break;
		case 't':
			d->seconds = parse_seconds(prog, "--time", optarg);
			break;
		case 'd':
			*allow_device = 1;
			break;
		default:
			usage_error(prog, usage);
		}
	}
	if (optind != argc)
		die(prog, "unexpected argument '%s'", argv[optind]);
	if (!d->path)
		usage_error(prog, usage);
}

int main(int argc, char **argv)
{
	struct disk d = {.seconds = 2};
	uint64_t size = 256u << 20, start;
	int allow_device = 0;
	void *buf;

	parse_args(argc, argv, &d, &size, &allow_device);
	open_target(&d, allow_device, size);
	d.gen = calloc(d.size / RAND_BLOCK, sizeof(*d.gen));
	if (!d.gen || posix_memalign(&buf, 4096, SEQ_BLOCK))
		die(prog, "out of memory");
	d.buf = buf;
	probe_direct(&d);
	report_begin("disk");
	start = now_ns();
	report_str("target", d.is_device ? "block device" : "file");
	report_str("fs", d.is_device ? "block device" : fs_name(d.fd));
	report_str("direct", d.direct ? "yes" : "no");
	report_str("cache",
		   d.direct ? "O_DIRECT: page cache bypassed"
			    : "O_DIRECT refused: fsync after writes, cache dropped before reads");
	report_u64("size_bytes", d.size);
	sequential(&d, 1);
	sequential(&d, 0);
	random_io(&d, 1);
	if (!d.direct)
		posix_fadvise(d.fd, 0, (off_t)d.size, POSIX_FADV_DONTNEED);
	random_io(&d, 0);
	report_u64("bad_blocks", d.bad_blocks);
	report_f("elapsed_s", (now_ns() - start) / 1e9);
	report_str("verified", d.bad_blocks ? "no" : "yes");
	report_end("disk");
	close(d.fd);
	if (!d.is_device)
		unlink(d.path);
	free(d.gen);
	free(buf);
	return d.bad_blocks ? 1 : 0;
}
