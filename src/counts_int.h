/*
 * counts_int.h - inside the counting stage: struct tp_corpus and what
 * counts.c, spill.c, match.c, merge.c, state_load.c and state_write.c share. Nothing else includes
 * it (the unit tests of counts do, to look at the state they test).
 *
 * The corpus is r, what reports read (struct tp_counts, counts.h), and the
 * counting state around it: the ring of the last tokens of the current
 * segment (adjacency for n-grams, pairs and listed terms), the pair keys
 * queued for the pair table, the flags of protocol (1) (negate) and of
 * protocol (2) (continues, head, brk_after), the listed-term matcher and its
 * per-date runs.
 */
#ifndef TP_COUNTS_INT_H
#define TP_COUNTS_INT_H

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "counts.h"
#include "merge.h"

/* Bits of the filter that spares most probes for tuples not listed: 16 KiB,
 * which stays in the core's first-level cache. */
#define TP_MATCH_FILTER_LOG2 17

/* The listed terms that end with one term id. */
struct tp_match_end {
    uint32_t one;  /* the listed term that is this word alone: index + 1 (0: none) */
    uint32_t ends; /* bit L-1: some listed term of L words ends with it */
};

/* ends has a bit per length */
_Static_assert(TP_KEY_MAX <= 32, "listed terms longer than the bits of match_end.ends");

/* A slot of the hash table of listed terms of several words: the term's
 * index + 1 (0: empty), its length and last two ids, so that a probe
 * compares a term of two words without reading it. */
struct tp_match_slot {
    uint32_t m1;
    uint32_t len;
    uint32_t prev, last;
};

/* Pair keys queued before they go to the pair table: room for all the pairs
 * of one token (queue_pairs) and for those of a batch (count_adjacent). */
#define TP_PAIR_QUEUE 512
_Static_assert(TP_PAIR_QUEUE >= TP_WINDOW_MAX && TP_PAIR_QUEUE >= TP_CORPUS_BATCH,
               "the pair queue must hold a token's or a batch's pairs");

struct tp_corpus {
    struct tp_counts r; /* the results (counts.h) */
    /* pairs: lone[id] = 1 for the terms left out of pairs (stopwords, too short) */
    uint8_t *lone; /* by term id */
    size_t lone_cap;
    uint64_t pend[TP_PAIR_QUEUE]; /* pair keys not yet added (added in batches) */
    size_t n_pend;
    int negate; /* protocol (1), tp_corpus_undo_begin: queued pairs are taken out, not added */
    /* listed timeline terms, so found that a token costs the same however
     * many are listed: by the id of their last word, match_end says which
     * lengths end there (a token that ends none costs one load) and which
     * one-word term it is; terms of several words are looked up by their
     * tuple in a hash table of their own (at most 15 probes a token). */
    size_t n_multi;                 /* listed terms of several words */
    struct tp_match_end *match_end; /* by term id, match_end_n of them (later ids: none) */
    size_t match_end_n;
    struct tp_match_slot *match_slots; /* match_mask + 1 of them */
    size_t match_mask;
    uint64_t *match_filter;  /* a bit per hash value's top bits, set for the listed */
    uint64_t *match_doc;     /* counts in the current document */
    uint32_t *match_touched; /* listed terms with match_doc > 0, first seen first */
    size_t match_n_touched;  /* (room for n_match: each is there at most once) */
    /* closed documents' counts of listed terms, summed over each run of
     * documents of one date (an archive is mostly in runs of one date): all a
     * timeline needs, a cell per term and run instead of per term and
     * document. The latest run is summed by term index first and becomes
     * cells (r.cells) when a document of another date closes. */
    size_t cells_cap;
    uint64_t run_key;               /* the latest run's date (tp_match_key), 0: none yet */
    uint64_t *run_count, *run_docs; /* its sums by term index ... */
    uint32_t *run_touched;          /* ... for these run_n terms */
    size_t run_n;
    int cells_mergeable; /* some cells may share a key (then a full array is summed) */
    uint64_t *run_dates; /* a set of the dates of the runs so far (0: empty slot) */
    size_t run_dates_mask, n_run_dates;
    /* adjacency: the last tokens of the current segment */
    uint32_t *ring;
    unsigned ring_cap, ring_len, ring_pos; /* ring_cap: a power of two */
    uint32_t cur_seg;
    /* protocol (2), a document counted in parts (merge.h) */
    int continues;   /* the open document continues the one before */
    int brk_after;   /* a segment break after the last token (suspended) */
    uint32_t *head;  /* continuing: the first tokens, while still in segment 0 */
    unsigned head_n; /* entries in head (at most ring_cap) */
    int head_open;   /* still recording head */
    /* documents */
    size_t docs_cap;
    struct tp_arena arena;
    int in_doc;
    uint64_t doc_start; /* r.n_tokens when the current document began */
    int context;        /* n-grams, pairs or listed terms are counted */
    int pairs_only;     /* ... and only pairs */
    /* r.o.stop_lang: each document's stopwords (counts.h) */
    uint8_t *smask; /* by term id: bit (1 << lang) for each language listing it */
    uint32_t *twin; /* by term id: its stopword twin's id + 1 (0: none yet) */
    /* by language L, for the languages documents have had: lmap[L][id] is the
     * id a token of id counts as in a document of L (its twin when L lists
     * it), or TP_LMAP_LATE when doc_ids must look (a twin not counted yet, a
     * listed word not yet counted as itself); kept in step with smask and
     * twin, so that a token costs doc_ids one load (lmap_entry, counts.c) */
    uint32_t *lmap[TP_LANG_NONE + 1];
    unsigned lang; /* the open document's language (its bit in smask: 1u << lang) */
    size_t split_cap;
    /* unseen terms among r.n_unseen that are on some list or twins: doc_ids
     * sees them (smask bit SPLIT_SEEN: a listed word counted as itself) */
    uint64_t n_unseen_split;
};

/* lmap's entry for an id doc_ids must look at (never an id: ids end below
 * UINT32_MAX, as a slot holds id + 1). */
#define TP_LMAP_LATE UINT32_MAX

/* smask's bit for "the word was counted as itself" (no language has it). */
#define TP_SPLIT_SEEN 0x80u

/* A term on some list, or a twin (o.stop_lang): doc_ids marks it seen. */
static inline int tp_split_term(const struct tp_corpus *c, uint32_t id)
{
    return c->smask && (c->smask[id] || c->r.twin_base[id] != id);
}

/* Prepare an empty corpus in the caller's storage (what tp_corpus_new does
 * on the heap); tp_corpus_release frees what it owns. */
int tp_corpus_init(struct tp_corpus *c, const struct tp_count_opts *o, struct tp_error *err);
void tp_corpus_release(struct tp_corpus *c);

/* --- growing arrays ------------------------------------------------------- */

/* A capacity of at least n, doubling cap (or starting from first). */
static inline size_t tp_next_cap(size_t cap, size_t n, size_t first)
{
    cap = cap ? 2 * cap : first;
    while (cap < n)
        cap *= 2;
    return cap;
}

/* Resize the array whose pointer is at pp (of any object pointer type) from
 * old_n to new_n elements of elem bytes, zeroing the new ones if zero. The
 * pointer is read and written with memcpy, not through a void ** (which
 * would break strict aliasing). Returns 0 or TP_ENOMEM (the array as it
 * was). */
static inline int tp_grow_array(void *pp, size_t elem, size_t old_n, size_t new_n, int zero)
{
    void *p;
    memcpy(&p, pp, sizeof(p));
    void *q = realloc(p, new_n * elem);
    if (!q)
        return TP_ENOMEM;
    if (zero && new_n > old_n)
        memset((char *)q + old_n * elem, 0, (new_n - old_n) * elem);
    memcpy(pp, &q, sizeof(q));
    /* q is now the caller's pointer (stored through pp): not a leak */
    // cppcheck-suppress memleak
    return 0;
}

/* TP_GROW(p, old_n, new_n, zero): tp_grow_array for the array p, typed. */
/* Whether a corpus counting with the lists stop_lang (tp_count_opts) gives
 * the word s[0..len) a stopword twin, interned right after it (counts.c). */
int tp_counts_word_has_twin(const struct tp_table *stop_lang, const char *s, size_t len);

#define TP_GROW(p, old_n, new_n, zero) tp_grow_array(&(p), sizeof(*(p)), (old_n), (new_n), (zero))

/* --- counters (spill.c) --------------------------------------------------- */

int tp_counter_init(struct tp_counter *k, int spill, struct tp_error *err);
/* A counter's spill files closed and their buffers freed (none left). */
void tp_counter_close_files(struct tp_counter *k);
void tp_counter_release(struct tp_counter *k);

/* Make a counter's per-id arrays hold at least n ids. */
int tp_counter_reserve(struct tp_counter *k, size_t n);

/* Room for n ids in the counter's touched list. */
int tp_counter_touched_reserve(struct tp_counter *k, size_t n);

/* Room for the per-document records of n documents. */
int tp_counter_reserve_docs(struct tp_counter *k, size_t n);

/* Read the next document's list from a rewound spill (tp_counter_rewind), a
 * block of documents at a time: *ids and *counts point into the counter's
 * buffers (valid until the next call), *n entries. Returns 0, or TP_EIO at a
 * read error / unexpected end. Reports use tp_spill_iter_next, built on it. */
int tp_counter_next(struct tp_counter *k, const uint32_t **ids, const uint64_t **counts, size_t *n,
                    struct tp_error *err);

/* Fold the current document into the totals and append its list, encoded in
 * the same pass, to the spill. */
int tp_counter_end(struct tp_counter *k, struct tp_error *err);

/* Closing a document, id by id: ask for the totals of an id some places on
 * (the ids are scattered over arrays of vocabulary size, so the misses
 * overlap), and fold id's count in the document into them. Returns that
 * count. Used by tp_counter_end and, for --group-by, tp_gsum_add_doc. */
static inline void tp_counter_prefetch(const struct tp_counter *k, uint32_t id)
{
    __builtin_prefetch(&k->total[id], 1);
    __builtin_prefetch(&k->df[id], 1);
}

static inline uint64_t tp_counter_fold(struct tp_counter *k, uint32_t id)
{
    uint64_t c = k->doc[id];
    k->total[id] += c;
    k->df[id]++;
    k->doc[id] = 0;
    return c;
}

/* Count id in the current document and, when it is the document's first
 * occurrence, append it to the touched list (which has room) by moving its
 * end instead of branching. Returns the list's new length. */
static inline size_t tp_count_touch(uint64_t *doc, uint32_t *touched, size_t nt, uint32_t id)
{
    uint64_t old = doc[id];
    doc[id] = old + 1;
    touched[nt] = id;
    return nt + (old == 0);
}

/* Append id to the counter's list of ids seen in the current document. */
static inline int tp_counter_touch(struct tp_counter *k, uint32_t id)
{
    if (k->n_touched == k->touched_cap && tp_counter_touched_reserve(k, k->n_touched + 1))
        return TP_ENOMEM;
    k->touched[k->n_touched++] = id;
    return 0;
}

/* Count id once more in the current document. */
static inline int tp_counter_add(struct tp_counter *k, uint32_t id)
{
    if (k->doc[id]++ == 0)
        return tp_counter_touch(k, id);
    return 0;
}

/* --- terms and adjacency (counts.c) -------------------------------------- */

/* The id of a term, added to the table (flags, room in the counters) when
 * new but not marked seen. Returns the id or TP_ENOMEM. */
int64_t tp_corpus_intern(struct tp_corpus *c, const char *s, size_t len);

/* The term id occurs in the text for the first time, as token `index`. */
static inline void tp_corpus_mark_seen(struct tp_corpus *c, uint32_t id, uint64_t index)
{
    c->r.terms.terms[id].flags |= TP_TERM_SEEN;
    c->r.uni.first[id] = index;
    c->r.n_types++;
    c->r.n_unseen--;
    c->n_unseen_split -= tp_split_term(c, id);
}

/* Ring capacity for the last n tokens: a power of two, so positions wrap with
 * a mask instead of a division. */
static inline unsigned tp_ring_size(unsigned n)
{
    unsigned cap = 1;
    while (cap < n)
        cap *= 2;
    return cap;
}

static inline void tp_ring_push(struct tp_corpus *c, uint32_t id)
{
    c->ring[c->ring_pos] = id;
    c->ring_pos = (c->ring_pos + 1) & (c->ring_cap - 1);
    if (c->ring_len < c->ring_cap)
        c->ring_len++;
}

/* The id `back` tokens before the current one (1 = the previous token). */
static inline uint32_t tp_ring_back(const struct tp_corpus *c, unsigned back)
{
    return c->ring[(c->ring_pos - back) & (c->ring_cap - 1)];
}

/* Add the queued pair keys to the pair table (or take them out, negate).
 * Returns 0, TP_ENOMEM or TP_EDATA (pairs_full). */
int tp_corpus_flush_pairs(struct tp_corpus *c);

/* --- listed terms (match.c) ----------------------------------------------- */

/* The lengths of the listed terms that end with the term id: bit L-1 for
 * L words (0: none). */
static inline unsigned tp_match_ends_of(const struct tp_corpus *c, uint32_t id)
{
    if (c->r.twin_base) /* a stopword twin is its word */
        id = c->r.twin_base[id];
    return id < c->match_end_n ? c->match_end[id].ends : 0;
}

/* Count the listed terms that end with the token rev[0], preceded in its
 * segment by rev[1..n) (rev[i]: the token i before it); n is at least the
 * length of the longest listed term ending with rev[0], or all the segment
 * has. ends: the bits of match_end[rev[0]].ends for the lengths to look for. */
void tp_match_count(struct tp_corpus *c, const uint32_t *rev, unsigned n, unsigned ends);

/* Fold the closed document's listed-term counts (key: its date) into the
 * latest run. Returns 0 or TP_ENOMEM. */
int tp_match_end_doc(struct tp_corpus *c, uint64_t key);

/* Append a cell: count occurrences in docs documents of the date and
 * listed term of key. Returns 0 or TP_ENOMEM. */
int tp_match_cell_add(struct tp_corpus *c, uint64_t key, uint64_t count, uint64_t docs);

/* Note that a run of documents of date key is over (a set of dates: a date
 * seen before makes cells summable). Returns 0 or TP_ENOMEM. */
int tp_match_run_date_seen(struct tp_corpus *c, uint64_t key);

/* Free the matcher's arrays. */
void tp_match_release(struct tp_corpus *c);

/* Write v as a varint (7 bits a byte, low first) at p, which has room for
 * 10 bytes. Returns its length. The spill's large counts and the count
 * state's numbers (docs/state-format.md) are written with it. */
static inline size_t tp_varint_put(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

#endif
