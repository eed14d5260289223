/* Cluster construction: a [CLUSTER] configuration (conf/cluster_ini.c reads one from a file) into servers with
 * capacity/used/held vectors, plus the per-server size and per-GPU fair share the policies use. */
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

int sched_cluster_cfg_check(const sched_cluster_cfg *cfg, char *err, size_t errlen)
{
    long long servers = (long long)cfg->racks * cfg->servers_per_rack;
    long long gpus = servers * cfg->gpus_per_server;
    if (servers < 1 || servers > SCHED_MAX_SERVERS) {
        snprintf(err, errlen, "racks x servers_per_rack = %lld servers: expected 1..%d", servers, SCHED_MAX_SERVERS);
        return -1;
    }
    if (gpus > SCHED_MAX_GPUS) {
        snprintf(err, errlen, "%lld servers x %d GPUs = %lld GPUs: at most %d", servers, cfg->gpus_per_server, gpus,
                 SCHED_MAX_GPUS);
        return -1;
    }
    return 0;
}

int sched_cluster_init(sched_cluster *c, const sched_cluster_cfg *cfg, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    if (sched_cluster_cfg_check(cfg, err, errlen)) return -1;
    long n = (long)cfg->racks * cfg->servers_per_rack;
    c->n_servers = (int)n;
    c->n_gpus = c->n_servers * cfg->gpus_per_server;
    c->servers = calloc((size_t)n, sizeof *c->servers);
    c->scratch = malloc(((size_t)n + 1) * sizeof *c->scratch);
    if (!c->servers || !c->scratch) {
        free(c->servers);
        free(c->scratch);
        memset(c, 0, sizeof *c);
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
    free(c->scratch);
    c->servers = NULL;
    c->scratch = NULL;
}

int sched_cluster_free_gpus(const sched_cluster *c)
{
    int n = 0;
    for (int s = 0; s < c->n_servers; s++) n += (int)(c->servers[s].cap[R_GPU] - c->servers[s].used[R_GPU]);
    return n;
}
