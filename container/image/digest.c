/* sha256 through libcrypto's EVP interface. */
#include "digest.h"
#include "lazy_libs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int sha256_begin(struct sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		errno = ENOMEM;
		return -1;
	}
	h->ctx = ctx;
	return 0;
}

void sha256_update(struct sha256 *h, const void *buf, size_t len)
{
	EVP_DigestUpdate(h->ctx, buf, len);
}

void sha256_end(struct sha256 *h, char out[DIGEST_LEN])
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_DigestFinal_ex(h->ctx, md, &n);
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

void sha256_buf(const void *buf, size_t len, char out[DIGEST_LEN])
{
	struct sha256 h;
	if (sha256_begin(&h) < 0) {
		out[0] = '\0';
		return;
	}
	sha256_update(&h, buf, len);
	sha256_end(&h, out);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int sha256_copy(int in, int out, char digest[DIGEST_LEN], long long *size)
{
	struct sha256 h;
	if (sha256_begin(&h) < 0)
		return -1;
	static const size_t bufsize = 1 << 16;
	char buf[1 << 16];
	long long total = 0;
	for (;;) {
		ssize_t n = read(in, buf, bufsize);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && out >= 0 && write_all(out, buf, (size_t)n) < 0)) {
			int e = errno;
			sha256_end(&h, digest);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		sha256_update(&h, buf, (size_t)n);
		total += n;
	}
	sha256_end(&h, digest);
	if (size)
		*size = total;
	return 0;
}

int sha256_file(const char *path, char digest[DIGEST_LEN], long long *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = sha256_copy(fd, -1, digest, size);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

bool digest_valid(const char *d)
{
	if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return false;
	return strspn(d + 7, "0123456789abcdef") == 64;
}

const char *digest_hex(const char *d)
{
	return strncmp(d, "sha256:", 7) == 0 ? d + 7 : d;
}
