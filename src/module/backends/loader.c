/* Backend loading (see loader.h). */
#define _GNU_SOURCE
#include "loader.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../config.h"
#include "../redismodule_api.h"
#include "host_calls.h"

static const struct {
    const char *name;  /* protocol spelling */
    const char *file;  /* shared object name */
} backends[BACKEND_COUNT] = {
    [BACKEND_TF] = {"TF", "locus_tf.so"}, /* OpenCV DNN, as locus_onnx.so */
    [BACKEND_TFLITE] = {"TFLITE", "locus_tflite.so"},
    [BACKEND_TORCH] = {"TORCH", "locus_torch.so"},
    [BACKEND_ONNX] = {"ONNX", "locus_onnx.so"},
};

static const lb_ops *loaded[BACKEND_COUNT];

int backend_by_name(const char *name, size_t len) {
    for (int i = 0; i < BACKEND_COUNT; i++)
        if (strlen(backends[i].name) == len && strncasecmp(backends[i].name, name, len) == 0)
            return i;
    return -1;
}

const char *backend_name(backend_id id) {
    return id >= 0 && id < BACKEND_COUNT ? backends[id].name : "?";
}

void backend_default_dir(char *buf, size_t len) {
    if (g_config.backends_path[0] != '\0') {
        snprintf(buf, len, "%s", g_config.backends_path);
        return;
    }
    Dl_info info;
    if (dladdr((void *)backend_default_dir, &info) != 0 && info.dli_fname != NULL) {
        const char *slash = strrchr(info.dli_fname, '/');
        int n = slash != NULL ? (int)(slash - info.dli_fname) : 1;
        snprintf(buf, len, "%.*s/backends", n, slash != NULL ? info.dli_fname : ".");
    } else {
        snprintf(buf, len, "./backends");
    }
}

static void *host_alloc(size_t n) {
    return RedisModule_Alloc(n);
}
static void host_free(void *p) {
    RedisModule_Free(p);
}

int backend_resolve_path(const char *name, size_t len, bool any, char *out, size_t outlen, lc_err *err) {
    char dir[1024];
    backend_default_dir(dir, sizeof dir);
    bool absolute = len > 0 && name[0] == '/';
    if (absolute)
        snprintf(out, outlen, "%.*s", (int)len, name);
    else
        snprintf(out, outlen, "%s/%.*s", dir, (int)len, name);
    if (any)
        return 0;
    bool dotdot = false;
    for (size_t i = 0; i + 1 < len && !dotdot; i++)
        dotdot = name[i] == '.' && name[i + 1] == '.' && (i == 0 || name[i - 1] == '/') &&
                 (i + 2 == len || name[i + 2] == '/');
    if (len == 0 || absolute || dotdot || memchr(name, '\0', len) != NULL) {
        lc_err_set(err, "ERR AI.CONFIG LOADBACKEND takes a file in the backends directory (%s), not '%.*s'; "
                   "other paths need the module loaded with BACKEND_PATHS_AT_RUNTIME 1", dir, (int)len, name);
        return -1;
    }
    char rdir[PATH_MAX], rfile[PATH_MAX];
    if (realpath(dir, rdir) == NULL || realpath(out, rfile) == NULL) {
        lc_err_set(err, "ERR backend file %s not found", out);
        return -1;
    }
    size_t n = strlen(rdir);
    if (strncmp(rfile, rdir, n) != 0 || rfile[n] != '/') {
        lc_err_set(err, "ERR %s resolves to %s, outside the backends directory %s", out, rfile, rdir);
        return -1;
    }
    return 0;
}

/* The background load of backend_preload: its thread, joined by the first main-thread call that needs a
 * backend (so loaded[] is only read after the thread wrote it). */
static pthread_t preload_thread;
static bool preload_pending;
static backend_id preload_id;

void backend_preload_wait(void) {
    if (preload_pending) {
        preload_pending = false;
        pthread_join(preload_thread, NULL);
    }
}

static const lb_ops *get(backend_id id, lc_err *err);

static void *preload_main(void *arg) {
    (void)arg;
    lc_err err;
    if (get(preload_id, &err) == NULL && RedisModule_Log != NULL)
        RedisModule_Log(NULL, "notice", "locus_ai: %s backend not preloaded (%s); it loads when first needed",
                        backends[preload_id].name, err.msg);
    return NULL;
}

void backend_preload(backend_id id) {
    if (preload_pending || id < 0 || id >= BACKEND_COUNT || loaded[id] != NULL)
        return;
    char dir[1024], path[1200];
    backend_default_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s", dir, backends[id].file);
    if (access(path, R_OK) != 0) /* a build without it: nothing to preload, nothing to say */
        return;
    preload_id = id;
    preload_pending = pthread_create(&preload_thread, NULL, preload_main, NULL) == 0;
}

static int load_path(backend_id id, const char *path, lc_err *err) {
    if (loaded[id] != NULL)
        return 0;
    if (access(path, R_OK) != 0) {
        lc_err_set(err, "ERR backend %s is not available: %s not found (TORCH needs libtorch-dev, ONNX and "
                   "TF libopencv-dnn-dev at build time; see AI.CONFIG BACKENDSPATH / LOADBACKEND)",
                   backends[id].name, path);
        return -1;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        lc_err_set(err, "ERR could not load backend %s from %s: %s", backends[id].name, path, dlerror());
        return -1;
    }
    const lb_ops *ops = dlsym(h, LB_OPS_SYMBOL);
    if (ops == NULL) {
        lc_err_set(err, "ERR %s is not a locus_ai backend (no %s symbol)", path, LB_OPS_SYMBOL);
        dlclose(h);
        return -1;
    }
    if (ops->api_version != LB_API_VERSION) {
        lc_err_set(err, "ERR backend %s speaks backend API version %u, this locus_ai needs %u", path,
                   ops->api_version, LB_API_VERSION);
        dlclose(h);
        return -1;
    }
    if (strcasecmp(ops->name, backends[id].name) != 0) {
        lc_err_set(err, "ERR %s is the %s backend, not %s", path, ops->name, backends[id].name);
        dlclose(h);
        return -1;
    }
    lb_host host = {host_alloc,      host_free,       (int)g_config.inter_op_parallelism,
                    (int)g_config.intra_op_parallelism, host_redis_call, host_value_free,
                    host_model_execute};
    if (ops->init(&host, err) != 0) {
        dlclose(h);
        return -1;
    }
    loaded[id] = ops; /* never unloaded: models keep pointers into it */
    return 0;
}

int backend_load_path(backend_id id, const char *path, lc_err *err) {
    backend_preload_wait();
    return load_path(id, path, err);
}

const lb_ops *backend_loaded(backend_id id) {
    backend_preload_wait();
    return id >= 0 && id < BACKEND_COUNT ? loaded[id] : NULL;
}

/* backend_get without waiting for the preload: the preload thread's own call, and the main thread's after
 * its wait. */
static const lb_ops *get(backend_id id, lc_err *err) {
    if (id < 0 || id >= BACKEND_COUNT) {
        lc_err_set(err, "ERR unsupported backend");
        return NULL;
    }
    if (loaded[id] != NULL)
        return loaded[id];
    char dir[1024], path[1200];
    backend_default_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s", dir, backends[id].file);
    if (load_path(id, path, err) != 0)
        return NULL;
    if (RedisModule_Log != NULL)
        RedisModule_Log(NULL, "notice", "locus_ai: loaded backend %s (%s) from %s", loaded[id]->name,
                        loaded[id]->version, path);
    return loaded[id];
}

const lb_ops *backend_get(backend_id id, lc_err *err) {
    backend_preload_wait();
    return get(id, err);
}
