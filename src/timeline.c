/*
 * timeline.c - the statistics behind timeline.csv: exact Poisson (Garwood)
 * intervals for one period's count (trend.c: the trends of trends.csv).
 * Pure functions on numbers; the timeline command does the counting.
 *
 * The Garwood bounds are gamma quantiles. GSL's own quantile functions give
 * NaN from k around 1e6, so we solve P(k, x) = p ourselves with a bracketed,
 * safeguarded Newton iteration on GSL's regularized incomplete gamma
 * function, and past k = 1e14, where that function loses digits, use the
 * Cornish-Fisher expansion, which is exact in double precision there.
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>

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

/* Garwood bounds of the small counts this thread has already solved: a
 * timeline asks for the same few counts in period after period, and twice
 * (table and chart). Same doubles, computed once. */
enum { GARWOOD_MEMO = 4096 };
static _Thread_local struct {
    double lo, hi;
    unsigned char known;
} garwood_memo[GARWOOD_MEMO];

static int garwood_solve(uint64_t k, double *lo, double *hi);

int tp_garwood(uint64_t k, double *lo, double *hi)
{
    int rc;

    if (k >= GARWOOD_MEMO)
        return garwood_solve(k, lo, hi);
    if (garwood_memo[k].known) {
        *lo = garwood_memo[k].lo;
        *hi = garwood_memo[k].hi;
        return 0;
    }
    rc = garwood_solve(k, lo, hi);
    if (rc == 0) {
        garwood_memo[k].lo = *lo;
        garwood_memo[k].hi = *hi;
        garwood_memo[k].known = 1;
    }
    return rc;
}

static int garwood_solve(uint64_t k, double *lo, double *hi)
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
