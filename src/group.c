/*
 * group.c - the group names of a corpus and each document's group
 * (--group-by, group.h). Part of the counting stage: it reads and changes
 * the corpus itself (counts_int.h).
 *
 * Core data structure: tp_counts.groups, a term table of group names (id 0
 * is "", made when the first group is set; an empty table means every
 * document is in the group ""), and tp_docrec.group by document.
 */
#include <stdlib.h>
#include <string.h>

#include "counts_int.h"
#include "group.h"
#include "reader.h"

static int groups_ready(struct tp_corpus *c)
{
    if (c->r.groups.slots)
        return 0;
    if (tp_table_init(&c->r.groups))
        return TP_ENOMEM;
    return tp_table_intern(&c->r.groups, "", 0, NULL) < 0 ? TP_ENOMEM : 0;
}

int tp_corpus_set_group(struct tp_corpus *c, const char *name, size_t len)
{
    if (groups_ready(c))
        return TP_ENOMEM;
    int64_t g = tp_table_intern(&c->r.groups, name ? name : "", name ? len : 0, NULL);
    if (g < 0)
        return TP_ENOMEM;
    /* listed-term cells hold group * n_match + term in 32 bits */
    if ((uint64_t)(g + 1) * (c->r.n_match ? c->r.n_match : 1) > UINT32_MAX)
        return TP_EDATA;
    c->r.docs[c->r.n_docs].group = (uint32_t)g;
    return 0;
}

const char *tp_group_of_doc(const struct tp_doc *doc, const char *group_by, const char *const *dirs,
                            size_t n, size_t *len)
{
    if (strcmp(group_by, "dir") == 0)
        return tp_group_dir_of(doc->path, dirs, n, len);
    *len = doc->group ? doc->group_len : 0;
    return doc->group;
}

int tp_corpus_set_group_id(struct tp_corpus *c, uint32_t g)
{
    if (groups_ready(c))
        return TP_ENOMEM;
    c->r.docs[c->r.n_docs].group = g;
    return 0;
}

size_t tp_corpus_n_groups(const struct tp_corpus *c)
{
    return c->r.groups.n ? c->r.groups.n : 1;
}

const char *tp_corpus_group_name(const struct tp_corpus *c, uint32_t g, size_t *len)
{
    if (!c->r.groups.n || g >= c->r.groups.n) {
        *len = 0;
        return "";
    }
    *len = c->r.groups.terms[g].len;
    return c->r.groups.terms[g].bytes;
}

uint32_t tp_corpus_doc_group(const struct tp_corpus *c, size_t doc)
{
    return c->r.docs[doc].group;
}

static const struct tp_table *sort_table; /* qsort has no context argument */

static int cmp_group(const void *a, const void *b)
{
    const struct tp_term *x = &sort_table->terms[*(const uint32_t *)a];
    const struct tp_term *y = &sort_table->terms[*(const uint32_t *)b];
    size_t n = x->len < y->len ? x->len : y->len;
    int d = memcmp(x->bytes, y->bytes, n);
    if (d)
        return d;
    return (x->len > y->len) - (x->len < y->len);
}

void tp_group_order(const struct tp_corpus *c, uint32_t *order, uint32_t *rank)
{
    size_t n = tp_corpus_n_groups(c);
    for (size_t g = 0; g < n; g++)
        order[g] = (uint32_t)g;
    if (n > 1) {
        /* names are unique, so the order is total; a sort of a handful of
         * names, on one thread (reports run after counting) */
        sort_table = &c->r.groups;
        qsort(order, n, sizeof(*order), cmp_group);
        sort_table = NULL;
    }
    if (rank)
        for (size_t i = 0; i < n; i++)
            rank[order[i]] = (uint32_t)i;
}

int64_t tp_group_find(const struct tp_corpus *c, const char *name, size_t len)
{
    if (!c->r.groups.n)
        return len == 0 ? 0 : -1;
    return tp_table_find(&c->r.groups, name, len);
}

const char *tp_group_dir_of(const char *path, const char *const *dirs, size_t n, size_t *len)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(dirs[i]);
        while (k > 1 && dirs[i][k - 1] == '/')
            k--; /* "corpus/" walks to "corpus/it/..." */
        if (strncmp(path, dirs[i], k) != 0 || (path[k] != '/' && !(k == 1 && dirs[i][0] == '/')))
            continue;
        const char *rest = path + k + (path[k] == '/');
        const char *slash = strchr(rest, '/');
        if (!slash)
            return NULL;
        *len = (size_t)(slash - rest);
        return rest;
    }
    return NULL;
}

int tp_group_merge_map(struct tp_corpus *dst, const struct tp_corpus *src, uint32_t **map)
{
    size_t n = tp_corpus_n_groups(src);
    uint32_t *m = calloc(n, sizeof(*m));
    *map = m;
    if (!m)
        return TP_ENOMEM;
    if (!src->r.groups.n)
        return 0; /* every document of src is in the group "" (id 0 everywhere) */
    if (groups_ready(dst))
        return TP_ENOMEM;
    for (size_t g = 0; g < n; g++) {
        const struct tp_term *t = &src->r.groups.terms[g];
        int64_t id = tp_table_intern(&dst->r.groups, t->bytes, t->len, NULL);
        if (id < 0)
            return TP_ENOMEM;
        m[g] = (uint32_t)id;
    }
    return 0;
}

/* Room for at least want pairs in hashed s at most half full (the pairs
 * moved to their new slots). */
static int gsum_grow(struct tp_gsum *s, size_t want)
{
    size_t cap = s->keys ? s->mask + 1 : 4096;
    while (cap < 2 * want)
        cap *= 2;
    if (s->keys && cap == s->mask + 1)
        return 0;
    uint64_t *keys = calloc(cap, sizeof(*keys)), *count = malloc(cap * sizeof(*count));
    if (!keys || !count) {
        free(keys);
        free(count);
        return TP_ENOMEM;
    }
    size_t mask = cap - 1;
    for (size_t i = 0; s->keys && i <= s->mask; i++) {
        if (!s->keys[i])
            continue;
        size_t j = tp_gsum_hash(s->keys[i], mask);
        while (keys[j])
            j = (j + 1) & mask;
        keys[j] = s->keys[i];
        count[j] = s->count[i];
    }
    free(s->keys);
    free(s->count);
    s->keys = keys;
    s->count = count;
    s->mask = mask;
    return 0;
}

/* Add n to the pair key of hashed s, which has room for it. */
static inline void gsum_add(struct tp_gsum *s, uint64_t key, uint64_t n)
{
    size_t j = tp_gsum_hash(key, s->mask);
    while (s->keys[j] && s->keys[j] != key)
        j = (j + 1) & s->mask;
    if (!s->keys[j]) {
        s->keys[j] = key;
        s->count[j] = 0;
        s->n++;
    }
    s->count[j] += n;
}

/* Dense s becomes hashed: its non-zero cells become pairs. */
static int gsum_to_hashed(struct tp_gsum *s)
{
    size_t n = 0, cells = s->rows * s->cols;
    for (size_t i = 0; i < cells; i++)
        n += s->cell[i] != 0;
    struct tp_gsum h = {0};
    if (gsum_grow(&h, n + 1))
        return TP_ENOMEM;
    for (size_t i = 0; i < cells; i++)
        if (s->cell[i])
            gsum_add(&h, ((uint64_t)(i % s->cols) << 32 | (i / s->cols)) + 1, s->cell[i]);
    free(s->cell);
    *s = h;
    return 0;
}

/* Room in s for ids below rows and groups below cols: dense cells when
 * that stays small, else hashed (want more pairs: room for them). Rows grow
 * by a quarter (realloc: the cells already there are not copied or touched
 * again), columns by half (the cells laid out again: groups are few or come
 * early). */
static int gsum_room(struct tp_gsum *s, size_t rows, size_t cols, size_t want)
{
    if (!s->keys && (rows > s->rows || cols > s->cols)) {
        size_t r = s->rows, k = s->cols;
        if (rows > r)
            r = rows > r + r / 4 ? rows : r + r / 4;
        if (r < 1024)
            r = 1024;
        if (cols > k)
            k = cols > k + k / 2 ? cols : k + k / 2;
        if (k < 4)
            k = 4;
        if (r * k > TP_GSUM_DENSE_MAX)
            return gsum_to_hashed(s) ? TP_ENOMEM : gsum_grow(s, s->n + want);
        if (k == s->cols) {
            /* rows appended: the layout stays */
            if (TP_GROW(s->cell, s->rows * k, r * k, 1))
                return TP_ENOMEM;
            s->rows = r;
            return 0;
        }
        uint32_t *c = calloc(r * k, sizeof(*c));
        if (!c)
            return TP_ENOMEM;
        for (size_t i = 0; i < s->rows; i++)
            memcpy(c + i * k, s->cell + i * s->cols, s->cols * sizeof(*c));
        free(s->cell);
        s->cell = c;
        s->rows = r;
        s->cols = k;
        return 0;
    }
    if (!s->keys)
        return 0;
    return 2 * (s->n + want) > s->mask + 1 ? gsum_grow(s, s->n + want) : 0;
}

/* Prefetch distance of the folding loops (as tp_counter_end's). */
enum { GSUM_AHEAD = 16 };

int tp_gsum_add_doc(struct tp_counter *k, size_t n_ids, uint32_t g)
{
    struct tp_gsum *s = &k->gsum;
    size_t nt = k->n_touched, i = 0;
    const uint32_t *touched = k->touched;
    const uint64_t *doc = k->doc;
    if (!nt)
        return 0;
    if (!s->keys && (n_ids > s->rows || g >= s->cols) && gsum_room(s, n_ids, (size_t)g + 1, nt))
        return TP_ENOMEM;
    if (!s->keys) {
        uint32_t *at = s->cell + g;
        size_t cols = s->cols;
        if (!k->spill) {
            /* no spill to write: the document is folded into the counter
             * here, in the same pass, as tp_counter_end would (each id's
             * count read once; tp_counter_end then finds nothing touched).
             * The ids are scattered over arrays of vocabulary size: each
             * loop asks for the cells GSUM_AHEAD ids on, so misses overlap */
            for (; i < nt; i++) {
                if (i + GSUM_AHEAD < nt) {
                    uint32_t a = touched[i + GSUM_AHEAD];
                    tp_counter_prefetch(k, a);
                    __builtin_prefetch(&at[(size_t)a * cols], 1);
                }
                uint32_t id = touched[i];
                uint64_t v = at[(size_t)id * cols] + doc[id];
                if (__builtin_expect(v > UINT32_MAX, 0))
                    break; /* the rest summed in pairs, below */
                at[(size_t)id * cols] = (uint32_t)v;
                tp_counter_fold(k, id);
            }
            if (i == nt) {
                k->n_touched = 0;
                return 0;
            }
        } else {
            for (; i < nt; i++) {
                if (i + GSUM_AHEAD < nt)
                    __builtin_prefetch(&at[(size_t)touched[i + GSUM_AHEAD] * cols], 1);
                uint64_t v = at[(size_t)touched[i] * cols] + doc[touched[i]];
                if (__builtin_expect(v > UINT32_MAX, 0))
                    break;
                at[(size_t)touched[i] * cols] = (uint32_t)v;
            }
            if (i == nt)
                return 0;
        }
        /* a sum past 32 bits: the cells become pairs of 64-bit counts */
        if (gsum_to_hashed(s))
            return TP_ENOMEM;
    }
    /* ids [0, i) were added (and, without a spill, folded) already; the
     * others go to the pairs */
    if (2 * (s->n + nt) > s->mask + 1 && gsum_grow(s, s->n + nt))
        return TP_ENOMEM;
    uint64_t hi = (uint64_t)g << 32;
    for (size_t j = i; j < nt; j++)
        gsum_add(s, (hi | touched[j]) + 1, doc[touched[j]]);
    if (!k->spill) {
        /* without a spill the document is folded here whole (the ids
         * before i above, the rest now): tp_counter_end finds nothing */
        for (; i < nt; i++)
            tp_counter_fold(k, touched[i]);
        k->n_touched = 0;
    }
    return 0;
}

/* Add n occurrences of (g, id) to s. */
static int gsum_add_one(struct tp_gsum *s, uint32_t g, uint32_t id, uint64_t n)
{
    if (gsum_room(s, (size_t)id + 1, (size_t)g + 1, 1))
        return TP_ENOMEM;
    if (!s->keys) {
        uint32_t *at = &s->cell[(size_t)id * s->cols + g];
        if ((uint64_t)*at + n <= UINT32_MAX) {
            *at = (uint32_t)(*at + n);
            return 0;
        }
        if (gsum_to_hashed(s) || gsum_grow(s, s->n + 1))
            return TP_ENOMEM;
    }
    gsum_add(s, ((uint64_t)g << 32 | id) + 1, n);
    return 0;
}

int tp_gsum_merge(struct tp_gsum *dst, const struct tp_gsum *src, const uint32_t *group_map,
                  const uint32_t *id_map)
{
    if (src->keys) {
        for (size_t i = 0; i <= src->mask; i++) {
            uint64_t key = src->keys[i];
            if (key && gsum_add_one(dst, group_map[(key - 1) >> 32], id_map[(uint32_t)(key - 1)],
                                    src->count[i]))
                return TP_ENOMEM;
        }
        return 0;
    }
    for (size_t i = 0; src->cell && i < src->rows * src->cols; i++)
        if (src->cell[i] &&
            gsum_add_one(dst, group_map[i % src->cols], id_map[i / src->cols], src->cell[i]))
            return TP_ENOMEM;
    return 0;
}

void tp_gsum_release(struct tp_gsum *s)
{
    free(s->keys);
    free(s->count);
    free(s->cell);
    memset(s, 0, sizeof(*s));
}
