/*
 * stopwords.h - stopword sets and language profiles.
 *
 * The built-in lists are the Snowball project's (shipped in
 * src/stopwords/ (one .stop file per language) with their licence, compiled in). A set is a term
 * table holding normalized words; the corpus flags a term as a stopword when it, or it without a
 * final apostrophe (elided "l'" -> "l"), is in the set.
 */
#ifndef TP_STOPWORDS_H
#define TP_STOPWORDS_H

#include "table.h"
#include "tempora.h"

/* "it", "en", ... for a language; "auto" and "none" for the others. */
const char *tp_lang_name(enum tp_lang lang);

/* Parse a --lang word. Returns 0, or -1 for an unknown language. */
int tp_lang_from_name(const char *s, enum tp_lang *lang);

/* Add the built-in list of lang (no-op for TP_LANG_NONE) to set, which must be
 * initialized. Words are case-folded unless keep_case. Returns 0 or TP_ENOMEM. */
int tp_stopwords_add_builtin(struct tp_table *set, enum tp_lang lang, int keep_case);

/* Add the words of a file (one a line, UTF-8, '#' starts a comment line) to
 * set, NFC-normalized and case-folded unless keep_case. Returns 0, or TP_EIO /
 * TP_EPARSE naming the file (and line), or TP_ENOMEM. */
int tp_stopwords_add_file(struct tp_table *set, const char *path, int keep_case,
                          struct tp_error *err);

/* A corpus that mixes languages: every word of the built-in lists of it,
 * fr, en, es, de and pt added to set (initialized), its flags bit
 * (1 << lang) for each language listing it, and bit (1 << TP_LANG_AUTO) when
 * a language of corpus_langs (bits 1 << lang: the corpus's lists) lists it;
 * the words of the file path (NULL: none) with all 8 bits (a stopword in
 * every document). Words as in tp_stopwords_add_builtin / _add_file.
 * Returns 0 or a TP_E* (err filled). */
int tp_stopwords_by_lang(struct tp_table *set, int keep_case, unsigned corpus_langs,
                         const char *path, struct tp_error *err);

#endif
