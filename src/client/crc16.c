/* Redis Cluster key slots: CRC16-CCITT (XMODEM: poly 0x1021, init 0) of the key, or of the text inside the
 * first "{...}" when that text is non-empty, modulo 16384. */
#include "internal.h"

static uint16_t crc_table[256];
static int crc_ready;

static void crc_init(void) {
    for (int i = 0; i < 256; i++) {
        uint16_t c = (uint16_t)(i << 8);
        for (int b = 0; b < 8; b++)
            c = (c & 0x8000) ? (uint16_t)((c << 1) ^ 0x1021) : (uint16_t)(c << 1);
        crc_table[i] = c;
    }
    crc_ready = 1; /* racing initialisers write identical values */
}

uint16_t lc_crc16(const char *buf, size_t len) {
    if (!crc_ready)
        crc_init();
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++)
        crc = (uint16_t)((crc << 8) ^ crc_table[((crc >> 8) ^ (uint8_t)buf[i]) & 0xff]);
    return crc;
}

int lc_key_slot(const char *key, size_t len) {
    size_t s, e;
    for (s = 0; s < len && key[s] != '{'; s++)
        ;
    if (s < len) {
        for (e = s + 1; e < len && key[e] != '}'; e++)
            ;
        if (e < len && e > s + 1)
            return lc_crc16(key + s + 1, e - s - 1) & 16383;
    }
    return lc_crc16(key, len) & 16383;
}

/* SmartRedis keeps a model's copy for each slot range of a cluster at "{P}.name", where P is the shortest byte
 * string whose CRC16 is the range's first slot and that holds neither brace. CRC16 with init 0 is the
 * remainder of P(x) * x^16 divided by the generator G = x^16 + x^12 + x^5 + 1, so P is found by dividing
 * backwards: start from the remainder (the slot) and add G * x^i for each low bit i that is set, which clears
 * it without changing the remainder. After 16 steps the low 16 bits are clear and the bits above are a
 * 2-byte P. If P holds a brace, one more step (bit 16, then 17, ...) gives another, 3-byte P with the same
 * remainder; SmartRedis gives up past 24 bits, and no slot below 16384 needs that many. */
#define CRC16_GENERATOR 0x11021ull

static bool has_brace(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] == '{' || p[i] == '}')
            return true;
    return false;
}

size_t lc_slot_prefix(int slot, char out[LC_PREFIX_MAX]) {
    unsigned long long v = (unsigned long long)slot & 0xffff;
    unsigned bits = 0;
    for (; bits < 16; bits++)
        if (v & (1ull << bits))
            v ^= CRC16_GENERATOR << bits;
    for (;;) {
        size_t n = (bits + 7) / 8;
        unsigned long long p = v >> 16;
        for (size_t i = 0; i < n; i++)
            out[n - 1 - i] = (char)((p >> (8 * i)) & 0xff);
        if (!has_brace(out, n) || bits >= 24)
            return n;
        if (v & (1ull << bits))
            v ^= CRC16_GENERATOR << bits;
        bits++;
    }
}
