/*
 * report_timeline.c - the timeline: each term's counts by period (the listed terms from their date
 * cells, else the top terms from the spill), trends.csv and timeline.svg; timeline.csv's rows are
 * written by report_timeline_table.c (report_timeline.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "dates.h"
#include "group.h"
#include "report_int.h"
#include "report_timeline.h"
#include "stats.h"
#include "timeline.h"

/* More lines than this make a chart unreadable: the chart shows the first
 * ones (the table has them all). */
#define TP_CHART_MAX 8

enum { MAX_PERIODS = 1000000 };

/* Counts a grouped timeline holds at most (groups x terms x periods). */
enum { MAX_CELLS = 1 << 27 };

/* Trends rows: p ascending, then term, then (groups) the group's name. */
static const uint32_t *trend_rank; /* by series: its group's rank (qsort has no context) */

static int trend_cmp(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    int c = tp_row_cmp(a, b);
    if (c || !trend_rank)
        return c;
    return (trend_rank[a->id] > trend_rank[b->id]) - (trend_rank[a->id] < trend_rank[b->id]);
}

/* A series' trend and what its row shows. */
struct trow {
    struct row r;
    struct tp_trend t;
    size_t m;
};

/* The trends of series [t0, t1), on a thread of their own: each series'
 * periods with tokens as x (its index) and y (the rate per million). */
struct trend_part {
    const struct tp_groups *gs;
    struct tl_term *terms;
    const uint64_t *ptok_all;
    size_t n_per, t0, t1;
    struct trow *rows;
    size_t failed; /* the first series that could not be computed, or t1 */
    int rc;
};

static void *trend_part_main(void *arg)
{
    struct trend_part *q = arg;
    size_t n_per = q->n_per;
    double *x = malloc((n_per ? n_per : 1) * sizeof(double));
    double *y = malloc((n_per ? n_per : 1) * sizeof(double));
    q->failed = q->t1;
    if (!x || !y) {
        q->rc = TP_ENOMEM;
        q->failed = q->t0;
    }
    for (size_t t = q->t0; t < q->t1 && !q->rc; t++) {
        size_t m = 0;
        const struct tl_term *term = &q->terms[t];
        const uint64_t *ptok = q->ptok_all + (q->gs ? (size_t)term->group * n_per : 0);
        for (size_t p = 0; p < n_per; p++) {
            if (!ptok[p])
                continue;
            x[m] = (double)p;
            y[m] = tl_per_million((double)tl_count(term, p), ptok[p]);
            m++;
        }
        struct trow *r = &q->rows[t];
        r->m = m;
        r->r = (struct row){0, term->name, term->name_len, (uint32_t)t};
        /* x: each period's own index, so a period without documents is a gap,
         * not renumbered away */
        if ((q->rc = tp_trend_compute(x, y, m, &r->t))) {
            q->failed = t;
            break;
        }
        /* sorted by p ascending: key is -p; an undefined p sorts last */
        r->r.key = isnan(r->t.p_value) ? -2 : -r->t.p_value;
    }
    free(x);
    free(y);
    return NULL;
}

/* ptok: tokens by period, of each group in turn (n_per each) under
 * --group-by (gs not NULL), where series t is in group terms[t].group. The
 * series' trends are computed on the run's threads, a run of series each. */
static int write_trends(const struct tp_run *run, const struct tp_groups *gs, struct tl_term *terms,
                        size_t n_terms, const uint64_t *ptok_all, size_t n_per, struct tp_out *out,
                        struct tp_error *err)
{
    uint32_t *srank = NULL;
    struct trow *rows = calloc(n_terms ? n_terms : 1, sizeof(*rows));
    unsigned threads = tp_run_threads(run);
    if (threads > n_terms)
        threads = n_terms ? (unsigned)n_terms : 1;
    struct trend_part q[TP_MAX_THREADS];
    int rc = 0;
    if (!rows) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (unsigned i = 0; i < threads; i++)
        q[i] = (struct trend_part){
            gs,   terms, ptok_all, n_per, n_terms * i / threads, n_terms * (i + 1) / threads,
            rows, 0,     0};
    tp_report_run_parts(trend_part_main, q, sizeof(q[0]), threads);
    /* the error of the first series that failed, as one thread would meet it */
    for (unsigned i = 0; i < threads; i++) {
        if (!q[i].rc)
            continue;
        size_t t = q[i].failed;
        rc = q[i].rc == TP_ENOMEM || t >= n_terms
                 ? tp_report_oom(err)
                 : tp_error_set(err, q[i].rc, "trends: '%.*s': cannot compute",
                                (int)terms[t].name_len, terms[t].name);
        goto out;
    }
    struct row *keys = malloc((n_terms ? n_terms : 1) * sizeof(*keys));
    if (!keys) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t t = 0; t < n_terms; t++)
        keys[t] = rows[t].r;
    if (gs) {
        srank = malloc((n_terms ? n_terms : 1) * sizeof(*srank));
        if (!srank) {
            free(keys);
            rc = tp_report_oom(err);
            goto out;
        }
        for (size_t t = 0; t < n_terms; t++)
            srank[t] = gs->rank[terms[t].group];
    }
    trend_rank = srank;
    if (n_terms > 1)
        qsort(keys, n_terms, sizeof(*keys), trend_cmp);
    trend_rank = NULL;
    tp_out_header(out, gs ? "group,term,periods,total,slope_per_period,tau,mk_z,p_value,direction"
                          : "term,periods,total,slope_per_period,tau,mk_z,p_value,direction");
    for (size_t i = 0; i < n_terms; i++) {
        const struct trow *r = &rows[keys[i].id];
        if (gs)
            tp_out_group(out, run, terms[keys[i].id].group);
        tp_out_text(out, r->r.name, r->r.name_len);
        tp_out_u64(out, r->m);
        tp_out_u64(out, terms[keys[i].id].total);
        tp_out_double(out, r->t.slope);
        tp_out_double(out, r->t.tau);
        tp_out_double(out, r->t.mk_z);
        tp_out_double(out, r->t.p_value);
        tp_out_str(out, r->t.direction == TP_RISING    ? "rising"
                        : r->t.direction == TP_FALLING ? "falling"
                                                       : "flat");
        tp_out_row_end(out);
    }
    free(keys);
out:
    free(srank);
    free(rows);
    return rc;
}

static int write_svg(struct tl_term *terms, size_t n_terms, const uint64_t *ptok, size_t n_per,
                     int64_t first, enum tp_period kind, struct tp_out *out, struct tp_error *err)
{
    int rc = 0;
    char(*labels)[24] = malloc((n_per ? n_per : 1) * sizeof(*labels));
    const char **lp = malloc((n_per ? n_per : 1) * sizeof(*lp));
    struct tp_series *series = calloc(n_terms ? n_terms : 1, sizeof(*series));
    double *vals = malloc((3 * n_terms * n_per + 1) * sizeof(double));
    if (!labels || !lp || !series || !vals) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t p = 0; p < n_per; p++) {
        tp_period_label(first + (int64_t)p, kind, labels[p], sizeof(labels[p]));
        lp[p] = labels[p];
    }
    for (size_t t = 0; t < n_terms; t++) {
        double *y = vals + 3 * t * n_per, *lo = y + n_per, *hi = lo + n_per;
        for (size_t p = 0; p < n_per; p++) {
            if (!ptok[p]) {
                y[p] = lo[p] = hi[p] = NAN;
                continue;
            }
            y[p] = tl_per_million((double)tl_count(&terms[t], p), ptok[p]);
            if (tp_garwood(tl_count(&terms[t], p), &lo[p], &hi[p])) {
                lo[p] = hi[p] = NAN;
            } else {
                lo[p] = tl_per_million(lo[p], ptok[p]);
                hi[p] = tl_per_million(hi[p], ptok[p]);
            }
        }
        series[t] = (struct tp_series){terms[t].name, y, lo, hi};
    }
    rc = tp_chart_svg(tp_out_file(out), lp, n_per, series,
                      n_terms < TP_CHART_MAX ? n_terms : TP_CHART_MAX,
                      "Term frequency per million tokens, with 95% intervals", err);
out:
    free(labels);
    free(lp);
    free(series);
    free(vals);
    return rc;
}

/* --group-by: the groups with a document in the timeline, by name, into
 * shown[] (gs->n entries); returns how many. */
static size_t timeline_groups(const struct tp_groups *gs, const uint64_t *gin, uint32_t *shown)
{
    size_t n = 0;
    for (size_t r = 0; r < gs->n; r++)
        if (gin[gs->order[r]])
            shown[n++] = gs->order[r];
    return n;
}

/* Groups and terms the chart shows under --group-by: a color per term, a
 * dash per group (4 patterns), at most TP_CHART_MAX lines. */
enum { CHART_MAX_GROUPS = 4 };

/* timeline.svg under --group-by: the first groups by name (at most 4, one
 * dash pattern each) and as many of the first terms as keep the lines to
 * TP_CHART_MAX, each term in its own color; the title says what is left
 * out (timeline.csv has every series). */
static int write_svg_grouped(const struct tp_run *run, const uint32_t *shown, size_t n_shown,
                             size_t G, struct tl_term *terms, size_t n_terms, const uint64_t *ptok,
                             size_t n_per, const struct tp_period_info *pi, struct tp_out *out,
                             struct tp_error *err)
{
    size_t ng = n_shown < CHART_MAX_GROUPS ? n_shown : CHART_MAX_GROUPS;
    size_t nt = ng ? TP_CHART_MAX / ng : 0;
    if (nt > n_terms)
        nt = n_terms;
    size_t n = nt * ng;
    int rc = 0;
    char(*labels)[24] = malloc((n_per ? n_per : 1) * sizeof(*labels));
    const char **lp = malloc((n_per ? n_per : 1) * sizeof(*lp));
    struct tp_series *series = calloc(n ? n : 1, sizeof(*series));
    int *styles = calloc(n ? n : 1, sizeof(*styles));
    double *vals = malloc((3 * n * n_per + 1) * sizeof(double));
    struct tp_arena names = TP_ARENA_INIT;
    if (!labels || !lp || !series || !styles || !vals) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t p = 0; p < n_per; p++) {
        tp_period_label(pi->first + (int64_t)p, pi->kind, labels[p], sizeof(labels[p]));
        lp[p] = labels[p];
    }
    for (size_t t = 0; t < nt; t++) {
        for (size_t k = 0; k < ng; k++) {
            size_t i = t * ng + k;
            uint32_t g = shown[k];
            const struct tl_term *ts = &terms[t * G + g];
            const uint64_t *gtok = ptok + (size_t)g * n_per;
            double *y = vals + 3 * i * n_per, *lo = y + n_per, *hi = lo + n_per;
            for (size_t p = 0; p < n_per; p++) {
                if (!gtok[p]) {
                    y[p] = lo[p] = hi[p] = NAN;
                    continue;
                }
                y[p] = tl_per_million((double)tl_count(ts, p), gtok[p]);
                if (tp_garwood(tl_count(ts, p), &lo[p], &hi[p])) {
                    lo[p] = hi[p] = NAN;
                } else {
                    lo[p] = tl_per_million(lo[p], gtok[p]);
                    hi[p] = tl_per_million(hi[p], gtok[p]);
                }
            }
            size_t glen;
            const char *gname = tp_corpus_group_name(run->corpus, g, &glen);
            size_t len = ts->name_len + glen + 8;
            char *label = tp_arena_alloc(&names, len);
            if (!label) {
                rc = tp_report_oom(err);
                goto out;
            }
            snprintf(label, len, "%.*s \xC2\xB7 %.*s", (int)ts->name_len, ts->name, (int)glen,
                     glen ? gname : "\"\"");
            series[i] = (struct tp_series){label, y, lo, hi};
            styles[i] = (int)(1 + t % 10 + 10 * k);
        }
    }
    char title[256];
    snprintf(title, sizeof(title),
             "Per million tokens, 95%% intervals; color: term, dash: group (%zu of %zu terms, "
             "%zu of %zu groups)",
             nt, n_terms, ng, n_shown);
    rc = tp_chart_svg_styled(tp_out_file(out), lp, n_per, series, styles, n, title, err);
out:
    free(labels);
    free(lp);
    free(series);
    free(styles);
    free(vals);
    tp_arena_release(&names);
    return rc;
}

/* More periods than a timeline can hold: almost always one outlying date (a
 * typo, a placeholder 0001 or 9999). Name the documents at both ends. */
static int too_many_periods(const struct tp_counts *c, const struct tp_period_info *pi,
                            struct tp_error *err)
{
    enum tp_precision need = tp_period_precision(pi->kind);
    const struct tp_docrec *lo = NULL, *hi = NULL;
    for (size_t d = 0; d < c->n_docs; d++) {
        const struct tp_date *dt = &c->docs[d].date;
        if (dt->prec == TP_PREC_NONE || dt->prec < need)
            continue;
        int64_t idx = tp_period_index(dt, pi->kind);
        if (!lo && idx == pi->first)
            lo = &c->docs[d];
        if (!hi && idx == pi->last)
            hi = &c->docs[d];
    }
    char a[16] = "", b[16] = "";
    if (lo)
        tp_date_label(&lo->date, a);
    if (hi)
        tp_date_label(&hi->date, b);
    return tp_error_set(err, TP_EPARSE,
                        "the dates span %lld %s periods (at most %d): from %s (document "
                        "'%.200s') to %s (document '%.200s'); fix an outlying date, or choose a "
                        "coarser --period",
                        (long long)(pi->last - pi->first + 1), tp_period_name(pi->kind),
                        MAX_PERIODS, a, lo ? lo->id : "?", b, hi ? hi->id : "?");
}

/* Whether document d is in a period: ctx is the array of period indexes
 * (-1: none). Returns 0 (its sums) or -1. */
static int in_timeline(const void *ctx, size_t d)
{
    return ((const int64_t *)ctx)[d] >= 0 ? 0 : -1;
}

/* The top terms' series counted from the documents' lists: what the
 * threads share. */
struct series_pass {
    const struct tp_counts *c;
    struct tp_counter *k;
    const int64_t *dper;   /* by document: its period, -1 none */
    const int32_t *tindex; /* by id: the term's index among the series, -1 none */
    struct tl_term *terms; /* term t of group g: terms[t * G + g] */
    size_t G;
    size_t n_ser;   /* series in terms */
    size_t span;    /* bytes of one (group, period)'s cells */
    void *cells;    /* where every series' cells lie ... */
    size_t n_cells; /* ... this many ... */
    size_t csize;   /* ... of this many bytes */
};

/* Bytes of cells the threads other than the first may copy to count into,
 * all copies together: a copy is all the cells, and a thread's documents,
 * dated anywhere, touch most of its pages, so copies for every thread made
 * the memory grow with --threads (a daily timeline of 200 terms over 26
 * years: 15 MB of cells, 950 MB more at --threads 64). Fewer threads count
 * when the copies would pass it, one when the cells alone do (a grouped
 * timeline of many groups). */
enum { SERIES_COPY_MAX = 16 << 20 };

/* Documents a part of the pass loads from the spill at a time. */
enum { SERIES_BLOCK = 1024 };

/* One thread's run of documents [d0, d1), counted into its series: the
 * pass's own for the first thread, for the others copies over cells of
 * their own, added to the pass's once all are done (sums of integers: the
 * same in any order). */
struct series_part {
    const struct series_pass *sp;
    size_t d0, d1;
    struct tl_term *terms;
    void *cells; /* the copies' cells (NULL for the first thread) */
    struct tp_spill_reader sr;
    int rc;
    struct tp_error err;
};

static void *series_part_main(void *arg)
{
    struct series_part *q = arg;
    const struct series_pass *sp = q->sp;
    const struct tp_counts *c = sp->c;
    for (size_t b = q->d0; b < q->d1 && !q->rc; b += SERIES_BLOCK) {
        size_t e = q->d1 - b > SERIES_BLOCK ? b + SERIES_BLOCK : q->d1;
        q->rc = tp_spill_load(sp->k, b, e, &q->sr, &q->err);
        for (size_t d = b; d < e && !q->rc; d++) {
            if ((q->rc = tp_spill_next(&q->sr, &q->err)))
                break;
            /* the next document's cells, asked for ahead: documents come in
             * any date order, and a grouped timeline's cells are far larger
             * than the caches */
            if (d + 1 < q->d1 && sp->dper[d + 1] >= 0) {
                const char *nx = tl_at(&q->terms[c->docs[d + 1].group], (size_t)sp->dper[d + 1]);
                for (size_t at = 0; at < sp->span && at < 512; at += 64)
                    __builtin_prefetch(nx + at, 1);
            }
            int64_t p = sp->dper[d];
            if (p < 0)
                continue;
            size_t g = c->docs[d].group;
            for (size_t j = 0; j < q->sr.n; j++) {
                int32_t t = sp->tindex[q->sr.ids[j]];
                if (t < 0)
                    continue;
                struct tl_term *ts = &q->terms[(size_t)t * sp->G + g];
                tl_add(ts, (size_t)p, q->sr.counts[j], 1);
                ts->total += q->sr.counts[j];
            }
        }
    }
    return NULL;
}

/* Count the series of sp on up to `threads` threads, each a run of
 * documents with about as many bytes of lists as the others (on fewer when
 * the memory for a thread's copy of the cells is short). Returns 0 or a
 * negative TP_E* (err filled). */
static int count_series(const struct series_pass *sp, unsigned threads, struct tp_error *err)
{
    size_t n_docs = sp->c->n_docs;
    int rc = tp_counter_rewind(sp->k, err); /* the parts read the spill with pread */
    if (rc)
        return rc;
    size_t bytes = sp->n_cells * sp->csize, copies = bytes ? SERIES_COPY_MAX / bytes : threads;
    if (n_docs < 2 * SERIES_BLOCK || threads < 1)
        threads = 1;
    if (threads - 1 > copies)
        threads = (unsigned)copies + 1;
    struct series_part *q = calloc(threads, sizeof(*q));
    if (!q)
        return tp_report_oom(err);
    q[0].terms = sp->terms;
    for (unsigned t = 1; t < threads; t++) {
        /* a copy of the series over cells of its own */
        q[t].terms = malloc(sp->n_ser * sizeof(*q[t].terms));
        q[t].cells = tp_report_zalloc(sp->n_cells, sp->csize);
        if (!q[t].terms || !q[t].cells) {
            /* no room for this copy: the threads that have one count */
            free(q[t].terms);
            tp_report_zfree(q[t].cells);
            q[t].terms = NULL;
            q[t].cells = NULL;
            threads = t;
            break;
        }
        for (size_t i = 0; i < sp->n_ser; i++) {
            const struct tl_term *from = &sp->terms[i];
            struct tl_term *to = &q[t].terms[i];
            *to = *from;
            to->total = 0;
            if (from->c32)
                to->c32 = (uint32_t *)q[t].cells + (from->c32 - (const uint32_t *)sp->cells);
            else
                to->cell = (uint64_t *)q[t].cells + (from->cell - (const uint64_t *)sp->cells);
        }
    }
    size_t bound[TP_MAX_THREADS + 1];
    tp_report_doc_runs(sp->k, n_docs, threads, bound);
    for (unsigned t = 0; t < threads; t++) {
        q[t].sp = sp;
        q[t].d0 = bound[t];
        q[t].d1 = bound[t + 1];
    }
    tp_report_run_parts(series_part_main, q, sizeof(*q), threads);
    for (unsigned t = 0; t < threads; t++)
        if (q[t].rc && !rc) {
            rc = q[t].rc;
            *err = q[t].err;
        }
    for (unsigned t = 1; t < threads && !rc; t++) {
        /* the copies' counts into the pass's series */
        for (size_t i = 0; i < sp->n_ser; i++)
            sp->terms[i].total += q[t].terms[i].total;
        if (sp->csize == sizeof(uint32_t)) {
            uint32_t *to = sp->cells;
            const uint32_t *from = q[t].cells;
            for (size_t i = 0; i < sp->n_cells; i++)
                to[i] += from[i];
        } else {
            uint64_t *to = sp->cells;
            const uint64_t *from = q[t].cells;
            for (size_t i = 0; i < sp->n_cells; i++)
                to[i] += from[i];
        }
    }
    for (unsigned t = 0; t < threads; t++) {
        tp_spill_reader_release(&q[t].sr);
        if (t > 0) {
            free(q[t].terms);
            if (q[t].cells)
                tp_report_zfree(q[t].cells);
        }
    }
    free(q);
    return rc;
}

/* The series of the prefix patterns among the listed terms: the counts of
 * every term each matches, summed from the spill by period (docs: the
 * documents with at least one of them); with --group-by, pattern t's series
 * of group g is terms[t * G + g]. */
static int prefix_series(struct tp_counts *c, const int64_t *dper, struct tl_term *terms, size_t G,
                         struct tp_error *err)
{
    uint32_t *off = NULL, *list = NULL;
    uint64_t *doc_sum = NULL;
    int rc = 0;
    if (tp_report_prefix_map(c, &off, &list))
        return tp_report_oom(err);
    if (!off)
        return 0;
    if (!(doc_sum = calloc(c->n_match, sizeof(*doc_sum)))) {
        rc = tp_report_oom(err);
        goto out;
    }
    struct tp_spill_iter it;
    if ((rc = tp_spill_iter_init(&it, &c->uni, c->n_docs, err)))
        goto out;
    while ((rc = tp_spill_iter_next(&it, err)) > 0) {
        int64_t p = dper[it.doc];
        if (p < 0)
            continue;
        size_t g = c->docs[it.doc].group;
        for (size_t j = 0; j < it.n; j++)
            for (uint32_t x = off[it.ids[j]]; x < off[it.ids[j] + 1]; x++) {
                struct tl_term *t = &terms[(size_t)list[x] * G + g];
                tl_add(t, p, it.counts[j], doc_sum[list[x]]++ == 0);
                t->total += it.counts[j];
            }
        for (size_t m = 0; m < c->n_match; m++)
            doc_sum[m] = 0;
    }
out:
    free(off);
    free(list);
    free(doc_sum);
    return rc < 0 ? rc : 0;
}

size_t tp_report_doc_periods(const struct tp_counts *c, const struct tp_period_info *pi,
                             int grouped, int64_t *dper, uint64_t *ptok)
{
    enum tp_precision need = tp_period_precision(pi->kind);
    size_t n_per = (size_t)(pi->last - pi->first + 1), in = 0;
    for (size_t d = 0; d < c->n_docs; d++) {
        const struct tp_date *dt = &c->docs[d].date;
        dper[d] = dt->prec >= need && dt->prec != TP_PREC_NONE
                      ? tp_period_index(dt, pi->kind) - pi->first
                      : -1;
        if (dper[d] >= 0) {
            ptok[(grouped ? (size_t)c->docs[d].group * n_per : 0) + (size_t)dper[d]] +=
                c->docs[d].n_tokens;
            in++;
        }
    }
    return in;
}

int tp_report_timeline(struct tp_run *run, struct tp_out *timeline, struct tp_out *trends,
                       struct tp_out *svg, struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    struct tp_period_info pi;
    struct tp_arena names = TP_ARENA_INIT;
    int64_t *dper = NULL;
    uint64_t *ptok = NULL, *tlc = NULL;
    void *cells = NULL;
    size_t csize = sizeof(uint64_t); /* a cell's bytes */
    int32_t *tindex = NULL;
    struct tl_term *terms = NULL;
    size_t n_terms = 0;
    struct row *rows = NULL;
    /* --group-by: a series per term and group, terms[t * G + g] for group id g */
    struct tp_groups gs = {0};
    int grouped = o->group_by != NULL;
    size_t G = 1, n_shown = 0, n_trend = 0;
    uint64_t *gin = NULL;   /* by group: documents in the timeline */
    uint32_t *shown = NULL; /* the groups with some, by name */
    struct tp_ids ids = {0};
    int rc;
    if ((rc = tp_period_info(run, &pi, err)))
        return rc;
    if (!pi.n_dated)
        return tp_error_set(err, TP_EDATA,
                            "no document has a date, so there is no timeline (dates come from a "
                            "'date YYYY-MM-DD' header, front matter, a CSV/JSONL date column, "
                            "--meta or --date-from-name)");
    size_t n_per = (size_t)(pi.last - pi.first + 1);
    if (pi.last - pi.first + 1 > MAX_PERIODS)
        return too_many_periods(c, &pi, err);
    enum tp_precision need = tp_period_precision(pi.kind);
    if (grouped) {
        if ((rc = tp_report_groups(run, &gs, err)))
            return rc;
        G = gs.n;
    }
    dper = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*dper));
    ptok = calloc(n_per * G, sizeof(*ptok)); /* by group id, then period */
    if (!dper || !ptok) {
        rc = tp_report_oom(err);
        goto out;
    }
    size_t in_tl = tp_report_doc_periods(c, &pi, grouped, dper, ptok);

    /* Choose the terms: listed, or the top K by count in the timeline's documents. */
    if (c->n_match) {
        n_terms = c->n_match;
    } else {
        /* terms, or n-grams with --ngram */
        if (tp_report_ids(c, &ids)) {
            rc = tp_report_oom(err);
            goto out;
        }
        tlc = calloc(ids.n ? ids.n : 1, sizeof(*tlc));
        rows = malloc((ids.n ? ids.n : 1) * sizeof(*rows));
        if (!tlc || !rows) {
            rc = tp_report_oom(err);
            goto out;
        }
        /* a term's count over the timeline's documents: its corpus total
         * when every document is in the timeline (all dated, none outside
         * --from/--to), else a pass over the documents' lists */
        if (in_tl == c->n_docs) {
            if (ids.n)
                memcpy(tlc, ids.k->total, ids.n * sizeof(*tlc));
        } else if ((rc = tp_report_sum_ids(c, ids.k, in_timeline, dper, &tlc, err)))
            goto out;
        size_t n_rows = 0;
        for (size_t i = 0; i < ids.n; i++)
            if (tlc[i] && tp_ids_reportable(&ids, (uint32_t)i))
                rows[n_rows++] =
                    (struct row){(double)tlc[i], ids.terms[i].bytes, ids.terms[i].len, (uint32_t)i};
        n_terms = tp_rows_top(rows, n_rows, tp_report_limit(o->top >= 0 ? o->top : 20, n_rows));
    }
    size_t n_ser = n_terms * G;
    n_trend = n_ser;
    if (grouped && (double)n_ser * (double)n_per > (double)MAX_CELLS) {
        rc = tp_error_set(err, TP_EDATA,
                          "--group-by %s: %zu groups x %zu terms x %zu periods is more series "
                          "than a timeline can hold (at most %d cells): list fewer terms, choose "
                          "a coarser --period, or group by a field with fewer values",
                          o->group_by, G, n_terms, n_per, MAX_CELLS);
        goto out;
    }
    /* 32-bit cells when no cell can reach 2^32: a top term's count over the
     * timeline's documents is known (tlc), and documents are counted; a
     * listed term's cells come summed, so they stay 64 bits */
    int narrow = !c->n_match && (uint64_t)c->n_docs < UINT32_MAX;
    for (size_t t = 0; narrow && t < n_terms; t++)
        narrow = tlc[rows[t].id] < UINT32_MAX;
    csize = narrow ? sizeof(uint32_t) : sizeof(uint64_t);
    terms = calloc(n_ser ? n_ser : 1, sizeof(*terms));
    cells = tp_report_zalloc(2 * n_ser * n_per + 1, csize);
    if (!terms || !cells) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t i = 0; i < n_ser; i++) {
        /* series i is term i / G of group i % G */
        size_t at = 2 * ((i % G) * n_per * n_terms + i / G);
        if (narrow)
            terms[i].c32 = (uint32_t *)cells + at;
        else
            terms[i].cell = (uint64_t *)cells + at;
        terms[i].stride = 2 * n_terms;
        terms[i].group = (uint32_t)(i % G);
    }
    for (size_t t = 0; t < n_terms; t++) {
        if (c->n_match && c->match_prefix && c->match_prefix[t]) {
            /* a pattern is named as written: the prefix and its star */
            size_t plen = strlen(c->match_prefix[t]);
            char *nm = tp_arena_alloc(&names, plen + 2);
            if (nm) {
                memcpy(nm, c->match_prefix[t], plen);
                memcpy(nm + plen, "*", 2);
            }
            terms[t * G].name = nm;
            terms[t * G].name_len = (uint32_t)plen + 1;
            if (!terms[t * G].name) {
                rc = tp_report_oom(err);
                goto out;
            }
        } else if (c->n_match) {
            terms[t * G].name = tp_report_join_words(c, c->match_ids[t], c->match_len[t], &names,
                                                     &terms[t * G].name_len);
            if (!terms[t * G].name) {
                rc = tp_report_oom(err);
                goto out;
            }
        } else {
            terms[t * G].name = rows[t].name;
            terms[t * G].name_len = rows[t].name_len;
        }
        for (size_t g = 1; g < G; g++) {
            terms[t * G + g].name = terms[t * G].name;
            terms[t * G + g].name_len = terms[t * G].name_len;
        }
    }
    if (c->n_match) {
        /* the listed terms' counts come summed by date */
        if (tp_corpus_match_settle(run->corpus)) {
            rc = tp_report_oom(err);
            goto out;
        }
        for (size_t i = 0; i < c->n_cells; i++) {
            const struct tp_match_cell *cell = &c->cells[i];
            struct tp_date dt = tp_match_cell_date(cell);
            if (dt.prec < need || dt.prec == TP_PREC_NONE)
                continue;
            int64_t p = tp_period_index(&dt, pi.kind) - pi.first;
            /* a cell's term index is group * n_match + term (group.h) */
            uint32_t ti = tp_match_cell_term(cell);
            struct tl_term *t = &terms[ti % c->n_match * G + ti / c->n_match];
            t->total += cell->count;
            tl_add(t, p, cell->count, cell->docs);
        }
        if ((rc = prefix_series(c, dper, terms, G, err)))
            goto out;
        for (size_t t = 0; t < n_terms; t++) {
            uint64_t total = 0;
            for (size_t g = 0; g < G; g++)
                total += terms[t * G + g].total;
            if (!total && run->warn) {
                char msg[512];
                snprintf(msg, sizeof(msg),
                         "--terms: '%.*s' does not occur in the dated documents (its rows are "
                         "zeros)",
                         (int)terms[t * G].name_len, terms[t * G].name);
                run->warn(run->warn_ctx, msg);
            }
        }
    } else if (n_terms) {
        tindex = malloc(ids.n * sizeof(*tindex));
        if (!tindex) {
            rc = tp_report_oom(err);
            goto out;
        }
        for (size_t i = 0; i < ids.n; i++)
            tindex[i] = -1;
        for (size_t t = 0; t < n_terms; t++)
            tindex[rows[t].id] = (int32_t)t;
        struct series_pass sp = {c,     ids.k,
                                 dper,  tindex,
                                 terms, G,
                                 n_ser, 2 * n_terms * csize,
                                 cells, 2 * n_ser * n_per + 1,
                                 csize};
        if ((rc = count_series(&sp, tp_run_threads(run), err)))
            goto out;
    }

    /* timeline.csv: group by group (by name), then period, then term */
    if (grouped) {
        gin = calloc(G, sizeof(*gin));
        shown = malloc(G * sizeof(*shown));
        if (!gin || !shown) {
            rc = tp_report_oom(err);
            goto out;
        }
        for (size_t d = 0; d < c->n_docs; d++)
            gin[c->docs[d].group] += dper[d] >= 0;
        n_shown = timeline_groups(&gs, gin, shown);
        if ((rc = tp_timeline_write_grouped(run, shown, n_shown, G, terms, n_terms, ptok, n_per,
                                            &pi, timeline, err)))
            goto out;
    } else if ((rc = tp_timeline_write(run, terms, n_terms, ptok, n_per, &pi, timeline, err))) {
        goto out;
    }
    if (svg && grouped) {
        /* before the trends' series are packed: it reads them by t * G + g */
        rc = write_svg_grouped(run, shown, n_shown, G, terms, n_terms, ptok, n_per, &pi, svg, err);
        if (rc)
            goto out;
    }
    if (grouped) {
        /* trends: the series of the groups shown (with a dated document) */
        size_t w = 0;
        for (size_t i = 0; i < n_ser; i++)
            if (gin[terms[i].group])
                terms[w++] = terms[i];
        n_trend = w;
    }
    if (trends &&
        (rc = write_trends(run, grouped ? &gs : NULL, terms, n_trend, ptok, n_per, trends, err)))
        goto out;
    if (svg && !grouped)
        rc = write_svg(terms, n_terms, ptok, n_per, pi.first, pi.kind, svg, err);
    if (rc)
        goto out;
out:
    free(dper);
    free(ptok);
    free(tlc);
    tp_report_zfree(cells);
    free(tindex);
    free(terms);
    free(rows);
    free(gin);
    free(shown);
    tp_groups_release(&gs);
    tp_report_ids_release(&ids);
    tp_arena_release(&names);
    return rc;
}
