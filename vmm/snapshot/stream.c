#include "stream.h"

#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void snap_writer_init(struct snap_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void snap_writer_free(struct snap_writer *w)
{
	free(w->data);
	snap_writer_init(w);
}

int snap_put(struct snap_writer *w, const void *data, size_t len)
{
	if (w->failed)
		return -1;
	if (len > w->cap - w->len) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap - w->len < len) {
			if (cap > SIZE_MAX / 2) {
				w->failed = true;
				return -1;
			}
			cap *= 2;
		}
		uint8_t *grown = realloc(w->data, cap);
		if (!grown) {
			w->failed = true;
			return -1;
		}
		w->data = grown;
		w->cap = cap;
	}
	if (len)
		memcpy(w->data + w->len, data, len);
	w->len += len;
	return 0;
}

int snap_put_u8(struct snap_writer *w, uint8_t v)
{
	return snap_put(w, &v, 1);
}

int snap_put_u16(struct snap_writer *w, uint16_t v)
{
	uint16_t le = htole16(v);
	return snap_put(w, &le, sizeof(le));
}

int snap_put_u32(struct snap_writer *w, uint32_t v)
{
	uint32_t le = htole32(v);
	return snap_put(w, &le, sizeof(le));
}

int snap_put_u64(struct snap_writer *w, uint64_t v)
{
	uint64_t le = htole64(v);
	return snap_put(w, &le, sizeof(le));
}

void snap_reader_init(struct snap_reader *r, const void *data, size_t len, const char *what)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
	r->what = what;
}

int snap_bad(const struct snap_reader *r, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vmm: snapshot: %s: ", r->what ? r->what : "state");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

int snap_get(struct snap_reader *r, void *data, size_t len)
{
	if (len > r->len - r->pos)
		return snap_bad(r, "section ends after %zu bytes, %zu more expected at offset %zu",
				r->len, len, r->pos);
	if (len)
		memcpy(data, r->data + r->pos, len);
	r->pos += len;
	return 0;
}

int snap_get_u8(struct snap_reader *r, uint8_t *v)
{
	return snap_get(r, v, 1);
}

int snap_get_u16(struct snap_reader *r, uint16_t *v)
{
	uint16_t le = 0;
	if (snap_get(r, &le, sizeof(le)) < 0)
		return -1;
	*v = le16toh(le);
	return 0;
}

int snap_get_u32(struct snap_reader *r, uint32_t *v)
{
	uint32_t le = 0;
	if (snap_get(r, &le, sizeof(le)) < 0)
		return -1;
	*v = le32toh(le);
	return 0;
}

int snap_get_u64(struct snap_reader *r, uint64_t *v)
{
	uint64_t le = 0;
	if (snap_get(r, &le, sizeof(le)) < 0)
		return -1;
	*v = le64toh(le);
	return 0;
}

int snap_reader_done(const struct snap_reader *r)
{
	if (r->pos != r->len)
		return snap_bad(r, "%zu bytes left over of %zu: saved by another layout",
				r->len - r->pos, r->len);
	return 0;
}

int snap_get_version(struct snap_reader *r, uint32_t want)
{
	uint32_t version;
	if (snap_get_u32(r, &version) < 0)
		return -1;
	if (version != want)
		return snap_bad(r, "layout version %u, this vmm reads %u", version, want);
	return 0;
}

int snap_put_blob(struct snap_writer *w, const void *data, uint32_t len)
{
	if (snap_put_u32(w, len) < 0)
		return -1;
	return snap_put(w, data, len);
}

int snap_get_blob(struct snap_reader *r, void *data, uint32_t len)
{
	uint32_t saved;
	if (snap_get_u32(r, &saved) < 0)
		return -1;
	if (saved != len)
		return snap_bad(r, "a %u-byte record where this vmm keeps %u bytes: another layout",
				saved, len);
	return snap_get(r, data, len);
}
