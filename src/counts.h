/*
 * counts.h - the counters the token stream feeds.
 *
 * A corpus holds the term table (term bytes -> ids), one record per document
 * (id, date, token count), and counters on term ids: corpus totals, document
 * frequencies and, when a report needs them, a spill of every document's
 * (term id, count) list. The per-document counts are kept in a dense array
 * indexed by term id plus a "touched" list, so a token costs one increment and
 * closing a document costs its number of distinct terms. The spill is a
 * temporary file re-read once the corpus totals are known (Gries' DP, TF-IDF,
 * timelines, keyness): memory stays proportional to the vocabulary, not to the
 * corpus. Optional counters: n-grams of adjacent tokens (keyed by id tuples,
 * with their own spill), word pairs within a window (collocations), and a
 * matcher for the listed timeline terms (multi-word terms included).
 *
 * Two corpora counted separately merge exactly (tp_corpus_merge): term ids are
 * remapped through the destination's table and spills appended in order.
 */
#ifndef TP_COUNTS_H
#define TP_COUNTS_H

#include <stdint.h>
#include <stdio.h>

#include "dates.h"
#include "table.h"
#include "tempora.h"

/* A reader of a run of documents' lists in a spill, for threads that read
 * documents of their own: each holds its own buffers. */
struct tp_spill_reader {
    uint32_t *ids;    /* the current document's list: ids ... */
    uint64_t *counts; /* ... and counts, n entries */
    size_t n, cap;
    unsigned char *block; /* the encoded lists of the loaded documents */
    size_t block_len, block_cap, pos;
    const uint32_t **maps; /* by loaded document: its file's id map (NULL: none) */
    size_t n_maps, maps_cap, at;
};

/* A file of documents' lists: a counter's own, or one taken over from a
 * corpus merged into it, whose ids are that corpus's (map translates them). */
struct tp_spill_file {
    FILE *f;
    char *buf;     /* f's stdio buffer (freed after f is closed) */
    uint32_t *map; /* the file's ids -> the counter's ids; NULL: the counter's own */
    size_t map_n;  /* ids map translates */
};

/* A counter over an id space (terms or n-grams). */
struct tp_counter {
    uint64_t *total;   /* occurrences in the corpus, by id */
    uint64_t *df;      /* documents containing the id */
    uint64_t *doc;     /* occurrences in the current document */
    uint64_t *first;   /* corpus token index of the first occurrence (Heaps' law) */
    uint32_t *touched; /* ids with doc[id] > 0, in first-seen order */
    size_t n_touched, touched_cap;
    size_t cap;  /* allocated length of the per-id arrays */
    FILE *spill; /* the counter's own lists (files[0].f), or NULL when not kept */
    uint64_t spill_bytes;
    struct tp_spill_file *files; /* files[0]: the own file; then those of merged corpora */
    size_t n_files;
    /* by document, in order: its file, offset and encoded length */
    uint64_t *offs;
    uint32_t *lens;
    uint16_t *file_of;
    size_t n_offs, offs_cap;
    /* a document's list as it is written, and tp_counter_next's reader */
    unsigned char *w_buf;
    size_t w_cap;
    struct tp_spill_reader seq;
    size_t seq_next; /* the first document tp_counter_next has not loaded */
};

struct tp_docrec {
    const char *id; /* owned by the corpus arena */
    struct tp_date date;
    uint64_t n_tokens;
    uint8_t side; /* keyness: 0 target, 1 reference */
};

/* Bits of the filter that spares most probes for tuples not listed: 16 KiB,
 * which stays in the core's first-level cache. */
#define TP_MATCH_FILTER_LOG2 17

/* The listed terms that end with one term id. */
struct tp_match_end {
    uint32_t one;  /* the listed term that is this word alone: index + 1 (0: none) */
    uint32_t ends; /* bit L-1: some listed term of L words ends with it */
};

/* A slot of the hash table of listed terms of several words: the term's
 * index + 1 (0: empty), its length and last two ids, so that a probe
 * compares a term of two words without reading it. */
struct tp_match_slot {
    uint32_t m1;
    uint32_t len;
    uint32_t prev, last;
};

/* The counts of one listed term in the closed documents of one date. */
struct tp_match_cell {
    uint64_t key;   /* tp_match_key(date) << 32 | term index */
    uint64_t count; /* occurrences */
    uint64_t docs;  /* documents with at least one */
};

/* A date as a cell key's upper half (never 0) and back. */
static inline uint64_t tp_match_key(const struct tp_date *d)
{
    return (uint64_t)1 << 31 | (uint64_t)d->prec << 25 | (uint64_t)d->year << 9 |
           (uint64_t)d->month << 5 | (uint64_t)d->day;
}

static inline struct tp_date tp_match_cell_date(const struct tp_match_cell *cell)
{
    uint64_t k = cell->key >> 32;
    struct tp_date d = {(int)(k >> 9 & 0xFFFF), (int)(k >> 5 & 0xF), (int)(k & 0x1F),
                        (enum tp_precision)(k >> 25 & 3)};
    return d;
}

static inline uint32_t tp_match_cell_term(const struct tp_match_cell *cell)
{
    return (uint32_t)cell->key;
}

struct tp_count_opts {
    int spill;               /* keep per-document term counts */
    unsigned ngram;          /* > 1: count n-grams of this many adjacent tokens */
    unsigned window;         /* > 0: count pairs (w1, w2) with w2 at most window tokens after w1 */
    uint64_t max_pair_bytes; /* > 0: the pair table stops (pairs_full) past this size */
    const struct tp_table *stop; /* stopword set (may be NULL) */
    unsigned min_length;         /* terms shorter (in code points) are flagged TP_TERM_SHORT */
};

/* Heaps' law checkpoints: (tokens, types) at 1, 2, 4, ... tokens, and N. */
#define TP_HEAPS_MAX 66

struct tp_corpus {
    struct tp_count_opts o;
    struct tp_table terms;
    struct tp_counter uni;
    /* n-grams */
    struct tp_tuples ngrams;
    struct tp_counter ng;
    /* pairs: only those of two terms that can be reported (lone[id] = 0:
     * not a stopword, not too short). Adjacency is still that of every
     * token, so leaving the others out changes no reported count. */
    struct tp_pairs pairs;
    uint8_t *lone; /* by term id */
    size_t lone_cap;
    uint64_t pend[512]; /* pair keys not yet added (added in batches) */
    size_t n_pend;
    int negate;     /* tp_corpus_undo_begin: the queued pairs are taken out, not added */
    int pairs_full; /* the pair table reached max_pair_bytes */
    /* listed timeline terms, so found that a token costs the same however
     * many are listed: by the id of their last word, match_end says which
     * lengths end there (a token that ends none costs one load) and which
     * one-word term it is; terms of several words are looked up by their
     * tuple in a hash table of their own (at most 15 probes a token). */
    size_t n_match, n_multi; /* listed terms, those of several words */
    uint32_t **match_ids;    /* n_match tuples of term ids */
    unsigned *match_len;
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
     * cells when a document of another date closes. */
    struct tp_match_cell *cells;
    size_t n_cells, cells_cap;
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
    /* a document counted in parts (tp_corpus_continue, tp_corpus_suspend) */
    int continues;   /* the open document continues the one before */
    int brk_after;   /* a segment break after the last token (suspended) */
    uint32_t *head;  /* continuing: the first tokens, while still in segment 0 */
    unsigned head_n; /* entries in head (at most ring_cap) */
    int head_open;   /* still recording head */
    /* documents */
    struct tp_docrec *docs;
    size_t n_docs, docs_cap;
    struct tp_arena arena;
    int in_doc;
    uint64_t doc_start; /* n_tokens when the current document began */
    int context;        /* n-grams, pairs or listed terms are counted */
    int pairs_only;     /* ... and only pairs, within a window of at most 64 */
    /* totals */
    uint64_t n_tokens;
    uint64_t n_types;  /* distinct terms seen in the text */
    uint64_t n_unseen; /* terms in the table not seen in the text (yet) */
};

/* Prepare an empty corpus (o is copied; o->stop is borrowed for the corpus's
 * life). Returns 0, or TP_ENOMEM / TP_EIO (no temporary file for the spill). */
int tp_corpus_init(struct tp_corpus *c, const struct tp_count_opts *o, struct tp_error *err);

/* Register a term a timeline follows, already tokenized into n_tok tokens
 * (borrowed strings, 1 to 16 of them). Must be called before the first
 * document. A term whose tokens are those of a term registered before is not
 * registered again: listed terms keep the order in which they were first
 * given. Returns 0 (registered), 1 (already registered) or TP_ENOMEM. */
int tp_corpus_add_match(struct tp_corpus *c, const char *const *toks, const size_t *lens,
                        unsigned n_tok);

/* Start a document (id copied, date kept, side recorded). */
int tp_corpus_begin(struct tp_corpus *c, const char *id, const struct tp_date *date, int side);

/* Count one token of the current document (the tokenizer's callback shape). */
int tp_corpus_token(struct tp_corpus *c, const char *tok, size_t len, uint32_t seg);

/* Tokens tp_corpus_tokens16 takes at most. */
#define TP_CORPUS_BATCH 64

/* Count n <= TP_CORPUS_BATCH tokens of 1 to 16 bytes: token i is
 * tok[16 i .. 16 i + len[i]), zero padded to 16 bytes, in segment seg[i] (a
 * struct tp_token_batch). The same as n calls of tp_corpus_token, with the table slots
 * and counters each token needs fetched ahead so their cache misses overlap. */
int tp_corpus_tokens16(struct tp_corpus *c, const char *tok, const uint8_t *len,
                       const uint32_t *seg, size_t n);

/* Mark the document just begun as the continuation of a document whose
 * earlier part another corpus counts (it must be this corpus's only document,
 * before its first token). Its tokens in segment 0 continue that part's last
 * segment; tp_corpus_merge joins them. Returns 0 or TP_ENOMEM. */
int tp_corpus_continue(struct tp_corpus *c);

/* Stop counting the current document without closing it, because its text
 * goes on in another corpus (brk: the tokenizer saw a segment break after the
 * last token). The document stays open; merging this corpus leaves it open in
 * the destination, where a continuing corpus goes on with it and
 * tp_corpus_end closes it. Returns 0 or TP_ENOMEM. */
int tp_corpus_suspend(struct tp_corpus *c, int brk);

/* Taking the open document back (the reader found it is not what it took it
 * for): tp_corpus_undo_begin goes back to the state the document began in,
 * then the same tokens are counted again, which takes their pairs back out of
 * the pair table, then tp_corpus_undo_end forgets the document as if
 * tp_corpus_begin had not been called: its counts, its first occurrences
 * (terms first seen in it are unseen again) and its tokens. Both return 0 or
 * TP_ENOMEM. */
int tp_corpus_undo_begin(struct tp_corpus *c);
int tp_corpus_undo_end(struct tp_corpus *c);

/* Close the current document: fold its counts into the totals and spill them.
 * Returns 0, or TP_EIO when the spill cannot be written (err filled). */
int tp_corpus_end(struct tp_corpus *c, struct tp_error *err);

/* Merge src into dst exactly as if src's documents had been counted by dst
 * after its own (same options and listed terms required): term ids are
 * remapped through dst's table, totals, document frequencies and first
 * occurrences combined, pair and n-gram counts remapped, document records
 * appended in order. src's spill files move to dst as they are, with the map
 * from src's ids to dst's, so no list is rewritten: src keeps its counts but
 * no longer its per-document lists. A suspended document of src stays open
 * in dst; a continuing src (tp_corpus_continue) goes on with dst's open
 * document, including the pairs, n-grams and listed terms that span the cut.
 * Returns 0 or a negative TP_E* (err filled). */
int tp_corpus_merge(struct tp_corpus *dst, const struct tp_corpus *src, struct tp_error *err);

/* The message for a counting step that failed for want of memory: the pair
 * table at its --max-pair-memory cap (TP_EDATA), else out of memory with what
 * was being built and how to need less (TP_ENOMEM). Returns the code. */
int tp_corpus_oom(const struct tp_corpus *c, struct tp_error *err);

/* Rewind a counter's spill for reading (writes are flushed first; more
 * documents may be written after). */
int tp_counter_rewind(struct tp_counter *k, struct tp_error *err);

/* Read the next document's list from a rewound spill, a block of documents
 * at a time: *ids and *counts point into the counter's buffers (valid until
 * the next call), *n entries.
 * Returns 0, or TP_EIO at a read error / unexpected end. */
int tp_counter_next(struct tp_counter *k, const uint32_t **ids, const uint64_t **counts, size_t *n,
                    struct tp_error *err);

/* Load the lists of documents [d0, d1) of k's spill into sr with pread, so
 * readers on several threads need no shared position (the spill must have
 * been flushed: tp_counter_rewind). Ids come out in k's id space whatever
 * file a list is in. Returns 0 or a negative TP_E* (err
 * filled). */
int tp_spill_load(const struct tp_counter *k, size_t d0, size_t d1, struct tp_spill_reader *sr,
                  struct tp_error *err);

/* Decode the next loaded document's list into sr->ids, sr->counts, sr->n.
 * Returns 0 or TP_EIO (err filled). */
int tp_spill_next(struct tp_spill_reader *sr, struct tp_error *err);

void tp_spill_reader_release(struct tp_spill_reader *sr);

/* Heaps' law checkpoints: n[i] tokens (1, 2, 4, ... up to N, then N) and the
 * number of distinct terms among the first n[i] tokens, from each term's first
 * occurrence (so merged corpora give the same checkpoints). Returns the count. */
size_t tp_corpus_heaps(const struct tp_corpus *c, uint64_t n[TP_HEAPS_MAX],
                       uint64_t v[TP_HEAPS_MAX]);

/* Reported terms: not a stopword, not too short, seen at least once. */
static inline int tp_corpus_reportable(const struct tp_corpus *c, uint32_t id)
{
    return !(c->terms.terms[id].flags & (TP_TERM_STOP | TP_TERM_SHORT)) && c->uni.total[id] > 0;
}

/* Bring every closed document's listed-term counts into c->cells (before a
 * report reads them). Returns 0 or TP_ENOMEM. */
int tp_corpus_match_settle(struct tp_corpus *c);

void tp_corpus_release(struct tp_corpus *c);

#endif
