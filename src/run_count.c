/*
 * run_count.c - counting the documents of a reader into the run's corpus:
 * tp_run_count, on one thread or several (see pipeline.h). pipeline.c sets
 * the run up (language, stopwords, listed terms, the first corpus) and calls
 * nothing here; the CLI (cli/common.c) calls tp_run_count once for each
 * reader of the inputs.
 *
 * The counting sink is struct count_ctx: the reader's tp_sink callbacks
 * (count_begin/text/end/undo) drive one tokenizer whose tokens go to one
 * corpus, through the per-document language (tp_doclang, pipeline.c), the
 * --stem / --lemmas mapper (stem.h), the --from/--to range and the
 * --group-by group. count_into runs one reader through one sink: the
 * one-thread path and each worker's body. On several threads (struct
 * worker: a part) each part, a run of files or a range of one large file,
 * is counted into a corpus of its own; a thread done with its part steals
 * the end of another's (struct steal), and count_parallel merges the parts
 * in file order.
 */
#define _GNU_SOURCE /* sched_getaffinity: the cores this process may run on */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "group.h"
#include "heap.h"
#include "merge.h"
#include "pipeline_int.h"
#include "split.h"
#include "stem.h"

/* --- counting sink ------------------------------------------------------------ */

struct count_ctx {
    struct tp_corpus *corpus;
    struct tp_tokenizer *tk;
    int side;
    int oom;
    int part;              /* the document being read is a part (tp_doc.part) */
    uint64_t overlong_at;  /* tp_tokenizer_overlong when it began */
    uint64_t overlong_off; /* overlong runs of documents taken back */
    const struct tp_run *run;
    struct tp_doclang dl; /* --lang auto: each document's language */
    int skip;             /* the document is left out (--from/--to) */
    const struct tp_opts *o;
    struct tp_stem_worker *sw; /* --stem / --lemmas: this thread's mapper (NULL: none) */
    enum tp_lang lang; /* the stopwords and stemmer the corpus and mapper count with (auto: the
                          corpus's, for a document in the corpus's language) */
};

/* --lang auto, a document's language decided (dl.lang, set before any of
 * its tokens is counted): its stopwords and stemmer from its first token
 * on. */
static inline void doc_lang_sync(struct count_ctx *c)
{
    /* a document in the corpus's language (found in its tokens or by
     * default) keeps the corpus's lists */
    enum tp_lang lang = c->dl.lang != c->run->lang ? c->dl.lang : TP_LANG_AUTO;
    if (c->dl.active && lang != c->lang) {
        c->lang = lang;
        tp_corpus_set_lang(c->corpus, c->lang);
        if (c->sw)
            tp_stem_set_lang(c->sw, c->lang);
    }
}

static int count_token(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    struct count_ctx *c = ctx;
    if (c->dl.deciding) {
        int v = tp_doclang_token(&c->dl, tok, len);
        if (v != TP_DL_COUNT)
            return v == TP_DL_AGAIN;
    }
    doc_lang_sync(c);
    if (c->sw && tp_stem_map(c->sw, tok, len, &tok, &len)) {
        c->oom = 1;
        return 1;
    }
    if (tp_corpus_token(c->corpus, tok, len, seg)) {
        c->oom = 1;
        return 1;
    }
    return 0;
}

/* count_batch under --stem / --lemmas: each token mapped to its group, the
 * groups of up to 16 bytes counted as a batch, longer ones one by one, in
 * order. */
static int count_batch_mapped(struct count_ctx *c, const struct tp_token_batch *b)
{
    static _Thread_local struct tp_token_batch m;
    m.n = 0;
    for (size_t i = 0; i < b->n; i++) {
        const char *g;
        size_t len;
        if (tp_stem_map(c->sw, b->tok + 16 * i, b->len[i], &g, &len))
            goto oom;
        if (len - 1 < 16) {
            memset(m.tok + 16 * m.n, 0, 16);
            memcpy(m.tok + 16 * m.n, g, len);
            m.len[m.n] = (uint8_t)len;
            m.seg[m.n++] = b->seg[i];
            continue;
        }
        if ((m.n && tp_corpus_tokens16(c->corpus, m.tok, m.len, m.seg, m.n)) ||
            tp_corpus_token(c->corpus, g, len, b->seg[i]))
            goto oom;
        m.n = 0;
    }
    if (m.n && tp_corpus_tokens16(c->corpus, m.tok, m.len, m.seg, m.n))
        goto oom;
    return 0;
oom:
    c->oom = 1;
    return 1;
}

/* Tokens of up to 16 bytes come in batches, so the table lookups of a batch
 * overlap their cache misses; longer ones come through count_token, in order. */
_Static_assert(TP_TOKEN_BATCH == TP_CORPUS_BATCH,
               "the tokenizer's batches must be what tp_corpus_tokens16 takes, or every batch "
               "takes its slow path");
static int count_batch(void *ctx, const struct tp_token_batch *b)
{
    struct count_ctx *c = ctx;
    if (c->dl.deciding) {
        /* --lang auto: the document's first tokens decide its language
         * before they are counted (or the document is tokenized again) */
        int v = tp_doclang_batch(&c->dl, b);
        if (v != TP_DL_COUNT)
            return v == TP_DL_AGAIN;
    }
    doc_lang_sync(c);
    if (c->sw)
        return count_batch_mapped(c, b);
    if (tp_corpus_tokens16(c->corpus, b->tok, b->len, b->seg, b->n)) {
        c->oom = 1;
        return 1;
    }
    return 0;
}

/* --group-by: the open document's group, its value or (dir) its folder. */
static int count_group(struct count_ctx *c, const struct tp_doc *doc, struct tp_error *err)
{
    size_t len;
    const char *g =
        tp_group_of_doc(doc, c->run->o->group_by, c->run->group_dirs, c->run->n_group_dirs, &len);
    int rc = tp_corpus_set_group(c->corpus, g, g ? len : 0);
    if (rc == TP_EDATA)
        return tp_error_set(err, TP_EDATA,
                            "--group-by %s: more groups than the listed terms leave room for "
                            "(groups x terms must stay under 2^32)",
                            c->run->o->group_by);
    return rc ? tp_corpus_oom(c->corpus, err) : 0;
}

int tp_date_in_range(const struct tp_opts *o, const struct tp_date *d)
{
    if (!o->date_from && !o->date_to)
        return 1;
    if (d->prec == TP_PREC_NONE)
        return 0;
    long key = (long)d->year * 10000 + (d->month ? d->month : 1) * 100 + (d->day ? d->day : 1);
    return (!o->date_from || key >= o->date_from) && (!o->date_to || key <= o->date_to);
}

static int count_begin(void *ctx, const struct tp_doc *doc, struct tp_error *err)
{
    struct count_ctx *c = ctx;
    /* --from/--to: a document out of range is read past, and counted as such
     * (a part of a document is never out: run_count does not divide then) */
    /* tokens of a document that did not end go where they always went */
    if (tp_doclang_settle(&c->dl))
        return tp_corpus_oom(c->corpus, err);
    c->skip = doc->part != 2 && !tp_date_in_range(c->o, &doc->date);
    if (c->skip) {
        tp_corpus_counts(c->corpus)->n_out_of_range++;
        return 0;
    }
    c->part = doc->part;
    c->overlong_at = tp_tokenizer_overlong(c->tk);
    if (doc->part == 2)
        tp_tokenizer_continue(c->tk);
    else
        tp_tokenizer_reset(c->tk);
    tp_doclang_begin(&c->dl, doc->part ? doc->part : doc->divisible);
    if (tp_corpus_begin(c->corpus, doc->id, &doc->date, c->side) ||
        (doc->part == 2 && tp_corpus_continue(c->corpus)))
        return tp_corpus_oom(c->corpus, err);
    if (c->run->o->group_by && doc->part != 2)
        return count_group(c, doc, err);
    return 0;
}

static int count_text(void *ctx, const char *buf, size_t len, struct tp_error *err)
{
    struct count_ctx *c = ctx;
    if (c->skip)
        return 0;
    if (tp_doclang_feed(&c->dl, buf, len))
        return tp_corpus_oom(c->corpus, err);
    return 0;
}

static int count_end(void *ctx, struct tp_error *err)
{
    struct count_ctx *c = ctx;
    if (c->skip) {
        c->skip = 0;
        return 0;
    }
    if (tp_doclang_finish(&c->dl))
        return tp_corpus_oom(c->corpus, err);
    /* the language it was counted in (every document has the corpus's
     * unless the run decides per document) */
    tp_corpus_set_doc_lang(c->corpus, c->dl.active ? c->dl.lang : c->run->lang);
    if (c->sw)
        tp_stem_doc_end(c->sw);
    if (c->part) {
        /* the document goes on in the next part: closed after the merge */
        if (tp_corpus_suspend(c->corpus, tp_tokenizer_break_pending(c->tk)))
            return tp_corpus_oom(c->corpus, err);
        return 0;
    }
    return tp_corpus_end(c->corpus, err);
}

/* The reader takes the open document back (tp_sink.undo; protocol (1),
 * counts.h): first everything the tokenizer emitted is counted, so that the
 * text given again takes back exactly that, from the state the document
 * began in; at the end the corpus forgets the document. */
static int count_undo(void *ctx, int done, struct tp_error *err)
{
    struct count_ctx *c = ctx;
    if (c->skip) {
        /* the reader begins the document again */
        if (done) {
            tp_corpus_counts(c->corpus)->n_out_of_range--;
            c->skip = 0;
        }
        return 0;
    }
    /* the tokens held back for the language go where they would have gone */
    if (tp_doclang_settle(&c->dl))
        return tp_corpus_oom(c->corpus, err);
    if (done) {
        if (tp_corpus_undo_end(c->corpus))
            return tp_corpus_oom(c->corpus, err);
        if (c->sw)
            tp_stem_doc_drop(c->sw);
        c->overlong_off += tp_tokenizer_overlong(c->tk) - c->overlong_at;
        tp_tokenizer_reset(c->tk);
        return 0;
    }
    if (tp_corpus_undo_begin(c->corpus))
        return tp_corpus_oom(c->corpus, err);
    if (c->part == 2)
        tp_tokenizer_continue(c->tk);
    else
        tp_tokenizer_reset(c->tk);
    return 0;
}

static void count_progress(void *ctx, uint64_t done, uint64_t total, uint64_t docs)
{
    struct tp_run *run = ctx;
    (void)total;
    (void)docs;
    if (run->progress)
        run->progress(run->progress_ctx, run->bytes_before + done, run->bytes_total,
                      tp_corpus_counts(run->corpus)->n_docs);
}

static void add_stats(struct tp_reader_stats *a, const struct tp_reader_stats *b)
{
    a->n_inputs += b->n_inputs;
    a->bytes += b->bytes;
    a->n_documents += b->n_documents;
    a->invalid_utf8 += b->invalid_utf8;
    a->cp1252_documents += b->cp1252_documents;
    a->skipped_inputs += b->skipped_inputs;
    a->bad_dates += b->bad_dates;
    a->attachments_skipped += b->attachments_skipped;
    a->unsized_bytes += b->unsized_bytes;
    a->unsized_skipped += b->unsized_skipped;
}

/* Count every document of r into corpus: the one-thread path and each
 * worker's body. Overlong runs are added to *overlong. */
static int count_into(struct tp_run *run, struct tp_corpus *corpus, struct tp_reader *r, int side,
                      tp_progress_fn *progress, void *progress_ctx, uint64_t *overlong,
                      struct tp_error *err)
{
    struct count_ctx c = {
        .corpus = corpus, .side = side, .run = run, .o = run->o, .lang = TP_LANG_AUTO};
    /* (the corpus's listed terms are in by now) */
    struct tp_tokenizer_opts to = run->tok_opts;
    to.no_segments = !tp_corpus_reads_segments(corpus);
    if ((run->stem && tp_stem_worker_new(&c.sw, run->stem)) ||
        tp_tokenizer_new(&c.tk, &to, count_token, &c) || tp_doclang_init(&c.dl, run, c.tk)) {
        tp_stem_worker_finish(c.sw);
        tp_tokenizer_free(c.tk);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    tp_tokenizer_set_batch(c.tk, count_batch);
    tp_corpus_set_lang(corpus, TP_LANG_AUTO);
    struct tp_sink sink = {&c, count_begin, count_text, count_end, count_undo};
    int rc = tp_reader_run(r, &sink, progress, progress_ctx, err);
    *overlong += tp_tokenizer_overlong(c.tk) - c.overlong_off;
    tp_doclang_release(&c.dl);
    tp_tokenizer_free(c.tk);
    if (tp_stem_worker_finish(c.sw) && !rc)
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
    return rc;
}

/* --- counting on several threads -------------------------------------------
 * The reader's files are cut into contiguous runs of about equal size (or one
 * large file into ranges); each part is counted into a corpus of its own with
 * a reader of its own, and the corpora are merged in file order, which gives
 * exactly the counts one thread would. Parts may be split again while they
 * are read (work stealing, below). One large document cut into parts follows
 * protocol (2), merge.h, and is never split again. Warnings are kept per part
 * and passed on in file order. */

/* Parts a thread may start, in all (its first and the ones it steals). */
enum { PARTS_PER_THREAD = 8 };

struct steal {
    pthread_mutex_t mu; /* guards every part's end and open, n, failed */
    struct worker *parts;
    size_t n, cap;       /* parts[0..n) made; n read with __atomic by --progress */
    struct tp_cuts cuts; /* parts of one file: where an end may move */
    const uint64_t *cum; /* parts of a list of files: the list's sizes summed
                            (cum[i]: files before i), or NULL */
    uint64_t grain;
    int failed; /* a part failed: no more stealing */
};

struct worker {
    struct tp_run *run;
    const char *const *files;
    size_t n_files;
    const struct tp_reader *parent; /* files are its files first.. */
    size_t first;
    int ranged; /* one part of files[0]: bytes [start, start + len) from line `line` */
    uint64_t start, len;
    unsigned long line;
    int side;
    struct tp_corpus *corpus;
    struct tp_reader *reader;
    struct tp_reader_stats rs;
    uint64_t overlong;
    uint64_t bytes_done;
    uint64_t docs_done;   /* documents this worker has counted, for --progress */
    uint64_t docs_before; /* the run's documents before the workers started */
    struct tp_error err;
    int rc;
    char *warnings;
    size_t w_len, w_cap;
    struct worker *all;
    size_t n_all;
    int speaks;              /* run on the first thread: gives --progress for all */
    struct steal *steal;     /* parts that may be stolen from, or NULL */
    struct tp_range_end end; /* with steal: how far this part reads (under steal->mu) */
    int open;                /* with steal: being read, so its end may move back */
    double t0, t1;           /* with steal: when its counting began and ended */
};

static void worker_warn(void *ctx, const char *msg)
{
    struct worker *w = ctx;
    size_t n = strlen(msg) + 1;
    if (w->w_len + n > w->w_cap) {
        size_t cap = (w->w_cap + n) * 2;
        char *p = realloc(w->warnings, cap);
        if (!p)
            return;
        w->warnings = p;
        w->w_cap = cap;
    }
    memcpy(w->warnings + w->w_len, msg, n);
    w->w_len += n;
}

static void worker_progress(void *ctx, uint64_t done, uint64_t total, uint64_t docs)
{
    struct worker *w = ctx;
    (void)total;
    (void)docs;
    __atomic_store_n(&w->bytes_done, done, __ATOMIC_RELAXED);
    if (w->corpus)
        __atomic_store_n(&w->docs_done, tp_corpus_counts(w->corpus)->n_docs, __ATOMIC_RELAXED);
    if (!w->speaks || !w->run->progress)
        return;
    /* the first worker speaks for all: bytes and documents of every worker */
    uint64_t sum = 0, n_docs = w->docs_before;
    size_t n_all = w->steal ? __atomic_load_n(&w->steal->n, __ATOMIC_ACQUIRE) : w->n_all;
    for (size_t i = 0; i < n_all; i++) {
        sum += __atomic_load_n(&w->all[i].bytes_done, __ATOMIC_RELAXED);
        n_docs += __atomic_load_n(&w->all[i].docs_done, __ATOMIC_RELAXED);
    }
    w->run->progress(w->run->progress_ctx, w->run->bytes_before + sum, w->run->bytes_total, n_docs);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    if (w->ranged) {
        w->rc = tp_reader_new_range(&w->reader, w->files[0], w->start, w->len, w->line, w->parent,
                                    w->run->o, worker_warn, w, &w->err);
        if (!w->rc)
            tp_reader_recounts(w->reader);
    } else {
        w->rc = tp_reader_new_slice(&w->reader, w->parent, w->first, w->n_files, worker_warn, w,
                                    &w->err);
    }
    if (w->rc)
        return NULL;
    if (w->steal && tp_reader_share_end(w->reader, &w->end) != 0) {
        w->rc = tp_error_set(&w->err, TP_EINTERNAL, "a part without an end to share");
        return NULL;
    }
    w->rc = tp_run_corpus_new(w->run, &w->corpus, &w->err);
    if (w->rc)
        return NULL;
    w->rc = count_into(w->run, w->corpus, w->reader, w->side, worker_progress, w, &w->overlong,
                       &w->err);
    w->rs = *tp_reader_stats(w->reader);
    return NULL;
}

/* --- work stealing ----------------------------------------------------------
 * A file of a document a line or a CSV row, or a list of files, starts as
 * one part a thread. A thread done with its part takes the end of the part
 * with the most left to read: that part's end moves back, to a document
 * start among the cuts tp_split_file found or to a file of its run (the
 * reader stops there: tp_reader_share_end), and what lay past it is a new
 * part. So a thread on a slower or busier core does not hold up the run.
 * Parts are merged in file order, which gives the counts of one thread
 * wherever the cuts fall. */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The grain: TP_SPLIT_GRAIN, or TEMPORA_STEAL_BYTES (the tests' way to make a
 * small file steal). */
static uint64_t steal_grain(void)
{
    const char *env = getenv("TEMPORA_STEAL_BYTES");
    char *end;
    unsigned long long v = env ? strtoull(env, &end, 10) : 0;
    return env && *env && !*end && v > 0 ? (uint64_t)v : TP_SPLIT_GRAIN;
}

/* How much of the files lies before unit u of part p: a part of one file
 * counts in bytes of the file (its end and pos are offsets in it), a part of
 * a list of files in input indexes of its slice, weighed by the files'
 * sizes. */
static uint64_t part_weight(const struct steal *st, const struct worker *p, uint64_t u)
{
    return st->cum ? st->cum[p->first + u] : u;
}

/* How much part p has claimed to read so far (all of it once done). */
static uint64_t part_read(const struct steal *st, const struct worker *p)
{
    return part_weight(st, p, p->end.pos) - part_weight(st, p, st->cum ? 0 : p->start);
}

/* Under st->mu, for thief (a part just done): a new part, the end of the
 * open part with the most left, or NULL when none has a grain to spare past
 * a cut. The part stolen from keeps a share of what it has left in
 * proportion to its speed against the thief's (half when unknown). */
static struct worker *steal_part(struct steal *st, const struct worker *thief)
{
    if (st->failed || st->n >= st->cap)
        return NULL;
    struct worker *v = NULL;
    uint64_t most = 0;
    for (size_t i = 0; i < st->n; i++) {
        struct worker *p = &st->parts[i];
        uint64_t left = p->end.end > p->end.pos
                            ? part_weight(st, p, p->end.end) - part_weight(st, p, p->end.pos)
                            : 0;
        if (p->open && left > most) {
            v = p;
            most = left;
        }
    }
    if (!v || most < 2 * st->grain)
        return NULL;
    uint64_t vpos = part_weight(st, v, v->end.pos), vend = part_weight(st, v, v->end.end);
    double t = now_seconds(), keep = 0.5;
    double dv = (double)part_read(st, v), tv = t - v->t0;
    double dt = (double)part_read(st, thief), tt = thief->t1 - thief->t0;
    if (dv > 0 && tv > 0 && dt > 0 && tt > 0) {
        keep = (dv / tv) / (dv / tv + dt / tt);
        keep = keep < 0.2 ? 0.2 : keep > 0.8 ? 0.8 : keep;
    }
    uint64_t goal = vpos + (uint64_t)((double)(vend - vpos) * keep);
    /* the first cut at or past goal: a document start of the file, or a
     * file of the list */
    const uint64_t *at = st->cum ? st->cum + v->first : st->cuts.at;
    size_t lo = st->cum ? (size_t)v->end.pos + 1 : 0,
           hi = st->cum ? (size_t)v->end.end : st->cuts.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (at[mid] < goal)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!st->cum && lo == st->cuts.n)
        return NULL;
    uint64_t c = st->cum ? lo : st->cuts.at[lo];
    if (c <= v->end.pos || c >= v->end.end || vend - part_weight(st, v, c) < st->grain)
        return NULL;
    struct worker *w = &st->parts[st->n];
    *w = (struct worker){.run = v->run,
                         .parent = v->parent,
                         .side = v->side,
                         .docs_before = v->docs_before,
                         .all = st->parts,
                         .n_all = st->cap,
                         .speaks = thief->speaks,
                         .steal = st,
                         .open = 1,
                         .t0 = t};
    if (st->cum) {
        /* files [c, end) of v's slice */
        w->files = v->files + c;
        w->n_files = (size_t)(v->end.end - c);
        w->first = v->first + (size_t)c;
        w->start = w->first;
        w->end = (struct tp_range_end){&st->mu, 0, w->n_files};
    } else {
        w->files = v->files;
        w->n_files = 1;
        w->first = v->first;
        w->ranged = 1;
        w->start = c;
        w->len = v->end.end - c;
        w->line = st->cuts.line[lo];
        w->end = (struct tp_range_end){&st->mu, c, v->end.end};
    }
    /* the reader of a list reads it ahead without the lock (input/ahead.c) */
    __atomic_store_n(&v->end.end, c, __ATOMIC_RELAXED);
    __atomic_store_n(&st->n, st->n + 1, __ATOMIC_RELEASE);
    return w;
}

/* A thread: its first part, then (with stealing) the parts it steals. */
static void *thread_main(void *arg)
{
    struct worker *w = arg;
    tp_heap_thread_huge();
    for (;;) {
        worker_main(w);
        struct steal *st = w->steal;
        if (!st)
            return NULL;
        pthread_mutex_lock(&st->mu);
        w->open = 0;
        w->t1 = now_seconds();
        st->failed |= w->rc != 0;
        struct worker *next = steal_part(st, w);
        pthread_mutex_unlock(&st->mu);
        if (!next)
            return NULL;
        w = next;
    }
}

/* qsort: parts by their first byte */
static int by_start(const void *a, const void *b)
{
    const struct worker *x = *(const struct worker *const *)a,
                        *y = *(const struct worker *const *)b;
    return (x->start > y->start) - (x->start < y->start);
}

/* A range of a file of one document a line or a CSV row (a --shard share:
 * bytes [start, start + len), from a line start numbered line) cut into at
 * most n parts at document starts, as tp_split_file cuts a whole file: part
 * k's first byte s[k], length l[k] and first line's number ln[k]. The range
 * is read once, on this thread, to number the lines. Returns the number of
 * parts (0 when the file cannot be read). */
static unsigned split_range(const char *path, int csv, uint64_t start, uint64_t len,
                            unsigned long line, unsigned n, uint64_t *s, uint64_t *l,
                            unsigned long *ln)
{
    FILE *f = fopen(path, "rb");
    unsigned parts = 0;
    uint64_t end = start + len, at = start;
    if (!f)
        return 0;
    s[0] = start;
    ln[0] = line;
    parts = 1;
    while (parts < n) {
        /* the next start at or past its goal, and past the last cut (a long
         * line may cover several goals) */
        uint64_t goal = start + len / n * parts;
        if (tp_split_next_start(f, end, csv, goal > at ? goal : at + 1, &at, &line) != 0) {
            parts = 0;
            break;
        }
        if (at >= end)
            break;
        s[parts] = at;
        ln[parts] = line;
        parts++;
    }
    for (unsigned k = 0; k < parts; k++)
        l[k] = (k + 1 < parts ? s[k + 1] : end) - s[k];
    fclose(f);
    return parts;
}

static int count_parallel(struct tp_run *run, struct tp_reader *r, int side, unsigned n_threads,
                          struct tp_error *err)
{
    size_t n_files;
    const char *const *files = tp_reader_files(r, &n_files);
    size_t cap = (size_t)n_threads * PARTS_PER_THREAD, n_parts = n_threads;
    struct worker *w = calloc(cap, sizeof(*w));
    struct worker **ord = calloc(cap, sizeof(*ord));
    pthread_t *tid = calloc(n_threads, sizeof(*tid));
    uint64_t *size = calloc(n_files, sizeof(*size));
    struct steal st = {.parts = w, .cap = cap, .grain = steal_grain()};
    uint64_t *sizes_before = NULL;
    st.cuts.grain = st.grain;
    int rc = 0, stealing = 0;
    unsigned started = 0;
    if (!w || !ord || !tid || !size) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    /* a file listed without its size weighs as a sample of them did */
    uint64_t total = 0;
    for (size_t i = 0; i < n_files; i++) {
        size[i] = tp_reader_file_weight(r, i);
        total += size[i];
    }
    /* contiguous runs, worker k ending where the running size passes
     * (k+1)/n of the total, each with at least one file */
    size_t at = 0;
    uint64_t cum = 0;
    for (unsigned k = 0; k < n_threads; k++) {
        size_t first = at;
        uint64_t goal = total / n_threads * (k + 1);
        while (at < n_files && (at == first || k == n_threads - 1 || cum + size[at] <= goal) &&
               n_files - at > n_threads - 1 - k)
            cum += size[at++];
        w[k] = (struct worker){.run = run,
                               .files = files + first,
                               .n_files = at - first,
                               .parent = r,
                               .first = first,
                               .side = side,
                               .all = w,
                               .n_all = n_threads,
                               .docs_before = tp_corpus_counts(run->corpus)->n_docs,
                               .speaks = k == 0};
    }
    int divided = n_files == 1 && tp_reader_divisible(r, 0);
    /* a list of files: the threads' slices, whose ends may move back */
    if (n_files > 1 && !tp_reader_has_stream(r) &&
        (sizes_before = malloc((n_files + 1) * sizeof(*sizes_before)))) {
        sizes_before[0] = 0;
        for (size_t i = 0; i < n_files; i++)
            sizes_before[i + 1] = sizes_before[i] + size[i];
        st.cum = sizes_before;
        stealing = 1;
    }
    if (n_files == 1) {
        /* one large file, of one document per line or one document: its
         * parts, in order, cut after line feeds */
        uint64_t start[TP_MAX_THREADS], len[TP_MAX_THREADS];
        unsigned long line[TP_MAX_THREADS];
        enum tp_split_kind kind = divided                           ? TP_SPLIT_TEXT
                                  : tp_reader_splittable(r, 0) == 2 ? TP_SPLIT_CSV
                                                                    : TP_SPLIT_LINES;
        /* a range of lines (a --shard share) is cut again within it */
        uint64_t r_start = 0, r_len = size[0];
        unsigned long r_line = 1;
        uint64_t rs, rl;
        unsigned long rln;
        int in_range = tp_reader_range(r, &rs, &rl, &rln);
        if (in_range) {
            r_start = rs;
            r_len = rl;
            r_line = rln;
        }
        unsigned parts = in_range ? split_range(files[0], kind == TP_SPLIT_CSV, r_start, r_len,
                                                r_line, n_threads, start, len, line)
                                  : tp_split_file(files[0], size[0], n_threads, kind, start, len,
                                                  line, kind == TP_SPLIT_TEXT ? NULL : &st.cuts);
        /* a part a thread, each of whose ends may move back */
        stealing = parts == n_threads && st.cuts.n > 0;
        for (unsigned k = 0; k < n_threads; k++) {
            w[k].ranged = 1;
            w[k].files = files;
            w[k].n_files = 1;
            w[k].start = k < parts ? start[k] : r_start + r_len;
            w[k].len = k < parts ? len[k] : 0;
            w[k].line = k < parts ? line[k] : 1;
        }
        if (parts == 0) {
            w[0].start = r_start;
            w[0].len = r_len;
            w[0].line = r_line;
        }
    }
    if (stealing && pthread_mutex_init(&st.mu, NULL) != 0)
        stealing = 0;
    st.n = n_threads;
    for (unsigned k = 0; stealing && k < n_threads; k++) {
        w[k].steal = &st;
        w[k].all = w;
        w[k].n_all = cap;
        if (!w[k].ranged)
            w[k].start = w[k].first; /* the order of the parts */
        w[k].end = w[k].ranged ? (struct tp_range_end){&st.mu, w[k].start, w[k].start + w[k].len}
                               : (struct tp_range_end){&st.mu, 0, w[k].n_files};
        w[k].open = 1;
        w[k].t0 = now_seconds();
    }
    for (; started < n_threads; started++)
        if (pthread_create(&tid[started], NULL, thread_main, &w[started]) != 0) {
            rc = tp_error_set(err, TP_EINTERNAL, "cannot start a thread");
            break;
        }
    for (unsigned k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
    if (stealing)
        pthread_mutex_destroy(&st.mu);
    n_parts = stealing ? st.n : n_threads;
    if (rc)
        goto out;
    /* the parts in file order (stolen ones came last) */
    for (size_t k = 0; k < n_parts; k++)
        ord[k] = &w[k];
    if (stealing)
        qsort(ord, n_parts, sizeof(*ord), by_start);
    if (stealing && getenv("TEMPORA_STEAL_BYTES"))
        fprintf(stderr, "tempora: %zu file%s from %s read in %zu parts on %u threads\n", n_files,
                n_files == 1 ? "" : "s", files[0], n_parts, n_threads);
    if (n_files == 1) {
        /* a part that is not UTF-8 makes a whole document CP1252; a CSV
         * part that cannot number its rows stopped: count the file again
         * on one thread */
        int again = 0;
        for (size_t k = 0; k < n_parts; k++)
            again |=
                ord[k]->rc == 0 &&
                ((divided && run->o->encoding == TP_ENC_AUTO && ord[k]->rs.cp1252_documents > 0) ||
                 (ord[k]->reader && tp_reader_whole_again(ord[k]->reader)));
        if (again) {
            rc = count_into(run, run->corpus, r, side, count_progress, run, &run->overlong, err);
            add_stats(&run->rs, tp_reader_stats(r));
            goto out;
        }
    }
    /* warnings and the first error, in file order */
    uint64_t inputs_before = run->rs.n_inputs;
    for (size_t k = 0; k < n_parts; k++) {
        for (size_t p = 0; p < ord[k]->w_len; p += strlen(ord[k]->warnings + p) + 1)
            if (run->warn)
                run->warn(run->warn_ctx, ord[k]->warnings + p);
        if (ord[k]->rc) {
            *err = ord[k]->err;
            rc = ord[k]->rc;
            goto out;
        }
    }
    for (size_t k = 0; k < n_parts; k++) {
        if (k == 0 && tp_corpus_empty(run->corpus)) {
            /* nothing counted yet: the first worker's corpus becomes the run's */
            tp_corpus_free(run->corpus);
            run->corpus = ord[0]->corpus;
            ord[0]->corpus = NULL;
        } else if ((rc = tp_corpus_merge(run->corpus, ord[k]->corpus, err))) {
            goto out;
        } else {
            /* merged: its tables and document records go now, not with the
             * last worker's (at ten million documents, hundreds of MB) */
            tp_corpus_free(ord[k]->corpus);
            ord[k]->corpus = NULL;
        }
        add_stats(&run->rs, &ord[k]->rs);
        run->overlong += ord[k]->overlong;
    }
    if (n_files == 1)
        run->rs.n_inputs = inputs_before + (run->rs.n_inputs > inputs_before);
    if (divided) {
        /* the parts were one document */
        if (tp_corpus_in_doc(run->corpus) && (rc = tp_corpus_end(run->corpus, err)))
            goto out;
    }
    /* the expansion's own skips, counted once by the caller's reader */
    run->rs.skipped_inputs += tp_reader_skipped_at_expansion(r);
out:
    for (size_t k = 0; w && k < n_parts; k++) {
        tp_corpus_free(w[k].corpus);
        tp_reader_free(w[k].reader);
        free(w[k].warnings);
    }
    tp_cuts_free(&st.cuts);
    free(sizes_before);
    free(w);
    free(ord);
    free(tid);
    free(size);
    return rc;
}

unsigned tp_run_threads(const struct tp_run *run)
{
    return tp_threads_for(run->o->threads);
}

unsigned tp_threads_for(long n)
{
    if (n <= 0) {
        /* one per core this process may run on (taskset, a Slurm or cgroup
         * allocation), not one per core of the machine */
        cpu_set_t set;
        n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                        : sysconf(_SC_NPROCESSORS_ONLN);
    }
    return n < 1 ? 1 : n > TP_MAX_THREADS ? TP_MAX_THREADS : (unsigned)n;
}

int tp_run_count(struct tp_run *run, struct tp_reader *r, int side, struct tp_error *err)
{
    int rc;
    size_t n_files;
    tp_reader_files(r, &n_files);
    unsigned threads = tp_run_threads(run);
    uint64_t unsized_before = run->rs.unsized_bytes, skipped_before = run->rs.unsized_skipped;
    /* standard input, a FIFO or a process substitution is read once, on
     * one thread (a worker's reader of its files would open it again) */
    int from_stream = tp_reader_has_stream(r);
    run->group_dirs = tp_reader_dirs(r, &run->n_group_dirs);
    /* a large file of one document per line is counted in parts; otherwise
     * whole files go to the threads */
    /* one document large enough to be counted in parts */
    int divisible = n_files == 1 && !tp_reader_ranged(r) && tp_reader_divisible(r, 0) &&
                    tp_reader_total_bytes(r) >= TP_DIVIDE_MIN && !run->o->date_from &&
                    !run->o->date_to;
    int split = divisible || (n_files == 1 && !tp_reader_ranged(r) &&
                              tp_reader_total_bytes(r) >= (1u << 20) && tp_reader_splittable(r, 0));
    /* a --shard share of a file of one document a line is cut again */
    split |= n_files == 1 && tp_reader_ranged(r) && tp_reader_splittable(r, 0) == 1 &&
             tp_reader_total_bytes(r) >= (1u << 20);
    if (threads > n_files && !split)
        threads = (unsigned)n_files;
    if (split && tp_reader_divisible(r, 0) && threads > tp_reader_total_bytes(r) / TP_DIVIDE_PART)
        threads = (unsigned)(tp_reader_total_bytes(r) / TP_DIVIDE_PART);
    if (threads > 1 && !from_stream) {
        rc = count_parallel(run, r, side, threads, err);
        if (threads > run->threads_used)
            run->threads_used = threads;
    } else {
        if (!run->threads_used)
            run->threads_used = 1;
        rc = count_into(run, run->corpus, r, side, count_progress, run, &run->overlong, err);
        add_stats(&run->rs, tp_reader_stats(r));
    }
    run->bytes_before += tp_reader_total_bytes(r) + (run->rs.unsized_bytes - unsized_before);
    /* the sizes of the files listed without them: what was read */
    run->input_bytes += run->rs.unsized_bytes - unsized_before;
    run->n_files -= run->rs.unsized_skipped - skipped_before;
    return rc;
}
