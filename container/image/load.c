/* `container image load DIR|TAR [NAME[:TAG]]`: an OCI layout or a docker-archive, unpacked. */
#include "image.h"
#include "layer.h"
#include "load.h"
#include "../util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool has(const char *dir, const char *file)
{
	char *p = xasprintf("%s/%s", dir, file);
	bool ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

static int load_dir(struct txn *t, const char *dir, const char *ref, const char *label)
{
	if (has(dir, "oci-layout") && has(dir, "index.json"))
		return load_oci_layout(t, dir, ref, label);
	if (has(dir, "manifest.json"))
		return load_docker_archive(t, dir, ref, label);
	return err_ret("%s: neither an OCI image layout (oci-layout, index.json) nor a "
		       "docker-archive (manifest.json)",
		       label);
}

int image_load(struct store *s, const char *src, const char *ref)
{
	struct stat st;
	if (stat(src, &st) < 0)
		return err_ret("cannot load %s: %s", src, strerror(errno));
	if (ref && !valid_ref(ref))
		return err_ret("bad image name '%s' (lowercase NAME[:TAG])", ref);
	struct txn t;
	if (txn_begin(&t, s) < 0) {
		txn_abort(&t);
		return -1;
	}
	int rc = 0;
	char *dir = NULL;
	if (S_ISDIR(st.st_mode)) {
		dir = realpath(src, NULL);
	} else {
		/* An archive (podman save, docker save, oci-archive): unpacked as safely as a
		 * layer. */
		dir = xasprintf("%s/archive", t.dir);
		rc = mkdir(dir, 0700) < 0 ? err_ret("mkdir: %s", strerror(errno))
					  : layer_unpack(src, dir);
	}
	if (rc == 0)
		rc = dir ? load_dir(&t, dir, ref, src) : err_ret("%s: %s", src, strerror(errno));
	free(dir);
	if (rc == 0) {
		/* The unpacked archive is no part of the store. */
		char *archive = xasprintf("%s/archive", t.dir);
		remove_tree(archive);
		free(archive);
		rc = txn_commit(&t);
	} else {
		txn_abort(&t);
	}
	return rc;
}
