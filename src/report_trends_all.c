/*
 * report_trends_all.c - `tempora trends`: the trend of every term (or n-gram
 * with --ngram) that is not a stopword, has a total of at least --min-count
 * (default 10) in the timeline's documents and occurs in at least 3 periods,
 * with the columns of trends.csv plus q_value, the Benjamini-Hochberg
 * adjustment over every tested term; sorted by p_value, ties by term bytes.
 * With --group-by, a series per (term, group) instead: a first column group,
 * each group's series over its own documents' tokens by period, the same
 * tests per series, q_value over every tested (group, term) series, sorted
 * by p_value, then group (by name, bytewise), then term.
 *
 * Each term's counts by period come from the per-document spill, in two
 * passes: the candidate series (corpus total >= min count; with groups, a
 * series for every (term, group), kept when its own count reaches it, or
 * past TRENDS_DENSE_SERIES the (group, term) pairs of tp_gterms_count that
 * reach it) are sized, then filled, each a list of (period, count) runs
 * (documents of one period in a row make one), so memory follows the
 * occurrences, not series x periods. With dense groups the series are
 * numbered group first and filled one group at a time from its documents
 * gathered together (tp_gwalk_take): the runs of a series are those of a
 * walk in document order, since only its group's documents add to it.
 * The trend of a series is tp_trend_compute (n log n), over per_million by
 * period index, exactly as trends.csv computes it; the series are shared
 * out to threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "stats.h"
#include "timeline.h"

/* Trends of a term need this many periods with an occurrence. */
#define TRENDS_MIN_PERIODS 3

enum { MAX_PERIODS = 1000000 };

/* Under --group-by, a series for every group and candidate term while there
 * are at most this many of them (about 20 bytes each while counted). */
#ifndef TRENDS_DENSE_SERIES
#define TRENDS_DENSE_SERIES ((size_t)1 << 22)
#endif

struct cand {
    uint32_t id;    /* term or n-gram id */
    uint32_t group; /* group id (0 without --group-by) */
    uint32_t name_len;
    const char *name;
    uint64_t total; /* in the timeline's documents */
    size_t periods; /* with tokens */
    int tested;     /* enough periods and count: has a trend */
    struct tp_trend t;
    double q;   /* Benjamini-Hochberg over the tested terms */
    size_t ser; /* its runs: series_runs' series ser */
};

/* Every candidate series' occurrences: series i's runs are [at[i],
 * at[i + 1]), each a period and its count (from one run of documents). */
struct series_runs {
    uint64_t *at;
    uint32_t *per;
    uint64_t *count;
};

struct part {
    struct cand *cands;
    size_t from, to; /* the candidates of this part */
    const struct series_runs *sr;
    const uint64_t *ptok; /* tokens by group id, then period */
    size_t n_per;
    long min_count;
    int rc;
};

static void *trend_part(void *arg)
{
    struct part *pt = arg;
    size_t np = pt->n_per ? pt->n_per : 1, m = 0;
    double *x = malloc(np * sizeof(double));
    double *y = malloc(np * sizeof(double));
    uint64_t *row = calloc(np, sizeof(*row));
    uint32_t *at = malloc(np * sizeof(*at)); /* a period's place in x and y */
    uint32_t xg = UINT32_MAX;                /* the group x and at are of */
    struct tp_trend_ws ws = {0};
    if (!x || !y || !row || !at) {
        pt->rc = TP_ENOMEM;
        goto out;
    }
    for (size_t i = pt->from; i < pt->to; i++) {
        struct cand *cd = &pt->cands[i];
        const struct series_runs *sr = pt->sr;
        const uint64_t *ptok = pt->ptok + (size_t)cd->group * pt->n_per;
        if (cd->group != xg) {
            /* the periods with tokens in the group (the series' x): the
             * same for its every series, which come one after the other */
            m = 0;
            for (size_t p = 0; p < pt->n_per; p++) {
                at[p] = (uint32_t)m;
                if (ptok[p])
                    x[m++] = (double)p;
            }
            xg = cd->group;
        }
        /* the series by period (row is all zeros between series), then y:
         * zeros but where a run is */
        uint64_t e0 = sr->at[cd->ser], e1 = sr->at[cd->ser + 1], total = 0;
        size_t seen = 0;
        for (uint64_t e = e0; e < e1; e++)
            row[sr->per[e]] += sr->count[e];
        memset(y, 0, m * sizeof(*y));
        for (uint64_t e = e0; e < e1; e++) {
            uint32_t p = sr->per[e];
            if (!row[p] || !ptok[p])
                continue;
            /* 0 exactly as 0 / tokens * 1e6 is, without the division */
            y[at[p]] = (double)row[p] / (double)ptok[p] * 1e6;
            total += row[p];
            seen++;
            row[p] = 0; /* a period's runs are counted once */
        }
        for (uint64_t e = e0; e < e1; e++)
            row[sr->per[e]] = 0;
        cd->total = total;
        cd->periods = m;
        if (seen < TRENDS_MIN_PERIODS || total < (uint64_t)pt->min_count)
            continue;
        cd->tested = 1;
        int rc = tp_trend_compute_in(&ws, x, y, m, &cd->t);
        if (rc) {
            pt->rc = rc;
            break;
        }
    }
out:
    free(x);
    free(y);
    free(row);
    free(at);
    tp_trend_ws_free(&ws);
    return NULL;
}

/* How an occurrence finds its series: the candidate's index (cand_of by
 * id); with groups, n_groups set, the group * n_cands + that index (a
 * series for every candidate and group, a group's series side by side: a
 * walk of one group's documents touches n_cands records, which stay in
 * cache); else, gt set, the series of its (group, id) slot (ser_of), or
 * none. */
struct series_map {
    const int64_t *cand_of;
    size_t n_groups, n_cands;
    const struct tp_gterms *gt;
    const int64_t *ser_of;
};

/* The series of an occurrence of id in the spill's document d, or -1. */
static inline int64_t series_of(const struct tp_counts *c, const struct series_map *sm, size_t d,
                                uint32_t id)
{
    int64_t ci = sm->cand_of[id];
    if (ci < 0)
        return -1;
    if (sm->n_groups)
        return (int64_t)((size_t)c->docs[d].group * sm->n_cands + (size_t)ci);
    if (sm->gt) {
        size_t slot = tp_gterms_find(sm->gt, c->docs[d].group, id);
        ci = slot == SIZE_MAX ? -1 : sm->ser_of[slot];
    }
    return ci;
}

/* series_fill's state of a series, in one record (one cache line visited
 * per occurrence, not one in each of two arrays): its runs so far (the
 * first pass), then where its next run goes (the second); the period of
 * its last run. */
struct sfill {
    uint64_t fill;
    uint32_t last;
};

/* An occurrence (count in period per) of f's series: the first pass counts
 * its runs, the second (pass 1) fills them into sr. */
static inline void sfill_add(struct sfill *f, uint32_t per, uint64_t count, int pass,
                             struct series_runs *sr)
{
    if (f->last == per) {
        if (pass)
            sr->count[f->fill - 1] += count;
        return;
    }
    f->last = per;
    if (pass) {
        sr->per[f->fill] = per;
        sr->count[f->fill] = count;
    }
    f->fill++;
}

/* Between the passes: each of the n series' runs placed after the ones
 * before (sr->at), sf ready to fill them, and sr's runs allocated. Returns
 * 0 or TP_ENOMEM. */
static int sfill_place(struct sfill *sf, size_t n, struct series_runs *sr)
{
    for (size_t i = 0; i < n; i++) {
        sr->at[i + 1] = sr->at[i] + sf[i].fill;
        sf[i] = (struct sfill){sr->at[i], UINT32_MAX};
    }
    uint64_t runs = sr->at[n];
    sr->per = malloc((runs ? runs : 1) * sizeof(*sr->per));
    sr->count = malloc((runs ? runs : 1) * sizeof(*sr->count));
    return sr->per && sr->count ? 0 : TP_ENOMEM;
}

/* series_fill for dense groups (sm->n_groups): the groups taken one at a
 * time, each group's documents gathered and walked in document order
 * (tp_gwalk), so that a walk touches only its group's states (n_cands
 * records side by side, which stay in cache); a pass over every group
 * counts the runs, a second fills them. A series' runs are those of
 * series_fill in document order, as only its group's documents add to it.
 * Returns 0, 1 when the spill cannot be mapped (nothing done), or a
 * negative TP_E* (err filled). */
static int series_fill_groups(struct tp_counts *c, struct tp_counter *k,
                              const struct series_map *sm, const int64_t *dper, size_t n,
                              struct series_runs *sr, struct tp_error *err)
{
    size_t G = sm->n_groups, nc = sm->n_cands;
    struct tp_gwalk w;
    struct sfill *sf = NULL;
    uint32_t *order = NULL;
    int rc = tp_gwalk_init(&w, c, k, G, err);
    if (rc || !w.mapped) {
        tp_gwalk_release(&w);
        return rc ? rc : 1;
    }
    sf = malloc((n ? n : 1) * sizeof(*sf));
    order = malloc(G * sizeof(*order));
    sr->at = calloc(n + 1, sizeof(*sr->at));
    if (!sf || !order || !sr->at) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        sf[i] = (struct sfill){0, UINT32_MAX};
    for (size_t g = 0; g < G; g++)
        order[g] = (uint32_t)g;
    /* one batch of every group when the spill fits TP_GATHER_MOST: gathered
     * once for both passes (the second finds them gathered) */
    w.gather_max = TP_GATHER_MOST;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t g = 0; g < G; g++) {
            struct sfill *gf = sf + g * nc;
            tp_gwalk_take(&w, order, G, g);
            while ((rc = tp_gwalk_next(&w, err)) > 0) {
                if (dper[w.doc] < 0)
                    continue;
                uint32_t per = (uint32_t)dper[w.doc];
                for (size_t j = 0; j < w.n; j++) {
                    int64_t ci = sm->cand_of[w.ids[j]];
                    if (ci < 0)
                        continue;
                    sfill_add(&gf[ci], per, w.counts[j], pass, sr);
                }
            }
            if (rc < 0)
                goto out;
        }
        if (pass)
            break;
        if (sfill_place(sf, n, sr)) {
            rc = tp_report_oom(err);
            goto out;
        }
    }
    rc = 0;
out:
    tp_gwalk_release(&w);
    free(sf);
    free(order);
    return rc;
}

/* Fill sr with the n series' runs from k's spill: a pass counts the runs
 * (a document in the period of the series' run before extends it), a
 * second fills them. dper: each document's period (-1: not in the
 * timeline). Returns 0 or a negative TP_E* (err filled). */
static int series_fill(struct tp_counts *c, struct tp_counter *k, const struct series_map *sm,
                       const int64_t *dper, size_t n, struct series_runs *sr, struct tp_error *err)
{
    int rc;
    if (sm->n_groups > 1 && (rc = series_fill_groups(c, k, sm, dper, n, sr, err)) <= 0)
        return rc;
    struct sfill *sf = malloc((n ? n : 1) * sizeof(*sf));
    rc = 0;
    sr->at = calloc(n + 1, sizeof(*sr->at));
    if (!sf || !sr->at) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        sf[i] = (struct sfill){0, UINT32_MAX};
    for (int pass = 0; pass < 2; pass++) {
        struct tp_spill_iter it;
        if ((rc = tp_spill_iter_init(&it, k, c->n_docs, err)))
            goto out;
        while ((rc = tp_spill_iter_next(&it, err)) > 0) {
            if (dper[it.doc] < 0)
                continue;
            uint32_t per = (uint32_t)dper[it.doc];
            for (size_t j = 0; j < it.n; j++) {
                int64_t ci = series_of(c, sm, it.doc, it.ids[j]);
                if (ci < 0)
                    continue;
                sfill_add(&sf[ci], per, it.counts[j], pass, sr);
            }
        }
        if (rc < 0)
            goto out;
        rc = 0;
        if (pass)
            break;
        if (sfill_place(sf, n, sr)) {
            rc = tp_report_oom(err);
            goto out;
        }
    }
out:
    free(sf);
    return rc;
}

/* Row order: p_value (key descending), then group by name, then term. */
static int series_cmp(const void *pa, const void *pb)
{
    const struct grow *a = pa, *b = pb;
    if (a->r.key != b->r.key)
        return a->r.key > b->r.key ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return tp_row_cmp(&a->r, &b->r);
}

/* --group-by: the series of the candidates (cand_of by term id) in each group where
 * the term's count reaches min_count, as *ser[0..*n_ser); ser_of[slot of
 * gt] its series or -1. Returns 0 or TP_ENOMEM. */
static int group_series(const struct cand *cands, const int64_t *cand_of,
                        const struct tp_gterms *gt, long min_count, int64_t *ser_of,
                        struct cand **ser, size_t *n_ser)
{
    size_t n = 0;
    for (size_t i = 0; i <= gt->mask; i++) {
        uint32_t g, id;
        ser_of[i] = -1;
        if (tp_gterms_slot(gt, i, &g, &id) && gt->count[i] >= (uint64_t)min_count &&
            cand_of[id] >= 0)
            n++;
    }
    struct cand *s = calloc(n ? n : 1, sizeof(*s));
    if (!s)
        return TP_ENOMEM;
    n = 0;
    for (size_t i = 0; i <= gt->mask; i++) {
        uint32_t g, id;
        if (!tp_gterms_slot(gt, i, &g, &id) || gt->count[i] < (uint64_t)min_count ||
            cand_of[id] < 0)
            continue;
        s[n] = cands[cand_of[id]];
        s[n].group = g;
        ser_of[i] = (int64_t)n++;
    }
    *ser = s;
    *n_ser = n;
    return 0;
}

int tp_report_trends_all(struct tp_run *run, struct tp_out *out, struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    int ngram = c->o.ngram > 1;
    struct tp_counter *k = ngram ? &c->ng : &c->uni;
    size_t n_ids = ngram ? c->ngrams.n_items : c->terms.n;
    long min_count = o->min_count_given ? o->min_count : 10;
    struct tp_period_info pi;
    struct tp_arena names = TP_ARENA_INIT;
    int64_t *dper = NULL, *cand_of = NULL, *ser_of = NULL;
    uint64_t *ptok = NULL;
    struct series_runs sr = {0};
    struct cand *cands = NULL;
    struct grow *rows = NULL;
    int grouped = o->group_by != NULL;
    struct tp_groups gs = {0};
    struct tp_gterms gt = {0};
    size_t G = 1;
    double *p = NULL, *q = NULL;
    size_t n_cands = 0, n_tested = 0;
    int rc;
    if ((rc = tp_period_info(run, &pi, err)))
        return rc;
    if (!pi.n_dated)
        return tp_error_set(err, TP_EDATA,
                            "no document has a date, so there are no trends (dates come from a "
                            "'date YYYY-MM-DD' header, front matter, a CSV/JSONL date column, "
                            "--meta or --date-from-name)");
    if (pi.last - pi.first + 1 > MAX_PERIODS)
        return tp_error_set(err, TP_EPARSE,
                            "the dates span %lld %s periods (at most %d): fix an outlying date, "
                            "or choose a coarser --period",
                            (long long)(pi.last - pi.first + 1), tp_period_name(pi.kind),
                            MAX_PERIODS);
    size_t n_per = (size_t)(pi.last - pi.first + 1);
    if (grouped) {
        if ((rc = tp_report_groups(run, &gs, err)))
            goto out;
        G = gs.n;
    }
    dper = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*dper));
    ptok = calloc(n_per * G, sizeof(*ptok)); /* by group id, then period */
    cand_of = malloc((n_ids ? n_ids : 1) * sizeof(*cand_of));
    cands = calloc(n_ids ? n_ids : 1, sizeof(*cands));
    if (!dper || !ptok || !cand_of || !cands) {
        rc = tp_report_oom(err);
        goto out;
    }
    tp_report_doc_periods(c, &pi, grouped, dper, ptok);
    /* candidates: reportable, and at least min_count in the whole corpus */
    for (size_t i = 0; i < n_ids; i++) {
        cand_of[i] = -1;
        if (k->total[i] < (uint64_t)min_count)
            continue;
        struct cand cd;
        memset(&cd, 0, sizeof(cd));
        cd.id = (uint32_t)i;
        if (ngram) {
            const uint32_t *key = tp_tuples_key(&c->ngrams, i);
            if (!tp_report_tuple_reportable(c, key, c->o.ngram))
                continue;
            cd.name = tp_report_join_words(c, key, c->o.ngram, &names, &cd.name_len);
            if (!cd.name) {
                rc = tp_report_oom(err);
                goto out;
            }
        } else {
            if (!tp_counts_reportable(c, (uint32_t)i))
                continue;
            cd.name = c->terms.terms[i].bytes;
            cd.name_len = c->terms.terms[i].len;
        }
        cand_of[i] = (int64_t)n_cands;
        cands[n_cands++] = cd;
    }
    struct series_map sm = {.cand_of = cand_of};
    size_t n_series = n_cands;
    if (grouped) {
        /* a series for every group and candidate while they are few, kept
         * when its count reaches min_count; else the (group, term) pairs
         * that reach it, found first */
        int dense = n_cands && G <= TRENDS_DENSE_SERIES / n_cands;
        for (size_t d = 0; dense && d < c->n_docs; d++)
            dense = c->docs[d].group < G;
        if (dense) {
            sm.n_groups = G;
            sm.n_cands = n_cands;
            n_series = G * n_cands;
        } else {
            struct cand *ser;
            if ((rc = tp_gterms_count(c, k, &gt, err)))
                goto out;
            if (!(ser_of = malloc((gt.mask + 1) * sizeof(*ser_of))) ||
                group_series(cands, cand_of, &gt, min_count, ser_of, &ser, &n_series)) {
                rc = tp_report_oom(err);
                goto out;
            }
            free(cands);
            cands = ser;
            n_cands = n_series;
            sm.gt = &gt;
            sm.ser_of = ser_of;
        }
    }
    if ((rc = series_fill(c, k, &sm, dper, n_series, &sr, err)))
        goto out;
    if (sm.n_groups) {
        struct cand *ser = NULL;
        size_t n = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (size_t i = 0; i < n_series; i++) {
                uint64_t total = 0;
                for (uint64_t e = sr.at[i]; e < sr.at[i + 1]; e++)
                    total += sr.count[e];
                if (total < (uint64_t)min_count)
                    continue;
                if (pass) {
                    ser[n] = cands[i % sm.n_cands];
                    ser[n].group = (uint32_t)(i / sm.n_cands);
                    ser[n].ser = i;
                }
                n++;
            }
            if (pass)
                break;
            if (!(ser = calloc(n ? n : 1, sizeof(*ser)))) {
                rc = tp_report_oom(err);
                goto out;
            }
            n = 0;
        }
        free(cands);
        cands = ser;
        n_cands = n;
    } else {
        for (size_t i = 0; i < n_cands; i++)
            cands[i].ser = i;
    }
    unsigned n_threads = tp_run_threads(run);
    struct part parts[TP_MAX_THREADS];
    size_t n_parts = n_threads < n_cands ? n_threads : (n_cands ? n_cands : 1);
    for (size_t t = 0; t < n_parts; t++)
        parts[t] = (struct part){
            cands, n_cands * t / n_parts, n_cands * (t + 1) / n_parts, &sr, ptok, n_per, min_count,
            0};
    tp_report_run_parts(trend_part, parts, sizeof(parts[0]), (unsigned)n_parts);
    for (size_t t = 0; t < n_parts; t++)
        if (parts[t].rc) {
            rc = parts[t].rc == TP_ENOMEM
                     ? tp_report_oom(err)
                     : tp_error_set(err, parts[t].rc, "trends: a series cannot be computed");
            goto out;
        }
    rows = malloc((n_cands ? n_cands : 1) * sizeof(*rows));
    p = malloc((n_cands ? n_cands : 1) * sizeof(*p));
    q = malloc((n_cands ? n_cands : 1) * sizeof(*q));
    if (!rows || !p || !q) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t i = 0; i < n_cands; i++) {
        if (!cands[i].tested)
            continue;
        double pv = cands[i].t.p_value;
        p[n_tested] = isnan(pv) ? 1 : pv;
        /* sorted by p ascending: key is -p; an undefined p sorts last */
        rows[n_tested].r =
            (struct row){isnan(pv) ? -2 : -pv, cands[i].name, cands[i].name_len, (uint32_t)i};
        rows[n_tested].rank = grouped ? gs.rank[cands[i].group] : 0;
        rows[n_tested++].group = cands[i].group;
    }
    if (tp_bh_qvalues(p, n_tested, q)) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t r = 0; r < n_tested; r++)
        cands[rows[r].r.id].q = q[r];
    if (n_tested > 1)
        qsort(rows, n_tested, sizeof(*rows), series_cmp);
    size_t n_out = tp_report_limit(o->top, n_tested);
    tp_out_header(out, grouped ? "group,term,periods,total,slope_per_period,tau,mk_z,p_value,"
                                 "direction,q_value"
                               : "term,periods,total,slope_per_period,tau,mk_z,p_value,direction,"
                                 "q_value");
    for (size_t r = 0; r < n_out; r++) {
        const struct cand *cd = &cands[rows[r].r.id];
        if (grouped)
            tp_out_group(out, run, cd->group);
        tp_out_text(out, cd->name, cd->name_len);
        tp_out_u64(out, cd->periods);
        tp_out_u64(out, cd->total);
        tp_out_double(out, cd->t.slope);
        tp_out_double(out, cd->t.tau);
        tp_out_double(out, cd->t.mk_z);
        tp_out_double(out, cd->t.p_value);
        tp_out_str(out, cd->t.direction == TP_RISING    ? "rising"
                        : cd->t.direction == TP_FALLING ? "falling"
                                                        : "flat");
        tp_out_double(out, cd->q);
        tp_out_row_end(out);
    }
out:
    free(dper);
    free(ptok);
    free(cand_of);
    free(ser_of);
    free(cands);
    tp_gterms_release(&gt);
    tp_groups_release(&gs);
    free(sr.at);
    free(sr.per);
    free(sr.count);
    free(rows);
    free(p);
    free(q);
    tp_arena_release(&names);
    return rc;
}
