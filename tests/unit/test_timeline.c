/*
 * test_timeline.c - Garwood intervals and trend statistics against values
 * computed independently with scipy 1.10 (/usr/bin/python3), as noted beside
 * each number.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_statistics_double.h>

#include "tempora.h"
#include "timeline.h"

#define REL 1e-9

static void setup(void)
{
    /* As main does: the default handler aborts on any GSL error. */
    gsl_set_error_handler_off();
}

static int close_rel(double got, double want)
{
    if (want == 0.0)
        return got == 0.0;
    return fabs(got - want) <= REL * fabs(want);
}

#define ASSERT_REL(got, want)                                                                      \
    cr_assert(close_rel((got), (want)), "%s = %.17g, want %.17g", #got, (double)(got),             \
              (double)(want))

struct garwood_case {
    uint64_t k;
    double lo, hi;
};

/* lo = scipy.stats.chi2.ppf(0.025, 2*k) / 2, hi = scipy.stats.chi2.ppf(0.975, 2*k + 2) / 2.
 * For k >= 1e6 the same numbers come from the Cornish-Fisher expansion of the
 * gamma(k) quantile, k + sqrt(k)(z + (z^2-1)/(3 sqrt k) + (z^3-7z)/(36k) -
 * (6z^4+14z^2-32)/(810 k^1.5)) with z = -/+1.959963984540054, evaluated with
 * mpmath at 40 digits (1e12: 999998040036.96261306 and 1000001959965.93169380);
 * for k <= 1e6 also mpmath.findroot on mpmath.gammainc(..., regularized=True). */
static const struct garwood_case garwood_cases[] = {
    {1, 0.025317807984289876, 5.571643390938898},
    {2, 0.24220927854396496, 7.22468766772396},
    {5, 1.6234863901184207, 11.66833207932267},
    {10, 4.7953886961324335, 18.39035604201778},
    {100, 81.36399125092314, 121.62679379242638},
    {1000, 938.9730184076952, 1063.952136016302},
    {1000000, 998040.9833402939, 1001961.9119454322},
    {100000000, 99980401.30732474, 100019601.58707914},
    {1000000000000, 999998040036.9626, 1000001959965.9316},
    {9007199254740992, 9007199068728130.0, 9007199440753856.0}, /* 2^53 */
};

Test(garwood, zero_count, .init = setup)
{
    double lo = -1.0, hi = -1.0;

    cr_assert_eq(tp_garwood(0, &lo, &hi), 0);
    cr_assert_eq(lo, 0.0);
    /* Q(1, x) = exp(-x) = 0.025 -> x = ln 40 = 3.68887945411393630285... (by hand) */
    ASSERT_REL(hi, 3.6888794541139363);
}

Test(garwood, scipy_values, .init = setup)
{
    size_t i;

    for (i = 0; i < sizeof(garwood_cases) / sizeof(garwood_cases[0]); i++) {
        const struct garwood_case *c = &garwood_cases[i];
        double lo = NAN, hi = NAN;

        cr_assert_eq(tp_garwood(c->k, &lo, &hi), 0, "k = %llu", (unsigned long long)c->k);
        cr_assert(close_rel(lo, c->lo), "k = %llu: lo = %.17g, want %.17g",
                  (unsigned long long)c->k, lo, c->lo);
        cr_assert(close_rel(hi, c->hi), "k = %llu: hi = %.17g, want %.17g",
                  (unsigned long long)c->k, hi, c->hi);
    }
}

Test(garwood, full_precision_for_huge_counts, .init = setup)
{
    /* The Cornish-Fisher expansion above, in mpmath at 40 digits; from k = 1e8
     * its truncation error is below 1e-20 relative, so these are the exact
     * quantiles to the digits shown. 1e-14 catches the ~1e-11 drift of GSL's
     * incomplete gamma function near 2^53. */
    static const struct garwood_case exact[] = {
        {100000000, 99980401.307324734513, 100019601.58707914142},
        {1000000000000, 999998040036.96261306, 1000001959965.9316938},
        {9007199254740992, 9007199068728130.4164, 9007199440753856.4779},
    };
    size_t i;

    for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
        double lo = NAN, hi = NAN;

        cr_assert_eq(tp_garwood(exact[i].k, &lo, &hi), 0);
        cr_assert(fabs(lo - exact[i].lo) <= 1e-14 * exact[i].lo, "k = %llu: lo = %.17g",
                  (unsigned long long)exact[i].k, lo);
        cr_assert(fabs(hi - exact[i].hi) <= 1e-14 * exact[i].hi, "k = %llu: hi = %.17g",
                  (unsigned long long)exact[i].k, hi);
    }
}

Test(garwood, monotone_and_finite_everywhere)
{
    double prev_lo = 0.0, prev_hi = 0.0;
    uint64_t k;

    /* Every shape along a geometric walk, across GSL's regime changes
     * (series, continued fraction, uniform asymptotics, the expansion).
     * No setup: GSL's default handler stays on, so a GSL error inside
     * tp_garwood would abort and show here as a crash. */
    for (k = 1; k < (UINT64_C(1) << 53); k = k * 3 / 2 + 1) {
        double lo, hi;

        cr_assert_eq(tp_garwood(k, &lo, &hi), 0, "k = %llu", (unsigned long long)k);
        cr_assert(isfinite(lo) && isfinite(hi), "k = %llu", (unsigned long long)k);
        cr_assert(lo < (double)k && (double)k < hi, "k = %llu", (unsigned long long)k);
        cr_assert(lo > prev_lo && hi > prev_hi, "k = %llu", (unsigned long long)k);
        prev_lo = lo;
        prev_hi = hi;
    }
}

/*
 * Trend references. slope = scipy.stats.theilslopes(y).slope, tau =
 * scipy.stats.kendalltau(range(n), y).statistic (tau-b), and S, Var, z, p
 * from this plain Python Mann-Kendall, written independently of timeline.c:
 *
 *   def mk(y):
 *       n = len(y)
 *       s = sum((y[j] > y[i]) - (y[j] < y[i]) for i in range(n) for j in range(i+1, n))
 *       ties = collections.Counter(y).values()
 *       var = (n*(n-1)*(2*n+5) - sum(t*(t-1)*(2*t+5) for t in ties)) / 18
 *       if var == 0: return s, var, 0.0, 1.0
 *       z = (s-1)/sqrt(var) if s > 0 else (s+1)/sqrt(var) if s < 0 else 0.0
 *       return s, var, z, 2*scipy.stats.norm.sf(abs(z))
 */
struct trend_case {
    const double *y;
    size_t n;
    double slope, tau, s, var, z, p;
    enum tp_direction direction;
};

/* Ties: 12.5 x2, 40 x3, 61 x2. Var by hand: (12*11*29 - 2*18 - 3*2*11) / 18 = 207. */
static const double rising_ties[] = {0.0,  12.5,  12.5, 3.25, 40.0, 40.0,
                                     40.0, 18.75, 60.5, 61.0, 61.0, 95.125};
static const double falling[] = {9.0, 8.5, 8.5, 7.0, 7.25, 5.0, 3.0, 3.0, 1.0, 0.0};
static const double noisy[] = {5.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0};
static const double two[] = {3.0, 1.0};

static const struct trend_case trend_cases[] = {
    {rising_ties, 12, 6.866071428571429, 0.8037727730153806, 51, 207.0, 3.475240234284579,
     0.0005103960469226402, TP_RISING},
    {falling, 10, -1.0, -0.9320589306096471, -41, 123.0, -3.606678538669729, 0.0003101414891824452,
     TP_FALLING},
    {noisy, 8, 0.3333333333333333, 0.29649972666444047, 8, 63.333333333333336, 0.8795932074125605,
     0.3790797199078273, TP_FLAT},
    {two, 2, -2.0, -1.0, -1, 1.0, 0.0, 1.0, TP_FLAT},
};

Test(trend, scipy_and_reference_mann_kendall, .init = setup)
{
    size_t i;

    for (i = 0; i < sizeof(trend_cases) / sizeof(trend_cases[0]); i++) {
        const struct trend_case *c = &trend_cases[i];
        struct tp_trend t;

        cr_assert_eq(tp_trend_compute(NULL, c->y, c->n, &t), 0);
        cr_assert(close_rel(t.slope, c->slope), "case %zu slope %.17g", i, t.slope);
        cr_assert(close_rel(t.tau, c->tau), "case %zu tau %.17g", i, t.tau);
        cr_assert_eq(t.mk_s, c->s, "case %zu S %g", i, t.mk_s);
        cr_assert(close_rel(t.mk_var, c->var), "case %zu var %.17g", i, t.mk_var);
        cr_assert(close_rel(t.mk_z, c->z), "case %zu z %.17g", i, t.mk_z);
        cr_assert(close_rel(t.p_value, c->p), "case %zu p %.17g", i, t.p_value);
        cr_assert_eq(t.direction, c->direction, "case %zu direction %d", i, t.direction);
    }
}

/* The scratch memory a caller reuses holds anything: here bytes that read
 * as NaN everywhere. Mann-Kendall's count at slope 0 once read the scratch's
 * x offsets before they were written (0 times a NaN is a NaN), so a series'
 * tau and test depended on what the memory last held (a series of a daily
 * archive, computed on a second thread, came out "rising" with tau 1). */
Test(trend, scratch_memory_left_dirty_changes_nothing, .init = setup)
{
    struct tp_trend_ws ws = {malloc(1 << 16), 1 << 16};
    cr_assert_not_null(ws.buf);
    for (size_t i = 0; i < sizeof(trend_cases) / sizeof(trend_cases[0]); i++) {
        const struct trend_case *c = &trend_cases[i];
        struct tp_trend t;

        memset(ws.buf, 0xff, ws.cap);
        cr_assert_eq(tp_trend_compute_in(&ws, NULL, c->y, c->n, &t), 0);
        cr_assert(close_rel(t.slope, c->slope), "case %zu slope %.17g", i, t.slope);
        cr_assert(close_rel(t.tau, c->tau), "case %zu tau %.17g", i, t.tau);
        cr_assert_eq(t.mk_s, c->s, "case %zu S %g", i, t.mk_s);
        cr_assert(close_rel(t.p_value, c->p), "case %zu p %.17g", i, t.p_value);
        cr_assert_eq(t.direction, c->direction, "case %zu direction %d", i, t.direction);
    }
    tp_trend_ws_free(&ws);
}

Test(trend, constant_series_has_no_tau_and_no_test, .init = setup)
{
    static const double y[] = {4.5, 4.5, 4.5, 4.5, 4.5};
    struct tp_trend t;

    cr_assert_eq(tp_trend_compute(NULL, y, 5, &t), 0);
    cr_assert_eq(t.slope, 0.0);
    cr_assert(isnan(t.tau));
    cr_assert_eq(t.mk_s, 0.0);
    /* (5*4*15 - 5*4*15) / 18 = 0: one tie group holding every value */
    cr_assert_eq(t.mk_var, 0.0);
    cr_assert_eq(t.mk_z, 0.0);
    cr_assert_eq(t.p_value, 1.0);
    cr_assert_eq(t.direction, TP_FLAT);
}

Test(trend, fewer_than_two_points, .init = setup)
{
    static const double y[] = {7.0};
    struct tp_trend t;

    cr_assert_eq(tp_trend_compute(NULL, y, 1, &t), 0);
    cr_assert(isnan(t.slope));
    cr_assert(isnan(t.tau));
    cr_assert_eq(t.p_value, 1.0);
    cr_assert_eq(t.direction, TP_FLAT);
    cr_assert_eq(tp_trend_compute(NULL, NULL, 0, &t), 0);
    cr_assert(isnan(t.slope));
}

/*
 * The quadratic definition, as tempora computed trends before the O(n log n)
 * method: every pairwise slope (y[j]-y[i])/(x[j]-x[i]) and their median by
 * gsl_stats_median, S as the sum of the pairs' signs, the tie groups from a
 * sorted copy. The fast function must give the same doubles bit for bit.
 */
static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static void ref_trend(const double *x, const double *y, size_t n, struct tp_trend *out)
{
    double s = 0.0, var, ties_var = 0.0, ties_pairs = 0.0, n0, nd = (double)n;
    size_t i, j, m = 0;

    *out = (struct tp_trend){NAN, NAN, 0.0, 0.0, 0.0, 1.0, TP_FLAT};
    if (n < 2)
        return;
    double *slopes = malloc(n * (n - 1) / 2 * sizeof(*slopes));
    double *sorted = malloc(n * sizeof(*sorted));
    cr_assert(slopes && sorted);
    for (i = 0; i < n; i++) {
        for (j = i + 1; j < n; j++) {
            slopes[m++] = (y[j] - y[i]) / (x ? x[j] - x[i] : (double)(j - i));
            s += (y[j] > y[i]) - (y[j] < y[i]);
        }
    }
    out->slope = gsl_stats_median(slopes, 1, m);
    memcpy(sorted, y, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_dbl);
    for (i = 0; i < n; i = j) {
        double t;

        for (j = i + 1; j < n && sorted[j] == sorted[i]; j++)
            ;
        t = (double)(j - i);
        ties_var += t * (t - 1.0) * (2.0 * t + 5.0);
        ties_pairs += t * (t - 1.0) / 2.0;
    }
    var = (nd * (nd - 1.0) * (2.0 * nd + 5.0) - ties_var) / 18.0;
    out->mk_s = s;
    out->mk_var = var;
    if (var > 0.0) {
        if (s > 0.0)
            out->mk_z = (s - 1.0) / sqrt(var);
        else if (s < 0.0)
            out->mk_z = (s + 1.0) / sqrt(var);
        out->p_value = 2.0 * gsl_cdf_ugaussian_Q(fabs(out->mk_z));
    }
    if (out->p_value < 0.05)
        out->direction = s > 0.0 ? TP_RISING : s < 0.0 ? TP_FALLING : TP_FLAT;
    n0 = nd * (nd - 1.0) / 2.0;
    if (n0 - ties_pairs > 0.0)
        out->tau = s / sqrt((n0 - ties_pairs) * n0);
    free(slopes);
    free(sorted);
}

/* Same double, NaN equal to NaN (and 0.0 to -0.0, as the CSV writes both 0). */
static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static void assert_like_ref(const double *x, const double *y, size_t n, const char *what)
{
    struct tp_trend got, want;

    cr_assert_eq(tp_trend_compute(x, y, n, &got), 0, "%s n=%zu", what, n);
    ref_trend(x, y, n, &want);
    cr_assert(same(got.slope, want.slope), "%s n=%zu slope %.17g want %.17g", what, n, got.slope,
              want.slope);
    cr_assert(same(got.tau, want.tau), "%s n=%zu tau %.17g want %.17g", what, n, got.tau, want.tau);
    cr_assert_eq(got.mk_s, want.mk_s, "%s n=%zu S %.17g want %.17g", what, n, got.mk_s, want.mk_s);
    cr_assert(same(got.mk_var, want.mk_var), "%s n=%zu var", what, n);
    cr_assert(same(got.mk_z, want.mk_z), "%s n=%zu z", what, n);
    cr_assert(same(got.p_value, want.p_value), "%s n=%zu p", what, n);
    cr_assert_eq(got.direction, want.direction, "%s n=%zu direction", what, n);
}

static uint64_t rng_state = 12345;

static uint64_t rnd(void) /* xorshift64*: fixed seed, the same series every run */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

static double unif(void)
{
    return (double)(rnd() >> 11) * 0x1p-53;
}

/* A per-million-like series of kind k: noisy linear trends, counts over
 * varying totals, heavy ties (a few values, mostly zero), near-linear. */
static void make_series(int kind, double *y, size_t n)
{
    double a = unif() * 4.0 - 2.0;

    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case 0: /* noisy trend */
            y[i] = 100.0 + a * (double)i + 50.0 * unif();
            break;
        case 1: /* counts per million over varying period totals */
            y[i] = (double)(rnd() % (1 + i / 16)) / (double)(1000 + rnd() % 9000) * 1e6;
            break;
        case 2: /* heavy ties: four values */
            y[i] = (double)(rnd() % 4);
            break;
        case 3: /* mostly zero, a few equal values */
            y[i] = rnd() % 10 == 0 ? 12.5 : 0.0;
            break;
        case 4: /* rare term: one value in 300, rising */
            y[i] = rnd() % 300 < 1 + i / 400 ? 3.0 + (double)(rnd() % 3) : 0.0;
            break;
        case 5: /* mostly zero, the others negative or positive, some equal */
            y[i] = rnd() % 3 == 0 ? (double)((int)(rnd() % 7) - 3) * 0.75 : 0.0;
            break;
        default: /* exactly linear, then a small wobble on a few points */
            y[i] = 0.1 * (double)i + (rnd() % 50 == 0 ? 1e-9 : 0.0);
            break;
        }
    }
}

Test(trend_fast, equals_the_quadratic_definition_on_random_series, .init = setup)
{
    static const size_t sizes[] = {2, 3, 4, 5, 7, 10, 31, 64, 65, 100, 257, 500, 1000, 2000};
    double *y = malloc(2000 * sizeof(*y)), *x = malloc(2000 * sizeof(*x));

    cr_assert(y && x);
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t n = sizes[s];
        int reps = n <= 100 ? 20 : n <= 500 ? 4 : 1;

        for (int kind = 0; kind < 7; kind++) {
            for (int r = 0; r < reps; r++) {
                make_series(kind, y, n);
                assert_like_ref(NULL, y, n, "index");
                /* x: period indices with gaps, as trends.csv skips empty periods */
                x[0] = (double)(rnd() % 5);
                for (size_t i = 1; i < n; i++)
                    x[i] = x[i - 1] + 1.0 + (double)(rnd() % 3 == 0 ? rnd() % 4 : 0);
                assert_like_ref(x, y, n, "gaps");
            }
        }
    }
    free(y);
    free(x);
}

/* Series whose two middle slopes lie on both sides of 0 (S = 0, no tied
 * values, an even number of pairs): the first pivot, 0, falls strictly
 * between the two order statistics the median needs. */
Test(trend_fast, middle_slopes_on_both_sides_of_a_pivot, .init = setup)
{
    static const size_t sizes[] = {4, 5, 8, 9, 64, 101, 300};
    double y[300];

    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t n = sizes[s];
        int found = 0;

        cr_assert(n * (n - 1) / 2 % 2 == 0, "n=%zu: an even number of pairs", n);
        for (int tries = 0; tries < 20000 && found < 3; tries++) {
            struct tp_trend t;

            for (size_t i = 0; i < n; i++)
                y[i] = (double)i + 0.5 * unif(); /* distinct values */
            for (size_t i = n - 1; i > 0; i--) { /* in random order */
                size_t j = rnd() % (i + 1);
                double v = y[i];
                y[i] = y[j];
                y[j] = v;
            }
            cr_assert_eq(tp_trend_compute(NULL, y, n, &t), 0);
            if (t.mk_s != 0.0)
                continue;
            found++;
            assert_like_ref(NULL, y, n, "split at 0");
        }
        cr_assert(found >= 3, "n=%zu: only %d series with S = 0", n, found);
    }
}

Test(trend_fast, constant_linear_and_tiny_series, .init = setup)
{
    double y[1500] = {0};

    for (size_t n = 0; n <= 4; n++) {
        for (size_t i = 0; i < n; i++)
            y[i] = (double)(i * 7 % 3);
        assert_like_ref(NULL, y, n, "tiny");
    }
    for (size_t i = 0; i < 1500; i++)
        y[i] = 4.5;
    assert_like_ref(NULL, y, 1500, "constant");
    for (size_t i = 0; i < 1500; i++)
        y[i] = 3.0 * (double)i - 7.0;
    assert_like_ref(NULL, y, 1500, "exactly linear");
    for (size_t i = 0; i < 1500; i++)
        y[i] = 0.1 * (double)i;
    assert_like_ref(NULL, y, 1500, "linear, inexact steps");
    for (size_t i = 0; i < 1500; i++)
        y[i] = (double)(1500 - i) / 3.0;
    assert_like_ref(NULL, y, 1500, "falling thirds");
}

Test(trend_fast, many_periods_are_fast_and_sensible, .init = setup)
{
    /* 200,000 periods: the quadratic definition would need 160 GB of slopes. */
    size_t n = 200000;
    double *y = malloc(n * sizeof(*y));
    struct tp_trend t;

    cr_assert(y);
    for (size_t i = 0; i < n; i++)
        y[i] = 2.0 * (double)i + (double)(rnd() % 1000);
    cr_assert_eq(tp_trend_compute(NULL, y, n, &t), 0);
    /* noise uniform on 0..999 around slope 2: the median slope is close to 2 */
    cr_assert(fabs(t.slope - 2.0) < 0.01, "slope %.17g", t.slope);
    cr_assert_eq(t.direction, TP_RISING);
    cr_assert(t.tau > 0.9);
    free(y);
}

Test(trend_fast, refuses_what_it_cannot_compute_exactly, .init = setup)
{
    double y[3] = {1.0, NAN, 2.0}, x[3] = {0.0, 1.5, 2.0};
    struct tp_trend t;

    cr_assert_eq(tp_trend_compute(NULL, y, 3, &t), TP_EDATA);
    y[1] = 1.5;
    cr_assert_eq(tp_trend_compute(x, y, 3, &t), TP_EDATA);
    /* y: infinite or beyond 2^900; x: not whole, NaN, beyond 2^52, more
     * than 2^40 from the first, not increasing */
    static const double bad_y[] = {INFINITY, -INFINITY, 0x1p901, -0x1p901};
    for (size_t i = 0; i < sizeof(bad_y) / sizeof(bad_y[0]); i++) {
        y[1] = bad_y[i];
        cr_assert_eq(tp_trend_compute(NULL, y, 3, &t), TP_EDATA, "y %g", bad_y[i]);
    }
    y[1] = 0x1p900;
    cr_assert_eq(tp_trend_compute(NULL, y, 3, &t), 0);
    y[1] = 1.5;
    static const double bad_x[][3] = {{0, NAN, 2}, {0, 1, 2.5}, {0, 1, 0x1p53}, {0, 1, 0x1p40 + 1},
                                      {0, 2, 2},   {0, 3, 2},   {-0.5, 1, 2},   {0, 1, INFINITY}};
    for (size_t i = 0; i < sizeof(bad_x) / sizeof(bad_x[0]); i++)
        cr_assert_eq(tp_trend_compute(bad_x[i], y, 3, &t), TP_EDATA, "x case %zu", i);
    static const double good_x[][3] = {
        {-7, -3, 0}, {0, 1, 0x1p40}, {0x1p52 - 2, 0x1p52 - 1, 0x1p52}};
    for (size_t i = 0; i < sizeof(good_x) / sizeof(good_x[0]); i++)
        cr_assert_eq(tp_trend_compute(good_x[i], y, 3, &t), 0, "x case %zu", i);
}

Test(trend_fast, nearly_equal_slopes_in_linear_memory, .init = setup)
{
    /* 0.1 i in doubles: the 32 million pairwise slopes all lie within a few
     * ulps of 0.1 without being equal, the case where pairs are counted per
     * double rather than held (256 MB as doubles). */
    size_t n = 8000;
    double *y = malloc(n * sizeof(*y));
    struct tp_trend t;

    cr_assert(y);
    for (size_t i = 0; i < n; i++)
        y[i] = 0.1 * (double)i;
    cr_assert_eq(tp_trend_compute(NULL, y, n, &t), 0);
    cr_assert(fabs(t.slope - 0.1) <= 1e-15, "slope %.17g", t.slope);
    cr_assert_eq(t.tau, 1.0);
    free(y);
}

/* One scratch buffer (tp_trend_compute_in, as trends uses it from series to
 * series) over series of shapes the other cases lack, longer and shorter in
 * turn so that the buffer is reused grown and with what the series before
 * left in it: one value among zeros, 0.0 and -0.0 mixed, magnitudes near 2^900
 * and subnormals, values one ulp apart, signs alternating (half the slopes
 * negative), and x spanning 2^40 or starting near +-2^52. Every field equals
 * the quadratic definition's. */
Test(trend_fast, reused_scratch_and_extreme_values_equal_the_definition, .init = setup)
{
    static const size_t sizes[] = {300, 2, 57, 3, 211, 48, 120, 9, 256, 64};
    double y[300], x[300];
    struct tp_trend_ws ws = {0};

    for (int rep = 0; rep < 4; rep++) {
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            size_t n = sizes[s];

            for (int kind = 0; kind < 6; kind++) {
                for (size_t i = 0; i < n; i++) {
                    uint64_t r = rnd();
                    switch (kind) {
                    case 0: /* zeros but one */
                        y[i] = 0.0;
                        break;
                    case 1: /* 0.0 and -0.0 with a few others */
                        y[i] = r % 10 < 4 ? -0.0 : r % 10 < 8 ? 0.0 : r % 10 == 8 ? 1.5 : -2.5;
                        break;
                    case 2: /* huge, tiny and zero */
                        y[i] = r % 5 == 0 ? 0.0
                                          : ldexp(0.5 + unif(), (int)(r % 1800) - 900) *
                                                (r >> 40 & 1 ? 1.0 : -1.0);
                        break;
                    case 3: /* subnormal */
                        y[i] = ldexp((double)(r % 16), -1074 + (int)(r >> 32) % 60) *
                               (r >> 40 & 1 ? 1.0 : -1.0);
                        break;
                    case 4: /* one ulp apart */
                        y[i] = 1.0 + (double)(r % 4) * 0x1p-52;
                        break;
                    default: /* alternating signs */
                        y[i] = (i & 1 ? 1.0 : -1.0) * (1.0 + (double)(r % 3));
                        break;
                    }
                }
                if (kind == 0)
                    y[rnd() % n] = rnd() & 1 ? 0.1 : -3.0;
                for (int xm = 0; xm < 4; xm++) {
                    const double *xp = xm < 3 ? x : NULL; /* 3: the index */
                    struct tp_trend got, want;

                    if (xm == 0) { /* span about 2^40 */
                        double step = 0x1p40 / (double)n;
                        x[0] = -(double)(rnd() % 1000);
                        for (size_t i = 1; i < n; i++)
                            x[i] = x[i - 1] + 1.0 + floor(unif() * step);
                    } else if (xm < 3) { /* near 2^52 or -2^52 */
                        x[0] = xm == 1 ? 0x1p52 - 8.0 * (double)n : -0x1p52;
                        for (size_t i = 1; i < n; i++)
                            x[i] = x[i - 1] + 1.0 + (double)(rnd() % 7);
                    }
                    cr_assert_eq(tp_trend_compute_in(&ws, xp, y, n, &got), 0, "kind %d x %d n=%zu",
                                 kind, xm, n);
                    ref_trend(xp, y, n, &want);
                    cr_assert(same(got.slope, want.slope), "kind %d x %d n=%zu slope %a want %a",
                              kind, xm, n, got.slope, want.slope);
                    cr_assert(same(got.tau, want.tau), "kind %d n=%zu tau", kind, n);
                    cr_assert_eq(got.mk_s, want.mk_s, "kind %d n=%zu S", kind, n);
                    cr_assert(same(got.mk_var, want.mk_var), "kind %d n=%zu var", kind, n);
                    cr_assert(same(got.mk_z, want.mk_z), "kind %d n=%zu z", kind, n);
                    cr_assert(same(got.p_value, want.p_value), "kind %d n=%zu p", kind, n);
                    cr_assert_eq(got.direction, want.direction, "kind %d n=%zu dir", kind, n);
                }
            }
        }
    }
    tp_trend_ws_free(&ws);
    cr_assert_null(ws.buf);
}
