/* Walks a TorchScript archive's pickle without running it (see pickle_check.h).
 *
 * Every opcode libtorch's unpickler reads is interpreted on a stack of small typed values: integers,
 * strings, tuples (kept with their items, because storage ids and tensor shapes are tuples), globals, and
 * storages and tensors once recognised; lists, dicts, sets and objects are opaque and their items dropped.
 * Two calls matter: BINPERSID of ('storage', torch.<T>Storage, key, location, numel) makes a storage,
 * checked against its record's size; REDUCE of torch._utils._rebuild_tensor_v2 (or _rebuild_qtensor) with
 * (storage, offset, sizes, strides, ...) makes a tensor, checked to lie inside that storage. */
#include "pickle_check.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "redismodule_api.h"

enum kind { V_OTHER, V_INT, V_STR, V_TUPLE, V_GLOBAL, V_STORAGE, V_TENSOR };

typedef struct {
    uint8_t kind;
    uint32_t a, b;         /* str: length; tuple: first item in items[], count; global: module length, name length */
    const unsigned char *s; /* str: bytes; global: module */
    const unsigned char *t; /* global: name */
    int64_t i;             /* int: value; storage: elements */
} value;

#define MARK_SLOT UINT32_MAX

typedef struct {
    const unsigned char *p;
    size_t len, pos, op_pos;
    const char *name, *dir;
    pickle_record_fn find;
    void *arg;
    lc_err *err;
    value *vals;
    uint32_t nvals, capvals;
    uint32_t *stack, *items, *memo;
    uint32_t nstack, capstack, nitems, capitems, nmemo, capmemo;
} walker;

/* Records the problem after the fixed prefix, the pickle's name and the opcode's offset; returns -1. */
static int fail(walker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(walker *w, const char *fmt, ...) {
    char what[LB_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    lc_err_set(w->err, "ERR model archive is not a valid TorchScript file: %s, byte %zu: %s", w->name,
               w->op_pos, what);
    return -1;
}

/* Grows *arr (elements of `size` bytes) to hold at least need; false when that passes PICKLE_MAX_VALUES. */
static bool grow(void **arr, uint32_t *cap, uint32_t need, size_t size) {
    if (need <= *cap)
        return true;
    if (need > PICKLE_MAX_VALUES)
        return false;
    uint32_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    if (c > PICKLE_MAX_VALUES)
        c = PICKLE_MAX_VALUES;
    void *n = RedisModule_Realloc(*arr, (size_t)c * size);
    *arr = n;
    *cap = c;
    return true;
}

static int push(walker *w, uint32_t v) {
    if (!grow((void **)&w->stack, &w->capstack, w->nstack + 1, sizeof(uint32_t)))
        return fail(w, "more than %u values on the stack", PICKLE_MAX_VALUES);
    w->stack[w->nstack++] = v;
    return 0;
}

/* A new value of `kind` pushed on the stack; its index in *out when out is not NULL. */
static int push_new(walker *w, value v, uint32_t *out) {
    if (!grow((void **)&w->vals, &w->capvals, w->nvals + 1, sizeof(value)))
        return fail(w, "more than %u values", PICKLE_MAX_VALUES);
    w->vals[w->nvals] = v;
    if (out)
        *out = w->nvals;
    return push(w, w->nvals++);
}

static int push_kind(walker *w, enum kind k) { return push_new(w, (value){.kind = (uint8_t)k}, NULL); }

static int push_int(walker *w, int64_t i) { return push_new(w, (value){.kind = V_INT, .i = i}, NULL); }

static int pop(walker *w, uint32_t *v) {
    if (w->nstack == 0 || w->stack[w->nstack - 1] == MARK_SLOT)
        return fail(w, "stack underflow");
    *v = w->stack[--w->nstack];
    return 0;
}

/* The index of the topmost MARK; -1 (with the error set) when there is none. */
static int64_t find_mark(walker *w) {
    for (uint32_t i = w->nstack; i-- > 0;)
        if (w->stack[i] == MARK_SLOT)
            return i;
    fail(w, "no MARK before this opcode");
    return -1;
}

/* Pops the n values above stack position `from` into a new tuple (from == nstack - n). */
static int make_tuple(walker *w, uint32_t from) {
    uint32_t n = w->nstack - from;
    if (!grow((void **)&w->items, &w->capitems, w->nitems + n, sizeof(uint32_t)))
        return fail(w, "more than %u tuple items", PICKLE_MAX_VALUES);
    if (n > 0)
        memcpy(w->items + w->nitems, w->stack + from, (size_t)n * sizeof(uint32_t));
    value t = {.kind = V_TUPLE, .a = w->nitems, .b = n};
    w->nitems += n;
    w->nstack = from;
    return push_new(w, t, NULL);
}

static bool take(walker *w, size_t n, const unsigned char **out) {
    if (w->len - w->pos < n)
        return false;
    *out = w->p + w->pos;
    w->pos += n;
    return true;
}

static uint64_t le(const unsigned char *q, unsigned n) {
    uint64_t v = 0;
    for (unsigned k = n; k-- > 0;)
        v = v << 8 | q[k];
    return v;
}

/* Reads an n-byte little-endian length, then that many bytes. */
static int take_counted(walker *w, unsigned n, const unsigned char **bytes, uint64_t *count) {
    const unsigned char *q;
    if (!take(w, n, &q))
        return fail(w, "truncated length");
    *count = le(q, n);
    if (*count > w->len - w->pos)
        return fail(w, "a length of %llu bytes runs past the end of the pickle", (unsigned long long)*count);
    take(w, (size_t)*count, bytes);
    return 0;
}

static bool str_is(const value *v, const char *s) {
    return v->kind == V_STR && v->a == strlen(s) && memcmp(v->s, s, v->a) == 0;
}

static bool global_is(const value *v, const char *mod, const char *name) {
    return v->kind == V_GLOBAL && v->a == strlen(mod) && memcmp(v->s, mod, v->a) == 0 && v->b == strlen(name) &&
           memcmp(v->t, name, v->b) == 0;
}

static const value *item(const walker *w, const value *tuple, uint32_t k) {
    return &w->vals[w->items[tuple->a + k]];
}

/* Element sizes of the storage classes torch writes (torch.<Name>). */
static const struct {
    const char *name;
    unsigned size;
} storage_types[] = {
    {"FloatStorage", 4},       {"DoubleStorage", 8},        {"HalfStorage", 2},     {"BFloat16Storage", 2},
    {"LongStorage", 8},        {"IntStorage", 4},           {"ShortStorage", 2},    {"CharStorage", 1},
    {"ByteStorage", 1},        {"BoolStorage", 1},          {"ComplexFloatStorage", 8},
    {"ComplexDoubleStorage", 16}, {"QInt8Storage", 1},      {"QUInt8Storage", 1},   {"QInt32Storage", 4},
    {"QUInt4x2Storage", 1},    {"QUInt2x4Storage", 1},
};

/* BINPERSID: ('storage', torch.<T>Storage, key, location, numel) -> a storage of numel elements, whose record
 * must hold exactly numel elements. */
static int persistent_id(walker *w) {
    uint32_t pid = 0;
    if (pop(w, &pid) != 0)
        return -1;
    const value *t = &w->vals[pid];
    if (w->find == NULL)
        return fail(w, "a persistent id in a pickle that holds no tensors");
    if (t->kind != V_TUPLE || t->b != 5 || !str_is(item(w, t, 0), "storage"))
        return fail(w, "a persistent id that is not ('storage', type, key, location, numel)");
    const value *type = item(w, t, 1), *key = item(w, t, 2), *numel = item(w, t, 4);
    unsigned esize = 0;
    for (size_t k = 0; type->kind == V_GLOBAL && k < sizeof storage_types / sizeof storage_types[0]; k++)
        if (global_is(type, "torch", storage_types[k].name))
            esize = storage_types[k].size;
    if (esize == 0)
        return fail(w, "a storage of unknown type");
    if (key->kind != V_STR || key->a == 0 || key->a > 64 || memchr(key->s, '/', key->a) != NULL)
        return fail(w, "a storage key that is not a record name");
    if (numel->kind != V_INT || numel->i < 0)
        return fail(w, "storage '%.*s' has a negative or missing element count", (int)key->a, key->s);
    uint64_t size;
    if (w->find(w->arg, w->dir, (const char *)key->s, key->a, &size) != 0)
        return fail(w, "storage '%.*s' has no record %s%.*s in the archive", (int)key->a, key->s, w->dir,
                    (int)key->a, key->s);
    if (size % esize != 0 || size / esize != (uint64_t)numel->i)
        return fail(w, "storage '%.*s' declares %lld elements of %u bytes but its record holds %llu bytes",
                    (int)key->a, key->s, (long long)numel->i, esize, (unsigned long long)size);
    return push_new(w, (value){.kind = V_STORAGE, .i = numel->i}, NULL);
}

/* _rebuild_tensor_v2 / _rebuild_qtensor (storage, offset, sizes, strides, ...): the view must lie inside the
 * storage: offset + sum((size_k - 1) * stride_k) < elements, unless some size is 0. */
static int check_view(walker *w, const value *args) {
    if (args->kind != V_TUPLE || args->b < 4)
        return fail(w, "a tensor rebuilt from fewer than 4 arguments");
    const value *st = item(w, args, 0), *off = item(w, args, 1), *sizes = item(w, args, 2),
                *strides = item(w, args, 3);
    if (st->kind != V_STORAGE)
        return fail(w, "a tensor rebuilt from something that is not a storage");
    if (off->kind != V_INT || off->i < 0)
        return fail(w, "a tensor with a negative or missing storage offset");
    if (sizes->kind != V_TUPLE || strides->kind != V_TUPLE || sizes->b != strides->b)
        return fail(w, "a tensor whose sizes and strides are not tuples of the same length");
    if (sizes->b > PICKLE_MAX_TENSOR_DIMS)
        return fail(w, "a tensor of %u dimensions (at most %d)", sizes->b, PICKLE_MAX_TENSOR_DIMS);
    uint64_t last = (uint64_t)off->i;
    bool empty = false, overflow = false;
    for (uint32_t k = 0; k < sizes->b; k++) {
        const value *n = item(w, sizes, k), *s = item(w, strides, k);
        if (n->kind != V_INT || s->kind != V_INT || n->i < 0 || s->i < 0)
            return fail(w, "a tensor with a negative or non-integer size or stride");
        if (n->i == 0)
            empty = true;
        uint64_t step;
        if (n->i > 0 && (__builtin_mul_overflow((uint64_t)(n->i - 1), (uint64_t)s->i, &step) ||
                         __builtin_add_overflow(last, step, &last)))
            overflow = true;
    }
    if (!empty && (overflow || last >= (uint64_t)st->i))
        return fail(w, "a tensor view reaches element %s%llu of a storage of %lld elements", overflow ? "past " : "",
                    (unsigned long long)last, (long long)st->i);
    return 0;
}

static int reduce(walker *w) {
    uint32_t args = 0, fn = 0;
    if (pop(w, &args) != 0 || pop(w, &fn) != 0)
        return -1;
    const value *f = &w->vals[fn];
    if (global_is(f, "torch._utils", "_rebuild_tensor_v2") || global_is(f, "torch._utils", "_rebuild_qtensor")) {
        if (check_view(w, &w->vals[args]) != 0)
            return -1;
        return push_kind(w, V_TENSOR);
    }
    return push_kind(w, V_OTHER);
}

static int memo_put(walker *w, uint64_t idx) {
    if (w->nstack == 0 || w->stack[w->nstack - 1] == MARK_SLOT)
        return fail(w, "memo store of an empty stack");
    /* both of torch's picklers number memo entries 0, 1, 2...: anything else is refused, not allocated */
    if (idx > w->nmemo)
        return fail(w, "memo index %llu out of sequence (next is %u)", (unsigned long long)idx, w->nmemo);
    if (idx == w->nmemo && !grow((void **)&w->memo, &w->capmemo, w->nmemo + 1, sizeof(uint32_t)))
        return fail(w, "more than %u memo entries", PICKLE_MAX_VALUES);
    w->memo[idx] = w->stack[w->nstack - 1];
    if (idx == w->nmemo)
        w->nmemo++;
    return 0;
}

static int memo_get(walker *w, uint64_t idx) {
    if (idx >= w->nmemo)
        return fail(w, "memo index %llu was never stored", (unsigned long long)idx);
    return push(w, w->memo[idx]);
}

/* Pops everything down to and including the topmost MARK (APPENDS, SETITEMS, ADDITEMS, POP_MARK). */
static int pop_to_mark(walker *w) {
    int64_t m = find_mark(w);
    if (m < 0)
        return -1;
    w->nstack = (uint32_t)m;
    return 0;
}

/* One opcode; 1 after STOP. */
static int step(walker *w) {
    const unsigned char *q;
    uint64_t n;
    uint32_t v = 0;
    w->op_pos = w->pos;
    unsigned char op = w->p[w->pos++];
    switch (op) {
    case 0x80: /* PROTO */
        if (!take(w, 1, &q) || *q > 5)
            return fail(w, "unsupported pickle protocol");
        return 0;
    case 0x95: /* FRAME */
        return take(w, 8, &q) ? 0 : fail(w, "truncated FRAME");
    case '.': return 1;
    case '(': return push(w, MARK_SLOT);
    case '0': return pop(w, &v);
    case '1': return pop_to_mark(w);
    case '2':
        if (pop(w, &v) != 0 || push(w, v) != 0)
            return -1;
        return push(w, v);
    case 'N': case 0x88: case 0x89: case ']': case '}': case 0x8f: /* NONE, TRUE, FALSE, [], {}, set() */
        return push_kind(w, V_OTHER);
    case 'J':
        if (!take(w, 4, &q))
            return fail(w, "truncated BININT");
        return push_int(w, (int32_t)(uint32_t)le(q, 4));
    case 'K':
        if (!take(w, 1, &q))
            return fail(w, "truncated BININT1");
        return push_int(w, q[0]);
    case 'M':
        if (!take(w, 2, &q))
            return fail(w, "truncated BININT2");
        return push_int(w, (int64_t)le(q, 2));
    case 0x8a: case 0x8b: { /* LONG1, LONG4: two's complement, little-endian; at most 8 bytes here */
        if (take_counted(w, op == 0x8a ? 1 : 4, &q, &n) != 0)
            return -1;
        if (n > 8)
            return fail(w, "an integer of %llu bytes", (unsigned long long)n);
        uint64_t u = n ? le(q, (unsigned)n) : 0;
        if (n > 0 && n < 8 && (q[n - 1] & 0x80))
            u |= ~(uint64_t)0 << (8 * n);
        return push_int(w, (int64_t)u);
    }
    case 'G':
        return take(w, 8, &q) ? push_kind(w, V_OTHER) : fail(w, "truncated BINFLOAT");
    case 'X': case 0x8c: case 0x8d: { /* BINUNICODE, SHORT_BINUNICODE, BINUNICODE8 */
        if (take_counted(w, op == 'X' ? 4 : op == 0x8c ? 1 : 8, &q, &n) != 0)
            return -1;
        return push_new(w, (value){.kind = V_STR, .s = q, .a = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n}, NULL);
    }
    case 'B': case 'C': case 0x8e: case 0x96: /* BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8 */
        if (take_counted(w, op == 'B' ? 4 : op == 'C' ? 1 : 8, &q, &n) != 0)
            return -1;
        return push_kind(w, V_OTHER);
    case ')': return make_tuple(w, w->nstack);
    case 0x85: case 0x86: case 0x87: { /* TUPLE1..3 */
        uint32_t k = (uint32_t)(op - 0x84);
        for (uint32_t i = 0; i < k; i++)
            if (w->nstack < k || w->stack[w->nstack - 1 - i] == MARK_SLOT)
                return fail(w, "stack underflow");
        return make_tuple(w, w->nstack - k);
    }
    case 't': case 'l': case 'd': case 0x91: { /* TUPLE, LIST, DICT, FROZENSET: items above a MARK */
        int64_t m = find_mark(w);
        if (m < 0)
            return -1;
        if (op == 't') {
            /* the MARK itself goes: move the items down one slot first */
            memmove(w->stack + m, w->stack + m + 1, (size_t)(w->nstack - m - 1) * sizeof(uint32_t));
            w->nstack--;
            return make_tuple(w, (uint32_t)m);
        }
        w->nstack = (uint32_t)m;
        return push_kind(w, V_OTHER);
    }
    case 'a': /* APPEND: list, item */
        if (pop(w, &v) != 0 || pop(w, &v) != 0)
            return -1;
        return push_kind(w, V_OTHER);
    case 's': /* SETITEM: dict, key, value */
        if (pop(w, &v) != 0 || pop(w, &v) != 0 || pop(w, &v) != 0)
            return -1;
        return push_kind(w, V_OTHER);
    case 'e': case 'u': case 0x90: /* APPENDS, SETITEMS, ADDITEMS: container, MARK, items */
        if (pop_to_mark(w) != 0 || pop(w, &v) != 0)
            return -1;
        return push_kind(w, V_OTHER);
    case 'b': /* BUILD: object, state */
        if (pop(w, &v) != 0 || pop(w, &v) != 0)
            return -1;
        return push_kind(w, V_OTHER);
    case 'c': { /* GLOBAL module\nname\n */
        const unsigned char *mod = w->p + w->pos, *nl = memchr(mod, '\n', w->len - w->pos);
        if (nl == NULL)
            return fail(w, "truncated GLOBAL");
        const unsigned char *name = nl + 1, *nl2 = memchr(name, '\n', (size_t)(w->p + w->len - name));
        if (nl2 == NULL)
            return fail(w, "truncated GLOBAL");
        w->pos = (size_t)(nl2 + 1 - w->p);
        return push_new(w, (value){.kind = V_GLOBAL, .s = mod, .a = (uint32_t)(nl - mod), .t = name,
                                   .b = (uint32_t)(nl2 - name)}, NULL);
    }
    case 0x93: { /* STACK_GLOBAL: module, name */
        uint32_t m = 0, nm = 0;
        if (pop(w, &nm) != 0 || pop(w, &m) != 0)
            return -1;
        if (w->vals[m].kind != V_STR || w->vals[nm].kind != V_STR)
            return fail(w, "STACK_GLOBAL of something that is not two strings");
        return push_new(w, (value){.kind = V_GLOBAL, .s = w->vals[m].s, .a = w->vals[m].a, .t = w->vals[nm].s,
                                   .b = w->vals[nm].a}, NULL);
    }
    case 'R': return reduce(w);
    case 0x81: /* NEWOBJ: class, args */
        if (pop(w, &v) != 0 || pop(w, &v) != 0)
            return -1;
        return push_kind(w, V_OTHER);
    case 0x92: /* NEWOBJ_EX: class, args, kwargs */
        if (pop(w, &v) != 0 || pop(w, &v) != 0 || pop(w, &v) != 0)
            return -1;
        return push_kind(w, V_OTHER);
    case 'Q': return persistent_id(w);
    case 'q':
        return take(w, 1, &q) ? memo_put(w, q[0]) : fail(w, "truncated BINPUT");
    case 'r':
        return take(w, 4, &q) ? memo_put(w, le(q, 4)) : fail(w, "truncated LONG_BINPUT");
    case 0x94: return memo_put(w, w->nmemo);
    case 'h':
        return take(w, 1, &q) ? memo_get(w, q[0]) : fail(w, "truncated BINGET");
    case 'j':
        return take(w, 4, &q) ? memo_get(w, le(q, 4)) : fail(w, "truncated LONG_BINGET");
    default:
        return fail(w, "pickle opcode 0x%02x is not one libtorch reads", op);
    }
}

int torch_pickle_check(const unsigned char *p, size_t len, const char *name, const char *dir, pickle_record_fn find,
                       void *arg, lc_err *err) {
    walker w = {.p = p, .len = len, .name = name, .dir = dir, .find = find, .arg = arg, .err = err};
    int rc = -1;
    if (len > PICKLE_MAX_BYTES) {
        fail(&w, "a pickle of %zu bytes (at most %llu)", len, (unsigned long long)PICKLE_MAX_BYTES);
        return -1;
    }
    for (;;) {
        if (w.pos >= w.len) {
            w.op_pos = w.pos;
            fail(&w, "the pickle ends without STOP");
            break;
        }
        int s = step(&w);
        if (s < 0)
            break;
        if (s == 1) {
            rc = w.pos == w.len ? 0 : fail(&w, "%zu bytes after STOP", w.len - w.pos);
            break;
        }
    }
    RedisModule_Free(w.vals);
    RedisModule_Free(w.stack);
    RedisModule_Free(w.items);
    RedisModule_Free(w.memo);
    return rc;
}
