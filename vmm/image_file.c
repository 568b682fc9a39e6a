#include "image_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int image_file_open(struct image_file *file, const char *path, const char *what)
{
	*file = (struct image_file){0};
	/* O_NONBLOCK: opening a FIFO (or a tty) must not wait for a writer; fstat refuses it next.
	 */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return vmm_err("cannot open %s %s: %s", what, path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return vmm_err("%s %s is not a regular file", what, path);
	}
	if (st.st_size == 0) {
		close(fd);
		return vmm_err("%s %s is empty", what, path);
	}
	/* Mapped, not read: the pages leave vmm's memory once the guest has its copy. */
	void *data = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED)
		return vmm_err("cannot map %s %s: %s", what, path, strerror(errno));
	file->data = data;
	file->size = st.st_size;
	return 0;
}

void image_file_close(struct image_file *file)
{
	if (file->data)
		munmap((void *)file->data, file->size);
	*file = (struct image_file){0};
}
