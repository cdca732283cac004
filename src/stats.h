/*
 * stats.h - the statistics of single rows: association measures of a word pair
 * (collocations), keyness of a term between two corpora, Benjamini-Hochberg
 * q-values, Fisher's exact test in log space, and the Zipf and Heaps fits of
 * the summary. Pure functions on counts: no I/O, no tables. The formulas are
 * the ones in README "Formulas"; GSL is used where it has the function.
 */
#ifndef TP_STATS_H
#define TP_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Association measures of the pair (w1, w2); see README for each formula. */
struct tp_assoc {
    double expected;       /* E = n1*n2*K/N */
    double pmi;            /* log2(n12/E) */
    double t_score;        /* (n12-E)/sqrt(n12) */
    double z_score;        /* (n12-E)/sqrt(E) */
    double log_likelihood; /* G2 over the 2x2 table */
    double chi2;           /* Pearson X2 over the same table, no continuity correction */
    double p_value;        /* gsl_cdf_chisq_Q(G2, 1) (may underflow to 0) */
    double log10_p;        /* log10 of p, finite when p underflows */
    double dice;           /* 2*n12/(n1+n2) */
    double log_dice;       /* 14 + log2(dice) */
    double mi3;            /* log2(n12^3/E) */
    double fisher_p;       /* one-sided P(X >= n12), only when asked for, else NAN */
};

/* Compute every measure for a pair seen n12 times with unigram counts n1, n2 in
 * a corpus of N tokens, counting w2 within `window` (K >= 1) tokens right of
 * w1. With K > 1 the 2x2 table is over the N*K window slots: O11 = n12,
 * O12 = n1*K - n12, O21 = n2*K - n12, O22 = N*K - n1*K - n2*K + n12.
 * Requires 1 <= n12, n1 >= 1, n2 >= 1, N >= 1. fisher != 0 fills fisher_p.
 * Never produces NaN for valid counts. */
void tp_assoc_compute(uint64_t n12, uint64_t n1, uint64_t n2, uint64_t N, unsigned window,
                      int fisher, struct tp_assoc *out);

/* The log_likelihood of tp_assoc_compute alone (the same value, bit for bit). */
double tp_assoc_g2(uint64_t n12, uint64_t n1, uint64_t n2, uint64_t N, unsigned window);

/* Bounds lo <= tp_assoc_g2(...) <= hi, from a cheaper estimate in double
 * (its logarithms log1p, not logl): collocations weigh every pair this way
 * and compute tp_assoc_g2 only for the pairs that may make the top. */
void tp_assoc_g2_bounds(uint64_t n12, uint64_t n1, uint64_t n2, uint64_t N, unsigned window,
                        double *lo, double *hi);

/* log10 of the upper tail of chi2(1) at g2 >= 0: log10(gsl_cdf_chisq_Q(g2, 1)),
 * computed as gsl_sf_log_erfc(sqrt(g2/2))/ln 10 so it stays finite. */
double tp_chisq1_log10_q(double g2);

/* One-sided Fisher exact test P(X >= k) for the hypergeometric X of a 2x2
 * table with row sums r1, r2, first column sum c1 (population r1 + r2), in
 * log space with Loader's saddle-point form of the binomial coefficients
 * (GSL's hypergeometric functions and gsl_sf_lnchoose take 32-bit unsigned
 * arguments): exact for 64-bit counts. Returns the probability in [0, 1]. */
double tp_fisher_upper(uint64_t k, uint64_t r1, uint64_t r2, uint64_t c1);

/* Keyness of a term with count a in the target (N1 tokens) and b in the
 * reference (N2 tokens). */
struct tp_keyness {
    double per_million_target;
    double per_million_reference;
    double log_likelihood; /* G2 = 2(a ln(a/E1) + b ln(b/E2)), 0 ln 0 = 0 */
    double p_value;        /* gsl_cdf_chisq_Q(G2, 1) */
    double log10_p;
    double log_ratio;    /* log2(((a+0.5)/N1)/((b+0.5)/N2)) */
    double percent_diff; /* (a/N1 - b/N2)*100/(b/N2); NAN when b == 0 */
    int target;          /* 1: relatively more frequent in the target (a/N1 > b/N2) */
};

/* Requires N1 >= 1, N2 >= 1, a + b >= 1. */
void tp_keyness_compute(uint64_t a, uint64_t b, uint64_t N1, uint64_t N2, struct tp_keyness *out);

/* Benjamini-Hochberg adjusted p-values: q[i] = min over j with p[j] >= p[i] of
 * p[j]*n/rank(j), capped at 1 (the step-up procedure as in R's p.adjust "BH").
 * p and q may not alias. Returns 0 or TP_ENOMEM. */
int tp_bh_qvalues(const double *p, size_t n, double *q);

/* Zipf exponent: minus the least-squares slope (gsl_fit_linear) of ln count on
 * ln rank, for counts sorted in decreasing order (rank i+1 for counts[i]),
 * in *out: NAN when fewer than 2 ranks. Returns 0, or TP_ENOMEM (then no
 * value: out of memory is not "no exponent"). */
int tp_zipf_exponent(const uint64_t *counts_desc, size_t n, double *out);

/* Heaps' law V = k * n^beta by least squares of ln V on ln n over the given
 * (tokens, types) checkpoints. Returns 0 and fills k and beta, 1 when there
 * is no fit (fewer than 2 distinct n), or TP_ENOMEM. */
int tp_heaps_fit(const uint64_t *n_tokens, const uint64_t *n_types, size_t n, double *k,
                 double *beta);

#endif
