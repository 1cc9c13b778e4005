/*
 * ASSERT: invariant checks that stay compiled in, in every build.
 *
 * TigerBeetle's rule: an assertion that is compiled out in production protects
 * nothing in production.  A failed ASSERT prints file, line and expression to
 * stderr and aborts, so a core dump points at the broken invariant.
 *
 * ASSERT is for programmer errors only.  Bytes from the network or the disk
 * are validated and rejected with an error code, never asserted on.
 *
 * DEBUG_ASSERT is for checks too expensive for production (walking a whole
 * index, say); it is compiled only with --enable-debug (VS_DEBUG).
 *
 * This header is freestanding (stdio, stdlib) so that every module, the pure
 * raft core included, may use it.
 */
#ifndef VS_ENGINE_ASSERT_H
#define VS_ENGINE_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define VS_LIKELY(x) __builtin_expect(!!(x), 1)
#define VS_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define ASSERT(expr)                                                        \
	do {                                                                \
		if (VS_UNLIKELY(!(expr))) {                                 \
			fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", \
				__FILE__, __LINE__, __func__, #expr);       \
			abort();                                            \
		}                                                           \
	} while (0)

#ifdef VS_DEBUG
#define DEBUG_ASSERT(expr) ASSERT(expr)
#else
#define DEBUG_ASSERT(expr) ((void)0)
#endif

/* For "cannot happen" branches, e.g. the default of an exhaustive switch. */
#define UNREACHABLE() ASSERT(!"unreachable")

#endif /* VS_ENGINE_ASSERT_H */
