/* cpio.h - writer of "newc" cpio archives (magic 070701) as the Linux initramfs unpacker reads
 * them: packs files into a guest initramfs, alone or as an archive appended to another one. */
#ifndef VSNDTRACE_CPIO_H
#define VSNDTRACE_CPIO_H

#include <stdint.h>
#include <stdio.h>

/* Format (Linux Documentation/driver-api/early-userspace/buffer-format.rst): each entry is a
 * 110-byte ASCII header "070701" + 13 fields of 8 hex digits (ino, mode, uid, gid, nlink,
 * mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize incl. NUL, check=0),
 * then the name and its NUL padded with zeros to a multiple of 4 bytes, then the data padded
 * to a multiple of 4. The archive ends with the entry "TRAILER!!!", so every archive this
 * writer produces is a multiple of 4 bytes long and archives can simply be concatenated.
 *
 * Names are stored without a leading "/" or "./" (as the kernel's gen_init_cpio does). The
 * unpacker does not create missing parent directories: add them first with add_dir. Owner
 * is always 0:0, nlink 1 (2 for directories), inode numbers count up from 1 per archive. */

/* Largest name accepted, without its NUL (the kernel refuses names of PATH_MAX or more). */
#define VSND_CPIO_NAME_MAX 4095

struct vsnd_cpio {
	FILE *out;       /* not owned */
	uint64_t offset; /* bytes written so far */
	uint32_t next_ino;
	uint32_t mtime;  /* stored in every entry */
	int error;       /* first negative errno; once set, every call returns it */
	int finished;
};

/* Starts an archive written to `out` at its current position; every entry gets `mtime`. */
void vsnd_cpio_init(struct vsnd_cpio *c, FILE *out, uint32_t mtime);

/* Each add returns 0 or a negative errno: -EINVAL for an empty, "."/"..", too long name or a
 * permission outside 07777, -EFBIG for a file of 4 GiB or more, -EIO/-errno for I/O errors.
 * `perm` is the permission bits only; the file type comes from the call. */
int vsnd_cpio_add_dir(struct vsnd_cpio *c, const char *name, uint32_t perm);
int vsnd_cpio_add_chardev(struct vsnd_cpio *c, const char *name, uint32_t perm, uint32_t major,
			  uint32_t minor);
int vsnd_cpio_add_data(struct vsnd_cpio *c, const char *name, uint32_t perm, const void *data,
		       uint64_t size);
/* A regular file whose contents are read from `host_path` (streamed, any size below 4 GiB). */
int vsnd_cpio_add_path(struct vsnd_cpio *c, const char *name, uint32_t perm,
		       const char *host_path);

/* Writes the trailer and flushes. Returns 0 or the first error of the whole archive. */
int vsnd_cpio_finish(struct vsnd_cpio *c);

/* "initramfs with audio": writes `out_path` = the archive `base_path` (copied unchanged; it
 * must start with a newc header and be a multiple of 4 bytes long) followed by a second
 * archive holding `host_path` as `name` (mode 0644). The output is written to a temporary
 * file and renamed into place. Returns 0 or a negative errno (-EINVAL for a bad base). */
int vsnd_cpio_make_initrd(const char *out_path, const char *base_path, const char *name,
			  const char *host_path, uint32_t mtime);

#endif
