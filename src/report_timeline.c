/*
 * report_timeline.c - the timeline: the effective period kind, each term's
 * counts by period (the listed terms from their date cells, else the top
 * terms from the spill), timeline.csv, trends.csv and timeline.svg.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "dates.h"
#include "report_int.h"
#include "stats.h"
#include "timeline.h"

int tp_period_info(const struct tp_run *run, struct tp_period_info *pi, struct tp_error *err)
{
    const struct tp_counts *c = tp_corpus_counts_const(run->corpus);
    memset(pi, 0, sizeof(*pi));
    enum tp_precision finest_common = TP_PREC_DAY, finest_any = TP_PREC_NONE;
    for (size_t d = 0; d < c->n_docs; d++) {
        enum tp_precision p = c->docs[d].date.prec;
        if (p == TP_PREC_NONE)
            continue;
        pi->n_dated++;
        if (p < finest_common)
            finest_common = p;
        if (p > finest_any)
            finest_any = p;
    }
    pi->kind = run->o->period;
    if (!pi->n_dated) {
        pi->kind = TP_PERIOD_AUTO;
        return 0;
    }
    if (pi->kind == TP_PERIOD_AUTO)
        pi->kind = tp_period_for_precision(finest_common);
    enum tp_precision need = tp_period_precision(pi->kind);
    for (size_t d = 0; d < c->n_docs; d++) {
        const struct tp_date *dt = &c->docs[d].date;
        if (dt->prec == TP_PREC_NONE)
            continue;
        if (dt->prec < need) {
            pi->n_imprecise++;
            continue;
        }
        int64_t idx = tp_period_index(dt, pi->kind);
        if (!pi->n_in_timeline || idx < pi->first)
            pi->first = idx;
        if (!pi->n_in_timeline || idx > pi->last)
            pi->last = idx;
        pi->n_in_timeline++;
    }
    if (!pi->n_in_timeline) {
        static const char *prec_names[] = {"none", "year", "month", "day"};
        return tp_error_set(err, TP_EUSAGE,
                            "--period %s is finer than every document's date (the most precise "
                            "is a %s): use --period %s or coarser",
                            tp_period_name(pi->kind), prec_names[finest_any],
                            tp_period_name(tp_period_for_precision(finest_any)));
    }
    return 0;
}

struct tl_term {
    const char *name;
    uint32_t name_len;
    uint64_t *count; /* by period */
    uint64_t *docs;  /* by period */
    uint64_t total;
};

/* More lines than this make a chart unreadable: the chart shows the first
 * ones (the table has them all). */
#define TP_CHART_MAX 8

enum { MAX_PERIODS = 1000000 };

static int write_trends(struct tl_term *terms, size_t n_terms, const uint64_t *ptok, size_t n_per,
                        struct tp_out *out, struct tp_error *err)
{
    struct trow {
        struct row r;
        struct tp_trend t;
        size_t m;
    } *rows = calloc(n_terms ? n_terms : 1, sizeof(*rows));
    double *x = malloc((n_per ? n_per : 1) * sizeof(double));
    double *y = malloc((n_per ? n_per : 1) * sizeof(double));
    int rc = 0;
    if (!rows || !x || !y) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t t = 0; t < n_terms; t++) {
        size_t m = 0;
        for (size_t p = 0; p < n_per; p++) {
            if (!ptok[p])
                continue;
            x[m] = (double)p;
            y[m] = (double)terms[t].count[p] / (double)ptok[p] * 1e6;
            m++;
        }
        rows[t].m = m;
        rows[t].r = (struct row){0, terms[t].name, terms[t].name_len, (uint32_t)t};
        /* x: each period's own index, so a period without documents is a gap,
         * not renumbered away */
        if ((rc = tp_trend_compute(x, y, m, &rows[t].t))) {
            rc = rc == TP_ENOMEM ? tp_report_oom(err)
                                 : tp_error_set(err, rc, "trends: '%.*s': cannot compute",
                                                (int)terms[t].name_len, terms[t].name);
            goto out;
        }
        /* sorted by p ascending: key is -p; an undefined p sorts last */
        rows[t].r.key = isnan(rows[t].t.p_value) ? -2 : -rows[t].t.p_value;
    }
    struct row *keys = malloc((n_terms ? n_terms : 1) * sizeof(*keys));
    if (!keys) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t t = 0; t < n_terms; t++)
        keys[t] = rows[t].r;
    if (n_terms > 1)
        qsort(keys, n_terms, sizeof(*keys), tp_row_cmp);
    tp_out_header(out, "term,periods,total,slope_per_period,tau,mk_z,p_value,direction");
    for (size_t i = 0; i < n_terms; i++) {
        const struct trow *r = &rows[keys[i].id];
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
    free(rows);
    free(x);
    free(y);
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
            double scale = 1e6 / (double)ptok[p];
            y[p] = (double)terms[t].count[p] * scale;
            if (tp_garwood(terms[t].count[p], &lo[p], &hi[p])) {
                lo[p] = hi[p] = NAN;
            } else {
                lo[p] *= scale;
                hi[p] *= scale;
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

static void date_words(const struct tp_date *d, char *buf, size_t cap)
{
    if (d->prec == TP_PREC_YEAR)
        snprintf(buf, cap, "%04d", d->year);
    else if (d->prec == TP_PREC_MONTH)
        snprintf(buf, cap, "%04d-%02d", d->year, d->month);
    else
        snprintf(buf, cap, "%04d-%02d-%02d", d->year, d->month, d->day);
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
        date_words(&lo->date, a, sizeof(a));
    if (hi)
        date_words(&hi->date, b, sizeof(b));
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

/* The series of the prefix patterns among the listed terms: the counts of
 * every term each matches, summed from the spill by period (docs: the
 * documents with at least one of them). */
static int prefix_series(struct tp_counts *c, const int64_t *dper, struct tl_term *terms,
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
        for (size_t j = 0; j < it.n; j++)
            for (uint32_t x = off[it.ids[j]]; x < off[it.ids[j] + 1]; x++) {
                struct tl_term *t = &terms[list[x]];
                if (doc_sum[list[x]]++ == 0)
                    t->docs[p]++;
                t->count[p] += it.counts[j];
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

int tp_report_timeline(struct tp_run *run, struct tp_out *timeline, struct tp_out *trends,
                       struct tp_out *svg, struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    struct tp_period_info pi;
    struct tp_arena names = TP_ARENA_INIT;
    int64_t *dper = NULL;
    uint64_t *ptok = NULL, *tlc = NULL, *cells = NULL;
    int32_t *tindex = NULL;
    struct tl_term *terms = NULL;
    size_t n_terms = 0;
    struct row *rows = NULL;
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
    dper = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*dper));
    ptok = calloc(n_per, sizeof(*ptok));
    if (!dper || !ptok) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t d = 0; d < c->n_docs; d++) {
        const struct tp_date *dt = &c->docs[d].date;
        dper[d] = dt->prec >= need && dt->prec != TP_PREC_NONE
                      ? tp_period_index(dt, pi.kind) - pi.first
                      : -1;
        if (dper[d] >= 0)
            ptok[dper[d]] += c->docs[d].n_tokens;
    }

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
        if ((rc = tp_report_sum_ids(c, ids.k, in_timeline, dper, &tlc, err)))
            goto out;
        size_t n_rows = 0;
        for (size_t i = 0; i < ids.n; i++)
            if (tlc[i] && tp_ids_reportable(&ids, (uint32_t)i))
                rows[n_rows++] =
                    (struct row){(double)tlc[i], ids.terms[i].bytes, ids.terms[i].len, (uint32_t)i};
        n_terms = tp_rows_top(rows, n_rows, tp_report_limit(o->top >= 0 ? o->top : 20, n_rows));
    }
    terms = calloc(n_terms ? n_terms : 1, sizeof(*terms));
    cells = calloc(2 * n_terms * n_per + 1, sizeof(*cells));
    if (!terms || !cells) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t t = 0; t < n_terms; t++) {
        terms[t].count = cells + 2 * t * n_per;
        terms[t].docs = terms[t].count + n_per;
        if (c->n_match && c->match_prefix && c->match_prefix[t]) {
            /* a pattern is named as written: the prefix and its star */
            size_t plen = strlen(c->match_prefix[t]);
            char *nm = tp_arena_alloc(&names, plen + 2);
            if (nm) {
                memcpy(nm, c->match_prefix[t], plen);
                memcpy(nm + plen, "*", 2);
            }
            terms[t].name = nm;
            terms[t].name_len = (uint32_t)plen + 1;
            if (!terms[t].name) {
                rc = tp_report_oom(err);
                goto out;
            }
        } else if (c->n_match) {
            terms[t].name = tp_report_join_words(c, c->match_ids[t], c->match_len[t], &names,
                                                 &terms[t].name_len);
            if (!terms[t].name) {
                rc = tp_report_oom(err);
                goto out;
            }
        } else {
            terms[t].name = rows[t].name;
            terms[t].name_len = rows[t].name_len;
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
            struct tl_term *t = &terms[tp_match_cell_term(cell)];
            t->total += cell->count;
            t->count[p] += cell->count;
            t->docs[p] += cell->docs;
        }
        if ((rc = prefix_series(c, dper, terms, err)))
            goto out;
        for (size_t t = 0; t < n_terms; t++)
            if (!terms[t].total && run->warn) {
                char msg[512];
                snprintf(msg, sizeof(msg),
                         "--terms: '%.*s' does not occur in the dated documents (its rows are "
                         "zeros)",
                         (int)terms[t].name_len, terms[t].name);
                run->warn(run->warn_ctx, msg);
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
        struct tp_spill_iter it;
        if ((rc = tp_spill_iter_init(&it, ids.k, c->n_docs, err)))
            goto out;
        while ((rc = tp_spill_iter_next(&it, err)) > 0) {
            int64_t p = dper[it.doc];
            if (p < 0)
                continue;
            for (size_t j = 0; j < it.n; j++) {
                int32_t t = tindex[it.ids[j]];
                if (t < 0)
                    continue;
                terms[t].count[p] += it.counts[j];
                terms[t].docs[p]++;
                terms[t].total += it.counts[j];
            }
        }
        if (rc < 0)
            goto out;
    }

    /* timeline.csv */
    if (o->wide) {
        tp_out_text(timeline, "period", 6);
        tp_out_text(timeline, "period_tokens", 13);
        for (size_t t = 0; t < n_terms; t++)
            tp_out_text(timeline, terms[t].name, terms[t].name_len);
        tp_out_row_end(timeline);
    } else {
        tp_out_header(timeline, "period,period_start,term,count,period_tokens,per_million,"
                                "ci_low,ci_high,docs");
    }
    for (size_t p = 0; p < n_per; p++) {
        char label[24], start[24];
        tp_period_label(pi.first + (int64_t)p, pi.kind, label, sizeof(label));
        tp_period_start(pi.first + (int64_t)p, pi.kind, start, sizeof(start));
        double scale = ptok[p] ? 1e6 / (double)ptok[p] : NAN;
        if (o->wide) {
            tp_out_str(timeline, label);
            tp_out_u64(timeline, ptok[p]);
            for (size_t t = 0; t < n_terms; t++)
                tp_out_double(timeline, (double)terms[t].count[p] * scale);
            tp_out_row_end(timeline);
            continue;
        }
        for (size_t t = 0; t < n_terms; t++) {
            uint64_t k = terms[t].count[p];
            double lo = NAN, hi = NAN;
            if (ptok[p] && tp_garwood(k, &lo, &hi) == 0) {
                lo *= scale;
                hi *= scale;
            }
            tp_out_str(timeline, label);
            tp_out_str(timeline, start);
            tp_out_text(timeline, terms[t].name, terms[t].name_len);
            tp_out_u64(timeline, k);
            tp_out_u64(timeline, ptok[p]);
            tp_out_double(timeline, (double)k * scale);
            tp_out_double(timeline, lo);
            tp_out_double(timeline, hi);
            tp_out_u64(timeline, terms[t].docs[p]);
            tp_out_row_end(timeline);
        }
    }
    if (trends && (rc = write_trends(terms, n_terms, ptok, n_per, trends, err)))
        goto out;
    if (svg && (rc = write_svg(terms, n_terms, ptok, n_per, pi.first, pi.kind, svg, err)))
        goto out;
out:
    free(dper);
    free(ptok);
    free(tlc);
    free(cells);
    free(tindex);
    free(terms);
    free(rows);
    tp_report_ids_release(&ids);
    tp_arena_release(&names);
    return rc;
}
