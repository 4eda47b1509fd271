/* bench_replay.c - replay speed as a multiple of real time (issue 5 target: >= 1000x): records
 * a long synthetic playback session once, then replays it with the null sink, max speed. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "replay/replay.h"
#include "replay/synth.h"
#include "trace/reader.h"

/* Process CPU time (all threads, user + system) in ns and context switches so far. */
static void usage_now(double *cpu_ns, long *switches)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	*cpu_ns = ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
		  ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
	*switches = ru.ru_nvcsw + ru.ru_nivcsw;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "build/bench/replay_60s.db";
	double seconds = argc > 2 ? atof(argv[2]) : 60.0;
	uint32_t period = argc > 3 ? (uint32_t)atoi(argv[3]) : 1024;
	int runs = argc > 4 ? atoi(argv[4]) : 3;
	struct stat st;
	char err[512] = "";
	if (stat(path, &st) != 0 && vt_synth_record_long(path, seconds, period, err, sizeof(err))) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return 1;
	}
	if (runs < 1)
		runs = 1;
	/* Modes: null sink, null sink + --verify, then null sink again with the process (and so
	 * every thread the replay starts) bound to the CPU it runs on. A replay is a chain of
	 * hand-offs (engine -> TX thread -> sink consumer -> engine, once per period), so on a
	 * VM each wake-up across CPUs costs more than the work it triggers; the 1cpu figure is
	 * also the steadier one when other jobs load the machine. */
	for (int mode = 0; mode < 3; mode++) {
		const int verify = mode == 1;
		if (mode == 2) {
			int cpu = sched_getcpu();
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu < 0 ? 0 : cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set) != 0)
				break;
		}
		struct vt_replay_opts o;
		vt_replay_opts_default(&o);
		o.sink_spec = "null";
		o.verify = verify;
		struct vt_replay_report rep;
		double best = 0, best_cpu = 0, cpu_sum = 0;
		long sw_sum = 0;
		uint64_t periods = 0;
		for (int run = 0; run < runs; run++) {
			/* Opening checks the file (trace/reader.c) and is not part of the replay
			 * figures, as in `vsndtrace replay`: only the run is measured. */
			struct vt_reader *r = NULL;
			if (vt_reader_open(path, 0, &r, err, sizeof(err))) {
				fprintf(stderr, "bench_replay: %s\n", err);
				return 1;
			}
			double c0, c1;
			long s0, s1;
			usage_now(&c0, &s0);
			int rc = vt_replay_run_reader(r, &o, &rep, err, sizeof(err));
			usage_now(&c1, &s1);
			vt_reader_close(r);
			if (rc) {
				fprintf(stderr, "bench_replay: %s\n", err);
				return 1;
			}
			if (vt_replay_failed(&rep, &o)) {
				fprintf(stderr, "bench_replay: verification failed: %s\n", rep.first.what);
				return 1;
			}
			double x = rep.wall_ns ? (double)rep.session_ns / (double)rep.wall_ns : 0;
			double xc = c1 > c0 ? (double)rep.session_ns / (c1 - c0) : 0;
			if (x > best)
				best = x;
			if (xc > best_cpu)
				best_cpu = xc;
			cpu_sum += c1 - c0;
			sw_sum += s1 - s0;
			periods = rep.sink_writes[0];
		}
		const char *name = mode == 2 ? "null_1cpu" : verify ? "verify" : "null";
		printf("replay_%s_speed %.0f x_realtime\n", name, best);
		/* Session time per CPU second (all threads): less sensitive to a loaded machine. */
		printf("replay_%s_cpu_speed %.0f x_realtime_per_cpu\n", name, best_cpu);
		printf("replay_%s_cpu_per_run %.1f ms\n", name, cpu_sum / runs / 1e6);
		if (periods)
			printf("replay_%s_switches_per_period %.1f\n", name,
			       (double)sw_sum / runs / (double)periods);
		if (mode == 0)
			printf("replay_events_per_s %.0f events/s\n",
			       rep.wall_ns ? (double)rep.events * 1e9 / (double)rep.wall_ns : 0);
	}
	return 0;
}
