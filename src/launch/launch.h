/* Internal interface of the orchestrator (`locus db`, `locus run`): database state kept as JSON in the
 * state directory, shard configuration, launchers (local, slurm, pbs) behind one table, cluster forming
 * and CPU pinning. */
#ifndef LOCUS_LAUNCH_H
#define LOCUS_LAUNCH_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define DB_MAX_SHARDS 64 /* servers of one database, primaries and replicas together */
#define DB_STATE_FILE "locus-db.json"
/* cluster-node-timeout: how long a node may be silent before the others suspect it. Without replicas a lost
 * node only turns the cluster down; with replicas the failover takes this plus the election. Measured here
 * (kill -9 of a primary to writes served by its promoted replica): 1000 ms gave 2.0-2.7 s (3 runs), 2000 ms
 * 3.5-5.1 s (over 20), 3000 ms 4.8-5.9 s (3). 2000 keeps a margin for a server that stalls (a 512 MiB
 * TENSORSET stalled one 31 ms; forking a big dataset for an AOF rewrite or a busy host take longer), since
 * a false failover costs a full resync. */
#define DB_NODE_TIMEOUT_MS 5000
#define DB_FAILOVER_NODE_TIMEOUT_MS 2000
#define DB_FAILOVER_MEASURED "3.5-5.1 s here from kill -9 of a primary to writes served again"

typedef struct shard_state {
    char host[256];        /* the name or address clients connect to */
    char node[256];        /* the allocation's host it was placed on (set at start, not saved) */
    char bind[256];        /* space-separated addresses the server binds */
    int port;
    char unix_socket[512]; /* "" when none */
    long pid;              /* local: redis-server; slurm/pbs: the srun/mpiexec process */
    char dir[512];
    char log[600];
    char conf[600];
    bool replica;          /* started as a replica (zeroed state: a primary) */
    int primary;           /* for a replica: the index of the primary it was started to follow */
    char role[16];         /* "primary" or "replica" as last seen (db_refresh_roles); "" = no answer */
} shard_state;

typedef struct db_state {
    char dir[512];
    char launcher[16];
    char status[16];       /* "running" or "stopped" */
    char password[80];     /* "" = no AUTH */
    char jobid[64];        /* batch job holding the shards, if any */
    bool cluster;
    int nshards;           /* servers in shards[]: the primaries first, then their replicas */
    int replicas;          /* replicas per primary */
    shard_state shards[DB_MAX_SHARDS];
} db_state;

/* What `locus db start` was asked for. */
/* The client limits locus db writes into each shard's redis.conf: a tensor of up to 1 GiB per command, a
 * client's unread replies up to 4 GiB (2 GiB for a minute), a replica's backlog up to 4 GiB. */
#define DB_LIMITS_CONF                                                                                       \
    "proto-max-bulk-len 1gb\nclient-query-buffer-limit 2gb\n"                                               \
    "client-output-buffer-limit normal 4gb 2gb 60\nclient-output-buffer-limit replica 4gb 1gb 60\n"
#define DB_LIMITS_HELP                                                                                       \
    "extra redis.conf line, may repeat; it overrides the defaults proto-max-bulk-len 1gb, "                   \
    "client-query-buffer-limit 2gb, client-output-buffer-limit normal 4gb 2gb 60 and replica 4gb 1gb 60 "     \
    "(e.g. --redis-arg 'proto-max-bulk-len 4gb')"

typedef struct db_options {
    const char *dir;
    long shards, replicas, port, cpus, threads_per_queue, inter_op, intra_op;
    const char *ifname, *launcher, *hosts, *unix_socket, *password, *module;
    const char *persist;   /* "none" (default, as SmartSim's), "rdb" or "aof" */
    const char *redis_args[64];
    int n_redis_args;
    bool batch, wait_in_job;
    bool dry_run; /* with batch: write the job script and say how it would be submitted, submit nothing */
    const char *batch_args;   /* slurm: one #SBATCH line; pbs: qsub options, one a line */
    const char *batch_select; /* pbs: resources added to each chunk of the select (":ngpus=1:P100=True") */
    long wall_time_min;
} db_options;

/* ---- state.c ---- */
int state_save(const db_state *s);                      /* 0, or -1 with a message on stderr */
int state_load(const char *dir, db_state *s);           /* 0, or -1 with a message naming the file */
/* True when dir holds a readable state whose status is "running"; prints nothing. */
bool state_load_quiet_running(const char *dir, db_state *s);

/* ---- shard.c ---- */
/* Write shard i's redis.conf (mode 0600: it may hold the password). */
int shard_write_conf(const db_options *o, db_state *s, int i, const char *module_path);
/* Connect (TCP or Unix socket) and AUTH; NULL when the shard does not answer within timeout_ms. */
redisContext *shard_connect(const db_state *s, int i, int timeout_ms);
/* Wait until shard i answers PING (up to timeout_ms), watching pid for an early exit. 0 or -1. */
int shard_wait_ready(const db_state *s, int i, int timeout_ms);
/* Ask shard i to SHUTDOWN NOSAVE, falling back to signals on its pid; remove its socket. */
void shard_stop(const db_state *s, int i);
/* The module to load: $LOCUS_MODULE_PATH, else next to the running executable (build or install tree). */
const char *find_module_path(char *buf, size_t n);
/* Random password of hex digits. */
void make_password(char *buf, size_t n);
/* Spawn argv detached (own session), stdout/stderr to logfile, optionally pinned to cpulist ("" = no
 * pinning). Returns the pid or -1. */
pid_t spawn_detached(char *const argv[], const char *logfile, const char *cpulist);

/* ---- cluster.c ---- */
/* Form a cluster from all shards (MEET, even slot split over the primaries, each replica following its
 * primary) and wait until every node sees every slot served and every replica listed, and a write and a read
 * through the cluster succeed. 0 or -1 with the reason on stderr. */
int cluster_form(const db_state *s, int timeout_ms);
/* From a server's cluster config (nodes.conf): its config epoch when it was a primary, else (or without the
 * file) -1. The highest among a shard's servers is the one that was its primary last. */
long cluster_conf_primary_epoch(const char *nodes_conf);

/* ---- net.c ---- */
/* Space-separated IPv4/IPv6 addresses of interface ifname; -1 if it has none. */
int iface_addresses(const char *ifname, char *out, size_t n);
/* First address of a host name (for binding a shard on that host). */
int host_address(const char *host, char *out, size_t n);

/* ---- pin.c ---- */
/* CPUs this process may run on, as a list of OS indexes; returns the count. */
int allowed_cpus(int *cpus, int max);
/* Format cpus[from .. from+count) as a list "0,2,5". */
void cpulist_format(const int *cpus, int from, int count, char *out, size_t n);
/* Pin the calling process to a cpulist. 0 or -1. */
int pin_to_cpulist(const char *cpulist);

/* ---- jobspec.c: batch requests and MPI launches as command-line text (pure) ---- */
/* One entry of the suite's dict flags ({"C": "V100", "exclusive": None}). */
typedef struct suite_kv {
    char key[128];
    char val[256];
    bool none; /* the value was None (or empty): a flag without a value */
} suite_kv;
/* Parse dict text into kv[0 .. max); returns the count, or -1 when it is not such a dict. */
int suite_dict_parse(const char *dict, suite_kv *kv, int max);
/* The dict as sbatch options: "-C V100 --exclusive", "--constraint=P100" ("" for {}). 0 or -1. */
int dict_to_slurm(const char *dict, char *out, size_t n);
/* The dict for PBS: chunk resources to append to each chunk of a select (":P100=True:ngpus=1") and qsub
 * options, one per line without "#PBS " ("-q gpu\n-A proj\n"). See the table in jobspec.c. 0, or -1
 * with err naming the key that cannot be passed. */
typedef struct pbs_request {
    char chunk[1024];
    char lines[2048];
} pbs_request;
int dict_to_pbs(const char *dict, pbs_request *r, char *err, size_t errn);

/* A family of MPI launchers and how it is told "R ranks on each of these hosts". */
typedef enum { MPI_HOST_SLOTS, MPI_PPN_HOSTS } mpi_style;
typedef struct mpi_flavour {
    const char *name;  /* "openmpi", "hydra" */
    const char *match; /* '|'-separated texts of `mpiexec --version` that identify it */
    mpi_style style;
} mpi_flavour;
/* The flavour whose texts appear in `mpiexec --version` output; NULL when none does. */
const mpi_flavour *mpi_flavour_of(const char *version_text);
const mpi_flavour *mpi_flavour_by_name(const char *name);
/* argv (NULL-terminated, at most max entries with the NULL) of an mpiexec that starts per_node ranks on
 * each of hosts[0 .. nhosts), with env_names passed to remote ranks where the flavour needs them named
 * (Open MPI's -x). The strings live in buf. Returns argc, or -1 when argv or buf is too small. The caller
 * appends the program and its arguments. */
int mpi_hosts_argv(const mpi_flavour *f, const char (*hosts)[256], int nhosts, long per_node,
                   const char *const *env_names, int nenv, bool as_root, char **argv, int max, char *buf,
                   size_t bufn);

/* ---- launchers.c ---- */
typedef struct launcher {
    const char *name;
    const char *submit_command; /* what batch() runs on the script ("sbatch --parsable"), NULL for none */
    bool (*detect)(void);                  /* are we inside this launcher's allocation? */
    int (*hosts)(char hosts[][256], int max); /* the allocation's hosts */
    /* Start shard i (conf already written); record its pid. */
    int (*start_shard)(const db_options *o, db_state *s, int i, const char *cpulist);
    /* Write a batch script that runs `locus db start --wait-in-job` with these options; submit it when
     * submit is true and record the job id. */
    int (*batch)(const db_options *o, db_state *s, const char *script_path, bool submit);
    /* Cancel a batch job. */
    void (*cancel)(const char *jobid);
    /* Is a batch job still queued or running? 1 yes, 0 it ended (or the scheduler no longer knows it), -1
     * cannot tell (the query failed). */
    int (*job_state)(const char *jobid);
} launcher;

const launcher *launcher_by_name(const char *name); /* "auto" resolves by environment */
/* The family of this installation's mpiexec (from `mpiexec --version`, or $LOCUS_MPI_FLAVOUR), found once;
 * NULL with why filled when it is missing or not one locus knows. */
const mpi_flavour *mpi_detect(char *why, size_t n);
/* Names of the variables of our environment that a job's processes on other hosts need: PATH,
 * LD_LIBRARY_PATH, LOCUS_*, REDIS_*, OMPI_ALLOW_RUN_AS_ROOT*, and with client_settings the database's
 * (SSDB*, SR_*, SSKEY*, LOCUS_DB_PASSWORD). The strings stay valid until the next call. Returns the count. */
int job_env_names(const char **names, int max, bool client_settings);
/* Write the script body for a batch submission of the database (exposed for unit tests). */
int write_batch_script(const char *kind, const db_options *o, const char *locus_exe, const char *path);

/* ---- db.c: the operations behind `locus db`, for other sub-commands ---- */
/* Where server i goes (out[0 .. shards * (1 + replicas)), primaries first): the primaries round-robin over
 * the hosts, replica r (1..) of primary p on host (p + r) % nhosts, so on a host other than its primary's
 * while replicas < nhosts; servers sharing a host get consecutive ports (port_offset 0, 1, ...). */
typedef struct db_place {
    int primary; /* the shard (its primary's index) */
    int replica; /* 0: the primary itself; else 1..replicas */
    int host;    /* index into the host list */
    int port_offset;
} db_place;
void db_placement(long shards, long replicas, int nhosts, db_place *out);
/* Start a database as `locus db start` would (options already parsed). 0, 1 (failed; nothing left running)
 * or 2 (bad options); *s holds the state either way. */
int db_launch(db_options *o, db_state *s);
/* Stop every shard of s, replicas first (and cancel its batch job); marks it stopped (the caller saves). */
void db_stop_all(db_state *s);
/* Ask every server its role now (a failover turns a replica into a primary); role "" for one that does not
 * answer. Returns how many answered. */
int db_refresh_roles(db_state *s);
/* The client settings for s: format "sh", "csh", "slurm" or "pbs". SSDB lists the servers whose role is
 * primary (a cluster client learns the replicas from CLUSTER SLOTS). */
void db_print_env(const db_state *s, const char *format, FILE *f);

/* ---- entry points ---- */
int locus_db_main(int argc, char **argv);
int locus_run_main(int argc, char **argv);

/* Appends s to dst (n bytes in all) in single quotes, as a shell reads it back whole (launchers.c). */
void append_quoted(char *dst, size_t n, const char *s);

#endif
