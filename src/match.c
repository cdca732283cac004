/*
 * match.c - the listed timeline terms (--terms, --terms-file): registered as
 * tuples of term ids, found at each token, counted by document and summed by
 * date into the cells a timeline reads.
 *
 * A token costs the same however many terms are listed: by the id of its
 * last word, match_end says which lengths end there (a token that ends none
 * costs one load in counts.c) and which one-word term it is; terms of several
 * words are looked up by their tuple, hashed from the last word back, in a
 * hash table of their own, behind a bit filter. The counting side calls
 * tp_match_count for a token that ends some listed term, with the tokens
 * before it in its segment; tp_corpus_end calls tp_match_end_doc.
 */
#include <stdlib.h>
#include <string.h>

#include "counts_int.h"

/* The hash of a listed term's tuple of len ids, taken from its last id back
 * to its first, so the tuples that end at a token are hashed one more word
 * at a time (match_count); match_mix finishes it. */
static inline uint64_t match_step(uint64_t h, uint32_t id)
{
    return (h ^ id) * 0x9E3779B97F4A7C15ull;
}

static inline uint64_t match_mix(uint64_t h, unsigned len)
{
    h ^= len;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 32);
}

static uint64_t match_hash(const uint32_t *ids, unsigned len)
{
    uint64_t h = 0;
    for (unsigned i = len; i-- > 0;)
        h = match_step(h, ids[i]);
    return match_mix(h, len);
}

/* Whether slot sl holds the listed term of len words whose last words are
 * rev[0], rev[1], ... (rev[i]: i words before the last). */
static inline int match_is(const struct tp_corpus *c, const struct tp_match_slot *sl,
                           const uint32_t *rev, unsigned len)
{
    if (sl->len != len || sl->last != rev[0] || sl->prev != rev[1])
        return 0;
    if (len == 2)
        return 1;
    const uint32_t *ids = c->r.match_ids[sl->m1 - 1];
    for (unsigned k = 2; k < len; k++)
        if (ids[len - 1 - k] != rev[k])
            return 0;
    return 1;
}

/* The slot of the listed term of 2 to TP_KEY_MAX words ids[0..len), or the empty
 * slot where it would go. */
static size_t match_probe(const struct tp_corpus *c, const uint32_t *ids, unsigned len)
{
    uint32_t rev[TP_KEY_MAX];
    for (unsigned k = 0; k < len; k++)
        rev[k] = ids[len - 1 - k];
    size_t s = (size_t)match_hash(ids, len) & c->match_mask;
    while (c->match_slots[s].m1 && !match_is(c, &c->match_slots[s], rev, len))
        s = (s + 1) & c->match_mask;
    return s;
}

/* The bit of the filter of listed terms of several words for a tuple's
 * hash (match_hash): a probe of the table for a tuple whose bit is clear
 * would find nothing. */
static inline size_t match_bit(uint64_t h)
{
    return (size_t)(h >> (64 - TP_MATCH_FILTER_LOG2));
}

static void match_put(struct tp_corpus *c, size_t slot, uint32_t m)
{
    const uint32_t *ids = c->r.match_ids[m];
    unsigned len = c->r.match_len[m];
    size_t bit = match_bit(match_hash(ids, len));
    c->match_slots[slot] = (struct tp_match_slot){m + 1, len, ids[len - 2], ids[len - 1]};
    c->match_filter[bit / 64] |= (uint64_t)1 << (bit % 64);
}

/* Room for one more listed term of several words in the hash table (at
 * most half full). */
static int match_reserve(struct tp_corpus *c)
{
    size_t n_slots = c->match_slots ? c->match_mask + 1 : 0;
    if (2 * (c->n_multi + 1) <= n_slots)
        return 0;
    size_t cap = n_slots ? 2 * n_slots : 64;
    struct tp_match_slot *old = c->match_slots;
    if (!(c->match_slots = calloc(cap, sizeof(*c->match_slots)))) {
        c->match_slots = old;
        return TP_ENOMEM;
    }
    c->match_mask = cap - 1;
    for (size_t m = 0; m < c->r.n_match; m++)
        if (c->r.match_len[m] > 1)
            match_put(c, match_probe(c, c->r.match_ids[m], c->r.match_len[m]), (uint32_t)m);
    free(old);
    return 0;
}

int tp_corpus_add_match(struct tp_corpus *c, const char *const *toks, const size_t *lens,
                        unsigned n_tok)
{
    if (n_tok == 0 || n_tok > TP_KEY_MAX)
        return TP_EUSAGE;
    uint32_t *ids = malloc(n_tok * sizeof(uint32_t));
    if (!c->match_filter &&
        !(c->match_filter = calloc(((size_t)1 << TP_MATCH_FILTER_LOG2) / 64, sizeof(uint64_t)))) {
        free(ids);
        return TP_ENOMEM;
    }
    if (!ids || (n_tok > 1 && match_reserve(c))) {
        free(ids);
        return TP_ENOMEM;
    }
    for (unsigned i = 0; i < n_tok; i++) {
        int64_t id = tp_corpus_intern(c, toks[i], lens[i]);
        if (id < 0) {
            free(ids);
            return TP_ENOMEM;
        }
        ids[i] = (uint32_t)id;
    }
    size_t m = c->r.n_match + 1, last = ids[n_tok - 1], slot = 0;
    if (last >= c->match_end_n) {
        if (TP_GROW(c->match_end, c->match_end_n, c->r.terms.n, 1)) {
            free(ids);
            return TP_ENOMEM;
        }
        c->match_end_n = c->r.terms.n;
    }
    if (n_tok == 1 ? c->match_end[last].one != 0
                   : c->match_slots[slot = match_probe(c, ids, n_tok)].m1 != 0) {
        free(ids);
        return 1;
    }
    if ((c->r.match_prefix && TP_GROW(c->r.match_prefix, c->r.n_match, m, 1)) ||
        TP_GROW(c->r.match_ids, c->r.n_match, m, 0) ||
        TP_GROW(c->r.match_len, c->r.n_match, m, 0) || TP_GROW(c->match_doc, c->r.n_match, m, 1) ||
        TP_GROW(c->match_touched, c->r.n_match, m, 0) ||
        TP_GROW(c->run_count, c->r.n_match, m, 1) || TP_GROW(c->run_docs, c->r.n_match, m, 1) ||
        TP_GROW(c->run_touched, c->r.n_match, m, 0)) {
        free(ids);
        return TP_ENOMEM;
    }
    c->r.match_ids[c->r.n_match] = ids;
    c->r.match_len[c->r.n_match] = n_tok;
    c->match_end[last].ends |= 1u << (n_tok - 1);
    if (n_tok == 1) {
        c->match_end[last].one = (uint32_t)m;
    } else {
        match_put(c, slot, (uint32_t)c->r.n_match);
        c->n_multi++;
    }
    c->r.n_match = m;
    if (n_tok - 1 > c->ring_cap) {
        unsigned cap = tp_ring_size(n_tok - 1);
        uint32_t *r = calloc(cap, sizeof(uint32_t));
        if (!r)
            return TP_ENOMEM;
        free(c->ring);
        c->ring = r;
        c->ring_cap = cap;
    }
    return 0;
}

int tp_corpus_add_prefix(struct tp_corpus *c, const char *s, size_t len)
{
    for (size_t m = 0; m < c->r.n_match; m++)
        if (c->r.match_prefix && c->r.match_prefix[m] && strlen(c->r.match_prefix[m]) == len &&
            memcmp(c->r.match_prefix[m], s, len) == 0)
            return 1;
    size_t m = c->r.n_match + 1;
    char *p = strndup(s, len);
    if (!p || TP_GROW(c->r.match_prefix, c->r.match_prefix ? c->r.n_match : 0, m, 1) ||
        TP_GROW(c->r.match_ids, c->r.n_match, m, 0) ||
        TP_GROW(c->r.match_len, c->r.n_match, m, 0) || TP_GROW(c->match_doc, c->r.n_match, m, 1) ||
        TP_GROW(c->match_touched, c->r.n_match, m, 0) ||
        TP_GROW(c->run_count, c->r.n_match, m, 1) || TP_GROW(c->run_docs, c->r.n_match, m, 1) ||
        TP_GROW(c->run_touched, c->r.n_match, m, 0)) {
        free(p);
        return TP_ENOMEM;
    }
    c->r.match_prefix[c->r.n_match] = p;
    c->r.match_ids[c->r.n_match] = NULL;
    c->r.match_len[c->r.n_match] = 0;
    c->r.n_match = m;
    return 0;
}

/* The listed term m occurs once more in the current document. */
static inline void match_hit(struct tp_corpus *c, uint32_t m)
{
    if (c->match_doc[m]++ == 0)
        c->match_touched[c->match_n_touched++] = m;
}

void tp_match_count(struct tp_corpus *c, const uint32_t *rev, unsigned n, unsigned ends)
{
    uint32_t base[TP_KEY_MAX];
    if (c->r.twin_base) {
        /* a stopword twin (counts.h, stop_lang) is its word */
        for (unsigned i = 0; i < n; i++)
            base[i] = c->r.twin_base[rev[i]];
        rev = base;
    }
    if (ends & 1)
        match_hit(c, c->match_end[rev[0]].one - 1);
    uint64_t h = match_step(0, rev[0]);
    for (unsigned len = 2; len <= n && (ends >> (len - 1)); len++) {
        h = match_step(h, rev[len - 1]);
        if (!(ends & (1u << (len - 1))))
            continue;
        uint64_t f = match_mix(h, len);
        size_t bit = match_bit(f);
        if (!(c->match_filter[bit / 64] & ((uint64_t)1 << (bit % 64))))
            continue;
        for (size_t s = (size_t)f & c->match_mask; c->match_slots[s].m1;
             s = (s + 1) & c->match_mask)
            if (match_is(c, &c->match_slots[s], rev, len)) {
                match_hit(c, c->match_slots[s].m1 - 1);
                break;
            }
    }
}

static int cmp_cell(const void *a, const void *b)
{
    uint64_t x = ((const struct tp_match_cell *)a)->key;
    uint64_t y = ((const struct tp_match_cell *)b)->key;
    return (x > y) - (x < y);
}

/* Cells past which a full cell array is first summed by key, then grown only
 * if that leaves it more than half full: the cells then grow with the
 * distinct (date, term) pairs, not with the runs of one date (a corpus whose
 * documents alternate between dates has a run per document). */
enum { CELLS_COMPACT = 1 << 16 };

static void cells_compact(struct tp_corpus *c)
{
    qsort(c->r.cells, c->r.n_cells, sizeof(*c->r.cells), cmp_cell);
    size_t w = 0;
    for (size_t i = 0; i < c->r.n_cells; i++) {
        if (w && c->r.cells[w - 1].key == c->r.cells[i].key) {
            c->r.cells[w - 1].count += c->r.cells[i].count;
            c->r.cells[w - 1].docs += c->r.cells[i].docs;
        } else {
            c->r.cells[w++] = c->r.cells[i];
        }
    }
    c->r.n_cells = w;
}

int tp_match_cell_add(struct tp_corpus *c, uint64_t key, uint64_t count, uint64_t docs)
{
    if (c->r.n_cells == c->cells_cap) {
        if (c->cells_cap >= CELLS_COMPACT && c->cells_mergeable) {
            cells_compact(c);
            c->cells_mergeable = 0;
        }
        if (c->r.n_cells == c->cells_cap || 2 * c->r.n_cells > c->cells_cap) {
            size_t cap = tp_next_cap(c->cells_cap, c->r.n_cells + 1, 1024);
            if (TP_GROW(c->r.cells, c->cells_cap, cap, 0))
                return TP_ENOMEM;
            c->cells_cap = cap;
        }
    }
    c->r.cells[c->r.n_cells++] = (struct tp_match_cell){key, count, docs};
    return 0;
}

static inline size_t date_slot(uint64_t key, size_t mask)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & mask;
}

/* Note that the run of documents of date key is over: when a run of the
 * same date came before, some cells can be summed. Returns 0 or TP_ENOMEM. */
int tp_match_run_date_seen(struct tp_corpus *c, uint64_t key)
{
    if (2 * (c->n_run_dates + 1) > (c->run_dates ? c->run_dates_mask + 1 : 0)) {
        size_t cap = c->run_dates ? 2 * (c->run_dates_mask + 1) : 64;
        uint64_t *old = c->run_dates, *set = calloc(cap, sizeof(*set));
        if (!set)
            return TP_ENOMEM;
        for (size_t i = 0; old && i <= c->run_dates_mask; i++) {
            if (!old[i])
                continue;
            size_t s = date_slot(old[i], cap - 1);
            while (set[s])
                s = (s + 1) & (cap - 1);
            set[s] = old[i];
        }
        free(old);
        c->run_dates = set;
        c->run_dates_mask = cap - 1;
    }
    size_t s = date_slot(key, c->run_dates_mask);
    while (c->run_dates[s] && c->run_dates[s] != key)
        s = (s + 1) & c->run_dates_mask;
    if (c->run_dates[s]) {
        c->cells_mergeable = 1;
    } else {
        c->run_dates[s] = key;
        c->n_run_dates++;
    }
    return 0;
}

int tp_corpus_match_settle(struct tp_corpus *c)
{
    if (c->run_n && tp_match_run_date_seen(c, c->run_key))
        return TP_ENOMEM;
    /* run_key: the group in the upper half, the date below (tp_corpus_end);
     * a cell's term index is group * n_match + term (group.h) */
    uint64_t date = c->run_key << 32, base = (c->run_key >> 32) * c->r.n_match;
    for (size_t i = 0; i < c->run_n; i++) {
        uint32_t m = c->run_touched[i];
        if (tp_match_cell_add(c, date | (base + m), c->run_count[m], c->run_docs[m]))
            return TP_ENOMEM;
        c->run_count[m] = 0;
        c->run_docs[m] = 0;
    }
    c->run_n = 0;
    return 0;
}

int tp_match_end_doc(struct tp_corpus *c, uint64_t key)
{
    if (!c->match_n_touched)
        return 0;
    if (key != c->run_key && tp_corpus_match_settle(c))
        return TP_ENOMEM;
    c->run_key = key;
    for (size_t i = 0; i < c->match_n_touched; i++) {
        uint32_t m = c->match_touched[i];
        if (c->run_docs[m]++ == 0)
            c->run_touched[c->run_n++] = m;
        c->run_count[m] += c->match_doc[m];
        c->match_doc[m] = 0;
    }
    c->match_n_touched = 0;
    return 0;
}

void tp_match_release(struct tp_corpus *c)
{
    for (size_t m = 0; m < c->r.n_match; m++) {
        free(c->r.match_ids[m]);
        if (c->r.match_prefix)
            free(c->r.match_prefix[m]);
    }
    free(c->r.match_prefix);
    free(c->r.match_ids);
    free(c->r.match_len);
    free(c->match_doc);
    free(c->match_touched);
    free(c->match_end);
    free(c->match_slots);
    free(c->match_filter);
    free(c->r.cells);
    free(c->run_dates);
    free(c->run_count);
    free(c->run_docs);
    free(c->run_touched);
}
