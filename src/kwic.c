/*
 * kwic.c - keyword in context (tempora kwic): the listed terms found in the
 * token stream, each written with the text around it as it stands.
 *
 * One pass of the tokenizer with byte offsets (tp_tokenizer_span) over each
 * document. The document's text is kept in a buffer from the first byte a
 * row may still need; the tokens' spans in a ring of the last RING of them.
 * A token is looked up only when its first byte can begin a listed word or
 * pattern (a 256-entry filter), then in the corpus's term table, where the
 * listed words are the only entries (nothing is counted into it). A match
 * waits in a queue, sorted by position, until its right context is read and
 * no match further left can still be found; then its row is written, or,
 * with --sample, kept if its keyed hash is among the sample smallest (a
 * max-heap), the kept rows written in order at the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counts.h"
#include "group.h"
#include "kwic.h"
#include "stem.h"
#include "tokenizer.h"

struct ktok {
    uint64_t start, end; /* bytes in the document */
    uint32_t seg;
    int32_t id;  /* term id of a listed word, else -1 */
    uint64_t pm; /* the words of multi-word patterns it matches: bit kp_slot[p] + i */
};

struct kmatch {
    uint64_t first, last; /* token indexes */
};

/* A row kept for the sample: its cells in one block. */
struct krow {
    uint64_t hash, seq;
    char *cells; /* group \0 doc_id \0 date \0 left \0 match \0 right \0 */
    uint64_t position;
};

struct kw {
    const struct tp_opts *o;
    const struct tp_counts *c;
    struct tp_tokenizer *tk;
    struct tp_out *out;
    unsigned K, lmax;
    /* listed terms ending with each listed word: ends[off[id] .. off[id + 1]) */
    uint32_t *off, *ends;
    uint64_t first[1024];    /* bit b0 | b1 << 8: a listed word or pattern begins b0 b1 */
    size_t min_len, max_len; /* of a token that may match */
    const char **pre;        /* prefix patterns ... */
    size_t *pre_len, n_pre;  /* ... and their lengths */
    struct ktok *ring;       /* token i at ring[i & mask] */
    uint64_t mask, n_tok;    /* tokens of the document so far */
    char *text;              /* the document's bytes from text_base on */
    size_t text_len, text_cap;
    uint64_t text_base;
    struct kmatch *q; /* matches waiting, by (first, last) */
    size_t q_head, q_len, q_cap;
    /* the document */
    const char *doc_id;
    char date[TP_DATE_LABEL_MAX];
    uint64_t doc_index;
    int skip;
    /* --group-by: the document's group (settled as the counting sink does) */
    int grouped, group_seen;
    const char *const *dirs; /* the INPUT folders, for --group-by dir */
    size_t n_dirs;
    char *group; /* NUL-ended copy */
    size_t group_cap;
    /* the sample */
    uint64_t sample, seed, seq;
    struct krow *heap;
    size_t n_heap, heap_cap;
    char *scratch;
    size_t scratch_cap;
    int oom;
    struct tp_stem_worker *sw; /* --stem / --lemmas: a token matches as its group */
    /* terms of several words with prefix patterns among them (run->kpat) */
    const struct tp_kwic_pattern *kp;
    size_t n_kp;
    unsigned kp_slot[64]; /* pattern p's words: bits kp_slot[p] .. + n - 1 of ktok.pm */
};

/* Words of all the multi-word patterns of a kwic run, at most. */
enum { KP_WORDS = 64 };

static int add_match(struct kw *k, uint64_t first, uint64_t last);

/* The bits of the multi-word patterns' words that token tok (w: its group)
 * matches, and the patterns ending with it added as matches. */
static int pattern_token(struct kw *k, uint64_t n, const char *tok, size_t len, const char *w,
                         size_t wlen)
{
    struct ktok *t = &k->ring[n & k->mask];
    uint64_t pm = 0;
    for (size_t p = 0; p < k->n_kp; p++) {
        const struct tp_kwic_pattern *q = &k->kp[p];
        for (unsigned i = 0; i < q->n; i++) {
            int hit = q->prefix[i] ? len >= q->len[i] && memcmp(tok, q->word[i], q->len[i]) == 0
                                   : wlen == q->len[i] && memcmp(w, q->word[i], wlen) == 0;
            pm |= (uint64_t)hit << (k->kp_slot[p] + i);
        }
    }
    t->pm = pm;
    for (size_t p = 0; pm && p < k->n_kp; p++) {
        unsigned L = k->kp[p].n, s = k->kp_slot[p];
        if (!(pm >> (s + L - 1) & 1) || L > n + 1)
            continue;
        unsigned j = 1;
        while (j < L) {
            const struct ktok *u = &k->ring[(n - j) & k->mask];
            if (!(u->pm >> (s + L - 1 - j) & 1) || u->seg != t->seg)
                break;
            j++;
        }
        if (j == L && add_match(k, n - L + 1, n))
            return TP_ENOMEM;
    }
    return 0;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Whitespace (ASCII, NBSP, NEL, U+2028, U+2029) at s[0..n): its length, or 0. */
static size_t space_at(const unsigned char *s, size_t n)
{
    if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
        return 1;
    if (n >= 2 && s[0] == 0xC2 && (s[1] == 0xA0 || s[1] == 0x85))
        return 2;
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9))
        return 3;
    return 0;
}

/* The document's bytes [from, to) with each run of whitespace as one space,
 * appended to the scratch buffer at *at. Returns 0 or TP_ENOMEM. */
static int put_text(struct kw *k, uint64_t from, uint64_t to, size_t *at)
{
    size_t n = (size_t)(to - from);
    if (*at + n + 1 > k->scratch_cap) {
        size_t cap = 2 * (*at + n + 1);
        char *p = realloc(k->scratch, cap);
        if (!p)
            return TP_ENOMEM;
        k->scratch = p;
        k->scratch_cap = cap;
    }
    char *d = k->scratch + *at;
    size_t w = 0;
    if (!n) {
        d[0] = '\0';
        *at += 1;
        return 0;
    }
    const unsigned char *s = (const unsigned char *)k->text + (from - k->text_base);
    for (size_t i = 0; i < n;) {
        if (s[i] > ' ' && s[i] < 0x80) {
            d[w++] = (char)s[i++];
            continue;
        }
        size_t sp = space_at(s + i, n - i);
        if (!sp) {
            d[w++] = (char)s[i++];
            continue;
        }
        while (i < n && (sp = space_at(s + i, n - i)) > 0)
            i += sp;
        d[w++] = ' ';
    }
    d[w] = '\0';
    *at += w + 1;
    return 0;
}

/* The cells of match m into the scratch buffer: left \0 match \0 right \0. */
static int row_cells(struct kw *k, const struct kmatch *m, size_t *len)
{
    size_t at = 0;
    uint64_t lf = m->first > k->K ? m->first - k->K : 0;
    uint64_t rl = m->last + k->K < k->n_tok ? m->last + k->K : k->n_tok - 1;
    const struct ktok *first = &k->ring[m->first & k->mask], *last = &k->ring[m->last & k->mask];
    if (m->first > 0 && k->K > 0
            ? put_text(k, k->ring[lf & k->mask].start, k->ring[(m->first - 1) & k->mask].end, &at)
            : put_text(k, 0, 0, &at))
        return TP_ENOMEM;
    if (put_text(k, first->start, last->end, &at))
        return TP_ENOMEM;
    if (rl > m->last
            ? put_text(k, k->ring[(m->last + 1) & k->mask].start, k->ring[rl & k->mask].end, &at)
            : put_text(k, 0, 0, &at))
        return TP_ENOMEM;
    *len = at;
    return 0;
}

static void heap_swap(struct krow *a, struct krow *b)
{
    struct krow t = *a;
    *a = *b;
    *b = t;
}

static int heap_less(const struct krow *a, const struct krow *b)
{
    return a->hash < b->hash || (a->hash == b->hash && a->seq < b->seq);
}

/* Sift the root of the max-heap down. */
static void heap_down(struct krow *h, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, big = i;
        if (l < n && heap_less(&h[big], &h[l]))
            big = l;
        if (r < n && heap_less(&h[big], &h[r]))
            big = r;
        if (big == i)
            return;
        heap_swap(&h[i], &h[big]);
        i = big;
    }
}

static void heap_up(struct krow *h, size_t i)
{
    while (i > 0 && heap_less(&h[(i - 1) / 2], &h[i])) {
        heap_swap(&h[(i - 1) / 2], &h[i]);
        i = (i - 1) / 2;
    }
}

static void write_row(struct kw *k, const char *group, const char *id, const char *date,
                      uint64_t position, const char *cells)
{
    if (k->grouped)
        tp_out_text(k->out, group, strlen(group));
    tp_out_str(k->out, id);
    tp_out_str(k->out, date);
    tp_out_u64(k->out, position);
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(cells);
        tp_out_text(k->out, cells, n);
        cells += n + 1;
    }
    tp_out_row_end(k->out);
}

/* The row of match m: written, or offered to the sample. */
static int emit_match(struct kw *k, const struct kmatch *m)
{
    size_t len;
    if (!k->sample) {
        if (row_cells(k, m, &len))
            return TP_ENOMEM;
        write_row(k, k->group, k->doc_id, k->date, m->first, k->scratch);
        return 0;
    }
    uint64_t h = mix64(k->seed ^ mix64(k->doc_index * 0x9E3779B97F4A7C15ull ^
                                       mix64(m->first << 8 ^ (m->last - m->first))));
    struct krow row = {h, k->seq++, NULL, m->first};
    if (k->n_heap == k->sample && !heap_less(&row, &k->heap[0]))
        return 0;
    if (row_cells(k, m, &len))
        return TP_ENOMEM;
    size_t group_len = strlen(k->group) + 1;
    size_t id_len = strlen(k->doc_id) + 1, date_len = strlen(k->date) + 1;
    if (!(row.cells = malloc(group_len + id_len + date_len + len)))
        return TP_ENOMEM;
    memcpy(row.cells, k->group, group_len);
    memcpy(row.cells + group_len, k->doc_id, id_len);
    memcpy(row.cells + group_len + id_len, k->date, date_len);
    memcpy(row.cells + group_len + id_len + date_len, k->scratch, len);
    if (k->n_heap == k->sample) {
        free(k->heap[0].cells);
        k->heap[0] = row;
        heap_down(k->heap, k->n_heap);
    } else {
        if (k->n_heap == k->heap_cap) {
            size_t cap = k->heap_cap ? 2 * k->heap_cap : 1024;
            if (cap > k->sample)
                cap = (size_t)k->sample;
            struct krow *grown = realloc(k->heap, cap * sizeof(*grown));
            if (!grown) {
                free(row.cells);
                return TP_ENOMEM;
            }
            k->heap = grown;
            k->heap_cap = cap;
        }
        k->heap[k->n_heap++] = row;
        heap_up(k->heap, k->n_heap - 1);
    }
    return 0;
}

/* Write the waiting matches that are complete: the right context read and
 * no match to their left still to be found (all, at the document's end). */
static int flush_matches(struct kw *k, int all)
{
    while (k->q_len) {
        const struct kmatch *m = &k->q[k->q_head];
        if (!all && (m->last + k->K >= k->n_tok || m->first + k->lmax > k->n_tok))
            break;
        if (emit_match(k, m))
            return TP_ENOMEM;
        k->q_head++;
        k->q_len--;
    }
    if (!k->q_len)
        k->q_head = 0;
    return 0;
}

/* Queue the match [first, last] in (first, last) order, once. */
static int add_match(struct kw *k, uint64_t first, uint64_t last)
{
    if (k->q_head + k->q_len == k->q_cap) {
        if (k->q_head) {
            memmove(k->q, k->q + k->q_head, k->q_len * sizeof(*k->q));
            k->q_head = 0;
        } else {
            size_t cap = k->q_cap ? 2 * k->q_cap : 64;
            struct kmatch *p = realloc(k->q, cap * sizeof(*p));
            if (!p)
                return TP_ENOMEM;
            k->q = p;
            k->q_cap = cap;
        }
    }
    struct kmatch *q = k->q + k->q_head;
    size_t i = k->q_len;
    while (i > 0 && (q[i - 1].first > first || (q[i - 1].first == first && q[i - 1].last > last)))
        i--;
    if (i > 0 && q[i - 1].first == first && q[i - 1].last == last)
        return 0;
    memmove(q + i + 1, q + i, (k->q_len - i) * sizeof(*q));
    q[i] = (struct kmatch){first, last};
    k->q_len++;
    return 0;
}

/* Drop the text no row can need any more: before the oldest token of the
 * ring, when that frees half the buffer. */
static void compact_text(struct kw *k)
{
    uint64_t ring_n = k->mask + 1;
    if (k->n_tok <= ring_n || k->text_len < (1u << 20))
        return;
    uint64_t keep = k->ring[(k->n_tok - ring_n + 1) & k->mask].start;
    if (k->q_len) {
        uint64_t f = k->q[k->q_head].first;
        uint64_t lf = f > k->K ? f - k->K : 0;
        if (lf + ring_n > k->n_tok && k->ring[lf & k->mask].start < keep)
            keep = k->ring[lf & k->mask].start;
    }
    size_t drop = (size_t)(keep - k->text_base);
    if (drop < k->text_len / 2)
        return;
    memmove(k->text, k->text + drop, k->text_len - drop);
    k->text_len -= drop;
    k->text_base = keep;
}

static int on_token(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    struct kw *k = ctx;
    uint64_t n = k->n_tok;
    struct ktok *t = &k->ring[n & k->mask];
    tp_tokenizer_span(k->tk, &t->start, &t->end);
    t->seg = seg;
    t->id = -1;
    k->n_tok = n + 1;
    /* --stem / --lemmas: a listed word (mapped when registered) matches the
     * tokens of its group; a pattern matches the token as written */
    const char *w = tok;
    size_t wlen = len;
    if (k->sw && tp_stem_map(k->sw, tok, len, &w, &wlen))
        goto oom;
    if (k->n_kp && pattern_token(k, n, tok, len, w, wlen))
        goto oom;
    unsigned two = (unsigned char)w[0] | (wlen > 1 ? (unsigned)(unsigned char)w[1] << 8 : 0);
    if (k->sw && k->n_pre) {
        for (size_t p = 0; p < k->n_pre; p++)
            if (len >= k->pre_len[p] && memcmp(tok, k->pre[p], k->pre_len[p]) == 0 &&
                add_match(k, n, n))
                goto oom;
    }
    if ((k->first[two >> 6] >> (two & 63) & 1) && wlen >= k->min_len && wlen <= k->max_len) {
        int64_t id = tp_table_find(&k->c->terms, w, wlen);
        if (id >= 0) {
            t->id = (int32_t)id;
            for (uint32_t x = k->off[id]; x < k->off[id + 1]; x++) {
                uint32_t m = k->ends[x];
                unsigned L = k->c->match_len[m];
                if (L > n + 1)
                    continue;
                const uint32_t *ids = k->c->match_ids[m];
                unsigned j = 0;
                while (j < L) {
                    const struct ktok *u = &k->ring[(n - j) & k->mask];
                    if (u->id != (int32_t)ids[L - 1 - j] || u->seg != seg)
                        break;
                    j++;
                }
                if (j == L && add_match(k, n - L + 1, n))
                    goto oom;
            }
        }
        for (size_t p = 0; !k->sw && p < k->n_pre; p++)
            if (len >= k->pre_len[p] && memcmp(tok, k->pre[p], k->pre_len[p]) == 0 &&
                add_match(k, n, n))
                goto oom;
    }
    if (k->q_len && flush_matches(k, 0))
        goto oom;
    if ((n & 1023) == 0)
        compact_text(k);
    return 0;
oom:
    k->oom = 1;
    return 1;
}

static int kw_begin(void *ctx, const struct tp_doc *doc, struct tp_error *err)
{
    struct kw *k = ctx;
    k->skip = !tp_date_in_range(k->o, &doc->date);
    if (k->skip)
        return 0;
    if (k->grouped) {
        size_t len;
        const char *g = tp_group_of_doc(doc, k->o->group_by, k->dirs, k->n_dirs, &len);
        if (!g)
            len = 0;
        if (len + 1 > k->group_cap) {
            char *p = realloc(k->group, len + 1);
            if (!p)
                return tp_error_set(err, TP_ENOMEM, "out of memory");
            k->group = p;
            k->group_cap = len + 1;
        }
        if (len)
            memcpy(k->group, g, len);
        k->group[len] = '\0';
        k->group_seen |= len > 0;
    }
    k->doc_id = doc->id;
    tp_date_label(&doc->date, k->date);
    tp_tokenizer_reset(k->tk);
    k->n_tok = 0;
    k->text_len = 0;
    k->text_base = 0;
    k->q_head = k->q_len = 0;
    return 0;
}

static int kw_text(void *ctx, const char *buf, size_t len, struct tp_error *err)
{
    struct kw *k = ctx;
    if (k->skip)
        return 0;
    if (k->text_len + len > k->text_cap) {
        size_t cap = k->text_cap ? k->text_cap : 1 << 16;
        while (cap < k->text_len + len)
            cap *= 2;
        char *p = realloc(k->text, cap);
        if (!p)
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        k->text = p;
        k->text_cap = cap;
    }
    memcpy(k->text + k->text_len, buf, len);
    k->text_len += len;
    if (tp_tokenizer_feed(k->tk, buf, len) || k->oom)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    return 0;
}

static int kw_end(void *ctx, struct tp_error *err)
{
    struct kw *k = ctx;
    if (k->skip) {
        k->skip = 0;
        return 0;
    }
    if (tp_tokenizer_finish(k->tk) || k->oom || flush_matches(k, 1))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    if (k->sw)
        tp_stem_doc_drop(k->sw); /* forms are counted for naming groups: not here */
    k->doc_index++;
    return 0;
}

static int cmp_seq(const void *a, const void *b)
{
    uint64_t x = ((const struct krow *)a)->seq, y = ((const struct krow *)b)->seq;
    return (x > y) - (x < y);
}

/* Let tokens that may be the word (or, pattern, begin with the prefix)
 * s[0..len) through the filter of first two bytes and lengths. */
static void filter_add(struct kw *k, const char *s, size_t len, int pattern)
{
    unsigned b0 = (unsigned char)s[0];
    for (unsigned b1 = 0; b1 < 256; b1++) {
        if (!(pattern && len == 1) && b1 != (len > 1 ? (unsigned char)s[1] : 0))
            continue;
        unsigned two = b0 | b1 << 8;
        k->first[two >> 6] |= (uint64_t)1 << (two & 63);
    }
    if (!k->min_len || len < k->min_len)
        k->min_len = len;
    if (pattern)
        k->max_len = SIZE_MAX;
    else if (len > k->max_len)
        k->max_len = len;
}

/* The listed terms by their last word, the filter of first bytes, the
 * patterns. */
static int kw_index(struct kw *k)
{
    const struct tp_counts *c = k->c;
    size_t n = c->terms.n;
    if (!(k->off = calloc(n + 2, sizeof(uint32_t))))
        return TP_ENOMEM;
    for (size_t m = 0; m < c->n_match; m++) {
        if (c->match_prefix && c->match_prefix[m]) {
            k->n_pre++;
            continue;
        }
        k->off[c->match_ids[m][c->match_len[m] - 1] + 1]++;
        if (c->match_len[m] > k->lmax)
            k->lmax = c->match_len[m];
    }
    for (size_t i = 0; i < n; i++)
        k->off[i + 1] += k->off[i];
    k->ends = malloc((k->off[n] ? k->off[n] : 1) * sizeof(uint32_t));
    k->pre = malloc((k->n_pre ? k->n_pre : 1) * sizeof(*k->pre));
    k->pre_len = malloc((k->n_pre ? k->n_pre : 1) * sizeof(*k->pre_len));
    if (!k->ends || !k->pre || !k->pre_len)
        return TP_ENOMEM;
    size_t np = 0;
    for (size_t m = 0; m < c->n_match; m++) {
        if (c->match_prefix && c->match_prefix[m]) {
            k->pre[np] = c->match_prefix[m];
            k->pre_len[np] = strlen(c->match_prefix[m]);
            filter_add(k, k->pre[np], k->pre_len[np], 1);
            np++;
            continue;
        }
        uint32_t last = c->match_ids[m][c->match_len[m] - 1];
        k->ends[k->off[last]++] = (uint32_t)m;
    }
    for (size_t i = n; i > 0; i--)
        k->off[i] = k->off[i - 1];
    k->off[0] = 0;
    for (size_t i = 0; i < n; i++)
        filter_add(k, c->terms.terms[i].bytes, c->terms.terms[i].len, 0);
    if (k->lmax < 1)
        k->lmax = 1;
    return 0;
}

int tp_kwic_run(struct tp_run *run, struct tp_reader *r, const struct tp_kwic_opts *ko,
                struct tp_out *out, struct tp_error *err)
{
    struct kw k;
    int rc = 0;
    memset(&k, 0, sizeof(k));
    k.o = run->o;
    k.c = tp_corpus_counts_const(run->corpus);
    k.out = out;
    k.K = ko->context;
    k.sample = ko->sample;
    k.seed = mix64(ko->seed ^ 0x6B77696373656564ull);
    if (!k.c->n_match && !run->n_kpat) {
        rc = tp_error_set(err, TP_EUSAGE, "kwic needs --terms a,b,... or --terms-file FILE");
        goto out;
    }
    if (kw_index(&k))
        goto oom;
    k.kp = run->kpat;
    k.n_kp = run->n_kpat;
    for (size_t p = 0, slot = 0; p < k.n_kp; p++) {
        if (slot + k.kp[p].n > KP_WORDS) {
            rc = tp_error_set(err, TP_EUSAGE,
                              "kwic: terms of several words with patterns ('crisi idric*') have "
                              "at most %d words in all",
                              KP_WORDS);
            goto out;
        }
        k.kp_slot[p] = (unsigned)slot;
        slot += k.kp[p].n;
        if (k.kp[p].n > k.lmax)
            k.lmax = k.kp[p].n;
    }
    uint64_t ring = 1;
    while (ring < 2 * (uint64_t)k.K + 2 * k.lmax + 4)
        ring *= 2;
    k.mask = ring - 1;
    struct tp_tokenizer_opts to = run->tok_opts;
    to.offsets = 1;
    if (!(k.ring = calloc(ring, sizeof(*k.ring))) || tp_tokenizer_new(&k.tk, &to, on_token, &k) ||
        (run->stem && tp_stem_worker_new(&k.sw, run->stem)))
        goto oom;
    k.grouped = k.o->group_by != NULL;
    k.dirs = tp_reader_dirs(r, &k.n_dirs);
    if (!(k.group = calloc(1, 1)))
        goto oom;
    k.group_cap = 1;
    tp_out_header(out, k.grouped ? "group,doc_id,date,position,left,match,right"
                                 : "doc_id,date,position,left,match,right");
    struct tp_sink sink = {&k, kw_begin, kw_text, kw_end, NULL};
    if ((rc = tp_reader_run(r, &sink, run->progress, run->progress_ctx, err)))
        goto out;
    run->rs = *tp_reader_stats(r);
    /* a FIELD only documents can show that none has: most likely misspelt */
    if (k.grouped && !k.group_seen && !tp_reader_group_found(r)) {
        rc = tp_error_set(err, TP_EDATA,
                          "--group-by %s: no document has a value for it (FIELD is a --meta "
                          "column, a CSV column, a JSONL field, or dir)",
                          k.o->group_by);
        goto out;
    }
    if (k.sample) {
        qsort(k.heap, k.n_heap, sizeof(*k.heap), cmp_seq);
        for (size_t i = 0; i < k.n_heap; i++) {
            const char *group = k.heap[i].cells, *id = group + strlen(group) + 1;
            const char *date = id + strlen(id) + 1;
            write_row(&k, group, id, date, k.heap[i].position, date + strlen(date) + 1);
        }
    }
    goto out;
oom:
    rc = tp_error_set(err, TP_ENOMEM, "out of memory");
out:
    for (size_t i = 0; i < k.n_heap; i++)
        free(k.heap[i].cells);
    free(k.heap);
    tp_tokenizer_free(k.tk);
    free(k.ring);
    free(k.text);
    free(k.q);
    free(k.off);
    free(k.ends);
    free(k.pre);
    free(k.pre_len);
    free(k.scratch);
    free(k.group);
    tp_stem_worker_finish(k.sw);
    return rc;
}
