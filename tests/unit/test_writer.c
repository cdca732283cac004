/*
 * test_writer.c - CSV cells, number formatting, the --excel dialect, and
 * all-or-nothing files (temporary + rename, write errors reported).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "writer.h"

static char dir[64];

static void make_dir(void)
{
    strcpy(dir, "/tmp/tp-writer-XXXXXX");
    cr_assert(mkdtemp(dir));
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int count_entries(const char *d)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", d);
    FILE *p = popen(cmd, "r");
    int n = -1;
    cr_assert(fscanf(p, "%d", &n) == 1);
    pclose(p);
    return n;
}

Test(writer, shortest_round_trip_doubles)
{
    char buf[40];
    struct {
        double v;
        const char *want;
    } cases[] = {
        {0.1, "0.1"},       {1.0 / 3, "0.3333333333333333"},
        {1e6, "1000000"},   {-2.5, "-2.5"},
        {1e-300, "1e-300"}, {0.0, "0"},
        {-0.0, "0"},        {123456789.125, "123456789.125"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tp_format_double(cases[i].v, buf);
        cr_expect_str_eq(buf, cases[i].want);
        cr_expect_eq(strtod(buf, NULL), cases[i].v);
    }
    cr_expect_eq(tp_format_double(NAN, buf), 0);
    cr_expect_eq(tp_format_double(INFINITY, buf), 0);
}

Test(writer, quoting_only_when_needed_and_atomic_publish)
{
    make_dir();
    char path[128];
    snprintf(path, sizeof(path), "%s/t.csv", dir);
    struct tp_out *o = NULL;
    struct tp_error err;
    cr_assert_eq(tp_out_open(&o, path, 0, &err), 0);
    tp_out_header(o, "a,b,c");
    tp_out_str(o, "plain");
    tp_out_str(o, "with,comma");
    tp_out_str(o, "say \"hi\"");
    tp_out_row_end(o);
    tp_out_str(o, "two\nlines");
    tp_out_double(o, NAN);
    tp_out_u64(o, 42);
    tp_out_row_end(o);
    /* nothing visible under the final name before publishing */
    cr_expect_neq(access(path, F_OK), 0);
    cr_assert_eq(tp_out_finish(o, &err), 0);
    cr_expect_neq(access(path, F_OK), 0);
    cr_assert_eq(tp_out_publish(o, &err), 0);
    tp_out_free(o);
    cr_expect_str_eq(slurp(path),
                     "a,b,c\nplain,\"with,comma\",\"say \"\"hi\"\"\"\n\"two\nlines\",,42\n");
    cr_expect_eq(count_entries(dir), 1);
}

Test(writer, excel_dialect)
{
    make_dir();
    char path[128];
    snprintf(path, sizeof(path), "%s/x.csv", dir);
    struct tp_out *o = NULL;
    struct tp_error err;
    cr_assert_eq(tp_out_open(&o, path, TP_OUT_EXCEL, &err), 0);
    tp_out_header(o, "term,value");
    tp_out_str(o, "=SUM(A1)");
    tp_out_double(o, -1.5);
    tp_out_row_end(o);
    tp_out_str(o, "@x;y");
    tp_out_double(o, 2);
    tp_out_row_end(o);
    cr_assert_eq(tp_out_finish(o, &err), 0);
    cr_assert_eq(tp_out_publish(o, &err), 0);
    tp_out_free(o);
    /* BOM, ';', decimal comma; text cells starting = + - @ get a quote mark,
     * numbers (-1,5) do not */
    cr_expect_str_eq(slurp(path), "\xEF\xBB\xBFterm;value\n'=SUM(A1);-1,5\n\"'@x;y\";2\n");
}

Test(writer, abandoned_file_leaves_nothing_and_keeps_the_old_one)
{
    make_dir();
    char path[128];
    snprintf(path, sizeof(path), "%s/keep.csv", dir);
    FILE *f = fopen(path, "w");
    fputs("old\n", f);
    fclose(f);
    struct tp_out *o = NULL;
    struct tp_error err;
    cr_assert_eq(tp_out_open(&o, path, 0, &err), 0);
    tp_out_str(o, "new");
    tp_out_row_end(o);
    tp_out_free(o); /* never finished: as after an error */
    cr_expect_str_eq(slurp(path), "old\n");
    cr_expect_eq(count_entries(dir), 1);
}

Test(writer, write_error_is_reported)
{
    /* /dev/full accepts the open and fails the writes */
    FILE *saved = stdout;
    stdout = fopen("/dev/full", "w");
    cr_assert(stdout);
    struct tp_out *o = NULL;
    struct tp_error err;
    cr_assert_eq(tp_out_open(&o, NULL, 0, &err), 0);
    for (int i = 0; i < 10000; i++) {
        tp_out_str(o, "some text that fills the buffer");
        tp_out_row_end(o);
    }
    cr_expect_eq(tp_out_finish(o, &err), TP_EIO);
    cr_expect(strstr(err.msg, "standard output") != NULL, "%s", err.msg);
    tp_out_free(o);
    fclose(stdout);
    stdout = saved;
}

Test(writer, missing_folder_is_an_error)
{
    struct tp_out *o = NULL;
    struct tp_error err;
    cr_expect_eq(tp_out_open(&o, "/nonexistent-folder-tp/x.csv", 0, &err), TP_EIO);
    cr_expect(strstr(err.msg, "/nonexistent-folder-tp/x.csv") != NULL);
}

static void expect_like_printf(double v)
{
    char got[40], want[40];
    for (int p = 15; p <= 17; p++) {
        snprintf(want, sizeof(want), "%.*g", p, v);
        if (p == 17 || strtod(want, NULL) == v)
            break;
    }
    tp_format_double(v, got);
    cr_assert_str_eq(got, want, "v=%.17g", v);
}

/* The exact integer path (1e-5 <= |v| < 2^53) at its edges: powers of two
 * (the ulp below is half the ulp above), neighbours of decimal ties, the
 * range limits, and dense random values inside the range. */
Test(writer, fast_path_edges_match_printf)
{
    for (int e = -16; e <= 52; e++) {
        double p2 = ldexp(1, e);
        expect_like_printf(p2);
        expect_like_printf(nextafter(p2, 0));
        expect_like_printf(nextafter(p2, INFINITY));
    }
    double edges[] = {1e-5,
                      9.999999999999999e-6,
                      1.0000000000000002e-5,
                      0.1,
                      0.2,
                      0.3,
                      1.0 / 3,
                      2.0 / 3,
                      0.5,
                      1.5,
                      123456.789,
                      9007199254740991.0,
                      9007199254740993.0,
                      4503599627370495.5,
                      1e15,
                      1e16,
                      999999999999999.9,
                      0.1 + 0.2};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        expect_like_printf(edges[i]);
        expect_like_printf(-edges[i]);
        expect_like_printf(nextafter(edges[i], 0));
        expect_like_printf(nextafter(edges[i], INFINITY));
    }
    /* whole numbers (the digit path below 10^15: counts, raw tf) */
    for (int i = 1; i <= 5000; i++) {
        expect_like_printf(i);
        expect_like_printf(-i);
    }
    double wholes[] = {999999999999999.0, 100000000000000.0, 123456789012345.0, 1e15 - 2};
    for (size_t i = 0; i < sizeof(wholes) / sizeof(wholes[0]); i++) {
        expect_like_printf(wholes[i]);
        expect_like_printf(-wholes[i]);
    }
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* uniform in log scale over [1e-5, 2^53), plus short decimals */
        double v = pow(10, -5 + (double)(x % 1000000) / 1000000 * 20.9);
        expect_like_printf(v);
        expect_like_printf((double)(x % 100000) / 1000);
    }
}

/* Against the obvious method (printf at 15, 16, then 17 digits, first that
 * reads back), on many doubles of every magnitude. */
Test(writer, fast_formatting_matches_printf)
{
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        if (i % 3 == 0) {
            uint64_t bits = x & 0x7FEFFFFFFFFFFFFFull;
            memcpy(&v, &bits, sizeof(v));
        } else {
            v = (double)(x % 1000003) / (double)((x >> 20) % 997 + 1) * pow(10, (int)(x % 40) - 20);
        }
        if (i & 1)
            v = -v;
        if (v == 0 || !isfinite(v))
            continue;
        expect_like_printf(v);
    }
}

/* Parts written apart (tp_out_open_mem, as the tfidf threads write them) and
 * appended in order give the file one writer would: a small part, one past
 * the memory a part keeps (the rest in a temporary file), an empty one. */
Test(writer, parts_appended_in_order)
{
    make_dir();
    char whole[128], joined[128];
    snprintf(whole, sizeof(whole), "%s/whole.csv", dir);
    snprintf(joined, sizeof(joined), "%s/joined.csv", dir);
    struct tp_error err;
    struct tp_out *w, *j, *part[3];
    cr_assert_eq(tp_out_open(&w, whole, 0, &err), 0);
    cr_assert_eq(tp_out_open(&j, joined, 0, &err), 0);
    size_t rows[3] = {10, 300000, 0};
    uint64_t v = 0;
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(tp_out_open_mem(&part[k], 0), 0);
        for (size_t r = 0; r < rows[k]; r++, v++) {
            struct tp_out *o[2] = {w, part[k]};
            for (int t = 0; t < 2; t++) {
                tp_out_u64(o[t], v);
                tp_out_str(o[t], "a, \"quoted\" cell");
                tp_out_double(o[t], (double)v / 7);
                tp_out_row_end(o[t]);
            }
        }
    }
    for (int k = 0; k < 3; k++) {
        tp_out_append(j, part[k]);
        tp_out_free(part[k]);
    }
    cr_assert_eq(tp_out_finish(w, &err), 0, "%s", err.msg);
    cr_assert_eq(tp_out_publish(w, &err), 0);
    cr_assert_eq(tp_out_finish(j, &err), 0, "%s", err.msg);
    cr_assert_eq(tp_out_publish(j, &err), 0);
    tp_out_free(w);
    tp_out_free(j);
    struct stat a, b;
    cr_assert_eq(stat(whole, &a), 0);
    cr_assert_eq(stat(joined, &b), 0);
    cr_assert_gt(a.st_size, 8 << 20, "the big part must be past what memory keeps");
    cr_assert_eq(a.st_size, b.st_size);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "cmp -s %s %s", whole, joined);
    cr_expect_eq(system(cmd), 0, "the joined parts differ from the whole");
    unlink(whole);
    unlink(joined);
    rmdir(dir);
}
