/* Finding and loading backend shared objects. Each backend is loaded at most once (lazily, at the first
 * MODELSTORE/SCRIPTSTORE or RDB load that needs it, or explicitly with AI.CONFIG LOADBACKEND), its ops table
 * resolved with one dlsym of LB_OPS_SYMBOL, its version checked, and its init() called with the module's
 * allocator and thread settings. Main thread only, except the one background load backend_preload starts
 * (every other call waits for it to finish first). */
#ifndef LOCUS_MODULE_BACKEND_LOADER_H
#define LOCUS_MODULE_BACKEND_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include "../err.h"
#include "backend.h"

/* Backend identifiers; the numbers are part of the persistent model encoding (never renumber). */
typedef enum { BACKEND_TF = 0, BACKEND_TFLITE = 1, BACKEND_TORCH = 2, BACKEND_ONNX = 3, BACKEND_COUNT } backend_id;

/* The id of a protocol name (TF, TFLITE, TORCH, ONNX; case-insensitive), or -1. */
int backend_by_name(const char *name, size_t len);
const char *backend_name(backend_id id);

/* The ops of a backend, loading it from the default place when needed. NULL with an "ERR ..." reply recorded
 * in err when it is not available. */
const lb_ops *backend_get(backend_id id, lc_err *err);

/* Starts loading a backend from the default place on a background thread (when its file is there), so the
 * first model store does not pay for it (libtorch: about 0.3 s here, 1.1 s on slower file systems). */
void backend_preload(backend_id id);

/* Waits for the background load of backend_preload to end (nothing when none runs). Main thread. The
 * server must not exit while it runs: exit() would tear down the C++ runtime under libtorch's constructors
 * (they abort or crash, and the crash report then hangs on the loader's lock), so the module calls this at
 * shutdown. */
void backend_preload_wait(void);

/* The ops of a backend when it is loaded, else NULL (never loads). */
const lb_ops *backend_loaded(backend_id id);

/* Load a backend from an explicit path (AI.CONFIG LOADBACKEND). 0, or -1 with the message recorded in err.
 * Loading one that is already loaded succeeds without doing anything. */
int backend_load_path(backend_id id, const char *path, lc_err *err);

/* The file AI.CONFIG LOADBACKEND may load for `name` (len bytes): a path relative to the backends directory
 * without a ".." component, which must resolve (symbolic links followed) to a file inside that directory.
 * With `any` (BACKEND_PATHS_AT_RUNTIME 1) absolute paths and ".." are allowed too. Returns 0 with the path in
 * out, or -1 with an error reply recorded in err. Nothing is opened: a refused path never runs a
 * constructor. */
int backend_resolve_path(const char *name, size_t len, bool any, char *out, size_t outlen, lc_err *err);
/* Where backends are looked for when no path is given: BACKENDSPATH, else the folder of locus_ai.so plus
 * "/backends". Writes into buf. */
void backend_default_dir(char *buf, size_t len);

#endif
