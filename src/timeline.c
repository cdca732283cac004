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

/*
 * Trends in O(n log n).
 *
 * Every statistic of a trend comes from comparing the pairwise slopes
 * s_ij = (y_j - y_i) / (x_j - x_i), i < j, with a value t. With the key
 * K_i(t) = y_i - t x_i, s_ij < t exactly when K_j(t) < K_i(t): the pairs below t
 * are the inversions of the keys in x order, counted by a merge sort (Knight's
 * method for Kendall's tau). At t = 0 the keys are the values themselves, which
 * gives the Mann-Kendall S and the tie groups.
 *
 * The Theil-Sen slope is the median of the slopes as the quadratic definition
 * computes them, c_ij = fl(fl(y_j - y_i) / (x_j - x_i)), which are not the exact
 * s_ij. The selection narrows an interval (lo, hi) of exact slopes around the
 * wanted ranks, with pivots drawn at random from the pairs inside it, until few
 * pairs are left; those are listed, their c_ij computed like the definition,
 * and the wanted ranks selected among them. Pivots are rounded to G = 53 - bits(x span) significant
 * bits so that t (x_j - x_i) is a double for every pair: then s < t gives fl(y_j - y_i) <= t (x_j -
 * x_i) and c <= t, s = t gives c = t, s > t gives c >= t, so the pairs at or below lo come first
 * among the c's, then the listed ones, then those at or above hi, and the ranks carry over exactly.
 * K_i(t) is kept exactly as a double-double (y_i - t x_i by TwoSum, t x_i being exact), so counts
 * are exact.
 */

struct item {
    double hi, lo; /* K_i(t) exactly, hi = fl(hi + lo): ordered by (hi, lo) */
    size_t i;
};

struct trend_work {
    size_t n;
    const double *x, *y; /* borrowed */
    double *xr;          /* x_i - x_0 (the index i without x) */
    struct item *item, *item_tmp;
    size_t *lo_order, *hi_order; /* the indices by K(lo) and by K(hi), see band_order */
    size_t *a, *b, *tmp;         /* a band's first order, and merge sort buffers */
    size_t *rank, *pos;          /* a band's ranks, and the position of each rank */
    uint64_t *cum;               /* per-position inversions, then their prefix sums */
    uint64_t *fen;               /* a Fenwick tree over ranks (1-based) */
    uint64_t rng;
    int g_bits; /* significant bits a pivot may have */
};

static int item_lt(const struct item *a, const struct item *b)
{
    return a->hi < b->hi || (a->hi == b->hi && a->lo < b->lo);
}

static int item_eq(const struct item *a, const struct item *b)
{
    return a->hi == b->hi && a->lo == b->lo;
}

/* w->item[i] = K_i(t) = y_i - t xr_i for every i, in index order, exactly: t xr_i
 * is a double (t has at most g_bits significant bits), and TwoSum gives the
 * sum and its rounding error. */
static void make_keys(struct trend_work *w, double t)
{
    for (size_t i = 0; i < w->n; i++) {
        double a = w->y[i], b = -(t * w->xr[i]);
        double s = a + b, bb = s - a;

        w->item[i].hi = s;
        w->item[i].lo = (a - (s - bb)) + (b - bb);
        w->item[i].i = i;
    }
}

/* Stable bottom-up merge sort of w->item (via w->item_tmp) by key. Returns the
 * number of pairs it puts the other way round, strictly: positions p < q with
 * key q below key p. */
static uint64_t sort_count(struct trend_work *w)
{
    size_t n = w->n;
    uint64_t inv = 0;
    struct item *src = w->item, *dst = w->item_tmp;

    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = mid + width < n ? mid + width : n;
            size_t i = lo, j = mid, k = lo;

            if (mid == hi || !item_lt(&src[mid], &src[mid - 1])) {
                memcpy(dst + lo, src + lo, (hi - lo) * sizeof(*dst)); /* already in order */
                continue;
            }
            while (i < mid && j < hi) {
                if (item_lt(&src[j], &src[i])) {
                    inv += mid - i;
                    dst[k++] = src[j++];
                } else {
                    dst[k++] = src[i++];
                }
            }
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        struct item *t = src;
        src = dst;
        dst = t;
    }
    if (src != w->item)
        memcpy(w->item, src, n * sizeof(*src));
    return inv;
}

/* The number of pairs with slope < t (*lt) and = t (*eq), exactly. Leaves
 * w->item sorted by K(t), equal keys in index order. */
static void count_at(struct trend_work *w, double t, uint64_t *lt, uint64_t *eq)
{
    size_t n = w->n;
    uint64_t e = 0;

    make_keys(w, t);
    *lt = sort_count(w);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && item_eq(&w->item[j], &w->item[i]); j++)
            ;
        e += (uint64_t)(j - i) * (j - i - 1) / 2;
    }
    *eq = e;
}

/* After count_at(t): keep its order as the band's lower end (equal keys in
 * index descending, as band_order wants) or upper end (index ascending). */
static void keep_order(struct trend_work *w, int upper)
{
    size_t n = w->n, *ord = upper ? w->hi_order : w->lo_order;

    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && item_eq(&w->item[j], &w->item[i]); j++)
            ;
        for (size_t k = i; k < j; k++)
            ord[k] = w->item[upper ? k : i + j - 1 - k].i;
    }
}

/* The slope of pair {i, j} computed as the definition does. */
static double pair_slope(const struct trend_work *w, size_t i, size_t j)
{
    if (i > j) {
        size_t t = i;
        i = j;
        j = t;
    }
    return (w->y[j] - w->y[i]) / (w->x ? w->x[j] - w->x[i] : (double)(j - i));
}

/*
 * The pairs with lo < slope < hi (no bound when has_lo / has_hi is 0) as the
 * inversions of one sequence: w->a gets the indices ordered by (K(lo), index
 * descending) (w->lo_order), in which i < j come in index order exactly when
 * s_ij > lo; each gets in w->rank its position in the order by (K(hi), index
 * ascending) (w->hi_order), where i < j keep their order exactly when s_ij >= hi. The pairs the two
 * orders disagree on are those with lo < s < hi (s <= lo and s >= hi cannot both hold). w->pos maps
 * a rank back to its position in w->a.
 */
static void band_order(struct trend_work *w, int has_lo, int has_hi)
{
    size_t n = w->n;

    for (size_t p = 0; p < n; p++)
        w->a[p] = has_lo ? w->lo_order[p] : p;
    for (size_t p = 0; p < n; p++)
        w->pos[has_hi ? w->hi_order[p] : n - 1 - p] = p; /* the rank of each index */
    for (size_t p = 0; p < n; p++)
        w->rank[p] = w->pos[w->a[p]];
    for (size_t p = 0; p < n; p++)
        w->pos[w->rank[p]] = p;
}

static void fen_add(uint64_t *fen, size_t n, size_t v)
{
    for (v++; v <= n; v += v & -v)
        fen[v]++;
}

/* The number of ranks < v present. */
static uint64_t fen_below(const uint64_t *fen, size_t v)
{
    uint64_t s = 0;

    for (; v > 0; v -= v & -v)
        s += fen[v];
    return s;
}

/* The present rank with exactly o present ranks below it. */
static size_t fen_kth(const uint64_t *fen, size_t n, uint64_t o)
{
    size_t v = 0, step = 1;

    while (step * 2 <= n)
        step *= 2;
    for (; step; step /= 2) {
        if (v + step <= n && fen[v + step] <= o) {
            v += step;
            o -= fen[v];
        }
    }
    return v; /* 0-based rank: ranks 0..v-1 hold o of them, v is the next */
}

static uint64_t next_random(uint64_t *state) /* splitmix64 */
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* A standard exponential draw. */
static double exp_draw(uint64_t *state)
{
    return -log(((double)(next_random(state) >> 11) + 0.5) * 0x1p-53);
}

/*
 * m slopes of pairs drawn uniformly from the band band_order set up (total
 * pairs), into out[0..m), using pick[0..m) as scratch. Inversion number r (in
 * the order: by position p, then by the rank of the later element) is found
 * from the per-position counts and a Fenwick tree of the ranks after p.
 */
static void sample_band(struct trend_work *w, uint64_t total, size_t m, uint64_t *pick, double *out)
{
    size_t n = w->n, s;
    uint64_t acc = 0;
    double sum = 0.0, scale;

    memset(w->fen, 0, (n + 1) * sizeof(*w->fen));
    for (size_t p = n; p-- > 0;) {
        w->cum[p] = fen_below(w->fen, w->rank[p]);
        fen_add(w->fen, n, w->rank[p]);
    }
    for (size_t p = 0; p < n; p++) { /* cum[p]: inversions at positions < p */
        uint64_t c = w->cum[p];
        w->cum[p] = acc;
        acc += c;
    }
    /* m sorted uniform draws from [0, total): the partial sums of m + 1
     * exponential spacings, scaled to total. */
    for (s = 0; s < m; s++) {
        sum += exp_draw(&w->rng);
        out[s] = sum;
    }
    sum += exp_draw(&w->rng);
    scale = (double)total / sum;
    for (s = 0; s < m; s++) {
        double v = floor(out[s] * scale);
        pick[s] = v < (double)total ? (uint64_t)v : total - 1;
    }

    memset(w->fen, 0, (n + 1) * sizeof(*w->fen));
    s = m;
    for (size_t p = n; p-- > 0;) {
        while (s > 0 && pick[s - 1] >= w->cum[p]) {
            size_t q = w->pos[fen_kth(w->fen, n, pick[s - 1] - w->cum[p])];
            out[--s] = pair_slope(w, w->a[p], w->a[q]);
        }
        fen_add(w->fen, n, w->rank[p]);
    }
}

/* A double's place in the order of doubles, as an unsigned integer. */
static uint64_t ordinal(double v)
{
    uint64_t b;

    if (v == 0.0)
        v = 0.0; /* -0 is 0 */
    memcpy(&b, &v, sizeof(b));
    return b >> 63 ? ~b : b | 0x8000000000000000u;
}

static double from_ordinal(uint64_t o)
{
    uint64_t b = o >> 63 ? o & 0x7fffffffffffffffu : ~o;
    double v;

    memcpy(&v, &b, sizeof(v));
    return v;
}

/* The slopes of every pair in the band band_order set up: into out (which has
 * room for them all), or when out is NULL counted in hist[ordinal(c) - base]
 * (hist has span + 1 counters; a slope outside them counts in none). Returns
 * the number of pairs seen, which is the band's. */
static uint64_t list_band(struct trend_work *w, double *out, uint64_t *hist, uint64_t base,
                          uint64_t span)
{
    size_t n = w->n, *src = w->b, *dst = w->tmp;
    uint64_t k = 0;

    for (size_t p = 0; p < n; p++)
        src[p] = p;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = mid + width < n ? mid + width : n;
            size_t i = lo, j = mid, d = lo;

            while (i < mid && j < hi) {
                if (w->rank[src[j]] < w->rank[src[i]]) {
                    for (size_t l = i; l < mid; l++, k++) {
                        double c = pair_slope(w, w->a[src[l]], w->a[src[j]]);

                        if (out)
                            out[k] = c;
                        else if (ordinal(c) - base <= span)
                            hist[ordinal(c) - base]++;
                    }
                    dst[d++] = src[j++];
                } else {
                    dst[d++] = src[i++];
                }
            }
            while (i < mid)
                dst[d++] = src[i++];
            while (j < hi)
                dst[d++] = src[j++];
        }
        size_t *t = src;
        src = dst;
        dst = t;
    }
    return k;
}

/* The value of rank k (0-based) among v[0..n), reordering v (quickselect). */
static double select_rank(double *v, uint64_t n, uint64_t k)
{
    uint64_t lo = 0, hi = n - 1;

    while (lo < hi) {
        double a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi], t;
        double pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
        uint64_t i = lo, j = hi;

        while (i <= j) { /* Hoare partition: v[lo..j] <= pivot <= v[i..hi] */
            while (v[i] < pivot)
                i++;
            while (pivot < v[j])
                j--;
            if (i <= j) {
                t = v[i], v[i] = v[j], v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k]; /* between j and i: equal to the pivot */
    }
    return v[k];
}

/* t rounded to g significant bits, down (dir < 0) or up; 0 below 2^-960, where
 * a pivot would not keep t x exact. */
static double grid_round(double t, int g, int dir)
{
    int e;
    double m;

    if (fabs(t) < 0x1p-960)
        return 0.0;
    m = ldexp(frexp(t, &e), g);
    return ldexp(dir < 0 ? floor(m) : ceil(m), e - g);
}

/* Fewest pairs left in the band before they are listed. */
static uint64_t band_cap(size_t n)
{
    return 4 * (uint64_t)n + 1024;
}

/*
 * The Theil-Sen slope: the order statistics (N-1)/2 and N/2 of the N slopes
 * (the same one when N is odd), combined by gsl_stats_median as the
 * definition is. Returns 0 or TP_ENOMEM.
 */
static int theil_sen(struct trend_work *w, double *slope)
{
    uint64_t n = w->n, n_pairs = n * (n - 1) / 2;
    uint64_t want[2] = {(n_pairs - 1) / 2, n_pairs / 2}, le_lo = 0, lt_hi = n_pairs;
    double got[2] = {NAN, NAN}, lo = 0.0, hi = 0.0, *samples = NULL, *band = NULL;
    uint64_t *pick = NULL;
    int done[2] = {0, 0}, has_lo = 0, has_hi = 0, ret = 0;
    size_t m = n < 64 ? 64 : n > 8192 ? 8192 : (size_t)n;

    samples = malloc(m * sizeof(*samples));
    pick = malloc(m * sizeof(*pick));
    if (!samples || !pick) {
        ret = TP_ENOMEM;
        goto out;
    }
    /* Invariant: the pending ranks lie in [le_lo, lt_hi), the pairs strictly
     * between lo and hi. */
    for (int iter = 0; iter < 200 && lt_hi - le_lo > band_cap(n) && !(done[0] && done[1]); iter++) {
        uint64_t total = lt_hi - le_lo, k0 = done[0] ? want[1] : want[0];
        uint64_t k1 = done[1] ? want[0] : want[1];
        double centre, spread = 2.0 * sqrt((double)m) + 1.0, cand[2];
        long i0, i1;
        int progress = 0;

        band_order(w, has_lo, has_hi);
        sample_band(w, total, m, pick, samples);
        centre =
            ((double)(k0 - le_lo) + (double)(k1 - le_lo) + 1.0) / 2.0 / (double)total * (double)m;
        /* The samples some way below and above the wanted rank's place (the
         * extreme ones when that falls outside), rounded outwards. */
        i0 = (long)floor(centre - spread);
        i1 = (long)ceil(centre + spread);
        i0 = i0 < 0 ? 0 : i0;
        i1 = i1 >= (long)m ? (long)m - 1 : i1;
        cand[0] = grid_round(select_rank(samples, m, (uint64_t)i0), w->g_bits, -1);
        cand[1] = grid_round(select_rank(samples, m, (uint64_t)i1), w->g_bits, 1);
        for (int c = 0; c < 2 && !(done[0] && done[1]); c++) {
            double t = cand[c];
            uint64_t lt, eq;

            if ((has_lo && t <= lo) || (has_hi && t >= hi) || (c == 1 && t == cand[0]))
                continue;
            count_at(w, t, &lt, &eq);
            progress = 1;
            if (lt + eq <= (done[0] ? want[1] : want[0])) {
                has_lo = 1, lo = t, le_lo = lt + eq;
                keep_order(w, 0);
            } else if (lt > (done[1] ? want[0] : want[1])) {
                has_hi = 1, hi = t, lt_hi = lt;
                keep_order(w, 1);
            } else {
                /* t's own pairs hold a pending rank: that rank's slope is t. */
                for (int r = 0; r < 2; r++) {
                    if (!done[r] && lt <= want[r] && want[r] < lt + eq) {
                        got[r] = t;
                        done[r] = 1;
                    }
                }
                if (!done[0]) { /* the other rank is below t */
                    has_hi = 1, hi = t, lt_hi = lt;
                    keep_order(w, 1);
                } else if (!done[1]) {
                    has_lo = 1, lo = t, le_lo = lt + eq;
                    keep_order(w, 0);
                }
            }
        }
        if (!progress)
            break; /* the band's slopes all round to one pivot: list them */
    }
    if (!(done[0] && done[1])) {
        uint64_t total = lt_hi - le_lo, base = 0, span = 0;

        band_order(w, has_lo, has_hi);
        if (total > 2 * band_cap(n) && has_lo && has_hi)
            base = ordinal(lo), span = ordinal(hi) - base;
        if (span && span < total / 2 && span < SIZE_MAX / sizeof(*band)) {
            /* Slopes that nearly all agree (a linear series of inexact steps)
             * leave many pairs between two neighbouring pivots. Their c lie in
             * [lo, hi], which holds few doubles: count each double's pairs
             * rather than hold every pair. */
            uint64_t *hist = calloc(span + 1, sizeof(*hist)), seen = 0;

            if (!hist) {
                ret = TP_ENOMEM;
                goto out;
            }
            if (list_band(w, NULL, hist, base, span) != total)
                ret = TP_EINTERNAL;
            for (uint64_t o = 0; o <= span && ret == 0; o++) {
                for (int r = 0; r < 2; r++)
                    if (!done[r] && want[r] - le_lo < seen + hist[o])
                        got[r] = from_ordinal(base + o), done[r] = 1;
                seen += hist[o];
            }
            free(hist);
            if (ret == 0 && !(done[0] && done[1]))
                ret = TP_EINTERNAL; /* a slope outside [lo, hi]: cannot happen */
            if (ret)
                goto out;
        } else {
            if (total > SIZE_MAX / sizeof(*band) || !(band = malloc(total * sizeof(*band)))) {
                ret = TP_ENOMEM;
                goto out;
            }
            if (list_band(w, band, NULL, 0, 0) != total) {
                ret = TP_EINTERNAL;
                goto out;
            }
            for (int r = 0; r < 2; r++)
                if (!done[r])
                    got[r] = select_rank(band, total, want[r] - le_lo);
        }
    }
    *slope = want[0] == want[1] ? got[0] : gsl_stats_median(got, 1, 2);
out:
    free(samples);
    free(pick);
    free(band);
    return ret;
}

/* Whether y and x fit the exact method: finite y of magnitude at most 2^900
 * (so no difference or product overflows), x increasing whole numbers within
 * 2^40 of the first (so pivots keep at least 13 significant bits). */
static int trend_input_ok(const double *x, const double *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]) || fabs(y[i]) > 0x1p900)
            return 0;
        if (x && (x[i] != floor(x[i]) || fabs(x[i]) > 0x1p52 || fabs(x[i] - x[0]) > 0x1p40 ||
                  (i && !(x[i] > x[i - 1]))))
            return 0;
    }
    return 1;
}

int tp_trend_compute(const double *x, const double *y, size_t n, struct tp_trend *out)
{
    struct trend_work w = {0};
    double s, var, ties_var = 0.0, ties_pairs = 0.0, n0, nd = (double)n, span;
    uint64_t below, tied, n_pairs;
    int ret = 0, bits = 0;

    out->slope = NAN;
    out->tau = NAN;
    out->mk_s = 0.0;
    out->mk_var = 0.0;
    out->mk_z = 0.0;
    out->p_value = 1.0;
    out->direction = TP_FLAT;
    if (n < 2)
        return 0;
    if (!trend_input_ok(x, y, n))
        return TP_EDATA;
    if (n > SIZE_MAX / sizeof(struct item) - 1)
        return TP_ENOMEM;

    w.n = n;
    w.x = x;
    w.y = y;
    w.rng = 0x74656d706f7261u ^ n; /* fixed: the same input gives the same pivots */
    w.xr = malloc(n * sizeof(*w.xr));
    w.item = malloc(n * sizeof(*w.item));
    w.item_tmp = malloc(n * sizeof(*w.item_tmp));
    w.lo_order = malloc(n * sizeof(*w.lo_order));
    w.hi_order = malloc(n * sizeof(*w.hi_order));
    w.a = malloc(n * sizeof(*w.a));
    w.b = malloc(n * sizeof(*w.b));
    w.tmp = malloc(n * sizeof(*w.tmp));
    w.rank = malloc(n * sizeof(*w.rank));
    w.pos = malloc(n * sizeof(*w.pos));
    w.cum = malloc(n * sizeof(*w.cum));
    w.fen = malloc((n + 1) * sizeof(*w.fen));
    if (!w.xr || !w.item || !w.item_tmp || !w.lo_order || !w.hi_order || !w.a || !w.b || !w.tmp ||
        !w.rank || !w.pos || !w.cum || !w.fen) {
        ret = TP_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        w.xr[i] = x ? x[i] - x[0] : (double)i;
    for (span = w.xr[n - 1]; span >= 1.0; span /= 2.0)
        bits++;
    w.g_bits = 53 - bits;

    /* Mann-Kendall: at t = 0 the keys are the values; the pairs below are the
     * discordant ones, the tied ones have equal values. */
    count_at(&w, 0.0, &below, &tied);
    n_pairs = (uint64_t)n * (n - 1) / 2;
    s = (double)(n_pairs - below - tied) - (double)below;

    /* Tie groups of y, in increasing value as w.item holds them. Values are
     * compared exactly on purpose: equal counts over equal totals give equal
     * doubles. */
    for (size_t i = 0, j; i < n; i = j) {
        double t;

        for (j = i + 1; j < n && y[w.item[j].i] == y[w.item[i].i]; j++)
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

    ret = theil_sen(&w, &out->slope);
out:
    free(w.xr);
    free(w.item);
    free(w.item_tmp);
    free(w.lo_order);
    free(w.hi_order);
    free(w.a);
    free(w.b);
    free(w.tmp);
    free(w.rank);
    free(w.pos);
    free(w.cum);
    free(w.fen);
    return ret;
}
