/*
 * report_int.h - what the table files (report_*.c) share, from report.c.
 *
 * Every table is built as an array of rows with a sort key and a name, sorted
 * (key descending, then name bytewise), cut to --top, and written. The
 * per-document spill is re-read once per table that needs it: Gries' DP
 * (needs each term's total first), TF-IDF (needs document frequencies),
 * timelines and keyness (need each document's period or side). On one thread
 * a table walks it with tp_spill_iter_init / tp_spill_iter_next (counts.h);
 * on several, each thread loads blocks of documents with tp_spill_load.
 *
 * To add a table: a report_<name>.c with its tp_report_<name>() declared in
 * report.h, rows built from tp_corpus_counts(run->corpus), sorted with
 * tp_rows_top; a command or analyze calls it (src/cli/).
 */
#ifndef TP_REPORT_INT_H
#define TP_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "counts.h"
#include "report.h"

struct row {
    double key;
    const char *name;
    uint32_t name_len;
    uint32_t id;
};

/* Row order: key descending, then name bytewise (qsort's shape). */
int tp_row_cmp(const void *pa, const void *pb);

/* Put the first k rows in order (of n, moved about). Returns min(k, n). */
size_t tp_rows_top(struct row *rows, size_t n, size_t k);

/* The error for a table that cannot get its memory. Returns TP_ENOMEM. */
int tp_report_oom(struct tp_error *err);

/* Rows to write: all when top < 0, else at most top. */
size_t tp_report_limit(long top, size_t n);

/* Join the words of an id tuple with single spaces, in arena a: the string
 * (NULL: out of memory) and its length in *len. */
char *tp_report_join_words(const struct tp_counts *c, const uint32_t *ids, unsigned n,
                           struct tp_arena *a, uint32_t *len);

/* Whether no word of the tuple is a stopword or too short. */
int tp_report_tuple_reportable(const struct tp_counts *c, const uint32_t *ids, unsigned n);

/* Run fn on each of the n parts (size bytes apart from parts on): parts 1..n
 * on threads of their own, part 0 on this thread, and a part whose thread
 * cannot be started here too, after it. Returns when all are done. */
void tp_report_run_parts(void *(*fn)(void *), void *parts, size_t size, unsigned n);

/* Cut documents [0, n_docs) into n runs (n >= 1) with about as many bytes
 * of k's per-document lists each, for threads that each read a run's lists:
 * run t is [bound[t], bound[t + 1]) (bound holds n + 1 entries). */
void tp_report_doc_runs(const struct tp_counter *k, size_t n_docs, unsigned n, size_t *bound);

/* A unit's rows: fn(arg, t, u, part, err) writes unit u's rows into part, on
 * the thread numbered t (0 .. threads - 1: scratch in arg may be kept by t).
 * Returns 0 or a negative TP_E* (err filled). */
typedef int (*tp_unit_fn)(void *arg, unsigned t, size_t u, struct tp_out *part,
                          struct tp_error *err);
/* Write the rows of n units to out on up to `threads` threads: each unit
 * into a memory part of its own, taken by the next free thread; this thread
 * appends the parts to out in unit order as they are done, and the others
 * stay at most a few units ahead of it (memory: a few units' rows). Returns
 * 0 or the TP_E* of a unit that failed (err filled). */
int tp_report_units(struct tp_out *out, size_t n, unsigned threads, tp_unit_fn fn, void *arg,
                    struct tp_error *err);

/* Sum the term counts of the documents of each group: document d (of the
 * spill of c->uni, read with tp_spill_iter) adds its counts to
 * sums[group(ctx, d)][term id], or nowhere when group gives -1. Returns 0 or
 * a negative TP_E* (err filled). */
int tp_report_sum_terms(struct tp_counts *c, int (*group)(const void *ctx, size_t doc),
                        const void *ctx, uint64_t *const *sums, struct tp_error *err);

/* --- --group-by (report_group.c) --------------------------------------- */

/* The groups of a run: order[0..n) their ids by name, bytewise (the order
 * of every table); rank[id] the place of a group; tokens[id] and docs[id]
 * its documents' tokens and number. */
struct tp_groups {
    size_t n;
    uint32_t *order, *rank;
    uint64_t *tokens, *docs;
};
int tp_report_groups(const struct tp_run *run, struct tp_groups *g, struct tp_error *err);
void tp_groups_release(struct tp_groups *g);

/* A zeroed array of n items of size bytes (NULL when out of memory), freed
 * with tp_report_zfree. A large one is mapped on its own and asked for huge
 * pages: the per-group tables are large and sparse, and touching one costs a
 * page fault per 2 MiB instead of per 4 KiB. */
void *tp_report_zalloc(size_t n, size_t size);
void tp_report_zfree(void *p);

/* Gries' DP, exactly (docs/formulas.md): 0.5 * sum over documents
 * |v_i - s_i|, with v_i = c_i / f (the document's share of the term's f
 * tokens) and s_i = n_i / N (its share of the N tokens DP is taken over).
 * Scaled by f * N each term is the integer |c_i N - f n_i|, and the
 * documents without the term add f n_i each: f (N - occ), occ the tokens of
 * the documents with it. The sum over the documents with it is
 * N (C+ - C-) - f (n+ - n-), where C+ and n+ sum c_i and n_i over those with
 * c_i N >= f n_i (tp_dp_add) and C-, n- over the others: as C+ + C- = f and
 * n+ + n- = occ, three integer sums a term (C+, n+, occ) give it, the same
 * in any order of documents, and DP is one division of it by f N. */
struct tp_dp_sums {
    uint64_t cplus, nplus, occ;
};

/* A document of n tokens holding the term c times adds to its sums (f the
 * term's count, N the tokens DP is taken over). */
static inline void tp_dp_add(struct tp_dp_sums *s, uint64_t c, uint64_t n, uint64_t f, uint64_t N)
{
    /* all ones when c N >= f n, else 0: no branch (its outcome is a coin toss) */
    uint64_t plus = -(uint64_t)((__uint128_t)c * N >= (__uint128_t)f * n);
    s->cplus += c & plus;
    s->nplus += n & plus;
    s->occ += n;
}

static inline double tp_dp_of(const struct tp_dp_sums *s, uint64_t f, uint64_t N)
{
    /* never negative: C+ <= f, n+ <= occ <= N */
    __int128_t sum = (__int128_t)N * (2 * (__int128_t)s->cplus - (__int128_t)f) -
                     (__int128_t)f * (2 * (__int128_t)s->nplus - (__int128_t)s->occ) +
                     (__int128_t)f * (s->occ < N ? N - s->occ : 0);
    /* the ratio in long double (64-bit significands), then rounded */
    return (double)(0.5L * ((long double)sum / (long double)((__uint128_t)f * N)));
}

/* The (group, term) pairs that occur and their counts: count (tp_gterms_count),
 * then documents of the group with the term and Gries' DP over the group's
 * documents (tp_gterms_dp), in arrays by slot (mask + 1 slots, n used). */
struct tp_gterm_dp {
    union {
        struct tp_dp_sums s; /* while the documents are walked (occ: the tokens */
        double dp;           /* of the group's documents with the term), then DP */
    };
    uint64_t df;    /* documents of the group with the term */
    uint64_t count; /* the slot's count again: the DP pass and the rows read one record */
};
struct tp_gterms {
    uint64_t *count;          /* by slot: occurrences; the pass that sums them touches only this */
    struct tp_gterm_dp *more; /* by slot: filled by the second pass, tp_gterms_dp */
    uint64_t *keys;           /* hashed: (group << 32 | id) + 1 by slot, 0 empty; NULL when dense */
    size_t mask, n;
    size_t dense_v; /* > 0: the slot of (g, id) is g * dense_v + id (groups x ids small) */
    int borrowed;   /* keys and count are the counter's sums (struct tp_gsum): not freed */
};
/* Whether slot i holds a pair: then *g and *id say which. */
static inline int tp_gterms_slot(const struct tp_gterms *gt, size_t i, uint32_t *g, uint32_t *id)
{
    if (gt->dense_v) {
        *g = (uint32_t)(i / gt->dense_v);
        *id = (uint32_t)(i % gt->dense_v);
        return gt->count[i] != 0;
    }
    *g = (uint32_t)((gt->keys[i] - 1) >> 32);
    *id = (uint32_t)(gt->keys[i] - 1);
    return gt->keys[i] != 0;
}
/* Counter k's counts (terms or n-grams) by (group, id) into *gt: the sums
 * made as documents closed (k->gsum, under tp_count_opts.group_sums),
 * borrowed, or else summed from k's spill (the caller releases gt, also on
 * failure). */
int tp_gterms_count(struct tp_counts *c, struct tp_counter *k, struct tp_gterms *gt,
                    struct tp_error *err);
/* Gries' DP of every pair of gt within its group (gtokens: tokens by group). */
int tp_gterms_dp(struct tp_counts *c, struct tp_counter *k, struct tp_gterms *gt,
                 const uint64_t *gtokens, struct tp_error *err);
/* The slot of (g, id), SIZE_MAX when it does not occur. */
size_t tp_gterms_find(const struct tp_gterms *gt, uint32_t g, uint32_t id);
void tp_gterms_release(struct tp_gterms *gt);

/* A walk over a counter's spill group by group. When its files can be
 * mapped (mapped), the whole corpus's documents of each group come together,
 * in document order, each read where it lies; else the documents are loaded
 * in chunks of about 4 MiB, in order, and within a chunk each group's
 * documents come together, in document order. A pass that adds each entry
 * to a (group, id) record so touches one group's records at a time (they
 * stay in cache), and every record still sees its documents in document
 * order (sums of doubles come out the same bits as a pass in document
 * order). */
struct tp_gwalk {
    struct tp_counter *k;
    const struct tp_counts *c;
    size_t n_groups;
    struct tp_spill_reader sr;
    size_t d0, d1;   /* the loaded chunk (mapped: the corpus) */
    uint64_t *off;   /* by d - d0: its record's place in sr.block */
    uint32_t *order; /* the chunk's documents (d - d0), by group */
    size_t *at;      /* n_groups + 1: the end of each group's documents in order */
    size_t cap, i, end;
    int mapped;     /* the spill files mapped whole: map[f], map_len[f], ... */
    uint64_t spill; /* ... the bytes of the documents' records in them */
    unsigned char **map;
    size_t *map_len;
    /* tp_gwalk_take's gathering: some groups' records copied together, each group's
     * in document order, so that walking a group reads memory in order */
    unsigned char *gbuf;
    size_t gbuf_cap;     /* its mapping's size */
    uint64_t *gat;       /* n_groups: a group's first byte in gbuf, or UINT64_MAX */
    uint64_t *gbytes;    /* n_groups: the bytes of each group's records */
    uint64_t *gcur;      /* n_groups: where the gathering copies next */
    uint64_t gpos, glen; /* the next record of the group walked in gbuf; bytes in gbuf */
    int in_gbuf;         /* the group walked is read from gbuf */
    uint64_t gather_max; /* the most bytes gathered at once (0: set from the spill) */
    int gfailed;         /* no gathering: the spill too large, or it failed */
    uint64_t gread;      /* spill bytes the gathering has copied (for tests) */
    size_t doc;          /* the current document ... */
    uint32_t group;      /* ... its group ... */
    const uint32_t *ids; /* ... and its list */
    const uint64_t *counts;
    size_t n;
};
/* Start a walk over k's spill for c's documents, whose groups are below
 * n_groups. Returns 0 or a negative TP_E* (err filled; release w anyway). */
int tp_gwalk_init(struct tp_gwalk *w, struct tp_counts *c, struct tp_counter *k, size_t n_groups,
                  struct tp_error *err);
/* The next document (w->doc, w->group, w->ids, w->counts, w->n). Returns 1,
 * 0 after the last, or a negative TP_E* (err filled). */
int tp_gwalk_next(struct tp_gwalk *w, struct tp_error *err);
/* A mapped walk: the next tp_gwalk_next calls give group g's documents
 * alone, in document order. */
void tp_gwalk_group(struct tp_gwalk *w, uint32_t g);
/* The spill over TP_GATHER_PASSES is what a batch of gathered groups holds
 * at least (each batch a pass over the documents: at most 2 *
 * TP_GATHER_PASSES + 1 of them, as groups do not fill batches whole), and
 * TP_GATHER_MOST at most (w->gather_max 0 picks the spill over
 * TP_GATHER_PASSES, at least 16 MiB and at most this). */
enum { TP_GATHER_PASSES = 8, TP_GATHER_MOST = 64 << 20 };
/* A mapped walk taking the groups order[0..n) one after the other: the
 * next tp_gwalk_next calls give group order[r]'s documents. When it is not
 * gathered yet and there is more than one group, it is gathered first with
 * the groups after it: the records of as many as fit w->gather_max bytes
 * copied into one buffer, group after group, so that the walk reads memory
 * in order instead of one record at a random place in the spill per
 * document (none when the group does not fit, memory is short or the spill
 * is over TP_GATHER_PASSES times w->gather_max: then it is read in place;
 * gathering again drops the groups gathered before). Returns how many
 * groups were gathered now (0: none, or it was gathered already). */
size_t tp_gwalk_take(struct tp_gwalk *w, const uint32_t *order, size_t n, size_t r);
void tp_gwalk_release(struct tp_gwalk *w);

/* A row of a grouped table: the group's place first, then tp_row_cmp. */
struct grow {
    struct row r;
    uint32_t rank, group;
    size_t slot; /* in the struct tp_gterms */
};
/* Sort keys[0..n) with their payloads idx ascending by key, stable: LSD
 * radix, 8 bits a pass, over the low `bits` bits (the others are 0), with
 * scratch arrays k2 and i2 of n entries. */
void tp_radix_sort_keys(uint64_t *keys, uint32_t *idx, size_t n, unsigned bits, uint64_t *k2,
                        uint32_t *i2);
/* Bits to hold v. */
static inline unsigned tp_bits_of(uint64_t v)
{
    return v ? 64 - (unsigned)__builtin_clzll(v) : 0;
}
/* Sort counts a[0..n) descending (a radix sort). Returns 0 or TP_ENOMEM. */
int tp_sort_counts_desc(uint64_t *a, size_t n);

/* The group column's cell: group g's name. */
void tp_out_group(struct tp_out *out, const struct tp_run *run, uint32_t g);

/* What a table counts: terms, or n-grams with --ngram N (c->o.ngram > 1),
 * as term records (bytes, length, flags) by id, and their counter. */
struct tp_ids {
    const struct tp_term *terms; /* c->terms.terms, or built for the n-grams */
    struct tp_counter *k;        /* &c->uni or &c->ng */
    size_t n;                    /* ids */
    struct tp_term *built;       /* the n-grams' records (owned) */
    struct tp_arena names;       /* their names: the words joined by spaces */
};

/* Fill ids for c: an n-gram's record has its words joined by single spaces
 * and the stopword and too-short flags of any of its words. Release with
 * tp_report_ids_release. Returns 0 or TP_ENOMEM. */
int tp_report_ids(struct tp_counts *c, struct tp_ids *ids);
void tp_report_ids_release(struct tp_ids *ids);

/* Whether id of ids is reported: not a stopword, not too short, seen. */
static inline int tp_ids_reportable(const struct tp_ids *ids, uint32_t id)
{
    return !(ids->terms[id].flags & (TP_TERM_STOP | TP_TERM_SHORT)) && ids->k->total[id] > 0;
}

/* tp_report_sum_terms over the lists of counter k. */
int tp_report_sum_ids(struct tp_counts *c, struct tp_counter *k,
                      int (*group)(const void *ctx, size_t doc), const void *ctx,
                      uint64_t *const *sums, struct tp_error *err);

/* The prefix patterns among the listed terms (c->match_prefix), as a map
 * from term id to the patterns it matches: the patterns of id i are
 * (*list)[(*off)[i] .. (*off)[i + 1]) (listed-term indexes, ascending);
 * *off has c->terms.n + 1 entries. Every term of the table is matched (the
 * vocabulary is sorted once when there are many patterns). Both are NULL
 * when no pattern is listed. Caller frees both. Returns 0 or TP_ENOMEM. */
int tp_report_prefix_map(const struct tp_counts *c, uint32_t **off, uint32_t **list);

/* Whether term bytes t[0..tlen) begin with the pattern p. */
static inline int tp_has_prefix(const char *t, size_t tlen, const char *p, size_t plen)
{
    return tlen >= plen && memcmp(t, p, plen) == 0;
}

/* Each document's period, as an index from pi's first (dper[d]; -1 when the
 * document is undated or its date is coarser than pi's period), and the
 * tokens of the documents of each period (ptok[p], or ptok[g * n_per + p] by
 * group id g when grouped), added to what ptok holds. Returns the number of
 * documents with a period. Shared by the timeline and `tempora trends`
 * (report_timeline.c). */
size_t tp_report_doc_periods(const struct tp_counts *c, const struct tp_period_info *pi,
                             int grouped, int64_t *dper, uint64_t *ptok);

#endif
