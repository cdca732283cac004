/*
 * state_replace.c - merge --replace (tp_state_write_replaced, state.h): the
 * states loaded into a run in argument order, each document id kept once.
 *
 * A document id that appears again later (in a later state, or later in
 * the same one) is replaced: the document stays where its id first
 * appeared, with the date, length and lists of its last appearance (a
 * changed file counted again replaces its earlier counts where a run over
 * the changed corpus counts it). The corpus's document records and the
 * places of their lists in the state files are reordered and cut, then the
 * terms' and n-grams' totals and document frequencies are summed again
 * from the kept documents' lists, and their first-seen order is taken from
 * the lists too (a list is in the order its terms first occur in the
 * document), so freq, tfidf, timeline, trends and keyness from the result
 * are those of one run over the changed corpus, byte for byte.
 *
 * What the lists cannot give back: the pairs a replaced document added
 * (the pair table keeps no per-document state), a term's first occurrence
 * inside a document (Heaps' law) and the replaced document's reader
 * statistics (bytes, invalid UTF-8, ...). The state written then keeps no
 * pairs and says so (TP_STATE_LOST_*), and colloc, summary and analyze
 * refuse it rather than write tables from wrong counts.
 */
#include <stdlib.h>
#include <string.h>

#include "counts_int.h"
#include "state_int.h"

/* Move the lists' places of counter k by document: entry m takes entry
 * from[m], for m < n_keep (from[m] >= m, so moving in place is safe). */
static void keep_lists(struct tp_counter *k, const size_t *from, size_t n_keep)
{
    for (size_t m = 0; m < n_keep; m++) {
        k->offs[m] = k->offs[from[m]];
        k->lens[m] = k->lens[from[m]];
        k->file_of[m] = k->file_of[from[m]];
    }
    k->n_offs = n_keep;
}

/* Sum counter k's totals and document frequencies again over the first
 * n_docs documents' lists, and number its ids in first-seen order:
 * new_id[id] (UINT32_MAX: in no list), old_id[new id], *n_new. first (may
 * be NULL): each id's first occurrence, as the list gives it (the document's
 * first token index plus the id's place in the list: a lower bound). */
static int recount(struct tp_counter *k, size_t n_ids, const struct tp_docrec *docs, size_t n_docs,
                   uint32_t *new_id, uint32_t *old_id, size_t *n_new, uint64_t *first,
                   struct tp_error *err)
{
    struct tp_spill_iter it;
    int rc;
    memset(k->total, 0, n_ids * sizeof(*k->total));
    memset(k->df, 0, n_ids * sizeof(*k->df));
    for (size_t i = 0; i < n_ids; i++)
        new_id[i] = UINT32_MAX;
    *n_new = 0;
    uint64_t start = 0;
    /* the last list each id was in (its place in the walk + 1) */
    uint32_t *in_list = calloc(n_ids ? n_ids : 1, sizeof(*in_list)), n_lists = 0;
    if (!in_list)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    if ((rc = tp_spill_iter_init(&it, k, n_docs, err))) {
        free(in_list);
        return rc;
    }
    /* The loader checked every list's ids and counts against the terms and
     * the document's tokens (state_load.c, scan_list), but not that a list
     * names an id once: a list that names one twice would be summed here
     * into a term in more documents than the state has, which no reader
     * takes. Only a state damaged behind its checksums has such a list. */
    while ((rc = tp_spill_iter_next(&it, err)) > 0) {
        n_lists++;
        for (size_t i = 0; i < it.n; i++) {
            uint32_t id = it.ids[i];
            if (id >= n_ids) {
                rc = tp_error_set(err, TP_EINTERNAL, "merge --replace: an id out of range");
                goto done;
            }
            if (in_list[id] == n_lists) {
                rc = tp_error_set(err, TP_EPARSE,
                                  "merge --replace: document %s: its list of counts cannot be its "
                                  "tokens' (a damaged state)",
                                  docs[it.doc].id);
                goto done;
            }
            in_list[id] = n_lists;
            k->total[id] += it.counts[i];
            k->df[id]++;
            if (new_id[id] == UINT32_MAX) {
                new_id[id] = (uint32_t)*n_new;
                old_id[(*n_new)++] = id;
                if (first)
                    first[id] = start + i;
            }
        }
        start += docs[it.doc].n_tokens;
    }
done:
    free(in_list);
    return rc;
}

int tp_state_write_replaced(struct tp_run *run, const char *path, size_t *n_replaced,
                            struct tp_error *err)
{
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    size_t n = c->n_docs, n_terms = c->terms.n;
    unsigned ng = c->o.ngram > 1 ? c->o.ngram : 0;
    size_t n_ng = ng ? c->ngrams.n_items : 0;
    struct tp_table ids;
    uint32_t *key_of = malloc((n ? n : 1) * sizeof(*key_of));
    size_t *first_of = malloc((n ? n : 1) * sizeof(*first_of));
    size_t *last_of = malloc((n ? n : 1) * sizeof(*last_of));
    size_t *from = malloc((n ? n : 1) * sizeof(*from));
    uint32_t *term_new = malloc((n_terms ? n_terms : 1) * sizeof(*term_new));
    uint32_t *term_old = malloc((n_terms ? n_terms : 1) * sizeof(*term_old));
    uint64_t *first = malloc((n_terms ? n_terms : 1) * sizeof(*first));
    uint32_t *ng_new = malloc((n_ng ? n_ng : 1) * sizeof(*ng_new));
    uint32_t *ng_old = malloc((n_ng ? n_ng : 1) * sizeof(*ng_old));
    int rc = tp_table_init(&ids);
    *n_replaced = 0;
    if (rc || !key_of || !first_of || !last_of || !from || !term_new || !term_old || !first ||
        !ng_new || !ng_old) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    if (c->uni.n_offs != n || (ng && c->ng.n_offs != n)) {
        rc = tp_error_set(err, TP_EINTERNAL, "merge --replace: the documents' lists are not kept");
        goto out;
    }
    /* every id's first and last appearance */
    for (size_t g = 0; g < n; g++) {
        int added = 0;
        int64_t k = tp_table_intern(&ids, c->docs[g].id, strlen(c->docs[g].id), &added);
        if (k < 0) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        key_of[g] = (uint32_t)k;
        if (added)
            first_of[k] = g;
        last_of[k] = g;
    }
    /* the documents kept: at an id's first place, its last appearance */
    size_t m = 0;
    for (size_t g = 0; g < n; g++)
        if (first_of[key_of[g]] == g)
            from[m++] = last_of[key_of[g]];
    *n_replaced = n - m;
    if (m == n) { /* nothing given twice: the states as loaded */
        rc = tp_state_write(run, path, err);
        goto out;
    }
    uint64_t tokens = 0;
    for (size_t i = 0; i < m; i++) {
        c->docs[i] = c->docs[from[i]];
        tokens += c->docs[i].n_tokens;
    }
    c->n_docs = m;
    c->n_tokens = tokens;
    keep_lists(&c->uni, from, m);
    if (ng)
        keep_lists(&c->ng, from, m);
    struct tp_state_plan plan = {.term_new = term_new,
                                 .term_old = term_old,
                                 .first = first,
                                 .ng_new = ng ? ng_new : NULL,
                                 .ng_old = ng_old,
                                 .lost = TP_STATE_LOST_FIRST |
                                         (c->o.window ? TP_STATE_LOST_PAIRS : 0u)};
    if ((rc = recount(&c->uni, n_terms, c->docs, m, term_new, term_old, &plan.n_terms, first,
                      err)) ||
        (ng && (rc = recount(&c->ng, n_ng, c->docs, m, ng_new, ng_old, &plan.n_ng, NULL, err))))
        goto out;
    rc = tp_state_write_plan(run, path, &plan, err);
out:
    tp_table_release(&ids);
    free(key_of);
    free(first_of);
    free(last_of);
    free(from);
    free(term_new);
    free(term_old);
    free(first);
    free(ng_new);
    free(ng_old);
    return rc;
}
