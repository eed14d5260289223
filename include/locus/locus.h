/* liblocus: the Locus client library.
 *
 * One opaque handle, locus_client, talks to a standalone or clustered Locus database (Redis with locus_ai.so)
 * over TCP or a Unix socket. Every call returns a locus_status; on failure the message is kept per thread and
 * read with locus_last_error(). A client is not thread-safe: use one per thread (they are cheap).
 *
 * Ownership: pointers passed in are borrowed for the duration of the call unless the comment says otherwise.
 * Memory the library hands out is freed with the function named next to it (locus_free for plain blocks).
 *
 * Keys are laid out as SmartRedis lays them out, so SmartRedis clients and Locus clients share data:
 *   tensor           [prefix.]name
 *   dataset          [prefix.]{name}.meta (hash; ".tensor_names", metadata fields, ".COMPLETE" set last)
 *                    [prefix.]{name}.<tensor>
 *   aggregation list [prefix.]name (a Redis list of dataset keys "[prefix.]{name}")
 * The write prefix comes from SSKEYOUT, the readable prefixes from SSKEYIN (comma list; the first one is the
 * data source until locus_set_data_source changes it). */
#ifndef LOCUS_H
#define LOCUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "locus/locus_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LOCUS_STATIC)
#define LOCUS_API
#elif defined(__GNUC__)
#define LOCUS_API __attribute__((visibility("default")))
#else
#define LOCUS_API
#endif

/* Status codes. LOCUS_OK is 0; the others follow SmartRedis's SRError numbering so bindings can map them. */
typedef enum locus_status {
    LOCUS_OK = 0,
    LOCUS_ERR_BADALLOC = 1,  /* out of memory */
    LOCUS_ERR_DATABASE = 2,  /* the database replied with an error, or could not be reached */
    LOCUS_ERR_INTERNAL = 3,  /* a bug or an unexpected reply shape */
    LOCUS_ERR_RUNTIME = 4,   /* an operation failed at run time (e.g. a dataset without .COMPLETE) */
    LOCUS_ERR_PARAMETER = 5, /* a bad argument (NULL pointer, unknown type, bad address, ...) */
    LOCUS_ERR_TIMEOUT = 6,   /* retries ran out (SR_CONN_TIMEOUT / SR_CMD_TIMEOUT) */
    LOCUS_ERR_KEY = 7,       /* the key does not exist */
    LOCUS_ERR_INVALID = 8,   /* uninitialised or invalid object */
    LOCUS_ERR_TYPE = 9       /* type, shape or size mismatch */
} locus_status;

/* Tensor element types; the first nine follow SmartRedis's SRTensorType numbering. */
typedef enum locus_dtype {
    LOCUS_DTYPE_INVALID = 0,
    LOCUS_DTYPE_DOUBLE = 1,
    LOCUS_DTYPE_FLOAT = 2,
    LOCUS_DTYPE_INT8 = 3,
    LOCUS_DTYPE_INT16 = 4,
    LOCUS_DTYPE_INT32 = 5,
    LOCUS_DTYPE_INT64 = 6,
    LOCUS_DTYPE_UINT8 = 7,
    LOCUS_DTYPE_UINT16 = 8,
    LOCUS_DTYPE_BOOL = 9 /* one byte per element, 0 or 1 */
} locus_dtype;

/* Memory layouts of a caller's tensor buffer (SmartRedis's SRMemoryLayout numbering).
 *   CONTIGUOUS          row-major (C order), one block
 *   NESTED              C nested pointers: data is T**..* with ndims-1 levels of pointer arrays
 *   FORTRAN_CONTIGUOUS  column-major, one block; element (i0,..,in) of the Fortran array is element
 *                       [i0]..[in] of the stored tensor, whose dims are the Fortran shape */
typedef enum locus_layout {
    LOCUS_LAYOUT_INVALID = 0,
    LOCUS_LAYOUT_NESTED = 1,
    LOCUS_LAYOUT_CONTIGUOUS = 2,
    LOCUS_LAYOUT_FORTRAN_NESTED = 3, /* not supported: returns LOCUS_ERR_PARAMETER */
    LOCUS_LAYOUT_FORTRAN_CONTIGUOUS = 4
} locus_layout;

/* Dataset metadata field types (SmartRedis's SRMetaDataType numbering, also the stored type byte). */
typedef enum locus_metatype {
    LOCUS_META_INVALID = 0,
    LOCUS_META_DOUBLE = 1,
    LOCUS_META_FLOAT = 2,
    LOCUS_META_INT32 = 3,
    LOCUS_META_INT64 = 4,
    LOCUS_META_UINT32 = 5,
    LOCUS_META_UINT64 = 6,
    LOCUS_META_STRING = 7
} locus_metatype;

/* Comparisons for locus_poll_list_length. */
typedef enum locus_cmp { LOCUS_CMP_EQ = 0, LOCUS_CMP_GE = 1, LOCUS_CMP_LE = 2 } locus_cmp;

/* Which kinds of names get the SSKEYOUT/SSKEYIN prefix (locus_use_prefix). */
typedef enum locus_kind {
    LOCUS_KIND_TENSOR = 0,  /* default on */
    LOCUS_KIND_DATASET = 1, /* default on */
    LOCUS_KIND_LIST = 2,    /* default on */
    LOCUS_KIND_MODEL = 3    /* default off */
} locus_kind;

typedef struct locus_client locus_client;
typedef struct locus_dataset locus_dataset;

/* ---- version, errors, memory ---- */

/* "MAJOR.MINOR.PATCH" of the library actually loaded. Static string. */
LOCUS_API const char *locus_version(void);

/* The message of the last failed call made by this thread ("" when none). Points into a thread-local fixed
 * buffer that stays valid until this thread's next failing call. Never NULL. */
LOCUS_API const char *locus_last_error(void);

/* The last status recorded for this thread (LOCUS_OK when the last call succeeded). */
LOCUS_API locus_status locus_last_status(void);

/* A short fixed name for a status ("LOCUS_ERR_KEY"). Static string. */
LOCUS_API const char *locus_status_name(locus_status s);

/* Free a block the library allocated (locus_get_tensor results, name arrays). NULL is ignored. */
LOCUS_API void locus_free(void *p);

/* Element size in bytes of a dtype, 0 for an invalid one. */
LOCUS_API size_t locus_dtype_size(locus_dtype t);

/* ---- clients ---- */

/* Options for locus_client_create. Zero / NULL members are taken from the environment (with the suffix,
 * see below), then from the built-in defaults. Initialise with locus_options_init. */
typedef struct locus_options {
    const char *address;     /* SSDB syntax: comma list of host:port, tcp://host:port, unix:///path */
    int db_type;             /* 0 = from SR_DB_TYPE or detected, 1 = standalone, 2 = clustered */
    const char *password;    /* AUTH password; else LOCUS_DB_PASSWORD, else REDISCLI_AUTH */
    const char *suffix;      /* environment suffix: SSDB_<suffix>, SR_DB_TYPE_<suffix>, SR_..._<suffix> */
    int conn_timeout_s;      /* SR_CONN_TIMEOUT (seconds, default 100): total time to connect */
    int conn_interval_ms;    /* SR_CONN_INTERVAL (ms, default 1000): wait between connection attempts */
    int cmd_timeout_s;       /* SR_CMD_TIMEOUT (seconds, default 100): total time to retry a command */
    int cmd_interval_ms;     /* SR_CMD_INTERVAL (ms, default 1000): wait between command retries */
    int socket_timeout_ms;   /* SR_SOCKET_TIMEOUT (ms, default 250): one connect attempt */
    int model_timeout_ms;    /* SR_MODEL_TIMEOUT (ms, default 60000): longest wait for a model or script run */
    const char *keyout;      /* write prefix; else SSKEYOUT */
    const char *keyin;       /* readable prefixes, comma list; else SSKEYIN */
    const char *logger_name; /* name on this process's SR_LOG_FILE lines (SmartRedis's logger_name; "default") */
} locus_options;

/* Fill *o with zeros (everything from the environment). */
LOCUS_API void locus_options_init(locus_options *o);

/* Connect. On success *out is a new client, destroyed with locus_client_destroy. A wrong or unreachable
 * address fails once SR_CONN_TIMEOUT is spent (each attempt bounded by SR_SOCKET_TIMEOUT) with a message
 * naming the address. */
LOCUS_API locus_status locus_client_create(const locus_options *o, locus_client **out);

/* locus_client_create with every option from the environment; suffix may be NULL. */
LOCUS_API locus_status locus_client_create_from_env(const char *suffix, locus_client **out);

/* Close connections and free everything. NULL is ignored. */
LOCUS_API void locus_client_destroy(locus_client *c);

/* True when the client talks to a Redis Cluster. */
LOCUS_API bool locus_client_is_cluster(const locus_client *c);

/* The address the client chose ("127.0.0.1:6379" or "unix:///path"). Owned by the client. */
LOCUS_API const char *locus_client_address(const locus_client *c);

/* ---- key prefixes ---- */

/* Read keys with prefix `source`, which must be one of the SSKEYIN prefixes (or the SSKEYOUT one). */
LOCUS_API locus_status locus_set_data_source(locus_client *c, const char *source);
/* Switch prefixing on or off for one kind of name. */
LOCUS_API locus_status locus_use_prefix(locus_client *c, locus_kind kind, bool on);

/* ---- tensors ---- */

/* Store a tensor. data is read in the given layout (not kept). dims has ndims (>= 1) positive entries. */
LOCUS_API locus_status locus_put_tensor(locus_client *c, const char *name, const void *data,
                                        const size_t *dims, size_t ndims, locus_dtype type,
                                        locus_layout layout);

/* A tensor fetched by locus_get_tensor: one allocation, freed with locus_free(t). */
typedef struct locus_tensor {
    locus_dtype type;
    locus_layout layout; /* as requested */
    size_t ndims;
    size_t *dims;        /* ndims entries, inside the same block */
    void *data;          /* contiguous data, or the top pointer array for LOCUS_LAYOUT_NESTED */
    size_t nbytes;       /* bytes of element data */
} locus_tensor;

/* Fetch a tensor into memory the library allocates. *out is freed by the caller with locus_free.
 * layout: CONTIGUOUS, FORTRAN_CONTIGUOUS or NESTED. */
LOCUS_API locus_status locus_get_tensor(locus_client *c, const char *name, locus_layout layout,
                                        locus_tensor **out);

/* Fetch a tensor into the caller's buffer, which must have exactly these dims and type (else
 * LOCUS_ERR_TYPE and the buffer is left untouched). */
LOCUS_API locus_status locus_unpack_tensor(locus_client *c, const char *name, void *data,
                                           const size_t *dims, size_t ndims, locus_dtype type,
                                           locus_layout layout);

LOCUS_API locus_status locus_delete_tensor(locus_client *c, const char *name);
/* Copy / rename (the destination is overwritten). Works across cluster slots. */
LOCUS_API locus_status locus_copy_tensor(locus_client *c, const char *src, const char *dst);
LOCUS_API locus_status locus_rename_tensor(locus_client *c, const char *src, const char *dst);
LOCUS_API locus_status locus_tensor_exists(locus_client *c, const char *name, bool *exists);
/* Check up to num_tries times, poll_ms apart; *exists tells whether it appeared. */
LOCUS_API locus_status locus_poll_tensor(locus_client *c, const char *name, int poll_ms, int num_tries,
                                         bool *exists);
/* Raw keys, no prefix applied. */
LOCUS_API locus_status locus_key_exists(locus_client *c, const char *key, bool *exists);
LOCUS_API locus_status locus_poll_key(locus_client *c, const char *key, int poll_ms, int num_tries,
                                      bool *exists);

/* ---- datasets (client-side objects) ---- */

/* A new empty dataset; destroyed with locus_dataset_destroy. */
LOCUS_API locus_status locus_dataset_create(const char *name, locus_dataset **out);
/* NULL is ignored. */
LOCUS_API void locus_dataset_destroy(locus_dataset *d);
/* The dataset's name, owned by the dataset. */
LOCUS_API const char *locus_dataset_name(const locus_dataset *d);

/* Add (or replace) a tensor; the data is copied. */
LOCUS_API locus_status locus_dataset_add_tensor(locus_dataset *d, const char *name, const void *data,
                                                const size_t *dims, size_t ndims, locus_dtype type,
                                                locus_layout layout);
/* Borrow a tensor of the dataset: pointers stay valid until the dataset is destroyed or the tensor replaced.
 * Data is row-major. Any out pointer may be NULL. */
LOCUS_API locus_status locus_dataset_get_tensor(const locus_dataset *d, const char *name,
                                                const void **data, const size_t **dims, size_t *ndims,
                                                locus_dtype *type);
/* Copy a tensor of the dataset into the caller's buffer (dims and type checked). */
LOCUS_API locus_status locus_dataset_unpack_tensor(const locus_dataset *d, const char *name, void *data,
                                                   const size_t *dims, size_t ndims, locus_dtype type,
                                                   locus_layout layout);
/* Number of tensors and the i-th name (owned by the dataset). */
LOCUS_API size_t locus_dataset_tensor_count(const locus_dataset *d);
LOCUS_API const char *locus_dataset_tensor_name(const locus_dataset *d, size_t i);

/* Append one scalar (of the field's type; a new field takes this type) to a metadata field. */
LOCUS_API locus_status locus_dataset_add_meta_scalar(locus_dataset *d, const char *field, const void *value,
                                                     locus_metatype type);
/* Append one string to a string metadata field. */
LOCUS_API locus_status locus_dataset_add_meta_string(locus_dataset *d, const char *field, const char *value);
/* Borrow a scalar field's values (count of them, element type). */
LOCUS_API locus_status locus_dataset_get_meta_scalars(const locus_dataset *d, const char *field,
                                                      const void **values, size_t *count,
                                                      locus_metatype *type);
/* Borrow a string field: the i-th string, NUL-terminated, with its length; *count may be queried with i=0. */
LOCUS_API locus_status locus_dataset_get_meta_string(const locus_dataset *d, const char *field, size_t i,
                                                     const char **value, size_t *len, size_t *count);
/* The type of a metadata field, LOCUS_META_INVALID when absent. */
LOCUS_API locus_metatype locus_dataset_meta_type(const locus_dataset *d, const char *field);

/* ---- datasets in the database ---- */

/* Store: DEL meta, HSET meta fields, AI.TENSORSET per tensor, HSET meta .COMPLETE 1 — one pipeline. */
LOCUS_API locus_status locus_put_dataset(locus_client *c, const locus_dataset *d);
/* Fetch a complete dataset; *out is destroyed by the caller with locus_dataset_destroy. LOCUS_ERR_KEY when
 * it does not exist (or is not complete). */
LOCUS_API locus_status locus_get_dataset(locus_client *c, const char *name, locus_dataset **out);
LOCUS_API locus_status locus_dataset_exists(locus_client *c, const char *name, bool *exists);
LOCUS_API locus_status locus_poll_dataset(locus_client *c, const char *name, int poll_ms, int num_tries,
                                          bool *exists);
LOCUS_API locus_status locus_delete_dataset(locus_client *c, const char *name);
LOCUS_API locus_status locus_copy_dataset(locus_client *c, const char *src, const char *dst);
LOCUS_API locus_status locus_rename_dataset(locus_client *c, const char *src, const char *dst);

/* ---- aggregation lists ---- */

/* Append the key of a dataset (already put) to the list. */
LOCUS_API locus_status locus_append_to_list(locus_client *c, const char *list, const locus_dataset *d);
LOCUS_API locus_status locus_delete_list(locus_client *c, const char *list);
/* Copy the list of references (not the datasets); the destination is replaced. */
LOCUS_API locus_status locus_copy_list(locus_client *c, const char *src, const char *dst);
LOCUS_API locus_status locus_rename_list(locus_client *c, const char *src, const char *dst);
LOCUS_API locus_status locus_get_list_length(locus_client *c, const char *list, size_t *len);
/* Poll until length (cmp) len holds; *ok tells whether it did within num_tries. */
LOCUS_API locus_status locus_poll_list_length(locus_client *c, const char *list, size_t len, locus_cmp cmp,
                                              int poll_ms, int num_tries, bool *ok);
/* Fetch every dataset of the list (pipelined per shard). *out is an array of *n datasets freed with
 * locus_free_datasets(*out, *n). */
LOCUS_API locus_status locus_get_datasets_from_list(locus_client *c, const char *list, locus_dataset ***out,
                                                    size_t *n);
/* As above for the entries start..end inclusive (negative indices count from the end, as LRANGE). */
LOCUS_API locus_status locus_get_dataset_list_range(locus_client *c, const char *list, long start, long end,
                                                    locus_dataset ***out, size_t *n);
/* Destroy each dataset and the array. NULL is ignored. */
LOCUS_API void locus_free_datasets(locus_dataset **ds, size_t n);

/* ---- models and scripts ----
 *
 * Models (serialised TorchScript, or another backend's format) and scripts (TorchScript source) live in the
 * database and run next to the data. Their names get the SSKEYOUT/SSKEYIN prefix only when
 * locus_use_prefix(c, LOCUS_KIND_MODEL, true) says so (off by default, as SmartRedis). Run inputs are read
 * with the tensor read prefix, outputs written with the tensor write prefix.
 *
 * In a Redis Cluster every slot range holds a copy, at key "{P}.name" where P hashes to the range's first
 * slot. A run goes to the copy of the range that holds its first input. The cluster runs a command only when
 * all its keys hash to one slot (CROSSSLOT otherwise, as with RedisAI), so when every input and output is in
 * the copy's slot the run names them directly; otherwise the inputs are copied to temporary keys in that slot
 * and the outputs moved back afterwards. Name tensors with locus_colocation_tag's tag to skip those copies. */

/* Options of locus_set_model; initialise with locus_model_options_init. */
typedef struct locus_model_options {
    const char *backend;       /* "TORCH" when NULL; "TF", "TFLITE", "ONNX" where the database has them */
    const char *device;        /* "CPU" when NULL; "GPU", "GPU:n" */
    int batch_size;            /* 0: no batching; else concatenate queued runs up to this many samples */
    int min_batch_size;        /* 0: none; wait for this many samples (needs batch_size) */
    int min_batch_timeout_ms;  /* 0: none; the longest wait for min_batch_size */
    const char *tag;           /* free text kept with the model (AI.MODELGET META), NULL = "" */
    const char *const *inputs; /* input names (TF only), n_inputs of them */
    size_t n_inputs;
    const char *const *outputs; /* output names (TF only) */
    size_t n_outputs;
} locus_model_options;

/* Fill *o with the defaults (TORCH on CPU, no batching). */
LOCUS_API void locus_model_options_init(locus_model_options *o);

/* Store a model from memory (len bytes, not kept); o may be NULL for the defaults. Blobs larger than the
 * database's MODEL_CHUNK_SIZE are sent in chunks. The database checks that the blob loads; a bad one gives
 * LOCUS_ERR_DATABASE and the message the database gave. */
LOCUS_API locus_status locus_set_model(locus_client *c, const char *name, const void *blob, size_t len,
                                       const locus_model_options *o);
/* Store a model read from a file. */
LOCUS_API locus_status locus_set_model_from_file(locus_client *c, const char *name, const char *path,
                                                 const locus_model_options *o);
/* Fetch a model's blob: *blob (freed by the caller with locus_free) holds *len bytes. */
LOCUS_API locus_status locus_get_model(locus_client *c, const char *name, void **blob, size_t *len);
LOCUS_API locus_status locus_model_exists(locus_client *c, const char *name, bool *exists);
LOCUS_API locus_status locus_poll_model(locus_client *c, const char *name, int poll_ms, int num_tries,
                                        bool *exists);
/* Delete a model (every copy in a cluster). LOCUS_ERR_KEY when there is none. */
LOCUS_API locus_status locus_delete_model(locus_client *c, const char *name);
/* Run a model: inputs are tensor names read, outputs tensor names written (n_outputs may be 0). Waits up to
 * SR_MODEL_TIMEOUT (or SR_CMD_TIMEOUT when longer) for the reply. */
LOCUS_API locus_status locus_run_model(locus_client *c, const char *name, const char *const *inputs,
                                       size_t n_inputs, const char *const *outputs, size_t n_outputs);

/* Store a script (TorchScript source, NUL-terminated) for device "CPU", "GPU" or "GPU:n" (NULL = CPU). */
LOCUS_API locus_status locus_set_script(locus_client *c, const char *name, const char *device,
                                        const char *source);
LOCUS_API locus_status locus_set_script_from_file(locus_client *c, const char *name, const char *device,
                                                  const char *path);
/* Fetch a script's source: *source, NUL-terminated, is freed by the caller with locus_free. */
LOCUS_API locus_status locus_get_script(locus_client *c, const char *name, char **source);
LOCUS_API locus_status locus_script_exists(locus_client *c, const char *name, bool *exists);
LOCUS_API locus_status locus_delete_script(locus_client *c, const char *name);
/* Run one function of a script on tensors (as locus_run_model). */
LOCUS_API locus_status locus_run_script(locus_client *c, const char *name, const char *function,
                                        const char *const *inputs, size_t n_inputs, const char *const *outputs,
                                        size_t n_outputs);

/* ---- several GPUs per node (SmartRedis's *_multigpu calls) ----
 * A model or script stored once per GPU: "<name>.GPU:<n>" on device GPU:<n> for each n in first_gpu ..
 * first_gpu + num_gpus - 1, and "<name>" on device GPU (what get_model / get_script return). A run uses GPU
 * first_gpu + (offset mod num_gpus): pass the rank as offset to spread ranks over the GPUs. first_gpu must be
 * >= 0 and num_gpus >= 1. The options' device is ignored (each copy gets its GPU). */
LOCUS_API locus_status locus_set_model_multigpu(locus_client *c, const char *name, const void *blob, size_t len,
                                                const locus_model_options *o, int first_gpu, int num_gpus);
LOCUS_API locus_status locus_set_model_from_file_multigpu(locus_client *c, const char *name, const char *path,
                                                          const locus_model_options *o, int first_gpu,
                                                          int num_gpus);
LOCUS_API locus_status locus_set_script_multigpu(locus_client *c, const char *name, const char *source,
                                                 int first_gpu, int num_gpus);
LOCUS_API locus_status locus_set_script_from_file_multigpu(locus_client *c, const char *name, const char *path,
                                                           int first_gpu, int num_gpus);
LOCUS_API locus_status locus_run_model_multigpu(locus_client *c, const char *name, const char *const *inputs,
                                                size_t n_inputs, const char *const *outputs, size_t n_outputs,
                                                int offset, int first_gpu, int num_gpus);
LOCUS_API locus_status locus_run_script_multigpu(locus_client *c, const char *name, const char *function,
                                                 const char *const *inputs, size_t n_inputs,
                                                 const char *const *outputs, size_t n_outputs, int offset,
                                                 int first_gpu, int num_gpus);
/* Every per-GPU copy and the general one. */
LOCUS_API locus_status locus_delete_model_multigpu(locus_client *c, const char *name, int first_gpu, int num_gpus);
LOCUS_API locus_status locus_delete_script_multigpu(locus_client *c, const char *name, int first_gpu,
                                                    int num_gpus);

/* The hash tag to put in tensor names ("{tag}.x") so they live in the slot of the model copy of the range
 * that holds tensor `near` (read prefix applied), or of the first range when near is NULL: model and script
 * runs on such tensors need no copies. Written with its braces ("{7x}") into buf (at least 10 bytes); "" for
 * a standalone database, where every name is fine. */
LOCUS_API locus_status locus_colocation_tag(locus_client *c, const char *near, char *buf, size_t len);

/* ---- Administration (SmartRedis's flush_db, save, config_get/set, get_db_node_info, get_db_cluster_info,
 * get_ai_info). Each runs on the one database node at `address` ("host:port", "tcp://host:port" or
 * "unix:///path"), reached with the client's password and timeouts; a cluster's other nodes are untouched. */

/* A table of (section, key, value) strings from a reply: INFO's "# Section" headers give the sections
 * ("Server", "Memory", ...); CLUSTER INFO, CONFIG GET and AI.INFO have the section "". */
typedef struct locus_info locus_info;
LOCUS_API size_t locus_info_count(const locus_info *info);
/* Entry i (pointers valid until locus_info_destroy); any of the outputs may be NULL. */
LOCUS_API locus_status locus_info_entry(const locus_info *info, size_t i, const char **section, const char **key,
                                        const char **value);
/* The value of key in section (NULL section: the first key of that name anywhere); NULL when absent. */
LOCUS_API const char *locus_info_get(const locus_info *info, const char *section, const char *key);
LOCUS_API void locus_info_destroy(locus_info *info);

/* FLUSHDB: delete every key of that node. */
LOCUS_API locus_status locus_flush_db(locus_client *c, const char *address);
/* SAVE: write that node's RDB file now (synchronously). */
LOCUS_API locus_status locus_save(locus_client *c, const char *address);
/* CONFIG SET config_param value. */
LOCUS_API locus_status locus_config_set(locus_client *c, const char *config_param, const char *value,
                                        const char *address);
/* CONFIG GET expression (glob patterns allowed): *out the (parameter, value) pairs. */
LOCUS_API locus_status locus_config_get(locus_client *c, const char *expression, const char *address,
                                        locus_info **out);
/* INFO everything of that node, by section. */
LOCUS_API locus_status locus_get_db_node_info(locus_client *c, const char *address, locus_info **out);
/* CLUSTER INFO of that node; fails for a standalone database. */
LOCUS_API locus_status locus_get_db_cluster_info(locus_client *c, const char *address, locus_info **out);
/* AI.INFO of model or script `name` (model read prefix applied) as the node at address holds it (its own copy
 * in a cluster): key, type, backend, device, tag, duration (µs), samples, calls, errors. With reset_stat the
 * node's counters for it start again from zero (AI.INFO ... RESETSTAT; the reply is then just OK and *out
 * is empty). */
LOCUS_API locus_status locus_get_ai_info(locus_client *c, const char *address, const char *name, bool reset_stat,
                                         locus_info **out);

#ifdef __cplusplus
}
#endif
#endif
