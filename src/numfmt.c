/*
 * numfmt.c - how tempora writes a number (see numfmt.h).
 *
 * A double becomes the shortest of 15, 16 or 17 significant digits that reads
 * back to it, in printf's %g layout. Three paths, fastest first: whole numbers
 * below 10^15 (their digits); format_fast, exact 128-bit integer arithmetic
 * for 1e-5 <= |v| < 2^53 (most of a table's shares and scores); and the
 * general path, one printf to 25 digits rounded again and checked with
 * strtod. All three give what printf("%.15g"/"%.16g"/"%.17g") + strtod
 * would choose; tests/unit/test_numfmt.c holds them to that.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

/* Decimal digits of v, right-aligned ending at end; returns the first. */
char *tp_u64_digits(uint64_t v, char *end)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

enum { NDIG = 25 }; /* digits printed once; rounding to 15-17 is done on them */
/* "-d." NDIG-1 digits "e-ddd" and the NUL fit the general path's buffer */
_Static_assert(NDIG + 8 <= 48, "en[48] holds a %.*e of NDIG digits");

/* Round the NDIG significant digits d[0..NDIG) to p digits (in place). Returns
 * 1 when the rounding carried into a new leading digit (the exponent grows), 0
 * otherwise, or -1 when the dropped digits are exactly 5000...: a tie that the
 * digits beyond NDIG decide, left to printf. */
static int round_digits(char *d, int p)
{
    int up = d[p] >= '5';
    if (d[p] == '5') {
        int rest = 0;
        for (int i = p + 1; i < NDIG; i++)
            rest |= d[i] != '0';
        if (!rest)
            return -1;
    }
    for (int i = p; i < NDIG; i++)
        d[i] = '0';
    for (int i = p - 1; up && i >= 0; i--) {
        if (d[i] == '9') {
            d[i] = '0';
        } else {
            d[i]++;
            up = 0;
        }
    }
    if (up) {
        memmove(d + 1, d, NDIG - 1);
        d[0] = '1';
        return 1;
    }
    return 0;
}

/* Write digits d[0..p) (no trailing zeros needed) with decimal exponent e the
 * way printf's %g does with precision p. */
static size_t write_g(char *buf, int neg, const char *d, int prec, int e)
{
    int p = prec;
    while (p > 1 && d[p - 1] == '0')
        p--;
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (e < -4 || e >= prec) {
        *o++ = d[0];
        if (p > 1) {
            *o++ = '.';
            memcpy(o, d + 1, (size_t)p - 1);
            o += p - 1;
        }
        o += sprintf(o, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (e < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > e; i--)
            *o++ = '0';
        memcpy(o, d, (size_t)p);
        o += p;
    } else {
        for (int i = 0; i <= e; i++)
            *o++ = i < p ? d[i] : '0';
        if (p > e + 1) {
            *o++ = '.';
            memcpy(o, d + e + 1, (size_t)(p - e - 1));
            o += p - e - 1;
        }
    }
    *o = '\0';
    return (size_t)(o - buf);
}

/* "00" "01" ... "99" */
static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/* The n (<= 9) decimal digits of v (< 10^n), two at a time, into d. */
static void put_digits32(char *d, uint32_t v, int n)
{
    int i = n;
    while (i >= 2) {
        memcpy(d + i - 2, digit_pairs + 2 * (v % 100), 2);
        v /= 100;
        i -= 2;
    }
    if (i)
        d[0] = (char)('0' + v);
}

/* The eight decimal digits of v (< 10^8) into d, two at a time, without a
 * loop. */
static void put_digits8(char *d, uint32_t v)
{
    uint32_t hi = v / 10000, lo = v % 10000;
    memcpy(d, digit_pairs + 2 * (hi / 100), 2);
    memcpy(d + 2, digit_pairs + 2 * (hi % 100), 2);
    memcpy(d + 4, digit_pairs + 2 * (lo / 100), 2);
    memcpy(d + 6, digit_pairs + 2 * (lo % 100), 2);
}

/* The p (16 or 17 at most) decimal digits of q (< 10^p) into d: the last
 * eight from q mod 10^8 and the rest from q / 10^8, both in 32 bits. */
static void put_digits(char *d, uint64_t q, int p)
{
    if (p <= 8) {
        put_digits32(d, (uint32_t)q, p);
        return;
    }
    put_digits32(d, (uint32_t)(q / 100000000u), p - 8);
    put_digits8(d + p - 8, (uint32_t)(q % 100000000u));
}

__extension__ typedef unsigned __int128 tp_u128;

/* What format_fast knows of v = m / 2^s: X = m 10^k / 2^s, its integer
 * part (17 digits) X64 and the remainder r < 2^s, num = m 10^k, p10k =
 * 10^k. */
struct fast_x {
    uint64_t X64;
    tp_u128 r, num, p10k;
    uint64_t m;
    int s, k, neg;
};

/* The p digits of X (div = 10^(17 - p)) written to buf when they read back
 * to v; returns the length, or 0. Inline so that div is a constant. */
static inline __attribute__((always_inline)) size_t fast_digits(const struct fast_x *x, int p,
                                                                uint64_t div, char *buf)
{
    const tp_u128 one = 1;
    uint64_t q = x->X64 / div, rem = x->X64 % div;
    /* round half to even: the dropped part is (rem + r / 2^s) / div of a
     * unit, r < 2^s; against one half, 2 rem decides unless it is div or
     * div - 1 */
    uint64_t twice = 2 * rem;
    int up;
    if (twice > div)
        up = 1;
    else if (twice + 1 < div)
        up = 0;
    else if (twice == div)
        up = x->r != 0 || (q & 1);
    else
        up = x->r > (one << (x->s - 1)) || (x->r == (one << (x->s - 1)) && (q & 1));
    q += (uint64_t)up;
    /* candidate in units of X: q * div; distance to v in units of 2^-(s+2) */
    tp_u128 c = (tp_u128)q * div << (x->s + 2), x4 = x->num << 2;
    tp_u128 dist = c > x4 ? c - x4 : x4 - c;
    /* half an ulp is 10^k / 2^(s+1) in X units, i.e. 2 * 10^k in these;
     * below a power of two the next double down is half as far */
    tp_u128 half = 2 * x->p10k;
    if (c < x4 && x->m == (1ull << 52))
        half = x->p10k;
    if (!(dist < half || (dist == half && !(x->m & 1))))
        return 0;
    int expo = 16 - x->k;
    static const uint64_t pow_p[] = {1000000000000000ull, 10000000000000000ull,
                                     100000000000000000ull}; /* 10^15, 10^16, 10^17 */
    if (q == pow_p[p - 15]) {
        q /= 10;
        expo++;
    }
    char d[20];
    put_digits(d, q, p);
    return write_g(buf, x->neg, d, p, expo);
}

/* The shortest of 15, 16, 17 significant digits that reads back to v, in
 * exact integer arithmetic, for the common case 1e-5 <= |v| < 2^53 with a
 * fractional binary exponent: v = m / 2^s exactly, and X = m * 10^k / 2^s has
 * 17 integer digits. Rounding X to p digits (half to even, as printf does) and
 * testing the candidate against half an ulp of v (ties to an even mantissa, as
 * strtod does) gives the same answer as printf + strtod without either.
 * Returns the length written, or 0 to leave v to the general path. */
static size_t format_fast(double v, char *buf)
{
    static const uint64_t pow10[] = {1ull,
                                     10ull,
                                     100ull,
                                     1000ull,
                                     10000ull,
                                     100000ull,
                                     1000000ull,
                                     10000000ull,
                                     100000000ull,
                                     1000000000ull,
                                     10000000000ull,
                                     100000000000ull,
                                     1000000000000ull,
                                     10000000000000ull,
                                     100000000000000ull,
                                     1000000000000000ull,
                                     10000000000000000ull,
                                     100000000000000000ull,
                                     1000000000000000000ull,
                                     10000000000000000000ull};
    int neg = v < 0;
    double a = neg ? -v : v;
    if (!(a >= 1e-5 && a < 9007199254740992.0))
        return 0;
    /* a = m * 2^(bexp - 53), m in [2^52, 2^53), read off the bits (a is
     * normal here) */
    uint64_t bits;
    memcpy(&bits, &a, sizeof(bits));
    int bexp = (int)(bits >> 52) - 1022;
    uint64_t m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    int s = 53 - bexp;
    if (s <= 0 || s > 68)
        return 0;
    /* floor(log10(a)) is floor((bexp - 1) log10 2) or one more: the loop
     * below moves k by one when X comes out a digit short or long.
     * 78913 / 2^18 is log10 2 to 6 digits, exact enough for |bexp| < 1650. */
    int e2 = bexp - 1;
    int e10 = e2 >= 0 ? (e2 * 78913) >> 18 : -((-e2 * 78913 + (1 << 18) - 1) >> 18);
    int k = 16 - e10;
    __extension__ typedef unsigned __int128 u128;
    u128 num = 0, X = 0, r = 0, one = 1;
    for (int tries = 0; tries < 3; tries++) {
        if (k < 0 || k > 21)
            return 0;
        /* num = m * 10^k, exact: 10^21 needs two 64-bit factors */
        num = (u128)m * (k > 19 ? pow10[19] : pow10[k]);
        if (k > 19)
            num *= pow10[k - 19];
        X = num >> s;
        r = num & ((one << s) - 1);
        if (X < pow10[16])
            k++;
        else if (X >= pow10[17])
            k--;
        else
            break;
    }
    if (X < pow10[16] || X >= pow10[17])
        return 0;
    u128 p10k = k > 19 ? (u128)pow10[19] * pow10[k - 19] : (u128)pow10[k];
    struct fast_x x = {(uint64_t)X, r, num, p10k, m, s, k, neg};
    /* each precision with its divisor a constant: a multiply, not a divide.
     * 16 digits first: most doubles a table writes need 16 or 17, so 15
     * is tried only when 16 reads back (a failed try leaves buf alone). */
    size_t n16 = fast_digits(&x, 16, 10, buf);
    if (n16) {
        size_t n15 = fast_digits(&x, 15, 100, buf);
        return n15 ? n15 : n16;
    }
    return fast_digits(&x, 17, 1, buf);
}

size_t tp_format_double(double v, char *buf)
{
    if (!isfinite(v)) {
        buf[0] = '\0';
        return 0;
    }
    if (v == 0) {
        strcpy(buf, "0");
        return 1;
    }
    double a = fabs(v);
    if (a < 1e15 && a == (double)(uint64_t)a) {
        /* a whole number below 10^15: its digits (what %.15g writes) */
        char tmp[24];
        char *p = tp_u64_digits((uint64_t)a, tmp + sizeof(tmp));
        size_t n = (size_t)(tmp + sizeof(tmp) - p), at = 0;
        if (v < 0)
            buf[at++] = '-';
        memcpy(buf + at, p, n);
        buf[at + n] = '\0';
        return at + n;
    }
    size_t fast = format_fast(v, buf);
    if (fast)
        return fast;
    /* One conversion to NDIG significant digits, correctly rounded by printf;
     * then the shortest of 15, 16 or 17 digits that reads back to v (each
     * check one strtod). Rounding the NDIG digits again gives what printf
     * would give at 15-17 digits except at an exact tie, left to printf. */
    char en[48];
    snprintf(en, sizeof(en), "%.*e", NDIG - 1, v);
    int neg = en[0] == '-';
    const char *m = en + neg;
    char digits[NDIG + 1], try[NDIG + 1];
    digits[0] = m[0];
    memcpy(digits + 1, m + 2, NDIG - 1);
    digits[NDIG] = '\0';
    int e = atoi(strchr(m, 'e') + 1);
    for (int p = 15; p <= 17; p++) {
        memcpy(try, digits, sizeof(try));
        int carry = round_digits(try, p);
        char back[48];
        size_t n;
        if (carry < 0)
            n = (size_t)snprintf(back, sizeof(back), "%.*g", p, v);
        else
            n = write_g(back, neg, try, p, e + carry);
        if (p == 17 || strtod(back, NULL) == v) {
            memcpy(buf, back, n + 1);
            return n;
        }
    }
    return 0;
}
