/*
 * stats.c - the statistics of single rows: association measures of a word pair,
 * Fisher's exact test, keyness of a term between two corpora, Benjamini-Hochberg
 * q-values and the Zipf and Heaps fits. Pure functions on counts, called by the
 * collocations, keyness and summary commands after counting; docs/formulas.md
 * gives every formula with its source.
 *
 * Counts reach 1e9 and more while other cells of the same 2x2 table are ~10, so
 * the log-likelihood is never summed as a difference of large terms: O - E is
 * taken from the exact 128-bit determinant O11*O22 - O12*O21 and each cell adds
 * the non-negative O ln(O/E) - (O - E) (the "deviance" bd0 of Loader 2000),
 * with a series where O and E are close. Fisher's test uses the same pieces in
 * Loader's saddle-point form of the hypergeometric probability, because GSL's
 * hypergeometric and lnchoose functions take 32-bit unsigned arguments.
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_sf_erf.h>

#include "stats.h"
#include "tempora.h"

#define LN_2PI 1.837877066409345483560659472811235279723L
#define LN_10 2.302585092994045684017991454684364207601L

/* Relative size below which a tail term no longer changes the sum. */
#define TAIL_EPS 1e-17L

/* The exact value of a*b - c*d for 64-bit counts, rounded once to long double.
 * The products need 128 bits; they are built from 32-bit halves so the code
 * stays ISO C (no __int128). */
static void mul_u64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32;
    uint64_t b_lo = b & 0xffffffffu, b_hi = b >> 32;
    uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo, hh = a_hi * b_hi;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);

    *lo = (mid << 32) | (ll & 0xffffffffu);
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

static long double det_u64(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    uint64_t h1, l1, h2, l2, hi, lo;
    int neg;

    mul_u64(a, b, &h1, &l1);
    mul_u64(c, d, &h2, &l2);
    neg = h1 < h2 || (h1 == h2 && l1 < l2);
    if (neg) {
        hi = h2 - h1 - (l2 < l1);
        lo = l2 - l1;
    } else {
        hi = h1 - h2 - (l1 < l2);
        lo = l1 - l2;
    }
    long double v = ldexpl((long double)hi, 64) + (long double)lo;
    return neg ? -v : v;
}

#define INV_NN1(n) (1.0L / ((long double)(n) * ((n)-1)))
#define INV_NN1_8(n)                                                                               \
    INV_NN1(n), INV_NN1(n + 1), INV_NN1(n + 2), INV_NN1(n + 3), INV_NN1(n + 4), INV_NN1(n + 5),    \
        INV_NN1(n + 6), INV_NN1(n + 7)

/* 1 / (n (n - 1)) for n = 2..65, so dev_series multiplies instead of
 * dividing: a long double division is the slowest step of a collocation's
 * G^2, and most candidates sum two of these series. */
static const long double inv_nn1[64] = {INV_NN1_8(2),  INV_NN1_8(10), INV_NN1_8(18), INV_NN1_8(26),
                                        INV_NN1_8(34), INV_NN1_8(42), INV_NN1_8(50), INV_NN1_8(58)};

/* (1+x) ln(1+x) - x for |x| < 1/8 by its series sum_{n>=2} (-1)^n x^n / (n(n-1)):
 * the closed form cancels to nothing as x -> 0. */
static long double dev_series(long double x)
{
    long double pw = x * x, sum = 0;

    for (int n = 2; n < 64; n++) {
        long double t = pw * inv_nn1[n - 2];
        sum += (n % 2 == 0) ? t : -t;
        if (fabsl(t) <= 1e-21L * fabsl(sum))
            break;
        pw *= x;
    }
    return sum;
}

/* o ln(o/e) - (o - e) >= 0, given dev = o - e computed exactly by the caller;
 * 0 ln 0 = 0 and a cell with e = 0 (an empty margin) adds nothing. */
static long double dev_term(long double o, long double e, long double dev)
{
    if (e <= 0)
        return 0;
    if (o <= 0)
        return e;
    long double x = dev / e;
    if (fabsl(x) < 0.125L)
        return e * dev_series(x);
    return o * logl(o / e) - dev;
}

double tp_chisq1_log10_q(double g2)
{
    gsl_sf_result r;

    if (isnan(g2))
        return NAN;
    if (g2 <= 0)
        return 0.0;
    if (isinf(g2))
        return -INFINITY;
    double x = sqrt(g2 / 2);
    if (gsl_sf_log_erfc_e(x, &r) == GSL_SUCCESS && isfinite(r.val))
        return (double)(r.val / LN_10);
    /* Not reached with GSL 2.7; the leading term of the asymptotic series keeps
     * the value finite should a future GSL report an error here. */
    double p = gsl_cdf_chisq_Q(g2, 1.0);
    if (p > 0)
        return log10(p);
    return (double)((-(long double)x * x - logl(x * 1.772453850905516027298167L)) / LN_10);
}

/* The 2x2 table of a pair over the N*K window slots (see tp_assoc_compute). */
struct table2 {
    uint64_t o11, o12, o21, o22, r1, r2, c1, c2;
    long double d, e11, e12, e21, e22;
    int clamped;
};

/* The cells and margins of the table (see tp_assoc_compute), clamped. */
static void table2_cells(uint64_t n12, uint64_t n1, uint64_t n2, uint64_t N, unsigned window,
                         struct table2 *t)
{
    uint64_t K = window ? window : 1;
    uint64_t n1k = n1 * K, n2k = n2 * K, nk = N * K;

    /* Real corpora can give a negative O22 (a pair "a a" has n1 + n2 > N) or,
     * from bad input, other impossible cells: such a cell is taken as 0 and
     * the margins follow the table. */
    t->clamped = 0;
    t->o11 = n12;
    t->o12 = t->o21 = t->o22 = 0;
    if (n1k >= n12)
        t->o12 = n1k - n12;
    else
        t->clamped = 1;
    if (n2k >= n12)
        t->o21 = n2k - n12;
    else
        t->clamped = 1;
    if (nk + n12 >= n1k + n2k)
        t->o22 = nk + n12 - n1k - n2k;
    else
        t->clamped = 1;
    t->r1 = t->o11 + t->o12;
    t->r2 = t->o21 + t->o22;
    t->c1 = t->o11 + t->o21;
    t->c2 = t->o12 + t->o22;
}

static void table2_fill(uint64_t n12, uint64_t n1, uint64_t n2, uint64_t N, unsigned window,
                        struct table2 *t)
{
    table2_cells(n12, n1, n2, N, window, t);
    long double total = (long double)t->r1 + t->r2;
    /* Every cell's O - E is +-D, D = (O11 O22 - O12 O21) / total. */
    t->d = total > 0 ? det_u64(t->o11, t->o22, t->o12, t->o21) / total : 0;
    t->e11 = (long double)t->r1 * t->c1 / total;
    t->e12 = (long double)t->r1 * t->c2 / total;
    t->e21 = (long double)t->r2 * t->c1 / total;
    t->e22 = (long double)t->r2 * t->c2 / total;
}

static long double table2_g2(const struct table2 *t)
{
    long double g2 = 2 * (dev_term(t->o11, t->e11, t->d) + dev_term(t->o12, t->e12, -t->d) +
                          dev_term(t->o21, t->e21, -t->d) + dev_term(t->o22, t->e22, t->d));
    return g2 > 0 ? g2 : 0;
}

double tp_assoc_g2(uint64_t n12, uint64_t n1, uint64_t n2, uint64_t N, unsigned window)
{
    struct table2 t;
    table2_fill(n12, n1, n2, N, window, &t);
    return (double)table2_g2(&t);
}

/* A cell's o ln(o/e) - (o - e) in double, as o log1p(dev/e) - dev, and into
 * *mag the size of what it was computed from, which bounds its error. */
static double dev_term_d(double o, double e, double dev, double *mag)
{
    if (e <= 0)
        return 0;
    if (o <= 0) {
        *mag += e;
        return e;
    }
    double a = o * log1p(dev / e);
    *mag += fabs(a) + fabs(dev);
    return a - dev;
}

/* Relative to the size of its terms, how far tp_assoc_g2_bounds lets its
 * estimate be from tp_assoc_g2's value: a few roundings of a double (each
 * 2^-53, log1p within one ulp, dev / e within two) and the long double
 * value's own, by a margin of hundreds. */
#define G2_EST_REL 1e-12

void tp_assoc_g2_bounds(uint64_t n12, uint64_t n1, uint64_t n2, uint64_t N, unsigned window,
                        double *lo, double *hi)
{
    struct table2 t;
    table2_cells(n12, n1, n2, N, window, &t);
    double total = (double)t.r1 + (double)t.r2;
    double d = total > 0 ? (double)det_u64(t.o11, t.o22, t.o12, t.o21) / total : 0;
    double mag = 0;
    double g = dev_term_d((double)t.o11, (double)t.r1 * (double)t.c1 / total, d, &mag) +
               dev_term_d((double)t.o12, (double)t.r1 * (double)t.c2 / total, -d, &mag) +
               dev_term_d((double)t.o21, (double)t.r2 * (double)t.c1 / total, -d, &mag) +
               dev_term_d((double)t.o22, (double)t.r2 * (double)t.c2 / total, d, &mag);
    double slack = 2 * G2_EST_REL * mag;
    if (!isfinite(g) || !isfinite(slack)) {
        /* past double's reach (N K near 2^54 and more, a cell's dev / e
         * rounded to -1, log1p -inf): no bound */
        *lo = 0;
        *hi = INFINITY;
        return;
    }
    *lo = fmax(2 * g - slack, 0);
    *hi = fmax(2 * g + slack, 0);
}

void tp_assoc_compute(uint64_t n12, uint64_t n1, uint64_t n2, uint64_t N, unsigned window,
                      int fisher, struct tp_assoc *out)
{
    uint64_t K = window ? window : 1;
    struct table2 t;
    table2_fill(n12, n1, n2, N, window, &t);
    uint64_t o11 = t.o11, r1 = t.r1, r2 = t.r2, c1 = t.c1;
    long double d = t.d, e11 = t.e11, e12 = t.e12, e21 = t.e21, e22 = t.e22;
    int clamped = t.clamped;
    long double g2 = table2_g2(&t);

    long double inv_e = 0;
    if (e11 > 0)
        inv_e += 1 / e11;
    if (e12 > 0)
        inv_e += 1 / e12;
    if (e21 > 0)
        inv_e += 1 / e21;
    if (e22 > 0)
        inv_e += 1 / e22;
    long double chi2 = d * d * inv_e;

    long double e = (long double)n1 * n2 * K / N;
    long double diff = clamped ? (long double)n12 - e : d;
    long double o = n12;

    out->expected = (double)e;
    out->pmi = (double)log2l(o / e);
    out->t_score = (double)(diff / sqrtl(o));
    out->z_score = (double)(diff / sqrtl(e));
    out->log_likelihood = (double)g2;
    out->chi2 = (double)chi2;
    out->p_value = gsl_cdf_chisq_Q((double)g2, 1.0);
    out->log10_p = tp_chisq1_log10_q((double)g2);
    out->dice = (double)(2 * o / ((long double)n1 + n2));
    out->log_dice = (double)(14 + log2l(2 * o / ((long double)n1 + n2)));
    out->mi3 = (double)(3 * log2l(o) - log2l(e));
    out->fisher_p = fisher ? tp_fisher_upper(o11, r1, r2, c1) : NAN;
}

/* Stirling's error ln n! - ((n + 1/2) ln n - n + ln sqrt(2 pi)) at n = 0..15,
 * from mpmath at 40 digits (entry 0 is unused). */
static const long double stirlerr_table[16] = {
    0.0L,
    0.0810614667953272582196702635943823601386L,
    0.04134069595540929409382208140711750802535L,
    0.02767792568499833914878929274624466659538L,
    0.02079067210376509311152277176784865633309L,
    0.01664469118982119216319486537359339114739L,
    0.01387612882307074799874572702376290856175L,
    0.01189670994589177009505572411765943862013L,
    0.01041126526197209649747856713253462919952L,
    0.009255462182712732917728636633100136117431L,
    0.008330563433362871256469318659628552209288L,
    0.007573675487951840794972024211595083892931L,
    0.006942840107209529865664152663475362659916L,
    0.006408994188004207068439631082978312575202L,
    0.005951370112758847735624416046469458326423L,
    0.005554733551962801371038689959792284649071L,
};

/* Stirling's error for n >= 1 (Loader 2000): a table for small n, the Stirling
 * series (Bernoulli-number coefficients) from 16 on, good to 1e-19. */
static long double stirlerr(long double n)
{
    if (n < 16)
        return stirlerr_table[(int)n];
    long double n2 = 1 / (n * n);
    return (1.0L / 12 -
            n2 * (1.0L / 360 -
                  n2 * (1.0L / 1260 -
                        n2 * (1.0L / 1680 -
                              n2 * (1.0L / 1188 - n2 * (691.0L / 360360 - n2 * (1.0L / 156))))))) /
           n;
}

/* ln of the binomial probability of x successes in n trials, p + q = 1, in
 * Loader's saddle-point form, accurate for n up to 2^63. np and nq are n*p and
 * n*q computed by the caller from exact counts. */
static long double ldbinom(long double x, long double n, long double p, long double q,
                           long double np, long double nq)
{
    if (n == 0)
        return 0;
    if (x == 0)
        return p < 0.5L ? n * log1pl(-p) : n * logl(q);
    if (x == n)
        return q < 0.5L ? n * log1pl(-q) : n * logl(p);
    if (p <= 0 || q <= 0)
        return -INFINITY;
    long double lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - dev_term(x, np, x - np) -
                     dev_term(n - x, nq, (n - x) - nq);
    long double lf = LN_2PI + logl(x) + logl(n - x) - logl(n);
    return lc - lf / 2;
}

/* ln P(X = x) for X hypergeometric: c1 draws from r1 + r2 items of which r1 are
 * marked, as a ratio of binomials with p = c1 / (r1 + r2) (Loader 2000). */
static long double ldhyper(uint64_t x, uint64_t r1, uint64_t r2, uint64_t c1)
{
    long double t = (long double)r1 + r2;
    long double p = c1 / t, q = (t - c1) / t;
    long double lp1 = ldbinom(x, r1, p, q, r1 * p, r1 * q);
    long double lp2 = ldbinom(c1 - x, r2, p, q, r2 * p, r2 * q);
    long double lp3 = ldbinom(c1, t, p, q, c1, t - c1);
    return lp1 + lp2 - lp3;
}

double tp_fisher_upper(uint64_t k, uint64_t r1, uint64_t r2, uint64_t c1)
{
    uint64_t total = r1 + r2;
    if (c1 > total)
        return NAN;
    uint64_t lo = c1 > r2 ? c1 - r2 : 0;
    uint64_t hi = c1 < r1 ? c1 : r1;
    if (k <= lo)
        return 1.0;
    if (k > hi)
        return 0.0;

    long double lr1 = r1, lc1 = c1, lr2 = r2;
    long double mean = lr1 * lc1 / ((long double)total);
    long double s = 1, t = 1, res;

    /* Sum the side of the distribution the tail lies on, from k outwards, with
     * the ratio of consecutive probabilities; the terms fall off fast past the
     * mode, so a few standard deviations of terms suffice. */
    if ((long double)k > mean) {
        for (uint64_t x = k; x < hi; x++) {
            long double lx = x;
            t *= (lr1 - lx) * (lc1 - lx) / ((lx + 1) * (lr2 - lc1 + lx + 1));
            s += t;
            if (t < TAIL_EPS * s)
                break;
        }
        res = expl(ldhyper(k, r1, r2, c1)) * s;
    } else {
        for (uint64_t x = k - 1; x > lo; x--) {
            long double lx = x;
            t *= lx * (lr2 - lc1 + lx) / ((lr1 - lx + 1) * (lc1 - lx + 1));
            s += t;
            if (t < TAIL_EPS * s)
                break;
        }
        res = 1 - expl(ldhyper(k - 1, r1, r2, c1)) * s;
    }
    if (res < 0)
        res = 0;
    if (res > 1)
        res = 1;
    return (double)res;
}

void tp_keyness_compute(uint64_t a, uint64_t b, uint64_t N1, uint64_t N2, struct tp_keyness *out)
{
    long double total = (long double)N1 + N2, ab = (long double)a + b;
    /* a - E1 = (a N2 - b N1) / (N1 + N2) = -(b - E2), exactly from integers. */
    long double delta = det_u64(a, N2, b, N1);
    long double dev = delta / total;
    long double e1 = N1 * ab / total, e2 = N2 * ab / total;
    long double g2 = 2 * (dev_term(a, e1, dev) + dev_term(b, e2, -dev));

    if (!(g2 > 0))
        g2 = 0;
    out->per_million_target = (double)((long double)a * 1e6L / N1);
    out->per_million_reference = (double)((long double)b * 1e6L / N2);
    out->log_likelihood = (double)g2;
    out->p_value = gsl_cdf_chisq_Q((double)g2, 1.0);
    out->log10_p = tp_chisq1_log10_q((double)g2);
    out->log_ratio = (double)log2l(((a + 0.5L) * N2) / ((b + 0.5L) * N1));
    /* (a/N1 - b/N2) * 100 / (b/N2) = 100 (a N2 - b N1) / (b N1) */
    out->percent_diff = b == 0 ? NAN : (double)(100 * delta / ((long double)b * N1));
    out->target = delta > 0;
}

struct bh_item {
    double p;
    size_t i;
};

static int bh_cmp(const void *pa, const void *pb)
{
    const struct bh_item *a = pa, *b = pb;

    if (a->p != b->p)
        return a->p < b->p ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* NaN p-values (none are expected) get NaN q-values and do not count in n,
 * as NA in R's p.adjust. */
int tp_bh_qvalues(const double *p, size_t n, double *q)
{
    struct bh_item *items;
    size_t m = 0;

    if (n == 0)
        return 0;
    if (n > SIZE_MAX / sizeof *items)
        return TP_ENOMEM;
    items = malloc(n * sizeof *items);
    if (!items)
        return TP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (isnan(p[i])) {
            q[i] = NAN;
            continue;
        }
        items[m].p = p[i];
        items[m].i = i;
        m++;
    }
    qsort(items, m, sizeof *items, bh_cmp);
    /* Step up from the largest p: the running minimum of p n / rank gives tied
     * p-values the value of the highest-ranked one, as R does. */
    double run = 1.0;
    for (size_t r = m; r >= 1; r--) {
        double v = items[r - 1].p * ((double)m / (double)r);
        if (v < run)
            run = v;
        q[items[r - 1].i] = run;
    }
    free(items);
    return 0;
}

/* Least squares of y on x; 0 or -1 when GSL fails or gives no finite fit. */
static int fit_line(const double *x, const double *y, size_t n, double *c0, double *c1)
{
    double cov00, cov01, cov11, sumsq;

    if (gsl_fit_linear(x, 1, y, 1, n, c0, c1, &cov00, &cov01, &cov11, &sumsq) != GSL_SUCCESS)
        return -1;
    if (!isfinite(*c0) || !isfinite(*c1))
        return -1;
    return 0;
}

/* Ranks from the first zero count on are left out (ln 0 has no place in the
 * fit). */
int tp_zipf_exponent(const uint64_t *counts_desc, size_t n, double *out)
{
    size_t m = 0;
    double c0, c1;

    *out = NAN;
    while (m < n && counts_desc[m] > 0)
        m++;
    if (m < 2)
        return 0;
    if (m > SIZE_MAX / (2 * sizeof(double)))
        return TP_ENOMEM;
    double *x = malloc(2 * m * sizeof *x);
    if (!x)
        return TP_ENOMEM;
    double *y = x + m;
    for (size_t i = 0; i < m; i++) {
        x[i] = log((double)(i + 1));
        y[i] = log((double)counts_desc[i]);
    }
    if (fit_line(x, y, m, &c0, &c1) == 0)
        *out = 0.0 - c1;
    free(x);
    return 0;
}

/* Checkpoints with zero tokens or types are skipped. 1 when GSL fails too. */
int tp_heaps_fit(const uint64_t *n_tokens, const uint64_t *n_types, size_t n, double *k,
                 double *beta)
{
    size_t m = 0;
    int distinct = 0, ret = 1;
    double c0, c1;

    if (n < 2)
        return 1;
    if (n > SIZE_MAX / (2 * sizeof(double)))
        return TP_ENOMEM;
    double *x = malloc(2 * n * sizeof *x);
    if (!x)
        return TP_ENOMEM;
    double *y = x + n;
    for (size_t i = 0; i < n; i++) {
        if (n_tokens[i] == 0 || n_types[i] == 0)
            continue;
        x[m] = log((double)n_tokens[i]);
        y[m] = log((double)n_types[i]);
        if (m > 0 && x[m] != x[0])
            distinct = 1;
        m++;
    }
    if (!distinct)
        goto out;
    if (fit_line(x, y, m, &c0, &c1) != 0)
        goto out;
    *k = exp(c0);
    *beta = c1;
    ret = 0;
out:
    free(x);
    return ret;
}
