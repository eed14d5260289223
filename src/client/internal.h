/* liblocus internals: the layers under the public API, each in its own file.
 *
 *   err.c      thread-local status and message (fixed buffer, never allocates)
 *   log.c      SR_LOG_FILE / SR_LOG_LEVEL logging
 *   addr.c     address and environment parsing (pure)
 *   crc16.c    cluster hash slots with hash tags (pure)
 *   layout.c   C <-> Fortran transposes and nested-pointer gathers (pure)
 *   resp.c     RESP request headers for writev (pure)
 *   conn.c     one connection: connect with timeouts, AUTH, writev sends, replies (hiredis for small replies,
 *              a streaming reader straight into the caller's buffer for unpack)
 *   route.c    standalone/cluster routing: slot map, MOVED/ASK, retries, reconnects, per-node pipelines
 *   client.c   the public client, prefixes, tensors
 *   meta.c     the dataset metadata codec: one field's values <-> stored bytes (pure)
 *   dataset.c  dataset objects, datasets and lists in the database
 *   model.c    models and scripts: a copy per shard, runs next to their inputs
 *   multigpu.c SmartRedis's multi-GPU model and script calls (a copy per GPU)
 *   admin.c    SmartRedis's administration calls on one node (flush_db, save, config_*, *_info)
 * Each layer only calls the ones above it in this list. */
#ifndef LOCUS_CLIENT_INTERNAL_H
#define LOCUS_CLIENT_INTERNAL_H

#include "locus/locus.h"

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/uio.h>

/* ---- err.c ---- */
/* Record a failure for this thread and return s. */
locus_status lc_fail(locus_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record success for this thread (the last message is kept, the status becomes LOCUS_OK). */
locus_status lc_ok(void);
/* Public entry points: a false argument check fails the call with LOCUS_ERR_PARAMETER naming it. */
#define CHECK_ARG(cond)                                                                                      \
    do {                                                                                                     \
        if (!(cond))                                                                                         \
            return lc_fail(LOCUS_ERR_PARAMETER, "%s: invalid argument (%s)", __func__, #cond);               \
    } while (0)

/* ---- log.c ---- */
typedef enum { LC_LOG_QUIET = 0, LC_LOG_INFO = 1, LC_LOG_DEBUG = 2, LC_LOG_DEVELOPER = 3 } lc_log_level;
/* Reads SR_LOG_FILE and SR_LOG_LEVEL (the first call that succeeds) and names the lines (name NULL or "":
 * keep the current name, "default" at first). LOCUS_OK, or a failure naming the bad setting. */
locus_status lc_log_configure(const char *name);
bool lc_log_enabled(lc_log_level l);
/* One line at level l (nothing when the level is not enabled). */
void lc_logf(lc_log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- addr.c ---- */
enum { LC_ADDR_TCP = 1, LC_ADDR_UNIX = 2 };
typedef struct lc_addr {
    int kind;
    char host[256];
    int port;
    char path[108];
} lc_addr;
/* Parse one entry: "host:port", "tcp://host:port", "[v6]:port", "unix:///path". Returns 0 or -1 with a
 * reason in err (errlen bytes). */
int lc_addr_parse(const char *s, size_t len, lc_addr *out, char *err, size_t errlen);
/* Parse an SSDB comma list into at most max entries; returns the count, or -1 with a reason in err. */
int lc_addr_parse_list(const char *s, lc_addr *out, int max, char *err, size_t errlen);
/* "host:port" or "unix:///path" into buf. */
void lc_addr_format(const lc_addr *a, char *buf, size_t len);

/* Resolved configuration: options, then environment (with suffix), then defaults. */
typedef struct lc_config {
    char address[4096];
    int db_type; /* 1 standalone, 2 clustered, 0 detect */
    char password[256];
    int conn_timeout_s, conn_interval_ms, cmd_timeout_s, cmd_interval_ms, socket_timeout_ms, model_timeout_ms;
    char keyout[256];
    char keyin[1024];
} lc_config;
/* getenv-like lookup, so tests can feed a table instead of the process environment. */
typedef const char *(*lc_getenv_fn)(const char *name, void *ud);
/* Fill cfg; returns LOCUS_OK or a failure (already recorded). */
locus_status lc_config_resolve(const locus_options *o, lc_getenv_fn env, void *ud, lc_config *cfg);

/* ---- crc16.c ---- */
uint16_t lc_crc16(const char *buf, size_t len);
/* Cluster slot of a key (0..16383), honouring the first non-empty {hash tag}. */
int lc_key_slot(const char *key, size_t len);
/* SmartRedis's key prefix for a slot (the bytes between the braces of "{P}.name"): the shortest byte string
 * without a brace whose CRC16 is the slot. Binary (slot 0's is two NUL bytes); returns its length, 2 or 3. */
#define LC_PREFIX_MAX 4
size_t lc_slot_prefix(int slot, char out[LC_PREFIX_MAX]);

/* ---- layout.c ---- */
size_t lc_dims_count(const size_t *dims, size_t ndims);
/* Column-major src (Fortran shape dims) -> row-major dst of the same dims; cache-blocked. */
void lc_f2c(void *dst, const void *src, const size_t *dims, size_t ndims, size_t elsize);
/* Row-major src -> column-major dst. */
void lc_c2f(void *dst, const void *src, const size_t *dims, size_t ndims, size_t elsize);
/* Nested pointers (ndims-1 levels) -> contiguous dst, and back. */
void lc_nested_gather(void *dst, const void *src, const size_t *dims, size_t ndims, size_t elsize);
void lc_nested_scatter(void *dst, const void *src, const size_t *dims, size_t ndims, size_t elsize);
/* Bytes of pointer tables needed to build a nested view of dims; lc_nested_build lays them out in tables
 * pointing into data and returns the top pointer. */
size_t lc_nested_table_bytes(const size_t *dims, size_t ndims);
void *lc_nested_build(void *tables, void *data, const size_t *dims, size_t ndims, size_t elsize);

/* ---- resp.c ---- */
/* Write the RESP header of a command of argc small arguments plus, when has_blob, one more argument of
 * bloblen bytes whose "$len\r\n" ends the header (the blob and its "\r\n" are sent separately). Returns the
 * header length, or the length needed when it exceeds cap (nothing useful written then). */
size_t lc_resp_header(char *buf, size_t cap, int argc, const char *const *argv, const size_t *lens,
                      int has_blob, size_t bloblen);
/* As lc_resp_header for a command with `extra` more arguments after argv (counted in the header, written
 * by the caller with lc_resp_bulk_header); no blob then. */
size_t lc_resp_header_x(char *buf, size_t cap, int argc, const char *const *argv, const size_t *lens, int extra,
                        int has_blob, size_t bloblen);
/* "$len\r\n" into buf (at least LC_BULK_HEADER_MAX bytes); returns its length. */
#define LC_BULK_HEADER_MAX 24
size_t lc_resp_bulk_header(char *buf, size_t len);

/* dtype table */
typedef struct lc_dtype_info {
    locus_dtype type;
    const char *name; /* module name: FLOAT, DOUBLE, ... */
    size_t size;
} lc_dtype_info;
const lc_dtype_info *lc_dtype_by_type(locus_dtype t);
const lc_dtype_info *lc_dtype_by_name(const char *name, size_t len);

/* ---- conn.c ---- */
typedef struct lc_conn {
    lc_addr addr;
    char name[300]; /* formatted address for messages */
    redisContext *ctx;
} lc_conn;

/* One command to send: small argv plus an optional large blob sent from the caller's memory. */
typedef struct lc_cmd {
    int argc;
    const char *argv[16];
    size_t lens[16];
    /* Variadic commands: xargc more arguments after argv, sent from the caller's memory (borrowed, large
     * ones without a copy). A command has either these or a blob. */
    int xargc;
    const char *const *xargv;
    const size_t *xlens;
    const void *blob;
    size_t bloblen;
    int has_blob;
    int key_arg;       /* index of the routing key in argv, -1 = any node */
    int asking;        /* send ASKING first (internal) */
    redisReply *reply; /* filled by execution; freed by the issuer with freeReplyObject */
} lc_cmd;

/* Where to stream the blob of an AI.TENSORGET key META BLOB reply (unpack). */
typedef struct lc_sink {
    void *buf;
    size_t nbytes;
    locus_dtype type;
    const size_t *dims;
    size_t ndims;
    /* result */
    int mismatch;       /* 1 when the tensor's type/dims differ (buffer untouched) */
    char what[256];     /* description of the mismatch */
} lc_sink;

struct lc_route;
/* Most elements one array reply may have (a header above it fails the read instead of an allocation of
 * 8 bytes per element): 16 M, far above any reply liblocus asks for (tensors come as one blob). */
#define LC_MAX_REPLY_ELEMENTS (1 << 24)
/* Bounds ctx's reader by LC_MAX_REPLY_ELEMENTS (lc_conn_open does it for every connection). */
void lc_conn_bound_replies(redisContext *ctx);
/* Connect with one attempt bounded by socket_timeout_ms; AUTH when password is non-empty. 0 or -1 with
 * the reason in err. */
int lc_conn_open(lc_conn *cn, const lc_addr *a, int socket_timeout_ms, const char *password, char *err,
                 size_t errlen);
void lc_conn_close(lc_conn *cn);
/* Send cmds (n of them) in one writev batch. 0, or -1 on an I/O error (connection unusable). */
int lc_conn_send(lc_conn *cn, lc_cmd *cmds, int n);
/* Read one reply. 0, or -1 on an I/O error. */
int lc_conn_read(lc_conn *cn, redisReply **reply);
/* Read one AI.TENSORGET META BLOB reply, streaming the blob into sink when it matches. Returns 0 with
 * *reply NULL when the blob went to the sink (or sink->mismatch set), 0 with *reply set for an error or any
 * unexpected reply, -1 on an I/O error. */
int lc_conn_read_into(lc_conn *cn, lc_sink *sink, redisReply **reply);

/* ---- meta.c ---- */
/* Bytes per value of a scalar metadata type; 0 for strings and invalid types. */
size_t lc_meta_scalar_size(locus_metatype t);
/* Encodes count values of type t (scalars from vals, or strings strs with lengths lens) into a new buffer
 * (malloc'd, caller frees) of *len bytes; NULL when out of memory. */
char *lc_meta_encode(locus_metatype t, size_t count, const void *vals, char *const *strs, const size_t *lens,
                     size_t *len);
typedef struct lc_meta_decoded {
    locus_metatype type;
    const char *scalars; /* scalars: count values inside the decoded buffer (unaligned) */
    size_t count;        /* values (strings: how many on_string accepted) */
    const char *why;     /* on -1: "is empty", "is truncated", "has an unknown encoding"; NULL when on_string failed */
} lc_meta_decoded;
/* Called per string of a string field, in order (s not NUL-terminated, inside the buffer); non-zero stops. */
typedef int (*lc_meta_string_fn)(void *arg, const char *s, size_t len);
/* Decodes one stored field (len bytes). 0, or -1 with out->why. */
int lc_meta_decode(const char *buf, size_t len, lc_meta_decoded *out, lc_meta_string_fn on_string, void *arg);

/* ---- route.c ---- */
typedef struct lc_route lc_route;
locus_status lc_route_create(const lc_config *cfg, lc_route **out);
void lc_route_destroy(lc_route *r);
int lc_route_is_cluster(const lc_route *r);
const char *lc_route_address(const lc_route *r);
/* Run one command with routing, redirects and retries. On LOCUS_OK cmd->reply holds the reply, which may
 * be an error reply that is not transient (the caller decides). With sink, a TENSORGET reply is streamed. */
locus_status lc_exec(lc_route *r, lc_cmd *cmd, lc_sink *sink);
/* Run n commands, pipelined per node, in order per node. Every cmds[i].reply is set on LOCUS_OK. */
locus_status lc_exec_many(lc_route *r, lc_cmd *cmds, int n);

/* Cluster placement of models and scripts, as SmartRedis lays them out: a copy per slot range (per shard,
 * unless a shard serves several ranges) at "{P}.name", P the range's lc_slot_prefix; a standalone database
 * has one copy at "name" (an empty prefix). */
typedef struct lc_prefix {
    char bytes[LC_PREFIX_MAX];
    size_t len;
} lc_prefix;
/* One prefix per slot range, in slot order, at most max; returns the count (0 when the map cannot be read). */
int lc_route_shard_prefixes(lc_route *r, lc_prefix *out, int max);
/* The prefix of the range serving key's slot (empty standalone). 0, or -1 when no shard serves it. */
int lc_route_key_prefix(lc_route *r, const char *key, size_t len, lc_prefix *out);
/* The prefix of the first range the node at address serves (empty standalone). 0, or -1 when no node of the
 * cluster at that address serves slots. */
int lc_route_address_prefix(lc_route *r, const lc_addr *a, lc_prefix *out);

/* Tags for keys that must share a model copy's slot (temporaries of runs, locus_colocation_tag): a short
 * printable string whose slot is the first slot of a range, the slot of that range's copy "{P}.name"; empty
 * standalone. A cluster refuses a run whose keys hash to two slots (CROSSSLOT), as RedisAI reports them. */
#define LC_TAG_MAX 8
/* One tag per slot range, in the order of lc_route_shard_prefixes, at most max; returns the count (0 when the
 * map cannot be read). */
int lc_route_range_tags(lc_route *r, char (*tags)[LC_TAG_MAX], int max);
/* The tag of the range serving key's slot ("" standalone). 0, or -1 when no shard serves it. */
int lc_route_key_tag(lc_route *r, const char *key, size_t len, char *tag);
/* True when both keys hash to one slot (always standalone): what a cluster lets one command name together. */
int lc_route_same_slot(lc_route *r, const char *a, size_t alen, const char *b, size_t blen);

/* helpers for building commands */
void lc_cmd_init(lc_cmd *c, int key_arg);
void lc_cmd_arg(lc_cmd *c, const char *s, size_t len);
void lc_cmd_str(lc_cmd *c, const char *s);
/* Record a reply error as a locus failure (LOCUS_ERR_DATABASE, or LOCUS_ERR_KEY for missing tensors). */
locus_status lc_reply_error(const redisReply *r, const char *what, const char *key);
/* What a client without the database's password is told (NOAUTH), and where the password comes from. */
#define LC_NOAUTH_HINT                                                                                       \
    "the database needs a password (NOAUTH): set LOCUS_DB_PASSWORD (or REDISCLI_AUTH), e.g. eval \"$(locus db "  \
    "env --dir DIR)\"; a database started with 'locus db start --password none' needs none"

/* ---- client.c ---- */
struct locus_client {
    lc_config cfg;
    lc_route *route;
    char keyout[256];
    char keyin[16][256];
    int nkeyin;
    char source[256]; /* current read prefix */
    bool use_prefix[4];
    void *scratch; /* grow-only buffer for layout conversions: a fresh 1 MiB malloc is an mmap with a page
                      fault per 4 KiB on every call */
    size_t scratch_cap;
    size_t model_chunk; /* model blob chunk size the database uses (AI.CONFIG GET MODEL_CHUNK_SIZE), 0 = not
                           asked yet */
    unsigned tmp_counter; /* names of temporary keys for cluster model runs */
};
/* A whole regular file, NUL-terminated, in *data (malloc'd; *len bytes without the NUL). */
locus_status lc_read_file(const char *path, char **data, size_t *len);
/* multigpu.c: the GPU a run with this offset uses (first_gpu + offset mod num_gpus, never negative), and the
 * name of the copy for one GPU ("<name>.GPU:<gpu>"; 0, or -1 when it does not fit). */
int lc_multigpu_pick(int offset, int first_gpu, int num_gpus);
int lc_multigpu_name(const char *name, int gpu, char *buf, size_t len);
/* The client's scratch buffer of at least n bytes, or NULL when out of memory. */
void *lc_scratch(locus_client *c, size_t n);
/* Key with the write (out=1) or read (out=0) prefix of kind. Returns 0 or -1 when it does not fit. */
int lc_build_key(const locus_client *c, locus_kind kind, int out, const char *name, char *buf, size_t len);

/* Raw keys (prefixes already applied). lc_simple runs a one-key command (a2, a3 optional); *reply_out (may
 * be NULL) gets a reply that is not an error. lc_copy_key copies src to dst, overwriting, across slots too;
 * del_src makes it a rename. */
locus_status lc_simple(locus_client *c, const char *what, const char *a0, const char *key, const char *a2,
                       const char *a3, redisReply **reply_out);
locus_status lc_copy_key(locus_client *c, const char *src, const char *dst, int del_src, const char *what);
/* lc_simple for a binary key (keylen bytes; model copies in a cluster hold NUL bytes). */
locus_status lc_simple_len(locus_client *c, const char *what, const char *a0, const char *key, size_t keylen,
                           const char *a2, const char *a3, redisReply **reply_out);
/* Whether a raw binary key exists, tried `tries` times poll_ms apart. */
locus_status lc_poll_len(locus_client *c, const char *key, size_t keylen, int poll_ms, int tries, bool *exists);
/* key (len bytes) for a message: bytes outside printable ASCII as \xNN, NUL-terminated in buf. */
void lc_key_printable(const char *key, size_t len, char *buf, size_t buflen);
locus_status lc_put_tensor_key(locus_client *c, const char *key, const void *data, const size_t *dims,
                               size_t ndims, locus_dtype type, locus_layout layout);
locus_status lc_unpack_tensor_key(locus_client *c, const char *key, void *data, const size_t *dims,
                                  size_t ndims, locus_dtype type, locus_layout layout);
/* Parse an AI.TENSORGET META BLOB reply: 0, or -1 when it is not one. */
int lc_parse_tensor_reply(const redisReply *r, const lc_dtype_info **dt, size_t *dims, size_t *ndims,
                          const char **blob, size_t *nbytes);

/* Convert caller layouts to and from row-major: returns a row-major pointer (src itself or tmp). */
/* buf (may be NULL) is used when it has room for the data; otherwise *tmp is malloc'ed (caller frees). */
locus_status lc_to_rowmajor(const void *data, const size_t *dims, size_t ndims, size_t elsize,
                            locus_layout layout, void *buf, void **tmp, const void **rowmajor);
locus_status lc_from_rowmajor(void *dst, const void *rowmajor, const size_t *dims, size_t ndims,
                              size_t elsize, locus_layout layout);

#endif
