// SPDX-License-Identifier: GPL-2.0
/*
 * fd_hold - kernel memory a process holds through file descriptors, with a
 * known answer: open_pipes() makes NPIPES pipes, open_files() opens NFILES
 * files (each a new file, so a new dentry and inode), open_sockets() makes
 * NSOCKS UDP sockets; all stay open until exit. churn_sockets(), first,
 * opens and closes NCHURN unix sockets and files: their objects are freed,
 * many of them by RCU callbacks in other tasks' context, and must not show
 * as held.
 * Prints "held" when everything is open, then waits for a line on stdin
 * (or exits at once with no stdin).
 *
 * usage: fd_hold DIR    (DIR: where to create the files)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define NPIPES	500
#define NFILES	500
#define NSOCKS	500
#define NCHURN	2000

static int fds[2 * NPIPES + NFILES + NSOCKS];
static int nfds;

void open_pipes(void)
{
	for (int i = 0; i < NPIPES; i++) {
		if (pipe(fds + nfds) < 0) {
			perror("pipe");
			exit(1);
		}
		nfds += 2;
	}
}

void open_files(const char *dir)
{
	char path[4096];

	for (int i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		fds[nfds] = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
		if (fds[nfds++] < 0) {
			perror(path);
			exit(1);
		}
	}
}

void open_sockets(void)
{
	for (int i = 0; i < NSOCKS; i++) {
		fds[nfds] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fds[nfds++] < 0) {
			perror("socket");
			exit(1);
		}
	}
}

void churn_sockets(const char *dir)
{
	char path[4096];

	for (int i = 0; i < NCHURN; i++) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(path, sizeof(path), "%s/c%d", dir, i);
		int f = open(path, O_CREAT | O_RDWR, 0600);

		close(s);
		close(f);
		unlink(path);
	}
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 4096, 4096 };
	char line[16];

	if (argc != 2) {
		fprintf(stderr, "usage: fd_hold DIR\n");
		return 2;
	}
	setrlimit(RLIMIT_NOFILE, &rl);
	churn_sockets(argv[1]);
	open_pipes();
	open_files(argv[1]);
	open_sockets();
	printf("held %d\n", nfds);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	return 0;
}
