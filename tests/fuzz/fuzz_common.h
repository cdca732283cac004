/*
 * fuzz_common.h - what the reader, counter and writer fuzz targets share:
 * a private temporary folder for the files a target writes, a strict UTF-8
 * check written apart from the library's, a sink that checks the reader's
 * contract and digests every document, and a digest of a corpus's counts
 * that does not depend on the order term ids were given in.
 *
 * Every helper is static inline: each target is one translation unit and
 * uses some of them.
 */
#ifndef TP_FUZZ_COMMON_H
#define TP_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counts.h"
#include "merge.h"
#include "reader.h"
#include "tempora.h"
#include "tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(c)                                                                                \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* --- a temporary folder of the target's own, removed at exit ------------- */

static char fz_dir[256];

static inline void fz_rmdir(void)
{
    static const char *const names[] = {"in.txt",     "in.csv",     "in.jsonl",    "meta.csv",
                                        "in.txt.gz",  "in.csv.gz",  "in.jsonl.gz", "out.csv",
                                        "plain.txt",  "plain.csv",  "plain.jsonl", "stdout.csv",
                                        "in.json",    "in.zip",     "in.tar",      "in.tar.gz",
                                        "in.tar.zst", "in.txt.zst", "in.txt.xz",   "in.txt.bz2"};
    char p[512];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", fz_dir, names[i]);
        unlink(p);
    }
    rmdir(fz_dir);
}

/* The path of name in the target's folder (a static buffer per slot). */
static inline const char *fz_path(const char *name)
{
    static char buf[4][512];
    static unsigned slot;
    if (!fz_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fz_dir, sizeof(fz_dir), "%s/tempora-fuzz-XXXXXX", t && *t ? t : "/tmp");
        FZ_CHECK(mkdtemp(fz_dir) != NULL);
        atexit(fz_rmdir);
    }
    char *p = buf[slot++ & 3];
    snprintf(p, 512, "%s/%s", fz_dir, name);
    return p;
}

static inline void fz_write(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    FZ_CHECK(f != NULL);
    FZ_CHECK(fwrite(p, 1, n, f) == n);
    FZ_CHECK(fclose(f) == 0);
}

/* --- UTF-8, checked from the definition (RFC 3629) ----------------------- */

/* Length of the valid sequence at p[0..n), 0 when there is none. */
static inline size_t fz_utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlongs */
        if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else
        return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return len;
}

static inline int fz_is_utf8(const void *v, size_t n)
{
    const unsigned char *p = v;
    for (size_t i = 0; i < n;) {
        size_t k = fz_utf8_seq(p + i, n - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

/* --- hashing -------------------------------------------------------------- */

/* FNV-1a over bytes, without their length: a text hashed in pieces gives
 * what it gives whole. */
static inline uint64_t fz_bytes(uint64_t h, const void *v, size_t n)
{
    const unsigned char *p = v;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001B3ull;
    return h;
}

static inline uint64_t fz_mix(uint64_t h, const void *v, size_t n)
{
    return (fz_bytes(h, v, n) ^ n) * 0x100000001B3ull;
}

static inline uint64_t fz_mix64(uint64_t h, uint64_t v)
{
    return fz_mix(h, &v, sizeof(v));
}

/* A final mixer, so sums of digests of set members do not cancel. */
static inline uint64_t fz_fin(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

/* --- a sink that checks the reader's contract ---------------------------- */

struct fz_sink {
    int in_doc;
    uint64_t n_docs;
    uint64_t h;   /* every document in order: id, line, date, encoding, part, text */
    int skip_ids; /* leave ids and paths out of h (a .gz read against a plain copy) */
    char *text;   /* every document's text, one after the other */
    size_t text_len, text_cap;
    uint64_t doc_h, doc_len; /* the open document's digest and text length */
};

static inline int fz_begin(void *ctx, const struct tp_doc *d, struct tp_error *err)
{
    struct fz_sink *s = ctx;
    (void)err;
    FZ_CHECK(!s->in_doc);
    FZ_CHECK(d->id != NULL && d->path != NULL);
    FZ_CHECK(d->line >= 1);
    FZ_CHECK(d->part >= 0 && d->part <= 2);
    FZ_CHECK(d->encoding == TP_ENC_UTF8 || d->encoding == TP_ENC_LATIN1 ||
             d->encoding == TP_ENC_CP1252);
    if (d->date.prec != TP_PREC_NONE) {
        FZ_CHECK(d->date.year >= 1 && d->date.year <= 9999);
        FZ_CHECK(d->date.prec < TP_PREC_MONTH || (d->date.month >= 1 && d->date.month <= 12));
        FZ_CHECK(d->date.prec < TP_PREC_DAY || (d->date.day >= 1 && d->date.day <= 31));
    }
    s->in_doc = 1;
    uint64_t h = 1469598103934665603ull;
    if (!s->skip_ids) {
        h = fz_mix(h, d->id, strlen(d->id));
        h = fz_mix(h, d->path, strlen(d->path));
        h = fz_mix64(h, d->line);
    }
    int dv[4] = {d->date.year, d->date.month, d->date.day, (int)d->date.prec};
    h = fz_mix(h, dv, sizeof(dv));
    h = fz_mix64(h, (uint64_t)d->encoding << 8 | (uint64_t)d->part);
    s->doc_h = h;
    s->doc_len = 0;
    return 0;
}

static inline int fz_text(void *ctx, const char *buf, size_t len, struct tp_error *err)
{
    struct fz_sink *s = ctx;
    (void)err;
    FZ_CHECK(s->in_doc);
    FZ_CHECK(fz_is_utf8(buf, len));          /* each chunk ends at a code point boundary */
    s->doc_h = fz_bytes(s->doc_h, buf, len); /* chunking is not part of the digest */
    s->doc_len += len;
    if (s->text_len + len > s->text_cap) {
        size_t cap = (s->text_len + len) * 2 + 64;
        char *t = realloc(s->text, cap);
        FZ_CHECK(t != NULL);
        s->text = t;
        s->text_cap = cap;
    }
    if (len)
        memcpy(s->text + s->text_len, buf, len);
    s->text_len += len;
    return 0;
}

static inline int fz_end(void *ctx, struct tp_error *err)
{
    struct fz_sink *s = ctx;
    (void)err;
    FZ_CHECK(s->in_doc);
    s->in_doc = 0;
    s->n_docs++;
    s->h = fz_mix64(fz_mix64(s->h, s->doc_h), s->doc_len);
    return 0;
}

/* Fold the text digest by content, not by chunk: recomputed from s->text. */
static inline uint64_t fz_text_digest(const struct fz_sink *s)
{
    return fz_mix(1469598103934665603ull, s->text, s->text_len);
}

static inline void fz_sink_reset(struct fz_sink *s)
{
    free(s->text);
    memset(s, 0, sizeof(*s));
}

/* Run the reader of inputs[0..n) under o into s; returns the reader's status
 * (err filled). The sink's digest of a document does not depend on how the
 * reader cut its text into chunks. */
static inline int fz_read(const char *const *inputs, size_t n, const struct tp_opts *o,
                          struct fz_sink *s, struct tp_reader_stats *st, struct tp_error *err)
{
    struct tp_reader *r = NULL;
    int skip_ids = s->skip_ids;
    fz_sink_reset(s);
    s->skip_ids = skip_ids;
    int rc = tp_reader_new(&r, inputs, n, o, NULL, NULL, err);
    if (rc == 0) {
        struct tp_sink sink = {s, fz_begin, fz_text, fz_end, NULL};
        rc = tp_reader_run(r, &sink, NULL, NULL, err);
        if (rc == 0) {
            FZ_CHECK(!s->in_doc);
            FZ_CHECK(tp_reader_stats(r)->n_documents == s->n_docs);
        }
        if (st)
            *st = *tp_reader_stats(r);
    }
    FZ_CHECK(rc <= 0);
    if (rc)
        FZ_CHECK(err->msg[0] != '\0');
    tp_reader_free(r);
    return rc;
}

/* Lines (cut at LF) of p[0..n) holding something other than blanks, a
 * first-line BOM left out: the documents of a --doc-per-line or JSONL file. */
static inline uint64_t fz_nonblank_lines(const uint8_t *p, size_t n)
{
    uint64_t k = 0;
    size_t i = n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    int any = 0;
    for (; i <= n; i++) {
        if (i == n || p[i] == '\n') {
            k += any;
            any = 0;
        } else if (!strchr(" \t\r\f\v", p[i]) || p[i] == 0)
            any = 1;
    }
    return k;
}

/* --- a file of rows (CSV, JSONL) with a --meta file and random options --- */

/* What the first two bytes of a row-file input pick, and where its files
 * are: byte 0 picks --text-col (from text_cols, 4 names), --date-col,
 * --id-col and --encoding, byte 1 --strict, --date-from-name and whether a
 * --meta file is given; with --meta, the rest up to its first NUL byte is the
 * meta CSV and what follows the data file (name), else all of it is. */
struct fz_rows {
    struct tp_opts o;
    const char *data_path, *meta_path; /* meta_path NULL: no --meta */
    const uint8_t *p;                  /* the data file's bytes */
    size_t n;
};

/* Fill c from data[0..size) (size >= 2) and write its files. */
static inline void fz_rows_setup(struct fz_rows *c, const uint8_t *data, size_t size,
                                 const char *name, const char *const text_cols[4])
{
    static const char *const date_cols[] = {"date", "d", "text", "id"};
    static const char *const id_cols[] = {NULL, "id", "name", "text"};
    static const enum tp_encoding encs[] = {TP_ENC_AUTO, TP_ENC_UTF8, TP_ENC_LATIN1, TP_ENC_CP1252};
    struct tp_opts o = TP_OPTS_INIT;
    o.text_col = text_cols[data[0] & 3];
    o.date_col = date_cols[(data[0] >> 2) & 3];
    o.id_col = id_cols[(data[0] >> 4) & 3];
    o.encoding = encs[(data[0] >> 6) & 3];
    o.strict = data[1] & 1;
    o.date_from_name = (data[1] >> 1) & 1;
    c->p = data + 2;
    c->n = size - 2;
    c->data_path = fz_path(name);
    c->meta_path = NULL;
    if ((data[1] >> 2) & 1) {
        const uint8_t *nul = memchr(c->p, 0, c->n);
        size_t ml = nul ? (size_t)(nul - c->p) : c->n;
        c->meta_path = fz_path("meta.csv");
        fz_write(c->meta_path, c->p, ml);
        o.meta_path = c->meta_path;
        c->p += nul ? ml + 1 : ml;
        c->n -= nul ? ml + 1 : ml;
    }
    fz_write(c->data_path, c->p, c->n);
    c->o = o;
}

/* A failure names the data or the meta file ("PATH:"), or is a usage error. */
static inline void fz_rows_check_message(const struct fz_rows *c, const struct tp_error *err)
{
    size_t dl = strlen(c->data_path), ml = c->meta_path ? strlen(c->meta_path) : 0;
    int names = (strncmp(err->msg, c->data_path, dl) == 0 && err->msg[dl] == ':') ||
                (c->meta_path && strncmp(err->msg, c->meta_path, ml) == 0 && err->msg[ml] == ':');
    if (!names && err->code != TP_EUSAGE)
        fprintf(stderr, "unexpected message: %s\n", err->msg);
    FZ_CHECK(names || err->code == TP_EUSAGE);
}

/* A reader made again, and run twice, gives what the first read gave in s
 * (status rc, message err). s is reset. */
static inline void fz_rows_check_rerun(const struct fz_rows *c, struct fz_sink *s, int rc,
                                       const struct tp_error *err)
{
    uint64_t h = s->h, n_docs = s->n_docs;
    size_t text_len = s->text_len;
    const char *in[1] = {c->data_path};
    struct tp_reader *r = NULL;
    struct tp_error err2;
    int rc2 = tp_reader_new(&r, in, 1, &c->o, NULL, NULL, &err2);
    if (rc2 == 0) {
        for (int pass = 0; pass < 2; pass++) {
            fz_sink_reset(s);
            struct tp_sink sink = {s, fz_begin, fz_text, fz_end, NULL};
            rc2 = tp_reader_run(r, &sink, NULL, NULL, &err2);
            FZ_CHECK(rc2 == rc);
            FZ_CHECK(s->n_docs == n_docs && s->h == h && s->text_len == text_len);
            if (rc)
                FZ_CHECK(strcmp(err->msg, err2.msg) == 0);
        }
    } else {
        FZ_CHECK(rc2 == rc && strcmp(err->msg, err2.msg) == 0);
    }
    tp_reader_free(r);
    fz_sink_reset(s);
}

/* --- counting documents: the pipeline's counting sink, reduced ----------- */

struct fz_count {
    struct tp_corpus *corpus;
    struct tp_tokenizer *tk;
    int part;
};

static inline int fz_count_token(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    struct fz_count *c = ctx;
    FZ_CHECK(tp_corpus_token(c->corpus, tok, len, seg) == 0);
    return 0;
}

static inline int fz_count_begin(void *ctx, const struct tp_doc *d, struct tp_error *err)
{
    struct fz_count *c = ctx;
    (void)err;
    FZ_CHECK(tp_tokenizer_flush(c->tk) == 0);
    c->part = d->part;
    if (d->part == 2)
        tp_tokenizer_continue(c->tk);
    else
        tp_tokenizer_reset(c->tk);
    FZ_CHECK(tp_corpus_begin(c->corpus, d->id, &d->date, 0) == 0);
    if (d->part == 2)
        FZ_CHECK(tp_corpus_continue(c->corpus) == 0);
    return 0;
}

static inline int fz_count_text(void *ctx, const char *buf, size_t len, struct tp_error *err)
{
    struct fz_count *c = ctx;
    (void)err;
    FZ_CHECK(fz_is_utf8(buf, len));
    FZ_CHECK(tp_tokenizer_feed(c->tk, buf, len) == 0);
    return 0;
}

static inline int fz_count_end(void *ctx, struct tp_error *err)
{
    struct fz_count *c = ctx;
    FZ_CHECK(tp_tokenizer_finish(c->tk) == 0);
    if (c->part) {
        FZ_CHECK(tp_corpus_suspend(c->corpus, tp_tokenizer_break_pending(c->tk)) == 0);
        return 0;
    }
    return tp_corpus_end(c->corpus, err);
}

static inline int fz_count_undo(void *ctx, int done, struct tp_error *err)
{
    struct fz_count *c = ctx;
    (void)err;
    FZ_CHECK(tp_tokenizer_flush(c->tk) == 0);
    if (done) {
        FZ_CHECK(tp_corpus_undo_end(c->corpus) == 0);
        tp_tokenizer_reset(c->tk);
        return 0;
    }
    FZ_CHECK(tp_corpus_undo_begin(c->corpus) == 0);
    if (c->part == 2)
        tp_tokenizer_continue(c->tk);
    else
        tp_tokenizer_reset(c->tk);
    return 0;
}

static inline int fz_count_batch(void *ctx, const struct tp_token_batch *b)
{
    struct fz_count *c = ctx;
    FZ_CHECK(tp_corpus_tokens16(c->corpus, b->tok, b->len, b->seg, b->n) == 0);
    return 0;
}

/* Count every document of reader r into corpus with tokenizer options to;
 * batch: tokens of up to 16 bytes in batches (tp_corpus_tokens16), as the
 * pipeline counts them, else one at a time (tp_corpus_token). */
static inline int fz_count_reader(struct tp_reader *r, struct tp_corpus *corpus,
                                  const struct tp_tokenizer_opts *to, int batch,
                                  struct tp_reader_stats *st, struct tp_error *err)
{
    struct fz_count c = {corpus, NULL, 0};
    FZ_CHECK(tp_tokenizer_new(&c.tk, to, fz_count_token, &c) == 0);
    if (batch)
        tp_tokenizer_set_batch(c.tk, fz_count_batch);
    struct tp_sink sink = {&c, fz_count_begin, fz_count_text, fz_count_end, fz_count_undo};
    int rc = tp_reader_run(r, &sink, NULL, NULL, err);
    if (st)
        *st = *tp_reader_stats(r);
    tp_tokenizer_free(c.tk);
    return rc;
}

/* --- a digest of a corpus's counts ----------------------------------------
 * Read through the public view (tp_corpus_counts). Terms, n-grams and pairs
 * are digested as sets keyed by their text, so two corpora that gave ids in
 * different orders still compare equal; documents and their per-document
 * lists in order. The listed terms' cells of (date, term) are digested
 * independently of their order and of how a key's counts are split between
 * cells (a corpus counted whole and corpora merged may split them
 * differently): sorted by key, each run of one key summed. */

static inline uint64_t fz_term_h(const struct tp_counts *c, uint32_t id)
{
    const struct tp_term *t = &c->terms.terms[id];
    return fz_mix(7, t->bytes, t->len);
}

static inline uint64_t fz_ngram_h(const struct tp_counts *c, uint32_t id)
{
    const uint32_t *k = tp_tuples_key(&c->ngrams, id);
    uint64_t h = 11;
    for (unsigned i = 0; i < c->ngrams.n; i++)
        h = fz_mix64(h, fz_term_h(c, k[i]));
    return h;
}

/* The per-document lists of counter k (ids in the space key_h digests). */
static inline uint64_t fz_spill_digest(const struct tp_counts *c, struct tp_counter *k, int ngram)
{
    struct tp_error err;
    struct tp_spill_iter it;
    uint64_t h = 13;
    size_t n = 0;
    FZ_CHECK(tp_spill_iter_init(&it, k, k->n_offs, &err) == 0);
    int rc;
    while ((rc = tp_spill_iter_next(&it, &err)) > 0) {
        FZ_CHECK(it.doc == n);
        uint64_t sum = 0;
        for (size_t i = 0; i < it.n; i++)
            sum += fz_fin(
                fz_mix64(ngram ? fz_ngram_h(c, it.ids[i]) : fz_term_h(c, it.ids[i]), it.counts[i]));
        h = fz_mix64(h, sum);
        n++;
    }
    FZ_CHECK(rc == 0);
    FZ_CHECK(n == k->n_offs);
    return fz_mix64(h, k->n_offs);
}

static inline int fz_cell_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct tp_match_cell *)a)->key, y = ((const struct tp_match_cell *)b)->key;
    return x < y ? -1 : x > y;
}

/* The listed terms' cells: a copy sorted by key, each run of one key summed
 * into one (key, count, docs) in key order. The key is the date and the
 * listed term's index, the same in corpora given the same listed terms. */
static inline uint64_t fz_cells_digest(const struct tp_counts *c)
{
    uint64_t h = 19;
    struct tp_match_cell *v = NULL;
    if (c->n_cells) {
        v = malloc(c->n_cells * sizeof(*v));
        FZ_CHECK(v != NULL);
        memcpy(v, c->cells, c->n_cells * sizeof(*v));
        qsort(v, c->n_cells, sizeof(*v), fz_cell_cmp);
    }
    size_t runs = 0;
    for (size_t i = 0; i < c->n_cells;) {
        uint64_t key = v[i].key, count = 0, docs = 0;
        FZ_CHECK(key >> 63 == 1);                         /* a date's half is never 0 */
        FZ_CHECK(tp_match_cell_term(&v[i]) < c->n_match); /* a listed term */
        for (; i < c->n_cells && v[i].key == key; i++) {
            count += v[i].count;
            docs += v[i].docs;
        }
        FZ_CHECK(docs <= count); /* a document in a cell has one occurrence or more */
        if (!count)
            continue;
        h = fz_mix64(fz_mix64(fz_mix64(h, key), count), docs);
        runs++;
    }
    free(v);
    return fz_mix64(h, runs);
}

/* The digest of corpus k's counts (its listed-term runs settled first). */
static inline uint64_t fz_corpus_digest(struct tp_corpus *k)
{
    FZ_CHECK(tp_corpus_match_settle(k) == 0);
    struct tp_counts *c = tp_corpus_counts(k);
    uint64_t h = 17, sum = 0;
    h = fz_mix64(h, c->n_tokens);
    h = fz_mix64(h, c->n_types);
    h = fz_mix64(h, c->n_docs);
    h = fz_mix64(h, (uint64_t)tp_corpus_in_doc(k));
    for (uint32_t id = 0; id < c->terms.n; id++) {
        if (!c->uni.total[id])
            continue;
        uint64_t t = fz_term_h(c, id);
        t = fz_mix64(t, c->uni.total[id]);
        t = fz_mix64(t, c->uni.df[id]);
        t = fz_mix64(t, c->uni.first[id]);
        t = fz_mix64(t, c->terms.terms[id].flags & (TP_TERM_STOP | TP_TERM_SHORT));
        sum += fz_fin(t);
    }
    h = fz_mix64(h, sum);
    for (size_t d = 0; d < c->n_docs; d++) {
        const struct tp_docrec *r = &c->docs[d];
        h = fz_mix(h, r->id, strlen(r->id));
        int dv[4] = {r->date.year, r->date.month, r->date.day, (int)r->date.prec};
        h = fz_mix(h, dv, sizeof(dv));
        h = fz_mix64(h, r->n_tokens);
        h = fz_mix64(h, r->side);
    }
    h = fz_mix64(h, fz_cells_digest(c));
    if (c->o.ngram > 1) {
        sum = 0;
        for (uint32_t id = 0; id < c->ngrams.n_items; id++)
            if (c->ng.total[id])
                sum += fz_fin(fz_mix64(fz_mix64(fz_ngram_h(c, id), c->ng.total[id]), c->ng.df[id]));
        h = fz_mix64(h, sum);
    }
    if (c->o.window) {
        sum = 0;
        for (size_t i = 0; c->pairs.slots && i <= c->pairs.mask; i++) {
            const struct tp_pair_slot *s = &c->pairs.slots[i];
            if (!s->key || !s->count)
                continue;
            uint64_t t =
                fz_mix64(fz_term_h(c, tp_pair_w1(s->key)), fz_term_h(c, tp_pair_w2(s->key)));
            sum += fz_fin(fz_mix64(t, s->count));
        }
        h = fz_mix64(h, sum);
    }
    uint64_t hn[TP_HEAPS_MAX], hv[TP_HEAPS_MAX];
    size_t nh = 0;
    if (tp_counts_heaps(c, hn, hv, &nh))
        abort(); /* out of memory: no digest to compare */
    for (size_t i = 0; i < nh; i++)
        h = fz_mix64(fz_mix64(h, hn[i]), hv[i]);
    if (c->o.spill) {
        h = fz_mix64(h, fz_spill_digest(c, &c->uni, 0));
        if (c->o.ngram > 1)
            h = fz_mix64(h, fz_spill_digest(c, &c->ng, 1));
    }
    return h;
}

#endif
