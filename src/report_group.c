/*
 * report_group.c - what the reports of --group-by share: the groups in
 * bytewise name order, each group's documents and tokens, and the counts of
 * each (group, term) pair summed from the spill.
 *
 * Core data structure: struct tp_gterms (report_int.h), dense arrays by
 * (group, id) while groups x ids is small, else an open-addressing table
 * keyed by group << 32 | id holding only the pairs that occur, so memory
 * grows with what each group uses, not with groups x vocabulary. One pass
 * over the spill fills count; a second (Gries' DP, document frequencies)
 * needs the totals first. Both walk the spill group by group (struct
 * tp_gwalk: the files mapped whole, each group's documents together; else
 * chunks of documents loaded with pread, each chunk's documents of a group
 * together), so a pass touches one group's records at a time and each record
 * still sees its documents in document order. Grouped freq walks one group
 * at a time on its own (report_freq.c) when the spill can be mapped, with
 * the records of the next groups copied together first (tp_gwalk_take), so
 * that its passes read memory in order.
 */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_POPULATE */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "group.h"
#include "report_int.h"

/* Before each tp_report_zalloc block: its size, and whether it is mapped
 * (16 bytes, so the block stays aligned for any number). */
struct zhead {
    size_t bytes;
    size_t mapped;
};
_Static_assert(sizeof(struct zhead) == 16, "zalloc keeps 16-byte alignment");

/* Mapped blocks from this size on. */
enum { ZALLOC_MAP_MIN = 4 << 20 };

void *tp_report_zalloc(size_t n, size_t size)
{
    if (size && n > (SIZE_MAX - sizeof(struct zhead)) / size)
        return NULL;
    size_t bytes = n * size + sizeof(struct zhead);
    struct zhead *h = NULL;
#if defined(MADV_HUGEPAGE) && defined(MAP_ANONYMOUS)
    if (bytes >= ZALLOC_MAP_MIN) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
        madvise(p, bytes, MADV_HUGEPAGE); /* a hint: without it, ordinary pages */
        h = p;
        h->mapped = 1;
    }
#endif
    if (!h && !(h = calloc(1, bytes)))
        return NULL;
    h->bytes = bytes;
    return h + 1;
}

void tp_report_zfree(void *p)
{
    if (!p)
        return;
    struct zhead *h = (struct zhead *)p - 1;
    if (h->mapped)
        munmap(h, h->bytes);
    else
        free(h);
}

int tp_report_groups(const struct tp_run *run, struct tp_groups *g, struct tp_error *err)
{
    const struct tp_counts *c = tp_corpus_counts_const(run->corpus);
    memset(g, 0, sizeof(*g));
    g->n = tp_corpus_n_groups(run->corpus);
    g->order = malloc(g->n * sizeof(*g->order));
    g->rank = malloc(g->n * sizeof(*g->rank));
    g->tokens = calloc(g->n, sizeof(*g->tokens));
    g->docs = calloc(g->n, sizeof(*g->docs));
    if (!g->order || !g->rank || !g->tokens || !g->docs) {
        tp_groups_release(g);
        return tp_report_oom(err);
    }
    tp_group_order(run->corpus, g->order, g->rank);
    for (size_t d = 0; d < c->n_docs; d++) {
        uint32_t k = c->docs[d].group;
        g->tokens[k] += c->docs[d].n_tokens;
        g->docs[k]++;
    }
    return 0;
}

void tp_groups_release(struct tp_groups *g)
{
    free(g->order);
    free(g->rank);
    free(g->tokens);
    free(g->docs);
    memset(g, 0, sizeof(*g));
}

static inline size_t gt_hash(uint64_t key, size_t mask)
{
    return tp_gsum_hash(key, mask);
}

/* Room for cap slots (hashed mode: the keys moved to their new places). */
static int gt_alloc(struct tp_gterms *gt, size_t cap)
{
    struct tp_gterms n = *gt;
    n.count = tp_report_zalloc(cap, sizeof(*n.count));
    n.more = NULL; /* made by tp_gterms_dp, once the slots are settled */
    n.keys = gt->dense_v ? NULL : tp_report_zalloc(cap, sizeof(*n.keys));
    if (!n.count || (!gt->dense_v && !n.keys)) {
        tp_report_zfree(n.count);
        tp_report_zfree(n.keys);
        return TP_ENOMEM;
    }
    n.mask = cap - 1;
    for (size_t i = 0; gt->keys && i <= gt->mask; i++) {
        if (!gt->keys[i])
            continue;
        size_t j = gt_hash(gt->keys[i], n.mask);
        while (n.keys[j])
            j = (j + 1) & n.mask;
        n.keys[j] = gt->keys[i];
        n.count[j] = gt->count[i];
    }
    tp_gterms_release(gt);
    *gt = n;
    return 0;
}

/* The slot of (g, id), made when absent (SIZE_MAX out of memory). */
static inline size_t gt_get(struct tp_gterms *gt, uint32_t g, uint32_t id)
{
    if (gt->dense_v)
        return (size_t)g * gt->dense_v + id;
    uint64_t key = ((uint64_t)g << 32 | id) + 1;
    if (2 * (gt->n + 1) > gt->mask + 1 && gt_alloc(gt, 2 * (gt->mask + 1)))
        return SIZE_MAX;
    size_t j = gt_hash(key, gt->mask);
    while (gt->keys[j] && gt->keys[j] != key)
        j = (j + 1) & gt->mask;
    if (!gt->keys[j]) {
        gt->keys[j] = key;
        gt->n++;
    }
    return j;
}

size_t tp_gterms_find(const struct tp_gterms *gt, uint32_t g, uint32_t id)
{
    if (gt->dense_v) {
        size_t j = (size_t)g * gt->dense_v + id;
        return id < gt->dense_v && j <= gt->mask && gt->count[j] ? j : SIZE_MAX;
    }
    uint64_t key = ((uint64_t)g << 32 | id) + 1;
    size_t j = gt_hash(key, gt->mask);
    while (gt->keys[j] && gt->keys[j] != key)
        j = (j + 1) & gt->mask;
    return gt->keys[j] ? j : SIZE_MAX;
}

/* Encoded spill bytes a group walk loads at a time (at least one document). */
enum { GWALK_CHUNK = 4 << 20 };

/* Documents ahead of the current one whose record a walk asks for. */
enum { GWALK_AHEAD = 3 };

/* Spill bytes tp_gwalk_take copies together: the spill's bytes over
 * TP_GATHER_PASSES, but at least GWALK_GATHER and at most GWALK_GATHER_MOST;
 * a spill larger than TP_GATHER_PASSES times that is not gathered (each
 * batch is a pass over every document's place in the spill; a batch ends
 * where the next group does not fit, so two batches in a row hold more
 * than gather_max: the passes stay within 2 * TP_GATHER_PASSES + 1). */
#ifndef GWALK_GATHER
#define GWALK_GATHER (16u << 20)
#endif
#define GWALK_GATHER_MOST ((uint64_t)TP_GATHER_MOST)

/* Group ids of c's documents are below this. */
static size_t groups_of(const struct tp_counts *c)
{
    size_t G = c->groups.n ? c->groups.n : 1;
    for (size_t d = 0; d < c->n_docs; d++)
        if (c->docs[d].group >= G)
            G = (size_t)c->docs[d].group + 1;
    return G;
}

void tp_gwalk_release(struct tp_gwalk *w)
{
    for (size_t f = 0; w->map && f < w->k->n_files; f++)
        if (w->map[f])
            munmap(w->map[f], w->map_len[f]);
    if (w->mapped)
        w->sr.block = NULL; /* the mapping, not the reader's buffer */
    tp_spill_reader_release(&w->sr);
    free(w->map);
    free(w->map_len);
    free(w->off);
    free(w->order);
    free(w->at);
    if (w->gbuf)
        munmap(w->gbuf, w->gbuf_cap);
    free(w->gat);
    free(w->gbytes);
    free(w->gcur);
    memset(w, 0, sizeof(*w));
}

/* Map each of k's spill files whole (read only): 0, or -1 when one cannot
 * be (the walk then loads chunks with pread). */
static int gwalk_map(struct tp_gwalk *w)
{
    const struct tp_counter *k = w->k;
    w->map = calloc(k->n_files ? k->n_files : 1, sizeof(*w->map));
    w->map_len = calloc(k->n_files ? k->n_files : 1, sizeof(*w->map_len));
    if (!w->map || !w->map_len)
        return -1;
    /* A spill that can be gathered is mapped with its page tables made at
     * once: its walks read every page, and a fault a page costs more than
     * the copying on a virtual machine. A larger one (it may not fit in
     * memory: populating it would read it from the disk twice) is faulted
     * in as it is read. */
    w->spill = 0;
    for (size_t d = 0; d < w->c->n_docs; d++)
        w->spill += k->lens[d];
    int populate = w->spill / TP_GATHER_PASSES <= GWALK_GATHER_MOST ? MAP_POPULATE : 0;
    for (size_t f = 0; f < k->n_files; f++) {
        struct stat st;
        int fd = fileno(k->files[f].f);
        if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size > SIZE_MAX)
            return -1;
        if (!st.st_size)
            continue;
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED | populate, fd, 0);
        if (p == MAP_FAILED)
            return -1;
        w->map[f] = p;
        w->map_len[f] = (size_t)st.st_size;
    }
    /* every document's record lies within its file */
    for (size_t d = 0; d < w->c->n_docs; d++) {
        uint16_t f = k->file_of[d];
        if (f >= k->n_files || !w->map[f] || k->offs[d] > w->map_len[f] ||
            k->lens[d] > w->map_len[f] - k->offs[d])
            return -1;
    }
    return 0;
}

/* Put documents [d, e) of the walk's corpus in order[0..e - d) by group,
 * document order within a group (a counting sort). */
static void gwalk_order(struct tp_gwalk *w, size_t d, size_t e)
{
    size_t G = w->n_groups, *at = w->at;
    memset(at, 0, (G + 1) * sizeof(*at));
    for (size_t j = d; j < e; j++)
        at[w->c->docs[j].group + 1]++;
    for (size_t g = 0; g < G; g++)
        at[g + 1] += at[g];
    for (size_t j = d; j < e; j++)
        w->order[at[w->c->docs[j].group]++] = (uint32_t)(j - d);
}

int tp_gwalk_init(struct tp_gwalk *w, struct tp_counts *c, struct tp_counter *k, size_t n_groups,
                  struct tp_error *err)
{
    int rc;
    memset(w, 0, sizeof(*w));
    w->k = k;
    w->c = c;
    w->n_groups = n_groups;
    if (c->n_docs > k->n_offs)
        return tp_error_set(err, TP_EINTERNAL, "no such documents in the spill");
    if (!(w->at = malloc((n_groups + 1) * sizeof(*w->at))))
        return tp_report_oom(err);
    if ((rc = tp_counter_rewind(k, err)))
        return rc;
    /* the files mapped whole: each group's documents of the whole corpus
     * together, read where they lie */
    if (c->n_docs && c->n_docs <= UINT32_MAX && gwalk_map(w) == 0 &&
        (w->order = malloc(c->n_docs * sizeof(*w->order))) &&
        (w->sr.maps = malloc(sizeof(*w->sr.maps)))) {
        w->mapped = 1;
        w->sr.maps_cap = 1;
        gwalk_order(w, 0, c->n_docs);
        w->d1 = w->end = c->n_docs;
        return 0;
    }
    /* else chunks loaded with pread */
    for (size_t f = 0; w->map && f < k->n_files; f++)
        if (w->map[f])
            munmap(w->map[f], w->map_len[f]);
    free(w->map);
    free(w->map_len);
    free(w->order);
    w->map = NULL;
    w->map_len = NULL;
    w->order = NULL;
    return 0;
}

/* Load the chunk after the current one and order its documents by group. */
static int gwalk_load(struct tp_gwalk *w, struct tp_error *err)
{
    const struct tp_counter *k = w->k;
    size_t d = w->d1, e = d;
    uint64_t bytes = 0;
    for (; e < w->c->n_docs && (e == d || bytes + k->lens[e] <= GWALK_CHUNK); e++)
        bytes += k->lens[e];
    size_t n = e - d;
    if (n > w->cap) {
        uint64_t *off = realloc(w->off, n * sizeof(*off));
        if (off)
            w->off = off;
        uint32_t *order = realloc(w->order, n * sizeof(*order));
        if (order)
            w->order = order;
        if (!off || !order)
            return tp_report_oom(err);
        w->cap = n;
    }
    int rc = tp_spill_load(k, d, e, &w->sr, err);
    if (rc)
        return rc;
    uint64_t pos = 0;
    for (size_t j = 0; j < n; j++) {
        w->off[j] = pos;
        pos += k->lens[d + j];
    }
    gwalk_order(w, d, e);
    w->d0 = d;
    w->d1 = e;
    w->i = 0;
    return 0;
}

/* The next document of the walk (w->doc, w->group, w->ids, w->counts,
 * w->n). Returns 1, 0 after the last, or a negative TP_E* (err filled). */
int tp_gwalk_next(struct tp_gwalk *w, struct tp_error *err)
{
    int rc;
    if (w->mapped && w->i >= w->end)
        return 0;
    if (w->i >= w->d1 - w->d0) {
        if (w->d1 >= w->c->n_docs)
            return 0;
        if ((rc = gwalk_load(w, err)))
            return rc;
    }
    uint32_t j = w->order[w->i++];
    if (w->in_gbuf) {
        /* the group's records one after the other in gbuf: no read ahead */
        const struct tp_counter *k = w->k;
        w->sr.block = w->gbuf;
        w->sr.block_len = w->glen;
        w->sr.pos = w->gpos;
        w->gpos += k->lens[j];
        w->sr.maps[0] = k->files[k->file_of[j]].map;
        w->sr.n_maps = 1;
        w->sr.at = 0;
        if ((rc = tp_spill_next(&w->sr, err)))
            return rc;
        goto done;
    }
    if (w->mapped) {
        /* the document's record in its file's mapping, its ids mapped
         * through the file's map */
        const struct tp_counter *k = w->k;
        uint16_t f = k->file_of[j];
        w->sr.block = w->map[f];
        w->sr.block_len = w->map_len[f];
        w->sr.pos = k->offs[j];
        w->sr.maps[0] = k->files[f].map;
        w->sr.n_maps = 1;
        w->sr.at = 0;
    } else {
        w->sr.pos = w->off[j];
        w->sr.at = j;
    }
    if ((rc = tp_spill_next(&w->sr, err)))
        return rc;
    size_t ahead = w->i + GWALK_AHEAD - 1;
    if (ahead < (w->mapped ? w->end : w->d1 - w->d0)) {
        /* a later document's record lies elsewhere: ask for it now */
        uint32_t nx = w->order[ahead];
        const unsigned char *p =
            w->mapped ? w->map[w->k->file_of[nx]] + w->k->offs[nx] : w->sr.block + w->off[nx];
        for (size_t b = 0; b < w->k->lens[w->d0 + nx]; b += 64)
            __builtin_prefetch(p + b);
    }
done:
    w->doc = w->d0 + j;
    w->group = w->c->docs[w->doc].group;
    w->ids = w->sr.ids;
    w->counts = w->sr.counts;
    w->n = w->sr.n;
    return 1;
}

void tp_gwalk_group(struct tp_gwalk *w, uint32_t g)
{
    /* the counting sort left at[g] at the end of group g's documents */
    w->i = g ? w->at[g - 1] : 0;
    w->end = w->at[g];
    w->in_gbuf = w->gat && w->gat[g] != UINT64_MAX;
    if (w->in_gbuf)
        w->gpos = w->gat[g];
}

/* tp_gwalk_take's buffer of at least n bytes (anonymous, in huge pages
 * where the kernel gives them): 0 or -1. */
static int gather_room(struct tp_gwalk *w, uint64_t n)
{
    if (n <= w->gbuf_cap)
        return 0;
    if (w->gbuf)
        munmap(w->gbuf, w->gbuf_cap);
    w->gbuf = NULL;
    w->gbuf_cap = 0;
    size_t cap = ((size_t)n + ((size_t)2 << 20) - 1) & ~(((size_t)2 << 20) - 1);
    void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
#ifdef MADV_HUGEPAGE
    madvise(p, cap, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
    madvise(p, cap, MADV_POPULATE_WRITE); /* (as the spill's mapping; a hint) */
#endif
    w->gbuf = p;
    w->gbuf_cap = cap;
    return 0;
}

/* Copy the records of the groups being gathered (gcur[g] not UINT64_MAX)
 * into gbuf from the spill's mappings, in document order, the order
 * tp_gwalk_next walks a group's (a file does not hold a run of documents of
 * its own: documents counted after a merge go to the corpus's own file 0,
 * after the merged files'). Each record is copied once over all batches; a
 * mapping's pages are faulted in once (the kernel maps a page's neighbours
 * with it), not read again by each batch. */
static void gather_copy(struct tp_gwalk *w)
{
    const struct tp_counter *k = w->k;
    for (size_t d = 0; d < w->c->n_docs; d++) {
        uint64_t *cur = &w->gcur[w->c->docs[d].group];
        if (*cur == UINT64_MAX || !k->lens[d])
            continue;
        memcpy(w->gbuf + *cur, w->map[k->file_of[d]] + k->offs[d], k->lens[d]);
        *cur += k->lens[d];
        w->gread += k->lens[d];
    }
}

/* Gather the records of the first of groups[0..n) that fit w->gather_max
 * (tp_gwalk_take): how many were gathered. */
static size_t gwalk_gather(struct tp_gwalk *w, const uint32_t *groups, size_t n)
{
    size_t G = w->n_groups;
    const struct tp_counter *k = w->k;
    if (!w->mapped || !n || w->gfailed)
        return 0;
    if (!w->gat) {
        w->gat = malloc(G * sizeof(*w->gat));
        w->gcur = malloc(G * sizeof(*w->gcur));
        w->gbytes = calloc(G, sizeof(*w->gbytes));
        if (!w->gat || !w->gcur || !w->gbytes) {
            free(w->gat);
            free(w->gcur);
            free(w->gbytes);
            w->gat = w->gcur = w->gbytes = NULL;
            w->gfailed = 1;
            return 0;
        }
        for (size_t g = 0; g < G; g++)
            w->gat[g] = UINT64_MAX;
        for (size_t d = 0; d < w->c->n_docs; d++)
            w->gbytes[w->c->docs[d].group] += k->lens[d];
        uint64_t spill = w->spill; /* (summed when the spill was mapped) */
        if (!w->gather_max) {
            uint64_t per = spill / TP_GATHER_PASSES + 1;
            w->gather_max = per < GWALK_GATHER        ? GWALK_GATHER
                            : per > GWALK_GATHER_MOST ? GWALK_GATHER_MOST
                                                      : per;
        }
        if (spill / TP_GATHER_PASSES > w->gather_max) {
            w->gfailed = 1; /* read where it lies, as without */
            return 0;
        }
    }
    for (size_t g = 0; g < G; g++)
        w->gat[g] = w->gcur[g] = UINT64_MAX;
    uint64_t total = 0;
    size_t m = 0;
    while (m < n && groups[m] < G && w->gbytes[groups[m]] <= w->gather_max - total)
        total += w->gbytes[groups[m++]];
    if (!m)
        return 0;
    if (gather_room(w, total ? total : 1)) {
        w->gfailed = 1; /* not asked again for each group after */
        return 0;
    }
    uint64_t at = 0;
    for (size_t i = 0; i < m; i++) {
        w->gat[groups[i]] = w->gcur[groups[i]] = at;
        at += w->gbytes[groups[i]];
    }
    w->glen = total;
    gather_copy(w);
    return m;
}

int tp_gterms_count(struct tp_counts *c, struct tp_counter *k, struct tp_gterms *gt,
                    struct tp_error *err)
{
    int rc;
    if (c->o.group_sums) {
        /* summed on the counting threads as documents closed */
        const struct tp_gsum *s = &k->gsum;
        size_t V = k == &c->uni ? c->terms.n : c->ngrams.n_items;
        size_t G = c->groups.n ? c->groups.n : 1, rows = s->rows < V ? s->rows : V;
        memset(gt, 0, sizeof(*gt));
        if (s->keys) {
            /* hashed: borrowed as it is */
            gt->keys = s->keys;
            gt->count = s->count;
            gt->mask = s->mask;
            gt->n = s->n;
            gt->borrowed = 1;
            return 0;
        }
        /* dense by term row: laid out again by group (a group's cells
         * together, as the reports walk them) */
        gt->dense_v = V && s->cell ? V : 0;
        if (gt_alloc(gt, gt->dense_v ? G * V : 4096))
            return tp_report_oom(err);
        for (size_t id = 0; gt->dense_v && id < rows; id++) {
            const uint32_t *row = s->cell + id * s->cols;
            for (size_t g = 0; g < G && g < s->cols; g++)
                if (row[g]) {
                    gt->count[g * V + id] = row[g];
                    gt->n++;
                }
        }
        return 0;
    }
    size_t G = groups_of(c), V = k == &c->uni ? c->terms.n : c->ngrams.n_items;
    memset(gt, 0, sizeof(*gt));
    /* groups x ids is small: a slot for each, found without hashing */
    gt->dense_v = V && G * V <= TP_GSUM_DENSE_MAX ? V : 0;
    if (gt_alloc(gt, gt->dense_v ? G * V : 4096))
        return tp_report_oom(err);
    /* group by group: the dense cells of one group at a time */
    struct tp_gwalk w;
    if ((rc = tp_gwalk_init(&w, c, k, G, err))) {
        tp_gwalk_release(&w);
        return rc;
    }
    while ((rc = tp_gwalk_next(&w, err)) > 0) {
        const uint32_t *ids = w.ids;
        const uint64_t *counts = w.counts;
        if (gt->dense_v) {
            uint64_t *at = gt->count + (size_t)w.group * gt->dense_v;
            for (size_t j = 0; j < w.n; j++)
                at[ids[j]] += counts[j];
            continue;
        }
        for (size_t j = 0; j < w.n; j++) {
            size_t e = gt_get(gt, w.group, ids[j]);
            if (e == SIZE_MAX) {
                tp_gwalk_release(&w);
                return tp_report_oom(err);
            }
            gt->count[e] += counts[j];
        }
    }
    tp_gwalk_release(&w);
    if (gt->dense_v)
        for (size_t i = 0; i <= gt->mask; i++)
            gt->n += gt->count[i] != 0;
    return rc < 0 ? rc : 0;
}

int tp_gterms_dp(struct tp_counts *c, struct tp_counter *k, struct tp_gterms *gt,
                 const uint64_t *gtokens, struct tp_error *err)
{
    int rc;
    if (!(gt->more = tp_report_zalloc(gt->mask + 1, sizeof(*gt->more))))
        return tp_report_oom(err);
    /* each slot's count in its record: a (document, term) entry reads one
     * record of the large table, not two */
    for (size_t i = 0; i <= gt->mask; i++)
        gt->more[i].count = gt->count[i];
    size_t G = groups_of(c);
    struct tp_gwalk w;
    if ((rc = tp_gwalk_init(&w, c, k, G, err))) {
        tp_gwalk_release(&w);
        return rc;
    }
    while ((rc = tp_gwalk_next(&w, err)) > 0) {
        uint32_t g = w.group;
        uint64_t dn = c->docs[w.doc].n_tokens;
        const uint32_t *ids = w.ids;
        const uint64_t *counts = w.counts;
        for (size_t j = 0; j < w.n; j++) {
            /* every pair of the spill has its slot (the same entries made it) */
            size_t e =
                gt->dense_v ? (size_t)g * gt->dense_v + ids[j] : tp_gterms_find(gt, g, ids[j]);
            struct tp_gterm_dp *m = &gt->more[e];
            tp_dp_add(&m->s, counts[j], dn, m->count, gtokens[g]);
            m->df++;
        }
    }
    tp_gwalk_release(&w);
    if (rc < 0)
        return rc;
    /* DP over the group's documents, exactly (its tokens N_g) */
    uint32_t g, id;
    for (size_t i = 0; i <= gt->mask; i++) {
        if (!tp_gterms_slot(gt, i, &g, &id))
            continue;
        struct tp_gterm_dp *m = &gt->more[i];
        double dp = tp_dp_of(&m->s, m->count, gtokens[g]);
        m->dp = dp;
    }
    return 0;
}

void tp_gterms_release(struct tp_gterms *gt)
{
    if (!gt->borrowed) {
        tp_report_zfree(gt->keys);
        tp_report_zfree(gt->count);
    }
    tp_report_zfree(gt->more);
    memset(gt, 0, sizeof(*gt));
}

void tp_radix_sort_keys(uint64_t *keys, uint32_t *idx, size_t n, unsigned bits, uint64_t *k2,
                        uint32_t *i2)
{
    for (unsigned sh = 0; sh < bits && n > 1; sh += 8) {
        size_t at[257] = {0};
        for (size_t i = 0; i < n; i++)
            at[(keys[i] >> sh & 0xFF) + 1]++;
        if (at[(keys[0] >> sh & 0xFF) + 1] == n)
            continue; /* one digit everywhere: the order stays */
        for (size_t b = 0; b < 256; b++)
            at[b + 1] += at[b];
        for (size_t i = 0; i < n; i++) {
            size_t j = at[keys[i] >> sh & 0xFF]++;
            k2[j] = keys[i];
            i2[j] = idx[i];
        }
        memcpy(keys, k2, n * sizeof(*keys));
        memcpy(idx, i2, n * sizeof(*idx));
    }
}

/* tp_radix_sort_keys with scratch arrays of its own. */
static int radix_sort_keys(uint64_t *keys, uint32_t *idx, size_t n, unsigned bits)
{
    uint64_t *k2 = tp_report_zalloc(n ? n : 1, sizeof(*k2));
    uint32_t *i2 = tp_report_zalloc(n ? n : 1, sizeof(*i2));
    if (!k2 || !i2) {
        tp_report_zfree(k2);
        tp_report_zfree(i2);
        return TP_ENOMEM;
    }
    tp_radix_sort_keys(keys, idx, n, bits, k2, i2);
    tp_report_zfree(k2);
    tp_report_zfree(i2);
    return 0;
}

int tp_sort_counts_desc(uint64_t *a, size_t n)
{
    uint64_t maxc = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] > maxc)
            maxc = a[i];
    uint32_t *idx = calloc(n ? n : 1, sizeof(*idx));
    if (!idx)
        return TP_ENOMEM;
    for (size_t i = 0; i < n; i++)
        a[i] = maxc - a[i];
    int rc = n > 1 ? radix_sort_keys(a, idx, n, tp_bits_of(maxc)) : 0;
    for (size_t i = 0; i < n; i++)
        a[i] = maxc - a[i];
    free(idx);
    return rc;
}

void tp_out_group(struct tp_out *out, const struct tp_run *run, uint32_t g)
{
    size_t len;
    const char *name = tp_corpus_group_name(run->corpus, g, &len);
    tp_out_text(out, name, len);
}

size_t tp_gwalk_take(struct tp_gwalk *w, const uint32_t *order, size_t n, size_t r)
{
    uint32_t g = order[r];
    size_t m = 0;
    if (n > 1 && !(w->gat && g < w->n_groups && w->gat[g] != UINT64_MAX))
        m = gwalk_gather(w, order + r, n - r);
    tp_gwalk_group(w, g);
    return m;
}
