/*
 * test_group.c - groups of documents (--group-by): the first-level folder of a
 * path under the INPUT folders, group ids kept per document, names ordered
 * bytewise, and two corpora counted apart merging into the ids and listed-term
 * cells one corpus counting everything gives. Expected values by hand.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "counts_int.h"
#include "group.h"
#include "merge.h"

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
