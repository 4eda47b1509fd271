/* cpio.c - newc cpio archive writer (see cpio.h): headers, name and data padding, trailer.
 * Used by guest/mkcpio and by `vsndtrace record` to put an audio file into the initramfs. */
#include "vsndtrace/cpio.h"

#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define CPIO_HDR_LEN 110
#define CPIO_TRAILER "TRAILER!!!"

void vsnd_cpio_init(struct vsnd_cpio *c, FILE *out, uint32_t mtime)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	c->next_ino = 1;
	c->mtime = mtime;
}

static int fail(struct vsnd_cpio *c, int err)
{
	if (!c->error)
		c->error = err;
	return c->error;
}

static int put(struct vsnd_cpio *c, const void *buf, size_t len)
{
	errno = 0;
	if (len && fwrite(buf, 1, len, c->out) != len)
		return fail(c, errno ? -errno : -EIO);
	c->offset += len;
	return 0;
}

/* Zero bytes up to the next multiple of 4 of the archive offset. */
static int pad4(struct vsnd_cpio *c)
{
	static const char zeros[4];
	return put(c, zeros, (size_t)((4 - (c->offset & 3)) & 3));
}

/* Strips a leading "/" or "./" (repeatedly) and checks what remains; NULL if unusable. */
static const char *clean_name(const char *name)
{
	for (;;) {
		if (name[0] == '/')
			name++;
		else if (name[0] == '.' && name[1] == '/')
			name += 2;
		else
			break;
	}
	size_t len = strlen(name);
	if (len == 0 || len > VSND_CPIO_NAME_MAX || strcmp(name, CPIO_TRAILER) == 0)
		return NULL;
	/* No "." or ".." component anywhere, no empty component ("a//b", trailing "/"). */
	const char *p = name;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return NULL;
		p += n;
		if (*p == '/' && *++p == '\0')
			return NULL;
	}
	return name;
}

/* Header + name + name padding. `name` is already clean (or the trailer). */
static int put_header(struct vsnd_cpio *c, const char *name, uint32_t mode, uint32_t nlink,
		      uint32_t filesize, uint32_t rmajor, uint32_t rminor)
{
	char hdr[CPIO_HDR_LEN + 1];
	uint32_t namesize = (uint32_t)strlen(name) + 1;
	uint32_t ino = strcmp(name, CPIO_TRAILER) == 0 ? 0 : c->next_ino++;
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino, mode, 0u, 0u,
		 nlink, c->mtime, filesize, 0u, 0u, rmajor, rminor, namesize, 0u);
	if (put(c, hdr, CPIO_HDR_LEN) || put(c, name, namesize))
		return c->error;
	return pad4(c);
}

static int begin(struct vsnd_cpio *c, const char **name, uint32_t perm)
{
	if (c->error)
		return c->error;
	if (c->finished)
		return fail(c, -EINVAL);
	if (perm & ~07777u)
		return -EINVAL;
	*name = clean_name(*name);
	return *name ? 0 : -EINVAL;
}

int vsnd_cpio_add_dir(struct vsnd_cpio *c, const char *name, uint32_t perm)
{
	int r = begin(c, &name, perm);
	if (r)
		return r;
	return put_header(c, name, S_IFDIR | perm, 2, 0, 0, 0);
}

int vsnd_cpio_add_chardev(struct vsnd_cpio *c, const char *name, uint32_t perm, uint32_t major,
			  uint32_t minor)
{
	int r = begin(c, &name, perm);
	if (r)
		return r;
	return put_header(c, name, S_IFCHR | perm, 1, 0, major, minor);
}

int vsnd_cpio_add_data(struct vsnd_cpio *c, const char *name, uint32_t perm, const void *data,
		       uint64_t size)
{
	int r = begin(c, &name, perm);
	if (r)
		return r;
	if (size > 0xffffffffu)
		return -EFBIG;
	if (put_header(c, name, S_IFREG | perm, 1, (uint32_t)size, 0, 0) ||
	    put(c, data, (size_t)size))
		return c->error;
	return pad4(c);
}

int vsnd_cpio_add_path(struct vsnd_cpio *c, const char *name, uint32_t perm,
		       const char *host_path)
{
	int r = begin(c, &name, perm);
	if (r)
		return r;
	FILE *in = fopen(host_path, "rb");
	if (!in)
		return -errno;
	struct stat st;
	if (fstat(fileno(in), &st) != 0) {
		r = -errno;
		fclose(in);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		fclose(in);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	if ((uint64_t)st.st_size > 0xffffffffu) {
		fclose(in);
		return -EFBIG;
	}
	uint32_t size = (uint32_t)st.st_size;
	if (put_header(c, name, S_IFREG | perm, 1, size, 0, 0)) {
		fclose(in);
		return c->error;
	}
	char buf[65536];
	uint32_t left = size;
	while (left) {
		size_t want = left < sizeof(buf) ? left : sizeof(buf);
		size_t got = fread(buf, 1, want, in);
		if (got == 0) {
			/* The file shrank under us: the header already promised `size` bytes. */
			int err = ferror(in) ? -EIO : -ENODATA;
			fclose(in);
			return fail(c, err);
		}
		if (put(c, buf, got)) {
			fclose(in);
			return c->error;
		}
		left -= (uint32_t)got;
	}
	fclose(in);
	return pad4(c);
}

int vsnd_cpio_finish(struct vsnd_cpio *c)
{
	if (c->error)
		return c->error;
	if (c->finished)
		return fail(c, -EINVAL);
	c->finished = 1;
	if (put_header(c, CPIO_TRAILER, 0, 1, 0, 0, 0))
		return c->error;
	if (fflush(c->out) != 0)
		return fail(c, -errno);
	return 0;
}

/* Copies `base` to `out`, checking that it looks like a newc archive of whole 4-byte units. */
static int copy_base(FILE *out, const char *base_path)
{
	FILE *in = fopen(base_path, "rb");
	if (!in)
		return -errno;
	char buf[65536];
	uint64_t total = 0;
	size_t n;
	int r = 0;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		if (total == 0 && (n < 6 || memcmp(buf, "070701", 6) != 0))
			r = -EINVAL;
		if (!r && fwrite(buf, 1, n, out) != n)
			r = -EIO;
		total += n;
		if (r)
			break;
	}
	if (!r && ferror(in))
		r = -EIO;
	if (!r && (total == 0 || total % 4 != 0))
		r = -EINVAL;
	fclose(in);
	return r;
}

int vsnd_cpio_make_initrd(const char *out_path, const char *base_path, const char *name,
			  const char *host_path, uint32_t mtime)
{
	size_t len = strlen(out_path);
	char *tmp = malloc(len + 8);
	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, out_path, len);
	memcpy(tmp + len, ".XXXXXX", 8);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int r = -errno;
		free(tmp);
		return r;
	}
	FILE *out = fdopen(fd, "wb");
	if (!out) {
		int r = -errno;
		close(fd);
		unlink(tmp);
		free(tmp);
		return r;
	}
	int r = copy_base(out, base_path);
	if (!r) {
		struct vsnd_cpio c;
		vsnd_cpio_init(&c, out, mtime);
		r = vsnd_cpio_add_path(&c, name, 0644, host_path);
		if (!r)
			r = vsnd_cpio_finish(&c);
	}
	if (fclose(out) != 0 && !r)
		r = -EIO;
	if (!r && rename(tmp, out_path) != 0)
		r = -errno;
	if (r)
		unlink(tmp);
	free(tmp);
	return r;
}
