/*
 * state_int.h - what state_read.c, state_load.c and state_write.c share
 * beyond state.h. Nothing else includes it.
 *
 * The file's constants; the section reader (struct tp_state_rd: the file,
 * the current section's tag, flags and payload left, the running XXH3 of
 * its payload, a block buffer) with the calls that read a section's
 * payload and check its end; the head a reader gets from the OPTS, STAT
 * and STOP sections (struct tp_state_hdr); and the options of a run as a
 * state records them (struct tp_state_opt), written by state_write.c and
 * compared by state_load.c.
 */
#ifndef TP_STATE_INT_H
#define TP_STATE_INT_H

#include <stdint.h>
#include <stdio.h>
#include <xxhash.h>

#include "state.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "count states are read with the spill's native records: a little-endian host is needed"
#endif

/* A section flag: a reader that does not know the tag must refuse the file. */
enum { TP_STATE_REQUIRED = 1 };

/* Bounds a reader holds a file to before it allocates. */
enum {
    TP_STATE_MAX_TERM_BYTES = 1 << 20,
    TP_STATE_MAX_ID_BYTES = 1 << 20,
    TP_STATE_MAX_OPT_BYTES = 1 << 16
};

/* A count of 255 or more in a spill record: 255, then the rest as a varint. */
enum { TP_STATE_SPILL_BIG = 255 };

/* --- reading (state_read.c) ------------------------------------------------ */

struct tp_state_rd {
    FILE *f;
    const char *path;
    struct tp_error *err;
    XXH3_state_t *h;
    uint64_t left;  /* payload bytes left in the current section */
    uint64_t size;  /* the file's size */
    char tag[5];    /* the current section */
    uint32_t flags; /* its flags */
    uint64_t at;    /* file offset of the next byte read from the file */
    /* the current section's payload: read (and hashed) a block at a time */
    uint64_t sec_start, sec_len; /* its file offset and length */
    uint64_t unread;             /* bytes not yet read from the file */
    unsigned char *buf;          /* a block read, bpos of blen bytes used */
    size_t bpos, blen;
    uint32_t version; /* the file's format version (1 or 2) */
};

static inline uint32_t tp_state_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t tp_state_le64(const unsigned char *p)
{
    return (uint64_t)tp_state_le32(p) | (uint64_t)tp_state_le32(p + 4) << 32;
}

/* Open path and check its magic and version (r is closed with
 * tp_state_rd_close whatever this returns). */
int tp_state_rd_open(struct tp_state_rd *r, const char *path, struct tp_error *err);
void tp_state_rd_close(struct tp_state_rd *r);
/* TP_EPARSE: "not a usable count state: what", naming the file and section. */
int tp_state_rd_fail(struct tp_state_rd *r, const char *what);
/* n payload bytes of the current section (hashed as blocks are read). */
int tp_state_rd_get(struct tp_state_rd *r, void *p, size_t n);
/* A varint (LEB128: 7 bits a byte, low first) of the current section. */
int tp_state_rd_var(struct tp_state_rd *r, uint64_t *v);
/* A string of at most max bytes (u32 length, bytes), NUL-terminated into a
 * new *s. */
int tp_state_rd_str(struct tp_state_rd *r, size_t max, char **s, uint32_t *len);
/* The file offset of the next payload byte to be used. */
uint64_t tp_state_rd_offset(const struct tp_state_rd *r);
/* Expect section tag next (optional sections of other tags are skipped). */
int tp_state_sec_expect(struct tp_state_rd *r, const char *tag);
/* The end of the current section: all of it read, its checksum right. */
int tp_state_sec_end(struct tp_state_rd *r);
/* Pass over the current section's payload: read and its checksum checked
 * (verify), or only sought past; tp_state_sec_skip verifies. */
int tp_state_sec_skip_how(struct tp_state_rd *r, int verify);
int tp_state_sec_skip(struct tp_state_rd *r);

/* --- the head: options, statistics, stopwords (state_read.c) -------------- */

/* The options a state records, by key: counting options are compared with
 * the run's (the error names the option); the others are kept for the
 * record. */
struct tp_state_kv {
    char *key, *val;
};

struct tp_state_stats {
    uint64_t n_docs, n_tokens, n_terms, n_ngrams, n_pairs;
    uint64_t n_files, input_bytes, overlong;
    uint64_t rs[7];
    uint64_t pairs_full, ngrams_full, lang, extra_langs;
};
enum { TP_STATE_N_STAT = 19 };

struct tp_state_hdr {
    struct tp_state_kv *kv;
    size_t n_kv;
    struct tp_state_stats st;
    char **stop;
    size_t n_stop;
    unsigned lost; /* TP_STATE_LOST_* (version 2: STAT's 20th number) */
};

/* Read the OPTS, STAT and STOP sections into h (freed with
 * tp_state_hdr_free whatever this returns). */
int tp_state_rd_head(struct tp_state_rd *r, struct tp_state_hdr *h);
void tp_state_hdr_free(struct tp_state_hdr *h);
/* The value recorded for key, or NULL. */
const char *tp_state_hdr_opt(const struct tp_state_hdr *h, const char *key);
/* A decimal of at most max: 0, or -1 when s is not one. */
int tp_state_parse_uint(const char *s, unsigned long max, unsigned long *v);
/* One record of a TERM section (bytes, first occurrence, total, document
 * frequency: *str a new NUL-terminated copy) checked against the state's
 * totals s: 0, or an error naming the file (a damaged record). */
int tp_state_rd_term(struct tp_state_rd *r, const struct tp_state_stats *s, char **str,
                     uint32_t *len, uint64_t *first, uint64_t *total, uint64_t *df);
/* One record of a DOCS section (id: *str a new NUL-terminated copy; the
 * 16 bytes of date and token count in b, the date in *date, the count in
 * *n_tokens) checked against the state's totals s, *tokens (the documents'
 * tokens before it) moved past it: 0, or an error naming the file. */
int tp_state_rd_doc(struct tp_state_rd *r, const struct tp_state_stats *s, uint64_t *tokens,
                    char **str, uint32_t *len, unsigned char b[16], struct tp_date *date,
                    uint64_t *n_tokens);

/* --- the options of a run, as a state records them (state_write.c) -------- */

/* One option: key, value, whether a reader must know it, the option it
 * comes from (for messages), whether it is compared. */
struct tp_state_opt {
    const char *key;
    char val[64];
    const char *text; /* a long value (not copied), or NULL: val */
    int required;
    const char *option;
    int compared;
};

enum { TP_STATE_N_OPTS = 16 };

/* The run's options into o (TP_STATE_N_OPTS of room): their number. */
size_t tp_state_run_opts(const struct tp_run *run, struct tp_state_opt *o);

/* --- checks (state_load.c) ------------------------------------------------ */

/* The state's counting options (head h of path) against the run's:
 * TP_EDATA naming the first that differs. */
int tp_state_check_opts(const struct tp_run *run, const struct tp_state_hdr *h, const char *path,
                        struct tp_error *err);
/* The date of a document record (year LE32, month, day, precision at b[0..7))
 * into *d when it is one a state may hold: 0, or -1. */
int tp_state_get_date(const unsigned char *b, struct tp_date *d);
/* A document's list (n entries in len bytes; spill record without its
 * header): ids below n_ids, counts well formed, their sum in *sum. 0 or -1. */
int tp_state_check_list(const unsigned char *p, size_t len, uint32_t n, uint64_t n_ids,
                        uint64_t *sum);

/* --- writing (state_write.c) ------------------------------------------------ */

/* How a state is written from a corpus whose documents merge --replace
 * changed (state_replace.c): the terms and n-grams in the first-seen order
 * of the documents kept, with first occurrences of its own. */
struct tp_state_plan {
    const uint32_t *term_new; /* by corpus term id: the id written (UINT32_MAX: left out) */
    const uint32_t *term_old; /* by id written: the corpus's term id, n_terms of them */
    size_t n_terms;
    const uint64_t *first;  /* by corpus term id: the first occurrence written */
    const uint32_t *ng_new; /* the same for n-grams (NULL without --ngram) */
    const uint32_t *ng_old;
    size_t n_ng;
    unsigned lost; /* TP_STATE_LOST_* this writing adds */
};

/* The output: a regular temporary file (tp_out) and the running XXH3 of
 * the open section, whose length is patched in when it is closed. */
struct tp_state_wr {
    FILE *f;
    XXH3_state_t *h;
    off_t start; /* the open section's payload offset */
    int bad;     /* a write failed */
};
void tp_state_put(struct tp_state_wr *w, const void *p, size_t n);
void tp_state_put32(struct tp_state_wr *w, uint32_t v);
void tp_state_put64(struct tp_state_wr *w, uint64_t v);
void tp_state_put_var(struct tp_state_wr *w, uint64_t v);
void tp_state_put_str(struct tp_state_wr *w, const char *s, size_t len);
void tp_state_sec_open(struct tp_state_wr *w, const char *tag, uint32_t flags);
void tp_state_sec_close(struct tp_state_wr *w);

/* The magic and version; the OPTS and STOP sections of run. */
void tp_state_write_head(struct tp_state_wr *w);
void tp_state_write_opts(struct tp_state_wr *w, const struct tp_run *run);
void tp_state_write_stop(struct tp_state_wr *w, const struct tp_run *run);

/* The ids of table t in the order of their bytes (memcmp, the shorter
 * first): by_rank[r] is the r-th id, rank[id] its place (t->n of room
 * each). The order of a state's pairs. Returns 0 or TP_ENOMEM. */
int tp_state_bytes_order(const struct tp_table *t, uint32_t *by_rank, uint32_t *rank);

/* tp_state_write, with plan (NULL: the corpus as it is). */
int tp_state_write_plan(struct tp_run *run, const char *path, const struct tp_state_plan *plan,
                        struct tp_error *err);

#endif
