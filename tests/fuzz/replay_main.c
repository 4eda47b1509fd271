/* replay_main.c - runs a libFuzzer harness without libFuzzer: feeds every file named on the
 * command line (directories: every regular file inside) to LLVMFuzzerTestOneInput once.
 * An input that runs longer than FUZZ_REPLAY_TIMEOUT seconds (default 20) is a hang: its
 * name is printed and the program exits 1 (like libFuzzer's -timeout). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input being run, for the watchdog's message (set before each input; the handler
 * only reads it). */
static const char *volatile current;

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "replay: TIMEOUT (hang) on input ";
	if (write(2, msg, sizeof(msg) - 1) < 0 ||
	    (current && write(2, current, strlen(current)) < 0) || write(2, "\n", 1) < 0)
		_exit(1);
	_exit(1);
}

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(fp);
	if (!buf)
		return -1;
	const char *env = getenv("FUZZ_REPLAY_TIMEOUT");
	current = path;
	alarm(env && atoi(env) > 0 ? (unsigned)atoi(env) : 20);
	LLVMFuzzerTestOneInput(buf, n);
	alarm(0);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGALRM, on_alarm);
	int files = 0, errors = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			errors++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			errors += run_file(argv[i]) != 0;
			files++;
			continue;
		}
		struct dirent **ents;
		int n = scandir(argv[i], &ents, NULL, alphasort);
		if (n < 0) {
			perror(argv[i]);
			errors++;
			continue;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], ents[k]->d_name);
			if (ents[k]->d_name[0] != '.' && stat(path, &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				errors += run_file(path) != 0;
				files++;
			}
			free(ents[k]);
		}
		free(ents);
	}
	printf("replayed %d inputs, %d unreadable\n", files, errors);
	return errors ? 1 : 0;
}
