/* The cluster configuration file: the [CLUSTER] section of an INI file (parsed with inih) into a
 * sched_cluster_cfg, and Synergy's [SCHEDULER] section checked and ignored. Malformed configs are rejected
 * with "file:line: reason". The one file of the scheduler's policy code that reads a file: the simulator and
 * the live scheduler both call it, the core (core/) does no I/O. */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster_ini.h"

/* One table gives the accepted keys, where they go and the smallest legal value. */
static const struct cfg_key {
    const char *name;
    size_t off;
    int min;
} cfg_keys[] = {
    {"racks", offsetof(sched_cluster_cfg, racks), 1},
    {"servers_per_rack", offsetof(sched_cluster_cfg, servers_per_rack), 1},
    {"gpus_per_server", offsetof(sched_cluster_cfg, gpus_per_server), 1},
    {"cpus_per_server", offsetof(sched_cluster_cfg, cpus_per_server), 1},
    {"dram_per_server", offsetof(sched_cluster_cfg, dram_per_server), 1},
    {"sspeed_per_server", offsetof(sched_cluster_cfg, sspeed_per_server), 1},
    {"net_per_server", offsetof(sched_cluster_cfg, net_per_server), 1},
};

#define N_CFG_KEYS (sizeof cfg_keys / sizeof cfg_keys[0])

struct ini_state {
    sched_cluster_cfg *cfg;
    char reason[200];
    bool seen_cluster;
    bool seen[N_CFG_KEYS + 2];  /* [CLUSTER] keys, then [SCHEDULER] policy and lease_time */
};

static int fail(struct ini_state *st, const char *fmt, const char *a, const char *b)
{
    if (!st->reason[0]) snprintf(st->reason, sizeof st->reason, fmt, a, b);
    return 0;
}

/* [SCHEDULER] as Synergy's configs write it (policy = FIFO, lease_time = 5): checked, then ignored (the
 * scheduler comes from --policies, the round from --round_duration). */
static int scheduler_key(struct ini_state *st, const char *name, const char *value)
{
    bool *seen = &st->seen[N_CFG_KEYS + (strcasecmp(name, "lease_time") == 0)];
    if (strcasecmp(name, "policy") != 0 && strcasecmp(name, "lease_time") != 0)
        return fail(st, "unknown key '%s' in [SCHEDULER] (only policy and lease_time, which are ignored)%s", name,
                    "");
    if (*seen) return fail(st, "duplicate key '%s' in [SCHEDULER]%s", name, "");
    *seen = true;
    if (strcasecmp(name, "policy") == 0) {
        sched_spec sp;
        char e[160];
        if (sched_spec_parse(&sp, value, e, sizeof e)) return fail(st, "policy = '%s': %s", value, e);
        return 1;
    }
    char *end;
    double v = strtod(value, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (end == value || *end || !(v > 0)) return fail(st, "lease_time = '%s': expected a positive number%s", value, "");
    return 1;
}

static int cluster_ini_handler(void *user, const char *section, const char *name, const char *value)
{
    struct ini_state *st = user;
    if (section[0] == '\0') return fail(st, "key '%s' outside any section%s", name, "");
    if (strcasecmp(section, "SCHEDULER") == 0) return scheduler_key(st, name, value);
    if (strcasecmp(section, "CLUSTER") != 0)
        return fail(st, "unknown section [%s] (expected [CLUSTER] and optionally [SCHEDULER])%s", section, "");
    st->seen_cluster = true;
    for (size_t i = 0; i < N_CFG_KEYS; i++) {
        if (strcasecmp(name, cfg_keys[i].name) != 0) continue;
        if (st->seen[i]) return fail(st, "duplicate key '%s' in [CLUSTER]%s", name, "");
        st->seen[i] = true;
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        while (*end == ' ' || *end == '\t') end++;
        if (errno || end == value || *end || v < cfg_keys[i].min || v > SCHED_MAX_CFG_VALUE) {
            if (!st->reason[0])
                snprintf(st->reason, sizeof st->reason, "%s = '%s': expected an integer in %d..%d", name, value,
                         cfg_keys[i].min, SCHED_MAX_CFG_VALUE);
            return 0;
        }
        *(int *)((char *)st->cfg + cfg_keys[i].off) = (int)v;
        return 1;
    }
    return fail(st, "unknown key '%s' in [CLUSTER]%s", name, "");
}

int sched_cluster_cfg_load(sched_cluster_cfg *cfg, const char *path, char *err, size_t errlen)
{
    /* per-key defaults of the reference's default server (racks/servers as its fallback map) */
    *cfg = (sched_cluster_cfg){.racks = 1, .servers_per_rack = 4, .gpus_per_server = 8, .cpus_per_server = 24,
                               .dram_per_server = 500, .sspeed_per_server = 300, .net_per_server = 40};
    struct ini_state st = {.cfg = cfg};
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    /* inih stops at a NUL byte as at the end of a line; name the line instead */
    int c, line = 1;
    while ((c = getc(f)) != EOF) {
        if (c == '\n') line++;
        if (c == '\0') {
            fclose(f);
            snprintf(err, errlen, "%s:%d: NUL byte in the config", path, line);
            return -1;
        }
    }
    rewind(f);
    line = ini_parse_file(f, cluster_ini_handler, &st);
    fclose(f);
    if (line != 0) {
        snprintf(err, errlen, "%s:%d: %s", path, line, st.reason[0] ? st.reason : "syntax error");
        return -1;
    }
    if (!st.seen_cluster) {
        snprintf(err, errlen, "%s:1: no [CLUSTER] section with keys", path);
        return -1;
    }
    char why[200];
    if (sched_cluster_cfg_check(cfg, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    return 0;
}

