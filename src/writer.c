/*
 * writer.c - CSV output through temporary files (see writer.h).
 *
 * Live temporary files are registered in a fixed table so a signal handler
 * can unlink them (unlink is async-signal-safe) and an interrupted run leaves
 * earlier results untouched and no litter.
 */
#define _GNU_SOURCE /* sync_file_range */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "writer.h"

struct tp_out {
    FILE *f;
    char *path; /* final path, NULL for stdout */
    char *tmp;  /* temporary path */
    int flags;
    char sep;
    int n_cells; /* cells written in the current row */
    int failed;  /* a write failed */
    int err_no;
    int finished, published;
    int slot;   /* index in the signal cleanup table, or -1 */
    char *qbuf; /* quoting buffer */
    size_t qcap;
    char *mem; /* tp_out_open_mem: the rows written so far */
    size_t mem_len, mem_cap;
    int in_mem;
    FILE *spool;              /* ... and those past MEM_PART_MAX, in a temporary file */
    uint64_t written, synced; /* a file's bytes handed to stdio; sent to the disk */
    size_t b_len;             /* bytes in b */
    char b[1 << 16];
};

enum { MAX_LIVE = 64, MAX_PATH_LEN = 4096 };
static char live_paths[MAX_LIVE][MAX_PATH_LEN];
static volatile sig_atomic_t live_used[MAX_LIVE];

static int live_add(const char *p)
{
    if (strlen(p) >= MAX_PATH_LEN)
        return -1;
    for (int i = 0; i < MAX_LIVE; i++)
        if (!live_used[i]) {
            strcpy(live_paths[i], p);
            live_used[i] = 1;
            return i;
        }
    return -1;
}

static void on_signal(int sig)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (live_used[i])
            unlink(live_paths[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void tp_out_install_signal_cleanup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int tp_out_open(struct tp_out **out, const char *path, int flags, struct tp_error *err)
{
    struct tp_out *o = calloc(1, sizeof(*o));
    if (!o)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    o->flags = flags;
    o->sep = (flags & TP_OUT_EXCEL) ? ';' : ',';
    o->slot = -1;
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
    } else {
        const char *slash = strrchr(path, '/');
        size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
        const char *base = slash ? slash + 1 : path;
        size_t n = strlen(path) + 32;
        o->path = strdup(path);
        o->tmp = malloc(n);
        if (!o->path || !o->tmp) {
            tp_out_free(o);
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        }
        snprintf(o->tmp, n, "%.*s.%s.tmp.XXXXXX", (int)dir_len, path, base);
        int fd = mkstemp(o->tmp);
        if (fd < 0) {
            int e = errno;
            free(o->tmp);
            o->tmp = NULL;
            tp_out_free(o);
            return tp_error_set(err, TP_EIO, "%s: cannot create a file in its folder: %s", path,
                                strerror(e));
        }
        o->slot = live_add(o->tmp);
        /* mkstemp makes 0600 files; a table is an ordinary document. */
        mode_t um = umask(0);
        umask(um);
        fchmod(fd, 0666 & ~um);
        o->f = fdopen(fd, "w");
        if (!o->f) {
            close(fd);
            tp_out_free(o);
            return tp_error_set(err, TP_EIO, "%s: %s", path, strerror(errno));
        }
    }
    if ((flags & TP_OUT_EXCEL) && !(flags & TP_OUT_RAW)) {
        fputs("\xEF\xBB\xBF", o->f);
        o->written = 3;
    }
    *out = o;
    return 0;
}

int tp_out_open_mem(struct tp_out **out, int flags)
{
    struct tp_out *o = calloc(1, sizeof(*o));
    if (!o)
        return TP_ENOMEM;
    o->flags = flags;
    o->sep = (flags & TP_OUT_EXCEL) ? ';' : ',';
    o->slot = -1;
    o->in_mem = 1;
    *out = o;
    return 0;
}

static void drain(struct tp_out *o);

/* Bytes a memory part keeps in memory; the rest goes to a temporary file. */
enum { MEM_PART_MAX = 4 << 20 };

static void write_to(struct tp_out *o, FILE *f, const char *s, size_t n)
{
    if (fwrite(s, 1, n, f) != n) {
        o->failed = 1;
        o->err_no = errno;
    }
}

/* Bytes of a table file between two starts of its writeback. */
enum { SYNC_STEP = 4 << 20 };

/* Write s[0..n) where the table's bytes go (the file, or memory). */
static void emit(struct tp_out *o, const char *s, size_t n)
{
    if (!n || o->failed)
        return;
    if (!o->in_mem) {
        write_to(o, o->f, s, n);
        o->written += n;
#if defined(SYNC_FILE_RANGE_WRITE)
        /* A table is synced before it is renamed into place; starting the
         * disk's writes every few MiB, without waiting for them, leaves that
         * final fsync little to wait for. */
        if (o->path && o->written - o->synced >= SYNC_STEP && fflush(o->f) == 0) {
            sync_file_range(fileno(o->f), (off_t)o->synced, (off_t)(o->written - o->synced),
                            SYNC_FILE_RANGE_WRITE);
            o->synced = o->written;
        }
#endif
        return;
    }
    if (o->spool || o->mem_len + n > MEM_PART_MAX) {
        if (!o->spool && !(o->spool = tmpfile())) {
            o->failed = 1;
            o->err_no = errno;
            return;
        }
        write_to(o, o->spool, s, n);
        return;
    }
    if (o->mem_len + n > o->mem_cap) {
        size_t cap = o->mem_cap ? o->mem_cap : 1 << 16;
        while (cap < o->mem_len + n)
            cap *= 2;
        char *m = realloc(o->mem, cap);
        if (!m) {
            o->failed = 1;
            o->err_no = ENOMEM;
            return;
        }
        o->mem = m;
        o->mem_cap = cap;
    }
    memcpy(o->mem + o->mem_len, s, n);
    o->mem_len += n;
}

int tp_out_flags(const struct tp_out *o)
{
    return o->flags;
}

void tp_out_append(struct tp_out *dst, struct tp_out *src)
{
    drain(src);
    if (src->failed && !dst->failed) {
        dst->failed = 1;
        dst->err_no = src->err_no;
    }
    drain(dst);
    emit(dst, src->mem, src->mem_len);
    src->mem_len = 0;
    if (src->spool) {
        /* the part's own buffer carries the spooled bytes over */
        if (fflush(src->spool) != 0 || fseek(src->spool, 0, SEEK_SET) != 0) {
            dst->failed = 1;
            dst->err_no = errno;
        }
        size_t n;
        while (!dst->failed && (n = fread(src->b, 1, sizeof(src->b), src->spool)) > 0)
            emit(dst, src->b, n);
        if (ferror(src->spool) && !dst->failed) {
            dst->failed = 1;
            dst->err_no = EIO;
        }
        fclose(src->spool);
        src->spool = NULL;
    }
}

FILE *tp_out_file(struct tp_out *o)
{
    drain(o);
    return o->f;
}

/* Cells are gathered in our own buffer and handed to stdio in large blocks:
 * one locked fwrite per 64 KiB instead of one per cell. */
static void drain(struct tp_out *o)
{
    emit(o, o->b, o->b_len);
    o->b_len = 0;
}

static void put(struct tp_out *o, const char *s, size_t n)
{
    if (o->b_len + n > sizeof(o->b)) {
        drain(o);
        if (n > sizeof(o->b)) {
            emit(o, s, n);
            return;
        }
    }
    memcpy(o->b + o->b_len, s, n);
    o->b_len += n;
}

static void cell_start(struct tp_out *o)
{
    if (o->n_cells++)
        put(o, &o->sep, 1);
}

void tp_out_text(struct tp_out *o, const char *s, size_t len)
{
    cell_start(o);
    int prefix = (o->flags & TP_OUT_EXCEL) && len && strchr("=+-@\t\r", s[0]) != NULL;
    int quote = len && (s[0] == ' ' || s[len - 1] == ' ');
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == o->sep || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        if (prefix)
            put(o, "'", 1);
        put(o, s, len);
        return;
    }
    const char *src = s;
    size_t src_len = len;
    char *joined = NULL;
    if (prefix) {
        joined = malloc(len + 1);
        if (!joined) {
            o->failed = 1;
            o->err_no = ENOMEM;
            return;
        }
        joined[0] = '\'';
        memcpy(joined + 1, s, len);
        src = joined;
        src_len = len + 1;
    }
    size_t need = csv_write(NULL, 0, src, src_len);
    if (need > o->qcap) {
        char *q = realloc(o->qbuf, need);
        if (!q) {
            free(joined);
            o->failed = 1;
            o->err_no = ENOMEM;
            return;
        }
        o->qbuf = q;
        o->qcap = need;
    }
    csv_write(o->qbuf, o->qcap, src, src_len);
    put(o, o->qbuf, need);
    free(joined);
}

void tp_out_str(struct tp_out *o, const char *s)
{
    tp_out_text(o, s ? s : "", s ? strlen(s) : 0);
}

void tp_out_header(struct tp_out *o, const char *names)
{
    const char *p = names;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        tp_out_text(o, p, n);
        if (!c)
            break;
        p = c + 1;
    }
    tp_out_row_end(o);
}

/* Decimal digits of v, right-aligned ending at end; returns the first. */
static char *u64_digits(uint64_t v, char *end)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

void tp_out_u64(struct tp_out *o, uint64_t v)
{
    char buf[24];
    char *p = u64_digits(v, buf + sizeof(buf));
    cell_start(o);
    put(o, p, (size_t)(buf + sizeof(buf) - p));
}

void tp_out_i64(struct tp_out *o, int64_t v)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
    cell_start(o);
    put(o, buf, (size_t)n);
}

enum { NDIG = 25 }; /* digits printed once; rounding to 15-17 is done on them */

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

/* The p (16 or 17 at most) decimal digits of q (< 10^p) into d: the last
 * eight from q mod 10^8 and the rest from q / 10^8, both in 32 bits. */
static void put_digits(char *d, uint64_t q, int p)
{
    if (p <= 8) {
        put_digits32(d, (uint32_t)q, p);
        return;
    }
    put_digits32(d, (uint32_t)(q / 100000000u), p - 8);
    put_digits32(d + p - 8, (uint32_t)(q % 100000000u), 8);
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
    uint64_t X64 = (uint64_t)X; /* < 10^17: 64-bit division is enough */
    for (int p = 15; p <= 17; p++) {
        uint64_t div = pow10[17 - p];
        uint64_t q = X64 / div, rem = X64 % div;
        u128 lhs = 2 * (((u128)rem << s) + r), rhs = (u128)div << s;
        if (lhs > rhs || (lhs == rhs && (q & 1)))
            q++;
        /* candidate in units of X: q * div; distance to v in units of 2^-(s+2) */
        u128 c = (u128)q * div << (s + 2), x4 = num << 2;
        u128 dist = c > x4 ? c - x4 : x4 - c;
        /* half an ulp is 10^k / 2^(s+1) in X units, i.e. 2 * 10^k in these;
         * below a power of two the next double down is half as far */
        u128 half = 2 * p10k;
        if (c < x4 && m == (1ull << 52))
            half = p10k;
        if (dist < half || (dist == half && !(m & 1))) {
            int expo = 16 - k;
            if (q == pow10[p]) {
                q /= 10;
                expo++;
            }
            char d[20];
            put_digits(d, q, p);
            return write_g(buf, neg, d, p, expo);
        }
    }
    return 0;
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
        char *p = u64_digits((uint64_t)a, tmp + sizeof(tmp));
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

void tp_out_number(struct tp_out *o, const char *s, size_t n)
{
    cell_start(o);
    const char *dot = (o->flags & TP_OUT_EXCEL) ? memchr(s, '.', n) : NULL;
    if (!dot) {
        put(o, s, n);
        return;
    }
    put(o, s, (size_t)(dot - s));
    put(o, ",", 1);
    put(o, dot + 1, n - (size_t)(dot - s) - 1);
}

void tp_out_double(struct tp_out *o, double v)
{
    char buf[40];
    size_t n = tp_format_double(v, buf);
    tp_out_number(o, buf, n);
}

void tp_out_empty(struct tp_out *o)
{
    cell_start(o);
}

void tp_out_row_end(struct tp_out *o)
{
    put(o, "\n", 1);
    o->n_cells = 0;
}

int tp_out_finish(struct tp_out *o, struct tp_error *err)
{
    const char *name = o->path ? o->path : "standard output";
    if (o->finished)
        return 0;
    o->finished = 1;
    drain(o);
    if (fflush(o->f) != 0 && !o->failed) {
        o->failed = 1;
        o->err_no = errno;
    }
    if (ferror(o->f) && !o->failed) {
        o->failed = 1;
        o->err_no = EIO;
    }
    if (o->path) {
        if (!o->failed && fsync(fileno(o->f)) != 0 && errno != EINVAL && errno != EROFS) {
            o->failed = 1;
            o->err_no = errno;
        }
        if (fclose(o->f) != 0 && !o->failed) {
            o->failed = 1;
            o->err_no = errno;
        }
        o->f = NULL;
    }
    if (o->failed)
        return tp_error_set(err, TP_EIO, "%s: write failed: %s", name, strerror(o->err_no));
    return 0;
}

int tp_out_publish(struct tp_out *o, struct tp_error *err)
{
    if (!o->path || o->published)
        return 0;
    if (rename(o->tmp, o->path) != 0)
        return tp_error_set(err, TP_EIO, "%s: cannot rename into place: %s", o->path,
                            strerror(errno));
    o->published = 1;
    if (o->slot >= 0)
        live_used[o->slot] = 0;
    return 0;
}

void tp_out_free(struct tp_out *o)
{
    if (!o)
        return;
    if (o->path && o->f)
        fclose(o->f);
    if (o->tmp && !o->published)
        unlink(o->tmp);
    if (o->slot >= 0)
        live_used[o->slot] = 0;
    free(o->path);
    free(o->tmp);
    free(o->qbuf);
    free(o->mem);
    if (o->spool)
        fclose(o->spool);
    free(o);
}
