/*
 * merge.c - corpora counted apart joined into one, and the document split
 * across threads: protocol (2), described in merge.h.
 *
 * tp_corpus_merge remaps src's term ids through dst's table in src's id
 * order, so the terms new to dst get ids in the order one thread would have
 * given them; counters add up by id; src's spill files are adopted with a
 * map instead of rewritten (spill_adopt), its document records copied whole
 * and their ids' arena adopted (tp_arena_adopt); the listed-term cells are appended
 * (same dates are summed later). An open document of src is carried over
 * (merge_open_doc): when src continues dst's open document, count_across
 * counts what spans the cut by the rules counts.c counts with.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "counts_int.h"
#include "group.h"

int tp_corpus_continue(struct tp_corpus *c)
{
    if (!c->head && !(c->head = malloc(c->ring_cap * sizeof(uint32_t))))
        return TP_ENOMEM;
    c->continues = 1;
    c->head_open = 1;
    return 0;
}

int tp_corpus_suspend(struct tp_corpus *c, int brk)
{
    c->brk_after = brk;
    /* nothing before the break is adjacent to what follows it, whether the
     * next part is merged into this corpus or this one into another's */
    if (brk)
        c->ring_len = 0;
    return tp_corpus_flush_pairs(c);
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
    if (TP_GROW(dst->files, base, base + src->n_files, 0) ||
        tp_counter_reserve_docs(dst, dst->n_offs + n_docs))
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
        if (d >= dst->cap && tp_counter_reserve(dst, (size_t)d + 1))
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
        if (d >= dst->cap && tp_counter_reserve(dst, (size_t)d + 1))
            return TP_ENOMEM;
        if (dst->doc[d] == 0 && tp_counter_touch(dst, d))
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
    unsigned ng = dst->r.o.ngram, w = dst->r.o.window;
    for (unsigned j = 0; j < n; j++) {
        uint32_t id = head[j];
        unsigned avail = dst->ring_len + j; /* tokens before head[j] in its segment */
#define BACK(b) ((b) <= j ? head[j - (b)] : tp_ring_back(dst, (b)-j))
        if (ng > 1 && ng - 1 > j && avail >= ng - 1) {
            uint32_t key[TP_KEY_MAX];
            for (unsigned i = 0; i < ng - 1; i++)
                key[i] = BACK(ng - 1 - i);
            key[ng - 1] = id;
            int64_t g = tp_tuples_intern(&dst->r.ngrams, key);
            dst->r.ngrams_full |= g == TP_EDATA;
            if (g < 0 ||
                ((size_t)g >= dst->r.ng.cap && tp_counter_reserve(&dst->r.ng, (size_t)g + 1)) ||
                tp_counter_add(&dst->r.ng, (uint32_t)g))
                return TP_ENOMEM;
        }
        for (unsigned d = j + 1; d <= w && d <= avail; d++)
            if (!(dst->lone[BACK(d)] | dst->lone[id])) {
                int prc = tp_pairs_add(&dst->r.pairs, BACK(d), id, 1);
                if (prc == TP_EDATA)
                    dst->r.pairs_full = 1;
                if (prc)
                    return prc;
            }
        /* listed terms of more than j + 1 words: those of fewer were
         * counted by the continuing part */
        unsigned ends = j + 1 < TP_KEY_MAX ? tp_match_ends_of(dst, id) & ~((2u << j) - 1) : 0;
        if (ends) {
            uint32_t rev[TP_KEY_MAX];
            unsigned m = 32 - (unsigned)__builtin_clz(ends);
            if (m > avail + 1)
                m = avail + 1;
            rev[0] = id;
            for (unsigned b = 1; b < m; b++)
                rev[b] = BACK(b);
            tp_match_count(dst, rev, m, ends);
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
                          const uint32_t *gmap, const uint32_t *group_map, uint64_t dst_tokens,
                          struct tp_error *err)
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
        const struct tp_docrec *sd = &src->r.docs[src->r.n_docs];
        if (tp_corpus_begin(dst, sd->id, &sd->date, sd->side) ||
            (src->r.groups.n && tp_corpus_set_group_id(dst, group_map[sd->group])))
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        tp_corpus_set_doc_lang(dst, (enum tp_lang)sd->lang);
        dst->doc_start = dst_tokens + src->doc_start;
    }
    if (counter_fold_doc(&dst->r.uni, &src->r.uni, map) ||
        (dst->r.o.ngram > 1 && counter_fold_doc(&dst->r.ng, &src->r.ng, gmap)))
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
        tp_ring_push(dst, map[tp_ring_back(src, b)]);
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
    uint32_t *map = NULL, *gmap = NULL, *group_map = NULL;
    int rc = 0;
    if (dst->r.o.ngram != src->r.o.ngram || dst->r.o.window != src->r.o.window ||
        dst->r.n_match != src->r.n_match || dst->ring_cap != src->ring_cap ||
        dst->in_doc != (src->in_doc && src->continues) || (src->continues && src->r.n_docs != 0))
        return tp_error_set(err, TP_EINTERNAL, "merging corpora counted differently");
    uint64_t dst_tokens = dst->r.n_tokens;
    map = malloc((src->r.terms.n ? src->r.terms.n : 1) * sizeof(*map));
    if (!map)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    for (size_t i = 0; i < src->r.terms.n; i++) {
        const struct tp_term *t = &src->r.terms.terms[i];
        int64_t id = tp_corpus_intern(dst, t->bytes, t->len);
        if (id < 0) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        map[i] = (uint32_t)id;
        struct tp_term *dt = &dst->r.terms.terms[id];
        if ((t->flags & TP_TERM_SEEN) && !(dt->flags & TP_TERM_SEEN))
            tp_corpus_mark_seen(dst, (uint32_t)id, dst->r.n_tokens + src->r.uni.first[i]);
    }
    if (counter_merge_totals(&dst->r.uni, &src->r.uni, src->r.terms.n, map) ||
        (rc = spill_adopt(&dst->r.uni, &src->r.uni, src->r.n_docs, map, src->r.terms.n, err)) !=
            0) {
        if (!rc)
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    if (dst->r.o.ngram > 1) {
        unsigned n = dst->r.o.ngram;
        gmap = malloc((src->r.ngrams.n_items ? src->r.ngrams.n_items : 1) * sizeof(*gmap));
        if (!gmap) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t g = 0; g < src->r.ngrams.n_items; g++) {
            uint32_t key[TP_KEY_MAX];
            const uint32_t *k = tp_tuples_key(&src->r.ngrams, g);
            for (unsigned i = 0; i < n; i++)
                key[i] = map[k[i]];
            int64_t id = tp_tuples_intern(&dst->r.ngrams, key);
            if (id < 0) {
                dst->r.ngrams_full |= id == TP_EDATA;
                rc = tp_corpus_oom(dst, err);
                goto out;
            }
            gmap[g] = (uint32_t)id;
        }
        if (counter_merge_totals(&dst->r.ng, &src->r.ng, src->r.ngrams.n_items, gmap) ||
            (rc = spill_adopt(&dst->r.ng, &src->r.ng, src->r.n_docs, gmap, src->r.ngrams.n_items,
                              err)) != 0) {
            if (!rc)
                rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (size_t p = 0; src->r.pairs.slots && p <= src->r.pairs.mask; p++) {
        const struct tp_pair_slot *sl = &src->r.pairs.slots[p];
        if (sl->key && (rc = tp_pairs_add(&dst->r.pairs, map[tp_pair_w1(sl->key)],
                                          map[tp_pair_w2(sl->key)], sl->count))) {
            dst->r.pairs_full = rc == TP_EDATA;
            rc = tp_corpus_oom(dst, err);
            goto out;
        }
    }
    if (tp_group_merge_map(dst, src, &group_map)) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    if (dst->r.o.group_sums &&
        (tp_gsum_merge(&dst->r.uni.gsum, &src->r.uni.gsum, group_map, map) ||
         (dst->r.o.ngram > 1 &&
          tp_gsum_merge(&dst->r.ng.gsum, &src->r.ng.gsum, group_map, gmap)))) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    /* src's closed documents: their records copied whole, group ids mapped,
     * and their ids left where they are, src's arena becoming dst's (src
     * is freed after a merge; its records are not read again) */
    if (src->r.n_docs) {
        if (tp_corpus_reserve_docs(dst, src->r.n_docs)) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        struct tp_docrec *dd = &dst->r.docs[dst->r.n_docs];
        memcpy(dd, src->r.docs, src->r.n_docs * sizeof(*dd));
        for (size_t d = 0; src->r.groups.n && d < src->r.n_docs; d++)
            dd[d].group = group_map[dd[d].group];
        dst->r.n_docs += src->r.n_docs;
        tp_arena_adopt(&dst->arena, &src->arena);
    }
    if (tp_corpus_match_settle(src)) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    /* src's cells share keys with dst's only if they share dates (and
     * groups: src's group ids become dst's, group.h) */
    for (size_t i = 0; src->run_dates && i <= src->run_dates_mask; i++) {
        uint64_t k = src->run_dates[i];
        if (k && src->r.groups.n)
            k = (uint64_t)group_map[k >> 32] << 32 | (k & 0xFFFFFFFFu);
        if (k && tp_match_run_date_seen(dst, k)) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < src->r.n_cells; i++) {
        const struct tp_match_cell *cell = &src->r.cells[i];
        uint64_t key = cell->key;
        if (src->r.groups.n && src->r.n_match) {
            uint64_t low = key & 0xFFFFFFFFu, n = src->r.n_match;
            low = (uint64_t)group_map[low / n] * n + low % n;
            if (low > UINT32_MAX) {
                rc =
                    tp_error_set(err, TP_EDATA, "--group-by: too many groups for the listed terms");
                goto out;
            }
            key = (key & ~(uint64_t)0xFFFFFFFFu) | low;
        }
        if (tp_match_cell_add(dst, key, cell->count, cell->docs)) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (src->in_doc && (rc = merge_open_doc(dst, src, map, gmap, group_map, dst_tokens, err)))
        goto out;
    dst->r.n_tokens += src->r.n_tokens;
    dst->r.n_out_of_range += src->r.n_out_of_range;
out:
    free(map);
    free(gmap);
    free(group_map);
    return rc;
}
