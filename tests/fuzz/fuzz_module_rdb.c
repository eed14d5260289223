/* libFuzzer target: the module's RDB decoders (tensor, model, script, every encoding version they know and a
 * few they do not) on arbitrary field streams. A decoder must return a value or NULL, never crash, overread
 * or leak; the first byte picks the decoder and the version. No backend is loaded (the backends directory
 * does not exist), so a model or script record ends at "backend not available". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "fake_io.h"
#include "model/model.h"
#include "model/model_type.h"
#include "script/script.h"
#include "script/script_type.h"
#include "tensor/tensor.h"
#include "tensor/tensor_type.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) {
        fake_api_install();
        config_defaults(&g_config);
        snprintf(g_config.backends_path, sizeof g_config.backends_path, "/nonexistent-locus-backends");
        ready = 1;
    }
    if (size < 1)
        return 0;
    /* the type, then the encoding: RedisAI's 0-4, 9 (no such version), ours 10, 11 (newer) */
    static const int encvers[] = {0, 1, 2, 3, 4, 9, 10, 11};
    int which = data[0] % 3, encver = encvers[(data[0] / 3) % 8];
    RedisModuleIO *io = fake_io_open(data + 1, size - 1);
    if (which == 0) {
        tensor_release(tensor_rdb_load(io, encver));
    } else if (which == 1) {
        model *m = model_rdb_load(io, encver);
        if (m)
            model_release(m);
    } else {
        script *s = script_rdb_load(io, encver);
        if (s)
            script_release(s);
    }
    fake_io_close(io);
    return 0;
}
