/*
 * state_write.c - a run's corpus written to a count state file
 * (tp_state_write, state.h; the byte layout is docs/state-format.md, read
 * back by state_read.c and state_load.c).
 *
 * struct tp_state_wr is the output (a regular temporary file, tp_out) and the
 * running XXH3 of the open section: each section's length is patched in
 * once its payload is written. Terms never seen in the text (listed terms
 * only) are left out and ids renumbered densely; pairs are written in key
 * order, so the same counts give the same bytes. The options a state
 * records (tp_state_run_opts) are here, as it is the writer that records
 * them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <xxhash.h>

#include "counts_int.h"
#include "state_int.h"
#include "stopwords.h"
#include "writer.h"

/* DOCS gives a document's language as these numbers (docs/state-format.md) */
_Static_assert(TP_LANG_AUTO == 0 && TP_LANG_IT == 1 && TP_LANG_FR == 2 && TP_LANG_EN == 3 &&
                   TP_LANG_ES == 4 && TP_LANG_DE == 5 && TP_LANG_PT == 6 && TP_LANG_NONE == 7,
               "a state's language numbers do not change");

/* --- the options of a run, as a state records them ------------------------ */

static const char *const enc_names[] = {"auto", "utf-8", "latin-1", "cp1252"};

size_t tp_state_run_opts(const struct tp_run *run, struct tp_state_opt *o)
{
    const struct tp_opts *x = run->o;
    const struct tp_count_opts *co = &run->count_opts;
    size_t n = 0;
#define OPT(k, req, opt, cmp, ...)                                                                 \
    do {                                                                                           \
        o[n] = (struct tp_state_opt){k, "", NULL, req, opt, cmp};                                  \
        snprintf(o[n].val, sizeof(o[n].val), __VA_ARGS__);                                         \
        n++;                                                                                       \
    } while (0)
    OPT("lang", 1, "--lang", 1, "%s", tp_lang_name(run->lang));
    OPT("case", 1, "--case", 1, "%s", x->keep_case ? "keep" : "fold");
    OPT("normalize", 1, "--normalize", 1, "%s", x->nfkc ? "nfkc" : "nfc");
    OPT("split_hyphens", 1, "--split-hyphens", 1, "%s", x->split_hyphens ? "yes" : "no");
    OPT("min_length", 1, "--min-length", 1, "%u", co->min_length);
    OPT("encoding", 1, "--encoding", 1, "%s", enc_names[x->encoding & 3]);
    OPT("window", 1, "--window", 0, "%u", co->window);
    OPT("ngram", 1, "--ngram", 0, "%u", co->ngram > 1 ? co->ngram : 1);
    OPT("doc_per_line", 0, "--doc-per-line", 0, "%s", x->doc_per_line ? "yes" : "no");
    OPT("text_col", 0, "--text-col", 0, "%s", "");
    o[n - 1].text = x->text_col ? x->text_col : "";
    OPT("date_col", 0, "--date-col", 0, "%s", "");
    o[n - 1].text = x->date_col ? x->date_col : "";
    OPT("id_col", 0, "--id-col", 0, "%s", "");
    o[n - 1].text = x->id_col ? x->id_col : "";
    OPT("meta", 0, "--meta", 0, "%s", "");
    o[n - 1].text = x->meta_path ? x->meta_path : "";
    OPT("date_from_name", 0, "--date-from-name", 0, "%s", x->date_from_name ? "yes" : "no");
    OPT("max_doc_bytes", 0, "--max-doc-bytes", 0, "%llu",
        (unsigned long long)(x->max_doc_bytes ? x->max_doc_bytes : TP_MAX_DOC_BYTES));
    /* the stopword list is compared word for word (STOP section) */
    OPT("stopwords", 1, "--stopwords", 0, "%zu", run->stop.n);
#undef OPT
    return n;
}

/* --- writing ---------------------------------------------------------------- */

void tp_state_put(struct tp_state_wr *w, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, w->f) != n)
        w->bad = 1;
    XXH3_64bits_update(w->h, p, n);
}

void tp_state_put32(struct tp_state_wr *w, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    tp_state_put(w, b, 4);
}

void tp_state_put64(struct tp_state_wr *w, uint64_t v)
{
    tp_state_put32(w, (uint32_t)v);
    tp_state_put32(w, (uint32_t)(v >> 32));
}

void tp_state_put_var(struct tp_state_wr *w, uint64_t v)
{
    unsigned char b[10];
    size_t n = tp_varint_put(b, v);
    tp_state_put(w, b, n);
}

void tp_state_put_str(struct tp_state_wr *w, const char *s, size_t len)
{
    tp_state_put32(w, (uint32_t)len);
    tp_state_put(w, s, len);
}

static void raw64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

void tp_state_sec_open(struct tp_state_wr *w, const char *tag, uint32_t flags)
{
    unsigned char b[16] = {0};
    memcpy(b, tag, 4);
    for (int i = 0; i < 4; i++)
        b[4 + i] = (unsigned char)(flags >> (8 * i));
    if (fwrite(b, 1, 16, w->f) != 16)
        w->bad = 1;
    w->start = ftello(w->f);
    if (w->start < 0)
        w->bad = 1;
    XXH3_64bits_reset(w->h);
}

void tp_state_sec_close(struct tp_state_wr *w)
{
    off_t end = ftello(w->f);
    unsigned char b[8];
    if (end < 0 || w->bad) {
        w->bad = 1;
        return;
    }
    raw64(b, XXH3_64bits_digest(w->h));
    if (fwrite(b, 1, 8, w->f) != 8)
        w->bad = 1;
    raw64(b, (uint64_t)(end - w->start));
    if (fseeko(w->f, w->start - 8, SEEK_SET) != 0 || fwrite(b, 1, 8, w->f) != 8 ||
        fseeko(w->f, end + 8, SEEK_SET) != 0)
        w->bad = 1;
}

void tp_state_write_opts(struct tp_state_wr *w, const struct tp_run *run)
{
    struct tp_state_opt o[TP_STATE_N_OPTS];
    size_t n_o = tp_state_run_opts(run, o);
    tp_state_sec_open(w, "OPTS", TP_STATE_REQUIRED);
    tp_state_put32(w, (uint32_t)n_o);
    for (size_t i = 0; i < n_o; i++) {
        const char *v = o[i].text ? o[i].text : o[i].val;
        tp_state_put32(w, (uint32_t)o[i].required);
        tp_state_put_str(w, o[i].key, strlen(o[i].key));
        tp_state_put_str(w, v, strlen(v));
    }
    tp_state_sec_close(w);
}

void tp_state_write_stop(struct tp_state_wr *w, const struct tp_run *run)
{
    tp_state_sec_open(w, "STOP", TP_STATE_REQUIRED);
    tp_state_put32(w, (uint32_t)run->stop.n);
    for (size_t i = 0; i < run->stop.n; i++)
        tp_state_put_str(w, run->stop.terms[i].bytes, run->stop.terms[i].len);
    tp_state_sec_close(w);
}

void tp_state_write_head(struct tp_state_wr *w)
{
    unsigned char head[16] = {0};
    memcpy(head, TP_STATE_MAGIC, 8);
    head[8] = (unsigned char)TP_STATE_VERSION;
    if (fwrite(head, 1, 16, w->f) != 16)
        w->bad = 1;
}

/* Every document's list of counter k, ids through map (NULL: as they are). */
static int write_spill(struct tp_state_wr *w, struct tp_counter *k, size_t n_docs,
                       const uint32_t *map, struct tp_error *err)
{
    struct tp_spill_iter it;
    unsigned char *buf = NULL;
    size_t cap = 0;
    int rc;
    if ((rc = tp_spill_iter_init(&it, k, n_docs, err)))
        return rc;
    while ((rc = tp_spill_iter_next(&it, err)) > 0) {
        size_t need = 8 + it.n * 15;
        if (need > cap) {
            unsigned char *b = realloc(buf, need);
            if (!b) {
                free(buf);
                return tp_error_set(err, TP_ENOMEM, "out of memory");
            }
            buf = b;
            cap = need;
        }
        /* the spill's record (src/spill.c): ids as u32, a byte a count,
         * then count - 255 as a varint for each count of 255 or more */
        unsigned char *cb = buf + 8 + 4 * it.n;
        size_t at = 8 + 5 * it.n;
        for (size_t i = 0; i < it.n; i++) {
            uint32_t id = map ? map[it.ids[i]] : it.ids[i];
            for (int j = 0; j < 4; j++)
                buf[8 + 4 * i + (size_t)j] = (unsigned char)(id >> (8 * j));
            uint64_t c = it.counts[i];
            cb[i] = (unsigned char)(c < TP_STATE_SPILL_BIG ? c : TP_STATE_SPILL_BIG);
            if (c >= TP_STATE_SPILL_BIG)
                at += tp_varint_put(buf + at, c - TP_STATE_SPILL_BIG);
        }
        uint32_t len = (uint32_t)(at - 8), n = (uint32_t)it.n;
        for (int i = 0; i < 4; i++) {
            buf[i] = (unsigned char)(len >> (8 * i));
            buf[4 + i] = (unsigned char)(n >> (8 * i));
        }
        tp_state_put(w, buf, at);
    }
    free(buf);
    return rc;
}

void tp_state_lists_release(struct tp_state_lists *l)
{
    for (size_t i = 0; l->map && i < l->n_files; i++)
        free(l->map[i]);
    free(l->fd);
    free(l->map);
    free(l->map_n);
    free(l->offs);
    free(l->lens);
    free(l->file_of);
    memset(l, 0, sizeof(*l));
}

/* The lists of counter k's first n_docs documents as they lie in its spill
 * files (flushed here): each file's ids through its own map (or as they
 * are) and then dense (n_ids ids; NULL: as they are), the ids written. */
static int describe_lists(struct tp_state_lists *l, struct tp_counter *k, size_t n_docs,
                          const uint32_t *dense, size_t n_ids, struct tp_error *err)
{
    memset(l, 0, sizeof(*l));
    if (k->n_offs < n_docs)
        return tp_error_set(err, TP_EINTERNAL, "the per-document counts are incomplete");
    size_t nf = k->n_files, nd = n_docs ? n_docs : 1;
    l->n_files = nf;
    l->n_docs = n_docs;
    if (!(l->fd = calloc(nf ? nf : 1, sizeof(*l->fd))) ||
        !(l->map = calloc(nf ? nf : 1, sizeof(*l->map))) ||
        !(l->map_n = calloc(nf ? nf : 1, sizeof(*l->map_n))) ||
        !(l->offs = malloc(nd * sizeof(*l->offs))) || !(l->lens = malloc(nd * sizeof(*l->lens))) ||
        !(l->file_of = malloc(nd * sizeof(*l->file_of)))) {
        tp_state_lists_release(l);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nf; i++) {
        const struct tp_spill_file *sf = &k->files[i];
        size_t n = sf->map ? sf->map_n : n_ids;
        if (!sf->f || fflush(sf->f) != 0) {
            tp_state_lists_release(l);
            return tp_error_set(err, TP_EIO, "temporary spill file: %s",
                                sf->f ? strerror(errno) : "closed");
        }
        l->fd[i] = fileno(sf->f);
        l->map_n[i] = n;
        if (!(l->map[i] = malloc((n ? n : 1) * sizeof(**l->map)))) {
            tp_state_lists_release(l);
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        }
        for (size_t x = 0; x < n; x++) {
            uint32_t id = sf->map ? sf->map[x] : (uint32_t)x;
            l->map[i][x] = dense ? dense[id] : id;
        }
    }
    if (n_docs) {
        memcpy(l->offs, k->offs, n_docs * sizeof(*l->offs));
        memcpy(l->lens, k->lens, n_docs * sizeof(*l->lens));
        memcpy(l->file_of, k->file_of, n_docs * sizeof(*l->file_of));
    }
    return 0;
}

/* Terms by their bytes (memcmp, then the shorter first). */
struct term_at {
    const char *s;
    uint32_t len, id;
};

static int cmp_term_at(const void *a, const void *b)
{
    const struct term_at *x = a, *y = b;
    int d = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    return d ? d : (x->len > y->len) - (x->len < y->len);
}

int tp_state_bytes_order(const struct tp_table *t, uint32_t *by_rank, uint32_t *rank)
{
    struct term_at *a = malloc((t->n ? t->n : 1) * sizeof(*a));
    if (!a)
        return TP_ENOMEM;
    for (size_t i = 0; i < t->n; i++)
        a[i] = (struct term_at){t->terms[i].bytes, t->terms[i].len, (uint32_t)i};
    qsort(a, t->n, sizeof(*a), cmp_term_at);
    for (size_t r = 0; r < t->n; r++) {
        by_rank[r] = a[r].id;
        rank[a[r].id] = (uint32_t)r;
    }
    free(a);
    return 0;
}

static int cmp_pair(const void *a, const void *b)
{
    uint64_t x = ((const struct tp_pair_slot *)a)->key, y = ((const struct tp_pair_slot *)b)->key;
    return (x > y) - (x < y);
}

static int write_body(struct tp_state_wr *w, struct tp_run *run, const struct tp_state_plan *plan,
                      struct tp_state_lists *lists, struct tp_error *err)
{
    struct tp_corpus *corpus = run->corpus;
    struct tp_counts *c = tp_corpus_counts(corpus);
    uint32_t *map = malloc((c->terms.n ? c->terms.n : 1) * sizeof(*map));
    int rc = 0;
    if (!map)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    uint32_t n_seen = 0;
    if (plan) {
        memcpy(map, plan->term_new, c->terms.n * sizeof(*map));
        n_seen = (uint32_t)plan->n_terms;
    } else {
        for (size_t i = 0; i < c->terms.n; i++)
            map[i] = c->terms.terms[i].flags & TP_TERM_SEEN ? n_seen++ : UINT32_MAX;
    }
    unsigned ng = c->o.ngram > 1 ? c->o.ngram : 0;
    unsigned lost = run->state_lost | (plan ? plan->lost : 0);
    size_t n_ng = ng ? plan ? plan->n_ng : c->ngrams.n_items : 0;

    tp_state_write_opts(w, run);

    tp_state_sec_open(w, "STAT", TP_STATE_REQUIRED);
    const struct tp_reader_stats *rs = &run->rs;
    uint64_t st[TP_STATE_N_STAT] = {
        c->n_docs,
        c->n_tokens,
        n_seen,
        n_ng,
        c->o.window && c->pairs.slots && !(lost & TP_STATE_LOST_PAIRS) ? c->pairs.n : 0,
        run->n_files,
        run->input_bytes,
        run->overlong,
        rs->n_inputs,
        rs->bytes,
        rs->n_documents,
        rs->invalid_utf8,
        rs->cp1252_documents,
        rs->skipped_inputs,
        rs->bad_dates,
        (uint64_t)c->pairs_full,
        (uint64_t)c->ngrams_full,
        (uint64_t)run->lang,
        run->extra_langs};
    for (int i = 0; i < TP_STATE_N_STAT; i++)
        tp_state_put64(w, st[i]);
    tp_state_put64(w, lost); /* version 2 */
    tp_state_sec_close(w);

    tp_state_write_stop(w, run);

    tp_state_sec_open(w, "TERM", TP_STATE_REQUIRED);
    for (size_t j = 0; j < (plan ? plan->n_terms : c->terms.n); j++) {
        size_t i = plan ? plan->term_old[j] : j;
        if (map[i] == UINT32_MAX)
            continue;
        tp_state_put_str(w, c->terms.terms[i].bytes, c->terms.terms[i].len);
        tp_state_put_var(w, plan ? plan->first[i] : c->uni.first[i]);
        tp_state_put_var(w, c->uni.total[i]);
        tp_state_put_var(w, c->uni.df[i]);
    }
    tp_state_sec_close(w);

    tp_state_sec_open(w, "NGRM", TP_STATE_REQUIRED);
    for (size_t j = 0; j < n_ng; j++) {
        size_t g = plan ? plan->ng_old[j] : j;
        const uint32_t *k = tp_tuples_key(&c->ngrams, g);
        for (unsigned i = 0; i < ng; i++)
            tp_state_put_var(w, map[k[i]]);
        tp_state_put_var(w, c->ng.total[g]);
        tp_state_put_var(w, c->ng.df[g]);
    }
    tp_state_sec_close(w);

    /* pairs in the order of their terms' bytes (w1's, then w2's): the same
     * counts give the same bytes, and every state's pairs are in one order,
     * so that merge joins them as streams (state_merge.c) */
    tp_state_sec_open(w, "PAIR", TP_STATE_REQUIRED);
    size_t n_pairs = 0;
    struct tp_pair_slot *pairs = NULL;
    uint32_t *rank = NULL, *by_rank = NULL;
    if (c->o.window && c->pairs.slots && c->pairs.n && !(lost & TP_STATE_LOST_PAIRS)) {
        size_t nt = c->terms.n ? c->terms.n : 1;
        if (!(pairs = malloc(c->pairs.n * sizeof(*pairs))) ||
            !(rank = malloc(nt * sizeof(*rank))) || !(by_rank = malloc(nt * sizeof(*by_rank))) ||
            tp_state_bytes_order(&c->terms, by_rank, rank)) {
            free(pairs);
            free(rank);
            free(by_rank);
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t p = 0; p <= c->pairs.mask && n_pairs < c->pairs.n; p++) {
            const struct tp_pair_slot *sl = &c->pairs.slots[p];
            if (sl->key)
                pairs[n_pairs++] = (struct tp_pair_slot){(uint64_t)rank[tp_pair_w1(sl->key)] << 32 |
                                                             rank[tp_pair_w2(sl->key)],
                                                         sl->count};
        }
        qsort(pairs, n_pairs, sizeof(*pairs), cmp_pair);
    }
    for (size_t p = 0; p < n_pairs; p++) {
        tp_state_put_var(w, map[by_rank[pairs[p].key >> 32]]);
        tp_state_put_var(w, map[by_rank[(uint32_t)pairs[p].key]]);
        tp_state_put_var(w, pairs[p].count);
    }
    free(rank);
    free(by_rank);
    free(pairs);
    tp_state_sec_close(w);

    tp_state_sec_open(w, "DOCS", TP_STATE_REQUIRED);
    for (size_t d = 0; d < c->n_docs; d++) {
        const struct tp_docrec *doc = &c->docs[d];
        unsigned char b[16] = {0};
        tp_state_put_str(w, doc->id, strlen(doc->id));
        uint32_t y = (uint32_t)doc->date.year;
        for (int i = 0; i < 4; i++)
            b[i] = (unsigned char)(y >> (8 * i));
        b[4] = (unsigned char)doc->date.month;
        b[5] = (unsigned char)doc->date.day;
        b[6] = (unsigned char)doc->date.prec;
        b[7] = doc->lang; /* enum tp_lang: the format's numbers (below) */
        raw64(b + 8, doc->n_tokens);
        tp_state_put(w, b, 16);
    }
    tp_state_sec_close(w);

    /* handed over: the sections stay empty, the lists are described */
    tp_state_sec_open(w, "USPL", TP_STATE_REQUIRED);
    if (lists ? (rc = describe_lists(&lists[0], &c->uni, c->n_docs, map, c->terms.n, err))
              : c->n_docs && (rc = write_spill(w, &c->uni, c->n_docs, map, err)))
        goto out;
    tp_state_sec_close(w);
    tp_state_sec_open(w, "GSPL", TP_STATE_REQUIRED);
    if (ng && (lists ? (rc = describe_lists(&lists[1], &c->ng, c->n_docs,
                                            plan ? plan->ng_new : NULL, c->ngrams.n_items, err))
                     : c->n_docs && (rc = write_spill(w, &c->ng, c->n_docs,
                                                      plan ? plan->ng_new : NULL, err))))
        goto out;
    tp_state_sec_close(w);
    tp_state_sec_open(w, "END ", TP_STATE_REQUIRED);
    tp_state_sec_close(w);
out:
    free(map);
    return rc;
}

static int write_state(struct tp_run *run, const char *path, const struct tp_state_plan *plan,
                       struct tp_state_lists *lists, int flags, struct tp_error *err);

int tp_state_write(struct tp_run *run, const char *path, struct tp_error *err)
{
    return write_state(run, path, NULL, NULL, 0, err);
}

int tp_state_write_plan(struct tp_run *run, const char *path, const struct tp_state_plan *plan,
                        struct tp_error *err)
{
    return write_state(run, path, plan, NULL, 0, err);
}

int tp_state_write_handover(struct tp_run *run, const char *path, struct tp_state_lists lists[2],
                            struct tp_error *err)
{
    if (lists)
        memset(lists, 0, 2 * sizeof(*lists));
    int rc = write_state(run, path, NULL, lists, TP_OUT_NO_SYNC, err);
    if (rc && lists) {
        tp_state_lists_release(&lists[0]);
        tp_state_lists_release(&lists[1]);
    }
    return rc;
}

enum { STATE_WBUF = 1 << 20 };

static int write_state(struct tp_run *run, const char *path, const struct tp_state_plan *plan,
                       struct tp_state_lists *lists, int flags, struct tp_error *err)
{
    struct tp_out *out;
    struct tp_state_wr w = {0};
    if (!tp_corpus_counts(run->corpus)->uni.spill)
        return tp_error_set(err, TP_EINTERNAL, "a count state needs the per-document counts");
    int rc = tp_out_open(&out, path, TP_OUT_RAW | flags, err);
    if (rc)
        return rc;
    w.f = tp_out_file(out);
    if (!(w.h = XXH3_createState())) {
        tp_out_free(out);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    /* a file's own stdio buffer (not stdout's) of STATE_WBUF bytes: stdio's
     * default, the file system's block (4 KiB), took a write system call per
     * 4 KiB, 16,000 of them for a 64 MB state */
    char *wbuf = NULL;
    if (w.f != stdout && (wbuf = malloc(STATE_WBUF)) && setvbuf(w.f, wbuf, _IOFBF, STATE_WBUF)) {
        free(wbuf);
        wbuf = NULL;
    }
    tp_state_write_head(&w);
    rc = write_body(&w, run, plan, lists, err);
    if (!rc && w.bad)
        rc = tp_error_set(err, TP_EIO, "%s: cannot write the count state (%s)", path ? path : "-",
                          errno ? strerror(errno) : "not a seekable file");
    if (!rc && (rc = tp_out_finish(out, err)) == 0)
        rc = tp_out_publish(out, err);
    XXH3_freeState(w.h);
    tp_out_free(out); /* closes w.f, so its buffer goes after */
    free(wbuf);
    return rc;
}
