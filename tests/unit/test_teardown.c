// SPDX-License-Identifier: GPL-2.0
/*
 * test_teardown.c - record/teardown.c without tracefs: the owner socket
 * that sweeps look for, the fd closing of memrec-teardown, and a detached
 * teardown on a fake tracing directory (a plain directory with an instance
 * and an uprobe_events file): it waits for its recorder to exit, then
 * removes the instance and writes the group's "-:" lines.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "mr_test.h"
#include "../../record/record.h"

static int bind_name(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "%s%s", MR_TEARDOWN_SOCKET, name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a,
			    offsetof(struct sockaddr_un, sun_path) + 1 + n) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void test_owned(void)
{
	char name[64], longname[200];
	int fd;

	snprintf(name, sizeof(name), "memrec_test_%d", getpid());
	MR_CHECK(!mr_teardown_owned(name), "owned/free-name", "'%s' seen as owned", name);
	fd = bind_name(name);
	MR_CHECK(fd >= 0, "owned/bind", "cannot bind the owner socket");
	MR_CHECK(mr_teardown_owned(name), "owned/held", "a held name is not seen as owned");
	close(fd);
	MR_CHECK(!mr_teardown_owned(name), "owned/released", "a closed socket still owns it");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	MR_CHECK(!mr_teardown_owned(longname), "owned/too-long", "a name too long is owned");
}

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void test_close_fds(void)
{
	int fds[6], open_after = 0;

	for (int i = 0; i < 6; i++)
		fds[i] = open("/dev/null", O_RDONLY);
	mr_close_fds_except(fds[4], fds[1]);
	for (int i = 0; i < 6; i++)
		open_after += is_open(fds[i]);
	MR_CHECK(is_open(fds[1]) && is_open(fds[4]) && open_after == 2, "close/keeps-two",
		 "%d fds open, kept ones: %d %d", open_after, is_open(fds[1]), is_open(fds[4]));
	MR_CHECK(is_open(1) && is_open(2), "close/keeps-stdio", "stdout or stderr closed");
	mr_close_fds_except(fds[1], fds[1]);
	MR_CHECK(is_open(fds[1]) && !is_open(fds[4]), "close/same-fd-twice",
		 "kept %d, other %d", is_open(fds[1]), is_open(fds[4]));
	mr_close_fds_except(-1, -1);
	MR_CHECK(!is_open(fds[1]) && is_open(1), "close/none-kept", "fd %d still open", fds[1]);
}

static char *read_all(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY), n;

	n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return buf;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * A recorder (a child of the test) hands its fake state to memrec-teardown
 * and lingers: nothing may go while it lives. It reports on a pipe.
 */
static void recorder(const char *dir, int out)
{
	char inst[4200], name[32], r[3];
	struct mr_watchdog wd = { .pid = 0, .fd = -1 };
	struct stat st;

	snprintf(name, sizeof(name), MR_GROUP_PREFIX "%d", getpid());
	snprintf(inst, sizeof(inst), "%s/instances/%s", dir, name);
	r[0] = mr_teardown_detach(dir, name, &wd) == 1 ? 'd' : '-';
	r[1] = mr_teardown_owned(name) ? 'o' : '-';
	sleep_ms(300);
	r[2] = !stat(inst, &st) ? 'i' : '-';
	if (write(out, r, 3) < 0)
		_exit(2);
	_exit(0);
}

static void test_detach(void)
{
	char dir[] = "/tmp/memrec_test_teardown.XXXXXX", path[4200], r[4] = "", name[32];
	char *ev;
	int p[2], fd, n = 0;
	pid_t pid;

	if (!mkdtemp(dir) || pipe(p) < 0)
		return;
	snprintf(path, sizeof(path), "%s/instances", dir);
	mkdir(path, 0700);
	pid = fork();
	if (!pid) {
		close(p[0]);
		recorder(dir, p[1]);
	}
	close(p[1]);
	/* the recorder's state, made before it starts to detach */
	snprintf(name, sizeof(name), MR_GROUP_PREFIX "%d", pid);
	snprintf(path, sizeof(path), "%s/instances/%s", dir, name);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/uprobe_events", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dprintf(fd, "p:%s/malloc /lib/libc.so.6:0x98930\nr:%s/malloc_ret /lib/libc.so.6:0x98930\n"
		"p:other_1/malloc /lib/libc.so.6:0x98930\n", name, name);
	close(fd);
	MR_CHECK(read(p[0], r, 3) == 3, "detach/recorder-ran", "no answer from the recorder");
	waitpid(pid, NULL, 0);
	MR_CHECK(r[0] == 'd', "detach/child-took-over", "mr_teardown_detach did not fork");
	MR_CHECK(r[1] == 'o', "detach/owned-while-recorder-runs", "no owner socket");
	MR_CHECK(r[2] == 'i', "detach/waits-for-recorder",
		 "the instance went while its recorder still ran");
	while (mr_teardown_owned(name) && n++ < 100)
		sleep_ms(50);
	MR_CHECK(!mr_teardown_owned(name), "detach/ends", "the owner socket is still held after 5 s");
	snprintf(path, sizeof(path), "%s/instances/%s", dir, name);
	MR_CHECK(access(path, F_OK) < 0, "detach/instance-removed", "'%s' is still there", path);
	snprintf(path, sizeof(path), "%s/uprobe_events", dir);
	ev = read_all(path);
	MR_CHECK(strstr(ev, "\n-:") && strstr(ev, name) && !strstr(ev, "-:other_1"),
		 "detach/group-removed", "uprobe_events: %s", ev);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path)) {
		/* a temporary directory left in /tmp */
	}
	close(p[0]);
}

static void test_foreground(void)
{
	struct mr_watchdog wd = { .pid = 0, .fd = -1 };

	setenv("MEMREC_TEARDOWN", "foreground", 1);
	MR_CHECK(mr_teardown_detach("/nonexistent", "memrec_1", &wd) == 0, "foreground/env",
		 "MEMREC_TEARDOWN=foreground still detached");
	unsetenv("MEMREC_TEARDOWN");
}

int main(void)
{
	test_owned();
	test_foreground();
	test_detach();
	test_close_fds();
	return mr_test_done();
}
