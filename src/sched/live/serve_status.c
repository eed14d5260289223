/* What the live scheduler is doing, for people: GET /status (JSON), GET / (an HTML page that refreshes itself)
 * and `locus sched status --server ADDR` (a table on the terminal). All three show the same: the rounds so far
 * and the time to the next one, each worker with its GPUs, CPUs and memory in use, each job with its state,
 * allocation, progress, retries and JCT. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_int.h"

static const char *job_state(const serve *s, int pos) {
    if (s->jobs[pos].finished)
        return "finished";
    if (s->live[pos].failed)
        return "failed";
    if (s->live[pos].n_alloc > 0)
        return "running";
    return pos < s->next_arrival ? "queued" : "not arrived";
}

json_t *serve_status_json(serve *s) {
    double now = wall_s();
    double next = s->round_start > 0 ? s->round_start + s->round / s->scale - now : -1;
    json_t *workers = json_array(), *jobs = json_array();
    int n_gpu = s->ccfg.gpus_per_server, n_cpu = s->ccfg.cpus_per_server;
    for (int m = 0; m < s->n_workers; m++) {
        const serve_worker *w = &s->workers[m];
        int gpus = 0, cpus = 0;
        for (int k = 0; k < n_gpu; k++)
            gpus += w->gpu_owner[k] >= 0;
        for (int k = 0; k < n_cpu; k++)
            cpus += w->cpu_owner[k] >= 0;
        double mem = 0;
        for (int pos = 0; pos < s->n_jobs; pos++)
            for (int k = 0; k < s->live[pos].n_alloc; k++)
                if (s->live[pos].alloc[k].server == m)
                    mem += s->live[pos].alloc[k].res[R_MEM];
        char addr[96];
        snprintf(addr, sizeof addr, "%s:%d", w->ip, w->port);
        json_array_append_new(
            workers, json_pack("{s:i,s:s,s:s,s:i,s:i,s:i,s:i,s:f,s:f,s:s,s:i,s:s}", "machine", m, "address", addr,
                               "state", w->lost ? "lost" : w->registered ? "up" : "not registered", "gpus_used", gpus,
                               "gpus", n_gpu, "cpus_used", cpus, "cpus", n_cpu, "mem_used_gb", mem, "mem_gb",
                               (double)s->ccfg.dram_per_server, "memory_limit",
                               w->memory_limit[0] ? w->memory_limit : "unknown", "times_lost", w->times_lost,
                               "lost_why", w->lost_why));
    }
    int count[5] = {0};
    static const char *const names[5] = {"finished", "failed", "running", "queued", "not arrived"};
    for (int pos = 0; pos < s->n_jobs; pos++) {
        const sched_job *j = &s->jobs[pos];
        const live_job *l = &s->live[pos];
        const char *st = job_state(s, pos);
        for (int k = 0; k < 5; k++)
            count[k] += strcmp(st, names[k]) == 0;
        json_t *alloc = json_array();
        for (int k = 0; k < l->n_alloc; k++) {
            const serve_worker *w = &s->workers[l->alloc[k].server];
            json_t *g = json_array(), *c = json_array();
            for (int x = 0; x < l->n_gpus[k]; x++)
                json_array_append_new(g, json_integer(w->start_gpu + l->gpus[k][x]));
            for (int x = 0; x < l->n_cpus[k]; x++)
                json_array_append_new(c, json_integer(w->start_cpu + l->cpus[k][x]));
            json_array_append_new(alloc, json_pack("{s:i,s:o,s:o,s:f}", "machine", l->alloc[k].server, "gpus", g,
                                                   "cpus", c, "mem_gb", l->alloc[k].res[R_MEM]));
        }
        json_t *o = json_pack("{s:i,s:s,s:i,s:f,s:s,s:i,s:o,s:I,s:I,s:f,s:i,s:s}", "id", j->id, "model",
                              j->prof->name, "gpus", j->gpu_demand, "arrival_s", j->arrival, "state", st, "lease",
                              l->n_alloc > 0 ? l->lease : 0, "alloc", alloc, "executed", (json_int_t)j->executed,
                              "total", (json_int_t)j->total_iters,
                              "progress", j->total_iters > 0 ? (double)j->executed / (double)j->total_iters : 1.0,
                              "retries", l->failures, "reason", l->reason);
        if (j->finished)
            json_object_set_new(o, "jct_s", json_real(j->finish - j->arrival));
        json_array_append_new(jobs, o);
    }
    json_t *counts = json_object();
    for (int k = 0; k < 5; k++)
        json_object_set_new(counts, names[k], json_integer(count[k]));
    return json_pack("{s:s,s:i,s:f,s:f,s:f,s:f,s:f,s:i,s:i,s:b,s:o,s:o,s:o}", "policy", s->spec.name, "rounds",
                     (int)s->rounds, "time_s", s->T, "round_s", s->round, "time_scale", s->scale, "next_round_in_s",
                     next < 0 ? 0.0 : next, "wall_s", now - s->started_wall, "workers_registered", s->n_registered,
                     "workers_listed", s->n_workers, "resumed", s->resumed, "counts", counts, "workers", workers,
                     "jobs", jobs);
}

/* ---- HTML ---- */

typedef struct buf {
    char *p;
    size_t n;
    FILE *f;
} buf;

static void esc(FILE *f, const char *t) {
    for (; t != NULL && *t; t++) {
        switch (*t) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*t, f);
        }
    }
}

static void cell_bar(FILE *f, double used, double total) {
    double pct = total > 0 ? 100.0 * used / total : 0;
    fprintf(f, "<td><div class=bar><div style=\"width:%.0f%%\"></div></div> %g / %g</td>", pct, used, total);
}

char *serve_status_html(serve *s) {
    json_t *st = serve_status_json(s);
    buf b = {0};
    b.f = open_memstream(&b.p, &b.n);
    if (b.f == NULL) {
        json_decref(st);
        return NULL;
    }
    FILE *f = b.f;
    double refresh = fmax(1.0, fmin(10.0, s->round / s->scale));
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=utf-8><meta http-equiv=refresh content=\"%.0f\">"
               "<title>locus sched serve</title><style>"
               "body{font:14px sans-serif;margin:1.5em;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:1.5em}"
               "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:left}"
               "th{background:#f3f3f3}.bar{display:inline-block;width:120px;height:10px;background:#eee;"
               "vertical-align:middle}.bar div{height:10px;background:#3a7bd5}"
               ".finished{color:#287a28}.failed{color:#b22}.running{color:#3a7bd5}.lost{color:#b22}"
               "</style></head><body>\n", refresh);
    json_t *counts = json_object_get(st, "counts");
    fprintf(f, "<h1>locus sched serve &mdash; ");
    esc(f, s->spec.name);
    fprintf(f, "</h1>\n<p>Round %d, scheduler time %.0f s (rounds of %g s at time scale %g); next round in %.1f s; "
               "%d of %d workers up%s.</p>\n<p>Jobs: %lld finished, %lld failed, %lld running, %lld queued, "
               "%lld not arrived yet.</p>\n",
            (int)json_integer_value(json_object_get(st, "rounds")), s->T, s->round, s->scale,
            json_real_value(json_object_get(st, "next_round_in_s")), s->n_registered, s->n_workers,
            s->resumed ? " (resumed from its state file)" : "",
            json_integer_value(json_object_get(counts, "finished")),
            json_integer_value(json_object_get(counts, "failed")),
            json_integer_value(json_object_get(counts, "running")),
            json_integer_value(json_object_get(counts, "queued")),
            json_integer_value(json_object_get(counts, "not arrived")));
    fprintf(f, "<h2>Workers</h2>\n<table><tr><th>machine</th><th>address</th><th>state</th><th>GPUs</th>"
               "<th>CPUs</th><th>memory (GB)</th><th>memory limit</th><th>times lost</th></tr>\n");
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(st, "workers"), i, w) {
        const char *state = json_string_value(json_object_get(w, "state"));
        fprintf(f, "<tr><td>%d</td><td>", (int)json_integer_value(json_object_get(w, "machine")));
        esc(f, json_string_value(json_object_get(w, "address")));
        fprintf(f, "</td><td class=\"%s\">%s</td>", strcmp(state, "lost") == 0 ? "lost" : "", state);
        cell_bar(f, (double)json_integer_value(json_object_get(w, "gpus_used")),
                 (double)json_integer_value(json_object_get(w, "gpus")));
        cell_bar(f, (double)json_integer_value(json_object_get(w, "cpus_used")),
                 (double)json_integer_value(json_object_get(w, "cpus")));
        cell_bar(f, json_real_value(json_object_get(w, "mem_used_gb")), json_real_value(json_object_get(w, "mem_gb")));
        fprintf(f, "<td>");
        esc(f, json_string_value(json_object_get(w, "memory_limit")));
        fprintf(f, "</td>");
        fprintf(f, "<td>%d", (int)json_integer_value(json_object_get(w, "times_lost")));
        const char *why = json_string_value(json_object_get(w, "lost_why"));
        if (why != NULL && *why) {
            fputs(" (", f);
            esc(f, why);
            fputs(")", f);
        }
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table>\n<h2>Jobs</h2>\n<table><tr><th>id</th><th>model</th><th>GPUs</th><th>state</th>"
               "<th>allocation</th><th>progress</th><th>retries</th><th>JCT (s)</th></tr>\n");
    json_t *j;
    json_array_foreach(json_object_get(st, "jobs"), i, j) {
        const char *state = json_string_value(json_object_get(j, "state"));
        fprintf(f, "<tr><td>%d</td><td>", (int)json_integer_value(json_object_get(j, "id")));
        esc(f, json_string_value(json_object_get(j, "model")));
        fprintf(f, "</td><td>%d</td><td class=\"%s\">%s</td><td>", (int)json_integer_value(json_object_get(j, "gpus")),
                state, state);
        size_t k;
        json_t *a;
        json_array_foreach(json_object_get(j, "alloc"), k, a) {
            fprintf(f, "%sm%d: %zu GPU, %zu CPU, %g GB", k ? "<br>" : "",
                    (int)json_integer_value(json_object_get(a, "machine")),
                    json_array_size(json_object_get(a, "gpus")), json_array_size(json_object_get(a, "cpus")),
                    json_real_value(json_object_get(a, "mem_gb")));
        }
        double p = json_real_value(json_object_get(j, "progress"));
        fprintf(f, "</td><td><div class=bar><div style=\"width:%.0f%%\"></div></div> %.0f%% (%lld / %lld)</td>",
                100 * p, 100 * p, json_integer_value(json_object_get(j, "executed")),
                json_integer_value(json_object_get(j, "total")));
        fprintf(f, "<td>%d", (int)json_integer_value(json_object_get(j, "retries")));
        const char *why = json_string_value(json_object_get(j, "reason"));
        if (why != NULL && *why) {
            fputs(" <small>(", f);
            esc(f, why);
            fputs(")</small>", f);
        }
        json_t *jct = json_object_get(j, "jct_s");
        if (jct != NULL)
            fprintf(f, "</td><td>%.0f</td></tr>\n", json_real_value(jct));
        else
            fprintf(f, "</td><td></td></tr>\n");
    }
    fprintf(f, "</table>\n<p><small>JSON: <code>GET /status</code>; refreshes every %.0f s.</small></p>\n"
               "</body></html>\n", refresh);
    fclose(f);
    json_decref(st);
    return b.p;
}
