/*
 * counts.h - the counters the token stream feeds, and the counts reports read.
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
 * The files of this stage:
 *   counts.c   a corpus's life and the counting of tokens; protocol (1) below
 *   spill.c    a counter (per-id arrays) and its spill of per-document lists
 *   match.c    the listed timeline terms: found at each token, summed by date
 *   merge.c    corpora counted apart joined into one; protocol (2), in merge.h
 *   counts_int.h  struct tp_corpus itself and the helpers these files share
 *
 * struct tp_corpus is opaque: its counting state (the token ring, the queued
 * pairs, the undo and split-document flags, the listed-term runs) belongs to
 * the four files above and nothing else reads it. What a report needs is one
 * struct, struct tp_counts, reached with tp_corpus_counts(): plain fields
 * rather than an accessor per value, because the reports walk the term table
 * and the counters' arrays in tight loops and a field is what they read
 * today. It is a view: only the counting functions change it, and a report
 * changes nothing in it but a counter's read position in its spill
 * (tp_spill_iter_*, tp_counter_rewind).
 *
 * Protocol (1), taking a document back: the plain-text reader learns only
 * after it fed part of a document that it is not UTF-8 (then CP1252). It
 * calls its sink's undo(ctx, 0), gives the same bytes through text() once
 * more, and calls undo(ctx, 1) (reader.h, struct tp_sink). The pipeline's
 * sink (count_undo in run_count.c) turns that into, in this order:
 *   tp_corpus_undo_begin(c)  queued pairs flushed; the adjacency state goes
 *                            back to the document's start (or to its
 *                            continuation's, protocol (2)) and pairs are
 *                            from now on taken out of the pair table;
 *   the same tokens again    through tp_corpus_tokens16 / tp_corpus_token:
 *                            this takes exactly their pairs back out;
 *   tp_corpus_undo_end(c)    the document's counts, first occurrences and
 *                            tokens are forgotten, as if tp_corpus_begin had
 *                            not been called.
 * Then the reader begins the document again and feeds it decoded as CP1252.
 * Pairs are undone by a replay because the pair table keeps no per-document
 * state; everything else is per document until tp_corpus_end.
 */
#ifndef TP_COUNTS_H
#define TP_COUNTS_H

#include <stdint.h>
#include <stdio.h>

#include "dates.h"
#include "table.h"
#include "tempora.h"

/* Words in an n-gram or a listed term, at most: the length of the id
 * tuples the counters build on the stack. tp_corpus_new and
 * tp_corpus_add_match refuse more. */
#define TP_KEY_MAX 16

/* Pair window (--window), at most: a token's pairs are queued whole
 * (counts_int.h). tp_corpus_new refuses more. */
#define TP_WINDOW_MAX 100

/* Threads that count or report at once, at most: arrays of this many
 * workers, file parts and thread ids are sized with it (run_count.c,
 * report.c). */
#define TP_MAX_THREADS 64

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

/* --group-by: a counter's occurrences summed by (group, id) as each
 * document closes (tp_count_opts.group_sums; group.c). Dense while groups x
 * ids stays small (TP_GSUM_DENSE_MAX cells) and no sum passes 32 bits:
 * cell[id * cols + g], a row of cols groups by id, so a term's groups share
 * cache lines; past that an open-addressing table of the pairs that occur,
 * at most half full (32 to 64 bytes a pair whatever the number of groups
 * and terms), with 64-bit counts. */
#define TP_GSUM_DENSE_MAX ((size_t)1 << 22)
struct tp_gsum {
    uint64_t *keys;    /* hashed: by slot (group << 32 | id) + 1, 0 empty; NULL: dense */
    uint64_t *count;   /* hashed: by slot */
    uint32_t *cell;    /* dense: by id * cols + group (NULL: nothing yet) */
    size_t mask, n;    /* hashed: mask + 1 slots, n used */
    size_t rows, cols; /* dense: ids and groups the cells cover */
};

/* The first slot to probe for key in a table of mask + 1 slots (struct
 * tp_gsum and the reports' struct tp_gterms share it). */
static inline size_t tp_gsum_hash(uint64_t key, size_t mask)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 29) & mask;
}

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
    size_t seq_next;     /* the first document tp_counter_next has not loaded */
    struct tp_gsum gsum; /* --group-by with o.group_sums: sums by (group, id) */
};

struct tp_docrec {  /* 32 bytes: one per document */
    const char *id; /* owned by the corpus arena */
    uint64_t n_tokens;
    uint32_t group; /* --group-by: the group's id in tp_counts.groups (0: the group "") */
    struct tp_date date;
    uint8_t side; /* keyness: 0 target, 1 reference */
    uint8_t lang; /* --lang auto per document: the language it was counted in
                     (enum tp_lang); TP_LANG_AUTO when not recorded */
};
_Static_assert(sizeof(struct tp_docrec) <= 32, "a document's record stays small");

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
    int spill;                /* keep per-document term counts */
    unsigned ngram;           /* > 1: count n-grams of this many adjacent tokens */
    unsigned window;          /* > 0: count pairs (w1, w2) with w2 at most window tokens after w1 */
    uint64_t max_pair_bytes;  /* > 0: the pair table stops (pairs_full) past this size */
    uint64_t max_ngram_bytes; /* > 0: the n-gram table stops (ngrams_full) about this size */
    const struct tp_table *stop; /* stopword set (may be NULL) */
    unsigned min_length;         /* terms shorter (in code points) are flagged TP_TERM_SHORT */
    /* A corpus that mixes languages (--lang auto): each document's own
     * stopwords. stop_lang holds every word of every language's list, its
     * flags bit (1 << lang) for each language listing it, bit
     * (1 << TP_LANG_AUTO) when on one of the corpus's lists (all bits: a
     * --stopwords word); NULL: one list for every document (stop). A token
     * of a document of language L (tp_corpus_set_lang, TP_LANG_AUTO for the
     * corpus's lists; doc_lang until then) is a stopword iff its word's bit
     * L is set: then it is counted as the
     * word's stopword twin (its bytes and a 0xFF byte, flagged TP_TERM_STOP,
     * tp_counts.twin_base), unless the word is on every list (flagged
     * TP_TERM_STOP itself). So every table that leaves stopwords out follows
     * each document's list with no change; what counts every word (types,
     * listed terms) counts a twin as its word. */
    const struct tp_table *stop_lang;
    enum tp_lang doc_lang;
    int group_sums; /* --group-by: sum each counter by (group, id) as documents close (gsum) */
};

/* Heaps' law checkpoints: (tokens, types) at 1, 2, 4, ... tokens, and N. */
#define TP_HEAPS_MAX 66

/* The counts of a corpus, as reports read them (see the file comment). */
struct tp_counts {
    struct tp_count_opts o;
    struct tp_table terms;   /* term bytes -> ids; flags TP_TERM_STOP, _SHORT, _SEEN */
    struct tp_counter uni;   /* by term id */
    struct tp_tuples ngrams; /* n-grams (o.ngram > 1) ... */
    struct tp_counter ng;    /* ... and their counter, by n-gram id */
    /* pairs: only those of two terms that can be reported (not a stopword,
     * not too short). Adjacency is still that of every token, so leaving the
     * others out changes no reported count. */
    struct tp_pairs pairs;
    int pairs_full;  /* the pair table reached max_pair_bytes */
    int ngrams_full; /* the n-gram table reached max_ngram_bytes */
    /* listed timeline terms, in the order first given: n_match tuples of
     * match_len[m] term ids */
    size_t n_match;
    uint32_t **match_ids;
    unsigned *match_len;
    /* a prefix pattern (`siccit*`): match_prefix[m] is its bytes without the
     * star, match_len[m] 0 and match_ids[m] NULL, and it has no cells (a
     * report sums the terms it matches from the spill); NULL for a term */
    char **match_prefix;
    /* closed documents' counts of listed terms by date, cells of a term and
     * a run of documents of one date (tp_corpus_match_settle first) */
    struct tp_match_cell *cells;
    size_t n_cells;
    /* --group-by: group names by id, id 0 the group "" of documents with no
     * value, the others in first-seen order (group.c; no slots: no groups) */
    struct tp_table groups;
    /* closed documents, in order */
    struct tp_docrec *docs;
    size_t n_docs;
    /* totals */
    uint64_t n_out_of_range; /* documents left out by --from/--to (not in docs) */
    uint64_t n_tokens;
    uint64_t n_types;  /* distinct terms seen in the text */
    uint64_t n_unseen; /* terms in the table not seen in the text (yet) */
    /* o.stop_lang: by term id, the word a stopword twin stands for (the id
     * itself for a word); NULL without stop_lang */
    uint32_t *twin_base;
};

struct tp_corpus;

/* A new empty corpus in *c (o is copied; o->stop is borrowed for the
 * corpus's life); free it with tp_corpus_free. Returns 0, TP_ENOMEM, TP_EIO
 * (no temporary file for the spill) or TP_EUSAGE (o->ngram over TP_KEY_MAX,
 * o->window over TP_WINDOW_MAX), err filled; *c is NULL on failure. */
int tp_corpus_new(struct tp_corpus **c, const struct tp_count_opts *o, struct tp_error *err);

/* Free c and everything it owns (NULL: nothing). */
void tp_corpus_free(struct tp_corpus *c);

/* The per-document lists (the spill) are read no more: close their
 * temporary files, which frees their pages, while the counts stay. No report
 * that reads the lists (freq's DP, tfidf, timeline, keyness, a grouped
 * summary) may follow. Touches only the counters' files. */
void tp_corpus_drop_lists(struct tp_corpus *c);

/* The counts of c, for reading (see the file comment); valid while c is.
 * The const form takes NULL (no corpus yet) for counts of nothing. */
struct tp_counts *tp_corpus_counts(struct tp_corpus *c);
const struct tp_counts *tp_corpus_counts_const(const struct tp_corpus *c);

/* Whether nothing was counted into c yet: no document, no term, no listed
 * term (a run's corpus then takes a worker's in its place). */
int tp_corpus_empty(const struct tp_corpus *c);

/* Whether a document is open (begun or continued, not yet ended). */
int tp_corpus_in_doc(const struct tp_corpus *c);

/* Whether counting reads the tokens' segments: n-grams, pairs or listed
 * terms are counted (single words alone do not look at seg). Fixed once the
 * corpus's listed terms are added. */
int tp_corpus_reads_segments(const struct tp_corpus *c);

/* Register a term a timeline follows, already tokenized into n_tok tokens
 * (borrowed strings, 1 to TP_KEY_MAX of them). Must be called before the
 * first document. A term whose tokens are those of a term registered before
 * is not registered again: listed terms keep the order in which they were
 * first given. Returns 0 (registered), 1 (already registered), TP_EUSAGE (no
 * token, or more than TP_KEY_MAX) or TP_ENOMEM. */
int tp_corpus_add_match(struct tp_corpus *c, const char *const *toks, const size_t *lens,
                        unsigned n_tok);

/* Register a prefix pattern (a timeline series summing every term that
 * begins with the bytes s[0..len), len > 0) in the order of the listed
 * terms; before the first document. Returns 0, 1 (already registered) or
 * TP_ENOMEM. */
int tp_corpus_add_prefix(struct tp_corpus *c, const char *s, size_t len);

/* The open document's language (o.stop_lang: which list its stopwords are
 * on), from its next token on. */
void tp_corpus_set_lang(struct tp_corpus *c, enum tp_lang lang);

/* Record the open document's language (tp_docrec.lang): what states keep
 * and the manifest counts. */
void tp_corpus_set_doc_lang(struct tp_corpus *c, enum tp_lang lang);

/* Whether term id is a stopword twin (o.stop_lang), counting the stopword
 * occurrences of the term twin_base[id]. */
static inline int tp_counts_is_twin(const struct tp_counts *c, uint32_t id)
{
    return c->twin_base && c->twin_base[id] != id;
}

/* Start a document (id copied, date kept, side recorded). */
int tp_corpus_begin(struct tp_corpus *c, const char *id, const struct tp_date *date, int side);

/* Room for n more documents' records (a count state's documents, whose
 * number is known before they are read), so that tp_corpus_begin does not
 * grow the records by doubling, copying them each time. Returns 0 or
 * TP_ENOMEM. */
int tp_corpus_reserve_docs(struct tp_corpus *c, size_t n);

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

/* Protocol (1), taking the open document back (the file comment says who
 * calls what): tp_corpus_undo_begin goes back to the state the document
 * began in, then the same tokens are counted again, which takes their pairs
 * back out of the pair table, then tp_corpus_undo_end forgets the document
 * as if tp_corpus_begin had not been called: its counts, its first
 * occurrences (terms first seen in it are unseen again) and its tokens. Both
 * return 0 or TP_ENOMEM. */
int tp_corpus_undo_begin(struct tp_corpus *c);
int tp_corpus_undo_end(struct tp_corpus *c);

/* Close the current document: fold its counts into the totals and spill them.
 * Returns 0, or TP_EIO when the spill cannot be written (err filled). */
int tp_corpus_end(struct tp_corpus *c, struct tp_error *err);

/* The message for a counting step that failed for want of memory: the pair
 * table at its --max-pair-memory cap (TP_EDATA), else out of memory with what
 * was being built and how to need less (TP_ENOMEM). Returns the code. */
int tp_corpus_oom(const struct tp_corpus *c, struct tp_error *err);

/* Bring every closed document's listed-term counts into the cells of
 * tp_corpus_counts(c) (before a report reads them). Returns 0 or TP_ENOMEM. */
int tp_corpus_match_settle(struct tp_corpus *c);

/* --- reading the spill --------------------------------------------------- */

/* Rewind a counter's spill for reading (writes are flushed first; more
 * documents may be written after). Returns 0, TP_EIO, or TP_EINTERNAL when
 * the counter keeps no spill. */
int tp_counter_rewind(struct tp_counter *k, struct tp_error *err);

/* Every closed document's list of a counter, in document order: the one way
 * a report walks a spill on one thread.
 *
 *     struct tp_spill_iter it;
 *     if ((rc = tp_spill_iter_init(&it, &c->uni, c->n_docs, err)))
 *         goto out;
 *     while ((rc = tp_spill_iter_next(&it, err)) > 0)
 *         ... it.doc, it.ids[0..it.n), it.counts[0..it.n) ...
 *     if (rc < 0)
 *         goto out;
 */
struct tp_spill_iter {
    struct tp_counter *k;
    size_t n_docs;
    size_t doc;             /* the current document's index */
    const uint32_t *ids;    /* its list (the counter's buffers, valid until */
    const uint64_t *counts; /* the next call): ids and counts ... */
    size_t n;               /* ... n entries */
};

/* Rewind k's spill (tp_counter_rewind) for its first n_docs documents.
 * Returns 0 or a negative TP_E* (err filled). */
int tp_spill_iter_init(struct tp_spill_iter *it, struct tp_counter *k, size_t n_docs,
                       struct tp_error *err);

/* Load the next document's list. Returns 1, 0 after the last document, or a
 * negative TP_E* (TP_EIO at a read error or unexpected end; err filled). */
int tp_spill_iter_next(struct tp_spill_iter *it, struct tp_error *err);

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

/* --- results ----------------------------------------------------------- */

/* Heaps' law checkpoints: n[i] tokens (1, 2, 4, ... up to N, then N) and the
 * number of distinct terms among the first n[i] tokens, from each term's first
 * occurrence (so merged corpora give the same checkpoints), *k of them.
 * Returns 0, or TP_ENOMEM (a stopword twin and its word counted as one need
 * a table). */
int tp_counts_heaps(const struct tp_counts *c, uint64_t n[TP_HEAPS_MAX], uint64_t v[TP_HEAPS_MAX],
                    size_t *k);

/* Reported terms: not a stopword, not too short, seen at least once. */
static inline int tp_counts_reportable(const struct tp_counts *c, uint32_t id)
{
    return !(c->terms.terms[id].flags & (TP_TERM_STOP | TP_TERM_SHORT)) && c->uni.total[id] > 0;
}

#endif
