/* libFuzzer target: the TorchScript pickle walker (model/pickle_check.c) on arbitrary bytes, as a data.pkl
 * whose storage records are those of the seed models (data/0: 48 bytes, data/1: 12, constants/0: 16) and,
 * when the first byte is odd, as a debug pickle that may hold no storages. It returns 0 or an error, never
 * crashes, overreads or leaks. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fake_io.h"
#include "model/pickle_check.h"

static int find(void *arg, const char *dir, const char *key, size_t keylen, uint64_t *size) {
    (void)arg;
    static const struct {
        const char *dir, *key;
        uint64_t size;
    } records[] = {{"data/", "0", 48}, {"data/", "1", 12}, {"constants/", "0", 16}};
    for (size_t i = 0; i < sizeof records / sizeof records[0]; i++)
        if (strcmp(dir, records[i].dir) == 0 && keylen == strlen(records[i].key) &&
            memcmp(key, records[i].key, keylen) == 0) {
            *size = records[i].size;
            return 0;
        }
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    if (!ready) { /* the checks allocate through RedisModule_Alloc */
        fake_api_install();
        ready = 1;
    }
    if (size < 1)
        return 0;
    lc_err err;
    bool debug = data[0] & 1;
    torch_pickle_check(data + 1, size - 1, "fuzz.pkl", (data[0] & 2) ? "constants/" : "data/", debug ? NULL : find,
                       NULL, &err);
    return 0;
}
