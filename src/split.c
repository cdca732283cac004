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

static void *scan_share(void *arg)
{
    struct share *s = arg;
    unsigned char *buf = malloc(SCAN_BUF + 16);
    s->at[0] = s->at[1] = UINT64_MAX;
    if (!buf) {
        s->failed = 1;
        return NULL;
    }
    if (__builtin_cpu_supports("popcnt"))
        scan_bytes_popcnt(s, buf);
    else
        scan_bytes_plain(s, buf);
    free(buf);
    return NULL;
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

unsigned tp_split_file(const char *path, uint64_t size, unsigned n, enum tp_split_kind kind,
                       uint64_t *start, uint64_t *len, unsigned long *line)
{
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
    struct share sh[TP_MAX_THREADS];
    pthread_t tid[TP_MAX_THREADS];
    int started[TP_MAX_THREADS] = {0};
    for (unsigned i = 0; i < n; i++)
        sh[i] = (struct share){.fd = fd,
                               .from = size / n * i,
                               .to = i + 1 < n ? size / n * (i + 1) : size,
                               .quotes = kind == TP_SPLIT_CSV};
    for (unsigned i = 1; i < n; i++)
        started[i] = pthread_create(&tid[i], NULL, scan_share, &sh[i]) == 0;
    scan_share(&sh[0]);
    int failed = sh[0].failed;
    for (unsigned i = 1; i < n; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            scan_share(&sh[i]);
        failed |= sh[i].failed;
    }
    uint64_t min = kind == TP_SPLIT_CSV ? header_end(fd, size) : 0;
    if (failed || min == UINT64_MAX)
        goto lens;
    start[0] = 0;
    line[0] = 1;
    k = 1;
    /* quotes and line feeds before share i */
    uint64_t q_before = 0, l_before = 0;
    for (unsigned i = 0; i < n; i++) {
        if (i > 0) {
            /* the first cut at or after share i's start: in share i, or a later one */
            uint64_t q = q_before, l = l_before;
            for (unsigned j = i; j < n; j++) {
                unsigned p = (unsigned)(q & 1);
                uint64_t at = sh[j].at[p];
                if (at != UINT64_MAX) {
                    /* not inside the header, nor the cut of the share before */
                    uint64_t c = at + 1;
                    if (c >= min && c < size && c > start[k - 1]) {
                        start[k] = c;
                        line[k] = (unsigned long)(l + sh[j].lines[p] + 2);
                        k++;
                    }
                    break;
                }
                q += sh[j].n_quotes;
                l += sh[j].n_lines;
            }
        }
        q_before += sh[i].n_quotes;
        l_before += sh[i].n_lines;
    }
lens:
    close(fd);
    for (unsigned i = 0; i < k; i++)
        len[i] = (i + 1 < k ? start[i + 1] : size) - start[i];
    return k;
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
