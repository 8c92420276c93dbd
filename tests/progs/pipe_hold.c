// SPDX-License-Identifier: GPL-2.0
/*
 * pipe_hold.c - a small kernel-memory target for the golden file
 * tests/golden/pipe_hold.dat (record -e user,kernel,page): churn_pipes()
 * opens and closes CHURN pipes (argv[2], default 20), then hold_pipes()
 * opens HOLD pipes (argv[1], default 20) and keeps them; the program then
 * sleeps MS milliseconds (argv[3], default 0) and exits. Recorded with a
 * -d shorter than that, the held pipes are still open when the trace ends.
 *
 * Expected in the leak report's kernel rows: the held pipes' filp (2 per
 * pipe), dentry and inode objects under hold_pipes; the churned ones are
 * freed (partly by RCU callbacks in other contexts) and paired. The frag
 * report counts the frees and which of them were on another CPU than the
 * allocation. No stdio.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int fds[2 * 1024];

void churn_pipes(int n)
{
	int p[2];

	for (int i = 0; i < n; i++) {
		if (pipe(p) < 0)
			exit(1);
		close(p[0]);
		close(p[1]);
	}
}

void hold_pipes(int n)
{
	for (int i = 0; i < n && i < 1024; i++)
		if (pipe(fds + 2 * i) < 0)
			exit(1);
}

int main(int argc, char **argv)
{
	int hold = argc > 1 ? atoi(argv[1]) : 20;
	int churn = argc > 2 ? atoi(argv[2]) : 20;
	long ms = argc > 3 ? atol(argv[3]) : 0;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	churn_pipes(churn);
	hold_pipes(hold);
	if (ms > 0)
		nanosleep(&ts, NULL);
	return 0;
}
