// SPDX-License-Identifier: GPL-2.0
/*
 * churn_threads.cc - the threaded C++ counterpart of churn.c, for `make bench`:
 * T threads (argv[2], default 4), each running N iterations (argv[1],
 * default 100000) of churn_step().
 *
 * Each iteration makes exactly 8 allocations and 8 frees, none kept:
 *   - new/delete of a 32-byte Node                          1 + 1
 *   - a 40-char std::string (past the 15-char SSO) grown
 *     to 80 chars: 41 bytes, then 81 (twice the capacity)   2 + 2
 *   - a std::vector<int> grown by 16 push_backs: capacity
 *     1, 2, 4, 8, 16 (libstdc++ doubles it)                 5 + 5
 * and main's std::threads each allocate their state (new, deleted by the
 * thread), in a vector of T reserved once: the program's own code makes
 * 8 * N * T + T + 1 allocations and as many frees. It prints that count as
 * "allocs A frees A ns W", W the workers' wall time (threads started to
 * joined: a target time even under heaptrack, whose wrapper a timing wrapper
 * cannot see through). The C and C++ runtimes add a few allocations of their
 * own (libstdc++'s exception pool, glibc's thread setup: heaptrack counts
 * A + 5): events.allocs >= A when recorded from the start.
 * No stdio (its buffer would be one more malloc): one write(2) of the line.
 */
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <ctime>
#include <string>
#include <thread>
#include <vector>
#include <unistd.h>

struct Node {
	long a, b, c, d;
};

static volatile uintptr_t sink;

void churn_step(long i)
{
	Node *n = new Node{i, i, i, i};

	sink = (uintptr_t)n;
	delete n;

	std::string s(40, 'x');
	s.append(40, (char)('a' + (i & 15)));
	sink = (uintptr_t)s.data() + (unsigned char)s[79];

	std::vector<int> v;
	for (int k = 0; k < 16; k++)
		v.push_back((int)i + k);
	sink = (uintptr_t)v.data() + (unsigned)v[15];
}

static void worker(long n)
{
	for (long i = 0; i < n; i++)
		churn_step(i);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	long t = argc > 2 ? atol(argv[2]) : 4;
	std::vector<std::thread> threads;
	struct timespec t0, t1;
	char line[128];
	long allocs;
	int len;

	if (n < 0 || t < 1 || t > 64)
		return 2;
	threads.reserve(t);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long k = 0; k < t; k++)
		threads.emplace_back(worker, n);
	for (auto &th : threads)
		th.join();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	allocs = 8 * n * t + t + 1;
	len = snprintf(line, sizeof(line), "allocs %ld frees %ld ns %lld\n", allocs, allocs,
		       (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
	if (write(1, line, len) != len)
		return 1;
	return 0;
}
