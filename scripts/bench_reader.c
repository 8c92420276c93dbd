// SPDX-License-Identifier: GPL-2.0
/*
 * bench_reader.c - helpers for scripts/bench.sh, built on libmemrec.a:
 *
 *   bench_reader time -- CMD [ARGS]     runs CMD, prints its wall time in ns
 *   bench_reader stream [-b KB] [-o DIR] -- CMD [ARGS]
 *
 * "stream" is the floor memrec record is measured against: the same uprobes
 * (mr_probes_create), the same instance settings and the same per-CPU
 * splice streaming (mr_stream_*) as memrec record, with CMD held until the
 * probes are live, but nothing else (no perf mmap tracking, no header
 * capture, no trace.dat). The streamed files are deleted at exit.
 * Its instance and uprobe group are named memrec_<pid>, and its comm starts
 * with "memrec", so memrec's stale-state sweep leaves it alone while it
 * runs and removes its state if it dies; a memrec watchdog covers SIGKILL.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "memrec.h"
#include "record.h"

/* record.c's DEFAULT_BUFFER_KB (static there): "default settings" */
#define BENCH_BUFFER_KB		8192

static const char *const task_events[] = {
	"sched/sched_process_exec", "sched/sched_process_exit", "task/task_newtask",
};

static const char usage[] =
"usage: bench_reader time -- COMMAND [ARGS...]\n"
"   or: bench_reader stream [-b KB] [-o DIR] -- COMMAND [ARGS...]\n";

struct reader {
	const char		*tdir;
	char			name[32];
	uint64_t		buffer_kb;
	const char		*dir;
	struct mr_watchdog	wd;
	struct mr_target	target;
	struct mr_probes	probes;
	struct tracefs_instance	*inst;
	struct mr_stream	stream;
	bool			streaming;
};

static int cmd_time(char **argv)
{
	uint64_t t0 = mr_now_ns(), t1;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return mr_error("cannot fork: %s", strerror(errno));
	if (!pid) {
		execvp(argv[0], argv);
		fprintf(stderr, "bench_reader: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return mr_error("cannot wait for '%s': %s", argv[0], strerror(errno));
	t1 = mr_now_ns();
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return mr_error("'%s' failed (status 0x%x)", argv[0], status);
	printf("%llu\n", (unsigned long long)(t1 - t0));
	return fflush(stdout) ? -1 : 0;
}

static int setup(struct reader *r, char **argv)
{
	struct mr_alloc_libs libs = { 0 };
	char *base;
	int ret;

	r->tdir = tracefs_tracing_dir();
	if (!r->tdir)
		return mr_error("cannot find tracefs");
	if (mr_watchdog_start(&r->wd, r->tdir, r->name, NULL) < 0)
		return -1;
	if (mr_target_spawn(&r->target, argv) < 0)
		return -1;
	/* the spawned command maps the same libc as the reader (not exec'd yet) */
	ret = mr_allocs_find(0, r->target.exe, NULL, &libs);
	if (!ret)
		ret = mr_probes_create(&r->probes, r->name, &libs);
	mr_allocs_release(&libs);
	if (ret)
		return -1;

	r->inst = tracefs_instance_create(r->name);
	if (!r->inst)
		return mr_error("cannot create instance '%s': %s", r->name, strerror(errno));
	if (tracefs_trace_off(r->inst) < 0 ||
	    tracefs_instance_set_buffer_size(r->inst, r->buffer_kb, -1) < 0 ||
	    tracefs_instance_file_write(r->inst, "trace_clock", "mono") < 0 ||
	    tracefs_instance_file_write(r->inst, "buffer_percent", "1") < 0 ||
	    tracefs_option_enable(r->inst, TRACEFS_OPTION_USERSTACKTRACE) < 0 ||
	    tracefs_option_enable(r->inst, TRACEFS_OPTION_EVENT_FORK) < 0 ||
	    tracefs_option_enable(r->inst, TRACEFS_OPTION_OVERWRITE) < 0)
		return mr_error("cannot configure instance '%s': %s", r->name, strerror(errno));
	if (mr_target_set_event_pid(&r->target, r->inst) < 0)
		return -1;
	for (int i = 0; i < r->probes.nr + (int)ARRAY_SIZE(task_events); i++) {
		const char *sysev = i < r->probes.nr ? r->probes.events[i]
						     : task_events[i - r->probes.nr];
		char *sys = mr_xstrdup(sysev), *ev = strchr(sys, '/');

		*ev++ = '\0';
		ret = tracefs_event_enable(r->inst, sys, ev);
		free(sys);
		if (ret < 0)
			return mr_error("cannot enable '%s': %s", sysev, strerror(errno));
	}
	base = mr_xasprintf("%s/%s", r->dir, r->name);
	ret = mr_stream_start(&r->stream, r->inst, base);
	free(base);
	if (ret < 0)
		return -1;
	r->streaming = true;
	if (tracefs_trace_on(r->inst) < 0)
		return mr_error("cannot turn tracing on: %s", strerror(errno));
	return mr_target_release(&r->target);
}

/* Waits for the command; a stop signal kills it. Returns its wait status. */
static int wait_target(struct reader *r, const sigset_t *sigs)
{
	struct timespec tick = { 0, 100 * 1000000L };
	int status;

	for (;;) {
		int sig = sigtimedwait(sigs, NULL, &tick);
		pid_t w = waitpid(r->target.child, &status, WNOHANG);

		if (w == r->target.child) {
			r->target.child_reaped = true;
			return status;
		}
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
			mr_warning("stopped by signal %d; killing the command", sig);
			kill(r->target.child, SIGKILL);
		}
		if (r->stream.error)
			mr_warning("stream error: %s", strerror(r->stream.error));
	}
}

static uint64_t lost_events(struct reader *r)
{
	uint64_t lost = 0;

	for (int cpu = 0; cpu < r->stream.nr_cpus; cpu++) {
		char file[64], *s, *p;

		snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
		s = tracefs_instance_file_read(r->inst, file, NULL);
		if (!s)
			continue;
		if ((p = strstr(s, "\noverrun: ")))
			lost += strtoull(p + 10, NULL, 10);
		if ((p = strstr(s, "dropped events: ")))
			lost += strtoull(p + 16, NULL, 10);
		free(s);
	}
	return lost;
}

/* Every exit path after the instance exists comes through here. */
static void teardown(struct reader *r)
{
	uint64_t lost = 0;

	if (r->inst) {
		tracefs_trace_off(r->inst);
		if (r->streaming)
			mr_stream_stop(&r->stream);
		r->streaming = false;
		lost = lost_events(r);
		if (tracefs_instance_destroy(r->inst) < 0)
			mr_warning("cannot remove instance '%s': %s", r->name, strerror(errno));
		tracefs_instance_free(r->inst);
		r->inst = NULL;
	}
	if (r->stream.files) {
		fprintf(stderr, "bench_reader: streamed %llu bytes, %llu events lost\n",
			(unsigned long long)mr_stream_bytes(&r->stream), (unsigned long long)lost);
		mr_stream_release(&r->stream, true);
	}
	mr_probes_destroy(&r->probes);
	if (r->tdir)
		mr_cleanup_state(r->tdir, r->name);
	if (r->target.child && !r->target.child_reaped) {
		/* never released: closing the hold pipe makes it exit */
		if (r->target.release_fd > 0)
			close(r->target.release_fd);
		r->target.release_fd = -1;
		kill(r->target.child, SIGKILL);
		waitpid(r->target.child, NULL, 0);
	}
	mr_watchdog_stop(&r->wd);
	mr_target_release_all(&r->target);
}

static int cmd_stream(int argc, char **argv)
{
	struct reader r;
	sigset_t sigs;
	int c, ret, status = -1;

	memset(&r, 0, sizeof(r));
	r.buffer_kb = BENCH_BUFFER_KB;
	r.dir = "/tmp";
	while ((c = getopt(argc, argv, "+b:o:")) != -1) {
		switch (c) {
		case 'b':
			if (mr_parse_u64(optarg, &r.buffer_kb) < 0 || r.buffer_kb < 64)
				return mr_usage_error("-b takes KiB per CPU, not '%s'", optarg);
			break;
		case 'o': r.dir = optarg; break;
		default: fputs(usage, stderr); return -1;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return -1;
	}
	/* memrec's sweep spares memrec_<pid> only while /proc/pid/comm is memrec* */
	prctl(PR_SET_NAME, "memrec-bench");
	snprintf(r.name, sizeof(r.name), MR_GROUP_PREFIX "%d", getpid());
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	ret = setup(&r, argv + optind);
	if (!ret)
		status = wait_target(&r, &sigs);
	teardown(&r);
	if (ret)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return mr_error("the command failed (status 0x%x)", status);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "time") && !strcmp(argv[2], "--") && argc > 3)
		return cmd_time(argv + 3) ? MR_EXIT_FAIL : MR_EXIT_OK;
	if (argc >= 2 && !strcmp(argv[1], "stream"))
		return cmd_stream(argc - 1, argv + 1) ? MR_EXIT_FAIL : MR_EXIT_OK;
	fputs(usage, stderr);
	return MR_EXIT_USAGE;
}
