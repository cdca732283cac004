/*
 * report.c - tables from a finished run (see report.h).
 *
 * Every table is built as an array of rows with a sort key and a name, sorted
 * (key descending, then name bytewise), cut to --top, and written. The
 * per-document spill is re-read here, once per table that needs it: Gries' DP
 * (needs each term's total first), TF-IDF (needs document frequencies),
 * timelines and keyness (need each document's period or side).
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "dates.h"
#include "report.h"
#include "stats.h"
#include "stopwords.h"
#include "timeline.h"

struct row {
    double key;
    const char *name;
    uint32_t name_len;
    uint32_t id;
};

static int row_cmp(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key > b->key ? -1 : 1;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int r = memcmp(a->name, b->name, n);
    if (r)
        return r;
    return (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

static void swap_rows(struct row *a, struct row *b)
{
    struct row t = *a;
    *a = *b;
    *b = t;
}

/* Put the k best of rows[0..n) (0 < k < n), in any order, at the front:
 * quickselect with a median-of-three pivot (row_cmp is a total order). */
static void select_rows(struct row *rows, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (row_cmp(&rows[mid], &rows[lo]) < 0)
            swap_rows(&rows[mid], &rows[lo]);
        if (row_cmp(&rows[hi], &rows[lo]) < 0)
            swap_rows(&rows[hi], &rows[lo]);
        if (row_cmp(&rows[hi], &rows[mid]) < 0)
            swap_rows(&rows[hi], &rows[mid]);
        struct row pivot = rows[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (row_cmp(&rows[i], &pivot) < 0)
                i++;
            while (row_cmp(&rows[j], &pivot) > 0)
                j--;
            if (i <= j) {
                swap_rows(&rows[i], &rows[j]);
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        /* rows[lo..j] <= pivot <= rows[i..hi], i > j */
        if (k - 1 <= j)
            hi = j;
        else if (k - 1 >= i)
            lo = i;
        else
            return;
    }
}

/* Put the best min(k, n) rows, in row_cmp order, at the front; returns how
 * many. A small k is an insertion into a short sorted prefix (most documents'
 * top 10 out of hundreds of terms); otherwise a selection, then a sort of the
 * k selected. */
static size_t top_rows(struct row *rows, size_t n, size_t k)
{
    if (k >= n || k > 64) {
        if (k < n)
            select_rows(rows, n, k);
        if ((k < n ? k : n) > 1) /* an empty corpus has no rows, maybe no array */
            qsort(rows, k < n ? k : n, sizeof(*rows), row_cmp);
        return k < n ? k : n;
    }
    size_t m = 0;
    for (size_t i = 0; i < n && k; i++) {
        struct row r = rows[i];
        if (m == k && row_cmp(&r, &rows[k - 1]) >= 0)
            continue;
        size_t j = m < k ? m++ : k - 1;
        while (j > 0 && row_cmp(&r, &rows[j - 1]) < 0) {
            rows[j] = rows[j - 1];
            j--;
        }
        rows[j] = r;
    }
    return m;
}

static int oom(struct tp_error *err)
{
    return tp_error_set(err, TP_ENOMEM,
                        "out of memory while building a table (its rows grow with the vocabulary, "
                        "--ngram, --window and --top: lower them, or raise --min-count)");
}

/* Rows to write: all when top < 0, else at most top. */
static size_t limit(long top, size_t n)
{
    return top >= 0 && (size_t)top < n ? (size_t)top : n;
}

/* Join the words of an id tuple with single spaces, in arena a. */
static char *join_words(const struct tp_counts *c, const uint32_t *ids, unsigned n,
                        struct tp_arena *a, uint32_t *len)
{
    size_t total = 0;
    for (unsigned i = 0; i < n; i++)
        total += c->terms.terms[ids[i]].len + 1;
    char *s = tp_arena_alloc(a, total);
    if (!s)
        return NULL;
    size_t at = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct tp_term *t = &c->terms.terms[ids[i]];
        if (i)
            s[at++] = ' ';
        memcpy(s + at, t->bytes, t->len);
        at += t->len;
    }
    s[at] = '\0';
    *len = (uint32_t)at;
    return s;
}

static int tuple_reportable(const struct tp_counts *c, const uint32_t *ids, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (c->terms.terms[ids[i]].flags & (TP_TERM_STOP | TP_TERM_SHORT))
            return 0;
    return 1;
}

static void date_label(const struct tp_date *d, char *buf, size_t cap)
{
    switch (d->prec) {
    case TP_PREC_YEAR:
        snprintf(buf, cap, "%04d", d->year);
        break;
    case TP_PREC_MONTH:
        snprintf(buf, cap, "%04d-%02d", d->year, d->month);
        break;
    case TP_PREC_DAY:
        snprintf(buf, cap, "%04d-%02d-%02d", d->year, d->month, d->day);
        break;
    default:
        buf[0] = '\0';
    }
}

/* --- freq ----------------------------------------------------------------- */

/* Gries' DP for every id of counter k: 0.5 * sum over documents |v_i - s_i|,
 * where documents without the id contribute s_i; their sum is computed exactly
 * from token counts as (N - the tokens of the documents with the id) / N. */
static int dp_values(struct tp_counts *c, struct tp_counter *k, size_t n_ids, double **out,
                     struct tp_error *err)
{
    int rc;
    double *dp = calloc(n_ids ? n_ids : 1, sizeof(double));
    uint64_t *occ = calloc(n_ids ? n_ids : 1, sizeof(uint64_t));
    if (!dp || !occ) {
        rc = oom(err);
        goto fail;
    }
    double N = (double)c->n_tokens;
    struct tp_spill_iter it;
    if ((rc = tp_spill_iter_init(&it, k, c->n_docs, err)))
        goto fail;
    while ((rc = tp_spill_iter_next(&it, err)) > 0) {
        uint64_t dn = c->docs[it.doc].n_tokens;
        double s = (double)dn / N;
        for (size_t j = 0; j < it.n; j++) {
            dp[it.ids[j]] += fabs((double)it.counts[j] / (double)k->total[it.ids[j]] - s);
            occ[it.ids[j]] += dn;
        }
    }
    if (rc < 0)
        goto fail;
    for (size_t i = 0; i < n_ids; i++)
        if (k->total[i])
            dp[i] = 0.5 * (dp[i] + (double)(c->n_tokens - occ[i]) / N);
    free(occ);
    *out = dp;
    return 0;
fail:
    free(dp);
    free(occ);
    return rc;
}

int tp_report_freq(struct tp_run *run, struct tp_out *out, struct tp_error *err)
{
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    int ngram = c->o.ngram > 1;
    struct tp_counter *k = ngram ? &c->ng : &c->uni;
    size_t n_ids = ngram ? c->ngrams.n_items : c->terms.n;
    struct tp_arena names = TP_ARENA_INIT;
    double *dp = NULL;
    struct row *rows = malloc((n_ids ? n_ids : 1) * sizeof(*rows));
    size_t n_rows = 0;
    int rc = 0;
    if (!rows)
        return oom(err);
    for (size_t i = 0; i < n_ids; i++) {
        if (!k->total[i])
            continue;
        struct row r = {(double)k->total[i], NULL, 0, (uint32_t)i};
        if (ngram) {
            const uint32_t *key = tp_tuples_key(&c->ngrams, i);
            if (!tuple_reportable(c, key, c->o.ngram))
                continue;
            r.name = join_words(c, key, c->o.ngram, &names, &r.name_len);
            if (!r.name) {
                rc = oom(err);
                goto out;
            }
        } else {
            if (!tp_counts_reportable(c, (uint32_t)i))
                continue;
            r.name = c->terms.terms[i].bytes;
            r.name_len = c->terms.terms[i].len;
        }
        rows[n_rows++] = r;
    }
    size_t n_out = top_rows(rows, n_rows, limit(run->o->top, n_rows));
    if (c->n_tokens && (rc = dp_values(c, k, n_ids, &dp, err)))
        goto out;
    tp_out_header(out, "rank,term,count,per_million,doc_freq,dp");
    for (size_t i = 0; i < n_out; i++) {
        uint32_t id = rows[i].id;
        tp_out_u64(out, i + 1);
        tp_out_text(out, rows[i].name, rows[i].name_len);
        tp_out_u64(out, k->total[id]);
        tp_out_double(out, (double)k->total[id] / (double)c->n_tokens * 1e6);
        tp_out_u64(out, k->df[id]);
        tp_out_double(out, dp[id]);
        tp_out_row_end(out);
    }
out:
    free(dp);
    free(rows);
    tp_arena_release(&names);
    return rc;
}

/* Run fn on each of the n parts (size bytes apart from parts on): parts 1..n
 * on threads of their own, part 0 on this thread, and a part whose thread
 * cannot be started here too, after it. Returns when all are done. */
static void run_parts(void *(*fn)(void *), void *parts, size_t size, unsigned n)
{
    pthread_t tid[TP_MAX_THREADS];
    unsigned started = 1;
    for (; started < n && started < TP_MAX_THREADS; started++)
        if (pthread_create(&tid[started], NULL, fn, (char *)parts + started * size) != 0)
            break;
    fn(parts);
    for (unsigned t = started; t < n; t++)
        fn((char *)parts + t * size);
    for (unsigned t = 1; t < started; t++)
        pthread_join(tid[t], NULL);
}

/* --- tfidf ---------------------------------------------------------------- */

/* The tf weight of a count (--tf). */
static double tf_weight(enum tp_tf tf, uint64_t count)
{
    return tf == TP_TF_LOG ? 1 + log((double)count) : tf == TP_TF_BOOL ? 1 : (double)count;
}

/* What every document's TF-IDF rows need, shared read-only by the threads. */
struct tfidf_ctx {
    const struct tp_opts *o;
    const struct tp_counts *c;
    const double *idf; /* by term id */
    size_t top;
};

/* idf values as written, by term id modulo the cache's size: most rows are
 * of common terms, whose idf is formatted once instead of once a row. */
enum { IDF_CACHE = 4096 };
struct idf_text {
    uint32_t id1; /* term id + 1; 0 = empty */
    uint8_t len;
    char s[27];
};

/* Scratch of one thread: a document's rows and weights. */
struct tfidf_scratch {
    struct row *rows;
    double *w;
    size_t cap;
    struct idf_text *idf_cache; /* IDF_CACHE entries, or NULL */
};

static void out_idf(struct tp_out *out, const double *idf, uint32_t id, struct tfidf_scratch *s)
{
    if (!s->idf_cache && !(s->idf_cache = calloc(IDF_CACHE, sizeof(*s->idf_cache)))) {
        tp_out_double(out, idf[id]);
        return;
    }
    struct idf_text *e = &s->idf_cache[id % IDF_CACHE];
    if (e->id1 != id + 1) {
        char buf[40];
        size_t n = tp_format_double(idf[id], buf);
        if (n >= sizeof(e->s)) {
            tp_out_number(out, buf, n);
            return;
        }
        memcpy(e->s, buf, n);
        e->len = (uint8_t)n;
        e->id1 = id + 1;
    }
    tp_out_number(out, e->s, e->len);
}

/* The rows of document d, whose list is ids/cnt[0..n), written to out. */
static int tfidf_doc(const struct tfidf_ctx *x, size_t d, const uint32_t *ids, const uint64_t *cnt,
                     size_t n, struct tfidf_scratch *s, struct tp_out *out, struct tp_error *err)
{
    const struct tp_opts *o = x->o;
    const struct tp_counts *c = x->c;
    if (n > s->cap) {
        free(s->rows);
        free(s->w);
        s->rows = malloc(n * sizeof(*s->rows));
        s->w = malloc(n * sizeof(*s->w));
        s->cap = n;
        if (!s->rows || !s->w) {
            s->cap = 0;
            return oom(err);
        }
    }
    struct row *rows = s->rows;
    double *w = s->w;
    double norm = 0;
    size_t n_rows = 0;
    for (size_t j = 0; j < n; j++) {
        const struct tp_term *t = &c->terms.terms[ids[j]];
        if (t->flags & TP_TERM_STOP)
            continue;
        w[j] = tf_weight(o->tf, cnt[j]) * x->idf[ids[j]];
        norm += o->norm == TP_NORM_L2 ? w[j] * w[j] : fabs(w[j]);
        if (!(t->flags & TP_TERM_SHORT))
            rows[n_rows++] = (struct row){0, t->bytes, t->len, (uint32_t)j};
    }
    norm = o->norm == TP_NORM_L2 ? sqrt(norm) : o->norm == TP_NORM_L1 ? norm : 1;
    for (size_t r = 0; r < n_rows; r++)
        rows[r].key = norm > 0 ? w[rows[r].id] / norm : 0;
    size_t n_out = top_rows(rows, n_rows, limit((long)x->top, n_rows));
    char date[16];
    date_label(&c->docs[d].date, date, sizeof(date));
    for (size_t r = 0; r < n_out; r++) {
        size_t j = rows[r].id;
        tp_out_str(out, c->docs[d].id);
        tp_out_str(out, date);
        tp_out_u64(out, r + 1);
        tp_out_text(out, rows[r].name, rows[r].name_len);
        tp_out_u64(out, cnt[j]);
        tp_out_double(out, tf_weight(o->tf, cnt[j]));
        tp_out_u64(out, c->uni.df[ids[j]]);
        out_idf(out, x->idf, ids[j], s);
        tp_out_double(out, rows[r].key);
        tp_out_row_end(out);
    }
    return 0;
}

/* Documents a thread loads from the spill at a time. */
enum { TFIDF_BLOCK = 1024 };

/* Documents [d0, d1) read from the spill on a thread, rows into out. */
struct tfidf_part {
    const struct tfidf_ctx *x;
    size_t d0, d1;
    struct tp_out *out;
    struct tp_spill_reader sr;
    struct tfidf_scratch s;
    int rc;
    struct tp_error err;
};

static void *tfidf_part_main(void *arg)
{
    struct tfidf_part *p = arg;
    for (size_t b = p->d0; b < p->d1 && !p->rc; b += TFIDF_BLOCK) {
        size_t e = p->d1 - b > TFIDF_BLOCK ? b + TFIDF_BLOCK : p->d1;
        p->rc = tp_spill_load(&p->x->c->uni, b, e, &p->sr, &p->err);
        for (size_t d = b; d < e && !p->rc; d++) {
            p->rc = tp_spill_next(&p->sr, &p->err);
            if (!p->rc)
                p->rc =
                    tfidf_doc(p->x, d, p->sr.ids, p->sr.counts, p->sr.n, &p->s, p->out, &p->err);
        }
    }
    return NULL;
}

/* Every document's rows on n_threads threads, each taking a contiguous run
 * of documents with about as many bytes of lists as the others: this thread
 * writes the first run straight to out, the others write theirs into parts
 * appended to out in order once all are done. Each thread works without a
 * pause from start to end: threads started and stopped for every block of
 * documents spent as long waiting for an idle core to wake as computing. */
static int tfidf_rows(const struct tfidf_ctx *x, unsigned n_threads, struct tp_out *out,
                      struct tp_error *err)
{
    const struct tp_counter *k = &x->c->uni;
    size_t n_docs = x->c->n_docs;
    struct tfidf_part *p = calloc(n_threads, sizeof(*p));
    int rc = 0;
    if (!p) {
        rc = oom(err);
        goto done;
    }
    uint64_t total = 0, cum = 0;
    for (size_t d = 0; d < n_docs; d++)
        total += k->lens[d];
    size_t d = 0;
    for (unsigned t = 0; t < n_threads; t++) {
        p[t].x = x;
        p[t].d0 = d;
        uint64_t goal = total / n_threads * (t + 1);
        while (d < n_docs && (t + 1 == n_threads || cum < goal))
            cum += k->lens[d++];
        p[t].d1 = d;
        if (t == 0)
            p[t].out = out;
        else if (tp_out_open_mem(&p[t].out, tp_out_flags(out))) {
            rc = oom(err);
            goto done;
        }
    }
    run_parts(tfidf_part_main, p, sizeof(*p), n_threads);
    for (unsigned t = 0; t < n_threads && !rc; t++) {
        if (p[t].rc) {
            *err = p[t].err;
            rc = p[t].rc;
        } else if (t > 0) {
            tp_out_append(out, p[t].out);
        }
    }
done:
    for (unsigned t = 0; p && t < n_threads; t++) {
        if (t > 0)
            tp_out_free(p[t].out);
        tp_spill_reader_release(&p[t].sr);
        free(p[t].s.rows);
        free(p[t].s.w);
        free(p[t].s.idf_cache);
    }
    free(p);
    return rc;
}

int tp_report_tfidf(struct tp_run *run, struct tp_out *out, struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    struct tp_counter *k = &c->uni;
    double D = (double)c->n_docs;
    int rc;
    /* idf depends on the term only: once per term, not per occurrence */
    double *idf = malloc((c->terms.n ? c->terms.n : 1) * sizeof(*idf));
    if (!idf)
        return oom(err);
    for (size_t i = 0; i < c->terms.n; i++) {
        double df = (double)k->df[i];
        idf[i] = !df                       ? 0
                 : o->idf == TP_IDF_SMOOTH ? log((1 + D) / (1 + df)) + 1
                 : o->idf == TP_IDF_PLAIN  ? log(D / df) + 1
                                           : 1;
    }
    struct tfidf_ctx x = {o, c, idf, o->top >= 0 ? (size_t)o->top : 10};
    /* the blocks are read with pread: what stdio holds goes to the file first */
    if ((rc = tp_counter_rewind(k, err)) == 0) {
        tp_out_header(out, "doc_id,date,rank,term,count,tf,df,idf,tfidf");
        rc = tfidf_rows(&x, c->n_docs >= 2 * TFIDF_BLOCK ? tp_run_threads(run) : 1, out, err);
    }
    free(idf);
    return rc;
}

/* --- collocations --------------------------------------------------------- */

static double measure_value(const struct tp_assoc *a, enum tp_measure m, uint64_t n12)
{
    switch (m) {
    case TP_M_PMI:
        return a->pmi;
    case TP_M_T_SCORE:
        return a->t_score;
    case TP_M_Z_SCORE:
        return a->z_score;
    case TP_M_CHI2:
        return a->chi2;
    case TP_M_DICE:
        return a->dice;
    case TP_M_LOG_DICE:
        return a->log_dice;
    case TP_M_MI3:
        return a->mi3;
    case TP_M_COUNT:
        return (double)n12;
    case TP_M_LOG_LIKELIHOOD:
        break;
    }
    return a->log_likelihood;
}

/* A candidate collocation: the key it is ranked by, and its pair slot. */
struct cand {
    double key;
    uint32_t slot;
};

/* Candidates of the pair slots [s0, s1), scored on a thread of their own. */
struct colloc_part {
    const struct tp_opts *o;
    const struct tp_counts *c;
    size_t s0, s1;
    struct cand *cands; /* room for every pair */
    size_t n;
};

static void *colloc_part_main(void *arg)
{
    struct colloc_part *p = arg;
    const struct tp_counts *c = p->c;
    const struct tp_opts *o = p->o;
    unsigned K = c->o.window;
    for (size_t s = p->s0; s < p->s1; s++) {
        const struct tp_pair_slot *sl = &c->pairs.slots[s];
        uint64_t n12 = sl->count;
        uint32_t key[2] = {tp_pair_w1(sl->key), tp_pair_w2(sl->key)};
        if (!sl->key || n12 == 0 || n12 < (uint64_t)o->min_count || !tuple_reportable(c, key, 2))
            continue;
        uint64_t n1 = c->uni.total[key[0]], n2 = c->uni.total[key[1]];
        double v;
        if (o->measure == TP_M_LOG_LIKELIHOOD) {
            v = tp_assoc_g2(n12, n1, n2, c->n_tokens, K);
        } else if (o->measure == TP_M_COUNT) {
            v = (double)n12;
        } else {
            struct tp_assoc a;
            tp_assoc_compute(n12, n1, n2, c->n_tokens, K, 0, &a);
            v = measure_value(&a, o->measure, n12);
        }
        p->cands[p->n++] = (struct cand){v, (uint32_t)s};
    }
    return NULL;
}

/* The k-th largest key (k >= 1) of v[0..n), reordering v: quickselect. */
static double kth_largest(struct cand *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1, want = k - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2].key;
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i].key > pivot)
                i++;
            while (v[j].key < pivot)
                j--;
            if (i <= j) {
                struct cand t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (want <= j)
            hi = j;
        else if (want >= i)
            lo = i;
        else
            return v[want].key;
    }
    return v[want].key;
}

/* Slots scored per thread at least: fewer are not worth a thread. */
enum { COLLOC_PART_MIN = 1 << 15 };

int tp_report_colloc(struct tp_run *run, struct tp_out *out, struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    struct tp_arena names = TP_ARENA_INIT;
    size_t n_slots = c->pairs.slots ? c->pairs.mask + 1 : 0, n_pairs = c->pairs.n ? c->pairs.n : 1;
    unsigned K = c->o.window;
    unsigned n_threads = tp_run_threads(run);
    if (n_threads > n_slots / COLLOC_PART_MIN)
        n_threads = n_slots / COLLOC_PART_MIN ? (unsigned)(n_slots / COLLOC_PART_MIN) : 1;
    struct colloc_part *parts = calloc(n_threads, sizeof(*parts));
    struct cand *cands = malloc(n_pairs * sizeof(*cands));
    struct row *rows = NULL;
    int rc = 0;
    size_t n_rows = 0, n_cands = 0;
    if (!parts || !cands) {
        rc = oom(err);
        goto out;
    }
    /* Every candidate's key, the slots cut among the threads; each part's
     * candidates go to its own stretch of cands, then are packed in order. */
    size_t room = 0;
    for (unsigned t = 0; t < n_threads; t++) {
        parts[t] =
            (struct colloc_part){o,
                                 c,
                                 n_slots / n_threads * t,
                                 t + 1 == n_threads ? n_slots : n_slots / n_threads * (t + 1),
                                 NULL,
                                 0};
        size_t pairs_in = 0;
        for (size_t s = parts[t].s0; s < parts[t].s1; s++)
            pairs_in += c->pairs.slots[s].key != 0;
        parts[t].cands = cands + room;
        room += pairs_in;
    }
    run_parts(colloc_part_main, parts, sizeof(*parts), n_threads);
    for (unsigned t = 0; t < n_threads; t++) {
        memmove(cands + n_cands, parts[t].cands, parts[t].n * sizeof(*cands));
        n_cands += parts[t].n;
    }
    /* Only the rows that can make the top need their names (for ties): those
     * whose key is at least the top-th largest (the candidates' order does
     * not matter, the rows are sorted in full below). */
    size_t top = limit(o->top >= 0 ? o->top : 1000, n_cands);
    double threshold = -INFINITY;
    if (top > 0 && top < n_cands)
        threshold = kth_largest(cands, n_cands, top);
    if (!(rows = malloc((n_cands ? n_cands : 1) * sizeof(*rows)))) {
        rc = oom(err);
        goto out;
    }
    for (size_t i = 0; i < n_cands && top > 0; i++) {
        if (!(cands[i].key >= threshold))
            continue;
        const struct tp_pair_slot *sl = &c->pairs.slots[cands[i].slot];
        uint32_t key[2] = {tp_pair_w1(sl->key), tp_pair_w2(sl->key)};
        struct row r = {cands[i].key, NULL, 0, cands[i].slot};
        r.name = join_words(c, key, 2, &names, &r.name_len);
        if (!r.name) {
            rc = oom(err);
            goto out;
        }
        rows[n_rows++] = r;
    }
    size_t n_out = top_rows(rows, n_rows, top);
    tp_out_header(out, o->fisher ? "rank,w1,w2,n12,n1,n2,N,expected,pmi,t_score,z_score,"
                                   "log_likelihood,chi2,p_value,log10_p,dice,log_dice,mi3,"
                                   "fisher_p"
                                 : "rank,w1,w2,n12,n1,n2,N,expected,pmi,t_score,z_score,"
                                   "log_likelihood,chi2,p_value,log10_p,dice,log_dice,mi3");
    for (size_t i = 0; i < n_out; i++) {
        const struct tp_pair_slot *sl = &c->pairs.slots[rows[i].id];
        uint32_t key[2] = {tp_pair_w1(sl->key), tp_pair_w2(sl->key)};
        uint64_t n12 = sl->count;
        uint64_t n1 = c->uni.total[key[0]], n2 = c->uni.total[key[1]];
        struct tp_assoc a;
        tp_assoc_compute(n12, n1, n2, c->n_tokens, K, o->fisher, &a);
        const struct tp_term *t1 = &c->terms.terms[key[0]], *t2 = &c->terms.terms[key[1]];
        tp_out_u64(out, i + 1);
        tp_out_text(out, t1->bytes, t1->len);
        tp_out_text(out, t2->bytes, t2->len);
        tp_out_u64(out, n12);
        tp_out_u64(out, n1);
        tp_out_u64(out, n2);
        tp_out_u64(out, c->n_tokens);
        tp_out_double(out, a.expected);
        tp_out_double(out, a.pmi);
        tp_out_double(out, a.t_score);
        tp_out_double(out, a.z_score);
        tp_out_double(out, a.log_likelihood);
        tp_out_double(out, a.chi2);
        tp_out_double(out, a.p_value);
        tp_out_double(out, a.log10_p);
        tp_out_double(out, a.dice);
        tp_out_double(out, a.log_dice);
        tp_out_double(out, a.mi3);
        if (o->fisher)
            tp_out_double(out, a.fisher_p);
        tp_out_row_end(out);
    }
out:
    free(rows);
    free(cands);
    free(parts);
    tp_arena_release(&names);
    return rc;
}

/* --- periods and timelines ------------------------------------------------ */

int tp_period_info(const struct tp_run *run, struct tp_period_info *pi, struct tp_error *err)
{
    const struct tp_counts *c = tp_corpus_counts_const(run->corpus);
    memset(pi, 0, sizeof(*pi));
    enum tp_precision finest_common = TP_PREC_DAY, finest_any = TP_PREC_NONE;
    for (size_t d = 0; d < c->n_docs; d++) {
        enum tp_precision p = c->docs[d].date.prec;
        if (p == TP_PREC_NONE)
            continue;
        pi->n_dated++;
        if (p < finest_common)
            finest_common = p;
        if (p > finest_any)
            finest_any = p;
    }
    pi->kind = run->o->period;
    if (!pi->n_dated) {
        pi->kind = TP_PERIOD_AUTO;
        return 0;
    }
    if (pi->kind == TP_PERIOD_AUTO)
        pi->kind = tp_period_for_precision(finest_common);
    enum tp_precision need = tp_period_precision(pi->kind);
    for (size_t d = 0; d < c->n_docs; d++) {
        const struct tp_date *dt = &c->docs[d].date;
        if (dt->prec == TP_PREC_NONE)
            continue;
        if (dt->prec < need) {
            pi->n_imprecise++;
            continue;
        }
        int64_t idx = tp_period_index(dt, pi->kind);
        if (!pi->n_in_timeline || idx < pi->first)
            pi->first = idx;
        if (!pi->n_in_timeline || idx > pi->last)
            pi->last = idx;
        pi->n_in_timeline++;
    }
    if (!pi->n_in_timeline) {
        static const char *prec_names[] = {"none", "year", "month", "day"};
        return tp_error_set(err, TP_EUSAGE,
                            "--period %s is finer than every document's date (the most precise "
                            "is a %s): use --period %s or coarser",
                            tp_period_name(pi->kind), prec_names[finest_any],
                            tp_period_name(tp_period_for_precision(finest_any)));
    }
    return 0;
}

struct tl_term {
    const char *name;
    uint32_t name_len;
    uint64_t *count; /* by period */
    uint64_t *docs;  /* by period */
    uint64_t total;
};

/* More lines than this make a chart unreadable: the chart shows the first
 * ones (the table has them all). */
#define TP_CHART_MAX 8

enum { MAX_PERIODS = 1000000 };

static int write_trends(struct tl_term *terms, size_t n_terms, const uint64_t *ptok, size_t n_per,
                        struct tp_out *out, struct tp_error *err)
{
    struct trow {
        struct row r;
        struct tp_trend t;
        size_t m;
    } *rows = calloc(n_terms ? n_terms : 1, sizeof(*rows));
    double *x = malloc((n_per ? n_per : 1) * sizeof(double));
    double *y = malloc((n_per ? n_per : 1) * sizeof(double));
    int rc = 0;
    if (!rows || !x || !y) {
        rc = oom(err);
        goto out;
    }
    for (size_t t = 0; t < n_terms; t++) {
        size_t m = 0;
        for (size_t p = 0; p < n_per; p++) {
            if (!ptok[p])
                continue;
            x[m] = (double)p;
            y[m] = (double)terms[t].count[p] / (double)ptok[p] * 1e6;
            m++;
        }
        rows[t].m = m;
        rows[t].r = (struct row){0, terms[t].name, terms[t].name_len, (uint32_t)t};
        /* x: each period's own index, so a period without documents is a gap,
         * not renumbered away */
        if ((rc = tp_trend_compute(x, y, m, &rows[t].t))) {
            rc = rc == TP_ENOMEM ? oom(err)
                                 : tp_error_set(err, rc, "trends: '%.*s': cannot compute",
                                                (int)terms[t].name_len, terms[t].name);
            goto out;
        }
        /* sorted by p ascending: key is -p; an undefined p sorts last */
        rows[t].r.key = isnan(rows[t].t.p_value) ? -2 : -rows[t].t.p_value;
    }
    struct row *keys = malloc((n_terms ? n_terms : 1) * sizeof(*keys));
    if (!keys) {
        rc = oom(err);
        goto out;
    }
    for (size_t t = 0; t < n_terms; t++)
        keys[t] = rows[t].r;
    if (n_terms > 1)
        qsort(keys, n_terms, sizeof(*keys), row_cmp);
    tp_out_header(out, "term,periods,total,slope_per_period,tau,mk_z,p_value,direction");
    for (size_t i = 0; i < n_terms; i++) {
        const struct trow *r = &rows[keys[i].id];
        tp_out_text(out, r->r.name, r->r.name_len);
        tp_out_u64(out, r->m);
        tp_out_u64(out, terms[keys[i].id].total);
        tp_out_double(out, r->t.slope);
        tp_out_double(out, r->t.tau);
        tp_out_double(out, r->t.mk_z);
        tp_out_double(out, r->t.p_value);
        tp_out_str(out, r->t.direction == TP_RISING    ? "rising"
                        : r->t.direction == TP_FALLING ? "falling"
                                                       : "flat");
        tp_out_row_end(out);
    }
    free(keys);
out:
    free(rows);
    free(x);
    free(y);
    return rc;
}

static int write_svg(struct tl_term *terms, size_t n_terms, const uint64_t *ptok, size_t n_per,
                     int64_t first, enum tp_period kind, struct tp_out *out, struct tp_error *err)
{
    int rc = 0;
    char(*labels)[24] = malloc((n_per ? n_per : 1) * sizeof(*labels));
    const char **lp = malloc((n_per ? n_per : 1) * sizeof(*lp));
    struct tp_series *series = calloc(n_terms ? n_terms : 1, sizeof(*series));
    double *vals = malloc((3 * n_terms * n_per + 1) * sizeof(double));
    if (!labels || !lp || !series || !vals) {
        rc = oom(err);
        goto out;
    }
    for (size_t p = 0; p < n_per; p++) {
        tp_period_label(first + (int64_t)p, kind, labels[p], sizeof(labels[p]));
        lp[p] = labels[p];
    }
    for (size_t t = 0; t < n_terms; t++) {
        double *y = vals + 3 * t * n_per, *lo = y + n_per, *hi = lo + n_per;
        for (size_t p = 0; p < n_per; p++) {
            if (!ptok[p]) {
                y[p] = lo[p] = hi[p] = NAN;
                continue;
            }
            double scale = 1e6 / (double)ptok[p];
            y[p] = (double)terms[t].count[p] * scale;
            if (tp_garwood(terms[t].count[p], &lo[p], &hi[p])) {
                lo[p] = hi[p] = NAN;
            } else {
                lo[p] *= scale;
                hi[p] *= scale;
            }
        }
        series[t] = (struct tp_series){terms[t].name, y, lo, hi};
    }
    rc = tp_chart_svg(tp_out_file(out), lp, n_per, series,
                      n_terms < TP_CHART_MAX ? n_terms : TP_CHART_MAX,
                      "Term frequency per million tokens, with 95% intervals", err);
out:
    free(labels);
    free(lp);
    free(series);
    free(vals);
    return rc;
}

static void date_words(const struct tp_date *d, char *buf, size_t cap)
{
    if (d->prec == TP_PREC_YEAR)
        snprintf(buf, cap, "%04d", d->year);
    else if (d->prec == TP_PREC_MONTH)
        snprintf(buf, cap, "%04d-%02d", d->year, d->month);
    else
        snprintf(buf, cap, "%04d-%02d-%02d", d->year, d->month, d->day);
}

/* More periods than a timeline can hold: almost always one outlying date (a
 * typo, a placeholder 0001 or 9999). Name the documents at both ends. */
static int too_many_periods(const struct tp_counts *c, const struct tp_period_info *pi,
                            struct tp_error *err)
{
    enum tp_precision need = tp_period_precision(pi->kind);
    const struct tp_docrec *lo = NULL, *hi = NULL;
    for (size_t d = 0; d < c->n_docs; d++) {
        const struct tp_date *dt = &c->docs[d].date;
        if (dt->prec == TP_PREC_NONE || dt->prec < need)
            continue;
        int64_t idx = tp_period_index(dt, pi->kind);
        if (!lo && idx == pi->first)
            lo = &c->docs[d];
        if (!hi && idx == pi->last)
            hi = &c->docs[d];
    }
    char a[16] = "", b[16] = "";
    if (lo)
        date_words(&lo->date, a, sizeof(a));
    if (hi)
        date_words(&hi->date, b, sizeof(b));
    return tp_error_set(err, TP_EPARSE,
                        "the dates span %lld %s periods (at most %d): from %s (document "
                        "'%.200s') to %s (document '%.200s'); fix an outlying date, or choose a "
                        "coarser --period",
                        (long long)(pi->last - pi->first + 1), tp_period_name(pi->kind),
                        MAX_PERIODS, a, lo ? lo->id : "?", b, hi ? hi->id : "?");
}

int tp_report_timeline(struct tp_run *run, struct tp_out *timeline, struct tp_out *trends,
                       struct tp_out *svg, struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    struct tp_period_info pi;
    struct tp_arena names = TP_ARENA_INIT;
    int64_t *dper = NULL;
    uint64_t *ptok = NULL, *tlc = NULL, *cells = NULL;
    int32_t *tindex = NULL;
    struct tl_term *terms = NULL;
    size_t n_terms = 0;
    struct row *rows = NULL;
    int rc;
    if ((rc = tp_period_info(run, &pi, err)))
        return rc;
    if (!pi.n_dated)
        return tp_error_set(err, TP_EDATA,
                            "no document has a date, so there is no timeline (dates come from a "
                            "'date YYYY-MM-DD' header, front matter, a CSV/JSONL date column, "
                            "--meta or --date-from-name)");
    size_t n_per = (size_t)(pi.last - pi.first + 1);
    if (pi.last - pi.first + 1 > MAX_PERIODS)
        return too_many_periods(c, &pi, err);
    enum tp_precision need = tp_period_precision(pi.kind);
    dper = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*dper));
    ptok = calloc(n_per, sizeof(*ptok));
    if (!dper || !ptok) {
        rc = oom(err);
        goto out;
    }
    for (size_t d = 0; d < c->n_docs; d++) {
        const struct tp_date *dt = &c->docs[d].date;
        dper[d] = dt->prec >= need && dt->prec != TP_PREC_NONE
                      ? tp_period_index(dt, pi.kind) - pi.first
                      : -1;
        if (dper[d] >= 0)
            ptok[dper[d]] += c->docs[d].n_tokens;
    }

    /* Choose the terms: listed, or the top K by count in the timeline's documents. */
    if (c->n_match) {
        n_terms = c->n_match;
    } else {
        tlc = calloc(c->terms.n ? c->terms.n : 1, sizeof(*tlc));
        rows = malloc((c->terms.n ? c->terms.n : 1) * sizeof(*rows));
        if (!tlc || !rows) {
            rc = oom(err);
            goto out;
        }
        struct tp_spill_iter it;
        if ((rc = tp_spill_iter_init(&it, &c->uni, c->n_docs, err)))
            goto out;
        while ((rc = tp_spill_iter_next(&it, err)) > 0)
            if (dper[it.doc] >= 0)
                for (size_t j = 0; j < it.n; j++)
                    tlc[it.ids[j]] += it.counts[j];
        if (rc < 0)
            goto out;
        size_t n_rows = 0;
        for (size_t i = 0; i < c->terms.n; i++)
            if (tlc[i] && tp_counts_reportable(c, (uint32_t)i))
                rows[n_rows++] = (struct row){(double)tlc[i], c->terms.terms[i].bytes,
                                              c->terms.terms[i].len, (uint32_t)i};
        n_terms = top_rows(rows, n_rows, limit(o->top >= 0 ? o->top : 20, n_rows));
    }
    terms = calloc(n_terms ? n_terms : 1, sizeof(*terms));
    cells = calloc(2 * n_terms * n_per + 1, sizeof(*cells));
    if (!terms || !cells) {
        rc = oom(err);
        goto out;
    }
    for (size_t t = 0; t < n_terms; t++) {
        terms[t].count = cells + 2 * t * n_per;
        terms[t].docs = terms[t].count + n_per;
        if (c->n_match) {
            terms[t].name =
                join_words(c, c->match_ids[t], c->match_len[t], &names, &terms[t].name_len);
            if (!terms[t].name) {
                rc = oom(err);
                goto out;
            }
        } else {
            terms[t].name = rows[t].name;
            terms[t].name_len = rows[t].name_len;
        }
    }
    if (c->n_match) {
        /* the listed terms' counts come summed by date */
        if (tp_corpus_match_settle(run->corpus)) {
            rc = oom(err);
            goto out;
        }
        for (size_t i = 0; i < c->n_cells; i++) {
            const struct tp_match_cell *cell = &c->cells[i];
            struct tp_date dt = tp_match_cell_date(cell);
            if (dt.prec < need || dt.prec == TP_PREC_NONE)
                continue;
            int64_t p = tp_period_index(&dt, pi.kind) - pi.first;
            struct tl_term *t = &terms[tp_match_cell_term(cell)];
            t->total += cell->count;
            t->count[p] += cell->count;
            t->docs[p] += cell->docs;
        }
        for (size_t t = 0; t < n_terms; t++)
            if (!terms[t].total && run->warn) {
                char msg[512];
                snprintf(msg, sizeof(msg),
                         "--terms: '%.*s' does not occur in the dated documents (its rows are "
                         "zeros)",
                         (int)terms[t].name_len, terms[t].name);
                run->warn(run->warn_ctx, msg);
            }
    } else if (n_terms) {
        tindex = malloc(c->terms.n * sizeof(*tindex));
        if (!tindex) {
            rc = oom(err);
            goto out;
        }
        for (size_t i = 0; i < c->terms.n; i++)
            tindex[i] = -1;
        for (size_t t = 0; t < n_terms; t++)
            tindex[rows[t].id] = (int32_t)t;
        struct tp_spill_iter it;
        if ((rc = tp_spill_iter_init(&it, &c->uni, c->n_docs, err)))
            goto out;
        while ((rc = tp_spill_iter_next(&it, err)) > 0) {
            int64_t p = dper[it.doc];
            if (p < 0)
                continue;
            for (size_t j = 0; j < it.n; j++) {
                int32_t t = tindex[it.ids[j]];
                if (t < 0)
                    continue;
                terms[t].count[p] += it.counts[j];
                terms[t].docs[p]++;
                terms[t].total += it.counts[j];
            }
        }
        if (rc < 0)
            goto out;
    }

    /* timeline.csv */
    if (o->wide) {
        tp_out_text(timeline, "period", 6);
        tp_out_text(timeline, "period_tokens", 13);
        for (size_t t = 0; t < n_terms; t++)
            tp_out_text(timeline, terms[t].name, terms[t].name_len);
        tp_out_row_end(timeline);
    } else {
        tp_out_header(timeline, "period,period_start,term,count,period_tokens,per_million,"
                                "ci_low,ci_high,docs");
    }
    for (size_t p = 0; p < n_per; p++) {
        char label[24], start[24];
        tp_period_label(pi.first + (int64_t)p, pi.kind, label, sizeof(label));
        tp_period_start(pi.first + (int64_t)p, pi.kind, start, sizeof(start));
        double scale = ptok[p] ? 1e6 / (double)ptok[p] : NAN;
        if (o->wide) {
            tp_out_str(timeline, label);
            tp_out_u64(timeline, ptok[p]);
            for (size_t t = 0; t < n_terms; t++)
                tp_out_double(timeline, (double)terms[t].count[p] * scale);
            tp_out_row_end(timeline);
            continue;
        }
        for (size_t t = 0; t < n_terms; t++) {
            uint64_t k = terms[t].count[p];
            double lo = NAN, hi = NAN;
            if (ptok[p] && tp_garwood(k, &lo, &hi) == 0) {
                lo *= scale;
                hi *= scale;
            }
            tp_out_str(timeline, label);
            tp_out_str(timeline, start);
            tp_out_text(timeline, terms[t].name, terms[t].name_len);
            tp_out_u64(timeline, k);
            tp_out_u64(timeline, ptok[p]);
            tp_out_double(timeline, (double)k * scale);
            tp_out_double(timeline, lo);
            tp_out_double(timeline, hi);
            tp_out_u64(timeline, terms[t].docs[p]);
            tp_out_row_end(timeline);
        }
    }
    if (trends && (rc = write_trends(terms, n_terms, ptok, n_per, trends, err)))
        goto out;
    if (svg && (rc = write_svg(terms, n_terms, ptok, n_per, pi.first, pi.kind, svg, err)))
        goto out;
out:
    free(dper);
    free(ptok);
    free(tlc);
    free(cells);
    free(tindex);
    free(terms);
    free(rows);
    tp_arena_release(&names);
    return rc;
}

/* --- keyness --------------------------------------------------------------- */

int tp_report_keyness(struct tp_run *run, struct tp_out *out, struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    size_t V = c->terms.n ? c->terms.n : 1;
    uint64_t *a = calloc(V, sizeof(*a)), *b = calloc(V, sizeof(*b));
    int8_t *side = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*side));
    struct row *rows = malloc(V * sizeof(*rows));
    uint32_t *tid = NULL;
    double *p = NULL, *q = NULL;
    struct tp_keyness *kn = NULL;
    uint64_t N1 = 0, N2 = 0;
    int rc = 0;
    if (!a || !b || !side || !rows) {
        rc = oom(err);
        goto out;
    }
    enum tp_period kind = TP_PERIOD_AUTO;
    int64_t pidx = 0;
    if (o->period_label && tp_period_parse(o->period_label, &kind, &pidx) != 0) {
        rc = tp_error_set(err, TP_EUSAGE,
                          "--period '%s' is not a period (2025, 2025-Q1, 2025-01, 2025-W04 or "
                          "2025-01-31)",
                          o->period_label);
        goto out;
    }
    for (size_t d = 0; d < c->n_docs; d++) {
        const struct tp_date *dt = &c->docs[d].date;
        if (!o->period_label)
            side[d] = (int8_t)c->docs[d].side;
        else if (dt->prec == TP_PREC_NONE || dt->prec < tp_period_precision(kind))
            side[d] = -1;
        else
            side[d] = tp_period_index(dt, kind) == pidx ? 0 : 1;
        if (side[d] == 0)
            N1 += c->docs[d].n_tokens;
        else if (side[d] == 1)
            N2 += c->docs[d].n_tokens;
    }
    if (!N1 || !N2) {
        const char *which = !N1 ? "target" : "reference";
        if (o->period_label)
            rc = tp_error_set(err, TP_EUSAGE,
                              !N1 ? "keyness: period %s has no dated document with tokens"
                                  : "keyness: no dated document with tokens outside period %s",
                              o->period_label);
        else
            rc = tp_error_set(err, TP_EUSAGE, "keyness: the %s side has no tokens", which);
        goto out;
    }
    struct tp_spill_iter it;
    if ((rc = tp_spill_iter_init(&it, &c->uni, c->n_docs, err)))
        goto out;
    while ((rc = tp_spill_iter_next(&it, err)) > 0) {
        uint64_t *dst = side[it.doc] == 0 ? a : side[it.doc] == 1 ? b : NULL;
        if (dst)
            for (size_t j = 0; j < it.n; j++)
                dst[it.ids[j]] += it.counts[j];
    }
    if (rc < 0)
        goto out;
    size_t n_rows = 0;
    for (size_t i = 0; i < c->terms.n; i++)
        if ((a[i] || b[i]) && tp_counts_reportable(c, (uint32_t)i))
            rows[n_rows++] =
                (struct row){0, c->terms.terms[i].bytes, c->terms.terms[i].len, (uint32_t)i};
    kn = malloc((n_rows ? n_rows : 1) * sizeof(*kn));
    p = malloc((n_rows ? n_rows : 1) * sizeof(*p));
    q = malloc((n_rows ? n_rows : 1) * sizeof(*q));
    tid = malloc((n_rows ? n_rows : 1) * sizeof(*tid));
    if (!kn || !p || !q || !tid) {
        rc = oom(err);
        goto out;
    }
    for (size_t r = 0; r < n_rows; r++) {
        uint32_t id = rows[r].id;
        tp_keyness_compute(a[id], b[id], N1, N2, &kn[r]);
        p[r] = kn[r].p_value;
        rows[r].key = kn[r].log_likelihood;
        tid[r] = id;
        rows[r].id = (uint32_t)r; /* from here: the index into kn, q and tid */
    }
    if (tp_bh_qvalues(p, n_rows, q)) {
        rc = oom(err);
        goto out;
    }
    size_t n_out = top_rows(rows, n_rows, limit(o->top, n_rows));
    tp_out_header(out, "rank,term,count_target,count_reference,per_million_target,"
                       "per_million_reference,log_likelihood,p_value,log10_p,q_value,log_ratio,"
                       "percent_diff,direction");
    for (size_t i = 0; i < n_out; i++) {
        size_t r = rows[i].id;
        uint32_t id = tid[r];
        const struct tp_keyness *k = &kn[r];
        tp_out_u64(out, i + 1);
        tp_out_text(out, rows[i].name, rows[i].name_len);
        tp_out_u64(out, a[id]);
        tp_out_u64(out, b[id]);
        tp_out_double(out, k->per_million_target);
        tp_out_double(out, k->per_million_reference);
        tp_out_double(out, k->log_likelihood);
        tp_out_double(out, k->p_value);
        tp_out_double(out, k->log10_p);
        tp_out_double(out, q[r]);
        tp_out_double(out, k->log_ratio);
        tp_out_double(out, k->percent_diff);
        tp_out_str(out, k->target ? "target" : "reference");
        tp_out_row_end(out);
    }
out:
    free(a);
    free(b);
    free(side);
    free(rows);
    free(tid);
    free(kn);
    free(p);
    free(q);
    return rc;
}

/* --- summary --------------------------------------------------------------- */

static void metric_u64(struct tp_out *out, const char *name, uint64_t v)
{
    tp_out_str(out, name);
    tp_out_u64(out, v);
    tp_out_row_end(out);
}

static void metric_double(struct tp_out *out, const char *name, double v)
{
    tp_out_str(out, name);
    tp_out_double(out, v);
    tp_out_row_end(out);
}

static void metric_str(struct tp_out *out, const char *name, const char *v)
{
    tp_out_str(out, name);
    tp_out_str(out, v);
    tp_out_row_end(out);
}

static int u64_desc(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return (a < b) - (a > b);
}

int tp_report_summary(struct tp_run *run, struct tp_out *out, struct tp_error *err)
{
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    struct tp_period_info pi;
    int rc = tp_period_info(run, &pi, err);
    if (rc == TP_EUSAGE) {
        /* the summary still reports, with every dated document imprecise */
        pi.n_imprecise = pi.n_dated;
        pi.n_in_timeline = 0;
        rc = 0;
    }
    if (rc)
        return rc;
    uint64_t types = 0, hapax = 0;
    uint64_t *counts = malloc((c->terms.n ? c->terms.n : 1) * sizeof(*counts));
    if (!counts)
        return oom(err);
    for (size_t i = 0; i < c->terms.n; i++)
        if (c->uni.total[i]) {
            counts[types++] = c->uni.total[i];
            hapax += c->uni.total[i] == 1;
        }
    if (types > 1)
        qsort(counts, types, sizeof(*counts), u64_desc);
    double zipf = tp_zipf_exponent(counts, types);
    free(counts);
    uint64_t hn[TP_HEAPS_MAX], hv[TP_HEAPS_MAX];
    size_t nh = tp_counts_heaps(c, hn, hv);
    double hk = NAN, hb = NAN;
    if (tp_heaps_fit(hn, hv, nh, &hk, &hb) != 0)
        hk = hb = NAN;

    char first[24] = "", last[24] = "";
    if (pi.n_in_timeline) {
        tp_period_label(pi.first, pi.kind, first, sizeof(first));
        tp_period_label(pi.last, pi.kind, last, sizeof(last));
    }
    tp_out_header(out, "metric,value");
    metric_u64(out, "documents", c->n_docs);
    metric_u64(out, "dated_documents", pi.n_dated);
    metric_u64(out, "undated_documents", c->n_docs - pi.n_dated);
    metric_u64(out, "imprecise_documents", pi.n_imprecise);
    metric_u64(out, "tokens", c->n_tokens);
    metric_u64(out, "types", types);
    metric_double(out, "type_token_ratio", c->n_tokens ? (double)types / (double)c->n_tokens : NAN);
    metric_u64(out, "hapax_legomena", hapax);
    metric_double(out, "mean_document_tokens",
                  c->n_docs ? (double)c->n_tokens / (double)c->n_docs : NAN);
    metric_str(out, "period", pi.n_dated ? tp_period_name(pi.kind) : "");
    metric_str(out, "first_period", first);
    metric_str(out, "last_period", last);
    metric_u64(out, "invalid_utf8", run->rs.invalid_utf8);
    metric_u64(out, "cp1252_documents", run->rs.cp1252_documents);
    metric_u64(out, "skipped_inputs", run->rs.skipped_inputs);
    metric_u64(out, "unparsable_dates", run->rs.bad_dates);
    metric_u64(out, "overlong_tokens_dropped", run->overlong);
    metric_double(out, "zipf_exponent", zipf);
    metric_double(out, "heaps_k", hk);
    metric_double(out, "heaps_beta", hb);
    metric_str(out, "language", tp_lang_name(run->lang));
    return 0;
}
