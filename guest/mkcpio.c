/* mkcpio.c - host tool: writes a newc cpio archive (vsndtrace/cpio.c) from command-line entries;
 * builds the guest's base initramfs and the separate audio archive appended to it. */
#include "vsndtrace/cpio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "mkcpio: %s\n", msg);
	fprintf(stderr,
		"usage: mkcpio -o OUT [-t MTIME] ENTRY...\n"
		"  NAME=HOSTPATH        regular file NAME with the contents of HOSTPATH\n"
		"                       (mode 0755 if HOSTPATH is executable, else 0644)\n"
		"  -d NAME              directory (0755)\n"
		"  -c NAME:MAJOR:MINOR  character device (0600)\n"
		"  -m PERM              octal permission bits for the next entry only\n"
		"  -t MTIME             modification time of every entry (default 0)\n"
		"Entries are written in order; add parent directories before their files.\n"
		"The archive ends with a trailer and is a multiple of 4 bytes long, so it can be\n"
		"appended to another initramfs archive.\n");
	return 2;
}

static int parse_u32(const char *s, int base, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || end == s || *end || v > 0xffffffffull || s[0] == '-')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Adds one entry; `perm` is UINT32_MAX when -m did not give one. Returns 0, or -errno / -1. */
static int add_entry(struct vsnd_cpio *c, char kind, char *arg, uint32_t perm)
{
	if (kind == 'd')
		return vsnd_cpio_add_dir(c, arg, perm == UINT32_MAX ? 0755 : perm);
	if (kind == 'c') {
		char *maj = strchr(arg, ':');
		char *min = maj ? strchr(maj + 1, ':') : NULL;
		uint32_t major, minor;
		if (!min)
			return -1;
		*maj++ = '\0';
		*min++ = '\0';
		if (parse_u32(maj, 10, &major) || parse_u32(min, 10, &minor))
			return -1;
		return vsnd_cpio_add_chardev(c, arg, perm == UINT32_MAX ? 0600 : perm, major,
					     minor);
	}
	char *eq = strchr(arg, '=');
	if (!eq || eq[1] == '\0')
		return -1;
	*eq = '\0';
	const char *path = eq + 1;
	if (perm == UINT32_MAX) {
		struct stat st;
		if (stat(path, &st) != 0)
			return -errno;
		perm = (st.st_mode & S_IXUSR) ? 0755 : 0644;
	}
	return vsnd_cpio_add_path(c, arg, perm, path);
}

int main(int argc, char **argv)
{
	const char *out_path = NULL;
	uint32_t mtime = 0;
	int i;

	/* First pass: global options, so -o and -t may appear anywhere. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(NULL), 0;
		if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "-t")) {
			if (i + 1 >= argc)
				return usage("option needs an argument");
			if (argv[i][1] == 'o')
				out_path = argv[i + 1];
			else if (parse_u32(argv[i + 1], 10, &mtime))
				return usage("bad -t MTIME");
			i++;
		} else if (!strcmp(argv[i], "-d") || !strcmp(argv[i], "-c") ||
			   !strcmp(argv[i], "-m")) {
			i++;
		}
	}
	if (!out_path)
		return usage("missing -o OUT");

	FILE *out = strcmp(out_path, "-") ? fopen(out_path, "wb") : stdout;
	if (!out) {
		fprintf(stderr, "mkcpio: %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	struct vsnd_cpio c;
	vsnd_cpio_init(&c, out, mtime);
	uint32_t perm = UINT32_MAX;
	int status = 0;
	for (i = 1; i < argc && !status; i++) {
		char *a = argv[i];
		char kind = 'f';
		if (!strcmp(a, "-o") || !strcmp(a, "-t")) {
			i++;
			continue;
		}
		if (!strcmp(a, "-m")) {
			if (i + 1 >= argc || parse_u32(argv[i + 1], 8, &perm) || perm > 07777) {
				status = usage("bad -m PERM");
				break;
			}
			i++;
			continue;
		}
		if (!strcmp(a, "-d") || !strcmp(a, "-c")) {
			if (i + 1 >= argc) {
				status = usage("option needs an argument");
				break;
			}
			kind = a[1];
			a = argv[++i];
		} else if (a[0] == '-') {
			status = usage("unknown option");
			break;
		}
		char *copy = strdup(a);
		if (!copy) {
			status = 1;
			break;
		}
		int r = add_entry(&c, kind, copy, perm);
		free(copy);
		perm = UINT32_MAX;
		if (r == -1) {
			fprintf(stderr, "mkcpio: bad entry '%s'\n", a);
			status = usage(NULL);
		} else if (r) {
			fprintf(stderr, "mkcpio: %s: %s\n", a, strerror(-r));
			status = 1;
		}
	}
	if (!status) {
		int r = vsnd_cpio_finish(&c);
		if (r) {
			fprintf(stderr, "mkcpio: %s: %s\n", out_path, strerror(-r));
			status = 1;
		}
	}
	if (out != stdout) {
		if (fclose(out) != 0 && !status) {
			fprintf(stderr, "mkcpio: %s: %s\n", out_path, strerror(errno));
			status = 1;
		}
		if (status)
			unlink(out_path);
	}
	return status;
}
