/*
 * libarchive and libcrypto, loaded on their first use (dlopen) instead of at every start
 * of `container`: with libxml2, ICU and libstdc++ behind libarchive they took ~2.3 ms of
 * CPU and 310 page faults per run of the binary (3.1 ms against 0.8 ms without them),
 * four times in each OCI lifecycle (create, start, state/kill, delete) where neither is
 * used. systemd loads its optional libraries the same way (dlopen_many_sym_or_warn).
 * Include this instead of <archive.h>, <archive_entry.h> and <openssl/evp.h>: each
 * function used is a macro for the pointer in the loaded table, so call sites read as
 * ordinary calls. A library that cannot be loaded is one line and exit status 125.
 */
#ifndef CONTAINER_IMAGE_LAZY_LIBS_H
#define CONTAINER_IMAGE_LAZY_LIBS_H

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

/* Every libarchive function the image code calls: add one here when it needs another. */
#define LAZY_ARCHIVE_FUNCS(X)                                                                      \
	X(archive_entry_filetype)                                                                  \
	X(archive_entry_free)                                                                      \
	X(archive_entry_hardlink)                                                                  \
	X(archive_entry_mtime)                                                                     \
	X(archive_entry_new)                                                                       \
	X(archive_entry_pathname)                                                                  \
	X(archive_entry_rdev)                                                                      \
	X(archive_entry_set_filetype)                                                              \
	X(archive_entry_set_gid)                                                                   \
	X(archive_entry_set_gname)                                                                 \
	X(archive_entry_set_hardlink)                                                              \
	X(archive_entry_set_mtime)                                                                 \
	X(archive_entry_set_pathname)                                                              \
	X(archive_entry_set_perm)                                                                  \
	X(archive_entry_set_size)                                                                  \
	X(archive_entry_set_uid)                                                                   \
	X(archive_entry_set_uname)                                                                 \
	X(archive_entry_size)                                                                      \
	X(archive_entry_sourcepath)                                                                \
	X(archive_entry_symlink)                                                                   \
	X(archive_entry_xattr_add_entry)                                                           \
	X(archive_entry_xattr_clear)                                                               \
	X(archive_entry_xattr_next)                                                                \
	X(archive_entry_xattr_reset)                                                               \
	X(archive_errno)                                                                           \
	X(archive_error_string)                                                                    \
	X(archive_read_data)                                                                       \
	X(archive_read_data_block)                                                                 \
	X(archive_read_disk_descend)                                                               \
	X(archive_read_disk_new)                                                                   \
	X(archive_read_disk_open)                                                                  \
	X(archive_read_disk_set_behavior)                                                          \
	X(archive_read_disk_set_symlink_physical)                                                  \
	X(archive_read_free)                                                                       \
	X(archive_read_new)                                                                        \
	X(archive_read_next_header)                                                                \
	X(archive_read_next_header2)                                                               \
	X(archive_read_open_filename)                                                              \
	X(archive_read_support_filter_all)                                                         \
	X(archive_read_support_format_raw)                                                         \
	X(archive_read_support_format_tar)                                                         \
	X(archive_write_close)                                                                     \
	X(archive_write_data)                                                                      \
	X(archive_write_data_block)                                                                \
	X(archive_write_disk_new)                                                                  \
	X(archive_write_disk_set_options)                                                          \
	X(archive_write_free)                                                                      \
	X(archive_write_header)                                                                    \
	X(archive_write_new)                                                                       \
	X(archive_write_open_filename)                                                             \
	X(archive_write_set_format_pax_restricted)

#define LAZY_CRYPTO_FUNCS(X)                                                                       \
	X(EVP_DigestFinal_ex)                                                                      \
	X(EVP_DigestInit_ex)                                                                       \
	X(EVP_DigestUpdate)                                                                        \
	X(EVP_MD_CTX_free)                                                                         \
	X(EVP_MD_CTX_new)                                                                          \
	X(EVP_sha256)

#define LAZY_POINTER(f) __typeof__(f) *f;
struct lazy_archive {
	LAZY_ARCHIVE_FUNCS(LAZY_POINTER)
};
struct lazy_crypto {
	LAZY_CRYPTO_FUNCS(LAZY_POINTER)
};
#undef LAZY_POINTER

/* The loaded table (the library is opened on the first call). */
const struct lazy_archive *lazy_archive(void);
const struct lazy_crypto *lazy_crypto(void);

#define archive_entry_filetype	       (lazy_archive()->archive_entry_filetype)
#define archive_entry_free	       (lazy_archive()->archive_entry_free)
#define archive_entry_hardlink	       (lazy_archive()->archive_entry_hardlink)
#define archive_entry_mtime	       (lazy_archive()->archive_entry_mtime)
#define archive_entry_new	       (lazy_archive()->archive_entry_new)
#define archive_entry_pathname	       (lazy_archive()->archive_entry_pathname)
#define archive_entry_rdev	       (lazy_archive()->archive_entry_rdev)
#define archive_entry_set_filetype     (lazy_archive()->archive_entry_set_filetype)
#define archive_entry_set_gid	       (lazy_archive()->archive_entry_set_gid)
#define archive_entry_set_gname	       (lazy_archive()->archive_entry_set_gname)
#define archive_entry_set_hardlink     (lazy_archive()->archive_entry_set_hardlink)
#define archive_entry_set_mtime	       (lazy_archive()->archive_entry_set_mtime)
#define archive_entry_set_pathname     (lazy_archive()->archive_entry_set_pathname)
#define archive_entry_set_perm	       (lazy_archive()->archive_entry_set_perm)
#define archive_entry_set_size	       (lazy_archive()->archive_entry_set_size)
#define archive_entry_set_uid	       (lazy_archive()->archive_entry_set_uid)
#define archive_entry_set_uname	       (lazy_archive()->archive_entry_set_uname)
#define archive_entry_size	       (lazy_archive()->archive_entry_size)
#define archive_entry_sourcepath       (lazy_archive()->archive_entry_sourcepath)
#define archive_entry_symlink	       (lazy_archive()->archive_entry_symlink)
#define archive_entry_xattr_add_entry  (lazy_archive()->archive_entry_xattr_add_entry)
#define archive_entry_xattr_clear      (lazy_archive()->archive_entry_xattr_clear)
#define archive_entry_xattr_next       (lazy_archive()->archive_entry_xattr_next)
#define archive_entry_xattr_reset      (lazy_archive()->archive_entry_xattr_reset)
#define archive_errno		       (lazy_archive()->archive_errno)
#define archive_error_string	       (lazy_archive()->archive_error_string)
#define archive_read_data	       (lazy_archive()->archive_read_data)
#define archive_read_data_block	       (lazy_archive()->archive_read_data_block)
#define archive_read_disk_descend      (lazy_archive()->archive_read_disk_descend)
#define archive_read_disk_new	       (lazy_archive()->archive_read_disk_new)
#define archive_read_disk_open	       (lazy_archive()->archive_read_disk_open)
#define archive_read_disk_set_behavior (lazy_archive()->archive_read_disk_set_behavior)
#define archive_read_disk_set_symlink_physical                                                     \
	(lazy_archive()->archive_read_disk_set_symlink_physical)
#define archive_read_free		(lazy_archive()->archive_read_free)
#define archive_read_new		(lazy_archive()->archive_read_new)
#define archive_read_next_header	(lazy_archive()->archive_read_next_header)
#define archive_read_next_header2	(lazy_archive()->archive_read_next_header2)
#define archive_read_open_filename	(lazy_archive()->archive_read_open_filename)
#define archive_read_support_filter_all (lazy_archive()->archive_read_support_filter_all)
#define archive_read_support_format_raw (lazy_archive()->archive_read_support_format_raw)
#define archive_read_support_format_tar (lazy_archive()->archive_read_support_format_tar)
#define archive_write_close		(lazy_archive()->archive_write_close)
#define archive_write_data		(lazy_archive()->archive_write_data)
#define archive_write_data_block	(lazy_archive()->archive_write_data_block)
#define archive_write_disk_new		(lazy_archive()->archive_write_disk_new)
#define archive_write_disk_set_options	(lazy_archive()->archive_write_disk_set_options)
#define archive_write_free		(lazy_archive()->archive_write_free)
#define archive_write_header		(lazy_archive()->archive_write_header)
#define archive_write_new		(lazy_archive()->archive_write_new)
#define archive_write_open_filename	(lazy_archive()->archive_write_open_filename)
#define archive_write_set_format_pax_restricted                                                    \
	(lazy_archive()->archive_write_set_format_pax_restricted)
#define EVP_DigestFinal_ex (lazy_crypto()->EVP_DigestFinal_ex)
#define EVP_DigestInit_ex  (lazy_crypto()->EVP_DigestInit_ex)
#define EVP_DigestUpdate   (lazy_crypto()->EVP_DigestUpdate)
#define EVP_MD_CTX_free	   (lazy_crypto()->EVP_MD_CTX_free)
#define EVP_MD_CTX_new	   (lazy_crypto()->EVP_MD_CTX_new)
#define EVP_sha256	   (lazy_crypto()->EVP_sha256)

#endif
