/*
 * counts.c - counters on term ids fed by the token stream (see counts.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counts.h"

/* A capacity of at least n, doubling cap (or starting from first). */
static size_t next_cap(size_t cap, size_t n, size_t first)
{
    cap = cap ? 2 * cap : first;
    while (cap < n)
        cap *= 2;
    return cap;
}

static int grow(void **p, size_t elem, size_t old_n, size_t new_n, int zero)
{
    void *q = realloc(*p, new_n * elem);
    if (!q)
        return TP_ENOMEM;
    if (zero)
        memset((char *)q + old_n * elem, 0, (new_n - old_n) * elem);
    *p = q;
    return 0;
}

/* Make a counter's per-id arrays hold at least n ids. */
static int counter_reserve(struct tp_counter *k, size_t n)
{
    if (n <= k->cap)
        return 0;
    size_t cap = next_cap(k->cap, n, 1024);
    if (grow((void **)&k->total, sizeof(uint64_t), k->cap, cap, 1) ||
        grow((void **)&k->df, sizeof(uint64_t), k->cap, cap, 1) ||
        grow((void **)&k->doc, sizeof(uint64_t), k->cap, cap, 1) ||
        grow((void **)&k->first, sizeof(uint64_t), k->cap, cap, 1))
        return TP_ENOMEM;
    k->cap = cap;
    return 0;
}

/* Room for n ids in the counter's touched list. */
static int touched_reserve(struct tp_counter *k, size_t n)
{
    if (n <= k->touched_cap)
        return 0;
    size_t cap = next_cap(k->touched_cap, n, 1024);
    if (grow((void **)&k->touched, sizeof(uint32_t), k->touched_cap, cap, 0))
        return TP_ENOMEM;
    k->touched_cap = cap;
    return 0;
}

/* Count id in the current document and, when it is the document's first
 * occurrence, append it to the touched list (which has room) by moving its
 * end instead of branching. Returns the list's new length. */
static inline size_t count_touch(uint64_t *doc, uint32_t *touched, size_t nt, uint32_t id)
{
    uint64_t old = doc[id];
    doc[id] = old + 1;
    touched[nt] = id;
    return nt + (old == 0);
}

/* Append id to the counter's list of ids seen in the current document. */
static inline int touch(struct tp_counter *k, uint32_t id)
{
    if (k->n_touched == k->touched_cap && touched_reserve(k, k->n_touched + 1))
        return TP_ENOMEM;
    k->touched[k->n_touched++] = id;
    return 0;
}

static inline int counter_add(struct tp_counter *k, uint32_t id)
{
    if (k->doc[id]++ == 0)
        return touch(k, id);
    return 0;
}

/* The spill holds, per document: u32 L and u32 n, then L bytes of n
 * (id, count) pairs, each a LEB128 varint. Most ids take 2 or 3 bytes and
 * most counts 1, a quarter of the fixed 12, so a tfidf run over many short
 * documents moves a quarter of the bytes through the temporary file. */
static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

/* A byte buffer of at least len bytes (grown by doubling). */
static int reserve_bytes(unsigned char **buf, size_t *cap, size_t len)
{
    if (len <= *cap)
        return 0;
    size_t c = next_cap(*cap, len, 4096);
    unsigned char *b = realloc(*buf, c);
    if (!b)
        return TP_ENOMEM;
    *buf = b;
    *cap = c;
    return 0;
}

/* Room for the per-document records of n documents. */
static int reserve_docs(struct tp_counter *k, size_t n)
{
    if (n <= k->offs_cap)
        return 0;
    size_t cap = next_cap(k->offs_cap, n, 256);
    if (grow((void **)&k->offs, sizeof(*k->offs), k->offs_cap, cap, 0) ||
        grow((void **)&k->lens, sizeof(*k->lens), k->offs_cap, cap, 0) ||
        grow((void **)&k->file_of, sizeof(*k->file_of), k->offs_cap, cap, 0))
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

/* Decode n (id, count) varint pairs from p[0..len). Returns 0, or -1 when the
 * bytes do not hold exactly that. */
static int decode_list(const unsigned char *p, size_t len, uint32_t n, uint32_t *ids,
                       uint64_t *counts)
{
    const unsigned char *end = p + len;
    for (uint32_t i = 0; i < 2 * n; i++) {
        uint64_t v = 0;
        unsigned shift = 0;
        for (;;) {
            if (p == end || shift > 63)
                return -1;
            unsigned char b = *p++;
            v |= (uint64_t)(b & 0x7F) << shift;
            if (!(b & 0x80))
                break;
            shift += 7;
        }
        if (i & 1)
            counts[i / 2] = v;
        else
            ids[i / 2] = (uint32_t)v;
    }
    return p == end ? 0 : -1;
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
    if ((uint64_t)hdr[1] * 2 > hdr[0] || hdr[0] > (uint64_t)hdr[1] * 15 ||
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

/* Fold the current document into the totals and append its list, encoded in
 * the same pass, to the spill. */
static int counter_end(struct tp_counter *k, struct tp_error *err)
{
    size_t n = k->n_touched;
    if (k->spill &&
        (reserve_bytes(&k->w_buf, &k->w_cap, 8 + n * (5 + 10)) || reserve_docs(k, k->n_offs + 1)))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    unsigned char *w = k->spill ? k->w_buf : NULL;
    size_t at = 8;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = k->touched[i];
        uint64_t c = k->doc[id];
        k->total[id] += c;
        k->df[id]++;
        k->doc[id] = 0;
        if (w) {
            at += put_varint(w + at, id);
            at += put_varint(w + at, c);
        }
    }
    k->n_touched = 0;
    return k->spill ? spill_write(k, at, n, err) : 0;
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

static void counter_release(struct tp_counter *k)
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
    for (size_t i = 0; i < k->n_files; i++) {
        if (k->files[i].f)
            fclose(k->files[i].f);
        free(k->files[i].buf);
        free(k->files[i].map);
    }
    free(k->files);
    tp_spill_reader_release(&k->seq);
    memset(k, 0, sizeof(*k));
}

/* stdio's buffer for a spill file: writes of this size. */
enum { SPILL_BUFFER = 256 * 1024 };

static int counter_init(struct tp_counter *k, int spill, struct tp_error *err)
{
    memset(k, 0, sizeof(*k));
    if (counter_reserve(k, 1024))
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
        setvbuf(k->spill, k->files[0].buf, _IOFBF, SPILL_BUFFER);
    }
    return 0;
}

/* Ring capacity for the last n tokens: a power of two, so positions wrap with
 * a mask instead of a division. */
static unsigned ring_size(unsigned n)
{
    unsigned cap = 1;
    while (cap < n)
        cap *= 2;
    return cap;
}

int tp_corpus_init(struct tp_corpus *c, const struct tp_count_opts *o, struct tp_error *err)
{
    int rc;
    memset(c, 0, sizeof(*c));
    c->o = *o;
    if (tp_table_init(&c->terms))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    if ((rc = counter_init(&c->uni, o->spill, err)))
        return rc;
    if (o->ngram > 1) {
        if (tp_tuples_init(&c->ngrams, o->ngram))
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        if ((rc = counter_init(&c->ng, o->spill, err)))
            return rc;
    }
    if (o->window > 0 && tp_pairs_init(&c->pairs))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    c->pairs.max_slots = (size_t)(o->max_pair_bytes / sizeof(struct tp_pair_slot));
    unsigned r = o->window;
    if (o->ngram > r + 1)
        r = o->ngram - 1;
    c->ring_cap = ring_size(r);
    c->ring = calloc(c->ring_cap, sizeof(uint32_t));
    if (!c->ring)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    return 0;
}

/* Flags of a new term: stopword (an elided "l'" matches "l"), too short. */
static uint32_t term_flags(const struct tp_corpus *c, const char *s, size_t len)
{
    uint32_t f = 0;
    if (c->o.stop) {
        size_t l = len;
        if (l > 1 && s[l - 1] == '\'')
            l--;
        if (tp_table_find(c->o.stop, s, l) >= 0)
            f |= TP_TERM_STOP;
    }
    if (c->o.min_length) {
        size_t cps = 0;
        for (size_t i = 0; i < len; i++)
            cps += ((unsigned char)s[i] & 0xC0) != 0x80;
        if (cps < c->o.min_length)
            f |= TP_TERM_SHORT;
    }
    return f;
}

/* A term just added to the table: its flags, room in the per-id arrays. */
static int64_t term_added(struct tp_corpus *c, int64_t id, const char *s, size_t len)
{
    uint32_t f = term_flags(c, s, len);
    c->terms.terms[id].flags = f;
    if ((size_t)id >= c->uni.cap && counter_reserve(&c->uni, (size_t)id + 1))
        return TP_ENOMEM;
    if ((size_t)id >= c->lone_cap) {
        size_t cap = c->lone_cap ? 2 * c->lone_cap : 1024;
        while (cap <= (size_t)id)
            cap *= 2;
        if (grow((void **)&c->lone, 1, c->lone_cap, cap, 1))
            return TP_ENOMEM;
        c->lone_cap = cap;
    }
    c->lone[id] = (f & (TP_TERM_STOP | TP_TERM_SHORT)) != 0;
    c->n_unseen++;
    return id;
}

/* The term id occurs in the text for the first time, as token `index`. */
static inline void mark_seen(struct tp_corpus *c, uint32_t id, uint64_t index)
{
    c->terms.terms[id].flags |= TP_TERM_SEEN;
    c->uni.first[id] = index;
    c->n_types++;
    c->n_unseen--;
}

static int64_t intern_term(struct tp_corpus *c, const char *s, size_t len)
{
    int added;
    int64_t id = tp_table_intern(&c->terms, s, len, &added);
    if (id >= 0 && added)
        return term_added(c, id, s, len);
    return id;
}

/* The hash of a listed term's tuple of len ids, taken from its last id back
 * to its first, so the tuples that end at a token are hashed one more word
 * at a time (match_count); match_mix finishes it. */
static inline uint64_t match_step(uint64_t h, uint32_t id)
{
    return (h ^ id) * 0x9E3779B97F4A7C15ull;
}

static inline uint64_t match_mix(uint64_t h, unsigned len)
{
    h ^= len;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 32);
}

static uint64_t match_hash(const uint32_t *ids, unsigned len)
{
    uint64_t h = 0;
    for (unsigned i = len; i-- > 0;)
        h = match_step(h, ids[i]);
    return match_mix(h, len);
}

/* Whether slot sl holds the listed term of len words whose last words are
 * rev[0], rev[1], ... (rev[i]: i words before the last). */
static inline int match_is(const struct tp_corpus *c, const struct tp_match_slot *sl,
                           const uint32_t *rev, unsigned len)
{
    if (sl->len != len || sl->last != rev[0] || sl->prev != rev[1])
        return 0;
    if (len == 2)
        return 1;
    const uint32_t *ids = c->match_ids[sl->m1 - 1];
    for (unsigned k = 2; k < len; k++)
        if (ids[len - 1 - k] != rev[k])
            return 0;
    return 1;
}

/* The slot of the listed term of 2 to 16 words ids[0..len), or the empty
 * slot where it would go. */
static size_t match_probe(const struct tp_corpus *c, const uint32_t *ids, unsigned len)
{
    uint32_t rev[16];
    for (unsigned k = 0; k < len; k++)
        rev[k] = ids[len - 1 - k];
    size_t s = (size_t)match_hash(ids, len) & c->match_mask;
    while (c->match_slots[s].m1 && !match_is(c, &c->match_slots[s], rev, len))
        s = (s + 1) & c->match_mask;
    return s;
}

/* The bit of the filter of listed terms of several words for a tuple's
 * hash (match_hash): a probe of the table for a tuple whose bit is clear
 * would find nothing. */
static inline size_t match_bit(uint64_t h)
{
    return (size_t)(h >> (64 - TP_MATCH_FILTER_LOG2));
}

static void match_put(struct tp_corpus *c, size_t slot, uint32_t m)
{
    const uint32_t *ids = c->match_ids[m];
    unsigned len = c->match_len[m];
    size_t bit = match_bit(match_hash(ids, len));
    c->match_slots[slot] = (struct tp_match_slot){m + 1, len, ids[len - 2], ids[len - 1]};
    c->match_filter[bit / 64] |= (uint64_t)1 << (bit % 64);
}

/* Room for one more listed term of several words in the hash table (at
 * most half full). */
static int match_reserve(struct tp_corpus *c)
{
    size_t n_slots = c->match_slots ? c->match_mask + 1 : 0;
    if (2 * (c->n_multi + 1) <= n_slots)
        return 0;
    size_t cap = n_slots ? 2 * n_slots : 64;
    struct tp_match_slot *old = c->match_slots;
    if (!(c->match_slots = calloc(cap, sizeof(*c->match_slots)))) {
        c->match_slots = old;
        return TP_ENOMEM;
    }
    c->match_mask = cap - 1;
    for (size_t m = 0; m < c->n_match; m++)
        if (c->match_len[m] > 1)
            match_put(c, match_probe(c, c->match_ids[m], c->match_len[m]), (uint32_t)m);
    free(old);
    return 0;
}

int tp_corpus_add_match(struct tp_corpus *c, const char *const *toks, const size_t *lens,
                        unsigned n_tok)
{
    if (n_tok == 0 || n_tok > 16)
        return 0;
    uint32_t *ids = malloc(n_tok * sizeof(uint32_t));
    if (!c->match_filter &&
        !(c->match_filter = calloc(((size_t)1 << TP_MATCH_FILTER_LOG2) / 64, sizeof(uint64_t)))) {
        free(ids);
        return TP_ENOMEM;
    }
    if (!ids || (n_tok > 1 && match_reserve(c))) {
        free(ids);
        return TP_ENOMEM;
    }
    for (unsigned i = 0; i < n_tok; i++) {
        int64_t id = intern_term(c, toks[i], lens[i]);
        if (id < 0) {
            free(ids);
            return TP_ENOMEM;
        }
        ids[i] = (uint32_t)id;
    }
    size_t m = c->n_match + 1, last = ids[n_tok - 1], slot = 0;
    if (last >= c->match_end_n) {
        if (grow((void **)&c->match_end, sizeof(*c->match_end), c->match_end_n, c->terms.n, 1)) {
            free(ids);
            return TP_ENOMEM;
        }
        c->match_end_n = c->terms.n;
    }
    if (n_tok == 1 ? c->match_end[last].one != 0
                   : c->match_slots[slot = match_probe(c, ids, n_tok)].m1 != 0) {
        free(ids);
        return 1;
    }
    if (grow((void **)&c->match_ids, sizeof(*c->match_ids), c->n_match, m, 0) ||
        grow((void **)&c->match_len, sizeof(*c->match_len), c->n_match, m, 0) ||
        grow((void **)&c->match_doc, sizeof(*c->match_doc), c->n_match, m, 1) ||
        grow((void **)&c->match_touched, sizeof(*c->match_touched), c->n_match, m, 0) ||
        grow((void **)&c->run_count, sizeof(*c->run_count), c->n_match, m, 1) ||
        grow((void **)&c->run_docs, sizeof(*c->run_docs), c->n_match, m, 1) ||
        grow((void **)&c->run_touched, sizeof(*c->run_touched), c->n_match, m, 0)) {
        free(ids);
        return TP_ENOMEM;
    }
    c->match_ids[c->n_match] = ids;
    c->match_len[c->n_match] = n_tok;
    c->match_end[last].ends |= 1u << (n_tok - 1);
    if (n_tok == 1) {
        c->match_end[last].one = (uint32_t)m;
    } else {
        match_put(c, slot, (uint32_t)c->n_match);
        c->n_multi++;
    }
    c->n_match = m;
    if (n_tok - 1 > c->ring_cap) {
        unsigned cap = ring_size(n_tok - 1);
        uint32_t *r = calloc(cap, sizeof(uint32_t));
        if (!r)
            return TP_ENOMEM;
        free(c->ring);
        c->ring = r;
        c->ring_cap = cap;
    }
    return 0;
}

/* The listed term m occurs once more in the current document. */
static inline void match_hit(struct tp_corpus *c, uint32_t m)
{
    if (c->match_doc[m]++ == 0)
        c->match_touched[c->match_n_touched++] = m;
}

/* Count the listed terms that end with the token rev[0], preceded in its
 * segment by rev[1..n) (rev[i]: the token i before it); n is at least the
 * length of the longest listed term ending with rev[0], or all the segment
 * has. ends: the bits of match_end[rev[0]].ends for the lengths to look for. */
static void match_count(struct tp_corpus *c, const uint32_t *rev, unsigned n, unsigned ends)
{
    if (ends & 1)
        match_hit(c, c->match_end[rev[0]].one - 1);
    uint64_t h = match_step(0, rev[0]);
    for (unsigned len = 2; len <= n && (ends >> (len - 1)); len++) {
        h = match_step(h, rev[len - 1]);
        if (!(ends & (1u << (len - 1))))
            continue;
        uint64_t f = match_mix(h, len);
        size_t bit = match_bit(f);
        if (!(c->match_filter[bit / 64] & ((uint64_t)1 << (bit % 64))))
            continue;
        for (size_t s = (size_t)f & c->match_mask; c->match_slots[s].m1;
             s = (s + 1) & c->match_mask)
            if (match_is(c, &c->match_slots[s], rev, len)) {
                match_hit(c, c->match_slots[s].m1 - 1);
                break;
            }
    }
}

static int cmp_cell(const void *a, const void *b)
{
    uint64_t x = ((const struct tp_match_cell *)a)->key;
    uint64_t y = ((const struct tp_match_cell *)b)->key;
    return (x > y) - (x < y);
}

/* Cells past which a full cell array is first summed by key, then grown only
 * if that leaves it more than half full: the cells then grow with the
 * distinct (date, term) pairs, not with the runs of one date (a corpus whose
 * documents alternate between dates has a run per document). */
enum { CELLS_COMPACT = 1 << 16 };

static void cells_compact(struct tp_corpus *c)
{
    qsort(c->cells, c->n_cells, sizeof(*c->cells), cmp_cell);
    size_t w = 0;
    for (size_t i = 0; i < c->n_cells; i++) {
        if (w && c->cells[w - 1].key == c->cells[i].key) {
            c->cells[w - 1].count += c->cells[i].count;
            c->cells[w - 1].docs += c->cells[i].docs;
        } else {
            c->cells[w++] = c->cells[i];
        }
    }
    c->n_cells = w;
}

/* Append a cell: count occurrences in docs documents of the date and
 * listed term of key. Returns 0 or TP_ENOMEM. */
static int cell_add(struct tp_corpus *c, uint64_t key, uint64_t count, uint64_t docs)
{
    if (c->n_cells == c->cells_cap) {
        if (c->cells_cap >= CELLS_COMPACT && c->cells_mergeable) {
            cells_compact(c);
            c->cells_mergeable = 0;
        }
        if (c->n_cells == c->cells_cap || 2 * c->n_cells > c->cells_cap) {
            size_t cap = next_cap(c->cells_cap, c->n_cells + 1, 1024);
            if (grow((void **)&c->cells, sizeof(*c->cells), c->cells_cap, cap, 0))
                return TP_ENOMEM;
            c->cells_cap = cap;
        }
    }
    c->cells[c->n_cells++] = (struct tp_match_cell){key, count, docs};
    return 0;
}

static inline size_t date_slot(uint64_t key, size_t mask)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & mask;
}

/* Note that the run of documents of date key is over: when a run of the
 * same date came before, some cells can be summed. Returns 0 or TP_ENOMEM. */
static int run_date_seen(struct tp_corpus *c, uint64_t key)
{
    if (2 * (c->n_run_dates + 1) > (c->run_dates ? c->run_dates_mask + 1 : 0)) {
        size_t cap = c->run_dates ? 2 * (c->run_dates_mask + 1) : 64;
        uint64_t *old = c->run_dates, *set = calloc(cap, sizeof(*set));
        if (!set)
            return TP_ENOMEM;
        for (size_t i = 0; old && i <= c->run_dates_mask; i++) {
            if (!old[i])
                continue;
            size_t s = date_slot(old[i], cap - 1);
            while (set[s])
                s = (s + 1) & (cap - 1);
            set[s] = old[i];
        }
        free(old);
        c->run_dates = set;
        c->run_dates_mask = cap - 1;
    }
    size_t s = date_slot(key, c->run_dates_mask);
    while (c->run_dates[s] && c->run_dates[s] != key)
        s = (s + 1) & c->run_dates_mask;
    if (c->run_dates[s]) {
        c->cells_mergeable = 1;
    } else {
        c->run_dates[s] = key;
        c->n_run_dates++;
    }
    return 0;
}

int tp_corpus_match_settle(struct tp_corpus *c)
{
    if (c->run_n && run_date_seen(c, c->run_key))
        return TP_ENOMEM;
    uint64_t date = c->run_key << 32;
    for (size_t i = 0; i < c->run_n; i++) {
        uint32_t m = c->run_touched[i];
        if (cell_add(c, date | m, c->run_count[m], c->run_docs[m]))
            return TP_ENOMEM;
        c->run_count[m] = 0;
        c->run_docs[m] = 0;
    }
    c->run_n = 0;
    return 0;
}

/* The lengths of the listed terms that end with the term id: bit L-1 for
 * L words (0: none). */
static inline unsigned match_ends_of(const struct tp_corpus *c, uint32_t id)
{
    return id < c->match_end_n ? c->match_end[id].ends : 0;
}

/* A document's adjacency state as it begins: no tokens before, segment 0,
 * not the continuation of another part. */
static void doc_state_reset(struct tp_corpus *c)
{
    c->ring_len = 0;
    c->cur_seg = 0;
    c->continues = 0;
    c->brk_after = 0;
    c->head_n = 0;
    c->head_open = 0;
}

int tp_corpus_begin(struct tp_corpus *c, const char *id, const struct tp_date *date, int side)
{
    if (c->n_docs == c->docs_cap) {
        size_t cap = c->docs_cap ? 2 * c->docs_cap : 256;
        if (grow((void **)&c->docs, sizeof(*c->docs), c->docs_cap, cap, 0))
            return TP_ENOMEM;
        c->docs_cap = cap;
    }
    struct tp_docrec *d = &c->docs[c->n_docs];
    memset(d, 0, sizeof(*d));
    d->id = tp_arena_strndup(&c->arena, id, strlen(id));
    if (!d->id)
        return TP_ENOMEM;
    d->date = *date;
    d->side = (uint8_t)side;
    c->doc_start = c->n_tokens;
    c->context = c->o.ngram > 1 || c->o.window > 0 || c->n_match;
    c->pairs_only = c->o.ngram <= 1 && c->n_match == 0;
    doc_state_reset(c);
    c->in_doc = 1;
    return 0;
}

int tp_corpus_continue(struct tp_corpus *c)
{
    if (!c->head && !(c->head = malloc(c->ring_cap * sizeof(uint32_t))))
        return TP_ENOMEM;
    c->continues = 1;
    c->head_open = 1;
    return 0;
}

static inline void ring_push(struct tp_corpus *c, uint32_t id)
{
    c->ring[c->ring_pos] = id;
    c->ring_pos = (c->ring_pos + 1) & (c->ring_cap - 1);
    if (c->ring_len < c->ring_cap)
        c->ring_len++;
}

/* The id `back` tokens before the current one (1 = the previous token). */
static inline uint32_t ring_back(const struct tp_corpus *c, unsigned back)
{
    return c->ring[(c->ring_pos - back) & (c->ring_cap - 1)];
}

/* Add the pending pair keys to the pair table. */
static __attribute__((noinline)) int flush_pairs(struct tp_corpus *c)
{
    int rc = 0;
    if (c->negate)
        tp_pairs_sub_keys(&c->pairs, c->pend, c->n_pend);
    else
        rc = tp_pairs_add_keys(&c->pairs, c->pend, c->n_pend);
    c->n_pend = 0;
    if (rc == TP_EDATA)
        c->pairs_full = 1;
    return rc;
}

int tp_corpus_suspend(struct tp_corpus *c, int brk)
{
    c->brk_after = brk;
    /* nothing before the break is adjacent to what follows it, whether the
     * next part is merged into this corpus or this one into another's */
    if (brk)
        c->ring_len = 0;
    return flush_pairs(c);
}

/* Queue the pairs (w1 earlier, w2 = id) within the window, those of two
 * reportable words only: a key is written for every w1 and kept by moving
 * the end of the queue, so a stopword costs no branch. */
static inline int queue_pairs(struct tp_corpus *c, uint32_t id)
{
    unsigned lim = c->o.window < c->ring_len ? c->o.window : c->ring_len;
    if (c->n_pend + lim > sizeof(c->pend) / sizeof(c->pend[0]) && flush_pairs(c))
        return TP_ENOMEM;
    unsigned keep = !c->lone[id];
    for (unsigned d = 1; d <= lim; d++) {
        uint32_t w1 = ring_back(c, d);
        c->pend[c->n_pend] = tp_pair_key(w1, id);
        c->n_pend += keep & !c->lone[w1];
    }
    return 0;
}

static int count_context(struct tp_corpus *c, uint32_t id)
{
    /* n-grams ending here */
    unsigned n = c->o.ngram;
    if (n > 1 && c->ring_len >= n - 1) {
        uint32_t key[16];
        for (unsigned i = 0; i < n - 1; i++)
            key[i] = ring_back(c, n - 1 - i);
        key[n - 1] = id;
        int64_t g = tp_tuples_intern(&c->ngrams, key);
        if (g < 0 || ((size_t)g >= c->ng.cap && counter_reserve(&c->ng, (size_t)g + 1)) ||
            counter_add(&c->ng, (uint32_t)g))
            return TP_ENOMEM;
    }
    if (queue_pairs(c, id))
        return TP_ENOMEM;
    /* listed timeline terms ending here */
    unsigned ends = match_ends_of(c, id);
    if (ends) {
        uint32_t rev[16];
        unsigned longest = 32 - (unsigned)__builtin_clz(ends);
        if (longest > c->ring_len + 1)
            longest = c->ring_len + 1;
        rev[0] = id;
        for (unsigned b = 1; b < longest; b++)
            rev[b] = ring_back(c, b);
        match_count(c, rev, longest, ends);
    }
    return 0;
}

/* The first occurrence of id in the current document: the touched list, and
 * the term's first occurrence in the corpus when it is new to the text. A
 * term counted as soon as it is added is marked then; only terms added
 * otherwise (--terms, merges) can be unseen here. */
static inline int first_in_doc(struct tp_corpus *c, uint32_t id)
{
    if (touch(&c->uni, id))
        return TP_ENOMEM;
    if (c->n_unseen && !(c->terms.terms[id].flags & TP_TERM_SEEN))
        mark_seen(c, id, c->n_tokens);
    return 0;
}

/* Count the token id. A term already counted in this document was seen
 * before, so the first-occurrence bookkeeping waits for a document's first
 * occurrence and the common case is one increment. */
static inline int count_id(struct tp_corpus *c, uint32_t id, uint32_t seg)
{
    if (c->uni.doc[id]++ == 0 && first_in_doc(c, id))
        return TP_ENOMEM;
    c->n_tokens++;
    if (c->context) {
        if (seg != c->cur_seg) {
            c->cur_seg = seg;
            c->ring_len = 0;
            c->head_open = 0;
        }
        if (c->head_open) {
            c->head[c->head_n++] = id;
            c->head_open = c->head_n < c->ring_cap;
        }
        /* the common case (colloc: pairs only) inline */
        if (c->pairs_only ? queue_pairs(c, id) : count_context(c, id))
            return TP_ENOMEM;
        ring_push(c, id);
    }
    return 0;
}

int tp_corpus_token(struct tp_corpus *c, const char *tok, size_t len, uint32_t seg)
{
    int added;
    int64_t id = tp_table_intern(&c->terms, tok, len, &added);
    if (id >= 0 && added) {
        id = term_added(c, id, tok, len);
        if (id >= 0)
            mark_seen(c, (uint32_t)id, c->n_tokens);
    }
    if (id < 0)
        return TP_ENOMEM;
    return count_id(c, (uint32_t)id, seg);
}

/* count_id for n (at most TP_CORPUS_BATCH) tokens when only adjacent pairs
 * are counted (colloc's default), every term of the batch seen: the state a
 * token changes is kept in locals, and neither a segment's start nor a term's
 * first occurrence in its document takes a branch. Each token's pair with the
 * token before is queued, and kept when both are in one segment and both are
 * reportable. */
static int count_adjacent(struct tp_corpus *c, const uint32_t *ids, const uint32_t *seg, size_t n)
{
    struct tp_counter *k = &c->uni;
    if (touched_reserve(k, k->n_touched + n) ||
        (c->n_pend + n > sizeof(c->pend) / sizeof(c->pend[0]) && flush_pairs(c)))
        return TP_ENOMEM;
    uint64_t *doc = k->doc, *pend = c->pend;
    uint32_t *touched = k->touched;
    const uint8_t *lone = c->lone;
    size_t nt = k->n_touched, np = c->n_pend;
    uint32_t cur = c->cur_seg, prev = c->ring[0];
    unsigned have = c->ring_len > 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = ids[i];
        nt = count_touch(doc, touched, nt, id);
        pend[np] = tp_pair_key(prev, id);
        np += (seg[i] == cur) & have & !(lone[prev] | lone[id]);
        prev = id;
        cur = seg[i];
        have = 1;
    }
    k->n_touched = nt;
    c->n_pend = np;
    c->n_tokens += n;
    if (n) {
        /* the ring of one: the last token, in its segment */
        c->ring[0] = prev;
        c->ring_pos = 0;
        c->ring_len = 1;
        c->cur_seg = cur;
    }
    return 0;
}

/* Term tables with fewer slots than this (16 bytes each: 1 MiB) are probed
 * without fetching ahead. */
enum { SMALL_TABLE = 1 << 16 };

int tp_corpus_tokens16(struct tp_corpus *c, const char *tok, const uint8_t *len,
                       const uint32_t *seg, size_t n)
{
    if (!TP_TABLE_WORDS || n > TP_CORPUS_BATCH) {
        for (size_t i = 0; i < n; i++)
            if (tp_corpus_token(c, tok + 16 * i, len[i], seg[i]))
                return TP_ENOMEM;
        return 0;
    }
    uint64_t w0[TP_CORPUS_BATCH], w1[TP_CORPUS_BATCH], h[TP_CORPUS_BATCH];
    uint32_t ids[TP_CORPUS_BATCH];
    /* Hash everything and fetch the home slots, then probe (in order: ids are
     * given in first-seen order) and fetch the counters, then count. A table
     * that fits in the core's cache (of a vocabulary of a few ten thousand
     * terms) is probed as each token is hashed: there is no miss to hide. */
    int ahead = c->terms.mask >= SMALL_TABLE;
    for (size_t i = 0; ahead && i < n; i++) {
        memcpy(&w0[i], tok + 16 * i, 8);
        memcpy(&w1[i], tok + 16 * i + 8, 8);
        h[i] = tp_hash_words(w0[i], w1[i], len[i]);
        __builtin_prefetch(&c->terms.slots[h[i] & c->terms.mask]);
    }
    for (size_t i = 0; i < n; i++) {
        int added;
        if (!ahead) {
            memcpy(&w0[i], tok + 16 * i, 8);
            memcpy(&w1[i], tok + 16 * i + 8, 8);
            h[i] = tp_hash_words(w0[i], w1[i], len[i]);
        }
        int64_t id =
            tp_table_intern_words(&c->terms, tok + 16 * i, len[i], w0[i], w1[i], h[i], &added);
        if (id >= 0 && added) {
            id = term_added(c, id, tok + 16 * i, len[i]);
            /* token i of the batch is counted after the i before it */
            if (id >= 0)
                mark_seen(c, (uint32_t)id, c->n_tokens + i);
        } else if (id >= 0 && c->n_unseen && !(c->terms.terms[id].flags & TP_TERM_SEEN)) {
            /* a term in the table but not in the text so far (--terms, or
             * left by a document taken back): seen here, so that the
             * counting below can take every term as seen */
            mark_seen(c, (uint32_t)id, c->n_tokens + i);
        }
        if (id < 0)
            return TP_ENOMEM;
        ids[i] = (uint32_t)id;
        __builtin_prefetch(&c->uni.doc[id], 1);
    }
    if (!c->context) {
        /* Only counts (every term is seen by now): with room for the whole batch
         * in the touched list, a document's first occurrence of a term is
         * appended by moving the list's end, with no branch to mispredict on
         * the many tokens that are a term's first in their document. */
        struct tp_counter *k = &c->uni;
        if (touched_reserve(k, k->n_touched + n))
            return TP_ENOMEM;
        uint64_t *doc = k->doc;
        uint32_t *touched = k->touched;
        size_t nt = k->n_touched;
        for (size_t i = 0; i < n; i++)
            nt = count_touch(doc, touched, nt, ids[i]);
        k->n_touched = nt;
        c->n_tokens += n;
        return 0;
    }
    if (c->pairs_only && c->o.window == 1 && c->ring_cap == 1 && !c->head_open)
        return count_adjacent(c, ids, seg, n);
    for (size_t i = 0; i < n; i++)
        if (count_id(c, ids[i], seg[i]))
            return TP_ENOMEM;
    return 0;
}

int tp_corpus_undo_begin(struct tp_corpus *c)
{
    if (flush_pairs(c))
        return TP_ENOMEM;
    c->negate = 1;
    /* tokens and adjacency as tp_corpus_begin (and tp_corpus_continue) left them */
    c->n_tokens = c->doc_start;
    c->ring_len = 0;
    c->cur_seg = 0;
    c->head_n = 0;
    c->head_open = c->continues;
    return 0;
}

/* Forget the open document's counts of k (doc[] over its touched list). */
static void counter_forget(struct tp_counter *k)
{
    for (size_t i = 0; i < k->n_touched; i++)
        k->doc[k->touched[i]] = 0;
    k->n_touched = 0;
}

int tp_corpus_undo_end(struct tp_corpus *c)
{
    if (flush_pairs(c))
        return TP_ENOMEM;
    c->negate = 0;
    /* terms first seen in the document are unseen again */
    for (size_t i = 0; i < c->uni.n_touched; i++) {
        uint32_t id = c->uni.touched[i];
        struct tp_term *t = &c->terms.terms[id];
        if ((t->flags & TP_TERM_SEEN) && c->uni.first[id] >= c->doc_start) {
            t->flags &= ~TP_TERM_SEEN;
            c->n_types--;
            c->n_unseen++;
        }
    }
    counter_forget(&c->uni);
    if (c->o.ngram > 1)
        counter_forget(&c->ng);
    for (size_t i = 0; i < c->match_n_touched; i++)
        c->match_doc[c->match_touched[i]] = 0;
    c->match_n_touched = 0;
    c->n_tokens = c->doc_start;
    doc_state_reset(c);
    c->in_doc = 0;
    return 0;
}

int tp_corpus_end(struct tp_corpus *c, struct tp_error *err)
{
    int rc;
    struct tp_docrec *d = &c->docs[c->n_docs];
    d->n_tokens = c->n_tokens - c->doc_start;
    if (flush_pairs(c))
        return tp_corpus_oom(c, err);
    if ((rc = counter_end(&c->uni, err)))
        return rc;
    if (c->o.ngram > 1 && (rc = counter_end(&c->ng, err)))
        return rc;
    if (c->match_n_touched) {
        uint64_t key = tp_match_key(&d->date);
        if (key != c->run_key && tp_corpus_match_settle(c))
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        c->run_key = key;
        for (size_t i = 0; i < c->match_n_touched; i++) {
            uint32_t m = c->match_touched[i];
            if (c->run_docs[m]++ == 0)
                c->run_touched[c->run_n++] = m;
            c->run_count[m] += c->match_doc[m];
            c->match_doc[m] = 0;
        }
        c->match_n_touched = 0;
    }
    c->n_docs++;
    c->in_doc = 0;
    return 0;
}

void tp_corpus_release(struct tp_corpus *c)
{
    counter_release(&c->uni);
    counter_release(&c->ng);
    tp_table_release(&c->terms);
    tp_tuples_release(&c->ngrams);
    tp_pairs_release(&c->pairs);
    for (size_t m = 0; m < c->n_match; m++)
        free(c->match_ids[m]);
    free(c->match_ids);
    free(c->match_len);
    free(c->match_doc);
    free(c->match_touched);
    free(c->match_end);
    free(c->match_slots);
    free(c->match_filter);
    free(c->cells);
    free(c->run_dates);
    free(c->run_count);
    free(c->run_docs);
    free(c->run_touched);
    free(c->ring);
    free(c->lone);
    free(c->head);
    free(c->docs);
    tp_arena_release(&c->arena);
    memset(c, 0, sizeof(*c));
}

/* Move src's spill files and the records of its n_docs closed documents to
 * dst: src's ids translate through map (n_map of them) to dst's, so each
 * file's map becomes map composed with its own. */
static int spill_adopt(struct tp_counter *dst, struct tp_counter *src, size_t n_docs,
                       const uint32_t *map, size_t n_map, struct tp_error *err)
{
    if (!dst->spill || !src->spill)
        return 0;
    if (fflush(src->spill) != 0)
        return tp_error_set(err, TP_EIO, "temporary spill file: %s", strerror(errno));
    size_t base = dst->n_files;
    if (base + src->n_files > UINT16_MAX)
        return tp_error_set(err, TP_EINTERNAL, "too many spill files");
    if (grow((void **)&dst->files, sizeof(*dst->files), base, base + src->n_files, 0) ||
        reserve_docs(dst, dst->n_offs + n_docs))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    /* the composed maps first, so that a failure moves nothing */
    uint32_t **maps = calloc(src->n_files, sizeof(*maps));
    for (size_t i = 0; maps && i < src->n_files; i++) {
        struct tp_spill_file *sf = &src->files[i];
        size_t n = sf->map ? sf->map_n : n_map;
        if (!(maps[i] = malloc((n ? n : 1) * sizeof(**maps)))) {
            while (i > 0)
                free(maps[--i]);
            free(maps);
            maps = NULL;
            break;
        }
        for (size_t x = 0; x < n; x++)
            maps[i][x] = map[sf->map ? sf->map[x] : x];
    }
    if (!maps)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    for (size_t i = 0; i < src->n_files; i++) {
        struct tp_spill_file *sf = &src->files[i];
        size_t n = sf->map ? sf->map_n : n_map;
        dst->files[base + i] = (struct tp_spill_file){sf->f, sf->buf, maps[i], n};
        free(sf->map);
        sf->f = NULL;
        sf->buf = NULL;
        sf->map = NULL;
    }
    free(maps);
    dst->n_files = base + src->n_files;
    src->spill = NULL;
    for (size_t d = 0; d < n_docs; d++) {
        dst->offs[dst->n_offs] = src->offs[d];
        dst->lens[dst->n_offs] = src->lens[d];
        dst->file_of[dst->n_offs] = (uint16_t)(base + src->file_of[d]);
        dst->n_offs++;
    }
    return 0;
}

static int counter_merge_totals(struct tp_counter *dst, const struct tp_counter *src, size_t n,
                                const uint32_t *map)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t d = map[i];
        if (d >= dst->cap && counter_reserve(dst, (size_t)d + 1))
            return TP_ENOMEM;
        dst->total[d] += src->total[i];
        dst->df[d] += src->df[i];
    }
    return 0;
}

/* Add the open document's counts of src (doc[] over its touched list) to
 * dst's, ids through map. */
static int counter_fold_doc(struct tp_counter *dst, const struct tp_counter *src,
                            const uint32_t *map)
{
    for (size_t i = 0; i < src->n_touched; i++) {
        uint32_t id = src->touched[i], d = map[id];
        if (d >= dst->cap && counter_reserve(dst, (size_t)d + 1))
            return TP_ENOMEM;
        if (dst->doc[d] == 0 && touch(dst, d))
            return TP_ENOMEM;
        dst->doc[d] += src->doc[id];
    }
    return 0;
}

/* The n-grams, pairs and listed terms that end at one of head[0..n) (the
 * first tokens of a continuing part, in dst's ids, all in its segment 0) and
 * start in dst's open document, whose last segment ends with dst's ring. */
static int count_across(struct tp_corpus *dst, const uint32_t *head, unsigned n)
{
    unsigned ng = dst->o.ngram, w = dst->o.window;
    for (unsigned j = 0; j < n; j++) {
        uint32_t id = head[j];
        unsigned avail = dst->ring_len + j; /* tokens before head[j] in its segment */
#define BACK(b) ((b) <= j ? head[j - (b)] : ring_back(dst, (b)-j))
        if (ng > 1 && ng - 1 > j && avail >= ng - 1) {
            uint32_t key[16];
            for (unsigned i = 0; i < ng - 1; i++)
                key[i] = BACK(ng - 1 - i);
            key[ng - 1] = id;
            int64_t g = tp_tuples_intern(&dst->ngrams, key);
            if (g < 0 || ((size_t)g >= dst->ng.cap && counter_reserve(&dst->ng, (size_t)g + 1)) ||
                counter_add(&dst->ng, (uint32_t)g))
                return TP_ENOMEM;
        }
        for (unsigned d = j + 1; d <= w && d <= avail; d++)
            if (!(dst->lone[BACK(d)] | dst->lone[id])) {
                int prc = tp_pairs_add(&dst->pairs, BACK(d), id, 1);
                if (prc == TP_EDATA)
                    dst->pairs_full = 1;
                if (prc)
                    return prc;
            }
        /* listed terms of more than j + 1 words: those of fewer were
         * counted by the continuing part */
        unsigned ends = j < 15 ? match_ends_of(dst, id) & ~((2u << j) - 1) : 0;
        if (ends) {
            uint32_t rev[16];
            unsigned m = 32 - (unsigned)__builtin_clz(ends);
            if (m > avail + 1)
                m = avail + 1;
            rev[0] = id;
            for (unsigned b = 1; b < m; b++)
                rev[b] = BACK(b);
            match_count(dst, rev, m, ends);
        }
#undef BACK
    }
    return 0;
}

/* src's open document into dst (after src's closed ones): a new open
 * document of dst, or, when src continues, more of dst's open one. Then dst's
 * ring holds the last segment's tokens as counting it all in one would leave
 * them. dst_tokens: dst's token count before the merge. */
static int merge_open_doc(struct tp_corpus *dst, const struct tp_corpus *src, const uint32_t *map,
                          const uint32_t *gmap, uint64_t dst_tokens, struct tp_error *err)
{
    int unbroken = 0;
    if (src->continues) {
        unsigned n = src->head_n;
        uint32_t *head = malloc((n ? n : 1) * sizeof(*head));
        if (!head)
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        for (unsigned j = 0; j < n; j++)
            head[j] = map[src->head[j]];
        int rc = dst->context ? count_across(dst, head, n) : 0;
        free(head);
        if (rc)
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        unbroken = src->cur_seg == 0;
    } else {
        const struct tp_docrec *sd = &src->docs[src->n_docs];
        if (tp_corpus_begin(dst, sd->id, &sd->date, sd->side))
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        dst->doc_start = dst_tokens + src->doc_start;
    }
    if (counter_fold_doc(&dst->uni, &src->uni, map) ||
        (dst->o.ngram > 1 && counter_fold_doc(&dst->ng, &src->ng, gmap)))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    for (size_t i = 0; i < src->match_n_touched; i++) {
        uint32_t m = src->match_touched[i];
        if (dst->match_doc[m] == 0)
            dst->match_touched[dst->match_n_touched++] = m;
        dst->match_doc[m] += src->match_doc[m];
    }
    if (!unbroken)
        dst->ring_len = 0;
    for (unsigned b = src->ring_len; b >= 1; b--)
        ring_push(dst, map[ring_back(src, b)]);
    if (src->brk_after)
        dst->ring_len = 0;
    dst->in_doc = 1;
    return 0;
}

int tp_corpus_merge(struct tp_corpus *dst, const struct tp_corpus *src_c, struct tp_error *err)
{
    /* The spill FILE position is the only state reading changes; it is put
     * back, so src is unchanged as far as its counts go. */
    struct tp_corpus *src = (struct tp_corpus *)(uintptr_t)src_c;
    uint32_t *map = NULL, *gmap = NULL;
    int rc = 0;
    if (dst->o.ngram != src->o.ngram || dst->o.window != src->o.window ||
        dst->n_match != src->n_match || dst->ring_cap != src->ring_cap ||
        dst->in_doc != (src->in_doc && src->continues) || (src->continues && src->n_docs != 0))
        return tp_error_set(err, TP_EINTERNAL, "merging corpora counted differently");
    uint64_t dst_tokens = dst->n_tokens;
    map = malloc((src->terms.n ? src->terms.n : 1) * sizeof(*map));
    if (!map)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    for (size_t i = 0; i < src->terms.n; i++) {
        const struct tp_term *t = &src->terms.terms[i];
        int64_t id = intern_term(dst, t->bytes, t->len);
        if (id < 0) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        map[i] = (uint32_t)id;
        struct tp_term *dt = &dst->terms.terms[id];
        if ((t->flags & TP_TERM_SEEN) && !(dt->flags & TP_TERM_SEEN))
            mark_seen(dst, (uint32_t)id, dst->n_tokens + src->uni.first[i]);
    }
    if (counter_merge_totals(&dst->uni, &src->uni, src->terms.n, map) ||
        (rc = spill_adopt(&dst->uni, &src->uni, src->n_docs, map, src->terms.n, err)) != 0) {
        if (!rc)
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    if (dst->o.ngram > 1) {
        unsigned n = dst->o.ngram;
        gmap = malloc((src->ngrams.n_items ? src->ngrams.n_items : 1) * sizeof(*gmap));
        if (!gmap) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t g = 0; g < src->ngrams.n_items; g++) {
            uint32_t key[16];
            const uint32_t *k = tp_tuples_key(&src->ngrams, g);
            for (unsigned i = 0; i < n; i++)
                key[i] = map[k[i]];
            int64_t id = tp_tuples_intern(&dst->ngrams, key);
            if (id < 0) {
                rc = tp_error_set(err, TP_ENOMEM, "out of memory");
                goto out;
            }
            gmap[g] = (uint32_t)id;
        }
        if (counter_merge_totals(&dst->ng, &src->ng, src->ngrams.n_items, gmap) ||
            (rc = spill_adopt(&dst->ng, &src->ng, src->n_docs, gmap, src->ngrams.n_items, err)) !=
                0) {
            if (!rc)
                rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (size_t p = 0; src->pairs.slots && p <= src->pairs.mask; p++) {
        const struct tp_pair_slot *sl = &src->pairs.slots[p];
        if (sl->key && (rc = tp_pairs_add(&dst->pairs, map[tp_pair_w1(sl->key)],
                                          map[tp_pair_w2(sl->key)], sl->count))) {
            dst->pairs_full = rc == TP_EDATA;
            rc = tp_corpus_oom(dst, err);
            goto out;
        }
    }
    for (size_t d = 0; d < src->n_docs; d++) {
        const struct tp_docrec *sd = &src->docs[d];
        if (tp_corpus_begin(dst, sd->id, &sd->date, sd->side)) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        dst->docs[dst->n_docs].n_tokens = sd->n_tokens;
        dst->n_docs++;
        dst->in_doc = 0;
    }
    if (tp_corpus_match_settle(src)) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    /* src's cells share keys with dst's only if they share dates */
    for (size_t i = 0; src->run_dates && i <= src->run_dates_mask; i++)
        if (src->run_dates[i] && run_date_seen(dst, src->run_dates[i])) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
    for (size_t i = 0; i < src->n_cells; i++) {
        const struct tp_match_cell *cell = &src->cells[i];
        if (cell_add(dst, cell->key, cell->count, cell->docs)) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (src->in_doc && (rc = merge_open_doc(dst, src, map, gmap, dst_tokens, err)))
        goto out;
    dst->n_tokens += src->n_tokens;
out:
    free(map);
    free(gmap);
    return rc;
}

size_t tp_corpus_heaps(const struct tp_corpus *c, uint64_t n[TP_HEAPS_MAX],
                       uint64_t v[TP_HEAPS_MAX])
{
    /* bucket b holds the terms first seen at index f with f < 2^b but not
     * f < 2^(b-1): the terms a checkpoint n = 2^b adds */
    uint64_t bucket[65] = {0};
    for (size_t i = 0; i < c->terms.n; i++) {
        if (!(c->terms.terms[i].flags & TP_TERM_SEEN))
            continue;
        uint64_t f = c->uni.first[i];
        bucket[f ? 64 - __builtin_clzll(f) : 0]++;
    }
    size_t k = 0;
    uint64_t seen = 0;
    for (unsigned b = 0; b < 64 && ((uint64_t)1 << b) <= c->n_tokens; b++) {
        seen += bucket[b];
        n[k] = (uint64_t)1 << b;
        v[k] = seen;
        k++;
    }
    if (c->n_tokens && n[k - 1] != c->n_tokens) {
        n[k] = c->n_tokens;
        v[k] = c->n_types;
        k++;
    }
    return k;
}

int tp_corpus_oom(const struct tp_corpus *c, struct tp_error *err)
{
    if (c->pairs_full)
        return tp_error_set(err, TP_EDATA,
                            "collocation pairs: the pair table (--window %u) would grow past %llu "
                            "MiB (--max-pair-memory) after %zu distinct pairs; lower --window, or "
                            "raise --max-pair-memory if the machine has the memory",
                            c->o.window, (unsigned long long)(c->o.max_pair_bytes >> 20),
                            c->pairs.n);
    return tp_error_set(err, TP_ENOMEM,
                        "out of memory while counting (%zu terms, %zu n-grams, %zu pairs so "
                        "far): lower --ngram or --window (or --max-pair-memory, to stop sooner "
                        "with a message), or count fewer inputs at a time",
                        c->terms.n, c->o.ngram > 1 ? c->ngrams.n_items : 0, c->pairs.n);
}
