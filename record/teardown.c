// SPDX-License-Identifier: GPL-2.0
/*
 * teardown.c - memrec returns as soon as its file is written: the slow end
 * of a recording is the kernel's (the last close of each perf fd
 * unregisters its uprobe or tracepoint, ~55 ms each here; then the instance
 * and the uprobe group are removed), and a detached child, memrec-teardown,
 * does it. The child holds a copy of every fd, so the recorder's own closes
 * and its exit are cheap; it waits for the recorder to be gone, then does
 * the last closes and removes the state. While it works it holds the
 * abstract unix socket "@memrec-teardown/NAME": the stale-state sweeps
 * (cleanup.c, the tests' lib.sh) leave state so owned alone. It also holds
 * the watchdog's pipe: if it is killed, the watchdog removes what is left.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include "memrec.h"
#include "record.h"

/* The abstract address "\0memrec-teardown/NAME"; returns its length. */
static socklen_t owner_addr(struct sockaddr_un *a, const char *name)
{
	int n;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "%s%s", MR_TEARDOWN_SOCKET, name);
	if (n < 0 || (size_t)n >= sizeof(a->sun_path) - 1)
		return 0;
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

/* A socket bound to name's owner address, or -1 (errno EADDRINUSE: it is held). */
static int bind_owner(const char *name)
{
	struct sockaddr_un a;
	socklen_t len = owner_addr(&a, name);
	int fd;

	if (!len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, len) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

bool mr_teardown_owned(const char *name)
{
	int fd = bind_owner(name);

	if (fd >= 0)
		close(fd);
	return fd < 0 && errno == EADDRINUSE;
}

/* Closes fds lo..hi; one by one where close_range() is missing (before 5.9). */
static void close_span(unsigned int lo, unsigned int hi)
{
	long max;

	if (lo > hi || !close_range(lo, hi, 0) || errno != ENOSYS)
		return;
	max = sysconf(_SC_OPEN_MAX);
	for (long fd = lo; fd <= hi && fd < max; fd++)
		close(fd);
}

void mr_close_fds_except(int keep1, int keep2)
{
	int lo = keep1 < keep2 ? keep1 : keep2, hi = keep1 < keep2 ? keep2 : keep1;
	unsigned int first = 3;

	/* [3, lo), (lo, hi), (hi, ~0]; a keep of -1 keeps nothing */
	if (lo >= 3) {
		close_span(first, lo - 1);
		first = lo + 1;
	}
	if (hi >= 3 && (unsigned int)hi >= first) {
		close_span(first, hi - 1);
		first = hi + 1;
	}
	close_span(first, ~0u);
}

static void child_main(int recorder, int owner, int wd_fd, const char *tdir, const char *name)
{
	struct pollfd pfd = { recorder, POLLIN, 0 };

	/* neither a second Ctrl-C nor the terminal's hangup may stop it half way */
	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "memrec-teardown");
	/* whoever reads memrec's output (a pipe, $(...)) must not wait for us */
	mr_null_stdio();
	/*
	 * The recorder's pidfd is readable once its exit has dropped all its
	 * references (its fds and perf mmaps): each close below is the last.
	 */
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	close(recorder);
	mr_close_fds_except(owner, wd_fd);
	mr_cleanup_state(tdir, name);
	/* the socket and the watchdog's pipe go with us: the watchdog finds nothing */
	_exit(0);
}

int mr_teardown_detach(const char *tdir, const char *name, const struct mr_watchdog *wd)
{
	const char *mode = getenv("MEMREC_TEARDOWN");
	int recorder, owner;
	pid_t pid;

	if (mode && !strcmp(mode, "foreground"))
		return 0;
	/* an old kernel without pidfds: the teardown stays in the foreground */
	recorder = syscall(SYS_pidfd_open, getpid(), 0);
	if (recorder < 0)
		return 0;
	owner = bind_owner(name);
	if (owner < 0) {
		close(recorder);
		return 0;
	}
	pid = fork();
	if (!pid)
		child_main(recorder, owner, wd->pid > 0 ? wd->fd : -1, tdir, name);
	close(recorder);
	close(owner);
	return pid > 0;
}
