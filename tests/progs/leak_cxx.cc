// SPDX-License-Identifier: GPL-2.0
/*
 * leak_cxx.cc - operator new / new[] leaks with demangled frame 0 names.
 *
 * Expected leaks (frame 0 function, compared up to an optional "(...)"):
 *   leak_new        4 x 48  = 192  alloc_fn new        (line L:leak_new)
 *   leak_new_array  2 x 100 = 200  alloc_fn new_array  (new int[25],
 *                                                       line L:leak_new_array)
 * balanced_cxx() (new/delete, new[]/delete[], a std::nothrow new) leaks
 * nothing. No function name in any reported frame may be mangled ("_Z...").
 * libstdc++ allocates its exception emergency pool before main (frame 0 in
 * libstdc++, never freed): not ours and not checked.
 * No iostream, no stdio: output is one write(2) of "done\n".
 */
#include <cstdint>
#include <new>
#include <unistd.h>

struct Node {
	long a, b, c, d, e;
	Node *next;		/* 6 x 8 = 48 bytes */
};
static_assert(sizeof(Node) == 48, "Node must be 48 bytes");

static volatile uintptr_t sink;

/* Overwrite the only copy of the pointer: the block is definitely lost. */
static void drop(void *p)
{
	sink = (uintptr_t)p ^ 0x5a5a5a5a;
}

/* Let the pointer escape before it is deleted, so no new/delete pair can be
 * elided by the compiler. */
static void escape(void *p)
{
	sink = (uintptr_t)p;
}

void leak_new()
{
	for (int i = 0; i < 4; i++) {
		Node *n = new Node(); /* L:leak_new */
		n->a = i;
		drop(n);
	}
}

void leak_new_array()
{
	for (int i = 0; i < 2; i++) {
		int *a = new int[25]; /* L:leak_new_array */
		a[24] = i;
		drop(a);
	}
}

void balanced_cxx()
{
	for (int i = 0; i < 10; i++) {
		Node *n = new Node();
		escape(n);
		delete n;

		int *a = new int[40];
		escape(a);
		delete[] a;

		Node *m = new (std::nothrow) Node();
		escape(m);
		delete m;
	}
}

int main()
{
	leak_new();
	leak_new_array();
	balanced_cxx();
	if (write(1, "done\n", 5) != 5)
		return 1;
	return 0;
}
