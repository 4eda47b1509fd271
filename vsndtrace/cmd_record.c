/* cmd_record.c - `vsndtrace record`: boot the guest in semu with recording on and play (or
 * capture) a file; the session lands in an SQLite trace. Builds the guest on first use. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sndfile.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cpio.h"
#include "vsnd/sink.h"
#include "vsnd/virtio_snd.h"

#define CMD "record"
#define CONSOLE_KEEP (256 * 1024) /* bytes of guest console kept in session.notes */

static const char usage_text[] =
	"usage: vsndtrace record [-o FILE] [--play AUDIOFILE] [--capture-from AUDIOFILE]\n"
	"                        [--sink SPEC] [--period FRAMES] [--periods N]\n"
	"                        [--scenario NAME] [--loop N] [--kernel IMAGE]\n"
	"                        [--initrd CPIO] [--frames N] [--timeout SECONDS]\n"
	"                        [--commit-ms N]\n"
	"                        [-- SEMU-ARGS...]\n"
	"\n"
	"Boot the RV32 Linux guest in semu with the virtio-snd device recorded into an SQLite\n"
	"trace, play AUDIOFILE through the guest's ALSA driver, and power off.\n"
	"With no arguments it records a built-in 2 s test signal (48 kHz stereo S16) to\n"
	"session.db. The first run builds the guest if it is missing (make guest).\n"
	"\n"
	"  -o, --output FILE        trace database to write (default session.db)\n"
	"      --play FILE          any file libsndfile reads; handed to the guest as WAV in its\n"
	"                           own sample format where the device supports it\n"
	"      --capture-from FILE  capture instead: the device's input source plays FILE and the\n"
	"                           guest captures as many frames (or --frames N) and prints a\n"
	"                           checksum\n"
	"      --sink SPEC          host sink for the played audio: null (default), wav:PATH,\n"
	"                           flac:PATH, alsa[:DEVICE]\n"
	"      --period FRAMES      ALSA period size the guest asks for (default 1024)\n"
	"      --periods N          periods per buffer (default 4)\n"
	"      --scenario NAME      twice | pause | drop | prepare | badrate | xrun\n"
	"      --loop N             the guest plays the file N times back to back in one stream\n"
	"                           (1 .. 100000, default 1): long sessions from a short file\n"
	"      --kernel IMAGE       use this kernel instead of the built guest's\n"
	"      --initrd CPIO        use this initramfs (the audio file is appended as /audio.wav)\n"
	"      --guest-args WORDS   extra kernel command-line words (e.g. vsnd_xrun_debug=1)\n"
	"      --timeout SECONDS    stop the guest after this long (default 60 + 3 x audio length,\n"
	"                           the looped length with --loop)\n"
	"      --commit-ms N        commit the trace at least every N ms (default 1000): readers\n"
	"                           of the live session lag, and a kill loses, at most ~N ms;\n"
	"                           shorter costs more CPU\n"
	"      --semu PATH          emulator binary (default: semu next to vsndtrace)\n"
	"  -- SEMU-ARGS             passed to semu unchanged (see semu --help)\n"
	"\n"
	"Exit status: 0 when the guest reported success (with --initrd: when it powered off\n"
	"cleanly), 1 when it reported a failure or the emulator failed, 2 on usage errors or\n"
	"unusable input.\n";

struct rec_opts {
	const char *out;
	const char *play;
	const char *capture;
	const char *sink;
	const char *scenario;
	const char *kernel;
	const char *initrd;
	const char *semu;
	const char *guest_args;
	unsigned period, periods;
	unsigned loop; /* vsnd_loop: plays of the file per playback; 0 = not given (1) */
	const char *commit_ms; /* semu --trace-commit-ms, validated; NULL = semu's default */
	uint64_t frames;
	double timeout;
	char **semu_args;
	int nsemu_args;
};

/* What the guest is handed: a canonical WAV and what it holds. */
struct audio {
	char path[PATH_MAX];
	int rate, channels;
	uint64_t frames;
	int subtype;      /* SF_FORMAT_PCM_16 ... */
	const char *guest_format; /* vsnd_format= value for capture */
};

static int path_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* Directory holding this executable (build/), from /proc/self/exe. */
static int exe_dir(char *buf, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", buf, n - 1);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return 0;
}

static int rate_supported(int hz)
{
	for (uint8_t i = 0; i < VIRTIO_SND_PCM_RATE_COUNT; i++)
		if (vsnd_rate_hz(i) == (uint32_t)hz)
			return 1;
	return 0;
}

/* The WAV subtype the guest gets for a source subtype: the same where the device takes it
 * (U8, S16, S24_3, S32, FLOAT), otherwise the nearest exact-or-wider one. */
static int guest_subtype(int sub, const char **why)
{
	*why = NULL;
	switch (sub) {
	case SF_FORMAT_PCM_U8:
	case SF_FORMAT_PCM_16:
	case SF_FORMAT_PCM_24:
	case SF_FORMAT_PCM_32:
	case SF_FORMAT_FLOAT:
		return sub;
	case SF_FORMAT_PCM_S8:
		*why = "8-bit signed becomes 16-bit (exact)";
		return SF_FORMAT_PCM_16;
	case SF_FORMAT_DOUBLE:
		*why = "64-bit float becomes 32-bit float";
		return SF_FORMAT_FLOAT;
	case SF_FORMAT_ULAW:
	case SF_FORMAT_ALAW:
	case SF_FORMAT_IMA_ADPCM:
	case SF_FORMAT_MS_ADPCM:
	case SF_FORMAT_GSM610:
		*why = "compressed samples are decoded to 16-bit";
		return SF_FORMAT_PCM_16;
	default:
		*why = "decoded samples are handed over as 32-bit float";
		return SF_FORMAT_FLOAT;
	}
}

static const char *subtype_guest_format(int sub)
{
	switch (sub) {
	case SF_FORMAT_PCM_U8: return "U8";
	case SF_FORMAT_PCM_16: return "S16_LE";
	case SF_FORMAT_PCM_24: return "S24_3LE";
	case SF_FORMAT_PCM_32: return "S32_LE";
	default: return "FLOAT_LE";
	}
}

/* Convert `in` (anything libsndfile reads) into a canonical WAV at a->path. Integer data is
 * moved through sf_readf_int (exact for up to 32 bits), float data through float. */
static int prepare_audio(const char *in, struct audio *a, int quiet)
{
	SF_INFO si = {0};
	SNDFILE *sf = sf_open(in, SFM_READ, &si);
	if (!sf)
		return cli_fail(CMD, CLI_EXIT_USAGE, "cannot read '%s': %s", in, sf_strerror(NULL));
	int rc = CLI_EXIT_USAGE;
	SNDFILE *out = NULL;
	void *buf = NULL;
	if (!rate_supported(si.samplerate)) {
		cli_fail(CMD, 0, "'%s' is %d Hz; the device plays only the 14 virtio rates (5512 .. "
			 "384000 Hz): resample it first (e.g. sox in.wav -r 48000 out.wav)",
			 in, si.samplerate);
		goto done;
	}
	if (si.channels < 1 || si.channels > 8) {
		cli_fail(CMD, 0, "'%s' has %d channels; the device takes 1 to 8", in, si.channels);
		goto done;
	}
	const char *why;
	int sub = guest_subtype(si.format & SF_FORMAT_SUBMASK, &why);
	if (why && !quiet)
		fprintf(stderr, "vsndtrace record: note: %s\n", why);
	SF_INFO so = {.samplerate = si.samplerate, .channels = si.channels,
		      .format = SF_FORMAT_WAV | sub};
	out = sf_open(a->path, SFM_WRITE, &so);
	if (!out) {
		cli_fail(CMD, 0, "cannot write '%s': %s", a->path, sf_strerror(NULL));
		goto done;
	}
	const sf_count_t chunk = 4096;
	int is_float = sub == SF_FORMAT_FLOAT;
	buf = malloc((size_t)chunk * (size_t)si.channels * (is_float ? sizeof(float) : sizeof(int)));
	if (!buf) {
		cli_fail(CMD, 0, "out of memory");
		goto done;
	}
	uint64_t total = 0;
	for (;;) {
		sf_count_t n = is_float ? sf_readf_float(sf, buf, chunk) : sf_readf_int(sf, buf, chunk);
		if (n <= 0)
			break;
		sf_count_t w = is_float ? sf_writef_float(out, buf, n) : sf_writef_int(out, buf, n);
		if (w != n) {
			cli_fail(CMD, 0, "writing '%s': %s", a->path, sf_strerror(out));
			goto done;
		}
		total += (uint64_t)n;
	}
	if (total == 0) {
		cli_fail(CMD, 0, "'%s' holds no audio frames", in);
		goto done;
	}
	a->rate = si.samplerate;
	a->channels = si.channels;
	a->frames = total;
	a->subtype = sub;
	a->guest_format = subtype_guest_format(sub);
	rc = 0;
done:
	free(buf);
	if (out && sf_close(out) != 0 && rc == 0)
		rc = cli_fail(CMD, CLI_EXIT_USAGE, "closing '%s' failed", a->path);
	sf_close(sf);
	return rc;
}

/* The built-in default: 2 s of 48 kHz stereo S16, 440 Hz left and 660 Hz right at -6 dBFS. */
static int make_default_signal(struct audio *a)
{
	SF_INFO so = {.samplerate = 48000, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	SNDFILE *out = sf_open(a->path, SFM_WRITE, &so);
	if (!out)
		return cli_fail(CMD, CLI_EXIT_USAGE, "cannot write '%s': %s", a->path,
				sf_strerror(NULL));
	enum { FRAMES = 96000 };
	short *pcm = malloc(FRAMES * 2 * sizeof(short));
	if (!pcm) {
		sf_close(out);
		return cli_fail(CMD, CLI_EXIT_USAGE, "out of memory");
	}
	for (int i = 0; i < FRAMES; i++) {
		pcm[2 * i] = (short)lrint(16383.0 * sin(2 * M_PI * 440.0 * i / 48000.0));
		pcm[2 * i + 1] = (short)lrint(16383.0 * sin(2 * M_PI * 660.0 * i / 48000.0));
	}
	sf_count_t w = sf_writef_short(out, pcm, FRAMES);
	free(pcm);
	sf_close(out);
	if (w != FRAMES)
		return cli_fail(CMD, CLI_EXIT_USAGE, "writing '%s' failed", a->path);
	a->rate = 48000;
	a->channels = 2;
	a->frames = FRAMES;
	a->subtype = SF_FORMAT_PCM_16;
	a->guest_format = "S16_LE";
	return 0;
}

static int copy_file(FILE *dst, const char *src)
{
	FILE *in = fopen(src, "rb");
	if (!in)
		return -errno;
	char buf[65536];
	size_t n;
	int rc = 0;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, dst) != n) {
			rc = -EIO;
			break;
		}
	if (ferror(in))
		rc = -EIO;
	fclose(in);
	return rc;
}

/* initramfs = base archive followed by a newc archive holding /audio.wav (Linux unpacks
 * concatenated archives; the base must be a multiple of 4 bytes long). */
static int make_initrd(const char *base, const char *audio, const char *out)
{
	struct stat st;
	if (stat(base, &st) != 0)
		return cli_fail(CMD, CLI_EXIT_USAGE, "cannot read initramfs '%s': %s", base,
				strerror(errno));
	FILE *f = fopen(out, "wb");
	if (!f)
		return cli_fail(CMD, CLI_EXIT_USAGE, "cannot write '%s': %s", out, strerror(errno));
	int rc = copy_file(f, base);
	if (rc == 0) {
		static const char zero[4];
		size_t pad = (size_t)((4 - st.st_size % 4) % 4);
		if (pad && fwrite(zero, 1, pad, f) != pad)
			rc = -EIO;
	}
	if (rc == 0 && audio) {
		struct vsnd_cpio c;
		vsnd_cpio_init(&c, f, 0);
		rc = vsnd_cpio_add_path(&c, "audio.wav", 0644, audio);
		int rc2 = vsnd_cpio_finish(&c);
		if (rc == 0)
			rc = rc2;
	}
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc != 0)
		return cli_fail(CMD, CLI_EXIT_USAGE, "building initramfs '%s': %s", out,
				strerror(-rc));
	return 0;
}

/* Build the guest with `make guest` when the default kernel/initramfs are missing. */
static int ensure_guest(const char *bindir, const char *image, const char *initrd)
{
	if (path_exists(image) && path_exists(initrd))
		return 0;
	char src[PATH_MAX + 8];
	snprintf(src, sizeof(src), "%s/..", bindir);
	char probe[PATH_MAX + 64];
	snprintf(probe, sizeof(probe), "%s/guest/build.sh", src);
	if (!path_exists(probe))
		return cli_fail(CMD, CLI_EXIT_USAGE,
				"no guest at %s and no source tree to build it from; pass --kernel "
				"and --initrd",
				image);
	fprintf(stderr, "vsndtrace record: the guest is not built yet; building it now "
			"(make guest: about 3 minutes the first time)\n");
	char cmd[3 * PATH_MAX + 128];
	snprintf(cmd, sizeof(cmd), "make --no-print-directory -C '%s' BUILD='%s' guest >&2", src,
		 bindir);
	int st = system(cmd);
	if (st != 0 || !path_exists(image) || !path_exists(initrd))
		return cli_fail(CMD, CLI_EXIT_USAGE, "building the guest failed (%s)", cmd);
	return 0;
}

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Progress on a terminal: audio time sent to the device and events recorded so far, read
 * from the trace while it is being written (WAL lets a reader in). */
struct progress {
	sqlite3 *db;
	sqlite3_stmt *st;
	double total_s;
	uint64_t bytes_per_s;
	int shown;
};

static void progress_show(struct progress *p, const char *path)
{
	if (!p->db) {
		if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
			sqlite3_close(p->db);
			p->db = NULL;
			return;
		}
		sqlite3_busy_timeout(p->db, 50);
		if (sqlite3_prepare_v2(p->db,
				       "SELECT (SELECT coalesce(sum(bytes),0) FROM pcm WHERE direction=0),"
				       " (SELECT coalesce(max(id),0) FROM chain_io) +"
				       " (SELECT coalesce(max(rowid),0) FROM transport_event) +"
				       " (SELECT coalesce(max(rowid),0) FROM chain)",
				       -1, &p->st, NULL) != SQLITE_OK) {
			sqlite3_close(p->db);
			p->db = NULL;
			return;
		}
	}
	if (sqlite3_step(p->st) == SQLITE_ROW) {
		double played = p->bytes_per_s
			? (double)sqlite3_column_int64(p->st, 0) / (double)p->bytes_per_s : 0;
		long long ev = sqlite3_column_int64(p->st, 1);
		fprintf(stderr, "\rrecording: %.1f s of %.1f s audio, %lld events   ", played,
			p->total_s, ev);
		p->shown = 1;
	}
	sqlite3_reset(p->st);
}

static void progress_end(struct progress *p)
{
	if (p->shown)
		fputc('\n', stderr);
	sqlite3_finalize(p->st);
	sqlite3_close(p->db);
}

/* Run semu with stdout on a pipe; keep the console, echo the guest's vsnd: lines. */
static int run_semu(char **argv, const char *db, struct progress *prog, char **console,
		    size_t *console_len, int *guest_ok)
{
	int fds[2];
	if (pipe(fds) != 0)
		return cli_fail(CMD, CLI_EXIT_FAIL, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		return cli_fail(CMD, CLI_EXIT_FAIL, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "vsndtrace record: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	/* Ctrl-C reaches semu too (same process group): it closes the trace; we wait for it. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int;
	sigaction(SIGINT, &ign, &old_int);
	int tty = isatty(STDERR_FILENO);
	size_t cap = 0, len = 0;
	char *con = NULL;
	char line[1024];
	size_t ll = 0;
	for (;;) {
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		int r = poll(&pfd, 1, 500);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			if (tty)
				progress_show(prog, db);
			continue;
		}
		char buf[4096];
		ssize_t n = read(fds[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len + (size_t)n > cap && cap < CONSOLE_KEEP * 4) {
			size_t nc = cap ? cap * 2 : 65536;
			while (nc < len + (size_t)n)
				nc *= 2;
			char *p = realloc(con, nc);
			if (p) {
				con = p;
				cap = nc;
			}
		}
		if (len + (size_t)n <= cap) {
			memcpy(con + len, buf, (size_t)n);
			len += (size_t)n;
		}
		for (ssize_t i = 0; i < n; i++) {
			char ch = buf[i];
			if (ch == '\n' || ll == sizeof(line) - 1) {
				line[ll] = '\0';
				char *v = strstr(line, "vsnd: ");
				if (v) {
					if (tty && prog->shown)
						fputc('\n', stderr), prog->shown = 0;
					fprintf(stderr, "guest: %s\n", v);
					if (!strncmp(v, "vsnd: result ok", 15))
						*guest_ok = 1;
					else if (!strncmp(v, "vsnd: result fail", 17))
						*guest_ok = 0;
				}
				ll = 0;
			} else if (ch != '\r') {
				line[ll++] = ch;
			}
		}
		if (tty)
			progress_show(prog, db);
	}
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	*console = con;
	*console_len = len;
	if (WIFSIGNALED(status))
		return cli_fail(CMD, CLI_EXIT_FAIL, "semu was killed by signal %d",
				WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : CLI_EXIT_FAIL;
}

/* Store what the recording was of, and the tail of the guest console, in the session row. */
static void annotate(const char *db, const char *scenario, const char *initrd,
		     const char *console, size_t len)
{
	sqlite3 *h = NULL;
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(h);
		return;
	}
	sqlite3_busy_timeout(h, 2000);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h, "UPDATE session SET scenario = ?1, notes = ?2, initrd = ?3"
				  " WHERE id = 1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 3, initrd, -1, SQLITE_TRANSIENT);
		size_t off = len > CONSOLE_KEEP ? len - CONSOLE_KEEP : 0;
		sqlite3_bind_text(st, 1, scenario, -1, SQLITE_TRANSIENT);
		if (console)
			sqlite3_bind_text(st, 2, console + off, (int)(len - off), SQLITE_TRANSIENT);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static int rm_tree_files(const char *dir, const char *const *names, size_t n)
{
	char p[PATH_MAX + 64];
	for (size_t i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	return rmdir(dir);
}

/* Appends printf-style text to the string in buf (size bytes). Returns 0, or -1 if it did
 * not fit (buf then holds a truncated string). */
static int appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size - used ? -1 : 0;
}

int cmd_record(int argc, char **argv)
{
	struct rec_opts o = {.out = "session.db", .sink = "null", .period = 1024, .periods = 4};
	enum { O_PLAY = 256, O_CAPTURE, O_SINK, O_PERIOD, O_PERIODS, O_SCENARIO, O_KERNEL,
	       O_INITRD, O_SEMU, O_TIMEOUT, O_FRAMES, O_GUEST_ARGS, O_LOOP, O_COMMIT, O_HELP };
	static const struct option lopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"play", required_argument, NULL, O_PLAY},
		{"capture-from", required_argument, NULL, O_CAPTURE},
		{"sink", required_argument, NULL, O_SINK},
		{"period", required_argument, NULL, O_PERIOD},
		{"periods", required_argument, NULL, O_PERIODS},
		{"scenario", required_argument, NULL, O_SCENARIO},
		{"kernel", required_argument, NULL, O_KERNEL},
		{"initrd", required_argument, NULL, O_INITRD},
		{"semu", required_argument, NULL, O_SEMU},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"frames", required_argument, NULL, O_FRAMES},
		{"guest-args", required_argument, NULL, O_GUEST_ARGS},
		{"loop", required_argument, NULL, O_LOOP},
		{"commit-ms", required_argument, NULL, O_COMMIT},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	int c;
	uint64_t v;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:o:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out = optarg; break;
		case O_PLAY: o.play = optarg; break;
		case O_CAPTURE: o.capture = optarg; break;
		case O_SINK: o.sink = optarg; break;
		case O_SCENARIO: o.scenario = optarg; break;
		case O_KERNEL: o.kernel = optarg; break;
		case O_INITRD: o.initrd = optarg; break;
		case O_SEMU: o.semu = optarg; break;
		case O_GUEST_ARGS: o.guest_args = optarg; break;
		case O_PERIOD:
			if (parse_uint(optarg, 1u << 20, &v) || v == 0)
				return cli_usage(CMD, "--period wants frames (1 .. 1048576), not '%s'",
						 optarg);
			o.period = (unsigned)v;
			break;
		case O_PERIODS:
			if (parse_uint(optarg, 1024, &v) || v < 1)
				return cli_usage(CMD, "--periods wants 1 .. 1024, not '%s'", optarg);
			o.periods = (unsigned)v;
			break;
		case O_LOOP:
			/* The same bound as the guest's VG_LOOP_MAX (guest/init/initlib.h). */
			if (parse_uint(optarg, 100000, &v) || v < 1)
				return cli_usage(CMD, "--loop wants a count of 1 .. 100000, not '%s'",
						 optarg);
			o.loop = (unsigned)v;
			break;
		case O_COMMIT:
			if (parse_uint(optarg, 3600000, &v) || v < 1)
				return cli_usage(CMD, "--commit-ms wants milliseconds (1 .. 3600000), "
						      "not '%s'", optarg);
			o.commit_ms = optarg;
			break;
		case O_FRAMES:
			if (parse_uint(optarg, UINT32_MAX, &v) || v == 0)
				return cli_usage(CMD, "--frames wants a positive count, not '%s'", optarg);
			o.frames = v;
			break;
		case O_TIMEOUT: {
			char *end;
			o.timeout = strtod(optarg, &end);
			if (*end || !(o.timeout > 0))
				return cli_usage(CMD, "--timeout wants seconds, not '%s'", optarg);
			break;
		}
		case 'h':
		case O_HELP: fputs(usage_text, stdout); return CLI_EXIT_OK;
		case ':': return cli_usage(CMD, "option '%s' needs a value", argv[optind - 1]);
		default: return cli_usage(CMD, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0)
		return cli_usage(CMD, "unexpected argument '%s' (semu options go after --)",
				 argv[optind]);
	o.semu_args = argv + optind;
	o.nsemu_args = argc - optind;
	if (o.play && o.capture)
		return cli_usage(CMD, "--play and --capture-from are exclusive");
	if (o.loop && o.capture)
		return cli_usage(CMD, "--loop repeats a played file; it does not go with "
				      "--capture-from");
	unsigned loop = o.loop ? o.loop : 1;
	static const char *const scenarios[] = {"twice", "pause", "drop", "prepare", "badrate",
						"xrun"};
	if (o.scenario) {
		int ok = 0;
		for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
			ok |= !strcmp(o.scenario, scenarios[i]);
		if (!ok)
			return cli_usage(CMD, "unknown scenario '%s' (twice, pause, drop, prepare, "
					      "badrate, xrun)", o.scenario);
		if (o.capture)
			return cli_usage(CMD, "--scenario plays a file; it does not go with "
					      "--capture-from");
	}
	if (o.play && !path_exists(o.play))
		return cli_fail(CMD, CLI_EXIT_USAGE, "cannot read '%s': %s", o.play, strerror(errno));
	if (o.capture && !path_exists(o.capture))
		return cli_fail(CMD, CLI_EXIT_USAGE, "cannot read '%s': %s", o.capture,
				strerror(errno));

	char bindir[PATH_MAX];
	if (exe_dir(bindir, sizeof(bindir)) != 0)
		return cli_fail(CMD, CLI_EXIT_USAGE, "cannot find my own directory");
	char semu[PATH_MAX + 16], image[PATH_MAX + 32], base[PATH_MAX + 32];
	snprintf(semu, sizeof(semu), "%s/semu", bindir);
	snprintf(image, sizeof(image), "%s/guest/Image", bindir);
	snprintf(base, sizeof(base), "%s/guest/initramfs.cpio", bindir);
	if (o.semu)
		snprintf(semu, sizeof(semu), "%s", o.semu);
	if (!path_exists(semu))
		return cli_fail(CMD, CLI_EXIT_USAGE, "no emulator at %s (build it with make, or "
						     "pass --semu)", semu);
	if (o.kernel)
		snprintf(image, sizeof(image), "%s", o.kernel);
	if (o.initrd)
		snprintf(base, sizeof(base), "%s", o.initrd);
	if (!o.kernel || !o.initrd) {
		int rc = ensure_guest(bindir, image, base);
		if (rc)
			return rc;
	}
	if (!path_exists(image))
		return cli_fail(CMD, CLI_EXIT_USAGE, "cannot read kernel '%s': %s", image,
				strerror(errno));

	char tmpl[] = "/tmp/vsndtrace-record-XXXXXX";
	char *tmp = mkdtemp(tmpl);
	if (!tmp)
		return cli_fail(CMD, CLI_EXIT_USAGE, "mkdtemp: %s", strerror(errno));
	struct audio a = {0};
	snprintf(a.path, sizeof(a.path), "%s/audio.wav", tmp);
	char initrd[PATH_MAX + 32];
	snprintf(initrd, sizeof(initrd), "%s/initramfs.cpio", tmp);
	static const char *const tmpfiles[] = {"audio.wav", "initramfs.cpio"};
	int rc;
	const char *scenario_text;
	char scen[PATH_MAX + 64];
	if (o.capture) {
		rc = prepare_audio(o.capture, &a, 0);
		scenario_text = "capture";
	} else if (o.play) {
		rc = prepare_audio(o.play, &a, 0);
		scenario_text = "play";
	} else {
		rc = make_default_signal(&a);
		scenario_text = "play";
	}
	if (rc)
		goto out;
	snprintf(scen, sizeof(scen), "%s%s%s %s", o.scenario ? "scenario " : scenario_text,
		 o.scenario ? o.scenario : "", o.scenario ? ":" : "",
		 o.capture ? o.capture : o.play ? o.play : "(built-in 2 s test signal)");
	if (loop > 1)
		appendf(scen, sizeof(scen), " (looped %u times)", loop);
	rc = make_initrd(base, o.capture ? NULL : a.path, initrd);
	if (rc)
		goto out;

	char cmdline[1024];
	uint64_t cap_frames = o.frames ? o.frames : a.frames;
	if (o.capture)
		snprintf(cmdline, sizeof(cmdline),
			 "earlycon=sbi console=ttyS0 vsnd_mode=capture vsnd_period=%u "
			 "vsnd_periods=%u vsnd_capture_frames=%llu vsnd_rate=%d vsnd_channels=%d "
			 "vsnd_format=%s",
			 o.period, o.periods, (unsigned long long)cap_frames, a.rate, a.channels,
			 a.guest_format);
	else
		snprintf(cmdline, sizeof(cmdline),
			 "earlycon=sbi console=ttyS0 vsnd_mode=%s%s%s vsnd_period=%u vsnd_periods=%u",
			 o.scenario ? "scenario vsnd_scenario=" : "play", o.scenario ? o.scenario : "",
			 "", o.period, o.periods);
	/* Only when looping, so an older /init (--initrd) still takes the default command line. */
	if (loop > 1)
		appendf(cmdline, sizeof(cmdline), " vsnd_loop=%u", loop);
	if (o.guest_args && appendf(cmdline, sizeof(cmdline), " %s", o.guest_args)) {
		rc = cli_usage(CMD, "--guest-args is too long");
		goto out;
	}
	/* What one playback lasts: the file, `loop` times over (capture ignores loop). */
	double audio_s = (double)a.frames / a.rate * (o.capture ? 1 : loop);
	double timeout = o.timeout > 0 ? o.timeout : 60 + 3 * audio_s * (o.scenario ? 3 : 1);
	char tbuf[64], srcspec[PATH_MAX + 16];
	snprintf(tbuf, sizeof(tbuf), "%.0f", ceil(timeout));
	if (o.capture)
		snprintf(srcspec, sizeof(srcspec), "file:%s", a.path);
	char **sv = calloc((size_t)o.nsemu_args + 24, sizeof(char *));
	if (!sv) {
		rc = cli_fail(CMD, CLI_EXIT_USAGE, "out of memory");
		goto out;
	}
	int k = 0;
	sv[k++] = semu;
	sv[k++] = "-k";
	sv[k++] = image;
	sv[k++] = "-i";
	sv[k++] = initrd;
	sv[k++] = "-a";
	sv[k++] = cmdline;
	sv[k++] = "--snd-sink";
	sv[k++] = (char *)o.sink;
	if (o.capture) {
		sv[k++] = "--snd-source";
		sv[k++] = srcspec;
	}
	sv[k++] = "--trace";
	sv[k++] = (char *)o.out;
	if (o.commit_ms) {
		sv[k++] = "--trace-commit-ms";
		sv[k++] = (char *)o.commit_ms;
	}
	sv[k++] = "--max-seconds";
	sv[k++] = tbuf;
	for (int i = 0; i < o.nsemu_args; i++)
		sv[k++] = o.semu_args[i];
	sv[k] = NULL;

	unlink(o.out);
	struct progress prog = {.total_s = audio_s * (o.scenario && !strcmp(o.scenario, "twice") ? 2 : 1)};
	{
		SF_INFO si = {0};
		SNDFILE *sf = sf_open(a.path, SFM_READ, &si);
		if (sf) {
			int bps = a.subtype == SF_FORMAT_PCM_U8 ? 1 : a.subtype == SF_FORMAT_PCM_16 ? 2
				: a.subtype == SF_FORMAT_PCM_24 ? 3 : 4;
			prog.bytes_per_s = (uint64_t)a.rate * (uint64_t)a.channels * (uint64_t)bps;
			sf_close(sf);
		}
	}
	char *console = NULL;
	size_t console_len = 0;
	int guest_ok = -1;
	int st = run_semu(sv, o.out, &prog, &console, &console_len, &guest_ok);
	progress_end(&prog);
	free(sv);
	/* The initramfs semu booted was a temporary file: name what it was made of. */
	char initrd_text[3 * PATH_MAX];
	snprintf(initrd_text, sizeof(initrd_text), "%s%s%s%s", base,
		 o.capture ? "" : " + /audio.wav from ", o.capture ? "" : o.play ? o.play : "",
		 o.capture || o.play ? "" : "the built-in test signal");
	if (path_exists(o.out))
		annotate(o.out, scen, initrd_text, console, console_len);
	free(console);
	if (!path_exists(o.out)) {
		rc = cli_fail(CMD, CLI_EXIT_FAIL, "semu exited with status %d and wrote no trace", st);
		goto out;
	}
	if (st != 0) {
		rc = cli_fail(CMD, CLI_EXIT_FAIL, "semu exited with status %d; the trace %s holds "
						  "what was recorded", st, o.out);
		goto out;
	}
	/* Our /init prints a result line; a user's own initramfs (--initrd) need not: then the
	 * guest's clean power-off (semu exit 0) is the success. */
	if (guest_ok == 0 || (guest_ok != 1 && !o.initrd)) {
		rc = cli_fail(CMD, CLI_EXIT_FAIL, "the guest did not report success (%s); trace "
						  "written to %s", guest_ok == 0 ? "it reported a failure"
						  : "no result line", o.out);
		goto out;
	}
	fprintf(stderr, "vsndtrace record: wrote %s\n", o.out);
	rc = CLI_EXIT_OK;
out:
	rm_tree_files(tmp, tmpfiles, sizeof(tmpfiles) / sizeof(tmpfiles[0]));
	return rc;
}
