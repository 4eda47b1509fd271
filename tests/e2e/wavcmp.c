/* wavcmp.c - test tool: does ACTUAL hold exactly EXPECTED's samples (same format, rate and
 * channels), optionally followed by nothing but silence? Compares raw sample bytes. */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *slurp(const char *path, SF_INFO *si, size_t *len)
{
	SNDFILE *sf = sf_open(path, SFM_READ, si);
	if (!sf) {
		fprintf(stderr, "wavcmp: %s: %s\n", path, sf_strerror(NULL));
		return NULL;
	}
	size_t cap = 1 << 20, n = 0;
	unsigned char *buf = malloc(cap);
	for (;;) {
		if (n + 65536 > cap)
			buf = realloc(buf, cap *= 2);
		sf_count_t r = sf_read_raw(sf, buf + n, 65536 - 65536 % (si->channels * 12));
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	sf_close(sf);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	int allow_tail = 0, a = 1;
	long max_tail = -1;
	while (a < argc && argv[a][0] == '-') {
		if (!strcmp(argv[a], "--tail-silence"))
			allow_tail = 1;
		else if (!strcmp(argv[a], "--max-tail") && a + 1 < argc)
			max_tail = atol(argv[++a]), allow_tail = 1;
		else
			break;
		a++;
	}
	if (argc - a != 2) {
		fprintf(stderr, "usage: wavcmp [--tail-silence] [--max-tail BYTES] EXPECTED ACTUAL\n");
		return 2;
	}
	SF_INFO se = {0}, sa = {0};
	size_t ne, na;
	unsigned char *e = slurp(argv[a], &se, &ne), *x = slurp(argv[a + 1], &sa, &na);
	if (!e || !x)
		return 2;
	if (se.samplerate != sa.samplerate || se.channels != sa.channels ||
	    (se.format & SF_FORMAT_SUBMASK) != (sa.format & SF_FORMAT_SUBMASK)) {
		printf("wavcmp: format differs: %d Hz %d ch sub %#x vs %d Hz %d ch sub %#x\n",
		       se.samplerate, se.channels, se.format & SF_FORMAT_SUBMASK, sa.samplerate,
		       sa.channels, sa.format & SF_FORMAT_SUBMASK);
		return 1;
	}
	size_t n = ne < na ? ne : na;
	for (size_t i = 0; i < n; i++)
		if (e[i] != x[i]) {
			printf("wavcmp: first difference at byte %zu of the data: %02x vs %02x\n", i,
			       e[i], x[i]);
			return 1;
		}
	if (na < ne) {
		printf("wavcmp: actual is short: %zu of %zu bytes\n", na, ne);
		return 1;
	}
	if (na > ne) {
		if (!allow_tail) {
			printf("wavcmp: actual has %zu extra bytes\n", na - ne);
			return 1;
		}
		unsigned char sil = (sa.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_U8 ? 0x80 : 0;
		for (size_t i = ne; i < na; i++)
			if (x[i] != sil) {
				printf("wavcmp: non-silent tail byte at %zu: %02x\n", i, x[i]);
				return 1;
			}
		if (max_tail >= 0 && (long)(na - ne) > max_tail) {
			printf("wavcmp: tail of %zu bytes is longer than %ld\n", na - ne, max_tail);
			return 1;
		}
	}
	printf("wavcmp: equal (%zu bytes%s)\n", ne, na > ne ? " + silent tail" : "");
	free(e);
	free(x);
	return 0;
}
