/*
 * test_rows.c - unit tests of tp_rows_top (src/report.c): the order every
 * table's rows are written in. Key descending, then the name bytewise, a
 * shorter name before a longer one it begins.
 *
 * The reference order is this file's own comparison, written from that rule,
 * applied by qsort to a copy; tp_rows_top must give the same rows in the
 * same order for a full sort, a selection then a sort, and the short
 * insertion path of a small --top.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "report_int.h"

static int ref_cmp(const void *pa, const void *pb)
{
    const struct row *a = pa, *b = pb;
    if (a->key > b->key)
        return -1;
    if (a->key < b->key)
        return 1;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a->name[i], y = (unsigned char)b->name[i];
        if (x != y)
            return x < y ? -1 : 1;
    }
    return a->name_len < b->name_len ? -1 : a->name_len > b->name_len;
}

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* n rows with keys drawn from a few values (negative, both zeros, large)
 * and names from a small alphabet, bytes >= 0x80 among them, most sharing
 * their first 8 bytes with others. Names live in names[]. */
static void make_rows(struct row *rows, char (*names)[24], size_t n, uint64_t seed)
{
    static const double keys[] = {-3.5, -0.0, 0.0, 1, 2, 2.5, 1e300, 7};
    static const char alpha[] = {'a', 'b', (char)0xC3, (char)0xA8, 'z'};
    uint64_t s = seed | 1;
    for (size_t i = 0; i < n; i++) {
        unsigned len = (unsigned)(next(&s) % 20);
        int shared = next(&s) % 2;
        for (unsigned j = 0; j < len; j++)
            names[i][j] = shared && j < 9 ? 'a' : alpha[next(&s) % sizeof(alpha)];
        names[i][len] = '\0';
        rows[i] = (struct row){keys[next(&s) % 8], names[i], len, (uint32_t)i};
    }
}

static void check_top(size_t n, size_t k, uint64_t seed)
{
    struct row *rows = malloc(n * sizeof(*rows)), *want = malloc(n * sizeof(*want));
    char(*names)[24] = malloc(n * sizeof(*names));
    cr_assert(rows && want && names);
    make_rows(rows, names, n, seed);
    memcpy(want, rows, n * sizeof(*rows));
    qsort(want, n, sizeof(*want), ref_cmp);
    size_t m = tp_rows_top(rows, n, k);
    cr_assert_eq(m, k < n ? k : n, "n %zu k %zu: %zu rows", n, k, m);
    for (size_t i = 0; i < m; i++) {
        /* equal rows (same key and name) may come in either order */
        cr_assert_eq(ref_cmp(&rows[i], &want[i]), 0,
                     "n %zu k %zu: row %zu is %.*s (%g), not %.*s (%g)", n, k, i,
                     (int)rows[i].name_len, rows[i].name, rows[i].key, (int)want[i].name_len,
                     want[i].name, want[i].key);
    }
    /* the rows are the table's rows, each once */
    if (k >= n) {
        uint8_t *seen = calloc(n, 1);
        cr_assert(seen);
        for (size_t i = 0; i < n; i++) {
            cr_assert_lt(rows[i].id, n);
            cr_assert_eq(seen[rows[i].id]++, 0, "row %u twice", rows[i].id);
            cr_assert_eq(rows[i].name, names[rows[i].id]);
        }
        free(seen);
    }
    free(rows);
    free(want);
    free(names);
}

Test(rows, full_sort_matches_reference)
{
    size_t sizes[] = {2, 3, 7, 8, 9, 16, 17, 100, 1000, 4099};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (uint64_t seed = 1; seed <= 5; seed++)
            check_top(sizes[i], sizes[i], seed * 7919 + i);
}

Test(rows, selection_then_sort_matches_reference)
{
    for (uint64_t seed = 1; seed <= 5; seed++) {
        check_top(1000, 65, seed);
        check_top(1000, 333, seed);
        check_top(5000, 4999, seed);
    }
}

Test(rows, small_top_matches_reference)
{
    for (uint64_t seed = 1; seed <= 5; seed++) {
        check_top(500, 1, seed);
        check_top(500, 10, seed);
        check_top(500, 64, seed);
        check_top(5, 10, seed);
    }
}

Test(rows, zero_keys_are_one_key)
{
    /* -0 and +0 compare equal, so the names decide */
    struct row rows[3] = {{0.0, "b", 1, 0}, {-0.0, "a", 1, 1}, {0.0, "c", 1, 2}};
    cr_assert_eq(tp_rows_top(rows, 3, 3), 3);
    cr_assert_str_eq(rows[0].name, "a");
    cr_assert_str_eq(rows[1].name, "b");
    cr_assert_str_eq(rows[2].name, "c");
}

Test(rows, prefix_before_longer_name_and_bytes_unsigned)
{
    /* "abcdefgh" before "abcdefghi"; "é" (C3 A9) after "z" */
    struct row rows[4] = {
        {1, "abcdefghi", 9, 0}, {1, "\xC3\xA9", 2, 1}, {1, "abcdefgh", 8, 2}, {1, "z", 1, 3}};
    cr_assert_eq(tp_rows_top(rows, 4, 4), 4);
    cr_assert_str_eq(rows[0].name, "abcdefgh");
    cr_assert_str_eq(rows[1].name, "abcdefghi");
    cr_assert_str_eq(rows[2].name, "z");
    cr_assert_str_eq(rows[3].name, "\xC3\xA9");
}
