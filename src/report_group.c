/*
 * report_group.c - what the reports of --group-by share: the groups in
 * bytewise name order, each group's documents and tokens, and the counts of
 * each (group, term) pair summed from the spill.
 *
 * Core data structure: struct tp_gterms (report_int.h), an open-addressing
 * table keyed by group << 32 | id holding only the pairs that occur, so
 * memory grows with what each group uses, not with groups x vocabulary.
 * One pass over the spill fills count and doc_freq; a second (Gries' DP)
 * needs the totals first. The cost over the same report without groups is
 * one table probe per (document, term) entry of the spill.
 */
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "report_int.h"

int tp_report_groups(const struct tp_run *run, struct tp_groups *g, struct tp_error *err)
{
    const struct tp_counts *c = tp_corpus_counts_const(run->corpus);
    memset(g, 0, sizeof(*g));
    g->n = tp_corpus_n_groups(run->corpus);
    g->order = malloc(g->n * sizeof(*g->order));
    g->rank = malloc(g->n * sizeof(*g->rank));
    g->tokens = calloc(g->n, sizeof(*g->tokens));
    g->docs = calloc(g->n, sizeof(*g->docs));
    if (!g->order || !g->rank || !g->tokens || !g->docs) {
        tp_groups_release(g);
        return tp_report_oom(err);
    }
    tp_group_order(run->corpus, g->order, g->rank);
    for (size_t d = 0; d < c->n_docs; d++) {
        uint32_t k = c->docs[d].group;
        g->tokens[k] += c->docs[d].n_tokens;
        g->docs[k]++;
    }
    return 0;
}

void tp_groups_release(struct tp_groups *g)
{
    free(g->order);
    free(g->rank);
    free(g->tokens);
    free(g->docs);
    memset(g, 0, sizeof(*g));
}

static inline size_t gt_slot(uint64_t key, size_t mask)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 29) & mask;
}

static int gt_grow(struct tp_gterms *gt)
{
    size_t cap = gt->slots ? 2 * (gt->mask + 1) : 4096;
    struct tp_gterm *s = calloc(cap, sizeof(*s));
    if (!s)
        return TP_ENOMEM;
    for (size_t i = 0; gt->slots && i <= gt->mask; i++) {
        if (!gt->slots[i].key)
            continue;
        size_t j = gt_slot(gt->slots[i].key, cap - 1);
        while (s[j].key)
            j = (j + 1) & (cap - 1);
        s[j] = gt->slots[i];
    }
    free(gt->slots);
    gt->slots = s;
    gt->mask = cap - 1;
    return 0;
}

/* The entry of (g, id), made when absent (NULL out of memory). */
static inline struct tp_gterm *gt_get(struct tp_gterms *gt, uint32_t g, uint32_t id)
{
    uint64_t key = ((uint64_t)g << 32 | id) + 1;
    if (2 * (gt->n + 1) > (gt->slots ? gt->mask + 1 : 0) && gt_grow(gt))
        return NULL;
    size_t j = gt_slot(key, gt->mask);
    while (gt->slots[j].key && gt->slots[j].key != key)
        j = (j + 1) & gt->mask;
    if (!gt->slots[j].key) {
        gt->slots[j].key = key;
        gt->n++;
    }
    return &gt->slots[j];
}

struct tp_gterm *tp_gterms_find(const struct tp_gterms *gt, uint32_t g, uint32_t id)
{
    uint64_t key = ((uint64_t)g << 32 | id) + 1;
    if (!gt->slots)
        return NULL;
    size_t j = gt_slot(key, gt->mask);
    while (gt->slots[j].key && gt->slots[j].key != key)
        j = (j + 1) & gt->mask;
    return gt->slots[j].key ? &gt->slots[j] : NULL;
}

int tp_gterms_count(struct tp_counts *c, struct tp_counter *k, struct tp_gterms *gt,
                    struct tp_error *err)
{
    struct tp_spill_iter it;
    int rc;
    memset(gt, 0, sizeof(*gt));
    if (gt_grow(gt))
        return tp_report_oom(err);
    if ((rc = tp_spill_iter_init(&it, k, c->n_docs, err)))
        return rc;
    while ((rc = tp_spill_iter_next(&it, err)) > 0) {
        uint32_t g = c->docs[it.doc].group;
        for (size_t j = 0; j < it.n; j++) {
            struct tp_gterm *e = gt_get(gt, g, it.ids[j]);
            if (!e)
                return tp_report_oom(err);
            e->count += it.counts[j];
            e->df++;
        }
    }
    return rc < 0 ? rc : 0;
}

int tp_gterms_dp(struct tp_counts *c, struct tp_counter *k, struct tp_gterms *gt,
                 const uint64_t *gtokens, struct tp_error *err)
{
    struct tp_spill_iter it;
    int rc;
    if ((rc = tp_spill_iter_init(&it, k, c->n_docs, err)))
        return rc;
    while ((rc = tp_spill_iter_next(&it, err)) > 0) {
        uint32_t g = c->docs[it.doc].group;
        uint64_t dn = c->docs[it.doc].n_tokens;
        double s = (double)dn / (double)gtokens[g];
        for (size_t j = 0; j < it.n; j++) {
            struct tp_gterm *e = tp_gterms_find(gt, g, it.ids[j]);
            double v = (double)it.counts[j] / (double)e->count - s;
            e->dp += v < 0 ? -v : v;
            e->occ += dn;
        }
    }
    if (rc < 0)
        return rc;
    /* documents of the group without the term add their s_i: exactly
     * (N_g - tokens of the group's documents with it) / N_g */
    for (size_t i = 0; i <= gt->mask; i++) {
        struct tp_gterm *e = &gt->slots[i];
        if (!e->key)
            continue;
        uint64_t n = gtokens[(e->key - 1) >> 32];
        e->dp = 0.5 * (e->dp + (double)(n - e->occ) / (double)n);
    }
    return 0;
}

void tp_gterms_release(struct tp_gterms *gt)
{
    free(gt->slots);
    memset(gt, 0, sizeof(*gt));
}

int tp_group_row_cmp(const void *pa, const void *pb)
{
    const struct grow *a = pa, *b = pb;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return tp_row_cmp(&a->r, &b->r);
}

void tp_out_group(struct tp_out *out, const struct tp_run *run, uint32_t g)
{
    size_t len;
    const char *name = tp_corpus_group_name(run->corpus, g, &len);
    tp_out_text(out, name, len);
}
