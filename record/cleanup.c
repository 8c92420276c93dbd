// SPDX-License-Identifier: GPL-2.0
/*
 * cleanup.c - makes sure no memrec tracing state outlives its recorder:
 * removes an instance and uprobe group by name, sweeps state of recorders
 * that are gone, and runs a watchdog process that cleans up after a
 * recorder killed with SIGKILL (or a memrec-teardown killed: teardown.c).
 * The same for its private directory of per-CPU and sample files
 * (outfile.c). Plain file operations only, so the watchdog needs no library
 * state.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "memrec.h"
#include "record.h"

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, s, strlen(s)) < 0) {
		/* nothing more to do: the caller checks the result by looking */
	}
	close(fd);
}

static int remove_instance(const char *dir, const char *name)
{
	char path[4096], on[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/instances/%s", dir, name);
	if (stat(path, &st) < 0)
		return 0;
	snprintf(on, sizeof(on), "%s/tracing_on", path);
	write_str(on, "0");
	/* EBUSY while a dying recorder's ring-buffer fds are being closed */
	for (int i = 0; i < 40; i++) {
		if (!rmdir(path) || errno == ENOENT)
			return 1;
		if (errno != EBUSY)
			break;
		sleep_ms(50);
	}
	mr_warning_errno("cannot remove tracefs instance '%s'", path);
	return 0;
}

/* Deletes every uprobe of group 'group' with one plain write each. */
static int remove_group(const char *dir, const char *group)
{
	char path[4096], *text, *line, *save;
	size_t glen = strlen(group);
	int n = 0, fd;

	snprintf(path, sizeof(path), "%s/uprobe_events", dir);
	text = mr_read_file(path, NULL);
	if (!text)
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	for (line = strtok_r(text, "\n", &save); fd >= 0 && line; line = strtok_r(NULL, "\n", &save)) {
		char *ev = strchr(line, ':'), *sp, cmd[512];

		if (!ev || strncmp(ev + 1, group, glen) || ev[1 + glen] != '/')
			continue;
		sp = strchr(ev, ' ');
		if (sp)
			*sp = '\0';
		snprintf(cmd, sizeof(cmd), "-%s", ev);
		for (int i = 0; i < 20; i++) {
			if (write(fd, cmd, strlen(cmd)) >= 0) {
				n++;
				break;
			}
			if (errno != EBUSY)
				break;
			sleep_ms(50);
		}
	}
	if (fd >= 0)
		close(fd);
	free(text);
	return n;
}

int mr_cleanup_state(const char *tracing_dir, const char *name)
{
	return remove_instance(tracing_dir, name) + remove_group(tracing_dir, name);
}

/* Is pid a running memrec (a recorder whose state must be left alone)? */
static bool memrec_alive(int pid)
{
	char path[64], *comm;
	bool alive;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	comm = mr_read_file(path, NULL);
	if (!comm)
		return false;
	alive = !strncmp(comm, "memrec", 6);
	free(comm);
	return alive;
}

static void sweep_name(const char *dir, const char *name)
{
	int pid;
	char *end;

	if (strncmp(name, MR_GROUP_PREFIX, strlen(MR_GROUP_PREFIX)))
		return;
	pid = strtol(name + strlen(MR_GROUP_PREFIX), &end, 10);
	if (*end || pid <= 0 || pid == getpid() || memrec_alive(pid) || mr_teardown_owned(name))
		return;
	if (mr_cleanup_state(dir, name))
		mr_warning("removed tracing state '%s' left by a memrec that no longer runs",
			   name);
}

void mr_cleanup_stale(const char *tracing_dir)
{
	char path[4096], *text, *line, *save;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/instances", tracing_dir);
	d = opendir(path);
	while (d && (de = readdir(d)))
		sweep_name(tracing_dir, de->d_name);
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "%s/uprobe_events", tracing_dir);
	text = mr_read_file(path, NULL);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *g = strchr(line, ':'), *slash;

		if (!g || !(slash = strchr(g, '/')))
			continue;
		*slash = '\0';
		sweep_name(tracing_dir, g + 1);
	}
	free(text);
}

int mr_cleanup_tmpdir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	struct stat st;
	int n = 0;
	DIR *d;

	if (fd < 0)
		return 0;
	/* only a directory memrec made: ours, private */
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 07777) != 0700 ||
	    !(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	/* unlinkat() removes a symbolic link itself, never what it points to */
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    !unlinkat(fd, de->d_name, 0))
			n++;
	closedir(d);
	return !rmdir(path) || n;
}

/* ".memrec_tmp_PID.XXXXXX" of a recorder that no longer runs */
static bool stale_tmpdir(const char *name)
{
	size_t len = strlen(MR_TMPDIR_PREFIX);
	char *end;
	long pid;

	if (strncmp(name, MR_TMPDIR_PREFIX, len))
		return false;
	pid = strtol(name + len, &end, 10);
	return *end == '.' && strlen(end) == 7 && pid > 0 && pid != getpid() &&
	       !memrec_alive(pid);
}

void mr_cleanup_stale_files(const char *output)
{
	char *copy = mr_xstrdup(output);
	const char *dir = dirname(copy);
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		char *path;

		if (!stale_tmpdir(de->d_name))
			continue;
		path = mr_xasprintf("%s/%s", dir, de->d_name);
		if (!lstat(path, &st) && S_ISDIR(st.st_mode) && mr_cleanup_tmpdir(path))
			mr_warning("removed '%s' left by a memrec that no longer runs", path);
		free(path);
	}
	if (d)
		closedir(d);
	free(copy);
}

void mr_null_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static void watchdog_main(int fd, const char *tracing_dir, const char *name,
			  const char *tmpdir)
{
	char c;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	prctl(PR_SET_NAME, "memrec-watchdog");
	/* a byte: the recorder left (mr_watchdog_detach); its output is not ours to hold */
	for (ssize_t n; (n = read(fd, &c, 1)) != 0;) {
		if (n < 0 && errno != EINTR)
			break;
		if (n == 1)
			mr_null_stdio();
	}
	/* the recorder is gone (or done): whatever it left is ours to remove */
	if (mr_cleanup_state(tracing_dir, name))
		mr_warning("watchdog removed tracing state '%s' of a recorder that died", name);
	/* after a normal stop the recorder has removed it already */
	if (tmpdir && mr_cleanup_tmpdir(tmpdir))
		mr_warning("watchdog removed the temporary files of a recorder that died");
	_exit(0);
}

int mr_watchdog_start(struct mr_watchdog *w, const char *tracing_dir, const char *name,
		      const char *tmpdir)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return mr_error_errno("cannot create the watchdog pipe");
	w->pid = fork();
	if (w->pid < 0) {
		close(p[0]);
		close(p[1]);
		return mr_error_errno("cannot start the watchdog");
	}
	if (!w->pid) {
		close(p[1]);
		watchdog_main(p[0], tracing_dir, name, tmpdir);
	}
	close(p[0]);
	w->fd = p[1];
	return 0;
}

void mr_watchdog_stop(struct mr_watchdog *w)
{
	if (w->pid <= 0)
		return;
	close(w->fd);
	waitpid(w->pid, NULL, 0);
	w->pid = 0;
}

void mr_watchdog_detach(struct mr_watchdog *w)
{
	if (w->pid <= 0)
		return;
	if (write(w->fd, "d", 1) < 0) {
		/* it is gone already: nothing holds our output */
	}
	close(w->fd);
	w->pid = 0;
}
