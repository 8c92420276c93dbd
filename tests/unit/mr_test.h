/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mr_test.h - the smallest harness that cannot hide a failure: each check
 * prints "ok - NAME" or "not ok - NAME: why"; mr_test_done() returns non-zero
 * when anything failed. tests/run.sh counts the lines.
 */
#ifndef MR_TEST_H
#define MR_TEST_H

#include <stdio.h>
#include <string.h>

static int mr_test_failed, mr_test_passed;

#define MR_CHECK(cond, name, ...)						\
	do {									\
		if (cond) {							\
			mr_test_passed++;					\
			printf("ok - %s\n", name);				\
		} else {							\
			mr_test_failed++;					\
			printf("not ok - %s: ", name);				\
			printf(__VA_ARGS__);					\
			printf(" (%s:%d)\n", __FILE__, __LINE__);		\
		}								\
	} while (0)

#define MR_CHECK_EQ(a, b, name)							\
	MR_CHECK((unsigned long long)(a) == (unsigned long long)(b), name,	\
		 "%s = %llu, expected %llu", #a, (unsigned long long)(a),	\
		 (unsigned long long)(b))

static inline int mr_test_done(void)
{
	fflush(stdout);
	return mr_test_failed ? 1 : 0;
}

#endif
