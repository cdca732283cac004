/*
 * group.h - documents in groups (--group-by FIELD): the group names a
 * corpus holds and each document's group.
 *
 * Where it sits: in the counting stage, beside counts.h. The reader gives a
 * document's value (reader.h, tp_doc.group: a --meta column, a CSV column or
 * a JSONL field); for FIELD "dir" the counting sink finds the document's
 * first-level folder with tp_group_dir_of. The corpus keeps one group id per
 * document (tp_docrec.group) and the names (tp_counts.groups, a term table:
 * id 0 is "", the group of documents with no value; the others in the order
 * first seen). Merging corpora maps ids as it maps term ids, so ids follow
 * input order for any --threads; reports never show an id: they order
 * groups by name, bytewise (tp_group_order).
 *
 * The listed timeline terms are summed per date and group: a cell's term
 * index (tp_match_cell_term) is group * n_match + term.
 */
#ifndef TP_GROUP_H
#define TP_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "counts.h"

/* Put the open document of c in the group name[0..len) (len 0: the group
 * ""). Call after tp_corpus_begin and before its first token. Returns 0,
 * TP_ENOMEM, or TP_EDATA when groups times listed terms pass 2^32. */
int tp_corpus_set_group(struct tp_corpus *c, const char *name, size_t len);

/* Groups of c (at least 1: the group "" always exists). */
size_t tp_corpus_n_groups(const struct tp_corpus *c);

/* The name of group g (borrowed; *len its length). */
const char *tp_corpus_group_name(const struct tp_corpus *c, uint32_t g, size_t *len);

/* The group id of closed document doc (0 <= doc < n_docs). */
uint32_t tp_corpus_doc_group(const struct tp_corpus *c, size_t doc);

/* The groups of c by name, bytewise: order[0..n) holds group ids, and
 * rank[g] (when rank is not NULL) the place of group g. Arrays of
 * tp_corpus_n_groups entries the caller allocates. */
void tp_group_order(const struct tp_corpus *c, uint32_t *order, uint32_t *rank);

/* The id of the group named name[0..len), or -1 when no document is in it. */
int64_t tp_group_find(const struct tp_corpus *c, const char *name, size_t len);

/* For --group-by dir: the first-level folder of path under one of the
 * folders dirs[0..n) (the INPUT arguments that are folders, tp_reader_dirs),
 * the first whose path begins path: its start in path and its length in
 * *len; NULL when the file lies directly in that folder or under none. */
const char *tp_group_dir_of(const char *path, const char *const *dirs, size_t n, size_t *len);

struct tp_doc;

/* The group name of doc under --group-by group_by: the value the reader
 * settled (doc->group), or for "dir" its first-level folder under dirs[0..n)
 * (tp_group_dir_of). NULL (the group "") when it has none; *len its length.
 * Both the counting sink and kwic (which counts no corpus) settle it here. */
const char *tp_group_of_doc(const struct tp_doc *doc, const char *group_by, const char *const *dirs,
                            size_t n, size_t *len);

/* merge.c: put the open document of c in group id g of c (a map's value). */
int tp_corpus_set_group_id(struct tp_corpus *c, uint32_t g);

/* merge.c: src's group ids in dst (map[g] for each of src's groups; the
 * caller frees *map). Returns 0 or TP_ENOMEM. */
int tp_group_merge_map(struct tp_corpus *dst, const struct tp_corpus *src, uint32_t **map);

/* --group-by with tp_count_opts.group_sums: add the open document's counts
 * of counter k (its touched ids, all below n_ids, before tp_counter_end
 * folds them) to k's sums by (group g, id), k->gsum. Returns 0 or
 * TP_ENOMEM. */
int tp_gsum_add_doc(struct tp_counter *k, size_t n_ids, uint32_t g);

/* merge.c: add src's sums to dst's, src's group ids and term (or n-gram)
 * ids mapped to dst's through group_map and id_map. Returns 0 or
 * TP_ENOMEM. */
int tp_gsum_merge(struct tp_gsum *dst, const struct tp_gsum *src, const uint32_t *group_map,
                  const uint32_t *id_map);

void tp_gsum_release(struct tp_gsum *s);

#endif
