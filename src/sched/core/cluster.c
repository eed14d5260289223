/* Cluster construction: the [CLUSTER] section of an INI config (parsed with inih) into servers with
 * capacity/used/held vectors, plus the per-server size and per-GPU fair share the policies use.
 * Malformed configs are rejected with "file:line: reason". */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"

void sched_cluster_cfg_default(sched_cluster_cfg *cfg)
{
    *cfg = (sched_cluster_cfg){.racks = 1, .servers_per_rack = 16, .gpus_per_server = 8,
                               .cpus_per_server = 24, .dram_per_server = 500, .sspeed_per_server = 500,
                               .net_per_server = 40};
}

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

struct ini_state {
    sched_cluster_cfg *cfg;
    char reason[160];
    bool seen_cluster;
};

static int cluster_ini_handler(void *user, const char *section, const char *name, const char *value)
{
    struct ini_state *st = user;
    if (strcasecmp(section, "CLUSTER") != 0) {
        if (section[0] == '\0') {
            if (!st->reason[0]) snprintf(st->reason, sizeof st->reason, "key '%s' outside any section", name);
            return 0;
        }
        return 1; /* [SCHEDULER] and other sections are ignored, as in the reference */
    }
    st->seen_cluster = true;
    for (size_t i = 0; i < sizeof cfg_keys / sizeof cfg_keys[0]; i++) {
        if (strcasecmp(name, cfg_keys[i].name) != 0) continue;
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        while (*end == ' ' || *end == '\t') end++;
        if (errno || end == value || *end || v < cfg_keys[i].min || v > 1000000) {
            if (!st->reason[0])
                snprintf(st->reason, sizeof st->reason, "%s = '%s': expected an integer >= %d", name, value,
                         cfg_keys[i].min);
            return 0;
        }
        *(int *)((char *)st->cfg + cfg_keys[i].off) = (int)v;
        return 1;
    }
    if (!st->reason[0]) snprintf(st->reason, sizeof st->reason, "unknown key '%s' in [CLUSTER]", name);
    return 0;
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
    int line = ini_parse_file(f, cluster_ini_handler, &st);
    fclose(f);
    if (line != 0) {
        snprintf(err, errlen, "%s:%d: %s", path, line, st.reason[0] ? st.reason : "syntax error");
        return -1;
    }
    if (!st.seen_cluster) {
        snprintf(err, errlen, "%s:1: no [CLUSTER] section with keys", path);
        return -1;
    }
    return 0;
}

int sched_cluster_init(sched_cluster *c, const sched_cluster_cfg *cfg, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    long n = (long)cfg->racks * cfg->servers_per_rack;
    if (n <= 0 || n > 100000 || (long)n * cfg->gpus_per_server > 1000000) {
        snprintf(err, errlen, "cluster too large or empty (%ld servers)", n);
        return -1;
    }
    c->n_servers = (int)n;
    c->n_gpus = c->n_servers * cfg->gpus_per_server;
    c->servers = calloc((size_t)n, sizeof *c->servers);
    if (!c->servers) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    double cap[R_N] = {cfg->gpus_per_server, cfg->cpus_per_server, cfg->dram_per_server, cfg->sspeed_per_server,
                       cfg->net_per_server};
    for (int s = 0; s < c->n_servers; s++) memcpy(c->servers[s].cap, cap, sizeof cap);
    for (int r = 0; r < R_N; r++) {
        c->total[r] = cap[r] * c->n_servers;
        c->per_server[r] = (double)(long)(c->total[r] / c->n_servers);
    }
    for (int r = 0; r < R_N; r++) c->fair[r] = c->per_server[r] / c->per_server[R_GPU];
    return 0;
}

void sched_cluster_free(sched_cluster *c)
{
    if (!c || !c->servers) return;
    for (int s = 0; s < c->n_servers; s++) free(c->servers[s].sched_jobs);
    free(c->servers);
    c->servers = NULL;
}

int sched_cluster_free_gpus(const sched_cluster *c)
{
    int n = 0;
    for (int s = 0; s < c->n_servers; s++) n += (int)(c->servers[s].cap[R_GPU] - c->servers[s].used[R_GPU]);
    return n;
}
