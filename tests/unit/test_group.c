/*
 * test_group.c - groups of documents (--group-by): the first-level folder of a
 * path under the INPUT folders, group ids kept per document, names ordered
 * bytewise, and two corpora counted apart merging into the ids and listed-term
 * cells one corpus counting everything gives. Expected values by hand.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, syscall */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "counts_int.h"
#include "group.h"
#include "merge.h"
#include "report_int.h"

/* mmap of this program (tp_gwalk_take's buffer is an anonymous mapping):
 * while fail_anon is set, an anonymous mapping fails and is counted. Not
 * under ThreadSanitizer, whose runtime needs its own mmap. */
#if defined(__SANITIZE_THREAD__)
#define NO_MMAP_HOOK 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NO_MMAP_HOOK 1
#endif
#endif
#ifndef NO_MMAP_HOOK
static int fail_anon, anon_tries;
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (fail_anon && (flags & MAP_ANONYMOUS)) {
        anon_tries++;
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}
#endif

static void doc(struct tp_corpus *c, const char *id, const char *group, const char *text)
{
    struct tp_date d = {2024, 1, 0, TP_PREC_MONTH};
    struct tp_error err;
    cr_assert_eq(tp_corpus_begin(c, id, &d, 0), 0);
    cr_assert_eq(tp_corpus_set_group(c, group, group ? strlen(group) : 0), 0);
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *s = p;
        while (*p && *p != ' ')
            p++;
        if (p > s)
            cr_assert_eq(tp_corpus_token(c, s, (size_t)(p - s), 0), 0);
    }
    cr_assert_eq(tp_corpus_end(c, &err), 0, "%s", err.msg);
}

static struct tp_corpus *corpus(void)
{
    struct tp_count_opts o = {.spill = 1};
    struct tp_corpus *c;
    struct tp_error err;
    cr_assert_eq(tp_corpus_new(&c, &o, &err), 0, "%s", err.msg);
    const char *gas[] = {"gas"};
    size_t len[] = {3};
    cr_assert_eq(tp_corpus_add_match(c, gas, len, 1), 0);
    return c;
}

static const char *name(const struct tp_corpus *c, uint32_t g)
{
    static char buf[64];
    size_t len;
    const char *s = tp_corpus_group_name(c, g, &len);
    snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
    return buf;
}

Test(group, dir_of)
{
    const char *dirs[] = {"corpus/", "news"};
    size_t len;
    const char *g = tp_group_dir_of("corpus/it/a.txt", dirs, 2, &len);
    cr_assert(g && len == 2 && memcmp(g, "it", 2) == 0);
    g = tp_group_dir_of("corpus/it/2024/b.txt", dirs, 2, &len);
    cr_assert(g && len == 2 && memcmp(g, "it", 2) == 0, "a deeper folder is its first level");
    cr_assert_null(tp_group_dir_of("corpus/c.txt", dirs, 2, &len), "directly in the folder");
    g = tp_group_dir_of("news/x/y.txt", dirs, 2, &len);
    cr_assert(g && len == 1 && *g == 'x');
    cr_assert_null(tp_group_dir_of("newsroom/x/y.txt", dirs, 2, &len), "a prefix is not a folder");
    cr_assert_null(tp_group_dir_of("other/x/y.txt", dirs, 2, &len));
}

Test(group, ids_and_order)
{
    struct tp_corpus *c = corpus();
    doc(c, "d1", "b", "gas luce");
    doc(c, "d2", NULL, "gas");
    doc(c, "d3", "B", "acqua");
    doc(c, "d4", "b", "gas gas");
    /* ids in first-seen order after "" (id 0) */
    cr_assert_eq(tp_corpus_n_groups(c), 3);
    cr_assert_eq(tp_corpus_doc_group(c, 0), 1);
    cr_assert_eq(tp_corpus_doc_group(c, 1), 0);
    cr_assert_eq(tp_corpus_doc_group(c, 2), 2);
    cr_assert_eq(tp_corpus_doc_group(c, 3), 1);
    /* bytewise: "" < "B" < "b" */
    uint32_t order[3], rank[3];
    tp_group_order(c, order, rank);
    cr_assert_str_eq(name(c, order[0]), "");
    cr_assert_str_eq(name(c, order[1]), "B");
    cr_assert_str_eq(name(c, order[2]), "b");
    cr_assert_eq(rank[1], 2);
    cr_assert_eq(tp_group_find(c, "B", 1), 2);
    cr_assert_eq(tp_group_find(c, "x", 1), -1);
    tp_corpus_free(c);
}

/* Cells of the listed term "gas" by group name: count, docs. */
static void gas_by_group(struct tp_corpus *c, uint64_t *b, uint64_t *none)
{
    cr_assert_eq(tp_corpus_match_settle(c), 0);
    const struct tp_counts *r = tp_corpus_counts(c);
    b[0] = b[1] = none[0] = none[1] = 0;
    for (size_t i = 0; i < r->n_cells; i++) {
        uint32_t t = tp_match_cell_term(&r->cells[i]);
        uint64_t *to = strcmp(name(c, t / (uint32_t)r->n_match), "b") == 0 ? b : none;
        to[0] += r->cells[i].count;
        to[1] += r->cells[i].docs;
    }
}

Test(group, merge_maps_ids)
{
    struct tp_corpus *one = corpus(), *a = corpus(), *b = corpus();
    struct tp_error err;
    doc(one, "d1", "a", "gas");
    doc(one, "d2", "b", "gas gas");
    doc(one, "d3", NULL, "gas luce");
    doc(one, "d4", "b", "luce");
    /* the same documents counted in two parts: b sees "b" before "" */
    doc(a, "d1", "a", "gas");
    doc(b, "d2", "b", "gas gas");
    doc(b, "d3", NULL, "gas luce");
    doc(b, "d4", "b", "luce");
    cr_assert_eq(tp_corpus_merge(a, b, &err), 0, "%s", err.msg);
    cr_assert_eq(tp_corpus_n_groups(a), tp_corpus_n_groups(one));
    for (size_t d = 0; d < 4; d++) {
        cr_assert_eq(tp_corpus_doc_group(a, d), tp_corpus_doc_group(one, d), "doc %zu", d);
        cr_assert_str_eq(name(a, tp_corpus_doc_group(a, d)), d == 2 ? "" : d == 0 ? "a" : "b");
    }
    /* "gas" in group b: 2 occurrences in 1 document; in "": 1 in 1 */
    uint64_t gb[2], gn[2];
    gas_by_group(a, gb, gn);
    cr_assert_eq(gb[0], 2);
    cr_assert_eq(gb[1], 1);
    gas_by_group(one, gb, gn);
    cr_assert_eq(gb[0], 2);
    cr_assert_eq(gb[1], 1);
    cr_assert_eq(gn[0], 2, "group a (1) and group \"\" (1) are not b");
    tp_corpus_free(one);
    tp_corpus_free(a);
    tp_corpus_free(b);
}

/* --group-by's sums by (group, term) of counter k (group.h): the dense
 * 32-bit cells or, once a sum passes 32 bits, the 64-bit pairs. */
static uint64_t gsum_of(const struct tp_corpus *c, const char *group, const char *term)
{
    const struct tp_gsum *s = &c->r.uni.gsum;
    int64_t g = tp_group_find(c, group, strlen(group));
    int64_t id = tp_table_find(&c->r.terms, term, strlen(term));
    cr_assert(g >= 0 && id >= 0, "%s in %s", term, group);
    if (!s->keys)
        return (size_t)id < s->rows && (size_t)g < s->cols
                   ? s->cell[(size_t)id * s->cols + (size_t)g]
                   : 0;
    for (size_t i = 0; i <= s->mask; i++)
        if (s->keys[i] == ((uint64_t)g << 32 | (uint64_t)id) + 1)
            return s->count[i];
    return 0;
}

/* A document of group with the tokens of text, and `more` occurrences of
 * its last token added to the open document's count (as a very long
 * document would give). */
static void big_doc(struct tp_corpus *c, const char *id, const char *group, const char *text,
                    uint64_t more)
{
    struct tp_date d = {2024, 1, 0, TP_PREC_MONTH};
    struct tp_error err;
    cr_assert_eq(tp_corpus_begin(c, id, &d, 0), 0);
    cr_assert_eq(tp_corpus_set_group(c, group, strlen(group)), 0);
    const char *last = text;
    for (const char *p = text; *p; p++)
        if (*p == ' ')
            last = p + 1;
    for (const char *p = text, *e; *p; p = *e ? e + 1 : e) {
        e = strchr(p, ' ');
        e = e ? e : p + strlen(p);
        cr_assert_eq(tp_corpus_token(c, p, (size_t)(e - p), 0), 0);
    }
    int64_t t = tp_table_find(&c->r.terms, last, strlen(last));
    cr_assert(t >= 0);
    c->r.uni.doc[t] += more;
    cr_assert_eq(tp_corpus_end(c, &err), 0, "%s", err.msg);
}

static struct tp_corpus *summed(int spill)
{
    struct tp_count_opts o = {.spill = spill, .group_sums = 1};
    struct tp_corpus *c;
    struct tp_error err;
    cr_assert_eq(tp_corpus_new(&c, &o, &err), 0, "%s", err.msg);
    return c;
}

Test(group, sums_past_32_bits)
{
    for (int spill = 0; spill <= 1; spill++) {
        struct tp_corpus *c = summed(spill);
        int64_t a, b;
        big_doc(c, "d1", "x", "a", 4294967290u - 1); /* a: 2^32 - 6 in x */
        cr_assert_null(c->r.uni.gsum.keys, "32-bit cells while the sums fit");
        cr_assert_eq(gsum_of(c, "x", "a"), 4294967290u);
        /* b then 6 more a: a's sum in x passes 2^32 - 1 at the second id */
        big_doc(c, "d2", "x", "b a a a a a a", 0);
        cr_assert_not_null(c->r.uni.gsum.keys, "64-bit pairs once a sum passes 32 bits");
        cr_assert_eq(gsum_of(c, "x", "a"), 4294967296u);
        cr_assert_eq(gsum_of(c, "x", "b"), 1);
        big_doc(c, "d3", "y", "a", 0);
        cr_assert_eq(gsum_of(c, "y", "a"), 1);
        cr_assert_eq(gsum_of(c, "x", "a"), 4294967296u);
        /* the counter's own totals and document frequencies: each document once */
        cr_assert((a = tp_table_find(&c->r.terms, "a", 1)) >= 0);
        cr_assert((b = tp_table_find(&c->r.terms, "b", 1)) >= 0);
        cr_assert_eq(c->r.uni.total[a], 4294967297u, "spill %d", spill);
        cr_assert_eq(c->r.uni.df[a], 3, "spill %d", spill);
        cr_assert_eq(c->r.uni.total[b], 1);
        cr_assert_eq(c->r.uni.df[b], 1);
        tp_corpus_free(c);
    }
}

Test(group, merged_sums_past_32_bits)
{
    struct tp_corpus *p = summed(1), *q = summed(1);
    struct tp_error err;
    big_doc(p, "d1", "x", "b a", 3000000000u - 1);
    big_doc(q, "d2", "x", "a", 3000000000u - 1);
    big_doc(q, "d3", "y", "a", 0);
    cr_assert_null(p->r.uni.gsum.keys);
    cr_assert_eq(tp_corpus_merge(p, q, &err), 0, "%s", err.msg);
    cr_assert_not_null(p->r.uni.gsum.keys);
    cr_assert_eq(gsum_of(p, "x", "a"), 6000000000u);
    cr_assert_eq(gsum_of(p, "x", "b"), 1);
    cr_assert_eq(gsum_of(p, "y", "a"), 1);
    tp_corpus_free(p);
    tp_corpus_free(q);
}

/* One walk's lists of group g, as text: "doc:term=count,...;" per document. */
static size_t walk_text(struct tp_gwalk *w, const struct tp_counts *k, uint32_t g, char *out,
                        size_t cap)
{
    struct tp_error err;
    size_t n = 0;
    int rc;
    out[0] = '\0';
    tp_gwalk_group(w, g);
    while ((rc = tp_gwalk_next(w, &err)) > 0) {
        cr_assert_eq(w->group, g);
        n += (size_t)snprintf(out + n, cap - n, "%zu:", w->doc);
        for (size_t j = 0; j < w->n; j++)
            n += (size_t)snprintf(out + n, cap - n, "%s=%llu,", k->terms.terms[w->ids[j]].bytes,
                                  (unsigned long long)w->counts[j]);
        n += (size_t)snprintf(out + n, cap - n, ";");
        cr_assert_lt(n, cap);
    }
    cr_assert_eq(rc, 0, "%s", err.msg);
    return n;
}

/* Walk the group tp_gwalk_take (or tp_gwalk_group) set, g, whose every
 * document lists n_each ids: the documents walked. */
static size_t walk_count(struct tp_gwalk *w, uint32_t g, size_t n_each)
{
    struct tp_error err;
    size_t n = 0;
    int rc;
    while ((rc = tp_gwalk_next(w, &err)) > 0) {
        cr_assert_eq(w->group, g);
        cr_assert_eq(w->n, n_each);
        n++;
    }
    cr_assert_eq(rc, 0, "%s", err.msg);
    return n;
}

/* A group walk that gathers groups' records into memory first gives each
 * group's documents and lists as the walk reading them in place does: in
 * batches that fit its limit, with a group too large for it read in place,
 * and with documents counted in two parts (two spill files), also when
 * documents counted after the merge go to the first corpus's own file (a
 * --shard share: a file's parts on threads, then the next file's part on one
 * thread), so that file 0 holds documents both before and after file 1's.
 * Each document's text is known, so both are also held to a tally made here. */
Test(group, gathered_walk_same_as_in_place)
{
    static const char *words[] = {"gas", "luce", "acqua", "pane", "vino", "sale"};
    static const char *gname[] = {"big", "a", "b", "c", "d"};
    for (int parts = 1; parts <= 3; parts++) {
        struct tp_corpus *c = corpus(), *c2 = parts >= 2 ? corpus() : NULL;
        struct tp_error err;
        uint32_t seed = 12345;
        unsigned tally[5][6] = {{0}}; /* by group name, word */
        for (int d = 0; d < 600; d++) {
            char id[16], text[256] = "";
            snprintf(id, sizeof(id), "d%d", d);
            seed = seed * 1103515245u + 12345u;
            int gi = (seed >> 16) % 8 < 4 ? 0 : 1 + (int)((seed >> 20) % 4); /* half in "big" */
            int n_tok = (int)((seed >> 8) % 7); /* 0..6, some documents empty */
            for (int t = 0; t < n_tok; t++) {
                seed = seed * 1103515245u + 12345u;
                int wi = (int)((seed >> 16) % 6);
                strcat(text, words[wi]);
                strcat(text, " ");
                tally[gi][wi]++;
            }
            if (parts == 3 && d == 400) /* c's own file: documents 0..199, 400.. */
                cr_assert_eq(tp_corpus_merge(c, c2, &err), 0, "%s", err.msg);
            doc(c2 && (parts == 2 ? d >= 300 : d >= 200 && d < 400) ? c2 : c, id, gname[gi], text);
        }
        if (parts == 2)
            cr_assert_eq(tp_corpus_merge(c, c2, &err), 0, "%s", err.msg);
        struct tp_counts *k = tp_corpus_counts(c);
        size_t G = tp_corpus_n_groups(c);
        cr_assert_eq(G, 6); /* "" and the five names */
        static char in_place[6][65536], gathered[65536];
        struct tp_gwalk w;
        cr_assert_eq(tp_gwalk_init(&w, k, &k->uni, G, &err), 0, "%s", err.msg);
        cr_assert(w.mapped);
        uint64_t big = 0, small = 0;
        for (uint32_t g = 0; g < G; g++)
            walk_text(&w, k, g, in_place[g], sizeof(in_place[g]));
        tp_gwalk_release(&w);
        /* the tally: each group's words summed from the in-place text */
        for (uint32_t g = 1; g < G; g++) {
            int gi = -1;
            for (int i = 0; i < 5; i++)
                if (strcmp(name(c, g), gname[i]) == 0)
                    gi = i;
            cr_assert_geq(gi, 0);
            for (int wi = 0; wi < 6; wi++) {
                unsigned sum = 0;
                char key[16];
                snprintf(key, sizeof(key), "%s=", words[wi]);
                size_t kl = strlen(key);
                for (const char *p = in_place[g]; (p = strstr(p, key)) != NULL; p += kl)
                    if (p[-1] == ':' || p[-1] == ',')
                        sum += (unsigned)strtoul(p + kl, NULL, 10);
                cr_assert_eq(sum, tally[gi][wi], "group %s word %s", gname[gi], words[wi]);
            }
        }
        /* gathered in batches: a limit that holds two small groups, not "big" */
        cr_assert_eq(tp_gwalk_init(&w, k, &k->uni, G, &err), 0, "%s", err.msg);
        uint32_t order[6] = {2, 5, 1, 0, 4, 3}; /* not by id: the order asked */
        uint64_t bytes[6] = {0};                /* each group's records */
        for (size_t d = 0; d < k->n_docs; d++)
            bytes[k->docs[d].group] += k->uni.lens[d];
        for (uint32_t g = 0; g < G; g++) {
            if (strcmp(name(c, g), "big") == 0)
                big = bytes[g];
            else if (bytes[g] > small)
                small = bytes[g];
        }
        cr_assert_gt(big, 2 * small);
        w.gather_max = 2 * small;
        size_t n_batches = 0, n_in_place = 0;
        for (size_t r = 0; r < G; r++) {
            n_batches += tp_gwalk_take(&w, order, G, r) > 0;
            n_in_place += !w.in_gbuf;
            size_t n = walk_text(&w, k, order[r], gathered, sizeof(gathered));
            cr_assert_eq(n, strlen(in_place[order[r]]));
            cr_assert_str_eq(gathered, in_place[order[r]], "group %u", order[r]);
        }
        cr_assert_geq(n_batches, 2);
        cr_assert_eq(n_in_place, 1, "\"big\" alone is read in place");
        tp_gwalk_release(&w);
        tp_corpus_free(c);
        if (c2)
            tp_corpus_free(c2);
    }
}

/* Gathering groups whose documents alternate copies each record once over
 * all batches (not the records between a batch's once a batch), in at most
 * TP_GATHER_PASSES batches: a spill that would need more is not gathered at
 * all (read in place); either way each group's walk gives its documents. */
Test(group, gathered_batches_copy_each_record_once)
{
    struct tp_corpus *c = corpus();
    struct tp_error err;
    char text[8192];
    enum { G_NAMES = 16, DOCS = 480 };
    for (int d = 0; d < DOCS; d++) {
        char id[16], g[16];
        snprintf(id, sizeof(id), "d%d", d);
        snprintf(g, sizeof(g), "g%d", d % G_NAMES); /* the groups alternate */
        size_t n = 0;
        for (int t = 0; t < 400; t++) /* 400 words of the document's own: 2 KB a record */
            n += (size_t)snprintf(text + n, sizeof(text) - n, "w%dx%d ", d, t);
        doc(c, id, g, text);
    }
    struct tp_counts *k = tp_corpus_counts(c);
    size_t G = tp_corpus_n_groups(c);
    uint64_t spill = 0, most = 0, bytes[G_NAMES + 1];
    memset(bytes, 0, sizeof(bytes));
    cr_assert_eq(G, G_NAMES + 1);
    for (size_t d = 0; d < k->n_docs; d++) {
        spill += k->uni.lens[d];
        bytes[k->docs[d].group] += k->uni.lens[d];
    }
    for (size_t g = 0; g < G; g++)
        most = bytes[g] > most ? bytes[g] : most;
    uint32_t order[G_NAMES + 1];
    for (uint32_t g = 0; g < G; g++)
        order[g] = g;
    /* two groups a batch: 8 batches, the most gathered; one a batch: 16
     * batches would be needed, so none is made */
    for (int two = 1; two >= 0; two--) {
        struct tp_gwalk w;
        cr_assert_eq(tp_gwalk_init(&w, k, &k->uni, G, &err), 0, "%s", err.msg);
        cr_assert(w.mapped);
        w.gather_max = two ? 2 * most : most;
        size_t n_batches = 0;
        for (size_t r = 0; r < G; r++) {
            n_batches += tp_gwalk_take(&w, order, G, r) > 0;
            size_t n = walk_count(&w, order[r], 400);
            cr_assert_eq(n, bytes[order[r]] ? DOCS / G_NAMES : 0);
        }
        if (two) {
            cr_assert_eq(n_batches, TP_GATHER_PASSES);
            cr_assert_eq(w.gread, spill, "%llu bytes copied for a spill of %llu",
                         (unsigned long long)w.gread, (unsigned long long)spill);
        } else {
            cr_assert_eq(n_batches, 0);
            cr_assert_eq(w.gread, 0);
        }
        tp_gwalk_release(&w);
    }
    tp_corpus_free(c);
}

/* A gathering whose buffer cannot be mapped is not tried again: each group
 * after it walked in place asked for the buffer anew, and each ask cleared
 * and scanned every group's entry (time in the square of the groups when
 * memory is short); the walks stay right. */
#ifndef NO_MMAP_HOOK
Test(group, gather_buffer_failure_not_tried_again)
{
    struct tp_corpus *c = corpus();
    struct tp_error err;
    enum { G_NAMES = 6, DOCS = 60 };
    for (int d = 0; d < DOCS; d++) {
        char id[16], g[16];
        snprintf(id, sizeof(id), "d%d", d);
        snprintf(g, sizeof(g), "g%d", d % G_NAMES);
        doc(c, id, g, "alpha beta gamma");
    }
    struct tp_counts *k = tp_corpus_counts(c);
    size_t G = tp_corpus_n_groups(c);
    uint32_t order[G_NAMES + 1];
    for (uint32_t g = 0; g < G; g++)
        order[g] = g;
    struct tp_gwalk w;
    cr_assert_eq(tp_gwalk_init(&w, k, &k->uni, G, &err), 0, "%s", err.msg);
    cr_assert(w.mapped);
    fail_anon = 1;
    anon_tries = 0;
    size_t docs = 0;
    for (size_t r = 0; r < G; r++) {
        cr_assert_eq(tp_gwalk_take(&w, order, G, r), 0);
        docs += walk_count(&w, order[r], 3);
    }
    fail_anon = 0;
    cr_assert_eq(docs, DOCS);
    cr_assert_eq(anon_tries, 1, "the buffer asked for %d times", anon_tries);
    tp_gwalk_release(&w);
    tp_corpus_free(c);
}
#endif
