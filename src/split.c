/*
 * split.c - cutting a large file into parts for the threads (see split.h).
 *
 * Where it sits: called by run_count.c before the workers start; reads the
 * file with pread (never mapped: a mapped file's pages would count in the
 * process's memory while it is scanned). Core data: struct share, one
 * thread's findings over its share of the file: its line feeds and quotes,
 * and the first line feed after an even and after an odd number of the
 * share's quotes. A cut for share k is then found without reading again:
 * the parity of the quotes of the shares before k says which of k's two
 * candidates is outside every quoted field; when k has none, the next share
 * is asked (a quoted field may hold newlines across a whole share).
 */
#define _DEFAULT_SOURCE
#include <emmintrin.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counts.h"
#include "split.h"

enum { SCAN_BUF = 1 << 17 };

struct share {
    int fd;
    uint64_t from, to; /* bytes [from, to) of the file */
    int quotes;        /* count quotes (CSV) */
    uint64_t n_quotes, n_lines;
    uint64_t at[2];    /* the first line feed after an even (0) / odd (1) count of
                          the share's quotes, UINT64_MAX: none */
    uint64_t lines[2]; /* line feeds of the share before at[p] */
    int failed;
};

/* The scan of s's bytes, read into buf (SCAN_BUF + 16 bytes). Inlined into
 * two callers, one built for the popcnt instruction: on the baseline x86-64
 * target __builtin_popcount is a library call per 16-byte block, 2% of a
 * JSONL run's CPU. */
static inline __attribute__((always_inline)) void scan_bytes(struct share *s, unsigned char *buf)
{
    const __m128i nl = _mm_set1_epi8('\n'), qu = _mm_set1_epi8('"');
    uint64_t q = 0, l = 0;
    for (uint64_t off = s->from; off < s->to;) {
        size_t want = s->to - off < SCAN_BUF ? (size_t)(s->to - off) : SCAN_BUF;
        ssize_t got = pread(s->fd, buf, want, (off_t)off);
        if (got <= 0) {
            s->failed = 1;
            break;
        }
        size_t n = (size_t)got;
        memset(buf + n, 0, 16); /* the last block's tail matches nothing */
        for (size_t i = 0; i < n; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(buf + i));
            unsigned mn = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl));
            unsigned mq = s->quotes ? (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, qu)) : 0;
            if (mn && (s->at[0] == UINT64_MAX || (s->quotes && s->at[1] == UINT64_MAX))) {
                for (unsigned m = mn; m; m &= m - 1) {
                    unsigned b = (unsigned)__builtin_ctz(m);
                    unsigned below = (1u << b) - 1;
                    unsigned p = (unsigned)((q + (uint64_t)__builtin_popcount(mq & below)) & 1);
                    if (s->at[p] == UINT64_MAX) {
                        s->at[p] = off + i + b;
                        s->lines[p] = l + (uint64_t)__builtin_popcount(mn & below);
                    }
                }
            }
            q += (uint64_t)__builtin_popcount(mq);
            l += (uint64_t)__builtin_popcount(mn);
        }
        off += n;
    }
    s->n_quotes = q;
    s->n_lines = l;
}

__attribute__((target("popcnt"))) static void scan_bytes_popcnt(struct share *s, unsigned char *buf)
{
    scan_bytes(s, buf);
}

static void scan_bytes_plain(struct share *s, unsigned char *buf)
{
    scan_bytes(s, buf);
}

/* Scan share s with buf (SCAN_BUF + 16 bytes). */
static void scan_share(struct share *s, unsigned char *buf)
{
    s->at[0] = s->at[1] = UINT64_MAX;
    if (__builtin_cpu_supports("popcnt"))
        scan_bytes_popcnt(s, buf);
    else
        scan_bytes_plain(s, buf);
}

/* Where the CSV header row ends: after the first line feed outside quotes
 * that follows a byte other than a blank (a cut before it would give a later
 * part the header as a row). UINT64_MAX when it cannot be read. */
static uint64_t header_end(int fd, uint64_t size)
{
    unsigned char buf[4096];
    int seen = 0;
    uint64_t q = 0;
    for (uint64_t off = 0; off < size;) {
        ssize_t got = pread(fd, buf, sizeof(buf), (off_t)off);
        if (got <= 0)
            return UINT64_MAX;
        for (ssize_t i = 0; i < got; i++) {
            unsigned char c = buf[i];
            q += c == '"';
            if (c == '\n' && seen && !(q & 1))
                return off + (uint64_t)i + 1;
            seen |= c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v';
        }
        off += (uint64_t)got;
    }
    return size;
}

/* The old way for one document: the first line feed past each goal, read
 * with small preads; no line numbers. */
static unsigned split_text(int fd, uint64_t size, unsigned n, uint64_t *start)
{
    unsigned char buf[4096];
    unsigned k = 1;
    start[0] = 0;
    uint64_t at = 0;
    while (k < n && at < size) {
        uint64_t goal = size / n * k;
        if (at < goal)
            at = goal;
        ssize_t got = pread(fd, buf, sizeof(buf), (off_t)at);
        if (got <= 0)
            return 0;
        const unsigned char *nl = memchr(buf, '\n', (size_t)got);
        at += nl ? (uint64_t)(nl - buf) + 1 : (uint64_t)got;
        if (nl && at < size)
            start[k++] = at;
    }
    return k;
}

/* The shares of a scan, taken in turn by its threads (a thread on a slower
 * core takes fewer). */
struct shares {
    struct share *sh;
    size_t n;
    size_t next; /* the next share to take (__atomic) */
};

static void *scan_shares(void *arg)
{
    struct shares *s = arg;
    unsigned char *buf = malloc(SCAN_BUF + 16);
    for (size_t i; (i = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED)) < s->n;) {
        if (buf)
            scan_share(&s->sh[i], buf);
        else
            s->sh[i].failed = 1;
    }
    free(buf);
    return NULL;
}

/* Shares per thread: one a grain (TP_SPLIT_GRAIN unless asked) or more, at
 * most SHARES_MAX. */
enum { SHARES_MAX = 64 };

unsigned tp_split_file(const char *path, uint64_t size, unsigned n, enum tp_split_kind kind,
                       uint64_t *start, uint64_t *len, unsigned long *line, struct tp_cuts *cuts)
{
    uint64_t grain = cuts && cuts->grain ? cuts->grain : TP_SPLIT_GRAIN;
    if (cuts)
        *cuts = (struct tp_cuts){.grain = grain};
    if (size == 0 || n == 0)
        return 0;
    if (n > TP_MAX_THREADS)
        n = TP_MAX_THREADS;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    unsigned k = 0;
    if (kind == TP_SPLIT_TEXT) {
        k = split_text(fd, size, n, start);
        for (unsigned i = 0; i < k; i++)
            line[i] = 0;
        goto lens;
    }
    /* m shares per thread (1 without cuts asked for), S in all */
    uint64_t per = size / n / grain;
    size_t m = !cuts ? 1 : per < 1 ? 1 : per > SHARES_MAX ? SHARES_MAX : (size_t)per;
    size_t S = (size_t)n * m;
    struct share *sh = calloc(S, sizeof(*sh));
    uint64_t *q_before = malloc((S + 1) * sizeof(*q_before));
    uint64_t *l_before = malloc((S + 1) * sizeof(*l_before));
    size_t *cut_share = malloc(S * sizeof(*cut_share));
    if (!sh || !q_before || !l_before || !cut_share)
        goto done;
    for (size_t i = 0; i < S; i++)
        sh[i] = (struct share){.fd = fd,
                               .from = size / S * i,
                               .to = i + 1 < S ? size / S * (i + 1) : size,
                               .quotes = kind == TP_SPLIT_CSV};
    struct shares all = {sh, S, 0};
    pthread_t tid[TP_MAX_THREADS];
    int started[TP_MAX_THREADS] = {0};
    for (unsigned t = 1; t < n; t++)
        started[t] = pthread_create(&tid[t], NULL, scan_shares, &all) == 0;
    scan_shares(&all);
    for (unsigned t = 1; t < n; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
    int failed = 0;
    for (size_t i = 0; i < S; i++)
        failed |= sh[i].failed;
    uint64_t min = kind == TP_SPLIT_CSV ? header_end(fd, size) : 0;
    if (failed || min == UINT64_MAX)
        goto done;
    /* quotes and line feeds before each share; then, from the last share
     * back, the first share at or after i that holds a cut: a line feed
     * after an even number of the file's quotes (S: none) */
    q_before[0] = l_before[0] = 0;
    for (size_t i = 0; i < S; i++) {
        q_before[i + 1] = q_before[i] + sh[i].n_quotes;
        l_before[i + 1] = l_before[i] + sh[i].n_lines;
    }
    for (size_t i = S, next = S; i-- > 0;) {
        if (sh[i].at[q_before[i] & 1] != UINT64_MAX)
            next = i;
        cut_share[i] = next;
    }
    if (cuts && S > 1 && !(cuts->at = malloc((S - 1) * sizeof(*cuts->at))))
        goto done;
    if (cuts && S > 1 && !(cuts->line = malloc((S - 1) * sizeof(*cuts->line)))) {
        free(cuts->at);
        cuts->at = NULL;
        goto done;
    }
    start[0] = 0;
    line[0] = 1;
    k = 1;
    uint64_t last = 0;
    for (size_t i = 1; i < S; i++) {
        size_t j = cut_share[i];
        if (j == S)
            break;
        unsigned p = (unsigned)(q_before[j] & 1);
        /* not inside the header */
        uint64_t c = sh[j].at[p] + 1;
        if (c < min || c >= size)
            continue;
        unsigned long ln = (unsigned long)(l_before[j] + sh[j].lines[p] + 2);
        if (cuts && c > last) {
            cuts->at[cuts->n] = c;
            cuts->line[cuts->n++] = ln;
        }
        last = c;
        /* a part starts at the first cut of each thread's shares, unless
         * that is the cut of the part before */
        if (i % m == 0 && k < n && c > start[k - 1]) {
            start[k] = c;
            line[k] = ln;
            k++;
        }
    }
done:
    free(sh);
    free(q_before);
    free(l_before);
    free(cut_share);
lens:
    close(fd);
    for (unsigned i = 0; i < k; i++)
        len[i] = (i + 1 < k ? start[i + 1] : size) - start[i];
    return k;
}

void tp_cuts_free(struct tp_cuts *cuts)
{
    free(cuts->at);
    free(cuts->line);
    *cuts = (struct tp_cuts){.grain = cuts->grain};
}

int tp_split_next_start(FILE *f, uint64_t size, int csv, uint64_t goal, uint64_t *at,
                        unsigned long *line)
{
    enum { BUF = 1 << 16 };
    char buf[BUF];
    int quoted = 0;
    if (*at >= goal || *at >= size)
        return 0;
    if (fseeko(f, (off_t)*at, SEEK_SET) != 0)
        return -1;
    while (*at < size) {
        size_t want = size - *at < BUF ? (size_t)(size - *at) : BUF;
        size_t got = fread(buf, 1, want, f);
        if (got == 0)
            return -1;
        const char *p = buf, *end = buf + got;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (csv) {
                /* the quotes before the line feed (or the buffer's end) */
                for (const char *q = p, *qe = nl ? nl : end; (q = memchr(q, '"', (size_t)(qe - q)));
                     q++)
                    quoted ^= 1;
            }
            if (!nl)
                break;
            p = nl + 1;
            (*line)++;
            if (!quoted && *at + (uint64_t)(p - buf) >= goal) {
                *at += (uint64_t)(p - buf);
                return 0;
            }
        }
        *at += got;
    }
    return 0;
}
