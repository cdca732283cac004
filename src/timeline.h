/*
 * timeline.h - the statistics of term timelines: exact Poisson (Garwood)
 * intervals for a count, and the trend of a series (Theil-Sen slope,
 * Mann-Kendall test, Kendall's tau-b). Pure functions: no I/O.
 */
#ifndef TP_TIMELINE_H
#define TP_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

/* Exact 95% Poisson interval of a count k: lo = chi2 quantile 0.025 at 2k / 2
 * (0 when k = 0), hi = chi2 quantile 0.975 at 2k+2 / 2. Correct for every k up
 * to 2^53 (Newton steps kept inside a bisection bracket on the gamma CDF, not GSL's quantile
 * functions, which return NaN from k around 1e6). Returns 0, or -1 if GSL fails. */
int tp_garwood(uint64_t k, double *lo, double *hi);

enum tp_direction { TP_FLAT = 0, TP_RISING = 1, TP_FALLING = -1 };

struct tp_trend {
    double slope;   /* Theil-Sen: median of (y[j]-y[i])/(j-i), i < j; NAN if n < 2 */
    double tau;     /* Kendall's tau-b of y against 0..n-1; NAN when undefined (n < 2 or
                       every y equal) */
    double mk_s;    /* Mann-Kendall S = sum over i<j of sign(y[j]-y[i]) */
    double mk_var;  /* Var(S) with the tie correction */
    double mk_z;    /* continuity corrected: (S-1)/sqrt(var) if S>0, (S+1)/sqrt(var) if S<0,
                       else 0; 0 when var = 0 */
    double p_value; /* two-sided normal p of mk_z: 2*Q(|z|); 1 when var = 0 */
    enum tp_direction direction; /* rising/falling if p_value < 0.05 (by the sign of S) */
};

/* Trend of y[0..n) against x[0..n) (increasing whole numbers, at most 2^40
 * apart; NULL: the index 0..n-1). Only the Theil-Sen slope depends on x's
 * values; the Mann-Kendall test and tau use its order. The slope is exactly
 * the median of the pairwise slopes (y[j]-y[i])/(x[j]-x[i]) as doubles, the
 * mean of the two middle ones (gsl_stats_median) when their number is even.
 * O(n log n) expected time and O(n) memory; a series whose pairwise slopes
 * nearly all agree to 12 digits without being equal (a linear series of
 * inexact steps) visits those pairs: quadratic time, memory O(n + x span).
 * Returns 0, TP_ENOMEM, or TP_EDATA when y is not finite or beyond 2^900 or
 * x is not as said. */
int tp_trend_compute(const double *x, const double *y, size_t n, struct tp_trend *out);

/* Scratch memory that tp_trend_compute_in keeps from one series to the
 * next (start it zeroed; tp_trend_ws_free releases it). */
struct tp_trend_ws {
    void *buf;
    size_t cap;
};
/* tp_trend_compute with its scratch memory in ws, for x and y known to be
 * as tp_trend_compute requires (not checked again: a caller's own periods
 * and per-million rates are). */
int tp_trend_compute_in(struct tp_trend_ws *ws, const double *x, const double *y, size_t n,
                        struct tp_trend *out);
void tp_trend_ws_free(struct tp_trend_ws *ws);

#endif
