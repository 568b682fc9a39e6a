/*
 * `container image export-disk IMAGE FILE`: the image the container runs, flattened, as an
 * ext4 disk for vmm (mkfs.ext4 -d, no loop device). The layers are flattened by overlayfs
 * itself (read-only, in a private mount namespace of a child), so whiteouts mean what they
 * mean in the container.
 */
#include "config.h"
#include "image.h"
#include "../util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *lowerdir_option(const struct store *s, const struct image *img)
{
	char *opt = xstrdup("lowerdir=");
	/* overlayfs lists the top layer first. */
	for (size_t i = image_nlayers(img); i-- > 0;) {
		char *p = store_layer_path(s, image_diff_id(img, i));
		char *next = xasprintf("%s%s%s", opt, p, i ? ":" : "");
		free(opt);
		free(p);
		opt = next;
	}
	return opt;
}

/* In the child: the flattened tree at mnt, then mkfs.ext4 -d of it. */
__attribute__((noreturn)) static void flatten_and_mkfs(const char *opt, const char *mnt,
						       const char *file, long long kib)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("export-disk: private mount namespace: %s", strerror(errno));
	if (strchr(opt, ':') && mount("overlay", mnt, "overlay", MS_RDONLY, opt) < 0)
		die("export-disk: cannot flatten the layers: %s", strerror(errno));
	char size[32];
	snprintf(size, sizeof(size), "%lldk", kib);
	const char *src = strchr(opt, ':') ? mnt : opt + strlen("lowerdir=");
	execlp("mkfs.ext4", "mkfs.ext4", "-q", "-F", "-L", "isolab", "-d", src, file, size,
	       (char *)NULL);
	die("export-disk: mkfs.ext4: %s (apt-get install e2fsprogs)", strerror(errno));
}

int image_export_disk(struct store *s, const char *ref, const char *file)
{
	struct image img;
	if (image_open(s, ref, &img) < 0)
		return -1;
	int rc = 0;
	if (image_nlayers(&img) == 0)
		rc = err_ret("image %s has no layers", ref);
	else if (geteuid() != 0 && image_nlayers(&img) > 1)
		rc = err_ret("export-disk of a multi-layer image needs root (an overlay mount)");
	long long bytes = 0;
	for (size_t i = 0; i < image_nlayers(&img); i++) {
		char *p = store_layer_path(s, image_diff_id(&img, i));
		bytes += tree_bytes(p);
		free(p);
	}
	/* Room for ext4's metadata and a little for the guest to write. */
	long long kib = bytes / 1024 * 5 / 4 + 16384;
	/* mkfs.ext4 announces a file it has to create: make it here. */
	int fd = rc == 0 ? open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
	if (rc == 0 && fd < 0)
		rc = err_ret("export-disk: cannot create %s: %s", file, strerror(errno));
	if (fd >= 0)
		close(fd);
	char *opt = lowerdir_option(s, &img);
	char *mnt = xasprintf("%s/tmp/export-XXXXXX", s->root);
	if (rc == 0 && !mkdtemp(mnt))
		rc = err_ret("mkdtemp: %s", strerror(errno));
	pid_t pid = rc == 0 ? fork() : -1;
	if (pid == 0)
		flatten_and_mkfs(opt, mnt, file, kib);
	int st = 0;
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		printf("%s: %lld KiB ext4 of %s (%zu layers)\n", file, kib, ref,
		       image_nlayers(&img));
	else if (rc == 0)
		rc = err_ret("export-disk: mkfs.ext4 failed for %s", file);
	if (pid != 0)
		rmdir(mnt);
	free(mnt);
	free(opt);
	image_close(&img);
	return rc;
}
