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
