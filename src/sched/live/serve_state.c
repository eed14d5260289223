/* `locus sched serve --state_dir DIR`: the state file (docs/sched-serve.md "Faults"). Written at every round
 * end, after the leases that ended were credited, to DIR/state.json.tmp, flushed to disk, then renamed over
 * DIR/state.json, so a reader finds the last whole state or the one before, never half of one. A scheduler
 * started again with the same workload options and state dir reloads it: each job's progress, service,
 * priority, end (finished or failed) and retries, the round time, the arrivals so far and the lease counter
 * (so new leases never take the number of a process still running from before). What ran during the round the
 * scheduler was killed in is lost: at most one round per job. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve_int.h"

#define STATE_FORMAT "locus-sched-serve-state"
#define STATE_VERSION 1

int serve_state_save(serve *s, char *err, size_t errlen) {
    json_t *jobs = json_array();
    for (int i = 0; i < s->n_jobs; i++) {
        const sched_job *j = &s->jobs[i];
        const live_job *l = &s->live[i];
        json_array_append_new(jobs, json_pack("[I,I,f,f,i,b,f,b,i,f,s]", (json_int_t)j->id, (json_int_t)j->executed,
                                              j->attained, j->last_exec, j->priority, j->finished,
                                              j->finished ? j->finish : 0.0, l->failed, l->failures,
                                              l->failed ? l->failed_at : 0.0, l->reason));
    }
    json_t *root = json_pack("{s:s,s:i,s:s,s:i,s:f,s:I,s:i,s:i,s:o}", "format", STATE_FORMAT, "version",
                             STATE_VERSION, "policy", s->spec.name, "n_jobs", s->n_jobs, "T", s->T, "rounds",
                             (json_int_t)s->rounds, "next_arrival", s->next_arrival, "next_lease", s->next_lease,
                             "jobs", jobs);
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", s->state_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = -1;
    if (fd >= 0 && root != NULL && json_dumpfd(root, fd, JSON_COMPACT) == 0 && write(fd, "\n", 1) == 1 &&
        fsync(fd) == 0)
        rc = 0;
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, s->state_path) != 0)
        rc = -1;
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot write the state: %s", root == NULL ? s->state_path : tmp,
                 root == NULL ? "out of memory" : strerror(errno));
        unlink(tmp);
    }
    json_decref(root);
    return rc;
}

int serve_state_load(serve *s, serve_run *run, char *err, size_t errlen) {
    json_error_t je;
    json_t *root = json_load_file(s->state_path, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        snprintf(err, errlen, "%s:%d: not a state file: %s", s->state_path, je.line, je.text);
        return -1;
    }
    const char *format = NULL, *policy = NULL;
    json_t *jobs = NULL;
    int version = 0, n_jobs = 0, next_arrival = 0, next_lease = 0;
    json_int_t rounds = 0;
    double T = 0;
    int rc = -1;
    if (json_unpack_ex(root, &je, JSON_STRICT, "{s:s,s:i,s:s,s:i,s:F,s:I,s:i,s:i,s:o}", "format", &format,
                       "version", &version, "policy", &policy, "n_jobs", &n_jobs, "T", &T, "rounds", &rounds,
                       "next_arrival", &next_arrival, "next_lease", &next_lease, "jobs", &jobs) != 0) {
        snprintf(err, errlen, "%s: not a state file of locus sched serve: %s", s->state_path, je.text);
        goto out;
    }
    if (strcmp(format, STATE_FORMAT) != 0 || version != STATE_VERSION) {
        snprintf(err, errlen, "%s: format %s version %d, expected %s version %d", s->state_path, format, version,
                 STATE_FORMAT, STATE_VERSION);
        goto out;
    }
    if (strcmp(policy, s->spec.name) != 0 || n_jobs != s->n_jobs || !json_is_array(jobs) ||
        json_array_size(jobs) != (size_t)n_jobs || next_arrival < 0 || next_arrival > n_jobs) {
        snprintf(err, errlen, "%s: written for %s with %d jobs; this run is %s with %d jobs (give the same "
                 "--policy and workload options, or another --state_dir)", s->state_path, policy, n_jobs,
                 s->spec.name, s->n_jobs);
        goto out;
    }
    for (int i = 0; i < n_jobs; i++) {
        json_int_t id, executed;
        double attained, last_exec, finish, failed_at;
        int priority, finished, failed, failures;
        const char *reason;
        if (json_unpack_ex(json_array_get(jobs, (size_t)i), &je, JSON_STRICT, "[I,I,F,F,i,b,F,b,i,F,s]", &id,
                           &executed, &attained, &last_exec, &priority, &finished, &finish, &failed, &failures,
                           &failed_at, &reason) != 0) {
            snprintf(err, errlen, "%s: jobs[%d]: %s", s->state_path, i, je.text);
            goto out;
        }
        sched_job *j = &s->jobs[i];
        if (id != j->id || executed < 0 || executed > j->total_iters || failures < 0) {
            snprintf(err, errlen, "%s: jobs[%d] is job %lld with %lld steps; this workload's job %d has %ld in all "
                     "(another workload?)", s->state_path, i, (long long)id, (long long)executed, j->id,
                     j->total_iters);
            goto out;
        }
        j->executed = executed;
        j->attained = attained;
        j->last_exec = last_exec;
        j->priority = priority;
        live_job *l = &s->live[i];
        l->failures = failures;
        snprintf(l->reason, sizeof l->reason, "%s", reason);
        if (finished) {
            j->finished = true;
            j->finish = finish;
        }
        if (failed) {
            l->failed = true;
            l->failed_at = failed_at;
            s->n_failed++;
        }
    }
    /* the queue: every job that had arrived and neither finished nor failed; the results: the finished ones,
     * in the order they finished */
    sched_sim_result *r = &run->res;
    for (int i = 0; i < next_arrival; i++)
        if (!s->jobs[i].finished && !s->live[i].failed && sched_queue_add(&s->queue, s->jobs, i)) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    int n_fin = 0;
    for (int i = 0; i < n_jobs; i++)
        n_fin += s->jobs[i].finished;
    r->jobs = calloc((size_t)(n_fin > 0 ? n_fin : 1), sizeof *r->jobs);
    run->cap_jobs = n_fin > 0 ? n_fin : 1;
    if (r->jobs == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (int i = 0; i < n_jobs; i++) {
        const sched_job *j = &s->jobs[i];
        if (!j->finished)
            continue;
        int k = (int)r->n_jobs++;
        while (k > 0 && r->jobs[k - 1].finish > j->finish) {
            r->jobs[k] = r->jobs[k - 1];
            k--;
        }
        r->jobs[k] = (sched_job_result){j->id, j->prof->name, j->gpu_demand, j->arrival, j->finish,
                                        j->finish - j->arrival};
    }
    r->jobs_finished = n_fin;
    r->jobs_simulated = next_arrival;
    s->T = T;
    s->rounds = (long)rounds;
    s->next_arrival = next_arrival;
    s->next_lease = next_lease;
    s->resumed = true;
    rc = 0;
out:
    json_decref(root);
    return rc;
}
