/*
 * report_timeline_table.c - timeline.csv's rows, with and without --group-by.
 *
 * Where it sits: called by tp_report_timeline (report_timeline.c) once the
 * series are counted; a grouped table is written on the run's threads in
 * units (tp_report_units). Most rows of a daily or grouped timeline are zero
 * rows or rows of a small count, so their cells are rendered once and copied
 * (struct tl_cells, struct tl_slot; tp_out_cells_rows in writer_cells.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "group.h"
#include "report_timeline.h"
#include "timeline.h"

/* The long table's cells that repeat: pre, the first cells of a period's
 * rows ((group,) period, period_start); term, each term's name; and, kept
 * by the period's tokens (struct tl_slot), zero, the cells after the term of
 * a row whose count is 0 (count 0, period_tokens, the rate and interval of
 * 0, docs 0), and rep[k], the cells of a small count k (count,
 * period_tokens, rate, interval). Most rows of a daily or grouped timeline
 * are zero rows, and a grouped timeline's group-days hold a few hundred
 * tokens: counts of 1-3 come again and again, and so do the token totals
 * (the bench's 114,000 group-days have 1,192), so a period's cells are
 * mostly made already. */
enum { TL_REPEAT = 16, TL_SLOT_BITS = 9, TL_SLOTS = 1 << TL_SLOT_BITS };

struct tl_slot {
    uint64_t tok;      /* the token total these cells are for ... */
    int used;          /* ... when used */
    uint32_t rep_made; /* bit k: rep[k] made */
    struct tp_cells zero, rep[TL_REPEAT];
};

struct tl_cells {
    struct tp_cells pre;
    struct tp_cells *term;
    uint32_t *zero_at; /* a period's zero rows' terms, written together */
    size_t n_terms;
    struct tl_slot *slot; /* TL_SLOTS, by a hash of the token total */
};

static void tl_cells_release(struct tl_cells *lc)
{
    for (size_t t = 0; lc->term && t < lc->n_terms; t++)
        tp_cells_release(&lc->term[t]);
    free(lc->term);
    free(lc->zero_at);
    tp_cells_release(&lc->pre);
    for (size_t i = 0; lc->slot && i < TL_SLOTS; i++) {
        tp_cells_release(&lc->slot[i].zero);
        for (size_t k = 0; k < TL_REPEAT; k++)
            tp_cells_release(&lc->slot[i].rep[k]);
    }
    free(lc->slot);
}

/* Each term's name cell (terms t * stride); 0 or -1 out of memory. */
static int tl_cells_init(struct tl_cells *lc, struct tp_out *out, const struct tl_term *terms,
                         size_t n_terms, size_t stride)
{
    memset(lc, 0, sizeof(*lc));
    lc->term = calloc(n_terms ? n_terms : 1, sizeof(*lc->term));
    lc->zero_at = malloc((n_terms ? n_terms : 1) * sizeof(*lc->zero_at));
    lc->slot = calloc(TL_SLOTS, sizeof(*lc->slot));
    if (!lc->term || !lc->zero_at || !lc->slot) {
        tl_cells_release(lc);
        memset(lc, 0, sizeof(*lc));
        return -1;
    }
    lc->n_terms = n_terms;
    for (size_t t = 0; t < n_terms; t++) {
        tp_cells_clear(out, &lc->term[t]);
        tp_cells_text(out, &lc->term[t], terms[t * stride].name, terms[t * stride].name_len);
    }
    return 0;
}

/* Count k's cells in a period of tok tokens, into c. */
static void count_cells(struct tp_out *out, struct tp_cells *c, uint64_t k, uint64_t tok)
{
    double lo = NAN, hi = NAN;
    if (tok && tp_garwood(k, &lo, &hi) == 0) {
        lo = tl_per_million(lo, tok);
        hi = tl_per_million(hi, tok);
    }
    tp_cells_clear(out, c);
    tp_cells_u64(out, c, k);
    tp_cells_u64(out, c, tok);
    tp_cells_double(out, c, tl_per_million((double)k, tok));
    tp_cells_double(out, c, lo);
    tp_cells_double(out, c, hi);
}

/* The long table's rows of period p (its cells in lc->pre) for the series
 * terms[t * stride], t < n_terms, with tok tokens in the period. */
static void long_rows(struct tp_out *out, struct tl_cells *lc, const struct tl_term *terms,
                      size_t n_terms, size_t stride, size_t p, uint64_t tok)
{
    struct tl_slot *sl = &lc->slot[(tok * 0x9E3779B97F4A7C15ull) >> (64 - TL_SLOT_BITS)];
    if (!sl->used || sl->tok != tok) {
        double lo0 = NAN, hi0 = NAN;
        if (tok && tp_garwood(0, &lo0, &hi0) == 0) {
            lo0 = tl_per_million(lo0, tok);
            hi0 = tl_per_million(hi0, tok);
        }
        sl->used = 1;
        sl->tok = tok;
        sl->rep_made = 0;
        tp_cells_clear(out, &sl->zero);
        tp_cells_u64(out, &sl->zero, 0);
        tp_cells_u64(out, &sl->zero, tok);
        tp_cells_double(out, &sl->zero, tl_per_million(0.0, tok));
        tp_cells_double(out, &sl->zero, lo0);
        tp_cells_double(out, &sl->zero, hi0);
        tp_cells_u64(out, &sl->zero, 0);
    }
    size_t nz = 0; /* zero rows waiting: terms lc->zero_at[0..nz) */
    for (size_t t = 0; t < n_terms; t++) {
        const struct tl_term *ts = &terms[t * stride];
        uint64_t k = tl_count(ts, p);
        if (!k && !tl_docs(ts, p)) {
            lc->zero_at[nz++] = (uint32_t)t;
            continue;
        }
        if (nz)
            tp_out_cells_rows(out, &lc->pre, lc->term, lc->zero_at, nz, &sl->zero);
        nz = 0;
        tp_out_cells(out, &lc->pre);
        tp_out_cells(out, &lc->term[t]);
        if (k < TL_REPEAT) {
            if (!(sl->rep_made & 1u << k)) {
                count_cells(out, &sl->rep[k], k, tok);
                sl->rep_made |= 1u << k;
            }
            tp_out_cells(out, &sl->rep[k]);
        } else {
            double lo = NAN, hi = NAN;
            if (tok && tp_garwood(k, &lo, &hi) == 0) {
                lo = tl_per_million(lo, tok);
                hi = tl_per_million(hi, tok);
            }
            tp_out_u64(out, k);
            tp_out_u64(out, tok);
            tp_out_double(out, tl_per_million((double)k, tok));
            tp_out_double(out, lo);
            tp_out_double(out, hi);
        }
        tp_out_u64(out, tl_docs(ts, p));
        tp_out_row_end(out);
    }
    tp_out_cells_rows(out, &lc->pre, lc->term, lc->zero_at, nz, &sl->zero);
}

/* The long table's rows under --group-by in units of a group's periods
 * [k * step, (k + 1) * step), written on the run's threads (each with its
 * own repeated cells, lc[t]). */
struct tl_units {
    const struct tp_run *run;
    const uint32_t *shown;
    size_t G, n_terms, n_per, step, per_group;
    struct tl_term *terms;
    const uint64_t *ptok;
    const struct tp_period_info *pi;
    char (*names)[2][24]; /* each period's label and start, or NULL */
    struct tl_cells *lc;  /* by thread (term NULL: not made yet) */
};

static int tl_unit(void *arg, unsigned t, size_t u, struct tp_out *out, struct tp_error *err)
{
    struct tl_units *x = arg;
    struct tl_cells *lc = &x->lc[t];
    uint32_t g = x->shown[u / x->per_group];
    size_t p0 = u % x->per_group * x->step;
    size_t p1 = p0 + x->step < x->n_per ? p0 + x->step : x->n_per, glen;
    const char *gname = tp_corpus_group_name(x->run->corpus, g, &glen);
    if (!lc->term && tl_cells_init(lc, out, x->terms, x->n_terms, x->G))
        return tp_report_oom(err);
    for (size_t p = p0; p < p1; p++) {
        char lbuf[24], sbuf[24];
        const char *label = lbuf, *start = sbuf;
        if (x->names) {
            label = x->names[p][0];
            start = x->names[p][1];
        } else {
            tp_period_label(x->pi->first + (int64_t)p, x->pi->kind, lbuf, sizeof(lbuf));
            tp_period_start(x->pi->first + (int64_t)p, x->pi->kind, sbuf, sizeof(sbuf));
        }
        tp_cells_clear(out, &lc->pre);
        tp_cells_text(out, &lc->pre, gname, glen);
        tp_cells_str(out, &lc->pre, label);
        tp_cells_str(out, &lc->pre, start);
        long_rows(out, lc, x->terms + g, x->n_terms, x->G, p, x->ptok[(size_t)g * x->n_per + p]);
    }
    return 0;
}

int tp_timeline_write_grouped(const struct tp_run *run, const uint32_t *shown, size_t n_shown,
                              size_t G, struct tl_term *terms, size_t n_terms, const uint64_t *ptok,
                              size_t n_per, const struct tp_period_info *pi, struct tp_out *out,
                              struct tp_error *err)
{
    int rc = 0;
    if (run->o->wide) {
        tp_out_text(out, "group", 5);
        tp_out_text(out, "period", 6);
        tp_out_text(out, "period_tokens", 13);
        for (size_t t = 0; t < n_terms; t++)
            tp_out_text(out, terms[t * G].name, terms[t * G].name_len);
        tp_out_row_end(out);
        for (size_t r = 0; r < n_shown; r++) {
            uint32_t g = shown[r];
            const uint64_t *gtok = ptok + (size_t)g * n_per;
            for (size_t p = 0; p < n_per; p++) {
                char label[24];
                tp_period_label(pi->first + (int64_t)p, pi->kind, label, sizeof(label));
                tp_out_group(out, run, g);
                tp_out_str(out, label);
                tp_out_u64(out, gtok[p]);
                for (size_t t = 0; t < n_terms; t++)
                    tp_out_double(out,
                                  tl_per_million((double)tl_count(&terms[t * G + g], p), gtok[p]));
                tp_out_row_end(out);
            }
        }
        return 0;
    }
    tp_out_header(out, "group,period,period_start,term,count,period_tokens,per_million,"
                       "ci_low,ci_high,docs");
    unsigned threads = tp_run_threads(run);
    /* units of about 4096 rows (units of 1,024, whose rows stay in their
     * part's 64 KiB buffer, measured no faster: more hand-overs) */
    size_t step = 4096 / (n_terms ? n_terms : 1);
    step = step < 1 ? 1 : step > n_per ? (n_per ? n_per : 1) : step;
    struct tl_units x = {.run = run,
                         .shown = shown,
                         .G = G,
                         .n_terms = n_terms,
                         .n_per = n_per,
                         .step = step,
                         .per_group = (n_per + step - 1) / step,
                         .terms = terms,
                         .ptok = ptok,
                         .pi = pi};
    /* each period's label and start, formatted once for all the groups */
    x.names = n_shown > 1 ? malloc(n_per * sizeof(*x.names)) : NULL;
    for (size_t p = 0; x.names && p < n_per; p++) {
        tp_period_label(pi->first + (int64_t)p, pi->kind, x.names[p][0], sizeof(x.names[p][0]));
        tp_period_start(pi->first + (int64_t)p, pi->kind, x.names[p][1], sizeof(x.names[p][1]));
    }
    if (!(x.lc = calloc(threads ? threads : 1, sizeof(*x.lc))))
        rc = tp_report_oom(err);
    else if (n_per)
        rc = tp_report_units(out, n_shown * x.per_group, threads, tl_unit, &x, err);
    for (unsigned t = 0; x.lc && t < threads; t++)
        tl_cells_release(&x.lc[t]);
    free(x.lc);
    free(x.names);
    return rc;
}

int tp_timeline_write(const struct tp_run *run, const struct tl_term *terms, size_t n_terms,
                      const uint64_t *ptok, size_t n_per, const struct tp_period_info *pi,
                      struct tp_out *out, struct tp_error *err)
{
    struct tl_cells lc = {0};
    int wide = run->o->wide;
    if (wide) {
        tp_out_text(out, "period", 6);
        tp_out_text(out, "period_tokens", 13);
        for (size_t t = 0; t < n_terms; t++)
            tp_out_text(out, terms[t].name, terms[t].name_len);
        tp_out_row_end(out);
    } else {
        tp_out_header(out, "period,period_start,term,count,period_tokens,per_million,"
                           "ci_low,ci_high,docs");
        if (tl_cells_init(&lc, out, terms, n_terms, 1))
            return tp_report_oom(err);
    }
    for (size_t p = 0; p < n_per; p++) {
        char label[24], start[24];
        tp_period_label(pi->first + (int64_t)p, pi->kind, label, sizeof(label));
        tp_period_start(pi->first + (int64_t)p, pi->kind, start, sizeof(start));
        if (wide) {
            tp_out_str(out, label);
            tp_out_u64(out, ptok[p]);
            for (size_t t = 0; t < n_terms; t++)
                tp_out_double(out, tl_per_million((double)tl_count(&terms[t], p), ptok[p]));
            tp_out_row_end(out);
            continue;
        }
        tp_cells_clear(out, &lc.pre);
        tp_cells_str(out, &lc.pre, label);
        tp_cells_str(out, &lc.pre, start);
        long_rows(out, &lc, terms, n_terms, 1, p, ptok[p]);
    }
    tl_cells_release(&lc);
    return 0;
}
