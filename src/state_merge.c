/*
 * state_merge.c - tempora merge as a k-way merge of streams (tp_state_merge,
 * state.h): the states are read section by section, side by side, and the
 * merged state written as they are read, so that what is held is the merged
 * vocabulary (and n-grams), not the inputs.
 *
 * Every input is open at once, each with its own section reader
 * (state_read.c), and all move through their sections together:
 *   TERM   every input's terms interned in argument order into the merged
 *          table (ids in first-seen order, as one run gives them; totals and
 *          document frequencies summed; a term's first occurrence from the
 *          input that first has it, past the tokens of the inputs before):
 *          the one table held whole, with each input's map to it;
 *   NGRM   the same for n-grams (--ngram), held whole too;
 *   PAIR   a state's pairs are in the order of their terms' bytes
 *          (state_write.c), which the merged ids keep: the inputs' pair
 *          streams are merged by that order, equal pairs summed, and written
 *          as they come (a version 1 state, in id order, is read whole and
 *          sorted first);
 *   DOCS   copied in argument order; each id's 64-bit hash kept, to find an
 *          id given twice (candidates are read again by their strings, so a
 *          hash collision is never an error);
 *   USPL, GSPL  each document's list copied with its ids through its input's
 *          map, a record at a time.
 * STAT comes before the sections whose totals it gives: it is written with
 * zeros and filled in at the end. The result is byte for byte the state of
 * tp_state_load of every input then tp_state_write (and of one count of the
 * same inputs), except that no pair table is built, so none reaches
 * --max-pair-memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <xxhash.h>

#include "counts_int.h"
#include "state_int.h"
#include "writer.h"

struct in {
    struct tp_state_rd r;
    struct tp_state_hdr h;
    uint32_t *map, *gmap; /* its term and n-gram ids -> the merged ones */
    uint64_t tok_off;     /* the merged tokens before its first */
    /* its pair stream: the pair at its head (A, B merged ids, key their
     * order), pairs left after it */
    int has;
    uint32_t a, b;
    uint64_t key, count, left;
    struct pr *sorted; /* a version 1 state's pairs, read whole and sorted */
    size_t n_sorted, at;
};

struct pr {
    uint64_t key;
    uint32_t a, b;
    uint64_t count;
};

struct merged {
    struct tp_table terms;
    uint64_t *total, *df, *first;
    uint32_t *seen_in; /* the input that gave the term last (a term given twice: damaged) */
    size_t cap;
    struct tp_tuples ngrams;
    uint64_t *g_total, *g_df;
    uint32_t *g_seen_in;
    size_t g_cap;
    uint32_t *rank; /* by term id: its place in the bytes order */
    /* a corpus that mixes languages: the lists that give a word a stopword
     * twin (tp_count_opts.stop_lang), else NULL */
    const struct tp_table *stop_lang;
};

static int grow(size_t need, size_t *cap, uint64_t **a, uint64_t **b, uint64_t **c, uint32_t **d)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 1024;
    while (n < need)
        n *= 2;
    uint64_t *x;
    uint32_t *y;
    if (!(x = realloc(*a, n * sizeof(**a))))
        return TP_ENOMEM;
    *a = x;
    if (!(x = realloc(*b, n * sizeof(**b))))
        return TP_ENOMEM;
    *b = x;
    if (c) {
        if (!(x = realloc(*c, n * sizeof(**c))))
            return TP_ENOMEM;
        *c = x;
    }
    if (!(y = realloc(*d, n * sizeof(**d))))
        return TP_ENOMEM;
    *d = y;
    *cap = n;
    return 0;
}

static int oom(struct tp_error *err)
{
    return tp_error_set(err, TP_ENOMEM, "out of memory");
}

/* A term into m where one count interns it: with stop_lang, a word with a
 * stopword twin has the twin right after it (counts.c, split_added), so a
 * twin's word goes in before the twin and a word's twin right after the
 * word, unseen (df 0) until an input gives them. The id, or -1. */
static int64_t intern_term(struct merged *m, const char *s, size_t len)
{
    if (m->stop_lang && len > 1 && (unsigned char)s[len - 1] == 0xFF &&
        tp_table_find(&m->terms, s, len) < 0 && intern_term(m, s, len - 1) < 0)
        return -1;
    int added = 0;
    int64_t id = tp_table_intern(&m->terms, s, len, &added);
    if (id < 0 || grow((size_t)id + 1, &m->cap, &m->total, &m->df, &m->first, &m->seen_in))
        return -1;
    if (!added)
        return id;
    m->total[id] = m->df[id] = m->first[id] = 0;
    m->seen_in[id] = UINT32_MAX;
    if (tp_counts_word_has_twin(m->stop_lang, s, len)) {
        char *b = malloc(len + 1);
        if (!b)
            return -1;
        memcpy(b, s, len);
        b[len] = (char)0xFF;
        int64_t tw = intern_term(m, b, len + 1);
        free(b);
        if (tw < 0)
            return -1;
    }
    return id;
}

/* The terms no input gave (twins and words interned unseen, intern_term)
 * dropped: ids renumbered, and every input's map with them. */
static int drop_unseen(struct merged *m, struct in *ins, size_t n)
{
    size_t nt = m->terms.n, k = 0;
    for (size_t t = 0; t < nt; t++)
        k += m->df[t] != 0;
    if (k == nt)
        return 0;
    uint32_t *fin = malloc((nt ? nt : 1) * sizeof(*fin));
    struct tp_table t2;
    if (!fin || tp_table_init(&t2)) {
        free(fin);
        return TP_ENOMEM;
    }
    k = 0;
    for (size_t t = 0; t < nt; t++) {
        fin[t] = UINT32_MAX;
        if (!m->df[t])
            continue;
        if (tp_table_intern(&t2, m->terms.terms[t].bytes, m->terms.terms[t].len, NULL) < 0) {
            tp_table_release(&t2);
            free(fin);
            return TP_ENOMEM;
        }
        fin[t] = (uint32_t)k;
        m->total[k] = m->total[t];
        m->df[k] = m->df[t];
        m->first[k] = m->first[t];
        m->seen_in[k] = m->seen_in[t];
        k++;
    }
    for (size_t i = 0; i < n; i++)
        for (uint64_t j = 0; j < ins[i].h.st.n_terms; j++)
            ins[i].map[j] = fin[ins[i].map[j]];
    tp_table_release(&m->terms);
    m->terms = t2;
    free(fin);
    return 0;
}

/* Input i's terms into m. */
static int read_terms(struct in *x, uint32_t i, struct merged *m)
{
    struct tp_state_rd *r = &x->r;
    const struct tp_state_stats *s = &x->h.st;
    char *str = NULL;
    int rc;
    if ((rc = tp_state_sec_expect(r, "TERM")))
        return rc;
    if (s->n_terms > r->left / 8)
        return tp_state_rd_fail(r, "more terms than the section holds (damaged)");
    if (!(x->map = malloc((s->n_terms ? s->n_terms : 1) * sizeof(*x->map))))
        return oom(r->err);
    for (uint64_t j = 0; j < s->n_terms; j++) {
        uint32_t len;
        uint64_t first, total, df;
        if ((rc = tp_state_rd_term(r, s, &str, &len, &first, &total, &df)))
            goto out;
        int64_t id = intern_term(m, str, len);
        free(str);
        str = NULL;
        if (id < 0) {
            rc = oom(r->err);
            goto out;
        }
        if (!m->df[id]) { /* new, or interned unseen before */
            m->total[id] = 0;
            m->first[id] = x->tok_off + first;
        } else if (m->seen_in[id] == i) {
            rc = tp_state_rd_fail(r, "a term given twice (damaged)");
            goto out;
        }
        m->seen_in[id] = i;
        m->total[id] += total;
        m->df[id] += df;
        x->map[j] = (uint32_t)id;
    }
    rc = tp_state_sec_end(r);
out:
    free(str);
    return rc;
}

/* Input i's n-grams of ng terms into m. */
static int read_ngrams(struct in *x, uint32_t i, unsigned ng, struct merged *m)
{
    struct tp_state_rd *r = &x->r;
    const struct tp_state_stats *s = &x->h.st;
    if (s->n_ngrams > r->left / (ng + 2))
        return tp_state_rd_fail(r, "more n-grams than the section holds (damaged)");
    if (!(x->gmap = malloc((s->n_ngrams ? s->n_ngrams : 1) * sizeof(*x->gmap))))
        return oom(r->err);
    int rc;
    for (uint64_t g = 0; g < s->n_ngrams; g++) {
        uint32_t key[TP_KEY_MAX];
        uint64_t total, df, w;
        for (unsigned k = 0; k < ng; k++) {
            if ((rc = tp_state_rd_var(r, &w)))
                return rc;
            if (w >= s->n_terms)
                return tp_state_rd_fail(r, "an n-gram of unknown terms (damaged)");
            key[k] = x->map[w];
        }
        if ((rc = tp_state_rd_var(r, &total)) || (rc = tp_state_rd_var(r, &df)))
            return rc;
        if (!df || df > total || total > s->n_tokens)
            return tp_state_rd_fail(r, "an n-gram with impossible counts (damaged)");
        size_t before = m->ngrams.n_items;
        int64_t id = tp_tuples_intern(&m->ngrams, key);
        if (id < 0 || grow((size_t)id + 1, &m->g_cap, &m->g_total, &m->g_df, NULL, &m->g_seen_in))
            return oom(r->err);
        if (m->ngrams.n_items > before) {
            m->g_total[id] = m->g_df[id] = 0;
        } else if (m->g_seen_in[id] == i) {
            return tp_state_rd_fail(r, "an n-gram given twice (damaged)");
        }
        m->g_seen_in[id] = i;
        m->g_total[id] += total;
        m->g_df[id] += df;
        x->gmap[g] = (uint32_t)id;
    }
    return tp_state_sec_end(r);
}

static int cmp_pr(const void *a, const void *b)
{
    uint64_t x = ((const struct pr *)a)->key, y = ((const struct pr *)b)->key;
    return (x > y) - (x < y);
}

/* One pair of input x's section: its ids through the map, its key. */
static int read_pair(struct in *x, const struct merged *m, struct pr *p)
{
    uint64_t w1, w2, n;
    int rc;
    if ((rc = tp_state_rd_var(&x->r, &w1)) || (rc = tp_state_rd_var(&x->r, &w2)) ||
        (rc = tp_state_rd_var(&x->r, &n)))
        return rc;
    if (w1 >= x->h.st.n_terms || w2 >= x->h.st.n_terms || !n)
        return tp_state_rd_fail(&x->r, "a pair of unknown terms (damaged)");
    p->a = x->map[w1];
    p->b = x->map[w2];
    p->key = (uint64_t)m->rank[p->a] << 32 | m->rank[p->b];
    p->count = n;
    return 0;
}

/* The next pair of input x at its head (x->has 0 after its last). */
static int next_pair(struct in *x, const struct merged *m)
{
    if (x->sorted) {
        x->has = x->at < x->n_sorted;
        if (x->has) {
            const struct pr *p = &x->sorted[x->at++];
            x->a = p->a;
            x->b = p->b;
            x->key = p->key;
            x->count = p->count;
        }
        return 0;
    }
    if (!x->left) {
        x->has = 0;
        return tp_state_sec_end(&x->r);
    }
    struct pr p;
    int rc = read_pair(x, m, &p);
    if (rc)
        return rc;
    if (x->has && p.key <= x->key)
        return tp_state_rd_fail(&x->r, "pairs out of order (damaged)");
    x->left--;
    x->has = 1;
    x->a = p.a;
    x->b = p.b;
    x->key = p.key;
    x->count = p.count;
    return 0;
}

/* Open input x's pair stream (a version 1 state's pairs are read whole and
 * sorted by the merged order). */
static int open_pairs(struct in *x, const struct merged *m)
{
    struct tp_state_rd *r = &x->r;
    if (x->h.st.n_pairs > r->left / 3)
        return tp_state_rd_fail(r, "more pairs than the section holds (damaged)");
    x->left = x->h.st.n_pairs;
    x->has = 0;
    if (r->version >= 2)
        return next_pair(x, m);
    size_t n = (size_t)x->left;
    if (!(x->sorted = malloc((n ? n : 1) * sizeof(*x->sorted))))
        return oom(r->err);
    int rc;
    for (size_t p = 0; p < n; p++)
        if ((rc = read_pair(x, m, &x->sorted[p])))
            return rc;
    if ((rc = tp_state_sec_end(r)))
        return rc;
    qsort(x->sorted, n, sizeof(*x->sorted), cmp_pr);
    for (size_t p = 1; p < n; p++)
        if (x->sorted[p].key == x->sorted[p - 1].key)
            return tp_state_rd_fail(r, "a pair given twice (damaged)");
    x->n_sorted = n;
    x->left = 0;
    return next_pair(x, m);
}

/* Every input's DOCS section, copied; each id's hash into hashes. */
static int copy_docs(struct in *x, struct tp_state_wr *w, uint64_t *hashes)
{
    struct tp_state_rd *r = &x->r;
    const struct tp_state_stats *s = &x->h.st;
    char *str = NULL;
    int rc;
    if ((rc = tp_state_sec_expect(r, "DOCS")))
        return rc;
    if (s->n_docs > r->left / 20)
        return tp_state_rd_fail(r, "more documents than the section holds (damaged)");
    uint64_t tokens = 0;
    for (uint64_t d = 0; d < s->n_docs; d++) {
        uint32_t len;
        unsigned char b[16];
        struct tp_date dt;
        uint64_t nt;
        if ((rc = tp_state_rd_doc(r, s, &tokens, &str, &len, b, &dt, &nt)))
            goto out;
        hashes[d] = XXH3_64bits(str, len);
        tp_state_put_str(w, str, len);
        tp_state_put(w, b, 16);
        free(str);
        str = NULL;
    }
    if (tokens != s->n_tokens) {
        rc = tp_state_rd_fail(r, "document lengths do not add up (damaged)");
        goto out;
    }
    rc = tp_state_sec_end(r);
out:
    free(str);
    return rc;
}

/* Input x's lists of section tag, ids (below n_ids) through map, copied. */
static int copy_lists(struct in *x, const char *tag, const uint32_t *map, uint64_t n_ids,
                      struct tp_state_wr *w, unsigned char **buf, size_t *cap)
{
    struct tp_state_rd *r = &x->r;
    int rc;
    if ((rc = tp_state_sec_expect(r, tag)))
        return rc;
    for (uint64_t d = 0; d < x->h.st.n_docs; d++) {
        unsigned char hdr[8];
        if ((rc = tp_state_rd_get(r, hdr, 8)))
            return rc;
        uint32_t len = tp_state_le32(hdr), n = tp_state_le32(hdr + 4);
        if ((uint64_t)n * 5 > len || len > (uint64_t)n * 15 || len > r->left)
            return tp_state_rd_fail(r, "a document's list is damaged");
        if (len > *cap || !*buf) { /* an empty list too: not a null pointer */
            unsigned char *b = realloc(*buf, len ? len : 1);
            if (!b)
                return oom(r->err);
            *buf = b;
            *cap = len ? len : 1;
        }
        uint64_t sum;
        if ((rc = tp_state_rd_get(r, *buf, len)))
            return rc;
        if (tp_state_check_list(*buf, len, n, n_ids, &sum))
            return tp_state_rd_fail(r, "a document's list is damaged");
        for (uint32_t i = 0; i < n; i++) {
            unsigned char *p = *buf + (size_t)i * 4;
            uint32_t id = map[tp_state_le32(p)];
            for (int j = 0; j < 4; j++)
                p[j] = (unsigned char)(id >> (8 * j));
        }
        tp_state_put(w, hdr, 8);
        tp_state_put(w, *buf, len);
    }
    return tp_state_sec_end(r);
}

/* --- an id given twice -------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

struct dup {
    const uint64_t *cand; /* hashes seen twice, sorted */
    size_t n_cand;
    struct tp_table seen; /* ids with such a hash ... */
    uint32_t *file_of;    /* ... and the input each came from */
    size_t cap;
    const char *const *paths;
    uint32_t file;
    struct tp_error *err;
};

static int dup_id(void *ctx, const char *id, size_t index)
{
    struct dup *s = ctx;
    (void)index;
    size_t len = strlen(id);
    uint64_t h = XXH3_64bits(id, len);
    if (!bsearch(&h, s->cand, s->n_cand, sizeof(h), cmp_u64))
        return 0;
    int added = 0;
    int64_t k = tp_table_intern(&s->seen, id, len, &added);
    if (k < 0)
        return oom(s->err);
    if (!added)
        return tp_error_set(s->err, TP_EDATA,
                            "document '%.300s' is in %s and again in %s: a document may be "
                            "merged once",
                            id, s->paths[s->file_of[k]], s->paths[s->file]);
    if ((size_t)k >= s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        while (cap <= (size_t)k)
            cap *= 2;
        uint32_t *p = realloc(s->file_of, cap * sizeof(*p));
        if (!p)
            return oom(s->err);
        s->file_of = p;
        s->cap = cap;
    }
    s->file_of[k] = s->file;
    return 0;
}

/* The ids' hashes (n of them, sorted here): an id given twice is an error
 * naming it and both inputs; equal hashes of different ids are not. */
static int check_ids(uint64_t *hashes, size_t n, const char *const *paths, size_t n_in,
                     struct tp_error *err)
{
    qsort(hashes, n, sizeof(*hashes), cmp_u64);
    size_t n_cand = 0;
    for (size_t i = 1; i < n; i++)
        if (hashes[i] == hashes[i - 1] && (n_cand == 0 || hashes[n_cand - 1] != hashes[i]))
            hashes[n_cand++] = hashes[i];
    if (!n_cand)
        return 0;
    struct dup s = {.cand = hashes, .n_cand = n_cand, .paths = paths, .err = err};
    int rc = tp_table_init(&s.seen) ? oom(err) : 0;
    for (s.file = 0; !rc && s.file < n_in; s.file++)
        rc = tp_state_each_id(paths[s.file], dup_id, &s, err);
    tp_table_release(&s.seen);
    free(s.file_of);
    return rc;
}

/* --- the merge ---------------------------------------------------------- */

int tp_state_merge(struct tp_run *run, const char *const *paths, size_t n, const char *output,
                   struct tp_error *err)
{
    struct in *ins = calloc(n ? n : 1, sizeof(*ins));
    struct merged m = {0};
    struct tp_out *out = NULL;
    struct tp_state_wr w = {0};
    uint64_t *hashes = NULL;
    unsigned char *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    unsigned ng = run->count_opts.ngram > 1 ? run->count_opts.ngram : 0;
    unsigned window = run->count_opts.window;
    if (!ins || tp_table_init(&m.terms) || (ng && tp_tuples_init(&m.ngrams, ng))) {
        rc = oom(err);
        goto out;
    }
    /* the heads: options compared with the run's (the first state's) */
    uint64_t st[TP_STATE_N_STAT] = {0}, n_docs = 0, lost = run->state_lost;
    struct tp_state_stats *sum = (struct tp_state_stats *)st;
    for (size_t i = 0; i < n; i++) {
        struct in *x = &ins[i];
        if ((rc = tp_state_rd_open(&x->r, paths[i], err)) ||
            (rc = tp_state_rd_head(&x->r, &x->h)) ||
            (rc = tp_state_check_opts(run, &x->h, paths[i], err)))
            goto out;
        const struct tp_state_stats *s = &x->h.st;
        unsigned long v;
        unsigned st_ng = 1;
        if (!tp_state_parse_uint(tp_state_hdr_opt(&x->h, "ngram"), TP_KEY_MAX, &v))
            st_ng = (unsigned)v;
        if (ng && st_ng != ng) {
            rc = tp_error_set(err, TP_EDATA,
                              "%s: counted with --ngram %u, this run has --ngram %u: count again "
                              "with the same --ngram",
                              paths[i], st_ng, ng);
            goto out;
        }
        x->tok_off = sum->n_tokens;
        if (s->n_tokens > UINT64_MAX - sum->n_tokens) {
            rc = tp_state_rd_fail(&x->r, "impossible totals (damaged)");
            goto out;
        }
        sum->n_docs += s->n_docs;
        sum->n_tokens += s->n_tokens;
        sum->n_files += s->n_files;
        sum->input_bytes += s->input_bytes;
        sum->overlong += s->overlong;
        for (int k = 0; k < 7; k++)
            sum->rs[k] += s->rs[k];
        sum->pairs_full |= s->pairs_full != 0;
        sum->ngrams_full |= s->ngrams_full != 0;
        lost |= x->h.lost;
    }
    n_docs = sum->n_docs;
    if (!(hashes = malloc((n_docs ? n_docs : 1) * sizeof(*hashes)))) {
        rc = oom(err);
        goto out;
    }
    if ((rc = tp_out_open(&out, output, TP_OUT_RAW, err)))
        goto out;
    w.f = tp_out_file(out);
    if (!(w.h = XXH3_createState())) {
        rc = oom(err);
        goto out;
    }
    tp_state_write_head(&w);
    tp_state_write_opts(&w, run);
    tp_state_sec_open(&w, "STAT", TP_STATE_REQUIRED);
    off_t stat_at = w.start;
    for (int k = 0; k <= TP_STATE_N_STAT; k++)
        tp_state_put64(&w, 0); /* filled in at the end */
    tp_state_sec_close(&w);
    tp_state_write_stop(&w, run);

    /* terms */
    m.stop_lang = run->count_opts.stop_lang;
    for (size_t i = 0; i < n; i++)
        if ((rc = read_terms(&ins[i], (uint32_t)i, &m)))
            goto out;
    if (drop_unseen(&m, ins, n)) {
        rc = oom(err);
        goto out;
    }
    size_t n_terms = m.terms.n;
    tp_state_sec_open(&w, "TERM", TP_STATE_REQUIRED);
    for (size_t t = 0; t < n_terms; t++) {
        tp_state_put_str(&w, m.terms.terms[t].bytes, m.terms.terms[t].len);
        tp_state_put_var(&w, m.first[t]);
        tp_state_put_var(&w, m.total[t]);
        tp_state_put_var(&w, m.df[t]);
    }
    tp_state_sec_close(&w);

    /* n-grams */
    for (size_t i = 0; i < n; i++) {
        if ((rc = tp_state_sec_expect(&ins[i].r, "NGRM")))
            goto out;
        if ((rc = ng ? read_ngrams(&ins[i], (uint32_t)i, ng, &m) : tp_state_sec_skip(&ins[i].r)))
            goto out;
    }
    size_t n_ng = ng ? m.ngrams.n_items : 0;
    tp_state_sec_open(&w, "NGRM", TP_STATE_REQUIRED);
    for (size_t g = 0; g < n_ng; g++) {
        const uint32_t *k = tp_tuples_key(&m.ngrams, g);
        for (unsigned j = 0; j < ng; j++)
            tp_state_put_var(&w, k[j]);
        tp_state_put_var(&w, m.g_total[g]);
        tp_state_put_var(&w, m.g_df[g]);
    }
    tp_state_sec_close(&w);

    /* pairs: the inputs' streams merged by the bytes of their terms */
    uint64_t n_pairs = 0;
    uint32_t *by_rank = NULL;
    int pairs = window && !(lost & TP_STATE_LOST_PAIRS);
    if (pairs && (!(m.rank = malloc((n_terms ? n_terms : 1) * sizeof(*m.rank))) ||
                  !(by_rank = malloc((n_terms ? n_terms : 1) * sizeof(*by_rank))) ||
                  tp_state_bytes_order(&m.terms, by_rank, m.rank))) {
        free(by_rank);
        rc = oom(err);
        goto out;
    }
    free(by_rank);
    for (size_t i = 0; i < n; i++) {
        if ((rc = tp_state_sec_expect(&ins[i].r, "PAIR")))
            goto out;
        if ((rc = pairs ? open_pairs(&ins[i], &m) : tp_state_sec_skip(&ins[i].r)))
            goto out;
    }
    tp_state_sec_open(&w, "PAIR", TP_STATE_REQUIRED);
    for (;;) {
        struct in *lo = NULL;
        for (size_t i = 0; pairs && i < n; i++)
            if (ins[i].has && (!lo || ins[i].key < lo->key))
                lo = &ins[i];
        if (!lo)
            break;
        uint64_t key = lo->key, count = 0;
        uint32_t a = lo->a, b = lo->b;
        for (size_t i = 0; i < n; i++) {
            if (!ins[i].has || ins[i].key != key)
                continue;
            if (ins[i].count > UINT64_MAX - count) {
                rc = tp_state_rd_fail(&ins[i].r, "a pair count too large (damaged)");
                goto out;
            }
            count += ins[i].count;
            if ((rc = next_pair(&ins[i], &m)))
                goto out;
        }
        tp_state_put_var(&w, a);
        tp_state_put_var(&w, b);
        tp_state_put_var(&w, count);
        n_pairs++;
    }
    tp_state_sec_close(&w);

    /* documents, then an id given twice */
    tp_state_sec_open(&w, "DOCS", TP_STATE_REQUIRED);
    for (size_t i = 0, at = 0; i < n; at += ins[i].h.st.n_docs, i++)
        if ((rc = copy_docs(&ins[i], &w, hashes + at)))
            goto out;
    tp_state_sec_close(&w);
    if ((rc = check_ids(hashes, n_docs, paths, n, err)))
        goto out;

    /* the documents' lists */
    tp_state_sec_open(&w, "USPL", TP_STATE_REQUIRED);
    for (size_t i = 0; i < n; i++)
        if ((rc = copy_lists(&ins[i], "USPL", ins[i].map, ins[i].h.st.n_terms, &w, &buf, &cap)))
            goto out;
    tp_state_sec_close(&w);
    tp_state_sec_open(&w, "GSPL", TP_STATE_REQUIRED);
    for (size_t i = 0; i < n; i++) {
        if (ng)
            rc = copy_lists(&ins[i], "GSPL", ins[i].gmap, ins[i].h.st.n_ngrams, &w, &buf, &cap);
        else if (!(rc = tp_state_sec_expect(&ins[i].r, "GSPL")))
            rc = tp_state_sec_skip(&ins[i].r);
        if (rc)
            goto out;
    }
    tp_state_sec_close(&w);
    for (size_t i = 0; i < n; i++) {
        struct tp_state_rd *r = &ins[i].r;
        if ((rc = tp_state_sec_expect(r, "END ")) || (rc = tp_state_sec_end(r)))
            goto out;
        if (r->at != r->size) {
            r->tag[0] = '\0';
            rc = tp_state_rd_fail(r, "bytes after its end");
            goto out;
        }
    }
    tp_state_sec_open(&w, "END ", TP_STATE_REQUIRED);
    tp_state_sec_close(&w);

    /* STAT, now that its totals are known */
    sum->n_terms = n_terms;
    sum->n_ngrams = n_ng;
    sum->n_pairs = n_pairs;
    sum->lang = (uint64_t)run->lang;
    sum->extra_langs = run->extra_langs;
    unsigned char stat[(TP_STATE_N_STAT + 1) * 8], hb[8];
    for (int k = 0; k <= TP_STATE_N_STAT; k++) {
        uint64_t v = k < TP_STATE_N_STAT ? st[k] : lost;
        for (int j = 0; j < 8; j++)
            stat[8 * k + j] = (unsigned char)(v >> (8 * j));
    }
    uint64_t hash = XXH3_64bits(stat, sizeof(stat));
    for (int j = 0; j < 8; j++)
        hb[j] = (unsigned char)(hash >> (8 * j));
    off_t end = ftello(w.f);
    if (end < 0 || fseeko(w.f, stat_at, SEEK_SET) != 0 ||
        fwrite(stat, 1, sizeof(stat), w.f) != sizeof(stat) || fwrite(hb, 1, 8, w.f) != 8 ||
        fseeko(w.f, end, SEEK_SET) != 0)
        w.bad = 1;
    if (w.bad) {
        rc = tp_error_set(err, TP_EIO, "%s: cannot write the count state (%s)", output,
                          errno ? strerror(errno) : "not a seekable file");
        goto out;
    }
    if ((rc = tp_out_finish(out, err)) == 0)
        rc = tp_out_publish(out, err);
out:
    if (w.h)
        XXH3_freeState(w.h);
    tp_out_free(out);
    for (size_t i = 0; ins && i < n; i++) {
        tp_state_rd_close(&ins[i].r);
        tp_state_hdr_free(&ins[i].h);
        free(ins[i].map);
        free(ins[i].gmap);
        free(ins[i].sorted);
    }
    free(ins);
    free(hashes);
    free(buf);
    tp_table_release(&m.terms);
    if (ng)
        tp_tuples_release(&m.ngrams);
    free(m.total);
    free(m.df);
    free(m.first);
    free(m.seen_in);
    free(m.g_total);
    free(m.g_df);
    free(m.g_seen_in);
    free(m.rank);
    return rc;
}
