/*
 * test_stats.c - unit tests of src/stats.c: association measures, Fisher's
 * exact test, keyness, Benjamini-Hochberg, Zipf and Heaps fits.
 *
 * Every expected number was computed outside tempora, by hand (arithmetic in
 * the comment) or with /usr/bin/python3 (scipy 1.10, numpy 1.24, nltk 3.8,
 * mpmath 1.2 at mp.dps = 50); the comment beside each number gives the
 * expression. For counts near 1e9 scipy's double-precision G2 is itself off by
 * ~1e-9 (it sums O ln(O/E) with O/E = 1 + 1e-9), so those references are
 * mpmath's exact sums. Tolerance: relative 1e-9.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <criterion/criterion.h>
#include <gsl/gsl_errno.h>

#include "stats.h"
#include "tempora.h"

#define REL 1e-9

static int rel_close(double got, double want, double rel)
{
    if (got == want)
        return 1;
    return fabs(got - want) <= rel * fmax(fabs(got), fabs(want));
}

#define EXPECT_REL(got, want)                                                                      \
    cr_expect(rel_close((got), (want), REL), "%s = %.17g, want %.17g", #got, (double)(got),        \
              (double)(want))

static void setup(void)
{
    gsl_set_error_handler_off();
}

/*
 * Reference values for the association measures. With (n12, n1, n2, N, K):
 *   python: from math import log2, sqrt
 *     E = n1*n2*K/N; pmi = log2(n12/E); t = (n12-E)/sqrt(n12); z = (n12-E)/sqrt(E)
 *     dice = 2*n12/(n1+n2); log_dice = 14 + log2(dice); mi3 = log2(n12**3/E)
 *   nltk (K = 1): BigramAssocMeasures.pmi / student_t / dice / chi_sq /
 *     likelihood_ratio(n12, (n1, n2), N) agree with these definitions (checked:
 *     nltk's student_t is (n12 - n1*n2/N)/sqrt(n12), its chi_sq Pearson's X2
 *     without correction, its likelihood_ratio the same G2) and with the
 *     values below for the small tables; they differ from the mpmath G2 by
 *     ~1e-9 for the N = 1e9 table, scipy's too.
 *   G2, X2: mpmath at dps 50 over the 2x2 table
 *     o = [n12, n1*K-n12, n2*K-n12, N*K-n1*K-n2*K+n12], R = row sums, C = column sums,
 *     E_ij = R_i*C_j/T; G2 = 2*sum(o*log(o/E) for o > 0); X2 = sum((o-E)**2/E)
 *     (= scipy.stats.chi2_contingency(tbl, correction=False[, lambda_='log-likelihood'])[0]
 *      to 1e-14 for the small tables)
 *   p: float(mp.erfc(mp.sqrt(G2/2))) (= scipy.stats.chi2.sf(G2, 1));
 *   log10_p: float(mp.log10(mp.erfc(mp.sqrt(G2/2)))) (scipy's chi2.logsf gives -inf
 *     when p underflows; (scipy.special.log_ndtr(-sqrt(G2)) + log(2))/log(10) agrees).
 *   fisher: scipy.stats.fisher_exact([[o11,o12],[o21,o22]], alternative='greater')[1]
 *     = scipy.stats.hypergeom.sf(n12-1, T, R1, C1); for T > 2^32 scipy's hypergeom
 *     is wrong (it returned 0.899 for a true 4.6e-5) so there it is the mpmath sum
 *     of binomial(R1,x)*binomial(R2,C1-x)/binomial(T,C1) for x >= n12.
 */
struct assoc_case {
    uint64_t n12, n1, n2, N;
    unsigned window;
    double expected, pmi, t_score, z_score, g2, chi2, p, log10_p, dice, log_dice, mi3, fisher;
};

static const struct assoc_case assoc_cases[] = {
    /* tiny: table [[3,1],[2,4]] */
    {3, 4, 5, 10, 1, 2.0, 0.5849625007211562, 0.5773502691896258, 0.7071067811865475,
     1.7260924347106856, 1.6666666666666667, 0.18891070000569196, -0.7237434427037732,
     0.6666666666666666, 13.415037499278844, 3.7548875021634687,
     0.2619047619047619 /* fisher_exact([[3,1],[2,4]], alternative='greater') */},
    /* medium: table [[5,15],[25,955]] */
    {5, 20, 30, 1000, 1, 0.6, 3.0588936890535687, 1.967739820199815, 5.680375574437545,
     14.200341673735453, 33.94347429693527, 0.0001643406696682063, -3.7842549476616885, 0.2,
     11.678071905112638, 7.7027498788282935,
     0.0001948659193123448 /* fisher_exact([[5,15],[25,955]], alternative='greater') */},
    /* large N, tiny E: O22 = 999998910 */
    {10, 100, 1000, 1000000000, 1, 0.0001, 16.609640474436812, 3.1622460373917773, 999.99,
     211.394129591161, 999981.1000791101, 6.818846646222627e-48, -47.166289076595724,
     0.01818181818181818, 8.21864028647534, 23.253496664211536,
     /* exact mpmath sum fsum(binomial(100,x)*binomial(10**9-100,1000-x) for x in
      * range(10, 101))/binomial(10**9, 1000); scipy's fisher_exact gives
      * 1.654490065433452e-47 here, 1.8e-7 off */
     1.6544903561220157e-47},
    /* window K = 5: table over N*K slots [[20,130],[180,4670]] */
    {20, 30, 40, 1000, 5, 6.0, 1.7369655941662063, 3.1304951684997055, 5.715476066494083,
     22.643994549997057, 35.080183276059564, 1.949686600786814e-06, -5.71003519299006,
     0.5714285714285714, 13.192645077942396, 10.380821783940931,
     1.5877945816549104e-06 /* fisher_exact([[20,130],[180,4670]], alternative='greater') */},
};

Test(assoc, reference_tables, .init = setup)
{
    for (size_t i = 0; i < sizeof assoc_cases / sizeof assoc_cases[0]; i++) {
        const struct assoc_case *c = &assoc_cases[i];
        struct tp_assoc a;

        tp_assoc_compute(c->n12, c->n1, c->n2, c->N, c->window, 1, &a);
        EXPECT_REL(a.expected, c->expected);
        EXPECT_REL(a.pmi, c->pmi);
        EXPECT_REL(a.t_score, c->t_score);
        EXPECT_REL(a.z_score, c->z_score);
        EXPECT_REL(a.log_likelihood, c->g2);
        EXPECT_REL(a.chi2, c->chi2);
        EXPECT_REL(a.p_value, c->p);
        EXPECT_REL(a.log10_p, c->log10_p);
        EXPECT_REL(a.dice, c->dice);
        EXPECT_REL(a.log_dice, c->log_dice);
        EXPECT_REL(a.mi3, c->mi3);
        EXPECT_REL(a.fisher_p, c->fisher);
    }
}

/* N = 1e10, G2 in the tens of thousands: p underflows, log10_p must not.
 * Values from the same python expressions as above (mpmath for G2, X2, log10_p). */
Test(assoc, huge_counts_p_underflows, .init = setup)
{
    struct tp_assoc a;

    tp_assoc_compute(1000, 5000, 8000, 10000000000ULL, 1, 1, &a);
    EXPECT_REL(a.expected, 0.004);
    EXPECT_REL(a.pmi, 17.931568569324174);
    EXPECT_REL(a.t_score, 31.622650110577386);
    EXPECT_REL(a.z_score, 15811.325055288695);
    EXPECT_REL(a.log_likelihood, 23203.84998643541);
    EXPECT_REL(a.chi2, 249998325.0017225);
    cr_expect(a.p_value == 0.0, "p = %g underflows in double", a.p_value);
    EXPECT_REL(a.log10_p, -5040.932862687393);
    EXPECT_REL(a.dice, 0.15384615384615385);
    EXPECT_REL(a.log_dice, 11.299560281858907);
    EXPECT_REL(a.mi3, 37.86313713864835);
    cr_expect(a.fisher_p >= 0.0 && a.fisher_p < 1e-300, "fisher_p = %g", a.fisher_p);
}

/* A near-independent table with N = 1e10: G2 from scipy's
 * chi2_contingency(lambda_='log-likelihood') is 16.18971922, 6e-8 off; mpmath:
 *   G2 = 16.189718292417357 (float of the mp sum), X2 = 32.00096002240048,
 *   fisher = 4.647802879361601e-05 (mpmath hypergeometric sum, see above;
 *   scipy's hypergeom.sf returns 0.899 here). */
Test(assoc, near_independence_large_N, .init = setup)
{
    struct tp_assoc a;

    tp_assoc_compute(10, 100000, 200000, 10000000000ULL, 1, 1, &a);
    EXPECT_REL(a.expected, 2.0);
    EXPECT_REL(a.log_likelihood, 16.189718292417357);
    EXPECT_REL(a.chi2, 32.00096002240048);
    EXPECT_REL(a.fisher_p, 4.647802879361601e-05);
    /* scipy.stats.chi2.sf(16.189718292417357, 1) */
    EXPECT_REL(a.p_value, 5.730429944468319e-05);
}

/* Near independence with O22 ~ 9.8e9: n12 = 1000100 against E = 1e8*1e8/1e10
 * = 1e6. G2 = 0.010202707257419976 and X2 = 0.010203040506070809 from the
 * mpmath sums above; scipy's chi2_contingency(lambda_='log-likelihood') gives
 * 0.0102008914, 2e-4 off, which is why each cell is summed as
 * O ln(O/E) - (O - E) with a series near O = E.
 * p = scipy.stats.chi2.sf(0.010202707257419976, 1) = 0.9195437512323029. */
Test(assoc, tiny_g2_huge_cells, .init = setup)
{
    struct tp_assoc a;

    tp_assoc_compute(1000100, 100000000, 100000000, 10000000000ULL, 1, 0, &a);
    EXPECT_REL(a.expected, 1e6);
    EXPECT_REL(a.log_likelihood, 0.010202707257419976);
    EXPECT_REL(a.chi2, 0.010203040506070809);
    EXPECT_REL(a.p_value, 0.9195437512323029);
    /* (n12 - E)/sqrt(n12) = 100/sqrt(1000100), (n12 - E)/sqrt(E) = 100/1000 */
    EXPECT_REL(a.t_score, 100 / sqrt(1000100.0));
    EXPECT_REL(a.z_score, 0.1);
}

Test(assoc, fisher_only_when_asked, .init = setup)
{
    struct tp_assoc a;

    tp_assoc_compute(5, 20, 30, 1000, 1, 0, &a);
    cr_expect(isnan(a.fisher_p));
}

/* The pair "a a" in the corpus "a a": n12 = 1, n1 = n2 = 2, N = 2 gives
 * O22 = 2 - 2 - 2 + 1 = -1, not a table. Nothing may come out NaN. */
Test(assoc, impossible_cell_no_nan, .init = setup)
{
    struct tp_assoc a;

    tp_assoc_compute(1, 2, 2, 2, 1, 1, &a);
    const double v[] = {a.expected,       a.pmi,      a.t_score, a.z_score,
                        a.log_likelihood, a.chi2,     a.p_value, a.log10_p,
                        a.dice,           a.log_dice, a.mi3,     a.fisher_p};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        cr_expect(!isnan(v[i]), "field %zu is NaN", i);
    cr_expect(a.log_likelihood >= 0);
    /* E = 2*2/2 = 2, dice = 2*1/4 = 0.5, log_dice = 14 - 1 = 13 */
    EXPECT_REL(a.expected, 2.0);
    EXPECT_REL(a.log_dice, 13.0);
}

/* An independent table: n12 = E exactly (10*10/100 = 1), so G2 = X2 = 0,
 * p = 1, log10_p = 0, t = z = pmi = 0. */
Test(assoc, independence_gives_zero, .init = setup)
{
    struct tp_assoc a;

    tp_assoc_compute(1, 10, 10, 100, 1, 0, &a);
    cr_expect(a.log_likelihood == 0.0, "G2 = %g", a.log_likelihood);
    cr_expect(a.chi2 == 0.0, "X2 = %g", a.chi2);
    cr_expect(a.p_value == 1.0);
    cr_expect(a.log10_p == 0.0);
    cr_expect(a.t_score == 0.0 && a.z_score == 0.0 && a.pmi == 0.0);
}

/* float(mp.log10(mp.erfc(mp.sqrt(g2/2)))); for 3.841458820694124 (the 95%
 * quantile of chi2(1)) this is log10(0.05) = -1.3010299956639813. */
Test(stats, chisq1_log10_q, .init = setup)
{
    cr_expect(tp_chisq1_log10_q(0.0) == 0.0);
    EXPECT_REL(tp_chisq1_log10_q(3.841458820694124), -1.3010299956639806);
    EXPECT_REL(tp_chisq1_log10_q(1500.0), -327.4072560441665);
    EXPECT_REL(tp_chisq1_log10_q(23203.84998643541), -5040.932862687393);
    cr_expect(isfinite(tp_chisq1_log10_q(1e6)));
}

/* Fisher's test on its own: tp_fisher_upper(k, r1, r2, c1) = P(X >= k). */
Test(fisher, small_tables, .init = setup)
{
    /* scipy.stats.fisher_exact([[2,8],[10,30]], alternative='greater')[1] */
    EXPECT_REL(tp_fisher_upper(2, 10, 40, 12), 0.7635506558716955);
    /* scipy.stats.fisher_exact([[5,15],[25,955]], alternative='greater')[1] */
    EXPECT_REL(tp_fisher_upper(5, 20, 980, 30), 0.0001948659193123448);
    /* support of X is max(0, c1 - r2) .. min(r1, c1) = 2..5 here */
    cr_expect(tp_fisher_upper(2, 5, 3, 5) == 1.0);
    cr_expect(tp_fisher_upper(6, 5, 3, 5) == 0.0);
    /* hand: r1 = r2 = 1, c1 = 1: P(X >= 1) = 1/2 */
    EXPECT_REL(tp_fisher_upper(1, 1, 1, 1), 0.5);
    /* k = r1, table [[4,0],[2,4]]: C(4,4)C(6,2)/C(10,6) = 15/210
     * (= fisher_exact([[4,0],[2,4]], alternative='greater')[1]) */
    EXPECT_REL(tp_fisher_upper(4, 4, 6, 6), 15.0 / 210.0);
    /* k = c1, table [[3,4],[0,5]]: C(7,3)C(5,0)/C(12,3) = 35/220
     * (= fisher_exact([[3,4],[0,5]], alternative='greater')[1]) */
    EXPECT_REL(tp_fisher_upper(3, 7, 5, 3), 35.0 / 220.0);
}

/* k below the mean (mean = 1e5 * 2e5 / 1e10 = 2), summed as 1 - lower tail:
 * P(X >= 1) = 1 - P(X = 0); mpmath sum as above gives 0.8646687768196287
 * (close to 1 - exp(-2) = 0.8646647, the Poisson limit). */
Test(fisher, below_mean_large_population, .init = setup)
{
    EXPECT_REL(tp_fisher_upper(1, 100000, 10000000000ULL - 100000, 200000), 0.8646687768196287);
    EXPECT_REL(tp_fisher_upper(10, 100000, 10000000000ULL - 100000, 200000), 4.647802879361601e-05);
}

/* r1 = c1 = 5e9 of 1e10: sd = 25000, mean 2.5e9. Must be fast (tens of
 * thousands of terms) and give P(X >= mean) just above 1/2: by the normal
 * approximation 0.5 + pmf(mean)/2 = 0.5 + 1/(2*sqrt(2*pi)*25000) = 0.5000079788;
 * P(X >= mean + 4 sd) ~ scipy.stats.norm.sf(4) = 3.167e-05 (loose check). */
Test(fisher, huge_counts_fast, .init = setup, .timeout = 2.0)
{
    /* far below the mean: 1 - P(X = 0), and P(X = 0) is ~exp(-2.5e9) */
    cr_expect(tp_fisher_upper(1, 5000000000ULL, 5000000000ULL, 5000000000ULL) == 1.0);

    double p = tp_fisher_upper(2500000000ULL, 5000000000ULL, 5000000000ULL, 5000000000ULL);
    cr_expect(fabs(p - 0.5000079788) < 1e-8, "p = %.12g", p);
    p = tp_fisher_upper(2500100000ULL, 5000000000ULL, 5000000000ULL, 5000000000ULL);
    cr_expect(fabs(p / 3.167e-05 - 1) < 0.01, "p = %.12g", p);
}

/*
 * Keyness, by hand: a = 10, b = 2, N1 = 1000, N2 = 2000.
 *   E1 = 1000*12/3000 = 4, E2 = 2000*12/3000 = 8
 *   G2 = 2(10 ln(10/4) + 2 ln(2/8)) = 2(9.16290731874155 - 2.772588722239781)
 *      = 12.780637193003539 (scipy.stats.power_divergence([10,2],[4,8],
 *        lambda_='log-likelihood')[0] gives the same)
 *   p = scipy.stats.chi2.sf(12.780637193003539, 1) = 0.000350225613331835
 *   log10_p = float(mp.log10(mp.erfc(mp.sqrt(G2/2)))) = -3.4556520954829866
 *   per million: 10/1000*1e6 = 10000, 2/2000*1e6 = 1000
 *   log_ratio = log2((10.5/1000)/(2.5/2000)) = log2(8.4) = 3.070389327891398
 *   percent_diff = (0.01 - 0.001)*100/0.001 = 900
 */
Test(keyness, hand_example, .init = setup)
{
    struct tp_keyness k;

    tp_keyness_compute(10, 2, 1000, 2000, &k);
    EXPECT_REL(k.per_million_target, 10000.0);
    EXPECT_REL(k.per_million_reference, 1000.0);
    EXPECT_REL(k.log_likelihood, 12.780637193003539);
    EXPECT_REL(k.p_value, 0.000350225613331835);
    EXPECT_REL(k.log10_p, -3.4556520954829866);
    EXPECT_REL(k.log_ratio, 3.070389327891398);
    EXPECT_REL(k.percent_diff, 900.0);
    cr_expect(k.target == 1);
}

/* b = 0: E1 = 100*5/200 = 2.5, G2 = 2*5*ln(5/2.5) = 10 ln 2 = 6.931471805599453,
 * log_ratio = log2((5.5/100)/(0.5/100)) = log2(11) = 3.4594316186372973,
 * percent_diff undefined (NAN). */
Test(keyness, zero_in_reference, .init = setup)
{
    struct tp_keyness k;

    tp_keyness_compute(5, 0, 100, 100, &k);
    EXPECT_REL(k.log_likelihood, 6.931471805599453);
    EXPECT_REL(k.log_ratio, 3.4594316186372973);
    cr_expect(isnan(k.percent_diff));
    cr_expect(k.target == 1);
}

/* a = 0: E2 = 300*7/400 = 5.25, G2 = 2*7*ln(7/5.25) = 14 ln(4/3)
 * = 4.027549014324933, percent_diff = (0 - 7/300)*100/(7/300) = -100,
 * log_ratio = log2((0.5/100)/(7.5/300)) = log2(0.2) = -2.3219280948873626. */
Test(keyness, zero_in_target, .init = setup)
{
    struct tp_keyness k;

    tp_keyness_compute(0, 7, 100, 300, &k);
    EXPECT_REL(k.log_likelihood, 4.027549014324933);
    EXPECT_REL(k.percent_diff, -100.0);
    EXPECT_REL(k.log_ratio, -2.3219280948873626);
    cr_expect(k.per_million_target == 0.0);
    cr_expect(k.target == 0);
}

/* Large corpora. (a, b, N1, N2) = (12345, 6789, 1e8, 3e8):
 *   G2 = scipy.stats.power_divergence([a,b],[E1,E2], lambda_='log-likelihood')[0]
 *      = 13245.18451611847 (mpmath: 13245.184516118472), p underflows,
 *   log10_p = float(mp.log10(mp.erfc(mp.sqrt(G2/2)))) = -2878.3143952978835,
 *   log_ratio = numpy.log2(((a+0.5)/N1)/((b+0.5)/N2)) = 2.447570529458785,
 *   percent_diff = (a/N1-b/N2)*100/(b/N2) = 445.5148033583739.
 * (1000, 1030, 1e9, 1e9): nearly equal rates; mpmath G2 = 0.443365892953811
 *   (scipy's power_divergence: 0.4433658929540343, 5e-13 off),
 *   p = scipy.stats.chi2.sf(G2, 1) = 0.5055023401906338,
 *   percent_diff = (1000/1e9 - 1030/1e9)*100/(1030/1e9) = -2.912621359223314. */
Test(keyness, large_corpora, .init = setup)
{
    struct tp_keyness k;

    tp_keyness_compute(12345, 6789, 100000000, 300000000, &k);
    EXPECT_REL(k.log_likelihood, 13245.184516118472);
    cr_expect(k.p_value == 0.0);
    EXPECT_REL(k.log10_p, -2878.3143952978835);
    EXPECT_REL(k.log_ratio, 2.447570529458785);
    EXPECT_REL(k.percent_diff, 445.5148033583739);
    cr_expect(k.target == 1);

    tp_keyness_compute(1000, 1030, 1000000000, 1000000000, &k);
    EXPECT_REL(k.log_likelihood, 0.443365892953811);
    EXPECT_REL(k.p_value, 0.5055023401906338);
    EXPECT_REL(k.percent_diff, -2.912621359223314);
    cr_expect(k.target == 0);
}

/*
 * BH by hand: p = {0.005, 0.04, 0.03, 0.04, 0.5, 0.9}, n = 6. Ascending ranks:
 *   0.005 r1 -> 0.005*6/1 = 0.03;  0.03 r2 -> 0.09;  0.04 r3 -> 0.08;
 *   0.04 r4 -> 0.06;  0.5 r5 -> 0.6;  0.9 r6 -> 0.9.
 * Running minimum from the top: 0.9, 0.6, 0.06, 0.06, 0.06, 0.03, so
 *   q = {0.03, 0.06, 0.06, 0.06, 0.6, 0.9} (the tied 0.04s share 0.06).
 */
Test(bh, hand_example, .init = setup)
{
    const double p[] = {0.005, 0.04, 0.03, 0.04, 0.5, 0.9};
    const double want[] = {0.03, 0.06, 0.06, 0.06, 0.6, 0.9};
    double q[6];

    cr_assert(tp_bh_qvalues(p, 6, q) == 0);
    for (size_t i = 0; i < 6; i++)
        cr_expect(rel_close(q[i], want[i], 1e-12), "q[%zu] = %.17g, want %g", i, q[i], want[i]);
}

Test(bh, empty_and_single, .init = setup)
{
    double q[1] = {-1};
    const double p[1] = {0.25};

    cr_expect(tp_bh_qvalues(p, 0, q) == 0);
    cr_expect(q[0] == -1);
    cr_expect(tp_bh_qvalues(p, 1, q) == 0);
    cr_expect(q[0] == 0.25);
}

/* Against the definition in stats.h, evaluated the slow way (O(n^2)): q[i] =
 * min(1, min over j with p[j] >= p[i] of p[j]*n/rank(j)), rank(j) = 1 + the
 * number of k with p[k] < p[j] or (p[k] == p[j] and k < j). Many ties. */
Test(bh, matches_definition, .init = setup)
{
    enum { n = 300 };
    double p[n], q[n];

    srand(7);
    for (size_t i = 0; i < n; i++)
        p[i] = (rand() % 50) / 49.0 * ((i % 3) ? 1.0 : 0.01);
    cr_assert(tp_bh_qvalues(p, n, q) == 0);
    for (size_t i = 0; i < n; i++) {
        double best = 1.0;
        for (size_t j = 0; j < n; j++) {
            if (p[j] < p[i])
                continue;
            size_t rank = 1;
            for (size_t k = 0; k < n; k++)
                if (p[k] < p[j] || (p[k] == p[j] && k < j))
                    rank++;
            double v = p[j] * n / (double)rank;
            if (v < best)
                best = v;
        }
        cr_expect(rel_close(q[i], best, 1e-12), "q[%zu] = %.17g, want %.17g", i, q[i], best);
    }
}

/* Exact power laws: c_r = 720720/r (720720 is divisible by 1..16) has exponent
 * 1; c_r = 3600/r^2 for r = 1..6 has exponent 2. A noisy list against
 * -numpy.polyfit(numpy.log(numpy.arange(1,9)), numpy.log([50,30,20,8,7,3,1,1]), 1)[0]
 * = 1.9708743694223274. */
Test(zipf, power_laws, .init = setup)
{
    uint64_t c1[16];
    const uint64_t c2[] = {3600, 900, 400, 225, 144, 100};
    const uint64_t c3[] = {50, 30, 20, 8, 7, 3, 1, 1};
    const uint64_t c4[] = {50, 30, 20, 8, 7, 3, 1, 1, 0, 0};

    for (int r = 1; r <= 16; r++)
        c1[r - 1] = 720720 / (uint64_t)r;
    double z;
    cr_assert_eq(tp_zipf_exponent(c1, 16, &z), 0);
    EXPECT_REL(z, 1.0);
    cr_assert_eq(tp_zipf_exponent(c2, 6, &z), 0);
    EXPECT_REL(z, 2.0);
    cr_assert_eq(tp_zipf_exponent(c3, 8, &z), 0);
    EXPECT_REL(z, 1.9708743694223274);
    /* zero counts at the tail have no logarithm and are left out */
    cr_assert_eq(tp_zipf_exponent(c4, 10, &z), 0);
    EXPECT_REL(z, 1.9708743694223274);
    cr_assert_eq(tp_zipf_exponent(c2, 1, &z), 0);
    cr_expect(isnan(z));
    cr_assert_eq(tp_zipf_exponent(c2, 0, &z), 0);
    cr_expect(isnan(z));
}

/* V = 3 n^0.5 exactly at n = 4^j: (1,3) (4,6) (16,12) (64,24) (256,48)
 * (1024,96) -> k = 3, beta = 0.5. Noisy points against numpy.polyfit(
 * numpy.log([10,100,1000,5000,20000]), numpy.log([8,45,210,700,1900]), 1):
 * beta = 0.7155574826000201, k = exp(intercept) = 1.5736702550314845. */
Test(heaps, fits, .init = setup)
{
    const uint64_t n1[] = {1, 4, 16, 64, 256, 1024}, v1[] = {3, 6, 12, 24, 48, 96};
    const uint64_t n2[] = {10, 100, 1000, 5000, 20000}, v2[] = {8, 45, 210, 700, 1900};
    const uint64_t n3[] = {50, 50, 50}, v3[] = {10, 11, 12};
    double k = 0, beta = 0;

    cr_assert(tp_heaps_fit(n1, v1, 6, &k, &beta) == 0);
    EXPECT_REL(k, 3.0);
    EXPECT_REL(beta, 0.5);
    cr_assert(tp_heaps_fit(n2, v2, 5, &k, &beta) == 0);
    EXPECT_REL(k, 1.5736702550314845);
    EXPECT_REL(beta, 0.7155574826000201);
    /* no fit is 1, not TP_ENOMEM (-1): the summary leaves the cells empty
     * for it and stops for the other */
    cr_expect(tp_heaps_fit(n3, v3, 3, &k, &beta) == 1);
    cr_expect(tp_heaps_fit(n1, v1, 1, &k, &beta) == 1);
}

/* tp_assoc_g2_bounds, which colloc uses to skip the exact G2 of pairs that
 * cannot make the top: its bounds hold the exact value (the mpmath sums of
 * the tests above, and tp_assoc_g2 over tables from the smallest to 1e11
 * window slots, windows 1-5, impossible cells included) and are tight
 * enough to leave out nearly every pair (wider than 1e-8 (G2 + 1) never). */
static void expect_bounds(uint64_t n12, uint64_t n1, uint64_t n2, uint64_t N, unsigned K,
                          double want)
{
    double lo, hi;
    tp_assoc_g2_bounds(n12, n1, n2, N, K, &lo, &hi);
    cr_assert(lo <= want && want <= hi, "%llu %llu %llu %llu K=%u: %.17g not in [%.17g, %.17g]",
              (unsigned long long)n12, (unsigned long long)n1, (unsigned long long)n2,
              (unsigned long long)N, K, want, lo, hi);
    cr_assert(hi - lo <= 1e-8 * (want + 1), "%llu %llu %llu %llu K=%u: [%.17g, %.17g] for %.17g",
              (unsigned long long)n12, (unsigned long long)n1, (unsigned long long)n2,
              (unsigned long long)N, K, lo, hi, want);
}

Test(assoc, g2_bounds_hold_the_value, .init = setup)
{
    /* mpmath's sums (near_independence_large_N, tiny_g2_huge_cells) */
    expect_bounds(10, 100000, 200000, 10000000000ULL, 1, 16.189718292417357);
    expect_bounds(1000100, 100000000, 100000000, 10000000000ULL, 1, 0.010202707257419976);
    /* n12 = E: G2 = 0; the impossible "a a" table */
    expect_bounds(1, 10, 10, 100, 1, 0);
    expect_bounds(1, 2, 2, 2, 1, tp_assoc_g2(1, 2, 2, 2, 1));
    uint64_t r = 88172645463325252ull;
    for (int i = 0; i < 200000; i++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        uint64_t N = 1 + r % (i % 3 == 0 ? 100 : i % 3 == 1 ? 1000000 : 100000000000ull);
        uint64_t n1 = 1 + (r >> 11) % N, n2 = 1 + (r >> 23) % N;
        uint64_t most = n1 < n2 ? n1 : n2;
        uint64_t n12 = 1 + (r >> 37) % (i % 2 ? most : (most < 20 ? most : 20));
        unsigned K = 1 + (unsigned)(r >> 60) % 5;
        expect_bounds(n12, n1, n2, N, K, tp_assoc_g2(n12, n1, n2, N, K));
    }
    /* window slots past double's 2^53 (a count state's totals, --window up
     * to 100), a cell of a few against an expected count of 2^54 or more:
     * the bounds hold (past double's reach they are none: 0 and infinity) */
    for (int i = 0; i < 200000; i++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        unsigned K = 1 + (unsigned)(r % 100);
        uint64_t N = ((uint64_t)1 << (40 + (r >> 8) % 16)) + (r >> 20) % 1000000;
        if (N > ((uint64_t)1 << 62) / K)
            continue;
        uint64_t n1 = N / 2 - (r >> 32) % 1000, n2 = N / 2 - (r >> 42) % 1000;
        if (r >> 63)
            n2 = N - n1 - (r >> 52) % 5;
        uint64_t n12 = 1 + (r >> 56) % 10;
        double g = tp_assoc_g2(n12, n1, n2, N, K), lo, hi;
        tp_assoc_g2_bounds(n12, n1, n2, N, K, &lo, &hi);
        cr_assert(lo <= g && g <= hi, "%llu %llu %llu %llu K=%u: %.17g not in [%.17g, %.17g]",
                  (unsigned long long)n12, (unsigned long long)n1, (unsigned long long)n2,
                  (unsigned long long)N, K, g, lo, hi);
    }
}
