/* main.c - the semu command line: boot a Linux rv32 Image (with initramfs) on the emulated
 * board with a virtio-snd device, optionally recording the session; exit with the guest's
 * power-off status. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "semu/machine.h"
#include "semu/timer.h"
#include "trace/recorder.h"

#define DEFAULT_BENCH_MARKER "Run /init as init process"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: semu -k IMAGE [-i INITRD] [-a BOOTARGS] [-m MIB] [--snd-sink SPEC]\n"
		"            [--snd-source SPEC] [--snd-config SPEC] [--trace FILE]\n"
		"            [--trace-commit-ms N] [--max-seconds N] [--bench-boot[=MARKER]] [--no-snd]\n"
		"\n"
		"Boots a Linux rv32 kernel Image in S-mode on an RV32IMA machine with an SBI, a\n"
		"16550 UART on this terminal, a PLIC and a virtio-snd device (virtio-mmio).\n"
		"\n"
		"  -k, --kernel IMAGE     kernel Image (loaded at RAM + its header's text_offset)\n"
		"  -i, --initrd FILE      initramfs (placed at the top of RAM, exact size in the DT)\n"
		"  -a, --append ARGS      kernel command line (default: the kernel's built-in one)\n"
		"  -m, --memory MIB       RAM size in MiB, %u..%u (default 128)\n"
		"      --snd-sink SPEC    output: null | wav:PATH | flac:PATH | alsa[:DEVICE]\n"
		"                         (default null). With several output streams the first\n"
		"                         plays into SPEC and output stream N into PATH with\n"
		"                         \"-sN\" before the extension (out.wav -> out-s1.wav);\n"
		"                         null and alsa sinks are opened once per stream\n"
		"      --snd-source SPEC  input: silence | sine[:HZ] | file:PATH | wav:PATH |\n"
		"                         flac:PATH | alsa[:DEVICE] (default silence); every input\n"
		"                         stream reads its own instance\n"
		"      --snd-config SPEC  the device's streams, jacks and channel maps (default:\n"
		"                         one output and one input stream, nid 0, 1..8 channels,\n"
		"                         u8 s16 s24_3 s24 s32 float, all 14 rates; a headphone\n"
		"                         jack; mono and stereo chmaps). SPEC: a preset (default,\n"
		"                         stereo-out, multi = 2 outputs + 1 input, minimal) and/or\n"
		"                         ';'-separated sections, each replacing that list:\n"
		"                         streams=DIR[:fmt=F+F][:rate=HZ+LO-HI][:ch=N|N-M][:nid=N]\n"
		"                         [:feat=polling+xruns],... (DIR out or in)\n"
		"                         jacks=KIND[:connected|:disconnected][:remap][:nid=N],...\n"
		"                         (KIND hp speaker line-out mic line-in hdmi ...)\n"
		"                         chmaps=DIR:POS+POS[:nid=N],... (POS FL FR FC LFE ...)\n"
		"                         or SECTION=none. Example: 'streams=out:fmt=s16:rate=\n"
		"                         44100-48000:ch=1-2,in:fmt=s16;jacks=hp,mic;chmaps=out:\n"
		"                         FL+FR'. Full grammar: docs/semu.md\n"
		"      --no-snd           no virtio-snd device\n"
		"      --trace FILE       record the virtio-snd session into SQLite database FILE\n"
		"      --trace-commit-ms N  commit the trace at least every N ms (default %u): a\n"
		"                         live reader lags and a SIGKILL loses at most about N ms;\n"
		"                         shorter costs more CPU (each commit has a fixed cost)\n"
		"      --max-seconds N    stop after N seconds of wall time (exit status 124)\n"
		"      --bench-boot[=M]   print the time until the console shows M\n"
		"                         (default \"" DEFAULT_BENCH_MARKER "\")\n"
		"  -h, --help             this text\n"
		"\n"
		"Console: on a terminal (stdin and stdout) it is raw; Ctrl-A x quits, Ctrl-A Ctrl-A\n"
		"sends Ctrl-A. Otherwise Ctrl-C (SIGINT) stops the run and closes the trace.\n"
		"Exit status: 0 guest powered off, 1 guest reset with reason 'system failure',\n"
		"2 guest rebooted (e.g. after a panic), 3 bad usage or setup error, 124 watchdog,\n"
		"130 stopped by Ctrl-A x or a signal.\n",
		MACHINE_RAM_MIN_MIB, MACHINE_RAM_MAX_MIB, VT_RECORDER_COMMIT_MS);
}

#define EXIT_USAGE 3

static int parse_u32(const char *s, uint32_t *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || s[0] == '-' || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_seconds(const char *s, double *out)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !(v > 0) || !isfinite(v) || v > 1e6)
		return -1;
	*out = v;
	return 0;
}

/* ---- recorder glue: the slot's hooks forward to the recorder's wrappers ---- */
static struct vsnd_sink *rec_wrap_sink(void *ctx, struct vsnd_sink *inner, uint32_t stream_id)
{
	return vt_recorder_wrap_sink(ctx, inner, stream_id);
}

static const struct vmmio_device_ops *rec_wrap_device(void *ctx,
						      const struct vmmio_device_ops *inner,
						      void *inner_dev, void **wrapped_dev)
{
	return vt_recorder_wrap_device(ctx, inner, inner_dev, wrapped_dev);
}

/* Open the database and plug the recorder into the slot's hooks. Returns NULL on error. */
static struct vt_recorder *trace_open(const char *path, uint32_t commit_ms,
				      struct machine_cfg *cfg, char *err, size_t errlen)
{
	struct vt_recorder *rec = NULL;
	struct vt_recorder_opts o = { .commit_ms = commit_ms };
	if (vt_recorder_open(path, &o, &rec, err, errlen) != 0)
		return NULL;
	cfg->snd_hooks = (struct snd_slot_hooks){
		.ctx = rec,
		.wrap_sink = rec_wrap_sink,
		.wrap_device = rec_wrap_device,
		.observer = vt_recorder_observer(rec),
	};
	return rec;
}

/* Timestamps from the machine's clock (guest ticks included) and the session row. */
static void trace_start(struct vt_recorder *rec, struct machine *m, const struct machine_cfg *cfg)
{
	vt_recorder_set_clock(rec, machine_clock(m));
	struct vt_session_info info = {
		.tool_version = "semu (vsndtrace 0.1)",
		.guest_cmdline = cfg->bootargs,
		.kernel = cfg->kernel,
		.initrd = cfg->initrd,
		.sink_spec = cfg->snd_sink ? cfg->snd_sink : "null",
		.timebase_hz = SEMU_TIMEBASE_HZ,
		.config = machine_snd_config(m),
	};
	vt_recorder_set_session_info(rec, &info);
}

/* Close the trace; after a run, one line on stderr says what it holds and what recording
 * cost: the writer thread's CPU time against the whole process's (the audio path's share,
 * the producers' ring appends, is not separable and is in semu's figure). */
static int trace_close(struct vt_recorder *rec, const char *path, int report)
{
	struct vt_recorder_stats st;
	int rc = vt_recorder_close_stats(rec, &st);
	struct rusage ru;
	if (report && getrusage(RUSAGE_SELF, &ru) == 0) {
		double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			     (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
		fprintf(stderr,
			"semu: trace %s: %llu events, %.1f MB, %llu commits, %llu writer wake-ups%s; "
			"recorder writer CPU %.1f ms of semu's %.3f s (%.1f %%)\n",
			path, (unsigned long long)st.events, (double)st.bytes / 1e6,
			(unsigned long long)st.commits, (unsigned long long)st.writer_wakeups,
			rc ? " (incomplete: see above)" : "",
			(double)st.writer_cpu_ns / 1e6, cpu,
			cpu > 0 ? 100.0 * (double)st.writer_cpu_ns / 1e9 / cpu : 0.0);
	}
	return rc;
}

enum {
	OPT_SINK = 256, OPT_SOURCE, OPT_TRACE, OPT_TRACE_COMMIT, OPT_MAXSEC, OPT_BENCH, OPT_NOSND,
	OPT_SNDCFG
};

int main(int argc, char **argv)
{
	vt_sqlite_process_init();
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "memory", required_argument, NULL, 'm' },
		{ "snd-sink", required_argument, NULL, OPT_SINK },
		{ "snd-source", required_argument, NULL, OPT_SOURCE },
		{ "snd-config", required_argument, NULL, OPT_SNDCFG },
		{ "no-snd", no_argument, NULL, OPT_NOSND },
		{ "trace", required_argument, NULL, OPT_TRACE },
		{ "trace-commit-ms", required_argument, NULL, OPT_TRACE_COMMIT },
		{ "max-seconds", required_argument, NULL, OPT_MAXSEC },
		{ "bench-boot", optional_argument, NULL, OPT_BENCH },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct machine_cfg cfg = {
		.ram_mib = 128,
		.with_snd = 1,
		.in_fd = 0,
		.out_fd = 1,
		.handle_signals = 1,
	};
	const char *trace_path = NULL;
	uint32_t commit_ms = 0; /* 0: the recorder's default */
	struct vsnd_config snd_config;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:a:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': cfg.kernel = optarg; break;
		case 'i': cfg.initrd = optarg; break;
		case 'a': cfg.bootargs = optarg; break;
		case 'm':
			if (parse_u32(optarg, &cfg.ram_mib) || cfg.ram_mib < MACHINE_RAM_MIN_MIB ||
			    cfg.ram_mib > MACHINE_RAM_MAX_MIB) {
				fprintf(stderr, "semu: -m: '%s' is not a RAM size in MiB between %u and %u\n",
					optarg, MACHINE_RAM_MIN_MIB, MACHINE_RAM_MAX_MIB);
				return EXIT_USAGE;
			}
			break;
		case OPT_SINK: cfg.snd_sink = optarg; break;
		case OPT_SOURCE: cfg.snd_source = optarg; break;
		case OPT_NOSND: cfg.with_snd = 0; break;
		case OPT_SNDCFG: {
			char why[512];
			if (vsnd_config_parse(optarg, &snd_config, why, sizeof(why))) {
				fprintf(stderr, "semu: --snd-config: %s\n", why);
				return EXIT_USAGE;
			}
			cfg.snd_config = &snd_config;
			break;
		}
		case OPT_TRACE: trace_path = optarg; break;
		case OPT_TRACE_COMMIT:
			if (parse_u32(optarg, &commit_ms) || commit_ms < 1 || commit_ms > 3600000) {
				fprintf(stderr, "semu: --trace-commit-ms: '%s' is not a number of "
						"milliseconds between 1 and 3600000\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_MAXSEC:
			if (parse_seconds(optarg, &cfg.max_seconds)) {
				fprintf(stderr, "semu: --max-seconds: '%s' is not a positive number of seconds\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_BENCH: cfg.bench_marker = optarg && *optarg ? optarg : DEFAULT_BENCH_MARKER; break;
		case 'h': usage(stdout); return 0;
		case ':':
			fprintf(stderr, "semu: option '%s' needs a value\n", argv[optind - 1]);
			usage(stderr);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "semu: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "semu: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (!cfg.kernel) {
		fprintf(stderr, "semu: no kernel image given (-k IMAGE); see --help\n");
		return EXIT_USAGE;
	}
	if (cfg.snd_config && !cfg.with_snd) {
		fprintf(stderr, "semu: --snd-config configures the virtio-snd device; it conflicts "
				"with --no-snd\n");
		return EXIT_USAGE;
	}
	if (commit_ms && !trace_path) {
		fprintf(stderr, "semu: --trace-commit-ms needs --trace FILE\n");
		return EXIT_USAGE;
	}
	if (trace_path && !cfg.with_snd) {
		fprintf(stderr, "semu: --trace records the virtio-snd device; it conflicts with --no-snd\n");
		return EXIT_USAGE;
	}
	/* A closed stdout pipe must not kill the run: the console drops output instead. */
	signal(SIGPIPE, SIG_IGN);
	/* SIGINT/SIGTERM/SIGHUP end the run through the machine's signalfd (then the recorder
	 * closes cleanly). Block them before any thread exists (the recorder's writer starts
	 * first), so that no thread takes them with the default action. */
	sigset_t stop_sigs;
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGINT);
	sigaddset(&stop_sigs, SIGTERM);
	sigaddset(&stop_sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);

	char err[512] = "";
	struct vt_recorder *rec = NULL;
	if (trace_path) {
		rec = trace_open(trace_path, commit_ms, &cfg, err, sizeof(err));
		if (!rec) {
			fprintf(stderr, "semu: --trace %s: %s\n", trace_path, err);
			return EXIT_USAGE;
		}
	}
	struct machine *m = machine_new(&cfg, err, sizeof(err));
	if (!m) {
		fprintf(stderr, "semu: %s\n", err);
		if (rec)
			trace_close(rec, NULL, 0);
		return EXIT_USAGE;
	}
	if (rec)
		trace_start(rec, m, &cfg);
	int status = machine_run(m);
	machine_free(m);
	if (rec && trace_close(rec, trace_path, 1) != 0 && status == 0)
		status = 1;
	return status;
}
