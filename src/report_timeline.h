/*
 * report_timeline.h - what report_timeline.c (the series: counted, trends.csv,
 * timeline.svg) and report_timeline_table.c (timeline.csv's rows) share: a
 * series' cells by period, and the writing of the table. Internal to those
 * two files.
 */
#ifndef TP_REPORT_TIMELINE_H
#define TP_REPORT_TIMELINE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "report_int.h"

/* A count, or a bound of one, per million of tok tokens: x / tok x 10^6, as
 * the SPEC writes per_million and freq computes it; NaN for no tokens. (A
 * scale 1e6 / tok multiplied in differs in the last bit now and then, and
 * trends.csv, computed this way, would not be over the values printed.) */
static inline double tl_per_million(double x, uint64_t tok)
{
    return tok ? x / (double)tok * 1e6 : NAN;
}

struct tl_term {
    const char *name;
    uint32_t name_len;
    uint32_t group; /* --group-by: the series' group (its rank in gs.rank orders rows) */
    /* by period: the count at cell[p * stride], documents next to it; in
     * 32 bits (c32, cell NULL) when no count or document number can reach
     * 2^32 */
    uint64_t *cell;
    uint32_t *c32;
    size_t stride;
    uint64_t total;
};

/* The cells are laid out by group, then period, then term, a count and its
 * documents side by side: a document's terms (one group, one period) are
 * added up in a few cache lines instead of two scattered cells a term (a
 * daily timeline of 12 groups and 20 terms over 26 years holds 36 MB of
 * cells in 64 bits, 18 MB in 32). */
static inline uint64_t tl_count(const struct tl_term *ts, size_t p)
{
    return ts->c32 ? ts->c32[p * ts->stride] : ts->cell[p * ts->stride];
}

static inline uint64_t tl_docs(const struct tl_term *ts, size_t p)
{
    return ts->c32 ? ts->c32[p * ts->stride + 1] : ts->cell[p * ts->stride + 1];
}

/* Add k occurrences in d documents to period p (a narrow cell's bound
 * holds: see tp_report_timeline). */
static inline void tl_add(struct tl_term *ts, size_t p, uint64_t k, uint64_t d)
{
    if (ts->c32) {
        ts->c32[p * ts->stride] += (uint32_t)k;
        ts->c32[p * ts->stride + 1] += (uint32_t)d;
    } else {
        ts->cell[p * ts->stride] += k;
        ts->cell[p * ts->stride + 1] += d;
    }
}

/* Where period p's cells of the series start (to ask for them ahead). */
static inline const char *tl_at(const struct tl_term *ts, size_t p)
{
    return ts->c32 ? (const char *)&ts->c32[p * ts->stride]
                   : (const char *)&ts->cell[p * ts->stride];
}

/* timeline.csv without --group-by: the long table (a row per period and
 * term, zeros included) or --wide (a row per period, a column per term) of
 * the series terms[0..n_terms) over n_per periods of ptok[p] tokens.
 * Returns 0 or a negative TP_E* (err filled). */
int tp_timeline_write(const struct tp_run *run, const struct tl_term *terms, size_t n_terms,
                      const uint64_t *ptok, size_t n_per, const struct tp_period_info *pi,
                      struct tp_out *out, struct tp_error *err);

/* timeline.csv under --group-by: the long table with a first column group,
 * groups shown[0..n_shown) by name, then periods, then terms; --wide: a row
 * per group and period, a column per term. Series t of group g is
 * terms[t * G + g]; ptok is by group, then period. Every group has every
 * period of the timeline (zeros included). Returns 0 or a negative TP_E*
 * (err filled). */
int tp_timeline_write_grouped(const struct tp_run *run, const uint32_t *shown, size_t n_shown,
                              size_t G, struct tl_term *terms, size_t n_terms, const uint64_t *ptok,
                              size_t n_per, const struct tp_period_info *pi, struct tp_out *out,
                              struct tp_error *err);

#endif
