/*
 * report_freq.c - freq.csv: every term (or n-gram with --ngram) by count,
 * with its rate per million tokens, document frequency and Gries' DP, which
 * needs each term's total first and so reads the spill once more.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "report_int.h"
#include "stats.h"

/* Gries' DP for every id of counter k, exactly: the integer sums of each
 * id that tp_dp_of takes, the same in any order of documents, so
 * the spill's documents are shared among threads, each summing into a copy
 * of its own, the copies added up at the end. */
/* A row's per_million, count / tokens * 10^6 as written: formatted again
 * only when the count or the tokens differ from the row before's (rows go
 * by count, and most of a table's rows share their count with the row
 * before). Zeroed: nothing formatted yet (a row's tokens are never 0). */
struct rate_text {
    uint64_t count, tokens;
    size_t len;
    char s[TP_FORMAT_DOUBLE_MAX];
};

static void rate_of(struct rate_text *r, uint64_t count, uint64_t tokens)
{
    if (count == r->count && tokens == r->tokens)
        return;
    r->count = count;
    r->tokens = tokens;
    r->len = tp_format_double((double)count / (double)tokens * 1e6, r->s);
}

struct dp_part {
    const struct tp_counts *c;
    struct tp_counter *k;
    const uint32_t *map;
    const uint64_t *total;
    size_t d0, d1;
    struct tp_dp_sums *sums; /* by id */
    struct tp_spill_reader sr;
    int rc;
    struct tp_error err;
};

/* Documents a part loads from the spill at a time. */
enum { DP_BLOCK = 1024 };

/* Bytes of sums a thread other than the first may hold (each has a copy of
 * them: 24 bytes an id); with more ids the sums are made on one thread. */
#define DP_COPY_MAX ((size_t)64 << 20)

static void *dp_part_main(void *arg)
{
    struct dp_part *q = arg;
    const uint64_t N = q->c->n_tokens;
    for (size_t b = q->d0; b < q->d1 && !q->rc; b += DP_BLOCK) {
        size_t e = q->d1 - b > DP_BLOCK ? b + DP_BLOCK : q->d1;
        q->rc = tp_spill_load(q->k, b, e, &q->sr, &q->err);
        for (size_t d = b; d < e && !q->rc; d++) {
            if ((q->rc = tp_spill_next(&q->sr, &q->err)))
                break;
            uint64_t dn = q->c->docs[d].n_tokens;
            for (size_t j = 0; j < q->sr.n; j++) {
                /* map: the row an id is counted in (a stopword twin's, its word's) */
                uint32_t id = q->map ? q->map[q->sr.ids[j]] : q->sr.ids[j];
                tp_dp_add(&q->sums[id], q->sr.counts[j], dn, q->total[id], N);
            }
        }
    }
    return NULL;
}

static int dp_values(struct tp_counts *c, struct tp_counter *k, size_t n_ids, const uint32_t *map,
                     const uint64_t *total, unsigned threads, double **out, struct tp_error *err)
{
    size_t n_docs = c->n_docs, each = (n_ids ? n_ids : 1) * sizeof(struct tp_dp_sums);
    if (n_docs < 2 * DP_BLOCK || threads < 1)
        threads = 1;
    if (threads > 1 && each > DP_COPY_MAX / (threads - 1))
        threads = (unsigned)(DP_COPY_MAX / each) + 1;
    /* a thread more zeroes and adds up a copy of the sums: worth it only
     * with many entries an id (a list entry is at least 5 bytes) */
    uint64_t entries = 0;
    for (size_t d = 0; threads > 1 && d < n_docs; d++)
        entries += k->lens[d] / 5;
    if (threads > 1 && entries / (4 * (n_ids ? n_ids : 1)) + 1 < threads)
        threads = (unsigned)(entries / (4 * (n_ids ? n_ids : 1))) + 1;
    struct dp_part *q = calloc(threads, sizeof(*q));
    double *dp = malloc((n_ids ? n_ids : 1) * sizeof(double));
    int rc = q && dp ? tp_counter_rewind(k, err) : tp_report_oom(err);
    for (unsigned t = 0; t < threads && !rc; t++) {
        if (!(q[t].sums = calloc(n_ids ? n_ids : 1, sizeof(*q[t].sums))))
            rc = tp_report_oom(err);
    }
    if (rc)
        goto out;
    size_t bound[TP_MAX_THREADS + 1];
    tp_report_doc_runs(k, n_docs, threads, bound);
    for (unsigned t = 0; t < threads; t++) {
        q[t].c = c;
        q[t].k = k;
        q[t].map = map;
        q[t].total = total;
        q[t].d0 = bound[t];
        q[t].d1 = bound[t + 1];
    }
    tp_report_run_parts(dp_part_main, q, sizeof(*q), threads);
    for (unsigned t = 0; t < threads; t++)
        if (q[t].rc && !rc) {
            rc = q[t].rc;
            *err = q[t].err;
        }
    if (rc)
        goto out;
    const uint64_t N = c->n_tokens;
    for (size_t i = 0; i < n_ids; i++) {
        dp[i] = 0;
        if (!total[i])
            continue;
        struct tp_dp_sums sum = q[0].sums[i];
        for (unsigned t = 1; t < threads; t++) {
            sum.cplus += q[t].sums[i].cplus;
            sum.nplus += q[t].sums[i].nplus;
            sum.occ += q[t].sums[i].occ;
        }
        dp[i] = tp_dp_of(&sum, total[i], N);
    }
out:
    for (unsigned t = 0; q && t < threads; t++) {
        free(q[t].sums);
        tp_spill_reader_release(&q[t].sr);
    }
    free(q);
    if (rc) {
        free(dp);
        return rc;
    }
    *out = dp;
    return 0;
}

/* With --terms: which ids (terms, or n-grams of c->o.ngram words) are
 * listed, or matched by a listed prefix pattern (1: shown even if a
 * stopword, as the timeline counts it; 2: shown if reportable); *want is
 * NULL without --terms. Returns 0 or TP_ENOMEM. */
static int listed_ids(struct tp_counts *c, size_t n_ids, uint8_t **want)
{
    unsigned n = c->o.ngram > 1 ? c->o.ngram : 1;
    uint32_t *off = NULL, *list = NULL;
    *want = NULL;
    if (!c->n_match)
        return 0;
    uint8_t *w = calloc(n_ids ? n_ids : 1, 1);
    if (!w || tp_report_prefix_map(c, &off, &list)) {
        free(w);
        return TP_ENOMEM;
    }
    for (size_t m = 0; m < c->n_match; m++) {
        if (c->match_len[m] != n)
            continue;
        int64_t id =
            n == 1 ? (int64_t)c->match_ids[m][0] : tp_tuples_find(&c->ngrams, c->match_ids[m]);
        if (id >= 0 && (size_t)id < n_ids)
            w[id] = 1;
    }
    if (off) {
        /* an n-gram is matched by its first word, and shown only when
         * reportable (2), as without --terms */
        for (size_t i = 0; i < n_ids; i++) {
            uint32_t first = n == 1 ? (uint32_t)i : tp_tuples_key(&c->ngrams, i)[0];
            if (off[first] < off[first + 1] && !w[i])
                w[i] = n == 1 ? 1 : 2;
        }
    }
    free(off);
    free(list);
    *want = w;
    return 0;
}

/* A corpus that mixes languages (counts.h, stop_lang): a listed term (or a
 * term a listed pattern matches) counts every occurrence, so its stopword
 * twins, and the n-grams with a twin for one of its words, are counted in
 * its row: map[id] is the row id counts in (the first id of its words), want
 * is cleared for the others, and total[] and df[] (fresh arrays) are summed
 * by row. Returns 0 or TP_ENOMEM. */
static int fold_listed(struct tp_counts *c, struct tp_counter *k, size_t n_ids, uint8_t *want,
                       uint32_t **map_out, uint64_t **total_out, uint64_t **df_out)
{
    unsigned n = c->o.ngram > 1 ? c->o.ngram : 1;
    size_t N = n_ids ? n_ids : 1;
    uint32_t *map = malloc(N * sizeof(*map)), *first = NULL;
    uint64_t *total = calloc(N, sizeof(*total)), *df = calloc(N, sizeof(*df));
    uint8_t *listed = NULL;
    struct tp_tuples words = {0};
    int rc = TP_ENOMEM;
    if (!map || !total || !df || (n > 1 && tp_tuples_init(&words, n)))
        goto out;
    /* the class of an id: its word, or its n-gram of words */
    size_t n_cls = n == 1 ? c->terms.n : 0;
    for (size_t i = 0; i < n_ids; i++) {
        if (n == 1) {
            map[i] = c->twin_base[i];
            continue;
        }
        uint32_t key[TP_KEY_MAX];
        const uint32_t *kk = tp_tuples_key(&c->ngrams, i);
        for (unsigned w = 0; w < n; w++)
            key[w] = c->twin_base[kk[w]];
        int64_t g = tp_tuples_intern(&words, key);
        if (g < 0)
            goto out;
        map[i] = (uint32_t)g;
        n_cls = words.n_items;
    }
    listed = calloc(n_cls ? n_cls : 1, 1);
    first = malloc((n_cls ? n_cls : 1) * sizeof(*first));
    if (!listed || !first)
        goto out;
    for (size_t m = 0; m < c->n_match; m++) {
        if (c->match_len[m] != n)
            continue;
        int64_t g = n == 1 ? (int64_t)c->match_ids[m][0] : tp_tuples_find(&words, c->match_ids[m]);
        if (g >= 0 && (size_t)g < n_cls)
            listed[g] = 1;
    }
    for (size_t i = 0; i < n_ids; i++)
        if (want[i] == 1)
            listed[map[i]] = 1;
    for (size_t g = 0; g < n_cls; g++)
        first[g] = UINT32_MAX;
    for (size_t i = 0; i < n_ids; i++) {
        uint32_t g = map[i];
        if (!listed[g]) {
            map[i] = (uint32_t)i;
            total[i] = k->total[i];
            df[i] = k->df[i];
            continue;
        }
        if (first[g] == UINT32_MAX)
            first[g] = (uint32_t)i;
        map[i] = first[g];
        want[i] = map[i] == i;
        total[map[i]] += k->total[i];
        df[map[i]] += k->df[i];
    }
    rc = 0;
out:
    tp_tuples_release(&words);
    free(listed);
    free(first);
    if (rc) {
        free(map);
        free(total);
        free(df);
        return rc;
    }
    *map_out = map;
    *total_out = total;
    *df_out = df;
    return 0;
}

/* A shown id's name and its place among the shown ids' names, bytewise
 * (ids of one name share it). */
struct fname {
    const char *name;
    uint32_t len, rank;
};

static int fname_cmp(const void *pa, const void *pb)
{
    const struct fname *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int r = memcmp(a->name, b->name, n);
    if (r)
        return r;
    return (a->len > b->len) - (a->len < b->len);
}

/* Grouped freq's names: nm[id] for every id that may get a row (rank
 * UINT32_MAX: none), n-grams named by their words (not a stopword twin's
 * bytes); *max_rank the largest rank. Returns 0 or TP_ENOMEM. */
static int freq_names(struct tp_counts *c, size_t n_ids, const uint8_t *want,
                      struct tp_arena *names, struct fname **out, uint32_t *max_rank)
{
    struct fname *nm = malloc((n_ids ? n_ids : 1) * sizeof(*nm));
    struct fname *by = malloc((n_ids ? n_ids : 1) * sizeof(*by));
    size_t n_by = 0;
    if (!nm || !by)
        goto oom;
    for (size_t id = 0; id < n_ids; id++) {
        nm[id].rank = UINT32_MAX;
        if (want && !want[id])
            continue;
        if (c->o.ngram > 1) {
            const uint32_t *key = tp_tuples_key(&c->ngrams, id);
            if ((!want || want[id] == 2) && !tp_report_tuple_reportable(c, key, c->o.ngram))
                continue;
            uint32_t words[TP_KEY_MAX];
            for (unsigned w = 0; w < c->o.ngram; w++)
                words[w] = c->twin_base ? c->twin_base[key[w]] : key[w];
            nm[id].name = tp_report_join_words(c, words, c->o.ngram, names, &nm[id].len);
            if (!nm[id].name)
                goto oom;
        } else {
            if (!want && !tp_counts_reportable(c, (uint32_t)id))
                continue;
            nm[id].name = c->terms.terms[id].bytes;
            nm[id].len = c->terms.terms[id].len;
        }
        by[n_by] = nm[id];
        by[n_by++].rank = (uint32_t)id; /* here: the id */
    }
    if (n_by > 1)
        qsort(by, n_by, sizeof(*by), fname_cmp);
    uint32_t rank = 0;
    for (size_t i = 0; i < n_by; i++) {
        if (i && fname_cmp(&by[i - 1], &by[i]) != 0)
            rank++;
        nm[by[i].rank].rank = rank;
    }
    free(by);
    *out = nm;
    *max_rank = rank;
    return 0;
oom:
    free(nm);
    free(by);
    return TP_ENOMEM;
}

/* The row order of grouped freq within a group when a key does not fit in
 * 64 bits: count descending, name, then slot. */
struct fkey {
    uint64_t count;
    uint32_t rank, i;
};

static int fkey_cmp(const void *pa, const void *pb)
{
    const struct fkey *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* Rows (or entries) ahead of the current one whose sums are asked for. */
enum { FREQ_AHEAD = 8 };

/* A (group, id) pair's sums in grouped freq's DP pass over one group (its
 * count, summed by the pass before, is in an array of its own, which that
 * pass alone touches: 8 bytes an id stay in cache where 32 did not). */
struct frec {
    union {
        struct tp_dp_sums s; /* while the documents are walked (occ: the tokens */
        double dp;           /* of the group's documents with the id), then DP */
    };
    uint64_t df; /* the group's documents with the id */
};

/* Grouped freq's rows of one group, from the sums cnt[] and rec[] of the
 * ids touched[0..nt):
 * sorted by count descending, name, id, and written (--top K). keys, idx,
 * k2, i2 and fk have room for nt entries. */
static void freq_stream_rows(struct tp_run *run, struct tp_out *out, const struct tp_groups *gs,
                             uint32_t g, const struct fname *nm, uint32_t max_rank,
                             const uint64_t *cnt, const struct frec *rec, const uint32_t *touched,
                             size_t nt, uint64_t *keys, uint32_t *idx, uint64_t *k2, uint32_t *i2,
                             struct fkey *fk, size_t n_ids, struct tp_cells *gcell)
{
    uint64_t maxc = 0;
    for (size_t t = 0; t < nt; t++)
        if (cnt[touched[t]] > maxc)
            maxc = cnt[touched[t]];
    unsigned ib = tp_bits_of(n_ids ? n_ids - 1 : 0), rb = tp_bits_of(max_rank),
             cb = tp_bits_of(maxc);
    int radix = ib + rb + cb <= 64;
    size_t n = 0;
    for (size_t t = 0; t < nt; t++) {
        uint32_t id = touched[t];
        if (nm[id].rank == UINT32_MAX)
            continue;
        if (radix)
            keys[n] = ((maxc - cnt[id]) << rb | nm[id].rank) << ib | id;
        else
            fk[n] = (struct fkey){cnt[id], nm[id].rank, id};
        idx[n++] = id;
    }
    if (radix)
        tp_radix_sort_keys(keys, idx, n, ib + rb + cb, k2, i2);
    else if (n > 1) {
        qsort(fk, n, sizeof(*fk), fkey_cmp);
        for (size_t i = 0; i < n; i++)
            idx[i] = fk[i].i;
    }
    size_t shown = run->o->top >= 0 && (size_t)run->o->top < n ? (size_t)run->o->top : n;
    if (shown) {
        size_t glen;
        const char *gname = tp_corpus_group_name(run->corpus, g, &glen);
        tp_cells_clear(out, gcell);
        tp_cells_text(out, gcell, gname, glen);
    }
    struct rate_text pm = {0};
    for (size_t i = 0; i < shown; i++) {
        uint32_t id = idx[i];
        const struct frec *m = &rec[id];
        uint64_t count = cnt[id];
        /* rows go by count, ids at random: ask for a later row's sums and
         * name now, and for the name's bytes once its pointer is there */
        if (i + FREQ_AHEAD < shown) {
            __builtin_prefetch(&rec[idx[i + FREQ_AHEAD]]);
            __builtin_prefetch(&nm[idx[i + FREQ_AHEAD]]);
        }
        if (i + FREQ_AHEAD / 2 < shown)
            __builtin_prefetch(nm[idx[i + FREQ_AHEAD / 2]].name);
        rate_of(&pm, count, gs->tokens[g]);
        tp_out_cells(out, gcell);
        tp_out_u64(out, i + 1);
        tp_out_text(out, nm[id].name, nm[id].len);
        tp_out_u64(out, count);
        tp_out_number(out, pm.s, pm.len);
        tp_out_u64(out, m->df);
        tp_out_double(out, m->dp);
        tp_out_row_end(out);
    }
}

/* Grouped freq when the spill can be mapped (tp_gwalk mapped): each group
 * in name order on its own, from its documents alone: a pass sums the
 * counts, a second Gries' DP, document frequencies and tokens, in per-id
 * arrays used again by the next group (they stay in cache: no groups x
 * ids table), then the group's rows are sorted and written. *done 0 (and
 * nothing written) when the spill cannot be mapped. */
static int freq_stream(struct tp_run *run, struct tp_out *out, struct tp_counter *k,
                       const struct tp_groups *gs, const struct fname *nm, uint32_t max_rank,
                       int *done, struct tp_error *err)
{
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    size_t n_ids = k == &c->uni ? c->terms.n : c->ngrams.n_items;
    struct tp_gwalk w;
    struct frec *rec = NULL;
    uint32_t *touched = NULL, *idx = NULL, *i2 = NULL;
    uint64_t *cnt = NULL, *keys = NULL, *k2 = NULL;
    struct fkey *fk = NULL;
    struct tp_cells gcell = {0};
    int rc;
    *done = 0;
    for (size_t d = 0; d < c->n_docs; d++)
        if (c->docs[d].group >= gs->n)
            return 0;
    if ((rc = tp_gwalk_init(&w, c, k, gs->n, err)) || !w.mapped)
        goto out;
    size_t m1 = n_ids ? n_ids : 1;
    rec = calloc(m1, sizeof(*rec));
    cnt = calloc(m1, sizeof(*cnt));
    touched = malloc((m1 + 1) * sizeof(*touched)); /* + 1: the count pass writes one past */
    idx = malloc(m1 * sizeof(*idx));
    i2 = malloc(m1 * sizeof(*i2));
    keys = malloc(m1 * sizeof(*keys));
    k2 = malloc(m1 * sizeof(*k2));
    fk = malloc(m1 * sizeof(*fk));
    if (!rec || !cnt || !touched || !idx || !i2 || !keys || !k2 || !fk) {
        rc = tp_report_oom(err);
        goto out;
    }
    *done = 1;
    tp_out_header(out, "group,rank,term,count,per_million,doc_freq,dp");
    for (size_t r = 0; r < gs->n; r++) {
        uint32_t g = gs->order[r];
        size_t nt = 0;
        /* the group's records copied together with the next groups' first:
         * each walk below then reads memory in order */
        tp_gwalk_take(&w, gs->order, gs->n, r);
        while ((rc = tp_gwalk_next(&w, err)) > 0)
            for (size_t j = 0; j < w.n; j++) {
                uint64_t *m = &cnt[w.ids[j]];
                /* written always, kept when new: no branch to mispredict
                 * (touched has room for one past every id) */
                touched[nt] = w.ids[j];
                nt += !*m && w.counts[j];
                *m += w.counts[j];
            }
        if (rc < 0)
            goto out;
        tp_gwalk_group(&w, g);
        while ((rc = tp_gwalk_next(&w, err)) > 0) {
            uint64_t dn = c->docs[w.doc].n_tokens, ng = gs->tokens[g];
            for (size_t j = 0; j < w.n; j++) {
                /* ids come at random: ask for a later entry's sums now */
                if (j + FREQ_AHEAD < w.n)
                    __builtin_prefetch(&rec[w.ids[j + FREQ_AHEAD]], 1);
                uint64_t f = cnt[w.ids[j]];
                if (!f)
                    continue; /* never in a row */
                struct frec *m = &rec[w.ids[j]];
                tp_dp_add(&m->s, w.counts[j], dn, f, ng);
                m->df++;
            }
        }
        if (rc < 0)
            goto out;
        /* DP over the group's documents, exactly (its tokens N_g) */
        for (size_t t = 0; t < nt; t++) {
            struct frec *m = &rec[touched[t]];
            double dp = tp_dp_of(&m->s, cnt[touched[t]], gs->tokens[g]);
            m->dp = dp;
        }
        freq_stream_rows(run, out, gs, g, nm, max_rank, cnt, rec, touched, nt, keys, idx, k2, i2,
                         fk, n_ids, &gcell);
        for (size_t t = 0; t < nt; t++) {
            cnt[touched[t]] = 0;
            memset(&rec[touched[t]], 0, sizeof(*rec));
        }
    }
    rc = 0;
out:
    tp_gwalk_release(&w);
    tp_cells_release(&gcell);
    free(rec);
    free(cnt);
    free(touched);
    free(idx);
    free(i2);
    free(keys);
    free(k2);
    free(fk);
    return rc;
}

/* --group-by: one list a group (groups by name), each a list of its own:
 * rank, rate per million of the group's tokens, documents of the group, DP
 * over the group's documents; --top K rows a group. A group's rows are
 * found among its own slots, sorted on (count descending, a rank by name)
 * in one radix sort that stays in cache, and written. */
static int freq_grouped(struct tp_run *run, struct tp_out *out, struct tp_error *err)
{
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    int ngram = c->o.ngram > 1;
    struct tp_counter *k = ngram ? &c->ng : &c->uni;
    size_t n_ids = ngram ? c->ngrams.n_items : c->terms.n;
    struct tp_arena names = TP_ARENA_INIT;
    struct tp_groups gs;
    struct tp_gterms gt = {0};
    uint8_t *want = NULL;
    struct fname *nm = NULL;
    size_t *slots = NULL, *at = NULL;
    uint64_t *keys = NULL, *k2 = NULL;
    uint32_t *idx = NULL, *i2 = NULL;
    struct fkey *fk = NULL;
    struct tp_cells gcell = {0};
    int rc;
    if ((rc = tp_report_groups(run, &gs, err)))
        return rc;
    if (run->o->freq_listed_only && listed_ids(c, n_ids, &want)) {
        rc = tp_report_oom(err);
        goto out;
    }
    if (want && c->twin_base) {
        /* a mixed corpus: no row for a stopword twin (its word's row has
         * the word's own counts here; not yet the twin's, as without groups) */
        uint32_t *map = NULL;
        uint64_t *t = NULL, *d = NULL;
        if (fold_listed(c, k, n_ids, want, &map, &t, &d)) {
            rc = tp_report_oom(err);
            goto out;
        }
        free(map);
        free(t);
        free(d);
    }
    uint32_t max_rank = 0;
    if (freq_names(c, n_ids, want, &names, &nm, &max_rank)) {
        rc = tp_report_oom(err);
        goto out;
    }
    /* the spill mapped: group by group, from the group's documents alone */
    int streamed = 0;
    if ((rc = freq_stream(run, out, k, &gs, nm, max_rank, &streamed, err)) || streamed)
        goto out;
    if ((rc = tp_gterms_count(c, k, &gt, err)) || (rc = tp_gterms_dp(c, k, &gt, gs.tokens, err)))
        goto out;
    /* each group's slots in slot order: a dense table's lie together; a
     * hashed one's are bucketed by group first */
    size_t G = gs.n, most = 0;
    uint64_t maxc = 0;
    for (size_t i = 0; i <= gt.mask; i++)
        if (gt.count[i] > maxc)
            maxc = gt.count[i];
    if (gt.dense_v) {
        most = gt.dense_v;
    } else {
        at = calloc(G + 1, sizeof(*at));
        slots = malloc((gt.n ? gt.n : 1) * sizeof(*slots));
        if (!at || !slots) {
            rc = tp_report_oom(err);
            goto out;
        }
        uint32_t g, id;
        for (size_t i = 0; i <= gt.mask; i++)
            if (tp_gterms_slot(&gt, i, &g, &id) && g < G)
                at[g + 1]++;
        for (size_t j = 0; j < G; j++) {
            most = at[j + 1] > most ? at[j + 1] : most;
            at[j + 1] += at[j];
        }
        for (size_t i = 0; i <= gt.mask; i++)
            if (tp_gterms_slot(&gt, i, &g, &id) && g < G)
                slots[at[g]++] = i;
        for (size_t j = G; j > 0; j--)
            at[j] = at[j - 1];
        at[0] = 0;
    }
    unsigned rb = tp_bits_of(max_rank), cb = tp_bits_of(maxc);
    int radix = rb + cb <= 64;
    size_t m1 = most ? most : 1;
    keys = malloc(m1 * sizeof(*keys));
    k2 = malloc(m1 * sizeof(*k2));
    idx = malloc(m1 * sizeof(*idx));
    i2 = malloc(m1 * sizeof(*i2));
    fk = radix ? NULL : malloc(m1 * sizeof(*fk));
    if (!keys || !k2 || !idx || !i2 || (!radix && !fk)) {
        rc = tp_report_oom(err);
        goto out;
    }
    tp_out_header(out, "group,rank,term,count,per_million,doc_freq,dp");
    struct rate_text pm = {0};
    for (size_t r = 0; r < G; r++) {
        uint32_t g = gs.order[r];
        size_t from = gt.dense_v ? (size_t)g * gt.dense_v : at[g];
        size_t to = gt.dense_v ? from + gt.dense_v : at[g + 1];
        if (gt.dense_v && to > gt.mask + 1)
            to = from > gt.mask + 1 ? from : gt.mask + 1; /* a group past the table's */
        size_t n = 0;
        for (size_t j = from; j < to; j++) {
            size_t slot = gt.dense_v ? j : slots[j];
            uint32_t sg, id;
            if (!tp_gterms_slot(&gt, slot, &sg, &id) || nm[id].rank == UINT32_MAX)
                continue;
            if (radix)
                keys[n] = (maxc - gt.count[slot]) << rb | nm[id].rank;
            else
                fk[n] = (struct fkey){gt.count[slot], nm[id].rank, (uint32_t)n};
            idx[n++] = (uint32_t)(j - from);
        }
        if (radix)
            tp_radix_sort_keys(keys, idx, n, rb + cb, k2, i2);
        else if (n > 1) {
            qsort(fk, n, sizeof(*fk), fkey_cmp);
            for (size_t i = 0; i < n; i++)
                k2[i] = idx[fk[i].i];
            for (size_t i = 0; i < n; i++)
                idx[i] = (uint32_t)k2[i];
        }
        size_t shown = run->o->top >= 0 && (size_t)run->o->top < n ? (size_t)run->o->top : n;
        if (shown) {
            size_t glen;
            const char *gname = tp_corpus_group_name(run->corpus, g, &glen);
            tp_cells_clear(out, &gcell);
            tp_cells_text(out, &gcell, gname, glen);
        }
        for (size_t i = 0; i < shown; i++) {
            size_t slot = gt.dense_v ? from + idx[i] : slots[from + idx[i]];
            uint32_t sg, id;
            tp_gterms_slot(&gt, slot, &sg, &id);
            const struct tp_gterm_dp *m = &gt.more[slot];
            uint64_t count = m->count;
            rate_of(&pm, count, gs.tokens[g]);
            tp_out_cells(out, &gcell);
            tp_out_u64(out, i + 1);
            tp_out_text(out, nm[id].name, nm[id].len);
            tp_out_u64(out, count);
            tp_out_number(out, pm.s, pm.len);
            tp_out_u64(out, m->df);
            tp_out_double(out, m->dp);
            tp_out_row_end(out);
        }
    }
out:
    tp_cells_release(&gcell);
    free(want);
    free(nm);
    free(slots);
    free(at);
    free(keys);
    free(k2);
    free(idx);
    free(i2);
    free(fk);
    tp_gterms_release(&gt);
    tp_groups_release(&gs);
    tp_arena_release(&names);
    return rc;
}

int tp_report_freq(struct tp_run *run, struct tp_out *out, struct tp_error *err)
{
    if (run->o->group_by)
        return freq_grouped(run, out, err);
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    int ngram = c->o.ngram > 1;
    struct tp_counter *k = ngram ? &c->ng : &c->uni;
    size_t n_ids = ngram ? c->ngrams.n_items : c->terms.n;
    struct tp_arena names = TP_ARENA_INIT;
    double *dp = NULL;
    struct row *rows = malloc((n_ids ? n_ids : 1) * sizeof(*rows));
    size_t n_rows = 0;
    int rc = 0;
    uint8_t *want = NULL;
    uint32_t *map = NULL;
    uint64_t *folded_total = NULL, *folded_df = NULL;
    if (!rows || (run->o->freq_listed_only && listed_ids(c, n_ids, &want)) ||
        (want && c->twin_base && fold_listed(c, k, n_ids, want, &map, &folded_total, &folded_df))) {
        free(rows);
        free(want);
        return tp_report_oom(err);
    }
    const uint64_t *total = map ? folded_total : k->total, *df = map ? folded_df : k->df;
    for (size_t i = 0; i < n_ids; i++) {
        if (!total[i] || (want && !want[i]))
            continue;
        struct row r = {(double)total[i], NULL, 0, (uint32_t)i};
        if (ngram) {
            const uint32_t *kk = tp_tuples_key(&c->ngrams, i);
            uint32_t key[TP_KEY_MAX];
            for (unsigned w = 0; w < c->o.ngram; w++)
                key[w] = map ? c->twin_base[kk[w]] : kk[w];
            if ((!want || want[i] == 2) && !tp_report_tuple_reportable(c, kk, c->o.ngram))
                continue;
            /* named by its words (a stopword twin's bytes are not a word's) */
            r.name = tp_report_join_words(c, key, c->o.ngram, &names, &r.name_len);
            if (!r.name) {
                rc = tp_report_oom(err);
                goto out;
            }
        } else {
            if (!want && !tp_counts_reportable(c, (uint32_t)i))
                continue;
            r.name = c->terms.terms[i].bytes;
            r.name_len = c->terms.terms[i].len;
        }
        rows[n_rows++] = r;
    }
    size_t n_out = tp_rows_top(rows, n_rows, tp_report_limit(run->o->top, n_rows));
    if (c->n_tokens && (rc = dp_values(c, k, n_ids, map, total, tp_run_threads(run), &dp, err)))
        goto out;
    tp_out_header(out, "rank,term,count,per_million,doc_freq,dp");
    struct rate_text pm = {0};
    for (size_t i = 0; i < n_out; i++) {
        uint32_t id = rows[i].id;
        rate_of(&pm, total[id], c->n_tokens);
        /* the row in place, where out writes plain CSV (tp_out_row_room):
         * rank, count and doc_freq at most TP_OUT_ROW_U64_MAX bytes each,
         * per_million and dp at most TP_FORMAT_DOUBLE_MAX, five commas and
         * the line feed */
        char *p = tp_out_row_room(out, tp_out_row_text_max(rows[i].name_len) +
                                           3 * TP_OUT_ROW_U64_MAX + 2 * TP_FORMAT_DOUBLE_MAX + 6);
        if (p) {
            p = tp_out_row_u64(p, i + 1);
            *p++ = ',';
            p = tp_out_row_text(out, p, rows[i].name, rows[i].name_len);
            *p++ = ',';
            p = tp_out_row_u64(p, total[id]);
            *p++ = ',';
            p = (char *)memcpy(p, pm.s, pm.len) + pm.len;
            *p++ = ',';
            p = tp_out_row_u64(p, df[id]);
            *p++ = ',';
            p += tp_format_double(dp[id], p);
            *p++ = '\n';
            tp_out_row_done(out, p);
            continue;
        }
        tp_out_u64(out, i + 1);
        tp_out_text(out, rows[i].name, rows[i].name_len);
        tp_out_u64(out, total[id]);
        tp_out_number(out, pm.s, pm.len);
        tp_out_u64(out, df[id]);
        tp_out_double(out, dp[id]);
        tp_out_row_end(out);
    }
out:
    free(map);
    free(folded_total);
    free(folded_df);
    free(want);
    free(dp);
    free(rows);
    tp_arena_release(&names);
    return rc;
}
