/*
 * report_colloc.c - collocations.csv: the counted word pairs with their
 * association measures (stats.c), ranked by the chosen measure, the pair
 * table scanned in parts on several threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "stats.h"

static double measure_value(const struct tp_assoc *a, enum tp_measure m, uint64_t n12)
{
    switch (m) {
    case TP_M_PMI:
        return a->pmi;
    case TP_M_T_SCORE:
        return a->t_score;
    case TP_M_Z_SCORE:
        return a->z_score;
    case TP_M_CHI2:
        return a->chi2;
    case TP_M_DICE:
        return a->dice;
    case TP_M_LOG_DICE:
        return a->log_dice;
    case TP_M_MI3:
        return a->mi3;
    case TP_M_COUNT:
        return (double)n12;
    case TP_M_LOG_LIKELIHOOD:
        break;
    }
    return a->log_likelihood;
}

/* A candidate collocation: the key it is ranked by, and its pair slot. By
 * log-likelihood, the key is first a lower bound of it and hi an upper
 * bound (tp_assoc_g2_bounds), the key itself computed later only for the
 * pairs whose bounds let them make the top. */
struct cand {
    double key;
    double hi;
    uint32_t slot;
};

/* Candidates of the pair slots [s0, s1), scored on a thread of their own. */
struct colloc_part {
    const struct tp_opts *o;
    const struct tp_counts *c;
    size_t s0, s1;
    struct cand *cands; /* room for every pair */
    size_t n;
};

static void *colloc_part_main(void *arg)
{
    struct colloc_part *p = arg;
    const struct tp_counts *c = p->c;
    const struct tp_opts *o = p->o;
    unsigned K = c->o.window;
    for (size_t s = p->s0; s < p->s1; s++) {
        const struct tp_pair_slot *sl = &c->pairs.slots[s];
        uint64_t n12 = sl->count;
        uint32_t key[2] = {tp_pair_w1(sl->key), tp_pair_w2(sl->key)};
        if (!sl->key || n12 == 0 || n12 < (uint64_t)o->min_count ||
            !tp_report_tuple_reportable(c, key, 2))
            continue;
        uint64_t n1 = c->uni.total[key[0]], n2 = c->uni.total[key[1]];
        double v, hi = 0;
        if (o->measure == TP_M_LOG_LIKELIHOOD) {
            tp_assoc_g2_bounds(n12, n1, n2, c->n_tokens, K, &v, &hi);
        } else if (o->measure == TP_M_COUNT) {
            v = (double)n12;
        } else {
            struct tp_assoc a;
            tp_assoc_compute(n12, n1, n2, c->n_tokens, K, 0, &a);
            v = measure_value(&a, o->measure, n12);
        }
        p->cands[p->n++] = (struct cand){v, hi, (uint32_t)s};
    }
    return NULL;
}

/* The k-th largest key (k >= 1) of v[0..n), reordering v: quickselect. */
static double kth_largest(struct cand *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1, want = k - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2].key;
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i].key > pivot)
                i++;
            while (v[j].key < pivot)
                j--;
            if (i <= j) {
                struct cand t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (want <= j)
            hi = j;
        else if (want >= i)
            lo = i;
        else
            return v[want].key;
    }
    return v[want].key;
}

/* Candidates by log-likelihood, each with bounds of its G^2 (key <= G^2 <=
 * hi): the top-th largest lower bound is at most the top-th largest G^2, so
 * a pair whose upper bound is below it is below the top, ties included.
 * The others get their G^2 as key (tp_assoc_g2) and are packed at the
 * front; returns how many. */
static size_t exact_g2(const struct tp_counts *c, struct cand *cands, size_t n, size_t top)
{
    double least = -INFINITY;
    if (top > 0 && top < n)
        least = kth_largest(cands, n, top);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(cands[i].hi >= least))
            continue;
        const struct tp_pair_slot *sl = &c->pairs.slots[cands[i].slot];
        uint32_t w1 = tp_pair_w1(sl->key), w2 = tp_pair_w2(sl->key);
        cands[kept] = cands[i];
        cands[kept++].key =
            tp_assoc_g2(sl->count, c->uni.total[w1], c->uni.total[w2], c->n_tokens, c->o.window);
    }
    return kept;
}

/* Slots scored per thread at least: fewer are not worth a thread. */
enum { COLLOC_PART_MIN = 1 << 15 };

int tp_report_colloc(struct tp_run *run, struct tp_out *out, struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    struct tp_arena names = TP_ARENA_INIT;
    size_t n_slots = c->pairs.slots ? c->pairs.mask + 1 : 0, n_pairs = c->pairs.n ? c->pairs.n : 1;
    unsigned K = c->o.window;
    unsigned n_threads = tp_run_threads(run);
    if (n_threads > n_slots / COLLOC_PART_MIN)
        n_threads = n_slots / COLLOC_PART_MIN ? (unsigned)(n_slots / COLLOC_PART_MIN) : 1;
    struct colloc_part *parts = calloc(n_threads, sizeof(*parts));
    struct cand *cands = malloc(n_pairs * sizeof(*cands));
    struct row *rows = NULL;
    int rc = 0;
    size_t n_rows = 0, n_cands = 0;
    if (!parts || !cands) {
        rc = tp_report_oom(err);
        goto out;
    }
    /* Every candidate's key, the slots cut among the threads; each part's
     * candidates go to its own stretch of cands, then are packed in order. */
    size_t room = 0;
    for (unsigned t = 0; t < n_threads; t++) {
        parts[t] =
            (struct colloc_part){o,
                                 c,
                                 n_slots / n_threads * t,
                                 t + 1 == n_threads ? n_slots : n_slots / n_threads * (t + 1),
                                 NULL,
                                 0};
        size_t pairs_in = 0;
        for (size_t s = parts[t].s0; s < parts[t].s1; s++)
            pairs_in += c->pairs.slots[s].key != 0;
        parts[t].cands = cands + room;
        room += pairs_in;
    }
    tp_report_run_parts(colloc_part_main, parts, sizeof(*parts), n_threads);
    for (unsigned t = 0; t < n_threads; t++) {
        memmove(cands + n_cands, parts[t].cands, parts[t].n * sizeof(*cands));
        n_cands += parts[t].n;
    }
    /* Only the rows that can make the top need their names (for ties): those
     * whose key is at least the top-th largest (the candidates' order does
     * not matter, the rows are sorted in full below). */
    size_t top = tp_report_limit(o->top >= 0 ? o->top : 1000, n_cands);
    if (o->measure == TP_M_LOG_LIKELIHOOD)
        n_cands = exact_g2(c, cands, n_cands, top);
    double threshold = -INFINITY;
    if (top > 0 && top < n_cands)
        threshold = kth_largest(cands, n_cands, top);
    if (!(rows = malloc((n_cands ? n_cands : 1) * sizeof(*rows)))) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t i = 0; i < n_cands && top > 0; i++) {
        if (!(cands[i].key >= threshold))
            continue;
        const struct tp_pair_slot *sl = &c->pairs.slots[cands[i].slot];
        uint32_t key[2] = {tp_pair_w1(sl->key), tp_pair_w2(sl->key)};
        struct row r = {cands[i].key, NULL, 0, cands[i].slot};
        r.name = tp_report_join_words(c, key, 2, &names, &r.name_len);
        if (!r.name) {
            rc = tp_report_oom(err);
            goto out;
        }
        rows[n_rows++] = r;
    }
    size_t n_out = tp_rows_top(rows, n_rows, top);
    tp_out_header(out, o->fisher ? "rank,w1,w2,n12,n1,n2,N,expected,pmi,t_score,z_score,"
                                   "log_likelihood,chi2,p_value,log10_p,dice,log_dice,mi3,"
                                   "fisher_p"
                                 : "rank,w1,w2,n12,n1,n2,N,expected,pmi,t_score,z_score,"
                                   "log_likelihood,chi2,p_value,log10_p,dice,log_dice,mi3");
    for (size_t i = 0; i < n_out; i++) {
        const struct tp_pair_slot *sl = &c->pairs.slots[rows[i].id];
        uint32_t key[2] = {tp_pair_w1(sl->key), tp_pair_w2(sl->key)};
        uint64_t n12 = sl->count;
        uint64_t n1 = c->uni.total[key[0]], n2 = c->uni.total[key[1]];
        struct tp_assoc a;
        tp_assoc_compute(n12, n1, n2, c->n_tokens, K, o->fisher, &a);
        const struct tp_term *t1 = &c->terms.terms[key[0]], *t2 = &c->terms.terms[key[1]];
        tp_out_u64(out, i + 1);
        tp_out_text(out, t1->bytes, t1->len);
        tp_out_text(out, t2->bytes, t2->len);
        tp_out_u64(out, n12);
        tp_out_u64(out, n1);
        tp_out_u64(out, n2);
        tp_out_u64(out, c->n_tokens);
        tp_out_double(out, a.expected);
        tp_out_double(out, a.pmi);
        tp_out_double(out, a.t_score);
        tp_out_double(out, a.z_score);
        tp_out_double(out, a.log_likelihood);
        tp_out_double(out, a.chi2);
        tp_out_double(out, a.p_value);
        tp_out_double(out, a.log10_p);
        tp_out_double(out, a.dice);
        tp_out_double(out, a.log_dice);
        tp_out_double(out, a.mi3);
        if (o->fisher)
            tp_out_double(out, a.fisher_p);
        tp_out_row_end(out);
    }
out:
    free(rows);
    free(cands);
    free(parts);
    tp_arena_release(&names);
    return rc;
}
