/*
 * trend.c - the trend of a term's per-million series: the Theil-Sen slope,
 * the Mann-Kendall test and Kendall's tau-b, exactly as their quadratic
 * definitions give them, in O(n log n) (timeline.h, tp_trend_compute).
 * Pure functions on numbers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "tempora.h"
#include "timeline.h"

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
    double *samples;             /* Theil-Sen's samples of a band ... */
    uint64_t *pick;              /* ... and the ranks drawn */
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
static uint64_t sort_count(struct trend_work *w, size_t n)
{
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

/* The pairs of equal keys among item[0..n), sorted. */
static uint64_t tied_pairs(const struct item *item, size_t n)
{
    uint64_t e = 0;

    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && item_eq(&item[j], &item[i]); j++)
            ;
        e += (uint64_t)(j - i) * (j - i - 1) / 2;
    }
    return e;
}

/* The number of pairs with slope < t (*lt) and = t (*eq), exactly. Leaves
 * w->item sorted by K(t), equal keys in index order. */
static void count_at(struct trend_work *w, double t, uint64_t *lt, uint64_t *eq)
{
    make_keys(w, t);
    *lt = sort_count(w, w->n);
    *eq = tied_pairs(w->item, w->n);
}

/* count_at(0) for a series with z values equal to 0 (z >= 1): the pairs
 * of two zeros are tied, a zero after a positive value or before a negative
 * one is below; only the other values are sorted, into w->item[0..n - z)
 * (zero_layout then lays them out around the zeros as count_at leaves
 * them: K(0) is y, with the same (hi, lo) as make_keys gives). */
static void count_at_zero(struct trend_work *w, size_t z, uint64_t *lt, uint64_t *eq)
{
    size_t n = w->n, k = 0, zeros_before = 0;
    uint64_t below = 0;

    for (size_t i = 0; i < n; i++) {
        double y = w->y[i];

        if (y == 0.0) {
            zeros_before++;
            continue;
        }
        below += y > 0.0 ? z - zeros_before : zeros_before;
        w->item[k].hi = y;
        w->item[k].lo = 0.0;
        w->item[k++].i = i;
    }
    *lt = below + sort_count(w, k);
    *eq = (uint64_t)z * (z - 1) / 2 + tied_pairs(w->item, k);
}

/* After count_at_zero: w->item as count_at(0) leaves it, the k other values
 * sorted around the zeros (negative values, the zeros in index order,
 * positive values). */
static void zero_layout(struct trend_work *w, size_t k)
{
    size_t n = w->n, neg = 0, at;

    while (neg < k && w->item[neg].hi < 0.0)
        neg++;
    memcpy(w->item_tmp, w->item, neg * sizeof(*w->item));
    at = neg;
    for (size_t i = 0; i < n; i++)
        if (w->y[i] == 0.0)
            w->item_tmp[at++] = (struct item){0.0, 0.0, i};
    memcpy(w->item_tmp + at, w->item + neg, (k - neg) * sizeof(*w->item));
    memcpy(w->item, w->item_tmp, n * sizeof(*w->item));
}

/* Mann-Kendall's sums over the tie groups of y, in increasing value: those
 * of the sorted w->item[0..k) and, z > 0, a group of z zeros where 0 sorts
 * among them (between the negative and the positive values). Values are
 * compared exactly on purpose: equal counts over equal totals give equal
 * doubles. */
static void tie_sums(const struct trend_work *w, size_t k, size_t z, double *ties_var,
                     double *ties_pairs)
{
    const double *y = w->y;

    for (size_t i = 0, j; i < k || z; i = j) {
        double t;

        if (z && (i == k || y[w->item[i].i] > 0.0)) {
            t = (double)z, z = 0, j = i; /* the zeros' group, then on from i */
        } else {
            for (j = i + 1; j < k && y[w->item[j].i] == y[w->item[i].i]; j++)
                ;
            t = (double)(j - i);
        }
        *ties_var += t * (t - 1.0) * (2.0 * t + 5.0);
        *ties_pairs += t * (t - 1.0) / 2.0;
    }
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

/* Theil-Sen's samples of a band of a series of n. */
static size_t sample_size(size_t n)
{
    return n < 64 ? 64 : n > 8192 ? 8192 : n;
}

/* Theil-Sen's search for its two order statistics (want[0] and want[1], the
 * same when N is odd): the pending ranks lie in [le_lo, lt_hi), whose pairs
 * have slopes strictly between lo and hi (no bound while has_lo / has_hi is
 * 0). A pivot strictly between the two middle slopes splits them (split):
 * the band then follows want[0] alone, and want[1], the least slope above
 * split_t, has a band of its own once want[0] is found. */
struct ts_search {
    uint64_t want[2], le_lo, lt_hi, split_le;
    double got[2], lo, hi, split_t;
    int done[2], has_lo, has_hi, split;
};

/* The rank the band's lower end follows, and the one its upper end does. */
static uint64_t ts_k0(const struct ts_search *s)
{
    return s->done[0] ? s->want[1] : s->want[0];
}

static uint64_t ts_k1(const struct ts_search *s)
{
    return s->done[1] || s->split ? s->want[0] : s->want[1];
}

/* Take what count_at(t) found (lt pairs below t, eq at t; w->item in its
 * order) into s. */
static void ts_pivot(struct trend_work *w, struct ts_search *s, double t, uint64_t lt, uint64_t eq)
{
    if (lt + eq <= ts_k0(s)) {
        s->has_lo = 1, s->lo = t, s->le_lo = lt + eq;
        keep_order(w, 0);
        return;
    }
    if (lt > ts_k1(s)) {
        s->has_hi = 1, s->hi = t, s->lt_hi = lt;
        keep_order(w, 1);
        return;
    }
    /* t's own pairs hold a pending rank: that rank's slope is t. */
    for (int r = 0; r < 2; r++) {
        if (!s->done[r] && !(r == 1 && s->split) && lt <= s->want[r] && s->want[r] < lt + eq) {
            s->got[r] = t;
            s->done[r] = 1;
        }
    }
    if (!s->done[0] && !s->done[1] && !s->split) {
        /* want[0] below t, want[1] above it (eq is 0) */
        s->split = 1, s->split_t = t, s->split_le = lt + eq;
    }
    if (!s->done[0]) { /* the other rank is below t (or past the split) */
        s->has_hi = 1, s->hi = t, s->lt_hi = lt;
        keep_order(w, 1);
    } else if (!s->done[1]) {
        s->has_lo = 1, s->lo = t, s->le_lo = lt + eq;
        keep_order(w, 0);
    }
}

/*
 * The Theil-Sen slope: the order statistics (N-1)/2 and N/2 of the N slopes
 * (the same one when N is odd), combined by gsl_stats_median as the
 * definition is. below0 and tied0: the pairs with slope < 0 and = 0, as
 * count_at(0) found them, whose order w->item still holds. Returns 0,
 * TP_ENOMEM or TP_EINTERNAL.
 */
static int theil_sen(struct trend_work *w, uint64_t below0, uint64_t tied0, double *slope)
{
    uint64_t n = w->n, n_pairs = n * (n - 1) / 2;
    struct ts_search s = {
        .want = {(n_pairs - 1) / 2, n_pairs / 2}, .lt_hi = n_pairs, .got = {NAN, NAN}};
    double *samples = w->samples, *band = NULL;
    uint64_t *pick = w->pick;
    int ret = 0;
    size_t m = sample_size(n);

    /* The pivot 0 first, counted already (the caller found that it does not
     * hold both ranks) */
    ts_pivot(w, &s, 0.0, below0, tied0);
    for (int round = 0;; round++) {
        for (int iter = 0; iter < 200 && s.lt_hi - s.le_lo > band_cap(n) &&
                           !(s.done[0] && (s.done[1] || s.split));
             iter++) {
            uint64_t total = s.lt_hi - s.le_lo, k0 = ts_k0(&s), k1 = ts_k1(&s);
            double centre, spread = 2.0 * sqrt((double)m) + 1.0, cand[2];
            long i0, i1;
            int progress = 0;

            band_order(w, s.has_lo, s.has_hi);
            sample_band(w, total, m, pick, samples);
            centre = ((double)(k0 - s.le_lo) + (double)(k1 - s.le_lo) + 1.0) / 2.0 / (double)total *
                     (double)m;
            /* The samples some way below and above the wanted rank's place
             * (the extreme ones when that falls outside), rounded outwards. */
            i0 = (long)floor(centre - spread);
            i1 = (long)ceil(centre + spread);
            i0 = i0 < 0 ? 0 : i0;
            i1 = i1 >= (long)m ? (long)m - 1 : i1;
            cand[0] = grid_round(select_rank(samples, m, (uint64_t)i0), w->g_bits, -1);
            cand[1] = grid_round(select_rank(samples, m, (uint64_t)i1), w->g_bits, 1);
            for (int c = 0; c < 2 && !(s.done[0] && (s.done[1] || s.split)); c++) {
                double t = cand[c];
                uint64_t lt, eq;

                if ((s.has_lo && t <= s.lo) || (s.has_hi && t >= s.hi) || (c == 1 && t == cand[0]))
                    continue;
                count_at(w, t, &lt, &eq);
                progress = 1;
                ts_pivot(w, &s, t, lt, eq);
            }
            if (!progress)
                break; /* the band's slopes all round to one pivot: list them */
        }
        if (!(s.done[0] && (s.done[1] || s.split))) {
            /* the ranks pending within the band, from its pairs listed */
            uint64_t total = s.lt_hi - s.le_lo, base = 0, span = 0;

            band_order(w, s.has_lo, s.has_hi);
            if (total > 2 * band_cap(n) && s.has_lo && s.has_hi)
                base = ordinal(s.lo), span = ordinal(s.hi) - base;
            if (span && span < total / 2 && span < SIZE_MAX / sizeof(*band)) {
                /* Slopes that nearly all agree (a linear series of inexact
                 * steps) leave many pairs between two neighbouring pivots.
                 * Their c lie in [lo, hi], which holds few doubles: count
                 * each double's pairs rather than hold every pair. */
                uint64_t *hist = calloc(span + 1, sizeof(*hist)), seen = 0;

                if (!hist) {
                    ret = TP_ENOMEM;
                    goto out;
                }
                if (list_band(w, NULL, hist, base, span) != total)
                    ret = TP_EINTERNAL;
                for (uint64_t o = 0; o <= span && ret == 0; o++) {
                    for (int r = 0; r < 2; r++)
                        if (!s.done[r] && s.want[r] < s.lt_hi &&
                            s.want[r] - s.le_lo < seen + hist[o])
                            s.got[r] = from_ordinal(base + o), s.done[r] = 1;
                    seen += hist[o];
                }
                free(hist);
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
                    if (!s.done[r] && s.want[r] >= s.le_lo && s.want[r] < s.lt_hi)
                        s.got[r] = select_rank(band, total, s.want[r] - s.le_lo), s.done[r] = 1;
                free(band);
                band = NULL;
            }
            if (ret)
                goto out;
        }
        if (s.done[0] && s.done[1])
            break;
        if (!s.split || !s.done[0] || round) {
            ret = TP_EINTERNAL; /* a rank outside the band: cannot happen */
            goto out;
        }
        /* want[1] is the least slope above split_t: the band above it */
        uint64_t lt, eq;
        count_at(w, s.split_t, &lt, &eq);
        keep_order(w, 0);
        s.has_lo = 1, s.lo = s.split_t, s.le_lo = s.split_le;
        s.has_hi = 0, s.hi = 0.0, s.lt_hi = n_pairs;
        s.split = 0;
    }
    *slope = s.want[0] == s.want[1] ? s.got[0] : gsl_stats_median(s.got, 1, 2);
out:
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
        /* within 2^52 (NaN is not), a whole number is its integer's double */
        if (x && (!(fabs(x[i]) <= 0x1p52) || x[i] != (double)(int64_t)x[i] ||
                  fabs(x[i] - x[0]) > 0x1p40 || (i && !(x[i] > x[i - 1]))))
            return 0;
    }
    return 1;
}

/* w's arrays for its n in ws (grown when smaller). Returns 0 or -1. */
static int ws_carve(struct tp_trend_ws *ws, struct trend_work *w)
{
    size_t n = w->n, m = sample_size(n);
    /* by point: xr, item, item_tmp, cum, fen, the seven index arrays */
    size_t each =
        sizeof(double) + 2 * sizeof(struct item) + 2 * sizeof(uint64_t) + 7 * sizeof(size_t);
    size_t fixed = sizeof(uint64_t) + m * (sizeof(double) + sizeof(uint64_t)); /* fen[n], samples */
    if (n > (SIZE_MAX - fixed) / each)
        return -1; /* more than memory holds */
    size_t need = n * each + fixed;
    if (need > ws->cap) {
        void *b = realloc(ws->buf, need);
        if (!b)
            return -1;
        ws->buf = b;
        ws->cap = need;
    }
    char *p = ws->buf;
    /* every piece a multiple of 8 bytes: each stays aligned */
    w->item = (struct item *)p, p += n * sizeof(struct item);
    w->item_tmp = (struct item *)p, p += n * sizeof(struct item);
    w->xr = (double *)(void *)p, p += n * sizeof(double);
    w->samples = (double *)(void *)p, p += m * sizeof(double);
    w->pick = (uint64_t *)p, p += m * sizeof(uint64_t);
    w->cum = (uint64_t *)p, p += n * sizeof(uint64_t);
    w->fen = (uint64_t *)p, p += (n + 1) * sizeof(uint64_t);
    size_t **idx[] = {&w->lo_order, &w->hi_order, &w->a, &w->b, &w->tmp, &w->rank, &w->pos};
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        *idx[i] = (size_t *)p, p += n * sizeof(size_t);
    return 0;
}

void tp_trend_ws_free(struct tp_trend_ws *ws)
{
    free(ws->buf);
    ws->buf = NULL;
    ws->cap = 0;
}

/* The trend of a series too short for one. */
static void trend_none(struct tp_trend *out)
{
    out->slope = NAN;
    out->tau = NAN;
    out->mk_s = 0.0;
    out->mk_var = 0.0;
    out->mk_z = 0.0;
    out->p_value = 1.0;
    out->direction = TP_FLAT;
}

int tp_trend_compute(const double *x, const double *y, size_t n, struct tp_trend *out)
{
    struct tp_trend_ws ws = {0};
    if (!trend_input_ok(x, y, n)) {
        trend_none(out);
        return TP_EDATA;
    }
    int rc = tp_trend_compute_in(&ws, x, y, n, out);
    tp_trend_ws_free(&ws);
    return rc;
}

int tp_trend_compute_in(struct tp_trend_ws *ws, const double *x, const double *y, size_t n,
                        struct tp_trend *out)
{
    struct trend_work w = {0};
    double s, var, ties_var = 0.0, ties_pairs = 0.0, n0, nd = (double)n, span;
    uint64_t below, tied, n_pairs;
    int bits = 0;

    trend_none(out);
    if (n < 2)
        return 0;

    w.n = n;
    w.x = x;
    w.y = y;
    w.rng = 0x74656d706f7261u ^ n; /* fixed: the same input gives the same pivots */
    if (ws_carve(ws, &w))
        return TP_ENOMEM;
    /* before any count: make_keys reads xr at every t, 0 included (0 times
     * the scratch memory's old bytes is not 0 when they are a NaN) */
    for (size_t i = 0; i < n; i++)
        w.xr[i] = x ? x[i] - x[0] : (double)i;

    /* Mann-Kendall: at t = 0 the keys are the values; the pairs below are the
     * discordant ones, the tied ones have equal values. A series of counts
     * often has many zeros: only its other values are sorted. */
    size_t zeros = 0;

    for (size_t i = 0; i < n; i++)
        zeros += y[i] == 0.0;
    if (zeros < n / 4 || !zeros)
        zeros = 0;
    if (zeros)
        count_at_zero(&w, zeros, &below, &tied);
    else
        count_at(&w, 0.0, &below, &tied);
    n_pairs = (uint64_t)n * (n - 1) / 2;
    s = (double)(n_pairs - below - tied) - (double)below;
    tie_sums(&w, n - zeros, zeros, &ties_var, &ties_pairs);

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

    /* Theil-Sen: when both middle slopes are among the pairs with slope 0
     * (a mostly-zero series), the median is 0 */
    if (below <= (n_pairs - 1) / 2 && n_pairs / 2 < below + tied) {
        out->slope = 0.0;
        return 0;
    }
    if (zeros)
        zero_layout(&w, n - zeros);
    for (span = w.xr[n - 1]; span >= 1.0; span /= 2.0)
        bits++;
    w.g_bits = 53 - bits;
    return theil_sen(&w, below, tied, &out->slope);
}
