/* The checks of the module's unit tests: each counts, and a failed one prints where and, for strings, both
 * texts (as libuv's ASSERT_EQ prints both values); main reports the counts and fails when any failed. */
#ifndef LOCUS_TESTS_UNIT_CHECK_H
#define LOCUS_TESTS_UNIT_CHECK_H

#include <stdio.h>
#include <string.h>

static int checks, failures;

#define CHECK(c)                                                                                             \
    do {                                                                                                     \
        checks++;                                                                                            \
        if (!(c)) {                                                                                          \
            failures++;                                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);                           \
        }                                                                                                    \
    } while (0)

/* An error text (NULL: the call succeeded) equal to `text`. */
#define CHECK_ERR(expr, text)                                                                                \
    do {                                                                                                     \
        const char *got_ = (expr);                                                                           \
        checks++;                                                                                            \
        if (got_ == NULL || strcmp(got_, (text)) != 0) {                                                     \
            failures++;                                                                                      \
            fprintf(stderr, "%s:%d: expected \"%s\", got %s%s%s\n", __FILE__, __LINE__, (text),              \
                    got_ ? "\"" : "", got_ ? got_ : "success", got_ ? "\"" : "");                            \
        }                                                                                                    \
    } while (0)

/* A call that returns NULL on success or an error text. */
#define CHECK_OK(expr)                                                                                       \
    do {                                                                                                     \
        const char *got_ = (expr);                                                                           \
        checks++;                                                                                            \
        if (got_ != NULL) {                                                                                  \
            failures++;                                                                                      \
            fprintf(stderr, "%s:%d: expected success, got \"%s\"\n", __FILE__, __LINE__, got_);             \
        }                                                                                                    \
    } while (0)

#endif
