/* libFuzzer target: the module's pure argument parsers (AI.TENSORSET and AI.TENSORGET arguments, VALUES for
 * every type, the BLOB check, load-time options, the script nesting scan, the TorchScript archive check). The
 * input is split at newlines into arguments; the first byte picks the parser. A parser returns NULL or an error string, never crashes or overreads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fake_io.h"
#include "model/archive.h"
#include "parsing/args.h"
#include "tensor/dtype.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) { /* the checks allocate through RedisModule_Alloc */
        fake_api_install();
        ready = 1;
    }
    if (size < 1)
        return 0;
    int which = data[0] % 6;
    lc_err err;
    if (which == 5) { /* the TorchScript archive check on arbitrary bytes */
        torchscript_archive_check(data + 1, size - 1, &err);
        return 0;
    }
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    arg_view v[MAX_ARGS];
    int argc = 0;
    while (p <= end && argc < MAX_ARGS) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        v[argc].ptr = p; /* not NUL-terminated: parsers must use the length */
        v[argc].len = (size_t)(e - p);
        argc++;
        if (!nl)
            break;
        p = nl + 1;
    }
    if (which == 0) {
        int64_t dims[MAX_ARGS];
        tensor_set_args a;
        if (parse_tensorset(argc, v, dims, &a, &err) == NULL) {
            if (a.fmt == TENSOR_DATA_VALUES && a.nbytes <= 1 << 16) {
                void *buf = malloc(a.nbytes ? a.nbytes : 1);
                parse_tensor_values(a.dtype, v + a.data_pos, (size_t)a.nvalues, buf, &err);
                free(buf);
            } else if (a.fmt == TENSOR_DATA_BLOB) {
                check_tensor_blob(&a, v[a.data_pos].ptr, v[a.data_pos].len, &err);
            }
        }
    } else if (which == 1) {
        unsigned fmt;
        parse_tensorget(argc, v, &fmt, &err);
    } else if (which == 2) {
        module_config c;
        config_defaults(&c);
        config_apply(&c, argc - 1, v + 1, &err);
    } else if (which == 3) {
        source_max_nesting((const char *)data + 1, size - 1);
    } else if (argc >= 1) {
        const dtype_info *dt = dtype_by_name(v[0].ptr, v[0].len);
        if (dt != NULL && argc > 1) {
            void *buf = malloc((size_t)(argc - 1) * 8);
            parse_tensor_values(dt, v + 1, (size_t)(argc - 1), buf, &err);
            free(buf);
        }
        int64_t n;
        double d;
        arg_to_int64(v[0], &n);
        arg_to_double(v[0], &d);
    }
    return 0;
}
