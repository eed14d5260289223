/* NUL-terminated copies made with RedisModule_Alloc, and their release: the one place the module copies the
 * names, tags, sources and arguments its objects keep. Any thread (RedisModule_Alloc is thread-safe). */
#ifndef LOCUS_MODULE_COPIES_H
#define LOCUS_MODULE_COPIES_H

#include <stddef.h>

/* n bytes of p and a NUL after them (p may be NULL when n is 0). The caller frees it with RedisModule_Free.
 */
char *copy_bytes(const char *p, size_t n);

/* Copies of the n strings p[i] (lens[i] bytes each, or up to their NUL when lens is NULL), in an array of
 * n + 1 whose last entry is NULL. The caller frees it with free_list. */
char **copy_list(size_t n, const char *const *p, const size_t *lens);

/* Frees the n strings of list and the array itself; list may be NULL. */
void free_list(char **list, size_t n);

#endif
