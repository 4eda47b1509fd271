/* gen_synth.c - tool for tests/traces/: records the synthetic regression sessions (replay/synth.h)
 * compacted for the repository, and writes the test WAVs that `make retrace` plays in the guest. */
#include <math.h>
#include <sndfile.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/synth.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gen_synth DIR [SCENARIO...]   record DIR/synth-SCENARIO.db (default: all)\n"
		   "       gen_synth --wav PATH FORMAT RATE CHANNELS SECONDS\n"
		   "                 FORMAT: u8 s16 s24 s32 float; a 440/660 Hz two-tone signal\n"
		   "       gen_synth --compact DB   rewrite a session with small pages, no WAL\n"
		   "scenarios:");
	for (int i = 0; vt_synth_scenarios[i]; i++)
		fprintf(f, " %s", vt_synth_scenarios[i]);
	fprintf(f, "\n");
}

/* Rewrite the database with small pages and no WAL: the same content in far fewer bytes. */
static int compact(const char *path)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	char *e = NULL;
	int rc = sqlite3_exec(db, "PRAGMA journal_mode = DELETE; PRAGMA page_size = 1024; VACUUM;",
			      NULL, NULL, &e);
	if (rc != SQLITE_OK)
		fprintf(stderr, "gen_synth: %s: %s\n", path, e ? e : "compaction failed");
	sqlite3_free(e);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static int wav(char **a)
{
	static const struct { const char *name; int sub; } fmts[] = {
		{ "u8", SF_FORMAT_PCM_U8 }, { "s16", SF_FORMAT_PCM_16 }, { "s24", SF_FORMAT_PCM_24 },
		{ "s32", SF_FORMAT_PCM_32 }, { "float", SF_FORMAT_FLOAT },
	};
	int sub = 0;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (!strcmp(a[1], fmts[i].name))
			sub = fmts[i].sub;
	int rate = atoi(a[2]), ch = atoi(a[3]);
	double secs = atof(a[4]);
	if (!sub || rate <= 0 || ch <= 0 || ch > 8 || !(secs > 0)) {
		usage(stderr);
		return 2;
	}
	SF_INFO info = { .samplerate = rate, .channels = ch, .format = SF_FORMAT_WAV | sub };
	SNDFILE *f = sf_open(a[0], SFM_WRITE, &info);
	if (!f) {
		fprintf(stderr, "gen_synth: %s: %s\n", a[0], sf_strerror(NULL));
		return 1;
	}
	long frames = (long)(secs * rate);
	double *buf = malloc(sizeof(double) * (size_t)ch);
	for (long i = 0; i < frames; i++) {
		for (int c = 0; c < ch; c++)
			buf[c] = 0.4 * sin(2 * M_PI * (c & 1 ? 660.0 : 440.0) * (double)i / rate);
		sf_writef_double(f, buf, 1);
	}
	free(buf);
	sf_close(f);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--compact"))
		return argc == 3 && !compact(argv[2]) ? 0 : 1;
	if (!strcmp(argv[1], "--wav")) {
		if (argc != 7) {
			usage(stderr);
			return 2;
		}
		return wav(argv + 2);
	}
	int n = argc - 2;
	int status = 0;
	for (int i = 0; n ? i < n : vt_synth_scenarios[i] != NULL; i++) {
		const char *name = n ? argv[2 + i] : vt_synth_scenarios[i];
		char path[4096], err[512] = "";
		snprintf(path, sizeof(path), "%s/synth-%s.db", argv[1], name);
		if (vt_synth_record(path, name, err, sizeof(err)) || compact(path)) {
			fprintf(stderr, "gen_synth: %s: %s\n", name, err[0] ? err : "failed");
			status = 1;
			continue;
		}
		printf("%s\n", path);
	}
	return status;
}
