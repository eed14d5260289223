/* +opt (simulation only): the round's chosen jobs get their CPU and memory from an optimisation instead of a
 * per-job mechanism, in two phases solved with GLPK.
 *
 * Phase 1 (MILP): each job picks exactly one cell (c, m) of its profile's 9x5 grid of normalised throughput
 * per GPU (CPUs per GPU x memory per GPU) to maximise the sum of throughputs, subject to the cluster's CPU and
 * memory totals (sum of GPUs x per-GPU amount) and each job keeping at least its throughput at the fair-share
 * cell. Cells below the fair-share throughput can never be chosen and cells dominated by another of the same
 * job (no more CPU, no more memory, at least the throughput) never improve an optimum, so both are dropped
 * before the solve: the fairness rows become implicit and the model shrinks (a flat profile keeps one cell).
 * Phase 2 (LP): x[s][j] >= 0, sum_s x[s][j] = 1, and per server sum_j x[s][j] * (GPUs, CPUs, memory of job j)
 * within the server's size; a feasibility problem (zero objective) whose basic solution places most jobs on
 * one server and a few fractionally.
 *
 * A job runs at iteration time / chosen throughput (no placement penalty, no speed-up), as in the reference. Its fractional allocation is reserved on the servers for the round's
 * statistics and released at lease end like any other. Capacities are the cluster's per-server size for every
 * policy (the reference passes wrong ones for LAS, FTF, DRF and TETRIS). The solves are deterministic: GLPK's
 * simplex and branch-and-bound with fixed options, no time limits, messages off. */
#include <glpk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

#define OPT_EPS 1e-9

typedef struct opt_cell {
    int job;       /* index into the round's job list */
    int c, m;      /* grid indices */
} opt_cell;

static int grid_index(const double *grid, int n, double v)
{
    for (int i = 0; i < n; i++)
        if (grid[i] == v) return i;
    return -1;
}

/* Appends job k's candidate cells: tput >= fair tput and not dominated by another cell of the job (ties:
 * the earlier cell in grid order stays). */
static int job_cells(const sched_profile *p, int fc, int fm, int k, opt_cell *out)
{
    double fair = p->tput[fc][fm];
    int n = 0;
    for (int c = 0; c < SCHED_GRID_CPU; c++)
        for (int m = 0; m < SCHED_GRID_MEM; m++) {
            double t = p->tput[c][m];
            if (t < fair) continue;
            bool dominated = false;
            for (int c2 = 0; c2 <= c && !dominated; c2++)
                for (int m2 = 0; m2 <= m && !dominated; m2++) {
                    if (c2 == c && m2 == m) continue;
                    double t2 = p->tput[c2][m2];
                    /* no more of either resource and at least the throughput; an equal cell wins only if
                     * it comes first, so exactly one of two identical cells survives */
                    if (t2 > t || (t2 == t && (c2 < c || m2 < m))) dominated = true;
                }
            if (!dominated) out[n++] = (opt_cell){k, c, m};
        }
    return n;
}

/* Phase 1. chosen[k] receives the cell of job k. Returns 0 or -1 (err set). */
static int solve_cells(sched_round_ctx *ctx, const int *list, int n, int fc, int fm, opt_cell *chosen)
{
    const sched_cluster *cl = ctx->cluster;
    opt_cell *cells = malloc((size_t)n * SCHED_GRID_CPU * SCHED_GRID_MEM * sizeof *cells);
    int nc = 0;
    if (!cells) {
        snprintf(ctx->err, ctx->errlen, "+opt: out of memory");
        return -1;
    }
    for (int k = 0; k < n; k++) nc += job_cells(ctx->jobs[list[k]].prof, fc, fm, k, cells + nc);

    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MAX);
    glp_add_rows(lp, n + 2);
    for (int k = 0; k < n; k++) glp_set_row_bnds(lp, k + 1, GLP_FX, 1, 1);
    glp_set_row_bnds(lp, n + 1, GLP_UP, 0, cl->per_server[R_CPU] * cl->n_servers);
    glp_set_row_bnds(lp, n + 2, GLP_UP, 0, cl->per_server[R_MEM] * cl->n_servers);
    glp_add_cols(lp, nc);
    int *ia = malloc((size_t)(3 * nc + 1) * sizeof *ia), *ja = malloc((size_t)(3 * nc + 1) * sizeof *ja);
    double *ar = malloc((size_t)(3 * nc + 1) * sizeof *ar);
    if (!ia || !ja || !ar) {
        glp_delete_prob(lp);
        free(ia), free(ja), free(ar), free(cells);
        snprintf(ctx->err, ctx->errlen, "+opt: out of memory");
        return -1;
    }
    int ne = 0;
    for (int i = 0; i < nc; i++) {
        const sched_job *j = &ctx->jobs[list[cells[i].job]];
        glp_set_col_kind(lp, i + 1, GLP_BV);
        glp_set_obj_coef(lp, i + 1, j->prof->tput[cells[i].c][cells[i].m]);
        ++ne, ia[ne] = cells[i].job + 1, ja[ne] = i + 1, ar[ne] = 1;
        ++ne, ia[ne] = n + 1, ja[ne] = i + 1, ar[ne] = j->gpu_demand * sched_grid_cpus[cells[i].c];
        ++ne, ia[ne] = n + 2, ja[ne] = i + 1, ar[ne] = j->gpu_demand * sched_grid_mem[cells[i].m];
    }
    glp_load_matrix(lp, ne, ia, ja, ar);
    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_ON;
    int rc = glp_intopt(lp, &parm);
    int st = rc == 0 ? glp_mip_status(lp) : 0;
    if (rc != 0 || st != GLP_OPT) {
        snprintf(ctx->err, ctx->errlen, "+opt: phase 1 MILP failed (glp_intopt %d, status %d) at t=%.0f s with %d jobs",
                 rc, st, ctx->now, n);
        rc = -1;
    } else {
        for (int k = 0; k < n; k++) chosen[k].job = -1;
        for (int i = 0; i < nc; i++)
            if (glp_mip_col_val(lp, i + 1) > 0.5) chosen[cells[i].job] = cells[i];
        rc = 0;
        for (int k = 0; k < n; k++)
            if (chosen[k].job < 0) rc = -1;
        if (rc) snprintf(ctx->err, ctx->errlen, "+opt: phase 1 left a job without a cell");
    }
    glp_delete_prob(lp);
    free(ia), free(ja), free(ar), free(cells);
    return rc;
}

/* Phase 2. x[s * n + k] receives job k's share on server s. Returns 0 or -1 (err set). */
static int solve_placement(sched_round_ctx *ctx, const int *list, int n, const double *cpu, const double *mem,
                           double *x)
{
    const sched_cluster *cl = ctx->cluster;
    int S = cl->n_servers, ncol = S * n;
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    glp_add_rows(lp, 3 * S + n);
    for (int s = 0; s < S; s++) {
        glp_set_row_bnds(lp, 3 * s + 1, GLP_UP, 0, cl->per_server[R_GPU]);
        glp_set_row_bnds(lp, 3 * s + 2, GLP_UP, 0, cl->per_server[R_CPU]);
        glp_set_row_bnds(lp, 3 * s + 3, GLP_UP, 0, cl->per_server[R_MEM]);
    }
    for (int k = 0; k < n; k++) glp_set_row_bnds(lp, 3 * S + k + 1, GLP_FX, 1, 1);
    glp_add_cols(lp, ncol);
    int *ia = malloc((size_t)(4 * ncol + 1) * sizeof *ia), *ja = malloc((size_t)(4 * ncol + 1) * sizeof *ja);
    double *ar = malloc((size_t)(4 * ncol + 1) * sizeof *ar);
    if (!ia || !ja || !ar) {
        glp_delete_prob(lp);
        free(ia), free(ja), free(ar);
        snprintf(ctx->err, ctx->errlen, "+opt: out of memory");
        return -1;
    }
    int ne = 0;
    for (int s = 0; s < S; s++)
        for (int k = 0; k < n; k++) {
            int col = s * n + k + 1;
            glp_set_col_bnds(lp, col, GLP_LO, 0, 0);
            ++ne, ia[ne] = 3 * s + 1, ja[ne] = col, ar[ne] = ctx->jobs[list[k]].gpu_demand;
            ++ne, ia[ne] = 3 * s + 2, ja[ne] = col, ar[ne] = cpu[k];
            ++ne, ia[ne] = 3 * s + 3, ja[ne] = col, ar[ne] = mem[k];
            ++ne, ia[ne] = 3 * S + k + 1, ja[ne] = col, ar[ne] = 1;
        }
    glp_load_matrix(lp, ne, ia, ja, ar);
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_OFF; /* the LP is always feasible; presolve only costs time here */
    int rc = glp_simplex(lp, &parm);
    int st = rc == 0 ? glp_get_status(lp) : 0;
    if (rc != 0 || (st != GLP_OPT && st != GLP_FEAS)) {
        snprintf(ctx->err, ctx->errlen, "+opt: phase 2 LP failed (glp_simplex %d, status %d) at t=%.0f s with %d jobs",
                 rc, st, ctx->now, n);
        rc = -1;
    } else {
        for (int i = 0; i < ncol; i++) x[i] = glp_get_col_prim(lp, i + 1);
        rc = 0;
    }
    glp_delete_prob(lp);
    free(ia), free(ja), free(ar);
    return rc;
}

int sched_opt_round(sched_round_ctx *ctx)
{
    sched_cluster *cl = ctx->cluster;
    int n = ctx->n_placed, S = cl->n_servers;
    int fc = grid_index(sched_grid_cpus, SCHED_GRID_CPU, cl->fair[R_CPU]);
    int fm = grid_index(sched_grid_mem, SCHED_GRID_MEM, cl->fair[R_MEM]);
    if (fc < 0 || fm < 0) {
        snprintf(ctx->err, ctx->errlen,
                 "+opt: the fair share (%g CPUs, %g GB per GPU) is not a point of the profile grid "
                 "(CPUs 1,2,3,4,5,6,9,12,24; GB 20.83,62.5,125,187.5,250)",
                 cl->fair[R_CPU], cl->fair[R_MEM]);
        return -1;
    }
    glp_term_out(GLP_OFF);

    int *list = malloc((size_t)n * sizeof *list);
    opt_cell *chosen = malloc((size_t)n * sizeof *chosen);
    double *cpu = malloc((size_t)n * sizeof *cpu), *mem = malloc((size_t)n * sizeof *mem);
    double *x = malloc((size_t)n * (size_t)S * sizeof *x);
    if (!list || !chosen || !cpu || !mem || !x) {
        free(list), free(chosen), free(cpu), free(mem), free(x);
        snprintf(ctx->err, ctx->errlen, "+opt: out of memory");
        return -1;
    }
    memcpy(list, ctx->placed, (size_t)n * sizeof *list);
    ctx->n_placed = 0;

    int rc = solve_cells(ctx, list, n, fc, fm, chosen);
    for (int k = 0; rc == 0 && k < n; k++) {
        const sched_job *j = &ctx->jobs[list[k]];
        cpu[k] = j->gpu_demand * sched_grid_cpus[chosen[k].c];
        mem[k] = j->gpu_demand * sched_grid_mem[chosen[k].m];
    }
    if (rc == 0) rc = solve_placement(ctx, list, n, cpu, mem, x);
    for (int k = 0; rc == 0 && k < n; k++) {
        sched_job *j = &ctx->jobs[list[k]];
        sched_alloc a[SCHED_MAX_SPAN];
        int na = 0;
        for (int s = 0; s < S; s++) {
            double f = x[s * n + k];
            if (f <= OPT_EPS) continue;
            if (na == SCHED_MAX_SPAN) {
                snprintf(ctx->err, ctx->errlen, "+opt: job %d spread over more than %d servers", j->id,
                         SCHED_MAX_SPAN);
                rc = -1;
                break;
            }
            a[na].server = s;
            a[na].res[R_GPU] = f * j->gpu_demand;
            a[na].res[R_CPU] = f * cpu[k];
            a[na].res[R_MEM] = f * mem[k];
            a[na].res[R_SSPEED] = f * j->gpu_demand * cl->fair[R_SSPEED];
            a[na].res[R_NET] = 0;
            na++;
        }
        if (rc) break;
        if (!sched_commit(ctx, j, a, na, true)) {
            snprintf(ctx->err, ctx->errlen, "+opt: out of memory");
            rc = -1;
            break;
        }
        /* it runs at the chosen throughput, not at the fair share sched_commit assumed */
        double tput = j->prof->tput[chosen[k].c][chosen[k].m];
        j->round_iter_time = j->iter_time / tput;
        j->alloc_gpus = j->gpu_demand;
        j->opt_tput = tput;
    }
    free(list), free(chosen), free(cpu), free(mem), free(x);
    return rc;
}
