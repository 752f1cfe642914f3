/* Syscall-heavy workloads for scripts/bench-live.
 *
 *   workload orc N       N times: open a file, read it, close it (3 syscalls per iteration)
 *   workload forkexec N  N times: fork, exec /bin/true in the child, wait for it
 *   workload dupclose N [PER_SECOND]
 *                        N times: dup a descriptor, close the copy (2 cheap syscalls that the
 *                        state always needs, so 2 events per iteration under any ruleset); with
 *                        PER_SECOND, paced to that many iterations a second (a busy wait on the
 *                        vDSO clock between batches, no extra syscalls)
 *
 * Prints one line: "<mode> <iterations> <elapsed ns> <ns per iteration>".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int open_read_close(long n)
{
	char buf[256];
	for (long i = 0; i < n; i++) {
		int fd = open("/etc/hostname", O_RDONLY);
		if (fd < 0) {
			perror("workload: open /etc/hostname");
			return 1;
		}
		if (read(fd, buf, sizeof buf) < 0) {
			perror("workload: read");
			return 1;
		}
		close(fd);
	}
	return 0;
}

static int fork_exec(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t child = fork();
		if (child < 0) {
			perror("workload: fork");
			return 1;
		}
		if (child == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		int status;
		if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "workload: /bin/true failed\n");
			return 1;
		}
	}
	return 0;
}

/* Iterations between two looks at the clock when paced. */
#define PACE_BATCH 64

static int dup_close(long n, long per_second)
{
	long long start = now_ns();
	for (long i = 0; i < n; i++) {
		if (per_second > 0 && i % PACE_BATCH == 0) {
			long long due = start + (long long)((double)i * 1e9 / (double)per_second);
			while (now_ns() < due)
				;
		}
		int fd = dup(1);
		if (fd < 0) {
			perror("workload: dup");
			return 1;
		}
		close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 && !(argc == 4 && strcmp(argv[1], "dupclose") == 0)) {
		fprintf(stderr, "usage: %s orc|forkexec|dupclose ITERATIONS [PER_SECOND (dupclose)]\n", argv[0]);
		return 2;
	}
	long n = strtol(argv[2], NULL, 10);
	if (n <= 0) {
		fprintf(stderr, "workload: ITERATIONS must be a positive number, got '%s'\n", argv[2]);
		return 2;
	}
	long long start = now_ns();
	int rc;
	if (strcmp(argv[1], "orc") == 0)
		rc = open_read_close(n);
	else if (strcmp(argv[1], "forkexec") == 0)
		rc = fork_exec(n);
	else if (strcmp(argv[1], "dupclose") == 0)
		rc = dup_close(n, argc == 4 ? strtol(argv[3], NULL, 10) : 0);
	else {
		fprintf(stderr, "workload: unknown mode '%s' (orc, forkexec or dupclose)\n", argv[1]);
		return 2;
	}
	long long elapsed = now_ns() - start;
	if (rc == 0)
		printf("%s %ld %lld %.1f\n", argv[1], n, elapsed, (double)elapsed / (double)n);
	return rc;
}
