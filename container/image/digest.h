/* sha256 digests in the OCI spelling "sha256:<64 hex>", through libcrypto. */
#ifndef CONTAINER_IMAGE_DIGEST_H
#define CONTAINER_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_LEN 72 /* "sha256:" + 64 hex + NUL */

struct sha256 {
	void *ctx; /* EVP_MD_CTX */
};

int sha256_begin(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *buf, size_t len);
/* Writes "sha256:..." and frees the context. */
void sha256_end(struct sha256 *h, char out[DIGEST_LEN]);
void sha256_buf(const void *buf, size_t len, char out[DIGEST_LEN]);
/* Copy in to out (out may be -1: hash only); 0, or -1 with errno set. */
int sha256_copy(int in, int out, char digest[DIGEST_LEN], long long *size);
int sha256_file(const char *path, char digest[DIGEST_LEN], long long *size);
/* "sha256:" and 64 lowercase hex digits, nothing else (a digest becomes a file name). */
bool digest_valid(const char *d);
/* The hex part, or the whole string when it has no "sha256:" prefix. */
const char *digest_hex(const char *d);

#endif
