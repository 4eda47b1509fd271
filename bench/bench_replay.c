/* bench_replay.c - replay speed as a multiple of real time (issue 5 target: >= 1000x): records
 * a long synthetic playback session once, then replays it with the null sink, max speed. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "replay/replay.h"
#include "replay/synth.h"

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "build/bench/replay_60s.db";
	double seconds = argc > 2 ? atof(argv[2]) : 60.0;
	uint32_t period = argc > 3 ? (uint32_t)atoi(argv[3]) : 1024;
	struct stat st;
	char err[512] = "";
	if (stat(path, &st) != 0 && vt_synth_record_long(path, seconds, period, err, sizeof(err))) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return 1;
	}
	for (int verify = 0; verify < 2; verify++) {
		struct vt_replay_opts o;
		vt_replay_opts_default(&o);
		o.sink_spec = "null";
		o.verify = verify;
		struct vt_replay_report rep;
		double best = 0;
		for (int run = 0; run < 3; run++) {
			int rc = vt_replay_run(path, &o, &rep, err, sizeof(err));
			if (rc) {
				fprintf(stderr, "bench_replay: %s\n", err);
				return 1;
			}
			if (vt_replay_failed(&rep, &o)) {
				fprintf(stderr, "bench_replay: verification failed: %s\n", rep.first.what);
				return 1;
			}
			double x = rep.wall_ns ? (double)rep.session_ns / (double)rep.wall_ns : 0;
			if (x > best)
				best = x;
		}
		printf("replay_%s_speed %.0f x_realtime\n", verify ? "verify" : "null", best);
		if (!verify)
			printf("replay_events_per_s %.0f events/s\n",
			       rep.wall_ns ? (double)rep.events * 1e9 / (double)rep.wall_ns : 0);
	}
	return 0;
}
