/* bench_e2e.c - end-to-end figures of `make bench`: the emulator (boot, MIPS, idle CPU), the
 * recorder's CPU cost on a real guest playback, replay speed and peak memory of whole runs.
 *
 * Every figure is measured on child processes: wall time around fork..wait4, host CPU and
 * peak resident memory from the child's rusage (wait4 reports the child together with its own
 * reaped children, so `vsndtrace record` includes its semu). Output: one line per figure,
 *   NAME VALUE UNIT [min X median Y max Z n N]
 * with VALUE the median where a figure is repeated. Commands (paths come from bench/e2e.mk):
 *   emu      boot to /init, guest MIPS (bare metal and Linux user mode), idle guest CPU %
 *   record   CPU cost of --trace on the same real playback session, run alternately
 *   memory   1- and 10-minute synthetic sessions: record, replay (speed) and stats memory
 *   long     the same with real 1- and 10-minute guest recordings (a 6 s file looped 10 and
 *            100 times), plus the CPU cost of --trace on the 1-minute playback (about 14 min)
 *   long-measure  the replay and stats part of `long` again, on its kept recordings
 *   long-cost     only the CPU cost of --trace on the 1-minute playback, 3 pairs (~6 min) */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <math.h>
#include <sndfile.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "replay/synth.h"
#include "trace/recorder.h"

#define MAX_OUT (1u << 20) /* captured stderr kept per child run */

struct paths {
	const char *semu, *image, *initrd, *bench_initrd, *isa_runner, *isa_bench, *vsndtrace;
	const char *mkcpio, *dir;
};

/* One child run: what it cost and what it wrote on stderr (and stdout when asked). */
struct run {
	double wall_s;   /* fork to reap */
	double cpu_s;    /* user + sys of the child and its reaped children */
	long maxrss_kb;  /* peak resident set of the largest of them (anonymous + file-mapped) */
	long anon_kb;    /* peak RssAnon of the direct child, sampled every 5 ms */
	int status;      /* exit status, or 128 + signal */
	char out[8192];  /* first bytes of stdout when captured */
	char err[MAX_OUT];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bench_e2e: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* RssAnon of a live process in KiB (0 once it is gone or a zombie). mmap'd files, such as
 * a SQLite database read with mmap_size, are RssFile: page cache, not the process's own. */
static long rss_anon_kb(const char *status_path)
{
	FILE *f = fopen(status_path, "r");
	if (!f)
		return 0;
	char line[256];
	long kb = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Runs argv with stdin from /dev/null, stdout into out_path (NULL: /dev/null), stderr into
 * r->err. Returns the exit status (also in r->status). */
static int run_child(char *const argv[], const char *out_path, struct run *r)
{
	int pe[2];
	if (pipe(pe))
		die("pipe: %s", strerror(errno));
	double t0 = now_s();
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644)
				   : open("/dev/null", O_WRONLY);
		if (in < 0 || out < 0)
			_exit(126);
		dup2(in, 0);
		dup2(out, 1);
		dup2(pe[1], 2);
		close(pe[0]);
		close(pe[1]);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pe[1]);
	size_t n = 0;
	char status_path[64];
	snprintf(status_path, sizeof(status_path), "/proc/%d/status", (int)pid);
	r->anon_kb = 0;
	for (;;) {
		long anon = rss_anon_kb(status_path);
		if (anon > r->anon_kb)
			r->anon_kb = anon;
		struct pollfd pfd = {.fd = pe[0], .events = POLLIN};
		if (poll(&pfd, 1, 5) == 0)
			continue;
		char tmp[4096];
		ssize_t k = read(pe[0], tmp, sizeof(tmp));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		size_t keep = (size_t)k < sizeof(r->err) - 1 - n ? (size_t)k : sizeof(r->err) - 1 - n;
		memcpy(r->err + n, tmp, keep);
		n += keep;
	}
	r->err[n] = 0;
	close(pe[0]);
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4: %s", strerror(errno));
	r->wall_s = now_s() - t0;
	r->cpu_s = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
	r->maxrss_kb = ru.ru_maxrss;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out[0] = 0;
	if (out_path) {
		FILE *f = fopen(out_path, "r");
		if (f) {
			size_t k = fread(r->out, 1, sizeof(r->out) - 1, f);
			r->out[k] = 0;
			fclose(f);
		}
	}
	return r->status;
}

/* semu's --bench-boot line: wall since launch, process CPU and instructions at the marker. */
struct marker {
	double launch_s, cpu_s;
	unsigned long long insns;
};

static int parse_marker(const char *err, struct marker *m)
{
	const char *p = strstr(err, "semu: boot marker");
	if (!p)
		return -1;
	p = strstr(p, " after ");
	double after;
	if (!p || sscanf(p, " after %lf s (%lf s since launch, %lf s cpu, %llu instructions)",
			 &after, &m->launch_s, &m->cpu_s, &m->insns) != 4)
		return -1;
	return 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Prints NAME MEDIAN UNIT min X median Y max Z n N (sorts v). */
static double fig_rep(const char *name, double *v, int n, const char *unit, int prec)
{
	double med = median(v, n);
	printf("%s %.*f %s min %.*f median %.*f max %.*f n %d\n", name, prec, med, unit, prec, v[0],
	       prec, med, prec, v[n - 1], n);
	fflush(stdout);
	return med;
}

static void fig(const char *name, double v, const char *unit, int prec)
{
	printf("%s %.*f %s\n", name, prec, v, unit);
	fflush(stdout);
}

static void need_ok(const struct run *r, const char *what)
{
	if (r->status != 0) {
		size_t n = strlen(r->err);
		die("%s failed (status %d): %s", what, r->status, n > 600 ? r->err + n - 600 : r->err);
	}
}

static void path_in(char *dst, size_t cap, const struct paths *p, const char *name)
{
	if ((size_t)snprintf(dst, cap, "%s/%s", p->dir, name) >= cap)
		die("path too long: %s/%s", p->dir, name);
}

/* ---- emulator ------------------------------------------------------------------------ */

#define BOOT_RUNS 5
#define SPIN_ITERS "40000000"
#define IDLE_MS 4000

static void semu_marker_run(const struct paths *p, const char *initrd, const char *append,
			    const char *marker, struct run *r, struct marker *m)
{
	char mk[128];
	snprintf(mk, sizeof(mk), "--bench-boot=%s", marker);
	char *argv[16];
	int k = 0;
	argv[k++] = (char *)p->semu;
	argv[k++] = "-k";
	argv[k++] = (char *)p->image;
	argv[k++] = "-i";
	argv[k++] = (char *)initrd;
	if (append) {
		argv[k++] = "-a";
		argv[k++] = (char *)append;
	}
	argv[k++] = mk;
	argv[k++] = "--max-seconds";
	argv[k++] = "60";
	argv[k] = NULL;
	run_child(argv, NULL, r);
	need_ok(r, "semu");
	if (parse_marker(r->err, m))
		die("semu printed no boot marker \"%s\"", marker);
}

static void cmd_emu(const struct paths *p)
{
	static struct run r;
	struct marker m;

	/* Boot to the guest's own /init (its first console line), kernel's built-in cmdline. */
	double boot[BOOT_RUNS], boot_cpu[BOOT_RUNS], boot_mips[BOOT_RUNS];
	for (int i = 0; i < BOOT_RUNS; i++) {
		semu_marker_run(p, p->initrd, NULL, "vsnd: init", &r, &m);
		boot[i] = m.launch_s;
		boot_cpu[i] = m.cpu_s;
		boot_mips[i] = (double)m.insns / m.cpu_s / 1e6;
	}
	fig_rep("emu_boot_to_init", boot, BOOT_RUNS, "s", 3);
	fig_rep("emu_boot_to_init_cpu", boot_cpu, BOOT_RUNS, "s", 3);
	fig_rep("emu_boot_mips", boot_mips, BOOT_RUNS, "MIPS", 0);

	/* Bare-metal loop (tests/isa/bench.S, M-mode, no paging) through the ISA runner. */
	char *isa[] = {(char *)p->isa_runner, "--bench", (char *)p->isa_bench, NULL};
	char out[256];
	path_in(out, sizeof(out), p, "isa_bench.out");
	double bm[3];
	for (int i = 0; i < 3; i++) {
		run_child(isa, out, &r);
		need_ok(&r, "isa_runner --bench");
		unsigned long long n;
		double s;
		if (sscanf(r.out, "%llu instructions in %lf s", &n, &s) != 2 || s <= 0)
			die("isa_runner: unexpected output '%s'", r.out);
		bm[i] = (double)n / s / 1e6;
	}
	fig_rep("emu_mips_baremetal", bm, 3, "MIPS", 0);

	/* The same kind of loop as a Linux user process (Sv32 paging, timer interrupts): the
	 * instructions and CPU between the "spin start" and "spin done" markers of two runs. */
	const char *spin = "console=ttyS0 -- spin " SPIN_ITERS;
	double um[2];
	for (int i = 0; i < 2; i++) {
		struct marker a, b;
		semu_marker_run(p, p->bench_initrd, spin, "bench: spin start", &r, &a);
		semu_marker_run(p, p->bench_initrd, spin, "bench: spin done", &r, &b);
		um[i] = (double)(b.insns - a.insns) / (b.cpu_s - a.cpu_s) / 1e6;
	}
	fig_rep("emu_mips_linux_user", um, 2, "MIPS", 0);

	/* Idle guest: /init sleeps IDLE_MS; host CPU over wall time from the "idle start"
	 * marker to the end of the process. */
	char idle[64];
	snprintf(idle, sizeof(idle), "console=ttyS0 -- idle %d", IDLE_MS);
	semu_marker_run(p, p->bench_initrd, idle, "bench: idle start", &r, &m);
	double dw = r.wall_s - m.launch_s, dc = r.cpu_s - m.cpu_s;
	fig("emu_idle_cpu", 100.0 * dc / dw, "%", 2);
	fig("emu_rss_idle", (double)r.maxrss_kb / 1024.0, "MiB", 1);
}

/* ---- record cost --------------------------------------------------------------------- */

/* A sine sweep WAV, S16 at rate/channels, written in chunks (bounded memory). */
static void write_wav(const char *path, double seconds, int rate, int channels)
{
	SF_INFO info = {.samplerate = rate, .channels = channels,
			.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	if (!f)
		die("%s: %s", path, sf_strerror(NULL));
	short buf[4096 * 2];
	long total = (long)(seconds * rate), done = 0;
	while (done < total) {
		long n = total - done < 4096 ? total - done : 4096;
		for (long i = 0; i < n; i++) {
			double t = (double)(done + i) / rate;
			short s = (short)(12000.0 * sin(2 * M_PI * (440.0 + 20.0 * t) * t));
			for (int c = 0; c < channels; c++)
				buf[i * channels + c] = c ? (short)-s : s;
		}
		if (sf_writef_short(f, buf, n) != n)
			die("%s: %s", path, sf_strerror(f));
		done += n;
	}
	sf_close(f);
}

static void cat_files(const char *out, const char *a, const char *b)
{
	FILE *o = fopen(out, "wb");
	if (!o)
		die("%s: %s", out, strerror(errno));
	const char *in[2] = {a, b};
	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(in[i], "rb");
		if (!f)
			die("%s: %s", in[i], strerror(errno));
		char buf[65536];
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			if (fwrite(buf, 1, n, o) != n)
				die("%s: write failed", out);
		fclose(f);
	}
	if (fclose(o))
		die("%s: %s", out, strerror(errno));
}

static long long db_count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

static void rm_db(const char *path)
{
	char side[600];
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
}

/* The recorder's fixed costs, in a child process so its memory is its own: CPU of
 * vt_recorder_open (schema, session row, ring allocated and touched), of an idle second
 * (the writer thread's polling) and of vt_recorder_close on an empty session. */
static void recorder_fixed_costs(const struct paths *p)
{
	char db[256];
	path_in(db, sizeof(db), p, "recorder_fixed.db");
	rm_db(db);
	int pf[2];
	if (pipe(pf))
		die("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		double v[3];
		struct vt_recorder *r;
		char err[256];
		double c0 = self_cpu_s();
		if (vt_recorder_open(db, NULL, &r, err, sizeof(err)))
			_exit(1);
		double c1 = self_cpu_s();
		sleep(2);
		double c2 = self_cpu_s();
		vt_recorder_close(r);
		double c3 = self_cpu_s();
		v[0] = c1 - c0, v[1] = (c2 - c1) / 2, v[2] = c3 - c2;
		_exit(write(pf[1], v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : 1);
	}
	close(pf[1]);
	double v[3];
	ssize_t k = read(pf[0], v, sizeof(v));
	close(pf[0]);
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4: %s", strerror(errno));
	if (k != (ssize_t)sizeof(v) || !WIFEXITED(st) || WEXITSTATUS(st))
		die("recorder fixed-cost child failed");
	fig("recorder_open_cpu", v[0] * 1e3, "ms", 1);
	fig("recorder_idle_cpu", v[1] * 1e3, "ms/s", 2);
	fig("recorder_close_cpu", v[2] * 1e3, "ms", 1);
	fig("recorder_empty_rss", (double)ru.ru_maxrss / 1024.0, "MiB", 1);
	rm_db(db);
}

#define PLAY_SECONDS 6.0
#define RECORD_PAIRS 8
#define MAX_PAIRS 8

/* The same guest playback of `seconds` of audio, alternately without and with --trace,
 * `pairs` times; figures named record_<label>_... (label "" gives record_...). */
static void record_cost(const struct paths *p, double seconds, int pairs, const char *label)
{
	static struct run r;
	char wav[256], arc[256], initrd[256], db[256], out[256], base[64], name[128];
	snprintf(base, sizeof(base), "play_%gs", seconds);
	snprintf(name, sizeof(name), "%s.wav", base);
	path_in(wav, sizeof(wav), p, name);
	snprintf(name, sizeof(name), "%s.audio.cpio", base);
	path_in(arc, sizeof(arc), p, name);
	snprintf(name, sizeof(name), "%s.cpio", base);
	path_in(initrd, sizeof(initrd), p, name);
	path_in(db, sizeof(db), p, "record_cost.db");
	path_in(out, sizeof(out), p, "record_cost.console");
	write_wav(wav, seconds, 48000, 2);
	char entry[300];
	snprintf(entry, sizeof(entry), "/audio.wav=%s", wav);
	char *mk[] = {(char *)p->mkcpio, "-o", arc, "-m", "0644", entry, NULL};
	run_child(mk, NULL, &r);
	need_ok(&r, "mkcpio");
	cat_files(initrd, p->initrd, arc);
	unlink(arc);
	unlink(wav);

	char tmo[32];
	snprintf(tmo, sizeof(tmo), "%.0f", seconds * 1.5 + 60);
	const char *append = "console=ttyS0 vsnd_mode=play vsnd_period=1024 vsnd_periods=4";
	double cpu[2][MAX_PAIRS], wall[2][MAX_PAIRS], ratio[MAX_PAIRS], wcpu[MAX_PAIRS];
	long rss[2] = {0, 0}, anon[2] = {0, 0};
	long long chains = 0;
	if (pairs > MAX_PAIRS)
		pairs = MAX_PAIRS;
	for (int i = 0; i < pairs; i++) {
		for (int j = 0; j < 2; j++) {
			int traced = (i + j) % 2; /* alternate which goes first: cancels drift */
			char *argv[20];
			int k = 0;
			argv[k++] = (char *)p->semu;
			argv[k++] = "-k";
			argv[k++] = (char *)p->image;
			argv[k++] = "-i";
			argv[k++] = initrd;
			argv[k++] = "-a";
			argv[k++] = (char *)append;
			argv[k++] = "--snd-sink";
			argv[k++] = "null";
			argv[k++] = "--max-seconds";
			argv[k++] = tmo;
			if (seconds > 20) { /* the audio is in guest RAM twice while it unpacks */
				argv[k++] = "-m";
				argv[k++] = "512";
			}
			if (traced) {
				rm_db(db);
				argv[k++] = "--trace";
				argv[k++] = db;
			}
			argv[k] = NULL;
			run_child(argv, out, &r);
			need_ok(&r, traced ? "semu --trace" : "semu");
			if (!strstr(r.out, "vsnd: result ok"))
				die("guest playback failed: %s", r.out);
			cpu[traced][i] = r.cpu_s;
			wall[traced][i] = r.wall_s;
			if (r.maxrss_kb > rss[traced])
				rss[traced] = r.maxrss_kb;
			if (r.anon_kb > anon[traced])
				anon[traced] = r.anon_kb;
			if (traced) {
				chains = db_count(db, "SELECT count(*) FROM chain");
				/* semu's closing line: the writer thread's own CPU time. */
				const char *w = strstr(r.err, "recorder writer CPU ");
				if (!w || sscanf(w, "recorder writer CPU %lf ms", &wcpu[i]) != 1)
					die("semu --trace printed no writer CPU line: %s", r.err);
			}
		}
		ratio[i] = 100.0 * (cpu[1][i] - cpu[0][i]) / cpu[0][i];
	}
	char pre[64];
	snprintf(pre, sizeof(pre), "record%s%s", *label ? "_" : "", label);
#define NM(suffix) (snprintf(name, sizeof(name), "%s_%s", pre, suffix), name)
	double c0 = fig_rep(NM("session_cpu_plain"), cpu[0], pairs, "s", 3);
	double c1 = fig_rep(NM("session_cpu_traced"), cpu[1], pairs, "s", 3);
	fig_rep(NM("session_wall_traced"), wall[1], pairs, "s", 2);
	fig_rep(NM("cpu_overhead"), ratio, pairs, "%", 2);
	fig(NM("cpu_overhead_of_medians"), 100.0 * (c1 - c0) / c0, "%", 2);
	double s0 = 0, s1 = 0;
	for (int i = 0; i < pairs; i++) {
		s0 += cpu[0][i];
		s1 += cpu[1][i];
	}
	fig(NM("cpu_overhead_of_sums"), 100.0 * (s1 - s0) / s0, "%", 2);
	/* The part of the overhead that is the writer thread alone, measured by the thread's
	 * own CPU clock: not subject to the run-to-run noise of the two process totals. */
	double wmed = fig_rep(NM("writer_cpu"), wcpu, pairs, "ms", 1);
	fig(NM("writer_cpu_of_plain"), 100.0 * wmed / 1e3 / c0, "%", 2);
	fig(NM("session_chains"), (double)chains, "chains", 0);
	if (chains > 0)
		fig(NM("cpu_per_chain"), (c1 - c0) * 1e9 / (double)chains, "ns", 0);
	fig(NM("rss_plain"), (double)rss[0] / 1024.0, "MiB", 1);
	fig(NM("rss_traced"), (double)rss[1] / 1024.0, "MiB", 1);
	fig(NM("rss_anon_plain"), (double)anon[0] / 1024.0, "MiB", 1);
	fig(NM("rss_anon_traced"), (double)anon[1] / 1024.0, "MiB", 1);
#undef NM
	rm_db(db);
	unlink(initrd);
}

static void cmd_record(const struct paths *p)
{
	record_cost(p, PLAY_SECONDS, RECORD_PAIRS, "");
	recorder_fixed_costs(p);
}

/* ---- sessions: replay speed and memory, 1 vs 10 minutes ------------------------------- */

/* vt_synth_record_long in a child; cached until libtrace.a changes. Its wall time is
 * printed; its memory is not a recorder figure (the generator keeps every chain it made). */
static void synth_session(const struct paths *p, const char *db, double seconds, int label_min)
{
	struct stat st;
	char lib[300];
	snprintf(lib, sizeof(lib), "%s/../libtrace.a", p->dir);
	struct stat ls;
	if (stat(db, &st) == 0 && stat(lib, &ls) == 0 && st.st_mtime >= ls.st_mtime)
		return;
	rm_db(db);
	double t0 = now_s();
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char err[512] = "";
		if (vt_synth_record_long(db, seconds, 1024, err, sizeof(err))) {
			fprintf(stderr, "bench_e2e: synth %s: %s\n", db, err);
			_exit(1);
		}
		_exit(0);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("could not make the synthetic session %s", db);
	char name[64];
	snprintf(name, sizeof(name), "synth_generate_%dmin_wall", label_min);
	fig(name, now_s() - t0, "s", 2);
}

struct sess_fig {
	double replay_x, replay_rss_mib, stats_s, stats_rss_mib, session_s;
	double replay_anon_mib, stats_anon_mib;
	long long chains;
};

static void measure_session(const struct paths *p, const char *db, const char *label,
			    struct sess_fig *f)
{
	static struct run r;
	char out[256], name[96];
	path_in(out, sizeof(out), p, "session.out");
	char *rep[] = {(char *)p->vsndtrace, "replay", (char *)db, "--speed", "max", "--sink",
		       "null", NULL};
	double xs[3], rss = 0, anon = 0;
	for (int i = 0; i < 3; i++) {
		run_child(rep, out, &r);
		need_ok(&r, "vsndtrace replay");
		const char *s = strstr(r.out, ": ");
		if (!s || sscanf(s, ": %lf s of session", &f->session_s) != 1)
			die("vsndtrace replay: unexpected output '%s'", r.out);
		xs[i] = f->session_s / r.wall_s;
		if ((double)r.maxrss_kb / 1024.0 > rss)
			rss = (double)r.maxrss_kb / 1024.0;
		if ((double)r.anon_kb / 1024.0 > anon)
			anon = (double)r.anon_kb / 1024.0;
	}
	snprintf(name, sizeof(name), "replay_%s_speed", label);
	f->replay_x = fig_rep(name, xs, 3, "x_realtime", 0);
	f->replay_rss_mib = rss;
	f->replay_anon_mib = anon;
	snprintf(name, sizeof(name), "replay_%s_rss", label);
	fig(name, rss, "MiB", 1);
	snprintf(name, sizeof(name), "replay_%s_rss_anon", label);
	fig(name, anon, "MiB", 1);

	char *sta[] = {(char *)p->vsndtrace, "stats", (char *)db, NULL};
	double ts[3];
	rss = 0, anon = 0;
	for (int i = 0; i < 3; i++) {
		run_child(sta, out, &r);
		need_ok(&r, "vsndtrace stats");
		ts[i] = r.wall_s;
		if ((double)r.maxrss_kb / 1024.0 > rss)
			rss = (double)r.maxrss_kb / 1024.0;
		if ((double)r.anon_kb / 1024.0 > anon)
			anon = (double)r.anon_kb / 1024.0;
	}
	snprintf(name, sizeof(name), "stats_%s_wall", label);
	f->stats_s = fig_rep(name, ts, 3, "s", 3);
	f->stats_rss_mib = rss;
	f->stats_anon_mib = anon;
	snprintf(name, sizeof(name), "stats_%s_rss", label);
	fig(name, rss, "MiB", 1);
	snprintf(name, sizeof(name), "stats_%s_rss_anon", label);
	fig(name, anon, "MiB", 1);
	f->chains = db_count(db, "SELECT count(*) FROM chain");
	snprintf(name, sizeof(name), "session_%s_length", label);
	fig(name, f->session_s, "s", 1);
	struct stat st;
	if (stat(db, &st) == 0) {
		snprintf(name, sizeof(name), "session_%s_db_size", label);
		fig(name, (double)st.st_size / 1048576.0, "MiB", 1);
	}
}

static void growth(const char *what, double a, double b)
{
	char name[96];
	snprintf(name, sizeof(name), "%s_growth_10min_vs_1min", what);
	fig(name, a > 0 ? b / a : 0, "ratio", 2);
}

/* Bounded memory: peak RSS of the 10-minute session over the 1-minute one (1.0 = flat). */
static void compare(const struct sess_fig *a, const struct sess_fig *b)
{
	growth("replay_rss", a->replay_rss_mib, b->replay_rss_mib);
	growth("replay_rss_anon", a->replay_anon_mib, b->replay_anon_mib);
	growth("stats_rss", a->stats_rss_mib, b->stats_rss_mib);
	growth("stats_rss_anon", a->stats_anon_mib, b->stats_anon_mib);
}

static void cmd_memory(const struct paths *p)
{
	char db1[256], db10[256];
	path_in(db1, sizeof(db1), p, "synth_1min.db");
	path_in(db10, sizeof(db10), p, "synth_10min.db");
	synth_session(p, db1, 60.0, 1);
	synth_session(p, db10, 600.0, 10);
	struct sess_fig a, b;
	measure_session(p, db1, "synth_1min", &a);
	measure_session(p, db10, "synth_10min", &b);
	compare(&a, &b);
	if (a.session_s < 57 || b.session_s < 570)
		fprintf(stderr, "bench_e2e: warning: the synthetic sessions last %.0f s and %.0f s, not "
			"60 s and 600 s (vt_synth_record_long fell short)\n", a.session_s, b.session_s);
	char m1[256];
	path_in(m1, sizeof(m1), p, "stats_1m.db"); /* bench-stats' one-million-event session */
	if (access(m1, R_OK) == 0) {
		static struct run r;
		char out[256];
		path_in(out, sizeof(out), p, "session.out");
		char *sta[] = {(char *)p->vsndtrace, "stats", m1, NULL};
		run_child(sta, out, &r);
		need_ok(&r, "vsndtrace stats");
		fig("stats_1m_events_rss", (double)r.maxrss_kb / 1024.0, "MiB", 1);
		fig("stats_1m_events_rss_anon", (double)r.anon_kb / 1024.0, "MiB", 1);
	}
}

/* Real guest recordings through `vsndtrace record` (wall time = audio length): the guest
 * plays the short file `wav` (LOOP_FILE_S seconds) `loops` times in one stream, so the
 * initramfs stays small and the RSS figures measure the emulator and the recorder, not a
 * 115 MB audio file in guest RAM. */
#define LOOP_FILE_S 6.0
static void real_session(const struct paths *p, const char *wav, const char *db, int loops,
			 const char *label)
{
	static struct run r;
	char out[256], name[96], tmo[32], nloop[16];
	path_in(out, sizeof(out), p, "long.out");
	rm_db(db);
	snprintf(tmo, sizeof(tmo), "%.0f", LOOP_FILE_S * loops * 1.5 + 120);
	snprintf(nloop, sizeof(nloop), "%d", loops);
	char *argv[] = {(char *)p->vsndtrace, "record", "--play", (char *)wav, "--loop", nloop,
			"-o", (char *)db, "--sink", "null", "--timeout", tmo, "--semu",
			(char *)p->semu, NULL};
	run_child(argv, out, &r);
	need_ok(&r, "vsndtrace record");
	snprintf(name, sizeof(name), "record_%s_rss", label);
	fig(name, (double)r.maxrss_kb / 1024.0, "MiB", 1);
	snprintf(name, sizeof(name), "record_%s_wall", label);
	fig(name, r.wall_s, "s", 1);
	snprintf(name, sizeof(name), "record_%s_cpu", label);
	fig(name, r.cpu_s, "s", 2);
}

/* `long` records both sessions first; `long-measure` reuses the recordings of a `long`. */
static void cmd_long(const struct paths *p, int record)
{
	char db1[256], db10[256];
	path_in(db1, sizeof(db1), p, "real_1min.db");
	path_in(db10, sizeof(db10), p, "real_10min.db");
	if (record) {
		char wav[256];
		path_in(wav, sizeof(wav), p, "long_loop.wav");
		write_wav(wav, LOOP_FILE_S, 48000, 2);
		real_session(p, wav, db1, (int)(60.0 / LOOP_FILE_S), "real_1min");
		real_session(p, wav, db10, (int)(600.0 / LOOP_FILE_S), "real_10min");
		unlink(wav);
		record_cost(p, 60.0, 1, "1min");
	} else if (access(db1, R_OK) || access(db10, R_OK)) {
		die("no %s or %s: run `make bench-long` first", db1, db10);
	}
	struct sess_fig a, b;
	measure_session(p, db1, "real_1min", &a);
	measure_session(p, db10, "real_10min", &b);
	compare(&a, &b);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_e2e emu|record|memory|long|long-measure|long-cost --dir DIR [--semu P]\n"
		"       [--image P]\n"
		"       [--initrd P] [--bench-initrd P] [--isa-runner P] [--isa-bench P]\n"
		"       [--vsndtrace P] [--mkcpio P]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct paths p = {0};
	static const struct option lo[] = {
		{"semu", required_argument, NULL, 's'},       {"image", required_argument, NULL, 'k'},
		{"initrd", required_argument, NULL, 'i'},     {"bench-initrd", required_argument, NULL, 'b'},
		{"isa-runner", required_argument, NULL, 'r'}, {"isa-bench", required_argument, NULL, 'B'},
		{"vsndtrace", required_argument, NULL, 'v'},  {"mkcpio", required_argument, NULL, 'm'},
		{"dir", required_argument, NULL, 'd'},        {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': p.semu = optarg; break;
		case 'k': p.image = optarg; break;
		case 'i': p.initrd = optarg; break;
		case 'b': p.bench_initrd = optarg; break;
		case 'r': p.isa_runner = optarg; break;
		case 'B': p.isa_bench = optarg; break;
		case 'v': p.vsndtrace = optarg; break;
		case 'm': p.mkcpio = optarg; break;
		case 'd': p.dir = optarg; break;
		default: usage();
		}
	}
	if (optind + 1 != argc || !p.dir)
		usage();
	const char *cmd = argv[optind];
	if (mkdir(p.dir, 0755) && errno != EEXIST)
		die("%s: %s", p.dir, strerror(errno));
	const char *missing = NULL;
	if (!strcmp(cmd, "emu")) {
		missing = !p.semu ? "--semu" : !p.image ? "--image" : !p.initrd ? "--initrd"
			: !p.bench_initrd ? "--bench-initrd" : !p.isa_runner ? "--isa-runner"
			: !p.isa_bench ? "--isa-bench" : NULL;
		if (!missing)
			cmd_emu(&p);
	} else if (!strcmp(cmd, "record") || !strcmp(cmd, "long-cost")) {
		missing = !p.semu ? "--semu" : !p.image ? "--image" : !p.initrd ? "--initrd"
			: !p.mkcpio ? "--mkcpio" : NULL;
		if (!missing && !strcmp(cmd, "record"))
			cmd_record(&p);
		else if (!missing)
			record_cost(&p, 60.0, 3, "1min");
	} else if (!strcmp(cmd, "memory")) {
		missing = !p.vsndtrace ? "--vsndtrace" : NULL;
		if (!missing)
			cmd_memory(&p);
	} else if (!strcmp(cmd, "long") || !strcmp(cmd, "long-measure")) {
		int rec = !strcmp(cmd, "long");
		missing = !p.vsndtrace ? "--vsndtrace" : !p.semu && rec ? "--semu"
			: !p.image && rec ? "--image" : !p.initrd && rec ? "--initrd"
			: !p.mkcpio && rec ? "--mkcpio" : NULL;
		if (!missing)
			cmd_long(&p, rec);
	} else {
		usage();
	}
	if (missing)
		die("%s: needs %s", cmd, missing);
	return 0;
}
