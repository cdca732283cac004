/*
 * stopwords.c - built-in Snowball stopword lists, user lists and language
 * names (see stopwords.h). The list data is generated at build time from
 * src/stopwords/ (one .stop file per language) by src/stopwords/embed.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "stopwords.h"

struct tp_stoplist_data {
    const char *name;
    const char *words;
    size_t len;
};
extern const struct tp_stoplist_data tp_stoplist_data[];

static const struct {
    enum tp_lang lang;
    const char *code;
    const char *list;
} langs[] = {
    {TP_LANG_AUTO, "auto", NULL},     {TP_LANG_IT, "it", "italian"}, {TP_LANG_FR, "fr", "french"},
    {TP_LANG_EN, "en", "english"},    {TP_LANG_ES, "es", "spanish"}, {TP_LANG_DE, "de", "german"},
    {TP_LANG_PT, "pt", "portuguese"}, {TP_LANG_NONE, "none", NULL},
};

const char *tp_lang_name(enum tp_lang lang)
{
    for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
        if (langs[i].lang == lang)
            return langs[i].code;
    return "none";
}

int tp_lang_from_name(const char *s, enum tp_lang *lang)
{
    for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
        if (strcmp(langs[i].code, s) == 0) {
            *lang = langs[i].lang;
            return 0;
        }
    return -1;
}

/* Normalize one word like the tokenizer does (NFC, case fold) and add it. */
static int add_word(struct tp_table *set, const char *w, size_t len, int keep_case)
{
    utf8proc_uint8_t *norm = NULL;
    int opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE | (keep_case ? 0 : UTF8PROC_CASEFOLD);
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)w, (utf8proc_ssize_t)len, &norm,
                                      (utf8proc_option_t)opts);
    if (n < 0)
        return TP_EPARSE;
    /* Lists write elisions with or without the apostrophe: store it without. */
    size_t l = (size_t)n;
    if (l > 1 && (norm[l - 1] == '\''))
        l--;
    int64_t id = tp_table_intern(set, (const char *)norm, l, NULL);
    free(norm);
    return id < 0 ? TP_ENOMEM : 0;
}

int tp_stopwords_add_builtin(struct tp_table *set, enum tp_lang lang, int keep_case)
{
    const char *list = NULL;
    for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
        if (langs[i].lang == lang)
            list = langs[i].list;
    if (!list)
        return 0;
    for (const struct tp_stoplist_data *d = tp_stoplist_data; d->name; d++) {
        if (strcmp(d->name, list) != 0)
            continue;
        const char *p = d->words, *end = d->words + d->len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (len && add_word(set, p, len, keep_case) == TP_ENOMEM)
                return TP_ENOMEM;
            p += len + 1;
        }
    }
    return 0;
}

int tp_stopwords_add_file(struct tp_table *set, const char *path, int keep_case,
                          struct tp_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return tp_error_set(err, TP_EIO, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        char *s = line;
        if (lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3;
        size_t len = strlen(s);
        while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' ||
                       s[len - 1] == '\t'))
            len--;
        while (len && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        if (len == 0 || *s == '#')
            continue;
        rc = add_word(set, s, len, keep_case);
        if (rc == TP_EPARSE) {
            rc = tp_error_set(err, TP_EPARSE, "%s:%lu: not valid UTF-8", path, lineno);
            goto out;
        }
        if (rc) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (ferror(f))
        rc = tp_error_set(err, TP_EIO, "%s: %s", path, strerror(errno));
out:
    free(line);
    fclose(f);
    return rc;
}

/* Add the words of one (set as its own table) to set with flags bits. */
static int add_with_flags(struct tp_table *set, const struct tp_table *one, uint32_t bits)
{
    for (size_t w = 0; w < one->n; w++) {
        int64_t id = tp_table_intern(set, one->terms[w].bytes, one->terms[w].len, NULL);
        if (id < 0)
            return TP_ENOMEM;
        set->terms[id].flags |= bits;
    }
    return 0;
}

int tp_stopwords_by_lang(struct tp_table *set, int keep_case, unsigned corpus_langs,
                         const char *path, struct tp_error *err)
{
    static const enum tp_lang all[] = {TP_LANG_IT, TP_LANG_FR, TP_LANG_EN,
                                       TP_LANG_ES, TP_LANG_DE, TP_LANG_PT};
    for (size_t i = 0; i <= sizeof(all) / sizeof(all[0]); i++) {
        struct tp_table one;
        int rc = 0;
        if (tp_table_init(&one))
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        if (i < sizeof(all) / sizeof(all[0]))
            rc = tp_stopwords_add_builtin(&one, all[i], keep_case)
                     ? tp_error_set(err, TP_ENOMEM, "out of memory")
                     : 0;
        else if (path)
            rc = tp_stopwords_add_file(&one, path, keep_case, err);
        uint32_t bits = 0xFFu;
        if (i < sizeof(all) / sizeof(all[0]))
            bits = 1u << all[i] | ((corpus_langs >> all[i] & 1u) << TP_LANG_AUTO);
        if (!rc && add_with_flags(set, &one, bits))
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        tp_table_release(&one);
        if (rc)
            return rc;
    }
    return 0;
}
