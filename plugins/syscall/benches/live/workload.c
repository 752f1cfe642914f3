/* Syscall-heavy workloads for scripts/bench-live.
 *
 *   workload orc N       N times: open a file, read it, close it (3 syscalls per iteration)
 *   workload forkexec N  N times: fork, exec /bin/true in the child, wait for it
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

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s orc|forkexec ITERATIONS\n", argv[0]);
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
	else {
		fprintf(stderr, "workload: unknown mode '%s' (orc or forkexec)\n", argv[1]);
		return 2;
	}
	long long elapsed = now_ns() - start;
	if (rc == 0)
		printf("%s %ld %lld %.1f\n", argv[1], n, elapsed, (double)elapsed / (double)n);
	return rc;
}
