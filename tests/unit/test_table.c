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
