/*
 * test_table.c - the intern tables and the arena: ids are dense, stable and
 * first-seen ordered; lookups find exactly the bytes interned, whatever their
 * length, across many table growths.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "table.h"
#include "tempora.h"

Test(table, ids_are_dense_and_stable)
{
    struct tp_table t;
    cr_assert_eq(tp_table_init(&t), 0);
    int added;
    cr_expect_eq(tp_table_intern(&t, "alpha", 5, &added), 0);
    cr_expect_eq(added, 1);
    cr_expect_eq(tp_table_intern(&t, "beta", 4, &added), 1);
    cr_expect_eq(tp_table_intern(&t, "alpha", 5, &added), 0);
    cr_expect_eq(added, 0);
    cr_expect_eq(tp_table_find(&t, "beta", 4), 1);
    cr_expect_eq(tp_table_find(&t, "gamma", 5), -1);
    cr_expect_str_eq(t.terms[1].bytes, "beta");
    tp_table_release(&t);
}

Test(table, prefixes_and_padding_are_distinct_keys)
{
    /* keys that agree on their first 8 bytes, or differ only in length */
    const char *keys[] = {"",
                          "a",
                          "ab",
                          "abc",
                          "abcd",
                          "abcdefgh",
                          "abcdefghi",
                          "abcdefghj",
                          "abcdefgh1234567890",
                          "abcdefgh1234567891",
                          "a\0b"};
    size_t lens[] = {0, 1, 2, 3, 4, 8, 9, 9, 18, 18, 3};
    struct tp_table t;
    cr_assert_eq(tp_table_init(&t), 0);
    for (size_t i = 0; i < 11; i++)
        cr_expect_eq(tp_table_intern(&t, keys[i], lens[i], NULL), (int64_t)i);
    for (size_t i = 0; i < 11; i++)
        cr_expect_eq(tp_table_find(&t, keys[i], lens[i]), (int64_t)i);
    cr_expect_eq(tp_table_find(&t, "a\0c", 3), -1);
    tp_table_release(&t);
}

Test(table, survives_growth)
{
    struct tp_table t;
    char buf[32];
    cr_assert_eq(tp_table_init(&t), 0);
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(buf, sizeof(buf), "w%d", i * 7919);
        cr_assert_eq(tp_table_intern(&t, buf, (size_t)n, NULL), i);
    }
    cr_expect_eq(t.n, 200000);
    for (int i = 0; i < 200000; i += 997) {
        int n = snprintf(buf, sizeof(buf), "w%d", i * 7919);
        cr_expect_eq(tp_table_find(&t, buf, (size_t)n), i);
    }
    tp_table_release(&t);
}

Test(table, tuples)
{
    struct tp_tuples t;
    cr_assert_eq(tp_tuples_init(&t, 3), 0);
    uint32_t a[3] = {1, 2, 3}, b[3] = {3, 2, 1}, c[3] = {1, 2, 3};
    cr_expect_eq(tp_tuples_intern(&t, a), 0);
    cr_expect_eq(tp_tuples_intern(&t, b), 1);
    cr_expect_eq(tp_tuples_intern(&t, c), 0);
    for (uint32_t i = 0; i < 50000; i++) {
        uint32_t k[3] = {i, i * 2, i * 3 + 7};
        cr_assert_eq(tp_tuples_intern(&t, k), (int64_t)i + 2);
    }
    cr_expect_eq(tp_tuples_key(&t, 1)[0], 3);
    cr_expect_eq(tp_tuples_key(&t, 49999 + 2)[2], 49999u * 3 + 7);
    tp_tuples_release(&t);
}

Test(arena, allocations_are_aligned_and_kept)
{
    struct tp_arena a = TP_ARENA_INIT;
    char *p[1000];
    for (int i = 0; i < 1000; i++) {
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d", i);
        p[i] = tp_arena_strndup(&a, buf, (size_t)n);
        cr_assert(p[i]);
        cr_expect_eq((uintptr_t)p[i] % 8, 0);
    }
    void *big = tp_arena_alloc(&a, 3u << 20);
    cr_assert(big);
    memset(big, 1, 3u << 20);
    for (int i = 0; i < 1000; i += 111) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%d", i);
        cr_expect_str_eq(p[i], buf);
    }
    tp_arena_release(&a);
}

Test(arena, chunks_grow_and_every_request_is_served)
{
    /* an empty request on an empty arena is a pointer, not "out of memory";
     * requests of every size, across chunks of 4 KiB up to 1 MiB and a
     * chunk of its own for a large one, keep what was written in them */
    struct tp_arena a = TP_ARENA_INIT;
    cr_assert(tp_arena_alloc(&a, 0) != NULL);
    enum { N = 3000 };
    unsigned char *p[N];
    size_t len[N];
    for (int i = 0; i < N; i++) {
        len[i] = i % 500 == 499 ? (size_t)300000 + (size_t)i : (size_t)(i * 37 % 1500);
        p[i] = tp_arena_alloc(&a, len[i]);
        cr_assert(p[i], "allocation %d of %zu bytes", i, len[i]);
        cr_expect_eq((uintptr_t)p[i] % 8, 0);
        memset(p[i], i & 0xFF, len[i]);
    }
    for (int i = 0; i < N; i++)
        for (size_t j = 0; j < len[i]; j += 97)
            cr_assert_eq(p[i][j], (unsigned char)(i & 0xFF), "allocation %d byte %zu", i, j);
    cr_expect_null(tp_arena_alloc(&a, SIZE_MAX - 3));
    tp_arena_release(&a);
}

/* Key number k of the sequence below: 1 to 40 bytes, so both the word path
 * (at most 16 bytes) and the loop of tp_hash_bytes are used. */
static size_t seq_key(unsigned k, char *buf)
{
    size_t len = 1 + k % 40;
    for (size_t j = 0; j < len; j++)
        buf[j] = (char)('a' + (k * 7u + j * 13u + (k >> (j % 8))) % 26);
    snprintf(buf + len, 12, "%u", k); /* distinct keys for distinct k */
    return strlen(buf);
}

enum { SEQ_N = 60000, SEQ_KEYS = 20000 };

/* Intern the same sequence (keys repeated in a scrambled order) under a key
 * drawn from seed: ids[i] the id of the i-th key, tup[i] the id of the pair
 * (id of key i, id of key i+1), cnt[i] the count of that word pair. */
static void intern_seq(uint64_t seed, int64_t *ids, int64_t *tup, uint64_t *cnt)
{
    tp_hash_seed(seed);
    struct tp_table t;
    struct tp_tuples tu;
    struct tp_pairs p;
    cr_assert_eq(tp_table_init(&t), 0);
    cr_assert_eq(tp_tuples_init(&tu, 2), 0);
    cr_assert_eq(tp_pairs_init(&p), 0);
    char buf[64];
    for (unsigned i = 0; i < SEQ_N; i++) {
        unsigned k = (i * 2654435761u) % SEQ_KEYS;
        size_t len = seq_key(k, buf);
        int added;
        ids[i] = tp_table_intern(&t, buf, len, &added);
        cr_assert_geq(ids[i], 0);
    }
    for (unsigned i = 0; i + 1 < SEQ_N; i++) {
        uint32_t key[2] = {(uint32_t)ids[i], (uint32_t)ids[i + 1]};
        tup[i] = tp_tuples_intern(&tu, key);
        cr_assert_eq(tp_pairs_add(&p, key[0], key[1], 1), 0);
    }
    for (unsigned i = 0; i + 1 < SEQ_N; i++) {
        uint64_t want = tp_pair_key((uint32_t)ids[i], (uint32_t)ids[i + 1]);
        cnt[i] = 0;
        for (size_t s = 0; s <= p.mask; s++)
            if (p.slots[s].key == want)
                cnt[i] = p.slots[s].count;
        if (i > 200) /* the full scan is slow: the first pairs are enough */
            break;
    }
    tp_pairs_release(&p);
    tp_tuples_release(&tu);
    tp_table_release(&t);
}

Test(table, ids_do_not_depend_on_the_hash_key)
{
    static int64_t ids_a[SEQ_N], ids_b[SEQ_N], tup_a[SEQ_N], tup_b[SEQ_N];
    static uint64_t cnt_a[SEQ_N], cnt_b[SEQ_N];

    /* the two keys do hash differently */
    tp_hash_seed(1);
    uint64_t h1 = tp_hash_bytes("alpha", 5),
             l1 = tp_hash_bytes("a long key of 33 bytes, say this", 32);
    tp_hash_seed(2);
    cr_expect_neq(tp_hash_bytes("alpha", 5), h1);
    cr_expect_neq(tp_hash_bytes("a long key of 33 bytes, say this", 32), l1);
    tp_hash_seed(1);
    cr_expect_eq(tp_hash_bytes("alpha", 5), h1, "the same seed, the same hash");

    intern_seq(1, ids_a, tup_a, cnt_a);
    intern_seq(0x9E3779B97F4A7C15ull, ids_b, tup_b, cnt_b);

    /* ids are first-seen order, worked out here without a hash */
    static int64_t first[SEQ_KEYS];
    for (unsigned k = 0; k < SEQ_KEYS; k++)
        first[k] = -1;
    int64_t next = 0;
    for (unsigned i = 0; i < SEQ_N; i++) {
        unsigned k = (i * 2654435761u) % SEQ_KEYS;
        if (first[k] < 0)
            first[k] = next++;
        cr_assert_eq(ids_a[i], first[k], "key %u at %u", k, i);
        cr_assert_eq(ids_b[i], first[k], "key %u at %u", k, i);
    }
    cr_expect_eq(next, SEQ_KEYS);
    for (unsigned i = 0; i + 1 < SEQ_N; i++)
        cr_assert_eq(tup_a[i], tup_b[i], "tuple %u", i);
    for (unsigned i = 0; i <= 200; i++) {
        cr_assert_geq(cnt_a[i], 1);
        cr_assert_eq(cnt_a[i], cnt_b[i], "pair %u", i);
    }
}

/* A tuple table with a cap takes no new tuple past it (TP_EDATA), and still
 * finds the ones it holds. */
Test(table, tuples_stop_at_their_cap)
{
    struct tp_tuples t;
    cr_assert_eq(tp_tuples_init(&t, 2), 0);
    t.max_items = 3;
    uint32_t k[4][2] = {{1, 2}, {2, 3}, {3, 4}, {4, 5}};
    for (int i = 0; i < 3; i++)
        cr_expect_eq(tp_tuples_intern(&t, k[i]), i);
    cr_expect_eq(tp_tuples_intern(&t, k[3]), TP_EDATA);
    cr_expect_eq(tp_tuples_intern(&t, k[1]), 1);
    cr_expect_eq(t.n_items, 3);
    tp_tuples_release(&t);
}
