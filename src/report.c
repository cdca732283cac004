/*
 * report.c - what every table shares: rows, their order and --top, the
 * words of an id tuple, the out-of-memory message, work split over threads
 * (see report_int.h), the effective period kind (tp_period_info). One file
 * a table:
 *   report_freq.c      freq.csv: counts, per million, document frequency, DP
 *   report_tfidf.c     tfidf.csv: top terms of each document
 *   report_colloc.c    collocations.csv: association measures of word pairs
 *   report_timeline.c  the periods, timeline.csv, trends.csv, timeline.svg
 *   report_keyness.c   keyness.csv: a target against a reference
 *   report_summary.c   summary.csv: corpus statistics
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "report_int.h"

static uint64_t key_bits(double key);

int tp_row_cmp(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    if (a->key != b->key) {
        if (a->key == a->key && b->key == b->key)
            return a->key > b->key ? -1 : 1;
        /* a NaN: ordered as sort_rows orders it (by its bits), so the
         * insertion and the sort give one order */
        uint64_t ka = key_bits(a->key), kb = key_bits(b->key);
        if (ka != kb)
            return ka < kb ? -1 : 1;
    }
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
        if (tp_row_cmp(&rows[mid], &rows[lo]) < 0)
            swap_rows(&rows[mid], &rows[lo]);
        if (tp_row_cmp(&rows[hi], &rows[lo]) < 0)
            swap_rows(&rows[hi], &rows[lo]);
        if (tp_row_cmp(&rows[hi], &rows[mid]) < 0)
            swap_rows(&rows[hi], &rows[mid]);
        struct row pivot = rows[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (tp_row_cmp(&rows[i], &pivot) < 0)
                i++;
            while (tp_row_cmp(&rows[j], &pivot) > 0)
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

/* A row's place in tp_row_cmp order as two integers and the row's index:
 * the key's bits made to sort as unsigned integers, descending, and the
 * name's first 8 bytes, big-endian and zero padded (a name holds no NUL, so
 * two heads that differ order their names as memcmp would). Most pairs of
 * a long table differ there; only names alike in 8 bytes and of one key go
 * on to tp_row_cmp. */
struct sort_rec {
    uint64_t key;
    uint64_t head;
    size_t i;
};

static uint64_t key_bits(double key)
{
    uint64_t b;
    if (key == 0)
        key = 0; /* -0 and +0 are one key */
    memcpy(&b, &key, sizeof(b));
    b = b >> 63 ? ~b : b | 1ull << 63; /* ascending as the doubles */
    return ~b;                         /* descending */
}

static uint64_t name_head(const char *name, uint32_t len)
{
    unsigned char b[8] = {0};
    if (len)
        memcpy(b, name, len < 8 ? len : 8);
    uint64_t h = 0;
    for (int i = 0; i < 8; i++)
        h = h << 8 | b[i];
    return h;
}

static inline int rec_less(const struct sort_rec *a, const struct sort_rec *b,
                           const struct row *rows)
{
    if (a->key != b->key)
        return a->key < b->key;
    if (a->head != b->head)
        return a->head < b->head;
    return tp_row_cmp(&rows[a->i], &rows[b->i]) < 0;
}

/* Sort rows[0..n) (n > 1) in tp_row_cmp order: a merge sort of their records,
 * whose comparisons are inline and mostly of two integers, then the rows put
 * in place along the cycles of the permutation. Returns 0, or -1 when out of
 * memory (rows untouched). */
static int sort_rows(struct row *rows, size_t n)
{
    struct sort_rec *a = malloc(2 * n * sizeof(*a));
    if (!a)
        return -1;
    struct sort_rec *b = a + n;
    for (size_t i = 0; i < n; i++)
        a[i] =
            (struct sort_rec){key_bits(rows[i].key), name_head(rows[i].name, rows[i].name_len), i};
    /* runs of 8 by insertion, then merges of doubling width */
    enum { RUN = 8 };
    for (size_t lo = 0; lo < n; lo += RUN) {
        size_t hi = lo + RUN < n ? lo + RUN : n;
        for (size_t i = lo + 1; i < hi; i++) {
            struct sort_rec r = a[i];
            size_t j = i;
            for (; j > lo && rec_less(&r, &a[j - 1], rows); j--)
                a[j] = a[j - 1];
            a[j] = r;
        }
    }
    for (size_t w = RUN; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi)
                b[o++] = rec_less(&a[j], &a[i], rows) ? a[j++] : a[i++];
            while (i < mid)
                b[o++] = a[i++];
            while (j < hi)
                b[o++] = a[j++];
        }
        struct sort_rec *t = a;
        a = b;
        b = t;
    }
    /* a[j].i is the row that goes to place j: follow each cycle once,
     * marking a place done by pointing it at itself */
    for (size_t j = 0; j < n; j++) {
        if (a[j].i == j)
            continue;
        struct row first = rows[j];
        size_t at = j;
        while (a[at].i != j) {
            size_t from = a[at].i;
            rows[at] = rows[from];
            a[at].i = at;
            at = from;
        }
        rows[at] = first;
        a[at].i = at;
    }
    free(a < b ? a : b);
    return 0;
}

/* Put the best min(k, n) rows, in tp_row_cmp order, at the front; returns how
 * many. A small k, or a small n, is an insertion into a short sorted prefix
 * (most documents' top 10 out of hundreds of terms); otherwise a selection,
 * then a sort of the k selected (with qsort when sort_rows cannot have its
 * memory). */
size_t tp_rows_top(struct row *rows, size_t n, size_t k)
{
    /* (a few rows, all wanted, are put in order by the insertion below too:
     * no allocation for the handful a document's top weighs) */
    if (k > 64 || (k >= n && n > 64)) {
        size_t m = k < n ? k : n;
        if (k < n)
            select_rows(rows, n, k);
        if (m > 1 && sort_rows(rows, m)) /* an empty corpus has no rows, maybe no array */
            qsort(rows, m, sizeof(*rows), tp_row_cmp);
        return m;
    }
    size_t m = 0;
    for (size_t i = 0; i < n && k; i++) {
        struct row r = rows[i];
        if (m == k && tp_row_cmp(&r, &rows[k - 1]) >= 0)
            continue;
        size_t j = m < k ? m++ : k - 1;
        while (j > 0 && tp_row_cmp(&r, &rows[j - 1]) < 0) {
            rows[j] = rows[j - 1];
            j--;
        }
        rows[j] = r;
    }
    return m;
}

int tp_report_oom(struct tp_error *err)
{
    return tp_error_set(err, TP_ENOMEM,
                        "out of memory while building a table (its rows grow with the vocabulary, "
                        "--ngram, --window and --top: lower them, or raise --min-count)");
}

size_t tp_report_limit(long top, size_t n)
{
    return top >= 0 && (size_t)top < n ? (size_t)top : n;
}

char *tp_report_join_words(const struct tp_counts *c, const uint32_t *ids, unsigned n,
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

int tp_report_tuple_reportable(const struct tp_counts *c, const uint32_t *ids, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (c->terms.terms[ids[i]].flags & (TP_TERM_STOP | TP_TERM_SHORT))
            return 0;
    return 1;
}

void tp_report_run_parts(void *(*fn)(void *), void *parts, size_t size, unsigned n)
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

void tp_report_doc_runs(const struct tp_counter *k, size_t n_docs, unsigned n, size_t *bound)
{
    uint64_t total = 0, cum = 0;
    for (size_t d = 0; d < n_docs; d++)
        total += k->lens[d];
    size_t d = 0;
    for (unsigned t = 0; t < n; t++) {
        uint64_t goal = total / n * (t + 1);
        bound[t] = d;
        while (d < n_docs && (t + 1 == n || cum < goal))
            cum += k->lens[d++];
    }
    bound[n] = d;
}

/* tp_report_units' shared state, and each thread's view of it. */
struct units {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct tp_out *out, **part;
    struct tp_out **pool; /* appended parts kept for the next units */
    size_t n_pool, pool_cap;
    unsigned char *done;
    size_t n, next, appended, ahead;
    uint64_t rows_out; /* rows of the parts appended (parts that count them) */
    int flags, rc;
    struct tp_error err;
    tp_unit_fn fn;
    void *arg;
};
struct unit_thread {
    struct units *u;
    unsigned t;
};

/* On thread 0: append the parts done, in order; with wait, until every unit
 * taken is appended. Called with u->mu held. */
static void units_append(struct units *u, int wait)
{
    for (;;) {
        if (u->appended < u->next && u->done[u->appended]) {
            struct tp_out *p = u->part[u->appended];
            u->part[u->appended] = NULL;
            pthread_mutex_unlock(&u->mu);
            uint64_t rows = p ? tp_out_rows(p) : 0;
            if (p)
                tp_out_append(u->out, p);
            pthread_mutex_lock(&u->mu);
            u->rows_out += rows;
            if (p && u->n_pool < u->pool_cap && tp_out_mem_reuse(p) == 0)
                u->pool[u->n_pool++] = p;
            else
                tp_out_free(p);
            u->appended++;
            pthread_cond_broadcast(&u->cv);
        } else if (wait && u->appended < u->next) {
            pthread_cond_wait(&u->cv, &u->mu);
        } else {
            return;
        }
    }
}

static void *units_main(void *arg)
{
    struct unit_thread *me = arg;
    struct units *u = me->u;
    pthread_mutex_lock(&u->mu);
    for (;;) {
        /* the other threads wait while they are too far ahead of thread 0 */
        while (me->t && !u->rc && u->next < u->n && u->next >= u->appended + u->ahead)
            pthread_cond_wait(&u->cv, &u->mu);
        if (u->rc || u->next >= u->n)
            break;
        size_t i = u->next++;
        struct tp_out *part = u->n_pool ? u->pool[--u->n_pool] : NULL;
        /* rows appended already fill any sink's head: this unit's cannot be
         * in it */
        int past = u->rows_out >= TP_SINK_HEAD_ROWS;
        pthread_mutex_unlock(&u->mu);
        struct tp_error e = {0};
        int rc = !part && tp_out_open_mem(&part, u->flags) ? tp_report_oom(&e) : 0;
        if (!rc && past)
            tp_out_past_head(part);
        if (!rc)
            rc = u->fn(u->arg, me->t, i, part, &e);
        pthread_mutex_lock(&u->mu);
        u->part[i] = part;
        u->done[i] = 1;
        if (rc && !u->rc) {
            u->rc = rc;
            u->err = e;
        }
        pthread_cond_broadcast(&u->cv);
        if (!me->t)
            units_append(u, 0);
    }
    if (!me->t)
        units_append(u, 1);
    pthread_mutex_unlock(&u->mu);
    return NULL;
}

int tp_report_units(struct tp_out *out, size_t n, unsigned threads, tp_unit_fn fn, void *arg,
                    struct tp_error *err)
{
    struct units u = {.out = out, .n = n, .flags = tp_out_flags(out), .fn = fn, .arg = arg};
    struct unit_thread th[TP_MAX_THREADS];
    if (threads > n)
        threads = n ? (unsigned)n : 1;
    threads = threads < 1 ? 1 : threads > TP_MAX_THREADS ? TP_MAX_THREADS : threads;
    u.ahead = 2 * (size_t)threads;
    u.pool_cap = u.ahead + threads;
    u.part = calloc(n ? n : 1, sizeof(*u.part));
    u.done = calloc(n ? n : 1, 1);
    u.pool = calloc(u.pool_cap, sizeof(*u.pool));
    if (!u.part || !u.done || !u.pool) {
        free(u.part);
        free(u.done);
        free(u.pool);
        return tp_report_oom(err);
    }
    pthread_mutex_init(&u.mu, NULL);
    pthread_cond_init(&u.cv, NULL);
    for (unsigned t = 0; t < threads; t++)
        th[t] = (struct unit_thread){&u, t};
    tp_report_run_parts(units_main, th, sizeof(*th), threads);
    for (size_t i = 0; i < n; i++)
        tp_out_free(u.part[i]); /* the parts left after a failure */
    for (size_t i = 0; i < u.n_pool; i++)
        tp_out_free(u.pool[i]);
    free(u.pool);
    pthread_cond_destroy(&u.cv);
    pthread_mutex_destroy(&u.mu);
    free(u.part);
    free(u.done);
    if (u.rc)
        *err = u.err;
    return u.rc;
}

int tp_report_sum_terms(struct tp_counts *c, int (*group)(const void *ctx, size_t doc),
                        const void *ctx, uint64_t *const *sums, struct tp_error *err)
{
    return tp_report_sum_ids(c, &c->uni, group, ctx, sums, err);
}

int tp_report_sum_ids(struct tp_counts *c, struct tp_counter *k,
                      int (*group)(const void *ctx, size_t doc), const void *ctx,
                      uint64_t *const *sums, struct tp_error *err)
{
    struct tp_spill_iter it;
    int rc = tp_spill_iter_init(&it, k, c->n_docs, err);
    if (rc)
        return rc;
    while ((rc = tp_spill_iter_next(&it, err)) > 0) {
        int g = group(ctx, it.doc);
        if (g < 0)
            continue;
        uint64_t *s = sums[g];
        for (size_t j = 0; j < it.n; j++)
            s[it.ids[j]] += it.counts[j];
    }
    return rc;
}

static const struct tp_counts *sort_counts; /* qsort has no context argument */

static int cmp_term_bytes(const void *a, const void *b)
{
    const struct tp_term *x = &sort_counts->terms.terms[*(const uint32_t *)a];
    const struct tp_term *y = &sort_counts->terms.terms[*(const uint32_t *)b];
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->bytes, y->bytes, n);
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

/* Call add(ctx, id, m) for every term id that pattern m matches: a scan of
 * the vocabulary, or a binary search of it sorted (sorted != NULL). */
static int prefix_each(const struct tp_counts *c, const uint32_t *sorted, size_t m,
                       int (*add)(void *ctx, uint32_t id, uint32_t m), void *ctx)
{
    const char *p = c->match_prefix[m];
    size_t plen = strlen(p), n = c->terms.n;
    if (!sorted) {
        for (size_t i = 0; i < n; i++)
            if (tp_has_prefix(c->terms.terms[i].bytes, c->terms.terms[i].len, p, plen) &&
                add(ctx, (uint32_t)i, (uint32_t)m))
                return TP_ENOMEM;
        return 0;
    }
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct tp_term *t = &c->terms.terms[sorted[mid]];
        size_t k = t->len < plen ? t->len : plen;
        int r = memcmp(t->bytes, p, k);
        if (r < 0 || (r == 0 && t->len < plen))
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < n; lo++) {
        const struct tp_term *t = &c->terms.terms[sorted[lo]];
        if (!tp_has_prefix(t->bytes, t->len, p, plen))
            break;
        if (add(ctx, sorted[lo], (uint32_t)m))
            return TP_ENOMEM;
    }
    return 0;
}

struct prefix_build {
    uint32_t *off, *list;
    int fill;
};

static int prefix_add(void *ctx, uint32_t id, uint32_t m)
{
    struct prefix_build *b = ctx;
    if (b->fill)
        b->list[b->off[id]++] = m;
    else
        b->off[id + 1]++;
    return 0;
}

int tp_report_prefix_map(const struct tp_counts *c, uint32_t **off, uint32_t **list)
{
    size_t n_pat = 0, n = c->terms.n;
    *off = NULL;
    *list = NULL;
    for (size_t m = 0; c->match_prefix && m < c->n_match; m++)
        n_pat += c->match_prefix[m] != NULL;
    if (!n_pat)
        return 0;
    uint32_t *sorted = NULL;
    struct prefix_build b = {calloc(n + 2, sizeof(uint32_t)), NULL, 0};
    if (!b.off)
        return TP_ENOMEM;
    if (n_pat > 8) {
        if (!(sorted = malloc((n ? n : 1) * sizeof(*sorted))))
            goto oom;
        for (size_t i = 0; i < n; i++)
            sorted[i] = (uint32_t)i;
        sort_counts = c;
        qsort(sorted, n, sizeof(*sorted), cmp_term_bytes);
    }
    /* count, then fill each id's run (patterns in ascending order) */
    for (size_t m = 0; m < c->n_match; m++)
        if (c->match_prefix[m])
            prefix_each(c, sorted, m, prefix_add, &b);
    for (size_t i = 0; i < n; i++)
        b.off[i + 1] += b.off[i];
    if (!(b.list = malloc((b.off[n] ? b.off[n] : 1) * sizeof(uint32_t))))
        goto oom;
    b.fill = 1;
    for (size_t m = 0; m < c->n_match; m++)
        if (c->match_prefix[m])
            prefix_each(c, sorted, m, prefix_add, &b);
    /* each off[i] moved to the end of its run: shift back */
    for (size_t i = n; i > 0; i--)
        b.off[i] = b.off[i - 1];
    b.off[0] = 0;
    free(sorted);
    *off = b.off;
    *list = b.list;
    return 0;
oom:
    free(sorted);
    free(b.off);
    free(b.list);
    return TP_ENOMEM;
}

int tp_report_ids(struct tp_counts *c, struct tp_ids *ids)
{
    memset(ids, 0, sizeof(*ids));
    ids->names = (struct tp_arena)TP_ARENA_INIT;
    if (c->o.ngram <= 1) {
        ids->terms = c->terms.terms;
        ids->k = &c->uni;
        ids->n = c->terms.n;
        return 0;
    }
    unsigned n = c->o.ngram;
    ids->k = &c->ng;
    ids->n = c->ngrams.n_items;
    if (!(ids->built = malloc((ids->n ? ids->n : 1) * sizeof(*ids->built))))
        return TP_ENOMEM;
    for (size_t i = 0; i < ids->n; i++) {
        const uint32_t *key = tp_tuples_key(&c->ngrams, i);
        struct tp_term *t = &ids->built[i];
        t->flags = TP_TERM_SEEN;
        for (unsigned w = 0; w < n; w++)
            t->flags |= c->terms.terms[key[w]].flags & (TP_TERM_STOP | TP_TERM_SHORT);
        if (!(t->bytes = tp_report_join_words(c, key, n, &ids->names, &t->len))) {
            tp_report_ids_release(ids);
            return TP_ENOMEM;
        }
    }
    ids->terms = ids->built;
    return 0;
}

void tp_report_ids_release(struct tp_ids *ids)
{
    free(ids->built);
    ids->built = NULL;
    tp_arena_release(&ids->names);
}

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
