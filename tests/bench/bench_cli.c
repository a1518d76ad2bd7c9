/*
 * Benchmark: `mesoscreen screen cohort.jsonl > /dev/null`, pinned to one
 * core (sched_setaffinity, as `taskset -c 0`). Goal: median >= 100,000
 * records/s. The cohort (200,000 seeded records, cohort.h) is written to a
 * temporary file first; the figure is records / wall time of the whole
 * process (start-up, rule compilation, reading, screening, writing).
 *
 *   bench-cli PATH-TO-mesoscreen
 * Environment: BENCH_REPS (default 7), BENCH_RECORDS, BENCH_SEED, BENCH_SMOKE
 * (bench.h).
 */
#define _GNU_SOURCE
#include "bench.h"
#include "cohort.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>

static double run(const char *cli, const char *path, double *cpu)
{
	struct rusage ru;
	int status;
	double t0 = bench_now(), t;
	pid_t pid = fork();

	if (pid < 0)
		BENCH_DIE("fork failed");
	if (pid == 0) {
		cpu_set_t set;
		int fd = open("/dev/null", O_WRONLY);
		CPU_ZERO(&set);
		CPU_SET(0, &set);
		sched_setaffinity(0, sizeof set, &set); /* one core */
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(126);
		execl(cli, cli, "screen", path, (char *)NULL);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		BENCH_DIE("wait4 failed");
	t = bench_now() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		BENCH_DIE("%s screen %s: exit status %d", cli, path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	*cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	return t;
}

int main(int argc, char **argv)
{
	size_t reps = (size_t)bench_env_long("BENCH_REPS", (long)bench_size(7, 1));
	size_t n = (size_t)bench_env_long("BENCH_RECORDS", (long)bench_size(200000, 2000));
	uint64_t seed = (uint64_t)bench_env_long("BENCH_SEED", 20261121);
	double *rate = calloc(reps, sizeof *rate), *cpu_rate = calloc(reps, sizeof *cpu_rate);
	char path[] = "/tmp/mesoscreen-bench-XXXXXX.jsonl";
	size_t len, r;
	char *text;
	int fd;

	if (argc != 2)
		BENCH_DIE("usage: bench-cli PATH-TO-mesoscreen");
	bench_machine("CLI `mesoscreen screen cohort.jsonl > /dev/null`, pinned to core 0");
	text = cohort_lines(seed, n, COHORT_NESTED, &len);
	if (!text || !rate || !cpu_rate)
		BENCH_DIE("out of memory");
	fd = mkstemps(path, 6);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) != 0)
		BENCH_DIE("cannot write %s", path);
	free(text);
	printf("# cohort: %zu records, %.1f MB of JSON Lines\n", n, (double)len / 1e6);

	{
		double cpu;
		run(argv[1], path, &cpu); /* warm-up: page cache, loader */
	}
	for (r = 0; r < reps; r++) {
		double cpu, wall = run(argv[1], path, &cpu);
		rate[r] = (double)n / wall;
		cpu_rate[r] = (double)n / cpu;
	}
	unlink(path);
	bench_report("CLI mesoscreen screen on JSON Lines, one core (wall)", rate, reps, "records/s",
		     BENCH_AT_LEAST, 100000);
	bench_report("CLI mesoscreen screen on JSON Lines, per CPU second (user+sys)", cpu_rate, reps,
		     "records/s", BENCH_NO_GOAL, 0);
	free(rate);
	free(cpu_rate);
	return 0;
}
