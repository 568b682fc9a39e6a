/* Kernel, initrd and firmware files, mapped read-only while they are copied into the guest. */
#ifndef VMM_IMAGE_FILE_H
#define VMM_IMAGE_FILE_H

#include <stddef.h>
#include <stdint.h>

struct image_file {
	const uint8_t *data;
	size_t size;
};

/* what names the file in messages ("kernel", "initrd"); an empty file is an error. */
int image_file_open(struct image_file *file, const char *path, const char *what);
void image_file_close(struct image_file *file);

#endif
