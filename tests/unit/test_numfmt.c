/*
 * test_numfmt.c - the digits of a double (numfmt.c): the shortest of 15, 16
 * or 17 significant digits that reads back, laid out as printf's %g, against
 * printf and strtod themselves (the C library's, correctly rounded in glibc).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

Test(numfmt, shortest_round_trip_doubles)
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
Test(numfmt, fast_path_edges_match_printf)
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
Test(numfmt, fast_formatting_matches_printf)
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

/* Significant digits in a %g-style number (leading zeros and the exponent
 * are not digits of it). */
static int significant_digits(const char *s)
{
    int n = 0, started = 0;
    for (const char *p = s; *p && *p != 'e'; p++) {
        if (*p < '0' || *p > '9')
            continue;
        if (*p != '0')
            started = 1;
        if (started)
            n++;
    }
    return n;
}

/* The reference, written apart from numfmt.c: printf at 17 digits always
 * reads back; cut it to 16 and 15 digits by printf itself while that still
 * reads back, and keep the shortest. */
static void reference(double v, char *out, size_t cap)
{
    snprintf(out, cap, "%.17g", v);
    for (int p = 16; p >= 15; p--) {
        char shorter[40];
        snprintf(shorter, sizeof(shorter), "%.*g", p, v);
        if (strtod(shorter, NULL) != v)
            break;
        snprintf(out, cap, "%s", shorter);
    }
}

static uint64_t next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Round trip on many random doubles of every kind: random bit patterns
 * (every exponent, subnormals included), subnormals alone, huge and tiny
 * ones, whole numbers (below and above 10^15 and 2^53), and ordinary
 * shares. The text reads back to the same double, carries at least 10
 * significant digits when the double has them (a short number such as 0.5
 * is exact with fewer), and equals the reference digit for digit. */
Test(numfmt, random_doubles_round_trip)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    char got[40], want[40];
    int n_checked = 0;
    for (int i = 0; i < 300000; i++) {
        uint64_t r = next_random(&x);
        double v;
        switch (i % 6) {
        case 0: /* any finite double */
            r &= 0x7FEFFFFFFFFFFFFFull;
            memcpy(&v, &r, sizeof(v));
            break;
        case 1: /* subnormal */
            r &= 0x000FFFFFFFFFFFFFull;
            memcpy(&v, &r, sizeof(v));
            break;
        case 2: /* huge */
            v = ldexp((double)(r >> 11) / 9007199254740992.0 + 0.5, 900 + (int)(r % 124));
            break;
        case 3: /* tiny but normal */
            v = ldexp((double)(r >> 11) / 9007199254740992.0 + 0.5, -1021 + (int)(r % 100));
            break;
        case 4: /* whole numbers of every size up to 2^63 */
            v = (double)(r >> (r % 60));
            break;
        default: /* shares and scores */
            v = (double)(r % 1000003) / (double)((r >> 20) % 997 + 1);
            break;
        }
        if (i & 1)
            v = -v;
        if (!isfinite(v))
            continue;
        size_t n = tp_format_double(v, got);
        cr_assert_eq(n, strlen(got));
        char *end;
        double back = strtod(got, &end);
        cr_assert(*end == '\0' && back == v, "%a written as %s reads back as %a", v, got, back);
        char full[40];
        snprintf(full, sizeof(full), "%.9e", v);
        if (v != 0 && strtod(full, NULL) != v)
            cr_assert(significant_digits(got) >= 10, "%a written as %s", v, got);
        reference(v, want, sizeof(want));
        if (v == 0)
            strcpy(want, "0"); /* -0 is written 0 */
        cr_assert_str_eq(got, want, "%a", v);
        n_checked++;
    }
    cr_expect_gt(n_checked, 290000);
}

/* The extremes by name. */
Test(numfmt, extremes)
{
    const double vs[] = {4.9406564584124654e-324, 2.2250738585072009e-308,
                         2.2250738585072014e-308, 1.7976931348623157e308,
                         9007199254740992.0,      9007199254740993.0,
                         999999999999999.0,       1e15,
                         123456789012345678.0};
    char got[40], want[40];
    for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
        tp_format_double(vs[i], got);
        reference(vs[i], want, sizeof(want));
        cr_expect_str_eq(got, want);
        cr_expect_eq(strtod(got, NULL), vs[i]);
    }
}

/* Integers: every digit, no sign for zero. */
Test(numfmt, u64_digits)
{
    char buf[24];
    const uint64_t vs[] = {0, 7, 10, 99, 100, 18446744073709551615ull};
    const char *want[] = {"0", "7", "10", "99", "100", "18446744073709551615"};
    for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
        char *p = tp_u64_digits(vs[i], buf + sizeof(buf) - 1);
        buf[sizeof(buf) - 1] = '\0';
        cr_expect_str_eq(p, want[i]);
    }
}

/* What the grouped tables format most: rates per million (a count over a
 * group's tokens), shares 1 - n/N (Gries' DP of a term in one document) and
 * dyadic values, whose exact decimal expansion ends in a 5 just past the
 * 15th, 16th or 17th digit (the half-way cases of the rounding), each
 * against printf + strtod. */
Test(numfmt, rates_shares_and_halfway_values_match_printf)
{
    uint64_t x = 0x2545F4914F6CDD1Dull;
    for (int i = 0; i < 400000; i++) {
        uint64_t r = next_random(&x);
        uint64_t count = 1 + r % 5000, tokens = 1 + (r >> 20) % 100000000;
        expect_like_printf((double)count / (double)tokens * 1e6);
        expect_like_printf(1 - (double)(count % tokens) / (double)tokens);
        expect_like_printf(0.5 * ((double)count / (double)tokens + 0.25));
        /* odd / 2^k: k bits after the point, exactly k decimals */
        int k = 1 + (int)((r >> 40) % 60);
        double dy = ldexp((double)((r >> 8) | 1), -k);
        if (dy >= 1e-5 && dy < 9007199254740992.0)
            expect_like_printf(dy);
    }
}
