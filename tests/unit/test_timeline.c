/*
 * test_timeline.c - Garwood intervals and trend statistics against values
 * computed independently with scipy 1.10 (/usr/bin/python3), as noted beside
 * each number.
 */
#include <math.h>

#include <criterion/criterion.h>
#include <gsl/gsl_errno.h>

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
