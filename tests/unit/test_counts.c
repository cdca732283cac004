/*
 * test_counts.c - the counters: totals, document frequencies, the spill of
 * per-document counts, n-grams and pairs inside segments, listed terms, Heaps
 * checkpoints, and that two corpora counted apart merge into exactly what one
 * corpus counting everything gives. Expected numbers are counted by hand.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "counts_int.h"

/* Feed "w w w | w w" : words separated by spaces, '|' starts a new segment. */
static void doc(struct tp_corpus *c, const char *id, const char *text)
{
    struct tp_date d = {0, 0, 0, TP_PREC_NONE};
    struct tp_error err;
    cr_assert_eq(tp_corpus_begin(c, id, &d, 0), 0);
    uint32_t seg = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        if (*p == '|') {
            seg++;
            p++;
            continue;
        }
        const char *s = p;
        while (*p && *p != ' ' && *p != '|')
            p++;
        if (p > s)
            cr_assert_eq(tp_corpus_token(c, s, (size_t)(p - s), seg), 0);
    }
    cr_assert_eq(tp_corpus_end(c, &err), 0, "%s", err.msg);
}

static uint32_t id(const struct tp_corpus *c, const char *w)
{
    int64_t i = tp_table_find(&c->r.terms, w, strlen(w));
    cr_assert(i >= 0, "no term %s", w);
    return (uint32_t)i;
}

static uint64_t pair(const struct tp_corpus *c, const char *a, const char *b)
{
    uint64_t key = ((uint64_t)id(c, a) + 1) << 32 | id(c, b);
    for (size_t p = 0; p <= c->r.pairs.mask; p++)
        if (c->r.pairs.slots[p].key == key)
            return c->r.pairs.slots[p].count;
    return 0;
}

static void init(struct tp_corpus *c, int spill, unsigned ngram, unsigned window)
{
    struct tp_error err;
    struct tp_count_opts o = {.spill = spill, .ngram = ngram, .window = window};
    cr_assert_eq(tp_corpus_init(c, &o, &err), 0);
}

Test(counts, totals_and_df)
{
    struct tp_corpus c;
    init(&c, 1, 1, 0);
    doc(&c, "d1", "a b a");
    doc(&c, "d2", "b c");
    doc(&c, "d3", "");
    cr_expect_eq(c.r.n_tokens, 5);
    cr_expect_eq(c.r.n_docs, 3);
    cr_expect_eq(c.r.uni.total[id(&c, "a")], 2);
    cr_expect_eq(c.r.uni.df[id(&c, "b")], 2);
    cr_expect_eq(c.r.docs[0].n_tokens, 3);
    cr_expect_eq(c.r.docs[2].n_tokens, 0);
    tp_corpus_release(&c);
}

Test(counts, spill_holds_each_document)
{
    struct tp_corpus c;
    struct tp_error err;
    init(&c, 1, 1, 0);
    doc(&c, "d1", "a b a");
    doc(&c, "d2", "");
    doc(&c, "d3", "c");
    cr_assert_eq(tp_counter_rewind(&c.r.uni, &err), 0);
    const uint32_t *ids = NULL;
    const uint64_t *cnt = NULL;
    size_t n = 0;
    cr_assert_eq(tp_counter_next(&c.r.uni, &ids, &cnt, &n, &err), 0);
    cr_expect_eq(n, 2);
    cr_expect_eq(ids[0], id(&c, "a"));
    cr_expect_eq(cnt[0], 2);
    cr_expect_eq(cnt[1], 1);
    cr_assert_eq(tp_counter_next(&c.r.uni, &ids, &cnt, &n, &err), 0);
    cr_expect_eq(n, 0);
    cr_assert_eq(tp_counter_next(&c.r.uni, &ids, &cnt, &n, &err), 0);
    cr_expect_eq(n, 1);
    cr_expect_neq(tp_counter_next(&c.r.uni, &ids, &cnt, &n, &err), 0);
    tp_corpus_release(&c);
}

/* Counts of 255 and more (a byte in the spill says "large", the rest
 * follows): 254, 255, 256, 300 and 70,000 occurrences read back exactly, in
 * a document between small ones. */
Test(counts, spill_holds_large_counts)
{
    static const uint64_t want[] = {254, 255, 256, 300, 70000, 1};
    static const char *const words[] = {"a", "b", "c", "d", "e", "f"};
    struct tp_corpus c;
    struct tp_error err;
    struct tp_date d = {0, 0, 0, TP_PREC_NONE};
    init(&c, 1, 1, 0);
    doc(&c, "d0", "x y");
    cr_assert_eq(tp_corpus_begin(&c, "d1", &d, 0), 0);
    for (size_t w = 0; w < 6; w++)
        for (uint64_t i = 0; i < want[w]; i++)
            cr_assert_eq(tp_corpus_token(&c, words[w], 1, 0), 0);
    cr_assert_eq(tp_corpus_end(&c, &err), 0, "%s", err.msg);
    doc(&c, "d2", "x x");
    cr_assert_eq(tp_counter_rewind(&c.r.uni, &err), 0);
    const uint32_t *ids = NULL;
    const uint64_t *cnt = NULL;
    size_t n = 0;
    cr_assert_eq(tp_counter_next(&c.r.uni, &ids, &cnt, &n, &err), 0, "%s", err.msg);
    cr_expect_eq(n, 2);
    cr_assert_eq(tp_counter_next(&c.r.uni, &ids, &cnt, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 6);
    for (size_t w = 0; w < 6; w++) {
        cr_expect_eq(ids[w], id(&c, words[w]));
        cr_expect_eq(cnt[w], want[w], "%s: %llu", words[w], (unsigned long long)cnt[w]);
    }
    cr_assert_eq(tp_counter_next(&c.r.uni, &ids, &cnt, &n, &err), 0, "%s", err.msg);
    cr_expect_eq(n, 1);
    cr_expect_eq(cnt[0], 2);
    cr_expect_eq(c.r.uni.total[id(&c, "e")], 70000);
    tp_corpus_release(&c);
}

Test(counts, pairs_stay_inside_segments_and_documents)
{
    struct tp_corpus c;
    init(&c, 0, 1, 1);
    doc(&c, "d1", "a b | c a b");
    doc(&c, "d2", "b c");
    cr_expect_eq(pair(&c, "a", "b"), 2);
    cr_expect_eq(pair(&c, "b", "c"), 1); /* only in d2: "a b | c" breaks */
    cr_expect_eq(pair(&c, "c", "a"), 1);
    cr_expect_eq(pair(&c, "b", "b"), 0); /* d1's last b and d2's first b */
    tp_corpus_release(&c);
}

Test(counts, window_pairs)
{
    struct tp_corpus c;
    init(&c, 0, 1, 2);
    doc(&c, "d1", "a b c a");
    /* within 2 to the right: a-b a-c b-c b-a c-a */
    cr_expect_eq(pair(&c, "a", "b"), 1);
    cr_expect_eq(pair(&c, "a", "c"), 1);
    cr_expect_eq(pair(&c, "b", "a"), 1);
    cr_expect_eq(pair(&c, "a", "a"), 0); /* distance 3 */
    tp_corpus_release(&c);
}

Test(counts, ngrams_with_df)
{
    struct tp_corpus c;
    init(&c, 1, 3, 0);
    doc(&c, "d1", "a b c a b c | a b c");
    doc(&c, "d2", "a b | c");
    cr_expect_eq(c.r.ngrams.n_items, 3); /* abc bca cab */
    uint32_t abc[3] = {id(&c, "a"), id(&c, "b"), id(&c, "c")};
    int64_t g = -1;
    for (size_t i = 0; i < c.r.ngrams.n_items; i++)
        if (memcmp(tp_tuples_key(&c.r.ngrams, i), abc, sizeof(abc)) == 0)
            g = (int64_t)i;
    cr_assert(g >= 0);
    cr_expect_eq(c.r.ng.total[g], 3);
    cr_expect_eq(c.r.ng.df[g], 1);
    tp_corpus_release(&c);
}

Test(counts, listed_terms_match_adjacent_tokens)
{
    struct tp_corpus c;
    struct tp_error err;
    init(&c, 0, 1, 0);
    const char *t1[] = {"intelligenza", "artificiale"};
    size_t l1[] = {12, 11};
    const char *t2[] = {"ia"};
    size_t l2[] = {2};
    cr_assert_eq(tp_corpus_add_match(&c, t1, l1, 2), 0);
    cr_assert_eq(tp_corpus_add_match(&c, t2, l2, 1), 0);
    doc(&c, "d1", "intelligenza artificiale e ia | intelligenza | artificiale");
    doc(&c, "d2", "nulla");
    doc(&c, "d3", "intelligenza artificiale intelligenza artificiale");
    (void)err;
    /* the three documents share a date (none): one cell per term, summed */
    cr_assert_eq(tp_corpus_match_settle(&c), 0);
    uint64_t count[2] = {0}, docs[2] = {0};
    for (size_t i = 0; i < c.r.n_cells; i++) {
        uint32_t m = tp_match_cell_term(&c.r.cells[i]);
        cr_assert_lt(m, 2);
        count[m] += c.r.cells[i].count;
        docs[m] += c.r.cells[i].docs;
    }
    cr_expect_eq(count[0], 3); /* d1 once, d3 twice */
    cr_expect_eq(docs[0], 2);
    cr_expect_eq(count[1], 1);
    cr_expect_eq(docs[1], 1);
    /* registered terms are not types until they occur */
    tp_corpus_release(&c);
}

/* A listed term given twice (the same tokens) is registered once. */
Test(counts, listed_terms_dedupe)
{
    struct tp_corpus c;
    init(&c, 0, 1, 0);
    const char *t1[] = {"a", "b"};
    size_t l1[] = {1, 1};
    const char *t2[] = {"b"};
    size_t l2[] = {1};
    cr_assert_eq(tp_corpus_add_match(&c, t1, l1, 2), 0);
    cr_assert_eq(tp_corpus_add_match(&c, t2, l2, 1), 0);
    cr_expect_eq(tp_corpus_add_match(&c, t1, l1, 2), 1);
    cr_expect_eq(tp_corpus_add_match(&c, t2, l2, 1), 1);
    cr_expect_eq(c.r.n_match, 2);
    tp_corpus_release(&c);
}

/* Documents of different dates give cells of their own; terms of one to
 * three words that overlap are each counted where they end. */
Test(counts, listed_terms_by_date)
{
    struct tp_corpus c;
    struct tp_error err;
    init(&c, 0, 1, 0);
    const char *t1[] = {"a", "b", "a"};
    size_t l1[] = {1, 1, 1};
    cr_assert_eq(tp_corpus_add_match(&c, t1, l1, 3), 0);     /* "a b a" */
    cr_assert_eq(tp_corpus_add_match(&c, t1 + 1, l1, 2), 0); /* "b a" */
    cr_assert_eq(tp_corpus_add_match(&c, t1, l1, 1), 0);     /* "a" */
    struct tp_date d1 = {2020, 0, 0, TP_PREC_YEAR}, d2 = {2021, 0, 0, TP_PREC_YEAR};
    const struct tp_date *dates[] = {&d1, &d1, &d2};
    const char *texts[][5] = {{"a", "b", "a", "b", "a"}, {"b", "a", NULL}, {"a", NULL}};
    for (int d = 0; d < 3; d++) {
        cr_assert_eq(tp_corpus_begin(&c, "d", dates[d], 0), 0);
        for (int i = 0; i < 5 && texts[d][i]; i++)
            cr_assert_eq(tp_corpus_token(&c, texts[d][i], 1, 0), 0);
        cr_assert_eq(tp_corpus_end(&c, &err), 0);
    }
    cr_assert_eq(tp_corpus_match_settle(&c), 0);
    /* 2020: "a b a" 2 in 1 doc; "b a" 2 + 1 in 2 docs; "a" 3 + 1 in 2 docs.
     * 2021: "a" 1 in 1 doc. */
    uint64_t want[2][3][2] = {{{2, 1}, {3, 2}, {4, 2}}, {{0, 0}, {0, 0}, {1, 1}}};
    uint64_t got[2][3][2] = {{{0}}};
    for (size_t i = 0; i < c.r.n_cells; i++) {
        struct tp_date dt = tp_match_cell_date(&c.r.cells[i]);
        uint32_t m = tp_match_cell_term(&c.r.cells[i]);
        cr_assert(dt.year == 2020 || dt.year == 2021);
        cr_assert_eq(dt.prec, TP_PREC_YEAR);
        got[dt.year - 2020][m][0] += c.r.cells[i].count;
        got[dt.year - 2020][m][1] += c.r.cells[i].docs;
    }
    for (int y = 0; y < 2; y++)
        for (int m = 0; m < 3; m++)
            for (int k = 0; k < 2; k++)
                cr_expect_eq(got[y][m][k], want[y][m][k], "year %d term %d %s: %lu", 2020 + y, m,
                             k ? "docs" : "count", (unsigned long)got[y][m][k]);
    tp_corpus_release(&c);
}

Test(counts, heaps_checkpoints)
{
    struct tp_corpus c;
    init(&c, 0, 1, 0);
    doc(&c, "d1", "a b a c d a e");
    /* first occurrences at 0 1 3 4 6; N = 7: V(1)=1 V(2)=2 V(4)=3 V(7)=5 */
    uint64_t n[TP_HEAPS_MAX], v[TP_HEAPS_MAX];
    size_t k = 0;
    cr_assert_eq(tp_counts_heaps(&c.r, n, v, &k), 0);
    cr_assert_eq(k, 4);
    uint64_t wn[] = {1, 2, 4, 7}, wv[] = {1, 2, 3, 5};
    for (size_t i = 0; i < 4; i++) {
        cr_expect_eq(n[i], wn[i]);
        cr_expect_eq(v[i], wv[i]);
    }
    tp_corpus_release(&c);
}

/* Everything a report reads, compared between two corpora by term bytes. */
static void expect_same(struct tp_corpus *x, struct tp_corpus *y)
{
    struct tp_error err;
    cr_expect_eq(x->r.n_tokens, y->r.n_tokens);
    cr_expect_eq(x->r.n_docs, y->r.n_docs);
    cr_expect_eq(x->r.n_types, y->r.n_types);
    for (size_t i = 0; i < x->r.terms.n; i++) {
        const struct tp_term *t = &x->r.terms.terms[i];
        int64_t j = tp_table_find(&y->r.terms, t->bytes, t->len);
        cr_assert(j >= 0);
        cr_expect_eq(x->r.uni.total[i], y->r.uni.total[j], "%s", t->bytes);
        cr_expect_eq(x->r.uni.df[i], y->r.uni.df[j]);
        cr_expect_eq(x->r.uni.first[i], y->r.uni.first[j]);
    }
    /* pairs counted (a slot may hold a pair taken back to 0) and their sum */
    uint64_t sx = 0, sy = 0, px = 0, py = 0;
    for (size_t p = 0; x->r.pairs.slots && p <= x->r.pairs.mask; p++) {
        sx += x->r.pairs.slots[p].count;
        px += x->r.pairs.slots[p].count > 0;
    }
    for (size_t p = 0; y->r.pairs.slots && p <= y->r.pairs.mask; p++) {
        sy += y->r.pairs.slots[p].count;
        py += y->r.pairs.slots[p].count > 0;
    }
    cr_expect_eq(px, py);
    cr_expect_eq(sx, sy);
    cr_assert_eq(tp_counter_rewind(&x->r.uni, &err), 0);
    cr_assert_eq(tp_counter_rewind(&y->r.uni, &err), 0);
    for (size_t d = 0; d < x->r.n_docs; d++) {
        cr_expect_str_eq(x->r.docs[d].id, y->r.docs[d].id);
        cr_expect_eq(x->r.docs[d].n_tokens, y->r.docs[d].n_tokens);
        const uint32_t *ix, *iy;
        const uint64_t *cx, *cy;
        size_t nx, ny;
        cr_assert_eq(tp_counter_next(&x->r.uni, &ix, &cx, &nx, &err), 0);
        uint64_t sumx = 0;
        for (size_t j = 0; j < nx; j++)
            sumx += cx[j];
        char first[64];
        snprintf(first, sizeof(first), "%s", nx ? x->r.terms.terms[ix[0]].bytes : "");
        cr_assert_eq(tp_counter_next(&y->r.uni, &iy, &cy, &ny, &err), 0);
        uint64_t sumy = 0;
        for (size_t j = 0; j < ny; j++)
            sumy += cy[j];
        cr_expect_eq(nx, ny);
        cr_expect_eq(sumx, sumy);
        if (nx)
            cr_expect_str_eq(first, y->r.terms.terms[iy[0]].bytes);
    }
    /* every (term, count) of every list, read by blocks as the threads of
     * the tfidf report read them */
    struct tp_spill_reader rx = {0}, ry = {0};
    /* blocks of two documents, then all of them in one block */
    size_t starts[64], n_blocks = 0;
    for (size_t d0 = 0; d0 < x->r.n_docs && n_blocks < 63; d0 += 2)
        starts[n_blocks++] = d0;
    starts[n_blocks++] = SIZE_MAX;
    for (size_t b = 0; b < n_blocks; b++) {
        size_t d0 = starts[b] == SIZE_MAX ? 0 : starts[b];
        size_t d1 = starts[b] == SIZE_MAX  ? x->r.n_docs
                    : d0 + 2 < x->r.n_docs ? d0 + 2
                                           : x->r.n_docs;
        cr_assert_eq(tp_spill_load(&x->r.uni, d0, d1, &rx, &err), 0, "%s", err.msg);
        cr_assert_eq(tp_spill_load(&y->r.uni, d0, d1, &ry, &err), 0, "%s", err.msg);
        for (size_t d = d0; d < d1; d++) {
            cr_assert_eq(tp_spill_next(&rx, &err), 0, "%s", err.msg);
            cr_assert_eq(tp_spill_next(&ry, &err), 0, "%s", err.msg);
            cr_assert_eq(rx.n, ry.n, "document %zu", d);
            for (size_t j = 0; j < rx.n; j++) {
                cr_expect_str_eq(x->r.terms.terms[rx.ids[j]].bytes,
                                 y->r.terms.terms[ry.ids[j]].bytes, "document %zu entry %zu", d, j);
                cr_expect_eq(rx.counts[j], ry.counts[j], "document %zu entry %zu", d, j);
            }
        }
    }
    tp_spill_reader_release(&rx);
    tp_spill_reader_release(&ry);
}

Test(counts, merge_equals_counting_everything)
{
    static const char *docs[][2] = {
        {"d1", "la casa | la casa bianca"}, {"d2", "una casa nuova"}, {"d3", ""},
        {"d4", "bianca la neve la casa"},   {"d5", "nuova neve"},
    };
    struct tp_corpus all, a, b;
    struct tp_error err;
    init(&all, 1, 1, 2);
    init(&a, 1, 1, 2);
    init(&b, 1, 1, 2);
    for (int i = 0; i < 5; i++)
        doc(&all, docs[i][0], docs[i][1]);
    for (int i = 0; i < 2; i++)
        doc(&a, docs[i][0], docs[i][1]);
    for (int i = 2; i < 5; i++)
        doc(&b, docs[i][0], docs[i][1]);
    cr_assert_eq(tp_corpus_merge(&a, &b, &err), 0, "%s", err.msg);
    expect_same(&all, &a);
    cr_expect_eq(pair(&a, "la", "casa"), pair(&all, "la", "casa"));
    cr_expect_eq(pair(&a, "la", "casa"), 3);
    cr_expect_eq(pair(&a, "neve", "la"), 1);
    uint64_t n1[TP_HEAPS_MAX], v1[TP_HEAPS_MAX], n2[TP_HEAPS_MAX], v2[TP_HEAPS_MAX];
    size_t k1 = 0, k2 = 0;
    cr_assert_eq(tp_counts_heaps(&all.r, n1, v1, &k1), 0);
    cr_assert_eq(tp_counts_heaps(&a.r, n2, v2, &k2), 0);
    cr_assert_eq(k1, k2);
    for (size_t i = 0; i < k1; i++)
        cr_expect_eq(v1[i], v2[i]);
    tp_corpus_release(&all);
    tp_corpus_release(&a);
    tp_corpus_release(&b);
}

/* Merged spills are read where they were written, through id maps: a merge
 * into a corpus that was itself merged into, documents counted after a merge
 * (back in the first corpus's own file) and a block read across all of them
 * give the lists one corpus counting everything gives. */
Test(counts, merged_spills_read_in_order)
{
    static const char *docs[][2] = {
        {"d1", "la casa bianca"},
        {"d2", "neve"},
        {"d3", "una casa nuova la neve"},
        {"d4", "zeta"},
        {"d5", "bianca zeta"},
        {"d6", "casa casa casa"},
        {"d7", ""},
        {"d8", "nuova alba"},
    };
    struct tp_corpus all, a, b, c;
    struct tp_error err;
    init(&all, 1, 1, 1);
    init(&a, 1, 1, 1);
    init(&b, 1, 1, 1);
    init(&c, 1, 1, 1);
    for (int i = 0; i < 8; i++)
        doc(&all, docs[i][0], docs[i][1]);
    doc(&a, docs[0][0], docs[0][1]);
    doc(&b, docs[1][0], docs[1][1]);
    doc(&c, docs[2][0], docs[2][1]);
    doc(&c, docs[3][0], docs[3][1]);
    /* c into b, then b (with c's file) into a */
    cr_assert_eq(tp_corpus_merge(&b, &c, &err), 0, "%s", err.msg);
    doc(&b, docs[4][0], docs[4][1]);
    cr_assert_eq(tp_corpus_merge(&a, &b, &err), 0, "%s", err.msg);
    for (int i = 5; i < 8; i++)
        doc(&a, docs[i][0], docs[i][1]);
    cr_expect_eq(a.r.uni.n_files, 3);
    expect_same(&all, &a);
    tp_corpus_release(&all);
    tp_corpus_release(&a);
    tp_corpus_release(&b);
    tp_corpus_release(&c);
}

/* Batches (tp_corpus_tokens16, the path the tokenizer feeds) count exactly
 * what token-by-token calls count: random documents of random words, some of
 * them stopwords, in random segments, with pairs in windows of 1 and 3, with
 * n-grams and with counts alone. The token-by-token path is the reference. */
static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static void random_docs(struct tp_corpus *c, uint64_t seed, int batched, int many)
{
    static const char *words[] = {"la",    "casa", "di",    "neve",  "bianca", "il",  "mare",
                                  "e",     "una",  "luce",  "nuova", "sole",   "che", "alba",
                                  "vento", "del",  "fiume", "a",     "notte",  "voce"};
    struct tp_error err;
    struct tp_date date = {0, 0, 0, TP_PREC_NONE};
    uint64_t s = seed, cuts = seed * 7919; /* words, and where batches end */
    for (int d = 0; d < 30; d++) {
        char id[16];
        snprintf(id, sizeof(id), "d%d", d);
        cr_assert_eq(tp_corpus_begin(c, id, &date, 0), 0);
        size_t n = lcg(&s) % 300;
        uint32_t seg = 0;
        char tok[TP_CORPUS_BATCH * 16];
        uint8_t len[TP_CORPUS_BATCH];
        uint32_t segs[TP_CORPUS_BATCH];
        size_t k = 0;
        if (many)
            n = 4000; /* 120,000 tokens of up to 90,000 words: a table past 2^16 slots */
        for (size_t i = 0; i < n; i++) {
            if (lcg(&s) % 5 == 0)
                seg++;
            char num[16];
            const char *w = words[lcg(&s) % (sizeof(words) / sizeof(words[0]))];
            if (many) {
                snprintf(num, sizeof(num), "w%u", (unsigned)(lcg(&s) % 90000));
                w = num;
            }
            if (!batched) {
                cr_assert_eq(tp_corpus_token(c, w, strlen(w), seg), 0);
                continue;
            }
            memset(tok + 16 * k, 0, 16);
            memcpy(tok + 16 * k, w, strlen(w));
            len[k] = (uint8_t)strlen(w);
            segs[k] = seg;
            /* batches of every size from 1 to the most */
            if (++k == TP_CORPUS_BATCH || lcg(&cuts) % 9 == 0) {
                cr_assert_eq(tp_corpus_tokens16(c, tok, len, segs, k), 0);
                k = 0;
            }
        }
        if (k)
            cr_assert_eq(tp_corpus_tokens16(c, tok, len, segs, k), 0);
        cr_assert_eq(tp_corpus_end(c, &err), 0, "%s", err.msg);
    }
}

static uint64_t pair_by_words(const struct tp_corpus *c, const char *a, const char *b)
{
    int64_t x = tp_table_find(&c->r.terms, a, strlen(a)),
            y = tp_table_find(&c->r.terms, b, strlen(b));
    if (x < 0 || y < 0)
        return 0;
    uint64_t key = tp_pair_key((uint32_t)x, (uint32_t)y);
    for (size_t p = 0; p <= c->r.pairs.mask; p++)
        if (c->r.pairs.slots[p].key == key)
            return c->r.pairs.slots[p].count;
    return 0;
}

Test(counts, batches_count_what_single_tokens_count)
{
    struct tp_table stop;
    cr_assert_eq(tp_table_init(&stop), 0);
    const char *sw[] = {"la", "di", "il", "e", "una", "che", "del", "a"};
    for (size_t i = 0; i < sizeof(sw) / sizeof(sw[0]); i++)
        cr_assert(tp_table_intern(&stop, sw[i], strlen(sw[i]), NULL) >= 0);
    /* adjacent pairs, a window, n-grams, counts alone; the last two also
     * with a vocabulary whose table is past 2^16 slots (probed after its
     * slots are fetched, not as each token is hashed) */
    const unsigned windows[] = {1, 3, 0, 0, 1, 0};
    const unsigned ngrams[] = {1, 1, 3, 1, 1, 1};
    const int many[] = {0, 0, 0, 0, 1, 1};
    for (int m = 0; m < 6; m++) {
        for (uint64_t seed = 1; seed <= (many[m] ? 1 : 4); seed++) {
            struct tp_corpus one, bat;
            struct tp_error err;
            struct tp_count_opts o = {
                .spill = 1, .ngram = ngrams[m], .window = windows[m], .stop = &stop};
            cr_assert_eq(tp_corpus_init(&one, &o, &err), 0);
            cr_assert_eq(tp_corpus_init(&bat, &o, &err), 0);
            random_docs(&one, seed, 0, many[m]);
            random_docs(&bat, seed, 1, many[m]);
            if (many[m])
                cr_expect_gt(bat.r.terms.mask, 1u << 16);
            expect_same(&one, &bat);
            if (windows[m]) {
                uint64_t total = 0;
                size_t checked = 0;
                for (size_t p = 0; p <= one.r.pairs.mask && checked < 2000; p++) {
                    const struct tp_pair_slot *sl = &one.r.pairs.slots[p];
                    if (!sl->key)
                        continue;
                    checked++;
                    const char *a = one.r.terms.terms[tp_pair_w1(sl->key)].bytes;
                    const char *b = one.r.terms.terms[tp_pair_w2(sl->key)].bytes;
                    cr_expect_eq(pair_by_words(&bat, a, b), sl->count, "%s %s, mode %d", a, b, m);
                    total += sl->count;
                }
                cr_expect_gt(total, 0);
            }
            if (ngrams[m] > 1)
                cr_expect_eq(one.r.ngrams.n_items, bat.r.ngrams.n_items);
            tp_corpus_release(&one);
            tp_corpus_release(&bat);
        }
    }
    tp_table_release(&stop);
}

/* A document taken back (tp_corpus_undo_begin, the same tokens again,
 * tp_corpus_undo_end) leaves the counts of a corpus that never saw it: its
 * terms unseen again, its pairs out of the table. The document counted after
 * it, through batches, sees "bianca" for the first time (Heaps' first
 * occurrences compared). */
static void batch_doc(struct tp_corpus *c, const char *id, const char *const *w, size_t n,
                      int open_only)
{
    struct tp_date date = {0, 0, 0, TP_PREC_NONE};
    struct tp_error err;
    char tok[TP_CORPUS_BATCH * 16];
    uint8_t len[TP_CORPUS_BATCH];
    uint32_t segs[TP_CORPUS_BATCH];
    if (id)
        cr_assert_eq(tp_corpus_begin(c, id, &date, 0), 0);
    memset(tok, 0, sizeof(tok));
    for (size_t i = 0; i < n; i++) {
        memcpy(tok + 16 * i, w[i], strlen(w[i]));
        len[i] = (uint8_t)strlen(w[i]);
        segs[i] = i >= 3; /* a break after the third word */
    }
    cr_assert_eq(tp_corpus_tokens16(c, tok, len, segs, n), 0);
    if (!open_only)
        cr_assert_eq(tp_corpus_end(c, &err), 0, "%s", err.msg);
}

Test(counts, a_document_taken_back_leaves_nothing)
{
    static const char *const gone[] = {"casa", "bianca", "neve", "casa", "bianca", "zeta"};
    static const char *const kept[] = {"neve", "zeta", "alba", "casa", "neve", "zeta"};
    static const char *const next[] = {"zeta", "bianca", "casa", "neve", "zeta"};
    for (unsigned window = 0; window <= 1; window++) {
        struct tp_corpus a, b;
        init(&a, 1, 1, window);
        init(&b, 1, 1, window);
        batch_doc(&a, "first", kept, 6, 0);
        batch_doc(&b, "first", kept, 6, 0);
        /* b: a document counted, taken back, then the one that replaces it */
        batch_doc(&b, "gone", gone, 6, 1);
        cr_assert_eq(tp_corpus_undo_begin(&b), 0);
        batch_doc(&b, NULL, gone, 6, 1);
        cr_assert_eq(tp_corpus_undo_end(&b), 0);
        cr_expect_gt(b.r.n_unseen, 0, "bianca is in the table but not in the text");
        batch_doc(&a, "second", next, 5, 0);
        batch_doc(&b, "second", next, 5, 0);
        expect_same(&a, &b);
        if (window) {
            cr_expect_eq(pair_by_words(&b, "casa", "bianca"), 0);
            cr_expect_eq(pair_by_words(&b, "neve", "zeta"), pair_by_words(&a, "neve", "zeta"));
            cr_expect_eq(pair_by_words(&b, "neve", "zeta"), 3);
        }
        tp_corpus_release(&a);
        tp_corpus_release(&b);
    }
}

/* The same take-back in a corpus that mixes languages (o.stop_lang): the
 * taken-back English document was the first to count "the" and "a" as their
 * stopword twins and "il" (Italian only) as itself; after it is gone the
 * next documents must see each of them for the first time again, in an
 * English and an Italian document, through batches and one token at a
 * time. */
static void lang_doc(struct tp_corpus *c, const char *id, enum tp_lang lang, const char *const *w,
                     size_t n, int by_token)
{
    struct tp_error err;
    struct tp_date date = {0, 0, 0, TP_PREC_NONE};
    cr_assert_eq(tp_corpus_begin(c, id, &date, 0), 0);
    tp_corpus_set_lang(c, lang);
    if (by_token) {
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(tp_corpus_token(c, w[i], strlen(w[i]), 0), 0);
    } else {
        batch_doc(c, NULL, w, n, 1);
    }
    cr_assert_eq(tp_corpus_end(c, &err), 0, "%s", err.msg);
}

Test(counts, a_document_taken_back_in_a_corpus_of_languages)
{
    struct tp_table stop;
    cr_assert_eq(tp_table_init(&stop), 0);
    static const struct {
        const char *w;
        unsigned f;
    } lists[] = {{"the", 1u << TP_LANG_EN},
                 {"il", 1u << TP_LANG_IT | 1u << TP_LANG_AUTO},
                 {"a", 1u << TP_LANG_EN | 1u << TP_LANG_IT | 1u << TP_LANG_AUTO}};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        int64_t k = tp_table_intern(&stop, lists[i].w, strlen(lists[i].w), NULL);
        cr_assert(k >= 0);
        stop.terms[k].flags = lists[i].f;
    }
    static const char *const first[] = {"casa", "neve", "alba"};
    static const char *const gone[] = {"the", "a", "il", "the", "a", "casa"};
    static const char *const en[] = {"a", "neve", "the", "il", "the"};
    static const char *const it[] = {"il", "the", "a", "casa", "il"};
    for (int by_token = 0; by_token <= 1; by_token++) {
        struct tp_corpus a, b;
        struct tp_error err;
        struct tp_count_opts o = {
            .spill = 1, .ngram = 1, .stop_lang = &stop, .doc_lang = TP_LANG_AUTO};
        cr_assert_eq(tp_corpus_init(&a, &o, &err), 0);
        cr_assert_eq(tp_corpus_init(&b, &o, &err), 0);
        lang_doc(&a, "first", TP_LANG_IT, first, 3, by_token);
        lang_doc(&b, "first", TP_LANG_IT, first, 3, by_token);
        /* b: an English document counted, then taken back (the same way
         * as the documents around it) */
        struct tp_date date = {0, 0, 0, TP_PREC_NONE};
        cr_assert_eq(tp_corpus_begin(&b, "gone", &date, 0), 0);
        tp_corpus_set_lang(&b, TP_LANG_EN);
        for (int pass = 0; pass < 2; pass++) {
            if (pass)
                cr_assert_eq(tp_corpus_undo_begin(&b), 0);
            if (by_token) {
                for (size_t i = 0; i < 6; i++)
                    cr_assert_eq(tp_corpus_token(&b, gone[i], strlen(gone[i]), 0), 0);
            } else {
                batch_doc(&b, NULL, gone, 6, 1);
            }
        }
        cr_assert_eq(tp_corpus_undo_end(&b), 0);
        for (int k = 0; k < 2; k++) {
            lang_doc(&a, "en", TP_LANG_EN, en, 5, by_token);
            lang_doc(&b, "en", TP_LANG_EN, en, 5, by_token);
            lang_doc(&a, "it", TP_LANG_IT, it, 5, by_token);
            lang_doc(&b, "it", TP_LANG_IT, it, 5, by_token);
        }
        expect_same(&a, &b);
        /* "the" counts as its twin in English documents, as itself in
         * Italian ones; "a" is on both lists: a twin in both */
        int64_t the = tp_table_find(&a.r.terms, "the", 3);
        int64_t the_twin = tp_table_find(&a.r.terms, "the\xff", 4);
        int64_t a_twin = tp_table_find(&a.r.terms, "a\xff", 2);
        cr_assert(the >= 0 && the_twin >= 0 && a_twin >= 0);
        cr_expect_eq(a.r.uni.total[the], 2);
        cr_expect_eq(a.r.uni.total[the_twin], 4);
        cr_expect_eq(a.r.uni.total[a_twin], 4);
        tp_corpus_release(&a);
        tp_corpus_release(&b);
    }
    tp_table_release(&stop);
}

/* The language maps doc_ids reads (lmap) stay what smask and twin say over
 * 2,600 terms (the arrays by term grown while maps exist), documents of four
 * languages (the corpus's lists among them) in turn, words on lists, on none
 * and twice in a batch, and a take-back before the last language's first
 * document; the counts are those of a corpus that never saw that document. */
static void expect_maps_follow(const struct tp_corpus *c)
{
    for (unsigned l = 0; l <= TP_LANG_NONE; l++) {
        if (!c->lmap[l])
            continue;
        for (size_t id = 0; id < c->r.terms.n; id++) {
            unsigned sm = c->smask[id];
            uint32_t want = (uint32_t)id;
            if (sm & (1u << l))
                want = c->twin[id] ? c->twin[id] - 1 : TP_LMAP_LATE;
            else if (sm && !(sm & TP_SPLIT_SEEN))
                want = TP_LMAP_LATE;
            cr_expect_eq(c->lmap[l][id], want, "language %u, term %s", l,
                         c->r.terms.terms[id].bytes);
        }
    }
}

Test(counts, language_maps_follow_lists_and_twins)
{
    struct tp_table stop;
    cr_assert_eq(tp_table_init(&stop), 0);
    static const unsigned kinds[] = {1u << TP_LANG_EN, 1u << TP_LANG_IT | 1u << TP_LANG_AUTO,
                                     1u << TP_LANG_EN | 1u << TP_LANG_IT,
                                     1u << TP_LANG_FR | 1u << TP_LANG_AUTO};
    char w[32];
    for (unsigned i = 0; i < 40; i++) {
        snprintf(w, sizeof(w), "s%u", i);
        int64_t k = tp_table_intern(&stop, w, strlen(w), NULL);
        cr_assert(k >= 0);
        stop.terms[k].flags = kinds[i % 4];
    }
    struct tp_corpus a, b;
    struct tp_error err;
    struct tp_count_opts o = {.spill = 1, .ngram = 1, .stop_lang = &stop, .doc_lang = TP_LANG_AUTO};
    cr_assert_eq(tp_corpus_init(&a, &o, &err), 0);
    cr_assert_eq(tp_corpus_init(&b, &o, &err), 0);
    static const enum tp_lang langs[] = {TP_LANG_EN, TP_LANG_IT, TP_LANG_AUTO, TP_LANG_FR};
    char names[TP_CORPUS_BATCH][16];
    const char *toks[TP_CORPUS_BATCH];
    for (unsigned d = 0; d < 80; d++) {
        /* 64 tokens: new words, listed words, and a listed word twice */
        for (unsigned i = 0; i < TP_CORPUS_BATCH; i++) {
            if (i % 4 == 0)
                snprintf(names[i], sizeof(names[i]), "s%u", (d * 7 + i) % 40);
            else if (i % 4 == 2)
                snprintf(names[i], sizeof(names[i]), "s%u", (d + i) % 40);
            else
                snprintf(names[i], sizeof(names[i]), "x%u", d * TP_CORPUS_BATCH + i);
            toks[i] = names[i];
        }
        /* the last language's first document is taken back in b, first */
        enum tp_lang lang = d < 60 ? langs[d % 3] : langs[d % 4];
        if (d == 63) {
            struct tp_date date = {0, 0, 0, TP_PREC_NONE};
            cr_assert_eq(tp_corpus_begin(&b, "gone", &date, 0), 0);
            tp_corpus_set_lang(&b, TP_LANG_FR);
            batch_doc(&b, NULL, toks, TP_CORPUS_BATCH, 1);
            cr_assert_eq(tp_corpus_undo_begin(&b), 0);
            batch_doc(&b, NULL, toks, TP_CORPUS_BATCH, 1);
            cr_assert_eq(tp_corpus_undo_end(&b), 0);
            expect_maps_follow(&b);
        }
        lang_doc(&a, "d", lang, toks, TP_CORPUS_BATCH, d % 2);
        lang_doc(&b, "d", lang, toks, TP_CORPUS_BATCH, d % 2);
        expect_maps_follow(&a);
        expect_maps_follow(&b);
    }
    cr_expect_gt(a.r.terms.n, 2048, "the arrays by term grew while maps existed");
    cr_expect(a.lmap[TP_LANG_FR] && a.lmap[TP_LANG_AUTO] && !a.lmap[TP_LANG_DE]);
    expect_same(&a, &b);
    tp_corpus_release(&a);
    tp_corpus_release(&b);
    tp_table_release(&stop);
}

/* Documents that alternate between two dates make a cell each; past 65,536
 * cells they are summed by (date, term), so the array stays small and the
 * sums are the same. */
Test(counts, listed_terms_cells_summed)
{
    struct tp_corpus c;
    struct tp_error err;
    init(&c, 0, 1, 0);
    const char *t[] = {"a"};
    size_t l[] = {1};
    cr_assert_eq(tp_corpus_add_match(&c, t, l, 1), 0);
    struct tp_date d[2] = {{2020, 1, 0, TP_PREC_MONTH}, {2020, 2, 0, TP_PREC_MONTH}};
    for (int i = 0; i < 200000; i++) {
        cr_assert_eq(tp_corpus_begin(&c, "d", &d[i % 2], 0), 0);
        cr_assert_eq(tp_corpus_token(&c, "a", 1, 0), 0);
        if (i % 3 == 0)
            cr_assert_eq(tp_corpus_token(&c, "a", 1, 0), 0);
        cr_assert_eq(tp_corpus_end(&c, &err), 0);
    }
    cr_assert_eq(tp_corpus_match_settle(&c), 0);
    cr_expect_leq(c.r.n_cells, 70000);
    uint64_t count[2] = {0}, docs[2] = {0};
    for (size_t i = 0; i < c.r.n_cells; i++) {
        struct tp_date dt = tp_match_cell_date(&c.r.cells[i]);
        cr_assert(dt.month == 1 || dt.month == 2);
        count[dt.month - 1] += c.r.cells[i].count;
        docs[dt.month - 1] += c.r.cells[i].docs;
    }
    /* month 1: the 100,000 even i, of which i % 3 == 0 for 33,334 */
    cr_expect_eq(docs[0], 100000);
    cr_expect_eq(count[0], 133334);
    cr_expect_eq(docs[1], 100000);
    cr_expect_eq(count[1], 133333);
    tp_corpus_release(&c);
}

/* The public way in: tp_corpus_new / tp_corpus_counts / tp_corpus_free, and
 * the spill iterator a report walks, which gives every document once, in
 * order, then 0. */
Test(counts, public_corpus_and_spill_iterator)
{
    struct tp_corpus *c;
    struct tp_error err;
    struct tp_count_opts o = {.spill = 1, .ngram = 1};
    cr_assert_eq(tp_corpus_new(&c, &o, &err), 0);
    cr_expect(tp_corpus_empty(c));
    doc(c, "d1", "x y x");
    doc(c, "d2", "");
    doc(c, "d3", "y");
    cr_expect_not(tp_corpus_empty(c));
    cr_expect_not(tp_corpus_in_doc(c));
    struct tp_counts *k = tp_corpus_counts(c);
    cr_expect_eq(k->n_docs, 3);
    cr_expect_eq(k->n_tokens, 4);
    /* documents: 2 distinct terms (x twice), none, 1 */
    const size_t want_n[3] = {2, 0, 1};
    const uint64_t want_sum[3] = {3, 0, 1};
    struct tp_spill_iter it;
    int rc;
    for (int pass = 0; pass < 2; pass++) { /* and again: the walk rewinds */
        size_t seen = 0;
        cr_assert_eq(tp_spill_iter_init(&it, &k->uni, k->n_docs, &err), 0);
        while ((rc = tp_spill_iter_next(&it, &err)) > 0) {
            cr_assert_eq(it.doc, seen);
            cr_expect_eq(it.n, want_n[seen]);
            uint64_t sum = 0;
            for (size_t j = 0; j < it.n; j++)
                sum += it.counts[j];
            cr_expect_eq(sum, want_sum[seen]);
            seen++;
        }
        cr_expect_eq(rc, 0);
        cr_expect_eq(seen, 3);
        cr_expect_eq(tp_spill_iter_next(&it, &err), 0, "past the end stays at the end");
    }
    tp_corpus_free(c);
    tp_corpus_free(NULL);
    cr_expect_eq(tp_corpus_counts_const(NULL)->n_docs, 0);
}

/* The word limit of n-grams and listed terms (TP_KEY_MAX) and the pair
 * window's (TP_WINDOW_MAX) are the library's: more is refused with
 * TP_EUSAGE, not left to the command line. */
Test(counts, key_limit_checked_in_the_library)
{
    struct tp_corpus *c = NULL;
    struct tp_error err;
    struct tp_count_opts big = {.ngram = TP_KEY_MAX + 1};
    cr_expect_eq(tp_corpus_new(&c, &big, &err), TP_EUSAGE);
    cr_expect_null(c);
    struct tp_count_opts wide = {.ngram = 1, .window = TP_WINDOW_MAX + 1};
    cr_expect_eq(tp_corpus_new(&c, &wide, &err), TP_EUSAGE);
    cr_expect_null(c);
    struct tp_count_opts o = {.ngram = 1};
    cr_assert_eq(tp_corpus_new(&c, &o, &err), 0);
    const char *toks[TP_KEY_MAX + 1];
    size_t lens[TP_KEY_MAX + 1];
    for (unsigned i = 0; i <= TP_KEY_MAX; i++) {
        toks[i] = "w";
        lens[i] = 1;
    }
    cr_expect_eq(tp_corpus_add_match(c, toks, lens, TP_KEY_MAX + 1), TP_EUSAGE);
    cr_expect_eq(tp_corpus_add_match(c, toks, lens, 0), TP_EUSAGE);
    cr_expect_eq(tp_corpus_add_match(c, toks, lens, TP_KEY_MAX), 0);
    cr_expect_eq(tp_corpus_counts(c)->n_match, 1);
    tp_corpus_free(c);
}
