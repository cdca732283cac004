/*
 * timeline.c - the statistics behind timeline.csv and trends.csv: exact
 * Poisson (Garwood) intervals for one period's count, and the trend of a
 * term's per-million series (Theil-Sen slope, Mann-Kendall test, Kendall's
 * tau-b). Pure functions on numbers; the timeline command does the counting.
 *
 * The Garwood bounds are gamma quantiles. GSL's own quantile functions give
 * NaN from k around 1e6, so we solve P(k, x) = p ourselves with a bracketed,
 * safeguarded Newton iteration on GSL's regularized incomplete gamma
 * function, and past k = 1e14, where that function loses digits, use the
 * Cornish-Fisher expansion, which is exact in double precision there.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_statistics_double.h>

#include "tempora.h"
#include "timeline.h"

#define TAIL 0.025             /* each tail of a 95% interval */
#define Z975 1.959963984540054 /* the standard normal quantile at 0.975 */
#define ASYMPTOTIC_K 1e14      /* from here the quantiles come from an expansion */

/*
 * The tail of the gamma(a, 1) distribution that the quantile search matches:
 * the lower tail P(a, x) when upper is 0, else the upper tail Q(a, x). Asking
 * for the tail we solve for, rather than 1 - the other one, keeps the 0.025
 * target away from cancellation. Returns a GSL status.
 */
static int gamma_tail(double a, double x, int upper, double *tail)
{
    gsl_sf_result r;
    int status;

    if (x <= 0.0) {
        *tail = upper ? 1.0 : 0.0;
        return GSL_SUCCESS;
    }
    if (upper && x <= 1e6) {
        status = gsl_sf_gamma_inc_Q_e(a, x, &r);
    } else if (upper) {
        /* Past x = 1e6 GSL's Q switches to an asymptotic series that does not
         * converge for a near x (GSL_EMAXITER, and an abort under the default
         * error handler); its P takes the continued fraction there. At that
         * scale the density times x is large, so the digits 1 - P cancels
         * move the quantile by far less than an ulp. */
        status = gsl_sf_gamma_inc_P_e(a, x, &r);
        r.val = 1.0 - r.val;
    } else {
        status = gsl_sf_gamma_inc_P_e(a, x, &r);
    }
    if (status != GSL_SUCCESS)
        return status;
    if (!isfinite(r.val))
        return GSL_EDOM;
    *tail = r.val;
    return GSL_SUCCESS;
}

/* The gamma(a, 1) density at x, through logarithms so that it neither
 * overflows nor underflows at a = 1e12; it only steers Newton steps, so the
 * few digits lgamma loses there do not reach the result. */
static double gamma_density(double a, double x)
{
    if (x <= 0.0)
        return 0.0;
    return exp((a - 1.0) * log(x) - x - gsl_sf_lngamma(a));
}

/*
 * The x with tail(a, x) = p: the lower tail when upper is 0, the upper tail
 * otherwise. Brackets the root around the mean a (both tails are monotone in
 * x), then narrows the bracket with Newton steps, falling back to bisection
 * whenever a step leaves it, until the bracket or the step reaches machine
 * precision. Returns 0, or -1 if GSL fails or no bracket is found.
 */
static int gamma_quantile(double a, double p, int upper, double *out)
{
    /* Lower tail grows with x, upper tail shrinks: sign turns both into
     * "increasing in x" so one bracketing rule serves both. */
    double sign = upper ? -1.0 : 1.0;
    double width = 10.0 * sqrt(a + 1.0) + 10.0;
    double lo = a - width, hi = a + width;
    double f_lo, f_hi, x, fx, t;
    int i;

    if (lo < 0.0)
        lo = 0.0;
    for (i = 0;; i++) {
        if (i == 64 || gamma_tail(a, lo, upper, &f_lo) != GSL_SUCCESS)
            return -1;
        if (sign * (f_lo - p) <= 0.0)
            break;
        if (lo == 0.0)
            return -1; /* the tail at 0 is already past p: p is not in (0, 1) */
        hi = lo;
        width *= 2.0;
        lo = lo - width < 0.0 ? 0.0 : lo - width;
    }
    for (i = 0;; i++) {
        if (i == 64 || gamma_tail(a, hi, upper, &f_hi) != GSL_SUCCESS)
            return -1;
        if (sign * (f_hi - p) >= 0.0)
            break;
        lo = hi;
        width *= 2.0;
        hi += width;
    }

    /* Start from the Wilson-Hilferty approximation, within a few percent of
     * the root for any shape, so Newton takes a handful of steps. */
    t = 1.0 - 1.0 / (9.0 * a) + (upper ? Z975 : -Z975) / (3.0 * sqrt(a));
    x = a * t * t * t;
    if (!(x > lo && x < hi))
        x = 0.5 * (lo + hi);
    for (i = 0; i < 200; i++) {
        double dens, step, next;

        if (gamma_tail(a, x, upper, &fx) != GSL_SUCCESS)
            return -1;
        if (fx == p)
            break;
        if (sign * (fx - p) < 0.0)
            lo = x;
        else
            hi = x;
        if (hi - lo <= 1e-15 * hi)
            break;

        /* Newton step on f(x) = sign * (tail - p), whose derivative is the
         * density. A step that leaves the bracket (far in a tail, where the
         * density is flat) falls back to bisection. */
        dens = gamma_density(a, x);
        step = dens > 0.0 ? sign * (fx - p) / dens : NAN;
        if (isfinite(step) && fabs(step) <= 1e-15 * x) {
            x -= step; /* converged: this correction is below what matters */
            break;
        }
        next = x - step;
        if (!(next > lo && next < hi))
            next = 0.5 * (lo + hi);
        if (next == lo || next == hi)
            break; /* no double left between the bracket's ends */
        x = next;
    }
    *out = x;
    return 0;
}

/*
 * The gamma(a, 1) quantile at the standard normal quantile z by the
 * Cornish-Fisher expansion. Its first omitted term is of order z^5 / a^1.5,
 * so from a = 1e14 on it is exact to the last bit, which is where GSL's
 * incomplete gamma function starts to lose digits (a few ulp by 2e15, nine
 * digits left at 2^53).
 */
static double gamma_quantile_asymptotic(double a, double z)
{
    double s = sqrt(a), z2 = z * z;

    return a + s * (z + (z2 - 1.0) / (3.0 * s) + (z2 * z - 7.0 * z) / (36.0 * a) -
                    (6.0 * z2 * z2 + 14.0 * z2 - 32.0) / (810.0 * a * s));
}

int tp_garwood(uint64_t k, double *lo, double *hi)
{
    double kd = (double)k;

    if (k == 0) {
        /* Q(1, x) = exp(-x): the upper bound has a closed form, and the
         * lower bound's chi-square has zero degrees of freedom. */
        *lo = 0.0;
        *hi = -log(TAIL);
        return 0;
    }
    if (kd >= ASYMPTOTIC_K) {
        *lo = gamma_quantile_asymptotic(kd, -Z975);
        *hi = gamma_quantile_asymptotic(kd + 1.0, Z975);
        return 0;
    }
    if (gamma_quantile(kd, TAIL, 0, lo) != 0)
        return -1;
    if (gamma_quantile(kd + 1.0, TAIL, 1, hi) != 0)
        return -1;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

int tp_trend_compute(const double *x, const double *y, size_t n, struct tp_trend *out)
{
    double *slopes = NULL, *sorted = NULL;
    double s = 0.0, var, ties_var = 0.0, ties_pairs = 0.0, n0, nd = (double)n;
    size_t n_pairs, i, j, m = 0;
    int ret = 0;

    out->slope = NAN;
    out->tau = NAN;
    out->mk_s = 0.0;
    out->mk_var = 0.0;
    out->mk_z = 0.0;
    out->p_value = 1.0;
    out->direction = TP_FLAT;
    if (n < 2)
        return 0;

    if (n > SIZE_MAX / (n - 1) || n * (n - 1) / 2 > SIZE_MAX / sizeof(double))
        return TP_ENOMEM;
    n_pairs = n * (n - 1) / 2;
    slopes = malloc(n_pairs * sizeof(*slopes));
    sorted = malloc(n * sizeof(*sorted));
    if (!slopes || !sorted) {
        ret = TP_ENOMEM;
        goto out;
    }

    for (i = 0; i < n; i++) {
        for (j = i + 1; j < n; j++) {
            slopes[m++] = (y[j] - y[i]) / (x ? x[j] - x[i] : (double)(j - i));
            s += (y[j] > y[i]) - (y[j] < y[i]);
        }
    }
    /* gsl_stats_median reorders its input (quickselect) and averages the two
     * middle values of an even count, as scipy's theilslopes does. */
    out->slope = gsl_stats_median(slopes, 1, n_pairs);

    /* Tie groups of y: x is the index, so it has none. Values are compared
     * exactly on purpose: equal counts over equal totals give equal doubles. */
    memcpy(sorted, y, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_double);
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

    /* tau-b = S / sqrt((n0 - n1)(n0 - n2)) with n2 = 0 for the untied index. */
    n0 = nd * (nd - 1.0) / 2.0;
    if (n0 - ties_pairs > 0.0)
        out->tau = s / sqrt((n0 - ties_pairs) * n0);

out:
    free(slopes);
    free(sorted);
    return ret;
}
