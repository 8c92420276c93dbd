// SPDX-License-Identifier: GPL-2.0
/*
 * vmalloc_hold - kernel vmalloc and per-CPU memory a process holds through
 * BPF map fds, with a known answer (bpf(2) directly, no libbpf):
 * make_array() creates an array map of NVALUES x VALUE_SIZE bytes: one
 * vmalloc area of 8 MiB + the map's header page + a guard page (8,396,800
 * bytes on x86-64), and a nested one for its page array; make_percpu()
 * creates a per-CPU array map of NPCPU x PCPU_VALUE bytes: NPCPU per-CPU
 * allocations of PCPU_VALUE bytes each.
 * With "close", both fds are closed before exit (their memory is freed by a
 * kworker) and nothing must be reported. Prints "held", then waits for a
 * line on stdin (or exits at once with no stdin).
 *
 * usage: vmalloc_hold [close]
 */
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NVALUES		2048
#define VALUE_SIZE	4096
#define NPCPU		100
#define PCPU_VALUE	64

static int map_create(unsigned int type, unsigned int value_size, unsigned int entries)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = 4;
	a.value_size = value_size;
	a.max_entries = entries;
	fd = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
	if (fd < 0)
		perror("bpf(BPF_MAP_CREATE)");
	return fd;
}

__attribute__((noinline)) int make_array(void)
{
	return map_create(BPF_MAP_TYPE_ARRAY, VALUE_SIZE, NVALUES);
}

__attribute__((noinline)) int make_percpu(void)
{
	return map_create(BPF_MAP_TYPE_PERCPU_ARRAY, PCPU_VALUE, NPCPU);
}

int main(int argc, char **argv)
{
	int a = make_array(), p = make_percpu();
	char line[16];

	if (a < 0 || p < 0)
		return 1;
	if (argc > 1 && !strcmp(argv[1], "close")) {
		close(a);
		close(p);
	}
	printf("held\n");
	fflush(stdout);
	if (!isatty(0) && fgets(line, sizeof(line), stdin))
		return 0;
	return 0;
}
