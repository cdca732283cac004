/*
 * spill.c - a counter over an id space (terms or n-grams) and its spill.
 *
 * A counter keeps, by id, the corpus total, the document frequency, the
 * count in the current document and the first occurrence, plus the list of
 * ids the current document touched; tp_counter_end folds the document into
 * the totals and, when the counter keeps a spill, appends the document's
 * (id, count) list to a temporary file. Reports read the lists back in
 * document order (tp_spill_iter_*) or by blocks on several threads
 * (tp_spill_load). After a merge a counter reads several files: its own and
 * those taken over from merged corpora, whose ids a map translates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counts_int.h"

int tp_counter_reserve(struct tp_counter *k, size_t n)
{
    if (n <= k->cap)
        return 0;
    size_t cap = tp_next_cap(k->cap, n, 1024);
    if (TP_GROW(k->total, k->cap, cap, 1) || TP_GROW(k->df, k->cap, cap, 1) ||
        TP_GROW(k->doc, k->cap, cap, 1) || TP_GROW(k->first, k->cap, cap, 1))
        return TP_ENOMEM;
    k->cap = cap;
    return 0;
}

int tp_counter_touched_reserve(struct tp_counter *k, size_t n)
{
    if (n <= k->touched_cap)
        return 0;
    size_t cap = tp_next_cap(k->touched_cap, n, 1024);
    if (TP_GROW(k->touched, k->touched_cap, cap, 0))
        return TP_ENOMEM;
    k->touched_cap = cap;
    return 0;
}

/* A byte buffer of at least len bytes (grown by doubling). */
static int reserve_bytes(unsigned char **buf, size_t *cap, size_t len)
{
    if (len <= *cap)
        return 0;
    size_t c = tp_next_cap(*cap, len, 4096);
    unsigned char *b = realloc(*buf, c);
    if (!b)
        return TP_ENOMEM;
    *buf = b;
    *cap = c;
    return 0;
}

int tp_counter_reserve_docs(struct tp_counter *k, size_t n)
{
    if (n <= k->offs_cap)
        return 0;
    size_t cap = tp_next_cap(k->offs_cap, n, 256);
    if (TP_GROW(k->offs, k->offs_cap, cap, 0) || TP_GROW(k->lens, k->offs_cap, cap, 0) ||
        TP_GROW(k->file_of, k->offs_cap, cap, 0))
        return TP_ENOMEM;
    k->offs_cap = cap;
    return 0;
}

/* Append the list of n entries encoded in k->w_buf[8..at) (room reserved
 * for the document's record) to k's own spill file. */
static int spill_write(struct tp_counter *k, size_t at, size_t n, struct tp_error *err)
{
    uint32_t hdr[2] = {(uint32_t)(at - 8), (uint32_t)n};
    memcpy(k->w_buf, hdr, 8);
    k->offs[k->n_offs] = k->spill_bytes;
    k->lens[k->n_offs] = (uint32_t)at;
    k->file_of[k->n_offs] = 0;
    k->n_offs++;
    if (fwrite(k->w_buf, 1, at, k->spill) != at)
        return tp_error_set(err, TP_EIO, "temporary spill file: %s", strerror(errno));
    k->spill_bytes += at;
    return 0;
}

/* A document's record in a spill: a header {bytes after it, n}, then the n
 * ids as 32-bit words (the touched list as it is), then a byte a count (the
 * count, or 255 for a count of 255 or more), then, for each count of 255 or
 * more in order, count - 255 as a varint. Written and read with a copy and
 * one pass over bytes: no per-entry branch but for the rare large count. */
enum { BIG_COUNT = 255 };

/* Decode the record body p[0..len) of n entries. Returns 0, or -1 when the
 * bytes do not hold exactly that. */
static int decode_list(const unsigned char *p, size_t len, uint32_t n, uint32_t *ids,
                       uint64_t *counts)
{
    if (len < (size_t)n * 5)
        return -1;
    if (n) /* an empty document: ids may be NULL */
        memcpy(ids, p, (size_t)n * 4);
    const unsigned char *cb = p + (size_t)n * 4, *q = cb + n, *end = p + len;
    int big = 0;
    for (uint32_t i = 0; i < n; i++) {
        counts[i] = cb[i];
        big |= cb[i] == BIG_COUNT;
    }
    for (uint32_t i = 0; big && i < n; i++) {
        if (cb[i] != BIG_COUNT)
            continue;
        uint64_t v = 0;
        unsigned shift = 0;
        for (;;) {
            if (q == end || shift > 63)
                return -1;
            unsigned char b = *q++;
            v |= (uint64_t)(b & 0x7F) << shift;
            if (!(b & 0x80))
                break;
            shift += 7;
        }
        counts[i] = BIG_COUNT + v;
    }
    return q == end ? 0 : -1;
}

/* Room for a list of n entries in a reader's ids and counts. */
static int reserve_list(uint32_t **ids, uint64_t **counts, size_t *cap, size_t n)
{
    if (n <= *cap)
        return 0;
    uint32_t *a = realloc(*ids, n * sizeof(**ids));
    if (a)
        *ids = a;
    uint64_t *b = realloc(*counts, n * sizeof(**counts));
    if (b)
        *counts = b;
    if (!a || !b)
        return TP_ENOMEM;
    *cap = n;
    return 0;
}

int tp_spill_load(const struct tp_counter *k, size_t d0, size_t d1, struct tp_spill_reader *sr,
                  struct tp_error *err)
{
    if (!k->spill || d0 > d1 || d1 > k->n_offs)
        return tp_error_set(err, TP_EINTERNAL, "no such documents in the spill");
    size_t len = 0;
    for (size_t d = d0; d < d1; d++)
        len += k->lens[d];
    if (reserve_bytes(&sr->block, &sr->block_cap, len))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    if (d1 - d0 > sr->maps_cap) {
        const uint32_t **m = realloc(sr->maps, (d1 - d0) * sizeof(*m));
        if (!m)
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        sr->maps = m;
        sr->maps_cap = d1 - d0;
    }
    /* one pread for each run of documents that follow each other in a file */
    size_t pos = 0;
    for (size_t d = d0, e; d < d1; d = e) {
        const struct tp_spill_file *f = &k->files[k->file_of[d]];
        uint64_t a = k->offs[d], b = a + k->lens[d];
        for (e = d + 1; e < d1 && k->file_of[e] == k->file_of[d] && k->offs[e] == b; e++)
            b += k->lens[e];
        for (size_t j = d; j < e; j++)
            sr->maps[j - d0] = f->map;
        int fd = fileno(f->f);
        for (size_t got = 0; got < b - a;) {
            ssize_t r = pread(fd, sr->block + pos + got, (size_t)(b - a) - got, (off_t)(a + got));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return tp_error_set(err, TP_EIO, "temporary spill file: %s",
                                    r < 0 ? strerror(errno) : "unexpected end");
            got += (size_t)r;
        }
        pos += (size_t)(b - a);
    }
    sr->block_len = len;
    sr->pos = 0;
    sr->n_maps = d1 - d0;
    sr->at = 0;
    return 0;
}

int tp_spill_next(struct tp_spill_reader *sr, struct tp_error *err)
{
    uint32_t hdr[2];
    if (sr->block_len - sr->pos < sizeof(hdr))
        return tp_error_set(err, TP_EIO, "temporary spill file: unexpected end");
    memcpy(hdr, sr->block + sr->pos, sizeof(hdr));
    sr->pos += sizeof(hdr);
    if ((uint64_t)hdr[1] * 5 > hdr[0] || hdr[0] > (uint64_t)hdr[1] * 15 ||
        hdr[0] > sr->block_len - sr->pos)
        return tp_error_set(err, TP_EIO, "temporary spill file: damaged");
    if (reserve_list(&sr->ids, &sr->counts, &sr->cap, hdr[1]))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    if (sr->at >= sr->n_maps ||
        decode_list(sr->block + sr->pos, hdr[0], hdr[1], sr->ids, sr->counts))
        return tp_error_set(err, TP_EIO, "temporary spill file: damaged");
    const uint32_t *map = sr->maps[sr->at++];
    if (map)
        for (uint32_t i = 0; i < hdr[1]; i++)
            sr->ids[i] = map[sr->ids[i]];
    sr->pos += hdr[0];
    sr->n = hdr[1];
    return 0;
}

void tp_spill_reader_release(struct tp_spill_reader *sr)
{
    free(sr->ids);
    free(sr->counts);
    free(sr->block);
    free(sr->maps);
    memset(sr, 0, sizeof(*sr));
}

enum { COUNTER_AHEAD = 16 };

int tp_counter_end(struct tp_counter *k, struct tp_error *err)
{
    size_t n = k->n_touched;
    const uint32_t *touched = k->touched;
    /* each loop asks for the totals of the id COUNTER_AHEAD places on while
     * it adds up this one */
    if (!k->spill) {
        for (size_t i = 0; i < n; i++) {
            if (i + COUNTER_AHEAD < n)
                tp_counter_prefetch(k, touched[i + COUNTER_AHEAD]);
            tp_counter_fold(k, touched[i]);
        }
        k->n_touched = 0;
        return 0;
    }
    if (reserve_bytes(&k->w_buf, &k->w_cap, 8 + n * (5 + 10)) ||
        tp_counter_reserve_docs(k, k->n_offs + 1))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    unsigned char *w = k->w_buf, *cb = w + 8 + 4 * n;
    size_t at = 8 + 5 * n; /* the large counts' varints follow the count bytes */
    if (n)                 /* an empty document has no touched list (NULL) */
        memcpy(w + 8, touched, 4 * n);
    for (size_t i = 0; i < n; i++) {
        if (i + COUNTER_AHEAD < n)
            tp_counter_prefetch(k, touched[i + COUNTER_AHEAD]);
        uint64_t c = tp_counter_fold(k, touched[i]);
        cb[i] = (unsigned char)(c < BIG_COUNT ? c : BIG_COUNT);
        if (__builtin_expect(c >= BIG_COUNT, 0))
            at += tp_varint_put(w + at, c - BIG_COUNT);
    }
    k->n_touched = 0;
    return spill_write(k, at, n, err);
}

int tp_counter_rewind(struct tp_counter *k, struct tp_error *err)
{
    if (!k->spill)
        return tp_error_set(err, TP_EINTERNAL, "no per-document counts were kept");
    if (fflush(k->spill) != 0)
        return tp_error_set(err, TP_EIO, "temporary spill file: %s", strerror(errno));
    k->seq_next = 0;
    k->seq.block_len = k->seq.pos = 0;
    k->seq.n_maps = k->seq.at = 0;
    return 0;
}

/* Encoded bytes tp_counter_next loads at a time (at least one document). */
enum { SEQ_BLOCK = 1 << 20 };

int tp_counter_next(struct tp_counter *k, const uint32_t **ids, const uint64_t **counts, size_t *n,
                    struct tp_error *err)
{
    int rc;
    if (k->seq.pos >= k->seq.block_len) {
        size_t d = k->seq_next, e = d;
        if (d >= k->n_offs)
            return tp_error_set(err, TP_EIO, "temporary spill file: unexpected end");
        for (uint64_t bytes = 0; e < k->n_offs && (e == d || bytes + k->lens[e] <= SEQ_BLOCK); e++)
            bytes += k->lens[e];
        if ((rc = tp_spill_load(k, d, e, &k->seq, err)))
            return rc;
        k->seq_next = e;
    }
    if ((rc = tp_spill_next(&k->seq, err)))
        return rc;
    *ids = k->seq.ids;
    *counts = k->seq.counts;
    *n = k->seq.n;
    return 0;
}

int tp_spill_iter_init(struct tp_spill_iter *it, struct tp_counter *k, size_t n_docs,
                       struct tp_error *err)
{
    *it = (struct tp_spill_iter){.k = k, .n_docs = n_docs, .doc = (size_t)-1};
    return tp_counter_rewind(k, err);
}

int tp_spill_iter_next(struct tp_spill_iter *it, struct tp_error *err)
{
    if (it->doc + 1 >= it->n_docs) {
        it->doc = it->n_docs;
        return 0;
    }
    int rc = tp_counter_next(it->k, &it->ids, &it->counts, &it->n, err);
    if (rc)
        return rc;
    it->doc++;
    return 1;
}

void tp_counter_close_files(struct tp_counter *k)
{
    for (size_t i = 0; i < k->n_files; i++) {
        if (k->files[i].f)
            fclose(k->files[i].f);
        free(k->files[i].buf);
        free(k->files[i].map);
    }
    free(k->files);
    k->files = NULL;
    k->n_files = 0;
}

void tp_counter_release(struct tp_counter *k)
{
    free(k->total);
    free(k->df);
    free(k->doc);
    free(k->first);
    free(k->touched);
    free(k->w_buf);
    free(k->offs);
    free(k->lens);
    free(k->file_of);
    tp_counter_close_files(k);
    tp_spill_reader_release(&k->seq);
    memset(k, 0, sizeof(*k));
}

/* stdio's buffer for a spill file: writes of this size. */
enum { SPILL_BUFFER = 256 * 1024 };

int tp_counter_init(struct tp_counter *k, int spill, struct tp_error *err)
{
    memset(k, 0, sizeof(*k));
    if (tp_counter_reserve(k, 1024))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    if (spill) {
        if (!(k->files = calloc(1, sizeof(*k->files))))
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        k->n_files = 1; /* counter_release closes what follows */
        k->spill = tmpfile();
        if (!k->spill)
            return tp_error_set(err, TP_EIO, "cannot create a temporary file: %s", strerror(errno));
        k->files[0].f = k->spill;
        /* glibc ignores the size asked for when setvbuf allocates the
         * buffer itself (it takes the block size, 4 KiB): give it one */
        if (!(k->files[0].buf = malloc(SPILL_BUFFER)))
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        if (setvbuf(k->spill, k->files[0].buf, _IOFBF, SPILL_BUFFER) != 0)
            return tp_error_set(err, TP_EIO, "temporary spill file: cannot set its buffer");
    }
    return 0;
}
