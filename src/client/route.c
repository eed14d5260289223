/* Routing: which node gets a command, and what happens when that goes wrong.
 *
 * Standalone: one node. Cluster: a slot map from CLUSTER SLOTS; MOVED updates the map and retries at once,
 * ASK retries once at the named node behind ASKING. Transient failures (a lost connection, TRYAGAIN,
 * CLUSTERDOWN, LOADING) are retried every SR_CMD_INTERVAL until SR_CMD_TIMEOUT, reconnecting and (in a
 * cluster) refreshing the map, which is how a failover is followed to the promoted replica; any other error
 * reply is final and goes back to the caller.
 *
 * Replicas: Redis replicates asynchronously, so a write a primary acknowledged just before it died may never
 * have reached the replica that takes its place. A write to a primary with replicas is therefore acknowledged
 * to the caller only once all of them have it (WAIT); until they do, WAIT is asked again (the map read again
 * between tries: a replica the cluster has marked failed is no longer counted), and when the primary is lost
 * first the write is sent again to whoever serves the slot then. The replicas counted are those CLUSTER NODES
 * shows following the primary and not failed, from the moment they follow it: CLUSTER SLOTS lists one only
 * once it has synced, and a server that came back lost the writes acknowledged while it synced when its
 * primary was lost soon after (5,041 of 42,767 in one run of the test). With replicas the map is read again
 * before a write once it is a second old, so a replica that joins is waited for within a second. Measured
 * with tests/launch/test_failover.sh (a replica stopped for 1 s, then kill -9 of its primary, 16 KiB writes):
 * 4,398 of 57,543 acknowledged writes lost without this, none with it. Redis's own min-replicas-to-write 1
 * (max lag 1 s) does not do it: 926 of 11,357 still lost, and every write to the promoted primary refused (it
 * has no replica left). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_SEEDS 64
#define NO_NODE 0xffff
/* With replicas the map is read again before a write when it is older than this: a replica that joined since
 * (a lost server back) is then waited for too. */
#define REPLICATED_MAP_MAX_AGE_S 1.0

typedef struct lc_node {
    lc_addr addr;
    char name[300];
    lc_conn conn;
    int primary;  /* serves slots in the last map read */
    int replicas; /* its replicas the cluster has not marked failed: its writes are confirmed by as many */
} lc_node;

struct lc_route {
    lc_config cfg;
    int cluster;
    lc_node *nodes;
    int nnodes, cap;
    lc_addr seeds[MAX_SEEDS];
    int nseeds;
    char address[300];
    int replicated;     /* the last map read showed replicas (failed ones too) */
    double map_read_at; /* now_s() of the last map read (kept up to date only while replicated) */
    uint16_t slots[16384];
    struct {
        int slot1; /* the slot + 1; 0: empty */
        char tag[LC_TAG_MAX];
    } tags[8];     /* the last range tags found (tag_for_slot walks ~16k strings; every cluster run asks) */
    int next_tag;
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int node_index(lc_route *r, const lc_addr *a) {
    for (int i = 0; i < r->nnodes; i++) {
        const lc_addr *b = &r->nodes[i].addr;
        if (a->kind == b->kind && a->port == b->port && strcmp(a->host, b->host) == 0 &&
            strcmp(a->path, b->path) == 0)
            return i;
    }
    if (r->nnodes == r->cap) {
        int cap = r->cap ? r->cap * 2 : 8;
        lc_node *n = realloc(r->nodes, sizeof *n * (size_t)cap);
        if (!n)
            return -1;
        r->nodes = n;
        r->cap = cap;
    }
    lc_node *n = &r->nodes[r->nnodes];
    memset(n, 0, sizeof *n);
    n->addr = *a;
    lc_addr_format(a, n->name, sizeof n->name);
    return r->nnodes++;
}

/* Open node i if needed: 0, -1 transient, -2 fatal; reason in err. */
static int node_connect(lc_route *r, int i, char *err, size_t errlen) {
    lc_node *n = &r->nodes[i];
    if (n->conn.ctx)
        return 0;
    int rc = lc_conn_open(&n->conn, &n->addr, r->cfg.socket_timeout_ms, r->cfg.password, err, errlen);
    if (rc == 0) {
        /* Commands may legitimately take long (big tensors, busy server): I/O waits up to SR_CMD_TIMEOUT. */
        /* Model runs may take up to SR_MODEL_TIMEOUT: the longer of the two bounds every wait. */
        long ms = (long)r->cfg.cmd_timeout_s * 1000L;
        if (r->cfg.model_timeout_ms > ms)
            ms = r->cfg.model_timeout_ms;
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        redisSetTimeout(n->conn.ctx, tv);
    }
    return rc;
}

/* "host:port" from a MOVED/ASK error; an empty host means the node that replied. */
static int parse_redirect(const char *s, const lc_node *from, lc_addr *a, int *slot) {
    /* "MOVED 3999 127.0.0.1:6381" */
    const char *p = strchr(s, ' ');
    if (!p)
        return -1;
    *slot = atoi(p + 1);
    p = strchr(p + 1, ' ');
    if (!p)
        return -1;
    p++;
    char err[128];
    if (p[0] == ':') {
        char buf[300];
        snprintf(buf, sizeof buf, "%s%s", from->addr.host, p);
        return lc_addr_parse(buf, strlen(buf), a, err, sizeof err);
    }
    return lc_addr_parse(p, strlen(p), a, err, sizeof err);
}

/* True when the comma-separated flags hold exactly word ("fail" is not "fail?"). */
static int has_flag(const char *flags, const char *word) {
    size_t n = strlen(word);
    for (const char *p = flags; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

/* Replicas per primary from CLUSTER NODES on node i: every replica the cluster has not marked failed, from
 * the moment it follows its primary (CLUSTER SLOTS lists one only once it has synced, and the writes
 * acknowledged meanwhile would be only on the primary). 0, or -1 when the reply cannot be used (the counts
 * from CLUSTER SLOTS stay). */
static int count_replicas(lc_route *r, int i, const char *from_host) {
    redisReply *rep = redisCommand(r->nodes[i].conn.ctx, "CLUSTER NODES");
    if (!rep || rep->type != REDIS_REPLY_STRING) {
        if (!rep)
            lc_conn_close(&r->nodes[i].conn);
        else
            freeReplyObject(rep);
        return -1;
    }
    char(*ids)[64] = calloc((size_t)r->nnodes + 1, sizeof *ids); /* node id of each primary we route to */
    int *count = calloc((size_t)r->nnodes + 1, sizeof *count);
    for (int pass = 0; ids && count && pass < 2; pass++) {
        for (const char *line = rep->str; line && *line;
             line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
            /* "<id> <ip:port@cport[,hostname]> <flags> <its primary's id, or -> <ping> ..." */
            char id[64], addr[300], flags[256], of[64];
            if (sscanf(line, "%63s %299s %255s %63s", id, addr, flags, of) != 4 ||
                has_flag(flags, "handshake"))
                continue;
            if (pass == 0 && has_flag(flags, "master")) {
                char *at = strchr(addr, '@'), *colon;
                if (at)
                    *at = '\0';
                if (!(colon = strrchr(addr, ':')))
                    continue;
                *colon = '\0';
                for (int k = 0; k < r->nnodes; k++)
                    if (r->nodes[k].primary && r->nodes[k].addr.port == atoi(colon + 1) &&
                        strcmp(r->nodes[k].addr.host, addr[0] ? addr : from_host) == 0)
                        snprintf(ids[k], sizeof ids[k], "%s", id);
            } else if (pass == 1 && has_flag(flags, "slave")) {
                r->replicated = 1;
                for (int k = 0; k < r->nnodes && !has_flag(flags, "fail"); k++)
                    count[k] += ids[k][0] && strcmp(ids[k], of) == 0;
            }
        }
    }
    int rc = ids && count ? 0 : -1;
    for (int k = 0; rc == 0 && k < r->nnodes; k++)
        r->nodes[k].replicas = count[k];
    free(ids);
    free(count);
    freeReplyObject(rep);
    return rc;
}

static int refresh_from(lc_route *r, int i) {
    char err[256];
    if (node_connect(r, i, err, sizeof err) != 0)
        return -1;
    lc_node *n = &r->nodes[i];
    redisReply *rep = redisCommand(n->conn.ctx, "CLUSTER SLOTS");
    if (!rep) {
        lc_conn_close(&n->conn);
        return -1;
    }
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0) {
        freeReplyObject(rep);
        return -1;
    }
    lc_addr from = n->addr; /* nodes may move when the array grows */
    for (int s = 0; s < 16384; s++)
        r->slots[s] = NO_NODE;
    for (int k = 0; k < r->nnodes; k++)
        r->nodes[k].primary = r->nodes[k].replicas = 0;
    r->replicated = 0;
    for (size_t k = 0; k < rep->elements; k++) {
        redisReply *e = rep->element[k];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 || e->element[2]->type != REDIS_REPLY_ARRAY ||
            e->element[2]->elements < 2)
            continue;
        redisReply *m = e->element[2];
        lc_addr a = {0};
        a.kind = LC_ADDR_TCP;
        if (m->element[0]->type == REDIS_REPLY_STRING && m->element[0]->len > 0 &&
            m->element[0]->len < sizeof a.host)
            memcpy(a.host, m->element[0]->str, m->element[0]->len);
        else
            strcpy(a.host, from.host);
        a.port = (int)m->element[1]->integer;
        int idx = node_index(r, &a);
        if (idx < 0)
            continue;
        int listed = 0; /* replicas follow the primary: [lo, hi, primary, replica, ...] */
        for (size_t j = 3; j < e->elements; j++)
            listed += e->element[j]->type == REDIS_REPLY_ARRAY;
        r->nodes[idx].primary = 1;
        if (listed > r->nodes[idx].replicas)
            r->nodes[idx].replicas = listed;
        r->replicated |= listed > 0;
        long long lo = e->element[0]->integer, hi = e->element[1]->integer;
        for (long long s = lo; s <= hi && s < 16384; s++)
            if (s >= 0)
                r->slots[s] = (uint16_t)idx;
    }
    freeReplyObject(rep);
    count_replicas(r, i, from.host);
    if (r->replicated)
        r->map_read_at = now_s();
    return 0;
}

static int refresh_map(lc_route *r) {
    for (int i = 0; i < r->nnodes; i++)
        if (r->nodes[i].conn.ctx && refresh_from(r, i) == 0)
            return 0;
    for (int i = 0; i < r->nnodes; i++)
        if (refresh_from(r, i) == 0)
            return 0;
    for (int k = 0; k < r->nseeds; k++) {
        int i = node_index(r, &r->seeds[k]);
        if (i >= 0 && refresh_from(r, i) == 0)
            return 0;
    }
    return -1;
}

/* Node serving a slot, refreshing the map once when nobody does; -1 when still unknown. */
static int slot_node(lc_route *r, int slot) {
    if (r->slots[slot] == NO_NODE)
        refresh_map(r);
    return r->slots[slot] == NO_NODE ? -1 : r->slots[slot];
}

static int pick_node(lc_route *r, const lc_cmd *c) {
    if (!r->cluster || c->key_arg < 0)
        return 0;
    return slot_node(r, lc_key_slot(c->argv[c->key_arg], c->lens[c->key_arg]));
}

static int is_transient(const redisReply *rep) {
    static const char *const codes[] = {"TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN", "BUSY "};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strncmp(rep->str, codes[i], strlen(codes[i])) == 0)
            return 1;
    return 0;
}

locus_status lc_route_create(const lc_config *cfg, lc_route **out) {
    *out = NULL;
    lc_route *r = calloc(1, sizeof *r);
    if (!r)
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory creating a client");
    r->cfg = *cfg;
    char err[512];
    r->nseeds = lc_addr_parse_list(cfg->address, r->seeds, MAX_SEEDS, err, sizeof err);
    if (r->nseeds < 0) {
        free(r);
        return lc_fail(LOCUS_ERR_PARAMETER, "%s", err);
    }
    /* One entry at random spreads many clients over the listed addresses. */
    unsigned seed = (unsigned)getpid() ^ (unsigned)(now_s() * 1e6);
    int first = (int)(rand_r(&seed) % (unsigned)r->nseeds);
    for (int s = 0; s < 16384; s++)
        r->slots[s] = NO_NODE;
    double deadline = now_s() + cfg->conn_timeout_s;
    int attempts = 0, idx = -1;
    for (;;) {
        int k = (first + attempts) % r->nseeds;
        idx = node_index(r, &r->seeds[k]);
        if (idx < 0) {
            lc_route_destroy(r);
            return lc_fail(LOCUS_ERR_BADALLOC, "out of memory creating a client");
        }
        attempts++;
        int rc = node_connect(r, idx, err, sizeof err);
        if (rc == 0)
            break;
        if (rc == -2 || now_s() + cfg->conn_interval_ms / 1000.0 > deadline) {
            lc_route_destroy(r);
            return lc_fail(rc == -2 ? LOCUS_ERR_DATABASE : LOCUS_ERR_TIMEOUT,
                           "%s (%d attempt%s within SR_CONN_TIMEOUT=%d s)", err, attempts, attempts > 1 ? "s" : "",
                           cfg->conn_timeout_s);
        }
        sleep_ms(cfg->conn_interval_ms);
    }
    lc_node *n = &r->nodes[idx];
    snprintf(r->address, sizeof r->address, "%s", n->name);
    if (cfg->db_type == 0) {
        redisReply *rep = redisCommand(n->conn.ctx, "CLUSTER INFO");
        if (!rep) {
            snprintf(err, sizeof err, "%s: %s", n->name, n->conn.ctx->errstr);
            lc_route_destroy(r);
            return lc_fail(LOCUS_ERR_DATABASE, "cannot detect the database type: %s", err);
        }
        if (rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOAUTH", 6) == 0) {
            freeReplyObject(rep);
            locus_status st = lc_fail(LOCUS_ERR_DATABASE, "%s: " LC_NOAUTH_HINT, n->name);
            lc_route_destroy(r);
            return st;
        }
        r->cluster = rep->type != REDIS_REPLY_ERROR;
        freeReplyObject(rep);
    } else {
        r->cluster = cfg->db_type == 2;
    }
    if (r->cluster) {
        /* the message is made before r (which holds the address) is freed */
        locus_status st = LOCUS_OK;
        if (n->addr.kind == LC_ADDR_UNIX)
            st = lc_fail(LOCUS_ERR_PARAMETER, "%s: a clustered database is reached over TCP, not a Unix socket",
                         r->address);
        else if (refresh_map(r) != 0) {
            redisReply *ping = redisCommand(n->conn.ctx, "PING");
            if (ping && ping->type == REDIS_REPLY_ERROR && strncmp(ping->str, "NOAUTH", 6) == 0)
                st = lc_fail(LOCUS_ERR_DATABASE, "%s: " LC_NOAUTH_HINT, r->address);
            else
                st = lc_fail(LOCUS_ERR_DATABASE, "%s: CLUSTER SLOTS failed (is it a clustered database? is a "
                             "password needed?)", r->address);
            if (ping)
                freeReplyObject(ping);
        }
        if (st != LOCUS_OK) {
            lc_route_destroy(r);
            return st;
        }
    } else {
        /* a standalone client talks to the chosen node only */
        if (idx != 0) {
            lc_node tmp = r->nodes[0];
            r->nodes[0] = r->nodes[idx];
            r->nodes[idx] = tmp;
        }
    }
    *out = r;
    return LOCUS_OK;
}

void lc_route_destroy(lc_route *r) {
    if (!r)
        return;
    for (int i = 0; i < r->nnodes; i++)
        lc_conn_close(&r->nodes[i].conn);
    free(r->nodes);
    free(r);
}

int lc_route_is_cluster(const lc_route *r) { return r->cluster; }
const char *lc_route_address(const lc_route *r) { return r->address; }

/* Commands liblocus sends that change nothing; any other may write and is confirmed by the replicas. */
static int read_only(const lc_cmd *c) {
    static const char *const names[] = {"AI.TENSORGET", "AI.MODELGET", "AI.SCRIPTGET", "AI.DAGEXECUTE_RO",
                                        "AI.INFO",      "GET",         "EXISTS",       "HGET",
                                        "HGETALL",      "HEXISTS",     "LLEN",         "LRANGE",
                                        "LINDEX",       "DUMP",        "PING",         "TYPE",
                                        "INFO",         "CLUSTER"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (c->lens[0] == strlen(names[k]) && strncasecmp(c->argv[0], names[k], c->lens[0]) == 0)
            return 1;
    return 0;
}

static int needs_replicas(const lc_route *r, int i, const lc_cmd *c) {
    return r->cluster && r->nodes[i].replicas > 0 && c->argc > 0 && !read_only(c);
}

/* WAIT on node i for its listed replicas, up to SR_CMD_INTERVAL. 0: they have every write sent on this
 * connection; 1: not all of them yet; -1: the connection broke or the node is no primary any more (a write
 * may be lost: send it again). */
static int wait_replicas(lc_route *r, int i, char *err, size_t errlen) {
    lc_node *n = &r->nodes[i];
    char want[16], ms[16];
    snprintf(want, sizeof want, "%d", n->replicas);
    snprintf(ms, sizeof ms, "%d", r->cfg.cmd_interval_ms > 0 ? r->cfg.cmd_interval_ms : 1);
    lc_cmd w;
    lc_cmd_init(&w, -1);
    lc_cmd_str(&w, "WAIT");
    lc_cmd_str(&w, want);
    lc_cmd_str(&w, ms);
    if (!n->conn.ctx || lc_conn_send(&n->conn, &w, 1) != 0 || lc_conn_read(&n->conn, &w.reply) != 0) {
        snprintf(err, errlen, "%s: %s (waiting for its replicas)", n->name,
                 n->conn.ctx ? n->conn.ctx->errstr : "not connected");
        lc_conn_close(&n->conn);
        return -1;
    }
    int rc = -1;
    if (w.reply->type == REDIS_REPLY_INTEGER) {
        rc = w.reply->integer >= n->replicas ? 0 : 1;
        snprintf(err, errlen, "%s: %lld of its %d replicas confirmed the write", n->name, w.reply->integer,
                 n->replicas);
    } else {
        snprintf(err, errlen, "%s: WAIT: %s", n->name,
                 w.reply->type == REDIS_REPLY_ERROR ? w.reply->str : "bad reply");
    }
    freeReplyObject(w.reply);
    return rc;
}

/* Before writes (any of cmds[0..n)) to a cluster with replicas: read the map again when it is old. */
static void refresh_old_map(lc_route *r, const lc_cmd *cmds, int n) {
    if (!r->cluster || !r->replicated)
        return;
    int writes = 0;
    for (int k = 0; k < n && !writes; k++)
        writes = cmds[k].argc > 0 && !read_only(&cmds[k]);
    if (writes && now_s() > r->map_read_at + REPLICATED_MAP_MAX_AGE_S)
        refresh_map(r);
}

/* Wait until node i's replicas confirm what it acknowledged, within the deadline (set here, at the first wait
 * that fails, when it is still 0). 0 confirmed; -1 send the writes again; -2 the deadline passed. */
static int confirm_writes(lc_route *r, int i, double *start, double *deadline, char *err, size_t errlen) {
    for (;;) {
        int rc = wait_replicas(r, i, err, errlen);
        if (rc <= 0)
            return rc;
        if (*start == 0)
            *start = now_s(), *deadline = *start + r->cfg.cmd_timeout_s;
        if (now_s() > *deadline)
            return -2;
        refresh_map(r); /* a replica the cluster has marked failed drops out of the list */
        if (!r->nodes[i].primary)
            return -1;
        if (r->nodes[i].replicas == 0)
            return 0;
    }
}

/* One attempt at node i: send, read (ASKING reply first when asked). 0 with cmd->reply, -1 on I/O error. */
static int attempt(lc_route *r, int i, lc_cmd *cmd, lc_sink *sink, char *err, size_t errlen) {
    lc_node *n = &r->nodes[i];
    int rc = node_connect(r, i, err, errlen);
    if (rc != 0)
        return rc;
    if (lc_conn_send(&n->conn, cmd, 1) != 0)
        goto io;
    if (cmd->asking) {
        redisReply *a;
        if (lc_conn_read(&n->conn, &a) != 0)
            goto io;
        freeReplyObject(a);
    }
    if (sink) {
        sink->mismatch = 0;
        if (lc_conn_read_into(&n->conn, sink, &cmd->reply) != 0)
            goto io;
    } else if (lc_conn_read(&n->conn, &cmd->reply) != 0) {
        goto io;
    }
    return 0;
io:
    snprintf(err, errlen, "%s: %s", n->name, n->conn.ctx ? n->conn.ctx->errstr : "not connected");
    lc_conn_close(&n->conn);
    return -1;
}

locus_status lc_exec(lc_route *r, lc_cmd *cmd, lc_sink *sink) {
    double start = 0, deadline = 0; /* clock read at the first failure only: the fast path stays cheap */
    int redirects = 0, ask = -1, tries = 0;
    char err[512] = "";
    cmd->reply = NULL;
    refresh_old_map(r, cmd, 1);
    for (;;) {
        int i = ask >= 0 ? ask : pick_node(r, cmd);
        cmd->asking = ask >= 0;
        ask = -1;
        tries++;
        int rc;
        if (i < 0) {
            snprintf(err, sizeof err, "no node serves the slot of key '%.*s'", (int)cmd->lens[cmd->key_arg],
                     cmd->argv[cmd->key_arg]);
            rc = -1;
        } else {
            rc = attempt(r, i, cmd, sink, err, sizeof err);
        }
        cmd->asking = 0;
        if (rc == -2)
            return lc_fail(LOCUS_ERR_DATABASE, "%s", err);
        if (rc == 0) {
            redisReply *rep = cmd->reply;
            if ((!rep || rep->type != REDIS_REPLY_ERROR) && !needs_replicas(r, i, cmd))
                return LOCUS_OK;
            if (!rep || rep->type != REDIS_REPLY_ERROR) {
                int c = confirm_writes(r, i, &start, &deadline, err, sizeof err);
                if (c == 0)
                    return LOCUS_OK;
                freeReplyObject(rep);
                cmd->reply = NULL;
                if (c == -2)
                    return lc_fail(LOCUS_ERR_TIMEOUT,
                                   "%s %.*s: not confirmed by the replicas within SR_CMD_TIMEOUT=%d s: %s",
                                   cmd->argv[0], cmd->key_arg >= 0 ? (int)cmd->lens[cmd->key_arg] : 0,
                                   cmd->key_arg >= 0 ? cmd->argv[cmd->key_arg] : "", r->cfg.cmd_timeout_s,
                                   err);
                goto transient; /* the primary went before its replicas had the write: send it again */
            }
            int moved = strncmp(rep->str, "MOVED ", 6) == 0, asked = strncmp(rep->str, "ASK ", 4) == 0;
            if ((moved || asked) && r->cluster) {
                lc_addr a;
                int slot;
                if (parse_redirect(rep->str, &r->nodes[i], &a, &slot) != 0 || slot < 0 || slot >= 16384)
                    return LOCUS_OK; /* not a redirect we understand: the caller reports the error reply */
                if (++redirects <= 32) {
                    int j = node_index(r, &a);
                    freeReplyObject(rep);
                    cmd->reply = NULL;
                    if (j < 0)
                        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory following a redirect");
                    if (moved)
                        r->slots[slot] = (uint16_t)j;
                    else
                        ask = j;
                    continue;
                }
                /* the nodes send the slot back and forth while a hand-over settles: wait as for TRYAGAIN */
                redirects = 0;
            } else if (!is_transient(rep)) {
                return LOCUS_OK;
            }
            snprintf(err, sizeof err, "%s: %s", r->nodes[i].name, rep->str);
            freeReplyObject(rep);
            cmd->reply = NULL;
        }
    transient: /* wait and retry while SR_CMD_TIMEOUT allows */
        if (start == 0)
            start = now_s(), deadline = start + r->cfg.cmd_timeout_s;
        if (now_s() + r->cfg.cmd_interval_ms / 1000.0 > deadline)
            return lc_fail(LOCUS_ERR_TIMEOUT, "%s %.*s failed after %d attempts in %.1f s (SR_CMD_TIMEOUT=%d s): %s",
                           cmd->argv[0], cmd->key_arg >= 0 ? (int)cmd->lens[cmd->key_arg] : 0,
                           cmd->key_arg >= 0 ? cmd->argv[cmd->key_arg] : "", tries, now_s() - start,
                           r->cfg.cmd_timeout_s, err);
        sleep_ms(r->cfg.cmd_interval_ms);
        if (r->cluster)
            refresh_map(r);
    }
}

static int needs_serial(const redisReply *rep) {
    return rep->type == REDIS_REPLY_ERROR &&
           (strncmp(rep->str, "MOVED ", 6) == 0 || strncmp(rep->str, "ASK ", 4) == 0 || is_transient(rep));
}

locus_status lc_exec_many(lc_route *r, lc_cmd *cmds, int n) {
    if (n <= 0)
        return LOCUS_OK;
    int *node = malloc(sizeof(int) * (size_t)n * 2);
    if (!node)
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory");
    int *order = node + n;
    refresh_old_map(r, cmds, n);
    for (int k = 0; k < n; k++) {
        cmds[k].reply = NULL;
        cmds[k].asking = 0;
        node[k] = pick_node(r, &cmds[k]);
    }
    /* Per node: send its commands as one batch (all nodes first), then read each node's replies. A command
     * that is redirected or fails, and every later one of its node, is redone one at a time, in order. */
    int nn = r->nnodes;
    int *sent = calloc((size_t)(nn + 1), sizeof(int));
    lc_cmd *batch = malloc(sizeof *batch * (size_t)n);
    if (!sent || !batch) {
        free(node), free(sent), free(batch);
        return lc_fail(LOCUS_ERR_BADALLOC, "out of memory");
    }
    char err[512];
    for (int i = 0; i < nn; i++) {
        int m = 0;
        for (int k = 0; k < n; k++)
            if (node[k] == i)
                batch[m] = cmds[k], order[m++] = k;
        if (m == 0 || node_connect(r, i, err, sizeof err) != 0)
            continue;
        sent[i] = lc_conn_send(&r->nodes[i].conn, batch, m) == 0;
        if (!sent[i])
            lc_conn_close(&r->nodes[i].conn);
    }
    locus_status st = LOCUS_OK;
    for (int i = 0; i < nn; i++) {
        int bad = !sent[i];
        for (int k = 0; k < n; k++) {
            if (node[k] != i)
                continue;
            if (!bad) {
                if (lc_conn_read(&r->nodes[i].conn, &cmds[k].reply) != 0) {
                    lc_conn_close(&r->nodes[i].conn);
                    bad = 1;
                } else if (needs_serial(cmds[k].reply)) {
                    freeReplyObject(cmds[k].reply);
                    cmds[k].reply = NULL;
                    bad = 2; /* keep reading this node's replies to stay in step, redo them after */
                    node[k] = -2;
                    continue;
                }
            } else if (bad == 2 && r->nodes[i].conn.ctx) {
                redisReply *skip;
                if (lc_conn_read(&r->nodes[i].conn, &skip) != 0)
                    lc_conn_close(&r->nodes[i].conn);
                else
                    freeReplyObject(skip);
            }
            if (bad)
                node[k] = -2; /* redo */
        }
    }
    /* Writes a node acknowledged in the batch count once its replicas have them; when it is lost first they
     * are redone one at a time (and confirmed there). */
    double start = 0, deadline = 0;
    for (int i = 0; i < nn && st == LOCUS_OK; i++) {
        int writes = 0;
        for (int k = 0; k < n; k++)
            writes += node[k] == i && needs_replicas(r, i, &cmds[k]);
        if (!writes)
            continue;
        int c = confirm_writes(r, i, &start, &deadline, err, sizeof err);
        if (c == -2)
            st = lc_fail(LOCUS_ERR_TIMEOUT,
                         "%d writes: not confirmed by the replicas within SR_CMD_TIMEOUT=%d s: %s", writes,
                         r->cfg.cmd_timeout_s, err);
        for (int k = 0; c == -1 && k < n; k++)
            if (node[k] == i)
                node[k] = -2;
    }
    for (int k = 0; k < n; k++) {
        if (node[k] != -2 && node[k] != -1)
            continue;
        if (cmds[k].reply) {
            freeReplyObject(cmds[k].reply);
            cmds[k].reply = NULL;
        }
        if (st == LOCUS_OK)
            st = lc_exec(r, &cmds[k], NULL);
    }
    free(node), free(sent), free(batch);
    return st;
}

/* The shortest tag (a base 36 counter, up to 5 characters) whose CRC16 slot is `slot`: about 16384 tries. */
static int tag_for_slot(int slot, char *tag) {
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    for (unsigned k = 0; k < 36u * 36 * 36 * 36 * 36; k++) {
        char t[LC_TAG_MAX];
        int n = 0;
        unsigned v = k;
        do
            t[n++] = digits[v % 36];
        while ((v /= 36) != 0);
        t[n] = '\0';
        if (lc_key_slot(t, (size_t)n) == slot) {
            memcpy(tag, t, (size_t)n + 1);
            return 0;
        }
    }
    return -1;
}

/* tag_for_slot, remembered: a slot's tag never changes, and runs ask for the same few range starts. */
static int cached_tag(lc_route *r, int slot, char *tag) {
    for (size_t i = 0; i < sizeof r->tags / sizeof r->tags[0]; i++)
        if (r->tags[i].slot1 == slot + 1) {
            memcpy(tag, r->tags[i].tag, LC_TAG_MAX);
            return 0;
        }
    if (tag_for_slot(slot, tag) != 0)
        return -1;
    int k = r->next_tag;
    r->next_tag = (k + 1) % (int)(sizeof r->tags / sizeof r->tags[0]);
    r->tags[k].slot1 = slot + 1;
    memcpy(r->tags[k].tag, tag, LC_TAG_MAX);
    return 0;
}

static bool range_start(const lc_route *r, int s) {
    return r->slots[s] != NO_NODE && (s == 0 || r->slots[s - 1] != r->slots[s]);
}

int lc_route_range_tags(lc_route *r, char (*tags)[LC_TAG_MAX], int max) {
    if (!r->cluster) {
        tags[0][0] = '\0';
        return 1;
    }
    slot_node(r, 0); /* reads the map when it is empty */
    int n = 0;
    for (int s = 0; s < 16384 && n < max; s++)
        if (range_start(r, s)) {
            if (cached_tag(r, s, tags[n]) != 0)
                break;
            n++;
        }
    return n;
}

int lc_route_shard_prefixes(lc_route *r, lc_prefix *out, int max) {
    if (!r->cluster) {
        out[0].len = 0;
        return 1;
    }
    slot_node(r, 0); /* reads the map when it is empty */
    int n = 0;
    for (int s = 0; s < 16384 && n < max; s++)
        if (range_start(r, s)) {
            out[n].len = lc_slot_prefix(s, out[n].bytes);
            n++;
        }
    return n;
}

int lc_route_key_prefix(lc_route *r, const char *key, size_t len, lc_prefix *out) {
    out->len = 0;
    if (!r->cluster)
        return 0;
    int slot = lc_key_slot(key, len);
    int node = slot_node(r, slot);
    if (node < 0)
        return -1;
    while (slot > 0 && r->slots[slot - 1] == node) /* the first slot of its range */
        slot--;
    out->len = lc_slot_prefix(slot, out->bytes);
    return 0;
}

int lc_route_address_prefix(lc_route *r, const lc_addr *a, lc_prefix *out) {
    out->len = 0;
    if (!r->cluster)
        return 0;
    slot_node(r, 0); /* reads the map when it is empty */
    for (int i = 0; i < r->nnodes; i++) {
        const lc_addr *b = &r->nodes[i].addr;
        if (a->kind != b->kind || a->port != b->port || strcmp(a->host, b->host) != 0 ||
            strcmp(a->path, b->path) != 0)
            continue;
        for (int s = 0; s < 16384; s++)
            if (r->slots[s] == i) {
                out->len = lc_slot_prefix(s, out->bytes);
                return 0;
            }
    }
    return -1;
}

int lc_route_key_tag(lc_route *r, const char *key, size_t len, char *tag) {
    tag[0] = '\0';
    if (!r->cluster)
        return 0;
    int slot = lc_key_slot(key, len);
    int node = slot_node(r, slot);
    if (node < 0)
        return -1;
    while (slot > 0 && r->slots[slot - 1] == node) /* the first slot of its range */
        slot--;
    return cached_tag(r, slot, tag);
}

int lc_route_same_slot(lc_route *r, const char *a, size_t alen, const char *b, size_t blen) {
    return !r->cluster || lc_key_slot(a, alen) == lc_key_slot(b, blen);
}

void lc_cmd_init(lc_cmd *c, int key_arg) {
    memset(c, 0, sizeof *c);
    c->key_arg = key_arg;
}

void lc_cmd_arg(lc_cmd *c, const char *s, size_t len) {
    if (c->argc < 16) {
        c->argv[c->argc] = s;
        c->lens[c->argc] = len;
        c->argc++;
    }
}

void lc_cmd_str(lc_cmd *c, const char *s) { lc_cmd_arg(c, s, strlen(s)); }

locus_status lc_reply_error(const redisReply *r, const char *what, const char *key) {
    if (!r)
        return lc_fail(LOCUS_ERR_INTERNAL, "%s '%s': no reply", what, key);
    if (r->type == REDIS_REPLY_ERROR) {
        if (strncmp(r->str, "NOAUTH", 6) == 0)
            return lc_fail(LOCUS_ERR_DATABASE, "%s '%s': " LC_NOAUTH_HINT, what, key);
        if (strstr(r->str, "key is empty") || strstr(r->str, "no such key"))
            return lc_fail(LOCUS_ERR_KEY, "%s '%s': the key does not exist (%s)", what, key, r->str);
        return lc_fail(LOCUS_ERR_DATABASE, "%s '%s': %s", what, key, r->str);
    }
    return lc_fail(LOCUS_ERR_INTERNAL, "%s '%s': unexpected reply type %d", what, key, r->type);
}
