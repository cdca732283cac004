/*
 * stem.c - --stem (Snowball stemmers through libstemmer) and --lemmas FILE:
 * each token mapped to its group before it is counted (stem.h).
 *
 * Where it sits: between the tokenizer and the counters (run_count.c's
 * counting sink), one tp_stem_worker a counting thread. A worker caches every
 * form it has seen in a table (form -> index) with the form's group, so the
 * stemmer (or the lemma lookup) runs once per distinct form; with --stem it
 * also counts each form by document (doc, touched) and in all (total), and
 * at the end adds its totals to the run's table of forms, from which each
 * group's most frequent form is chosen as its name.
 *
 * libstemmer is loaded by the first --stem run's tp_stem_new (dynlib.h), not
 * linked: its tables for thirty languages, relocated at every start, were a
 * third of the pages a run that does not stem wrote before reading a byte.
 */
#include <errno.h>
#include <libstemmer.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib.h"
#include "stem.h"
#include "stopwords.h"

#define STEM_API(X) X(sb_stemmer_new) X(sb_stemmer_delete) X(sb_stemmer_stem) X(sb_stemmer_length)

static struct {
    STEM_API(TP_DYN_SLOT)
} sbl;

static const char *const stem_names[] = {STEM_API(TP_DYN_NAME)};

static struct tp_dynlib libstemmer =
    TP_DYNLIB_INIT(TP_SONAME_STEMMER, "--stem", stem_names, &sbl, NULL);

struct tp_stem {
    int stem;              /* 1: --stem; 0: --lemmas */
    const char *algorithm; /* Snowball's name of the language */
    enum tp_lang lang;
    const struct tp_table *stop;
    /* tp_stem_set_split: forms are keyed by their language (a byte before
     * the form, here and in the workers' caches) */
    const struct tp_table *stop_lang;
    struct tp_table lemmas; /* forms of --lemmas ... */
    const char **lemma_of;  /* ... their lemma (in lemmas' arena) */
    uint32_t *lemma_len;
    struct tp_table forms; /* --stem: every form of every thread ... */
    const char **group_of; /* ... its group (in forms' arena) */
    uint32_t *group_len;
    uint64_t *total; /* ... and its count */
    size_t cap;
    pthread_mutex_t lock;
};

struct tp_stem_worker {
    struct tp_stem *s;
    struct sb_stemmer *sb;         /* the current language's */
    struct sb_stemmer *by_lang[8]; /* split: each language's, made when first needed */
    enum tp_lang lang;             /* split: the current language */
    char *key;                     /* split: the language byte and the form */
    size_t key_cap;
    struct tp_table cache; /* forms seen by this thread */
    const char **group;    /* by form: its group (in the cache's arena) */
    uint32_t *group_len;
    uint64_t *doc, *total; /* by form: in the current document, in all */
    uint32_t *touched;     /* forms counted in the current document */
    size_t n_touched, cap, touched_cap;
};

/* Grow the array at pp from old_n to new_n elements of elem bytes. Returns
 * 0 or TP_ENOMEM (the array as it was). */
static int grow(void *pp, size_t elem, size_t old_n, size_t new_n)
{
    void *p;
    memcpy(&p, pp, sizeof(p));
    void *q = realloc(p, new_n * elem);
    if (!q)
        return TP_ENOMEM;
    (void)old_n;
    memcpy(pp, &q, sizeof(q));
    /* q is now the caller's pointer (stored through pp): not a leak */
    // cppcheck-suppress memleak
    return 0;
}

#define TP_GROW_ARRAY(p, old_n, new_n) grow(&(p), sizeof(*(p)), (old_n), (new_n))

static const char *algorithm_of(enum tp_lang lang)
{
    switch (lang) {
    case TP_LANG_IT:
        return "italian";
    case TP_LANG_FR:
        return "french";
    case TP_LANG_EN:
        return "english";
    case TP_LANG_ES:
        return "spanish";
    case TP_LANG_DE:
        return "german";
    case TP_LANG_PT:
        return "portuguese";
    default:
        return NULL;
    }
}

static int is_stop_in(const struct tp_table *stop_lang, enum tp_lang lang, const char *tok,
                      size_t len)
{
    if (len > 1 && tok[len - 1] == '\'')
        len--;
    int64_t w = tp_table_find(stop_lang, tok, len);
    return w >= 0 && (stop_lang->terms[w].flags & (1u << lang));
}

static int is_stop(const struct tp_table *stop, const char *tok, size_t len)
{
    if (!stop || !stop->slots)
        return 0;
    if (tp_table_find(stop, tok, len) >= 0)
        return 1;
    return len > 1 && tok[len - 1] == '\'' && tp_table_find(stop, tok, len - 1) >= 0;
}

/* One line of --lemmas: lemma TAB form,form,... (forms as tokens are: the
 * caller's file holds them normalized, lower case unless --case keep). */
static int lemma_line(struct tp_stem *s, char *line, size_t len, const char *path, unsigned long ln,
                      struct tp_error *err)
{
    char *tab = memchr(line, '\t', len);
    if (!tab || tab == line || tab + 1 == line + len)
        return tp_error_set(err, TP_EPARSE,
                            "%s:%lu: not 'lemma<TAB>form1,form2,...' (a lemma, a tab, forms "
                            "separated by commas)",
                            path, ln);
    const char *lemma = tp_arena_strndup(&s->lemmas.arena, line, (size_t)(tab - line));
    if (!lemma)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    char *p = tab + 1, *end = line + len;
    while (p <= end) {
        char *comma = memchr(p, ',', (size_t)(end - p));
        char *e = comma ? comma : end;
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        char *f = e;
        while (f > p && (f[-1] == ' ' || f[-1] == '\t'))
            f--;
        if (f == p)
            return tp_error_set(err, TP_EPARSE, "%s:%lu: an empty form", path, ln);
        int added = 0;
        int64_t id = tp_table_intern(&s->lemmas, p, (size_t)(f - p), &added);
        if (id < 0)
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        if (!added)
            return tp_error_set(err, TP_EPARSE, "%s:%lu: the form '%.*s' is given twice", path, ln,
                                (int)(f - p), p);
        if ((size_t)id >= s->cap) {
            size_t cap = s->cap ? 2 * s->cap : 1024;
            const char **lo = realloc(s->lemma_of, cap * sizeof(*lo));
            if (lo)
                s->lemma_of = lo;
            uint32_t *ll = realloc(s->lemma_len, cap * sizeof(*ll));
            if (ll)
                s->lemma_len = ll;
            if (!lo || !ll)
                return tp_error_set(err, TP_ENOMEM, "out of memory");
            s->cap = cap;
        }
        s->lemma_of[id] = lemma;
        s->lemma_len[id] = (uint32_t)(tab - line);
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

static int load_lemmas(struct tp_stem *s, const char *path, struct tp_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return tp_error_set(err, TP_EIO, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long ln = 0;
    int rc = 0;
    while (!rc && (n = getline(&line, &cap, f)) >= 0) {
        ln++;
        size_t len = (size_t)n;
        char *p = line;
        if (ln == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3;
            len -= 3;
        }
        while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
            len--;
        size_t lead = 0;
        while (lead < len && (p[lead] == ' ' || p[lead] == '\t'))
            lead++;
        if (lead == len || p[lead] == '#')
            continue;
        rc = lemma_line(s, p, len, path, ln, err);
    }
    if (!rc && ferror(f))
        rc = tp_error_set(err, TP_EIO, "%s: %s", path, strerror(errno));
    if (!rc && s->lemmas.n == 0)
        rc = tp_error_set(err, TP_EPARSE, "%s: no lemma in it (lines 'lemma<TAB>form,form')", path);
    free(line);
    fclose(f);
    return rc;
}

int tp_stem_new(struct tp_stem **out, enum tp_lang lang, int stem, const char *lemmas_path,
                const struct tp_table *stop, struct tp_error *err)
{
    struct tp_stem *s = calloc(1, sizeof(*s));
    int rc;
    *out = NULL;
    if (!s)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    s->stem = stem;
    s->stop = stop;
    s->lang = lang;
    pthread_mutex_init(&s->lock, NULL);
    if (tp_table_init(&s->lemmas) || tp_table_init(&s->forms)) {
        tp_stem_free(s);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    if (stem) {
        if ((rc = tp_dynlib_need(&libstemmer, NULL, err))) {
            tp_stem_free(s);
            return rc;
        }
        s->algorithm = algorithm_of(lang);
        struct sb_stemmer *sb = s->algorithm ? sbl.sb_stemmer_new(s->algorithm, "UTF_8") : NULL;
        if (!sb) {
            tp_stem_free(s);
            return tp_error_set(err, TP_EUSAGE,
                                "--stem: no Snowball stemmer for --lang %s (it, fr, en, es, "
                                "de, pt)",
                                tp_lang_name(lang));
        }
        sbl.sb_stemmer_delete(sb);
    } else if ((rc = load_lemmas(s, lemmas_path, err))) {
        tp_stem_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void tp_stem_free(struct tp_stem *s)
{
    if (!s)
        return;
    tp_table_release(&s->lemmas);
    tp_table_release(&s->forms);
    free(s->lemma_of);
    free(s->lemma_len);
    free(s->group_of);
    free(s->group_len);
    free(s->total);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void tp_stem_set_split(struct tp_stem *s, const struct tp_table *stop_lang)
{
    s->stop_lang = stop_lang;
}

void tp_stem_set_lang(struct tp_stem_worker *w, enum tp_lang lang)
{
    if (!w->s->stop_lang || (unsigned)lang >= 8)
        return;
    w->lang = lang;
    if (!w->s->stem)
        return;
    if (!w->by_lang[lang]) {
        /* auto: the corpus's language's stemmer */
        const char *alg = algorithm_of(lang == TP_LANG_AUTO ? w->s->lang : lang);
        /* a language without a stemmer (none): its words stay as they are */
        w->by_lang[lang] = alg ? sbl.sb_stemmer_new(alg, "UTF_8") : NULL;
    }
    w->sb = w->by_lang[lang];
}

int tp_stem_worker_new(struct tp_stem_worker **out, struct tp_stem *s)
{
    struct tp_stem_worker *w = calloc(1, sizeof(*w));
    *out = NULL;
    if (!w || tp_table_init(&w->cache)) {
        free(w);
        return TP_ENOMEM;
    }
    w->s = s;
    if (s->stem && !(w->sb = sbl.sb_stemmer_new(s->algorithm, "UTF_8"))) {
        tp_table_release(&w->cache);
        free(w);
        return TP_ENOMEM;
    }
    /* split: the corpus's lists and stemmer until a document decides */
    w->lang = TP_LANG_AUTO;
    if (s->stop_lang)
        w->by_lang[TP_LANG_AUTO] = w->sb;
    *out = w;
    return 0;
}

static void worker_free(struct tp_stem_worker *w)
{
    int own = 1;
    for (unsigned l = 0; l < 8; l++)
        if (w->by_lang[l]) {
            own &= w->by_lang[l] != w->sb;
            sbl.sb_stemmer_delete(w->by_lang[l]);
        }
    if (w->sb && own)
        sbl.sb_stemmer_delete(w->sb);
    free(w->key);
    tp_table_release(&w->cache);
    free(w->group);
    free(w->group_len);
    free(w->doc);
    free(w->total);
    free(w->touched);
    free(w);
}

/* The group of a form new to this thread. */
static int new_form(struct tp_stem_worker *w, uint32_t id, const char *tok, size_t len)
{
    if (id >= w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 4096;
        if (TP_GROW_ARRAY(w->group, w->cap, cap) || TP_GROW_ARRAY(w->group_len, w->cap, cap) ||
            TP_GROW_ARRAY(w->doc, w->cap, cap) || TP_GROW_ARRAY(w->total, w->cap, cap))
            return TP_ENOMEM;
        w->cap = cap;
    }
    const char *g = tok;
    size_t glen = len;
    const struct tp_stem *s = w->s;
    if (s->stop_lang ? is_stop_in(s->stop_lang, w->lang, tok, len) : is_stop(s->stop, tok, len)) {
        /* a stopword stays itself */
    } else if (s->stem && !w->sb) {
        /* no stemmer for the document's language */
    } else if (s->stem) {
        const sb_symbol *r = sbl.sb_stemmer_stem(w->sb, (const sb_symbol *)tok, (int)len);
        if (!r)
            return TP_ENOMEM;
        g = (const char *)r;
        glen = (size_t)sbl.sb_stemmer_length(w->sb);
        if (!glen) {
            g = tok;
            glen = len;
        }
    } else {
        int64_t l = tp_table_find(&s->lemmas, tok, len);
        if (l >= 0) {
            g = s->lemma_of[l];
            glen = s->lemma_len[l];
        }
    }
    char *copy = tp_arena_strndup(&w->cache.arena, g, glen);
    if (!copy)
        return TP_ENOMEM;
    w->group[id] = copy;
    w->group_len[id] = (uint32_t)glen;
    w->doc[id] = 0;
    w->total[id] = 0;
    return 0;
}

int tp_stem_map(struct tp_stem_worker *w, const char *tok, size_t len, const char **out,
                size_t *out_len)
{
    int added = 0;
    int64_t id;
    if (w->s->stop_lang) {
        /* the form in its language: the language byte first */
        if (len + 1 > w->key_cap) {
            size_t cap = w->key_cap ? 2 * w->key_cap : 256;
            while (cap < len + 1)
                cap *= 2;
            char *k = realloc(w->key, cap);
            if (!k)
                return TP_ENOMEM;
            w->key = k;
            w->key_cap = cap;
        }
        w->key[0] = (char)('0' + w->lang);
        memcpy(w->key + 1, tok, len);
        id = tp_table_intern(&w->cache, w->key, len + 1, &added);
    } else {
        id = tp_table_intern(&w->cache, tok, len, &added);
    }
    if (id < 0 || (added && new_form(w, (uint32_t)id, tok, len)))
        return TP_ENOMEM;
    *out = w->group[id];
    *out_len = w->group_len[id];
    if (w->s->stem && w->doc[id]++ == 0) {
        if (w->n_touched == w->touched_cap) {
            size_t cap = w->touched_cap ? 2 * w->touched_cap : 1024;
            if (TP_GROW_ARRAY(w->touched, w->touched_cap, cap))
                return TP_ENOMEM;
            w->touched_cap = cap;
        }
        w->touched[w->n_touched++] = (uint32_t)id;
    }
    return 0;
}

void tp_stem_doc_end(struct tp_stem_worker *w)
{
    for (size_t i = 0; i < w->n_touched; i++) {
        uint32_t id = w->touched[i];
        w->total[id] += w->doc[id];
        w->doc[id] = 0;
    }
    w->n_touched = 0;
}

void tp_stem_doc_drop(struct tp_stem_worker *w)
{
    for (size_t i = 0; i < w->n_touched; i++)
        w->doc[w->touched[i]] = 0;
    w->n_touched = 0;
}

int tp_stem_worker_finish(struct tp_stem_worker *w)
{
    if (!w)
        return 0;
    struct tp_stem *s = w->s;
    int rc = 0;
    if (s->stem) {
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < w->cache.n && !rc; i++) {
            if (!w->total[i])
                continue;
            const struct tp_term *t = &w->cache.terms[i];
            int added = 0;
            int64_t id = tp_table_intern(&s->forms, t->bytes, t->len, &added);
            if (id < 0) {
                rc = TP_ENOMEM;
                break;
            }
            if ((size_t)id >= s->cap) {
                size_t cap = s->cap ? 2 * s->cap : 4096;
                while (cap <= (size_t)id)
                    cap *= 2;
                if (TP_GROW_ARRAY(s->group_of, s->cap, cap) ||
                    TP_GROW_ARRAY(s->group_len, s->cap, cap) ||
                    TP_GROW_ARRAY(s->total, s->cap, cap)) {
                    rc = TP_ENOMEM;
                    break;
                }
                s->cap = cap;
            }
            if (added) {
                char *g = tp_arena_strndup(&s->forms.arena, w->group[i], w->group_len[i]);
                if (!g) {
                    rc = TP_ENOMEM;
                    break;
                }
                s->group_of[id] = g;
                s->group_len[id] = w->group_len[i];
                s->total[id] = 0;
            }
            s->total[id] += w->total[i];
        }
        pthread_mutex_unlock(&s->lock);
    }
    worker_free(w);
    return rc;
}

int tp_stem_name_groups(struct tp_stem *s, struct tp_counts *c)
{
    if (!s->stem)
        return 0;
    size_t n = c->terms.n;
    int64_t *best = malloc((n ? n : 1) * sizeof(*best));
    if (!best)
        return TP_ENOMEM;
    for (size_t i = 0; i < n; i++)
        best[i] = -1;
    for (size_t f = 0; f < s->forms.n; f++) {
        int64_t g = tp_table_find(&c->terms, s->group_of[f], s->group_len[f]);
        if (g < 0)
            continue;
        int64_t b = best[g];
        if (b >= 0) {
            const struct tp_term *x = &s->forms.terms[f], *y = &s->forms.terms[b];
            /* split: forms compared without their language byte */
            size_t sk = s->stop_lang != NULL, xl = x->len - sk, yl = y->len - sk;
            size_t k = xl < yl ? xl : yl;
            int cmp = memcmp(x->bytes + sk, y->bytes + sk, k);
            cmp = cmp ? cmp : (xl > yl) - (xl < yl);
            if (s->total[f] < s->total[b] || (s->total[f] == s->total[b] && cmp > 0))
                continue;
        }
        best[g] = (int64_t)f;
    }
    /* renamed only now: the lookups above went by the groups' own bytes */
    size_t skip = s->stop_lang != NULL; /* split: the language byte */
    for (size_t i = 0; i < n; i++)
        if (best[i] >= 0) {
            c->terms.terms[i].bytes = s->forms.terms[best[i]].bytes + skip;
            c->terms.terms[i].len = s->forms.terms[best[i]].len - (uint32_t)skip;
        }
    free(best);
    return 0;
}
