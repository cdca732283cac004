/*
 * stem.h - --stem and --lemmas: tokens mapped to the word group they are
 * counted as, before counting, so every table counts groups.
 *
 * --stem: the Snowball stemmer of the run's language (libstemmer); a group is
 * reported by its most frequent form (ties: the bytewise smallest), so the
 * surface forms are counted too, by document (a document the reader takes
 * back is dropped). --lemmas FILE: lines `lemma<TAB>form1,form2,...`; a
 * listed form is counted as its lemma, which is what rows show. Stopwords
 * are never mapped (their list is of surface forms).
 *
 * A tp_stem is the run's: the settings, the lemma table (read-only while
 * counting) and the surface counts of every thread. Each counting thread
 * has a tp_stem_worker (a libstemmer instance is not thread-safe): a cache
 * from surface form to group, so the stemmer runs once per distinct form,
 * not once per token.
 */
#ifndef TP_STEM_H
#define TP_STEM_H

#include <stddef.h>
#include <stdint.h>

#include "counts.h"
#include "table.h"
#include "tempora.h"

struct tp_stem;
struct tp_stem_worker;

/* The run's mapping: stem with lang's Snowball stemmer when stem, else the
 * lemmas of lemmas_path (one of the two is given); stop (borrowed, may be
 * NULL): forms never mapped. Returns 0, TP_EUSAGE (no stemmer for lang),
 * TP_EIO (the file cannot be read), TP_EPARSE (a bad line: FILE:LINE) or
 * TP_ENOMEM, err filled. */
int tp_stem_new(struct tp_stem **s, enum tp_lang lang, int stem, const char *lemmas_path,
                const struct tp_table *stop, struct tp_error *err);
void tp_stem_free(struct tp_stem *s);

/* A corpus that mixes languages (--lang auto): each document's tokens
 * mapped with its own language's stemmer, stopwords being those of its
 * language (stop_lang: tp_count_opts.stop_lang, borrowed), set with
 * tp_stem_set_lang; TP_LANG_AUTO (where a worker starts): the corpus's
 * language's stemmer and the corpus's lists. Before any worker is made. */
void tp_stem_set_split(struct tp_stem *s, const struct tp_table *stop_lang);

/* The language of the tokens w maps from now on (after tp_stem_set_split). */
void tp_stem_set_lang(struct tp_stem_worker *w, enum tp_lang lang);

/* A thread's mapper. Returns 0 or TP_ENOMEM. */
int tp_stem_worker_new(struct tp_stem_worker **w, struct tp_stem *s);

/* The group of the token tok[0..len): *out (valid until w is freed), *out_len.
 * Counts the form in the current document (--stem). Returns 0 or TP_ENOMEM. */
int tp_stem_map(struct tp_stem_worker *w, const char *tok, size_t len, const char **out,
                size_t *out_len);

/* The current document's forms are kept (end) or forgotten (drop). */
void tp_stem_doc_end(struct tp_stem_worker *w);
void tp_stem_doc_drop(struct tp_stem_worker *w);

/* Add w's form counts to its tp_stem (under a lock: threads end in any
 * order, sums do not care) and free w (NULL: nothing). Returns 0 or
 * TP_ENOMEM. */
int tp_stem_worker_finish(struct tp_stem_worker *w);

/* After all counting (--stem): give each group of c's term table the name of
 * its most frequent form (ties: bytewise smallest); the names are owned by s.
 * The table is then for reading names only (lookups by bytes no longer find
 * the renamed groups). Returns 0 or TP_ENOMEM. */
int tp_stem_name_groups(struct tp_stem *s, struct tp_counts *c);

#endif
