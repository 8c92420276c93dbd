// SPDX-License-Identifier: GPL-2.0
/*
 * target.c - what memrec records: running processes (-p) or a command it
 * starts held on a pipe until the probes are live, so the command's first
 * malloc is seen (libbpf-tools memleak's fork_sync_exec, with a pipe).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "memrec.h"
#include "record.h"

/* The process a pid (or a thread id) belongs to; 0 when it is gone. */
static pid_t tgid_of(pid_t pid)
{
	char path[64], *s, *p;
	pid_t tgid = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	s = mr_read_file(path, NULL);
	if (s && (p = strstr(s, "\nTgid:")))
		tgid = atoi(p + 6);
	free(s);
	return tgid;
}

static bool have_pid(const struct mr_target *t, pid_t pid)
{
	for (int i = 0; i < t->nr_pids; i++)
		if (t->pids[i] == pid)
			return true;
	return false;
}

int mr_target_check_pids(const char *list)
{
	char *copy = mr_xstrdup(list), *tok, *save;
	int ret = 0, n = 0;

	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		uint64_t pid;

		if (mr_parse_u64(tok, &pid) < 0 || !pid || pid > 0x3fffffff) {
			char *q = mr_quote_ctl(tok);

			ret = mr_usage_error("'%s' is not a pid", q);
			free(q);
		}
		n++;
	}
	free(copy);
	if (!ret && !n)
		ret = mr_usage_error("-p takes PID[,PID...], not '%s'", list);
	return ret;
}

int mr_target_parse_pids(struct mr_target *t, const char *list)
{
	char *copy = mr_xstrdup(list), *tok, *save;
	int ret = 0;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t pid;
		char path[64];
		pid_t tgid;

		if (mr_parse_u64(tok, &pid) < 0 || !pid || pid > 0x3fffffff) {
			ret = mr_usage_error("'%s' is not a pid", tok);
			break;
		}
		snprintf(path, sizeof(path), "/proc/%llu/maps", (unsigned long long)pid);
		tgid = tgid_of(pid);
		if (access(path, R_OK) < 0 || !tgid) {
			ret = mr_error("no process with pid %llu", (unsigned long long)pid);
			break;
		}
		/* a thread id stands for its process, which is recorded once */
		if (tgid != (pid_t)pid)
			mr_warning("%llu is a thread of process %d; recording the whole process",
				   (unsigned long long)pid, tgid);
		if (have_pid(t, tgid))
			continue;
		t->pids = mr_xrealloc(t->pids, (t->nr_pids + 1) * sizeof(*t->pids));
		t->pids[t->nr_pids++] = tgid;
	}
	free(copy);
	return ret;
}

/* Resolves argv[0] on PATH before fork: the held child must not malloc. */
char *mr_target_resolve_cmd(const char *cmd)
{
	char *path, *dir, *save, *copy;

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) ? NULL : mr_xstrdup(cmd);
	path = getenv("PATH");
	copy = mr_xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *full = mr_xasprintf("%s/%s", *dir ? dir : ".", cmd);
		struct stat st;

		if (!stat(full, &st) && S_ISREG(st.st_mode) && !access(full, X_OK)) {
			free(copy);
			return full;
		}
		free(full);
	}
	free(copy);
	return NULL;
}

static void child_main(int hold, int err, const char *path, char **argv, char **envp)
{
	char c;
	int e;

	sigset_t none;

	/* the recorder blocks its stop signals; the command must not inherit that */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* held here until the probes are live; EOF without a byte: give up */
	if (read(hold, &c, 1) != 1)
		_exit(127);
	prctl(PR_SET_PDEATHSIG, 0);
	if (envp)
		execve(path, argv, envp);
	else
		execv(path, argv);
	e = errno;
	if (write(err, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int mr_target_spawn(struct mr_target *t, char **argv)
{
	int hold[2], err[2];
	char *path = mr_target_resolve_cmd(argv[0]);

	if (!path) {
		char *q = mr_quote_ctl(argv[0]);

		mr_error("cannot run '%s': command not found or not executable", q);
		free(q);
		return -1;
	}
	if (pipe2(hold, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return mr_error_errno("cannot create a pipe");
	t->child = fork();
	if (t->child < 0)
		return mr_error_errno("cannot fork");
	if (!t->child) {
		/* the hold pipe's EOF must reach the child: it keeps no write end */
		close(hold[1]);
		close(err[0]);
		child_main(hold[0], err[1], path, argv, t->envp);
	}
	t->exe = path;
	close(hold[0]);
	close(err[1]);
	t->release_fd = hold[1];
	t->exec_err_fd = err[0];
	t->pids = mr_xrealloc(t->pids, sizeof(*t->pids));
	t->pids[0] = t->child;
	t->nr_pids = 1;
	return 0;
}

int mr_target_release(struct mr_target *t)
{
	int e = 0;
	ssize_t r;

	if (!t->child)
		return 0;
	if (write(t->release_fd, "g", 1) != 1)
		return mr_error_errno("cannot start the command");
	close(t->release_fd);
	t->release_fd = -1;
	/* the error pipe closes on a successful exec */
	r = read(t->exec_err_fd, &e, sizeof(e));
	close(t->exec_err_fd);
	t->exec_err_fd = -1;
	if (r == sizeof(e)) {
		errno = e;
		return mr_error_errno("cannot run the command");
	}
	return 0;
}

int mr_for_each_thread(pid_t pid, int (*fn)(pid_t tid, void *ctx), void *ctx)
{
	char path[64];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return mr_error("no process with pid %d", pid);
	while (!ret && (de = readdir(d)))
		if (atoi(de->d_name) > 0)
			ret = fn(atoi(de->d_name), ctx);
	closedir(d);
	return ret;
}

static int add_tid(pid_t tid, void *ctx)
{
	mr_buf_addf(ctx, "%d ", tid);
	return 0;
}

static int write_task_pids(pid_t pid, struct mr_buf *b)
{
	return mr_for_each_thread(pid, add_tid, b);
}

int mr_target_set_event_pid(struct mr_target *t, struct tracefs_instance *inst)
{
	struct mr_buf b = { 0 };
	int ret = 0;

	for (int i = 0; i < t->nr_pids && ret >= 0; i++)
		ret = write_task_pids(t->pids[i], &b);
	if (ret >= 0 && tracefs_instance_file_write(inst, "set_event_pid", b.data) < 0)
		ret = mr_error_errno("cannot write set_event_pid");
	mr_buf_release(&b);
	return ret < 0 ? -1 : 0;
}

/* A task counts as alive unless it is gone or a zombie. */
static bool task_alive(const char *tid)
{
	char path[64], *stat, *p;
	bool alive;

	snprintf(path, sizeof(path), "/proc/%s/stat", tid);
	stat = mr_read_file(path, NULL);
	if (!stat)
		return false;
	p = strrchr(stat, ')');
	alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	free(stat);
	return alive;
}

int mr_target_trace(struct mr_target *t)
{
	if (ptrace(PTRACE_SEIZE, t->child, 0, PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC) < 0)
		return -1;
	t->traced = true;
	return 0;
}

/* A traced child's stop: its mappings read at exec and exit, a signal passed on. */
static void continue_child(struct mr_target *t, int status)
{
	int event = status >> 16;

	if (event == PTRACE_EVENT_STOP) {	/* a group stop: it stays stopped */
		ptrace(PTRACE_LISTEN, t->child, 0, 0);
		return;
	}
	if (event && t->on_stop)
		t->on_stop(t->on_stop_ctx, t->child);
	if (event == PTRACE_EVENT_EXIT) {
		ptrace(PTRACE_DETACH, t->child, 0, 0);
		t->traced = false;
		return;
	}
	ptrace(PTRACE_CONT, t->child, 0, event ? 0 : WSTOPSIG(status));
}

static void reap_child(struct mr_target *t)
{
	int status;

	while (waitpid(t->child, &status, __WALL | WNOHANG) == t->child) {
		if (!WIFSTOPPED(status)) {
			t->child_reaped = true;
			t->child_status = status;
			t->traced = false;
			return;
		}
		continue_child(t, status);
	}
}

/* Before the recording stops: the child runs on untraced, no signal lost. */
void mr_target_untrace(struct mr_target *t)
{
	int status;

	if (!t->traced)
		return;
	reap_child(t);
	if (!t->traced || ptrace(PTRACE_INTERRUPT, t->child, 0, 0) < 0)
		return;
	while (waitpid(t->child, &status, __WALL) == t->child) {
		int event = status >> 16;

		if (!WIFSTOPPED(status)) {
			t->child_reaped = true;
			t->child_status = status;
			break;
		}
		if (event && event != PTRACE_EVENT_STOP) {
			continue_child(t, status);	/* exec or exit: its mappings first */
			if (!t->traced)
				break;
			continue;
		}
		/* PTRACE_EVENT_STOP of the interrupt, or a signal to pass on */
		ptrace(PTRACE_DETACH, t->child, 0, event ? 0 : WSTOPSIG(status));
		break;
	}
	t->traced = false;
}

bool mr_target_alive(struct mr_target *t, struct tracefs_instance *inst)
{
	char *list, *tok, *save;
	bool alive = false;

	if (t->child && !t->child_reaped)
		reap_child(t);
	for (int i = 0; i < t->nr_pids && !alive; i++) {
		char pid[16];

		snprintf(pid, sizeof(pid), "%d", t->pids[i]);
		alive = task_alive(pid);
	}
	/* children and threads the kernel added (event-fork) count too */
	list = tracefs_instance_file_read(inst, "set_event_pid", NULL);
	for (tok = list ? strtok_r(list, " \n", &save) : NULL; tok && !alive;
	     tok = strtok_r(NULL, " \n", &save))
		alive = task_alive(tok);
	free(list);
	return alive;
}

char *mr_target_cmdline(pid_t pid)
{
	char path[64], *s;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	s = mr_read_file(path, &len);
	if (!s)
		return mr_xstrdup("");
	for (size_t i = 0; i + 1 < len; i++)
		if (!s[i])
			s[i] = ' ';
	return s;
}

void mr_target_release_all(struct mr_target *t)
{
	if (t->release_fd > 0)
		close(t->release_fd);
	if (t->exec_err_fd > 0)
		close(t->exec_err_fd);
	free(t->pids);
	free(t->exe);
	memset(t, 0, sizeof(*t));
}
