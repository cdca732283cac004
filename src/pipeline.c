/*
 * pipeline.c - one run set up before counting (see pipeline.h): the corpus's
 * language picked from a sample (struct sample, pick_language; each
 * document's is doclang.c), the stopwords, the listed terms of --terms
 * and --terms-file tokenized into tuples (struct collect), and the run's
 * first corpus. The counting itself, the sink and its threads, is
 * run_count.c, which makes each worker's corpus with tp_run_corpus_new
 * (pipeline_int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding.h"
#include "pipeline_int.h"
#include "stem.h"
#include "stopwords.h"

void tp_run_init(struct tp_run *run, const struct tp_opts *o, tp_warn_fn *warn, void *warn_ctx,
                 tp_progress_fn *progress, void *progress_ctx)
{
    memset(run, 0, sizeof(*run));
    run->o = o;
    run->warn = warn;
    run->warn_ctx = warn_ctx;
    run->progress = progress;
    run->progress_ctx = progress_ctx;
}

/* --- --lang auto: count stopword hits of every language in a sample ------- */

const enum tp_lang tp_auto_langs[TP_N_AUTO] = {TP_LANG_IT, TP_LANG_EN, TP_LANG_FR,
                                               TP_LANG_ES, TP_LANG_DE, TP_LANG_PT};

struct sample {
    struct tp_table words;             /* every list's words; flags: bit i for tp_auto_langs[i] */
    struct tp_langlook look;           /* words, for a batch's tokens */
    uint64_t by_mask[1u << TP_N_AUTO]; /* tokens by the set of lists they are on */
    uint64_t n_tokens;
    uint64_t bytes;
    struct tp_tokenizer *tk;
};

static int sample_token(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    struct sample *s = ctx;
    (void)seg;
    if (len > 1 && tok[len - 1] == '\'')
        len--;
    int64_t id = tp_table_find(&s->words, tok, len);
    s->by_mask[id >= 0 ? s->words.terms[id].flags : 0]++;
    s->n_tokens++;
    return 0;
}

/* sample_token for a batch of tokens of up to 16 bytes (tp_langlook_token
 * gives what sample_token finds in words). */
static int sample_batch(void *ctx, const struct tp_token_batch *b)
{
    struct sample *s = ctx;
    if (!s->look.filter) {
        for (size_t i = 0; i < b->n; i++)
            sample_token(ctx, b->tok + 16 * i, b->len[i], b->seg[i]);
        return 0;
    }
    const struct tp_langlook look = s->look; /* (in registers) */
    for (size_t i = 0; i < b->n; i++)
        s->by_mask[tp_langlook_token(&look, b->tok + 16 * i, b->len[i])]++;
    s->n_tokens += b->n;
    return 0;
}

static int sample_begin(void *ctx, const struct tp_doc *doc, struct tp_error *err)
{
    struct sample *s = ctx;
    (void)doc;
    (void)err;
    tp_tokenizer_flush(s->tk);
    tp_tokenizer_reset(s->tk);
    return 0;
}

static int sample_text(void *ctx, const char *buf, size_t len, struct tp_error *err)
{
    struct sample *s = ctx;
    int rc = tp_tokenizer_feed(s->tk, buf, len);
    if (rc < 0)
        return tp_error_set(err, rc, "out of memory");
    s->bytes += len;
    if (s->bytes < TP_LANG_SAMPLE)
        return 0;
    /* enough: what the batch holds counts too */
    if (tp_tokenizer_flush(s->tk))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    return TP_STOP;
}

static int sample_end(void *ctx, struct tp_error *err)
{
    struct sample *s = ctx;
    int rc = tp_tokenizer_finish(s->tk);
    if (rc < 0)
        return tp_error_set(err, rc, "out of memory");
    return s->bytes >= TP_LANG_SAMPLE ? TP_STOP : 0;
}

/* Every --lang auto language's stopwords in *words (made here), each with
 * flags bit i for tp_auto_langs[i]. 0 or TP_ENOMEM. */
static int auto_lang_words(struct tp_table *words)
{
    if (tp_table_init(words))
        return TP_ENOMEM;
    for (size_t i = 0; i < TP_N_AUTO; i++) {
        struct tp_table one;
        if (tp_table_init(&one) || tp_stopwords_add_builtin(&one, tp_auto_langs[i], 0)) {
            tp_table_release(&one);
            return TP_ENOMEM;
        }
        for (size_t w = 0; w < one.n; w++) {
            int64_t id = tp_table_intern(words, one.terms[w].bytes, one.terms[w].len, NULL);
            if (id < 0) {
                tp_table_release(&one);
                return TP_ENOMEM;
            }
            words->terms[id].flags |= 1u << i;
        }
        tp_table_release(&one);
    }
    return 0;
}

static int pick_language(struct tp_run *run, struct tp_reader *const *readers, size_t n,
                         struct tp_error *err)
{
    struct sample s;
    int rc = 0;
    memset(&s, 0, sizeof(s));
    /* The elision profile splits "l'acqua" and "don't" alike into a head that
     * ends in an apostrophe, which matches both languages' list entries.
     * The sample reads no segments. */
    struct tp_tokenizer_opts to = {.elide = 1, .apocope = 1, .no_segments = 1};
    if (tp_tokenizer_new(&s.tk, &to, sample_token, &s)) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    tp_tokenizer_set_batch(s.tk, sample_batch);
    if (auto_lang_words(&s.words) || (TP_TABLE_WORDS && tp_langlook_build(&s.look, &s.words))) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    struct tp_sink sink = {&s, sample_begin, sample_text, sample_end, NULL};
    for (size_t r = 0; r < n && s.bytes < TP_LANG_SAMPLE; r++) {
        tp_reader_sample(readers[r], TP_LANG_SAMPLE + (64u << 10));
        rc = tp_reader_run(readers[r], &sink, NULL, NULL, err);
        tp_reader_sample(readers[r], 0);
        if (rc)
            goto out;
    }
    uint64_t hits[TP_N_AUTO] = {0};
    for (unsigned m = 1; m < (1u << TP_N_AUTO); m++)
        for (size_t i = 0; i < TP_N_AUTO; i++)
            if (m & (1u << i))
                hits[i] += s.by_mask[m];
    size_t best = 0;
    for (size_t i = 1; i < TP_N_AUTO; i++)
        if (hits[i] > hits[best])
            best = i;
    run->lang = hits[best] ? tp_auto_langs[best] : TP_LANG_NONE;
    run->lang_hits = hits[best];
    /* A mixed corpus (Italian news with some English articles): add the list of
     * every other language whose own words, those not on the main list, are at
     * least 1% of the sampled tokens. Shared short words ("a", "in") do not
     * count, so a monolingual corpus gets its one list. */
    for (size_t i = 0; hits[best] && i < TP_N_AUTO; i++) {
        uint64_t own = 0;
        for (unsigned m = 1; m < (1u << TP_N_AUTO); m++)
            if ((m & (1u << i)) && !(m & (1u << best)))
                own += s.by_mask[m];
        if (i != best && own * 100 >= s.n_tokens)
            run->extra_langs |= 1u << tp_auto_langs[i];
    }
    /* a corpus that mixes languages (some list added): a language for each
     * document, found with the lists, which stay for that */
    if (run->extra_langs) {
        run->lang_words = s.words;
        memset(&s.words, 0, sizeof(s.words));
        run->per_doc_lang = 1;
    }
out:
    tp_langlook_release(&s.look);
    if (s.words.slots)
        tp_table_release(&s.words);
    tp_tokenizer_free(s.tk);
    return rc;
}

int tp_run_setup(struct tp_run *run, struct tp_reader *const *readers, size_t n,
                 struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    int rc;
    run->lang = o->lang;
    if (run->lang == TP_LANG_AUTO && run->preset) {
        /* a count state read with text: the text is counted as the state
         * was, each document in its own language when the state's corpus
         * mixed languages */
        run->lang = run->preset_lang;
        run->extra_langs = run->preset_extra;
        if (run->extra_langs) {
            if (auto_lang_words(&run->lang_words))
                return tp_error_set(err, TP_ENOMEM, "out of memory");
            run->per_doc_lang = 1;
        }
    } else if (run->lang == TP_LANG_AUTO && (rc = pick_language(run, readers, n, err))) {
        return rc;
    }
    if (tp_table_init(&run->stop))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    if (!o->no_stopwords) {
        if (tp_stopwords_add_builtin(&run->stop, run->lang, o->keep_case))
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        for (unsigned l = 0; l < 32; l++)
            if ((run->extra_langs & (1u << l)) &&
                tp_stopwords_add_builtin(&run->stop, (enum tp_lang)l, o->keep_case))
                return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    if (o->stopwords_path &&
        (rc = tp_stopwords_add_file(&run->stop, o->stopwords_path, o->keep_case, err)))
        return rc;
    /* a corpus that mixes languages: each document's language's list */
    if (run->extra_langs && !o->no_stopwords &&
        (tp_table_init(&run->stop_lang) ||
         (rc = tp_stopwords_by_lang(&run->stop_lang, o->keep_case,
                                    run->extra_langs | 1u << run->lang, o->stopwords_path, err))))
        return rc ? rc : tp_error_set(err, TP_ENOMEM, "out of memory");
    run->tok_opts.elide = run->lang == TP_LANG_IT || run->lang == TP_LANG_FR;
    run->tok_opts.apocope = run->lang == TP_LANG_IT;
    run->tok_opts.keep_case = o->keep_case;
    run->tok_opts.nfkc = o->nfkc;
    run->tok_opts.split_hyphens = o->split_hyphens;
    tp_run_set_sizes(run, readers, n);
    return 0;
}

void tp_run_set_sizes(struct tp_run *run, struct tp_reader *const *readers, size_t n)
{
    run->bytes_total = run->input_bytes = run->n_files = 0;
    for (size_t i = 0; i < n; i++) {
        run->bytes_total += tp_reader_estimated_bytes(readers[i]);
        run->input_bytes += tp_reader_total_bytes(readers[i]);
        size_t nf;
        tp_reader_files(readers[i], &nf);
        /* a --shard share's lines of a file that begins in an earlier
         * share: that share counts the file (one input, whatever the
         * shares: tempora-mpi's manifest says what one process says) */
        uint64_t start, len;
        unsigned long line;
        if (tp_reader_range(readers[i], &start, &len, &line) && start > 0)
            nf = 0;
        run->n_files += nf;
    }
}

/* --- --terms and --terms-file: each term tokenized into a tuple --------------- */

/* The tokens of one term: at most TP_KEY_MAX, and whether there were more. */
struct collect {
    char *toks[TP_KEY_MAX];
    size_t lens[TP_KEY_MAX];
    unsigned n;
    int too_long;
    int oom;
    struct tp_stem_worker *sw; /* --stem / --lemmas: words mapped as in the text */
    struct tp_run *kw;         /* kwic: multi-word patterns go to kw->kpat */
};

static int collect_token(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    struct collect *c = ctx;
    (void)seg;
    if (c->n == TP_KEY_MAX) {
        c->too_long = 1;
        return 1;
    }
    if (!(c->toks[c->n] = strndup(tok, len))) {
        c->oom = 1;
        return 1;
    }
    c->lens[c->n++] = len;
    return 0;
}

int tp_run_tokenize_string(struct tp_run *run, const char *s, size_t len, tp_token_fn *fn,
                           void *ctx)
{
    struct tp_tokenizer *tk;
    if (tp_tokenizer_new(&tk, &run->tok_opts, fn, ctx))
        return TP_ENOMEM;
    int rc = tp_tokenizer_feed(tk, s, len);
    if (!rc)
        rc = tp_tokenizer_finish(tk);
    tp_tokenizer_free(tk);
    return rc;
}

/* Whether s[0..len) has a word (a run without blanks) ending in '*' that is
 * not its end: a pattern of several words. */
static int several_with_star(const char *s, size_t len)
{
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    int star = 0, words = 0, in = 0;
    for (size_t i = 0; i < len; i++) {
        int blank = s[i] == ' ' || s[i] == '\t';
        words += !blank && !in;
        in = !blank;
        star |= s[i] == '*' && (i + 1 == len || s[i + 1] == ' ' || s[i + 1] == '\t');
    }
    return star && words > 1;
}

/* kwic: the term s[0..len) of several blank-separated words, each ending in
 * '*' or not, as a struct tp_kwic_pattern in run->kpat: each word's tokens,
 * the star making its last token a prefix. */
static int add_kwic_pattern(struct tp_tokenizer *tk, struct collect *c, const char *s, size_t len,
                            const char *where, int code, struct tp_error *err)
{
    struct tp_kwic_pattern p;
    int rc = 0;
    memset(&p, 0, sizeof(p));
    size_t i = 0;
    while (i < len && !rc) {
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        size_t b = i;
        while (i < len && s[i] != ' ' && s[i] != '\t')
            i++;
        if (b == i)
            break;
        size_t e = i;
        int star = s[e - 1] == '*';
        tp_tokenizer_reset(tk);
        if (tp_tokenizer_feed(tk, s + b, e - b - (size_t)star) || tp_tokenizer_finish(tk) ||
            c->oom) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            break;
        }
        if (p.n + c->n > TP_KEY_MAX || c->too_long) {
            rc = tp_error_set(err, code, "%s: '%.*s' is longer than %d words", where,
                              (int)(len > 200 ? 200 : len), s, TP_KEY_MAX);
            break;
        }
        for (unsigned t = 0; t < c->n; t++) {
            int pre = star && t + 1 == c->n;
            const char *g = c->toks[t];
            size_t glen = c->lens[t];
            if (c->sw && !pre && tp_stem_map(c->sw, c->toks[t], c->lens[t], &g, &glen)) {
                rc = tp_error_set(err, TP_ENOMEM, "out of memory");
                break;
            }
            if (!(p.word[p.n] = strndup(g, glen))) {
                rc = tp_error_set(err, TP_ENOMEM, "out of memory");
                break;
            }
            p.len[p.n] = glen;
            p.prefix[p.n++] = (uint8_t)pre;
        }
        for (unsigned t = 0; t < c->n; t++)
            free(c->toks[t]);
        c->n = 0;
    }
    if (c->sw)
        tp_stem_doc_drop(c->sw);
    struct tp_run *run = c->kw;
    if (!rc && p.n == 0)
        rc = tp_error_set(err, code, "%s: '%.*s' has no word in it", where,
                          (int)(len > 200 ? 200 : len), s);
    if (!rc) {
        struct tp_kwic_pattern *a = realloc(run->kpat, (run->n_kpat + 1) * sizeof(*a));
        if (!a) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        } else {
            run->kpat = a;
            a[run->n_kpat++] = p;
            return 0;
        }
    }
    for (unsigned t = 0; t < p.n; t++)
        free(p.word[t]);
    return rc;
}

/* Tokenize the term s[0..len) with tk (which collects into c) and register
 * it in corpus. An error names the term after `where` ("--terms" or
 * "FILE:LINE") with status code. */
static int add_term(struct tp_tokenizer *tk, struct collect *c, struct tp_corpus *corpus,
                    const char *s, size_t len, const char *where, int code, struct tp_error *err)
{
    int rc = 0;
    if (c->kw && several_with_star(s, len))
        return add_kwic_pattern(tk, c, s, len, where, code, err);
    /* `word*`: a prefix pattern, one word (as tokenized) then the star */
    int prefix = 0;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len && s[len - 1] == '*') {
        prefix = 1;
        len--;
    }
    tp_tokenizer_reset(tk);
    int trc = tp_tokenizer_feed(tk, s, len);
    if (!trc)
        trc = tp_tokenizer_finish(tk);
    int shown = len > 200 ? 200 : (int)len;
    /* a listed word is counted as its group, as the text's words are; a
     * pattern's prefix is matched against the groups as it is */
    for (unsigned i = 0; c->sw && !prefix && !c->oom && i < c->n; i++) {
        const char *g;
        size_t glen;
        char *copy = NULL;
        if (tp_stem_map(c->sw, c->toks[i], c->lens[i], &g, &glen) || !(copy = strndup(g, glen))) {
            c->oom = 1;
            break;
        }
        free(c->toks[i]);
        c->toks[i] = copy;
        c->lens[i] = glen;
    }
    if (c->sw)
        tp_stem_doc_drop(c->sw);
    if (c->too_long)
        rc = tp_error_set(err, code, "%s: '%.*s' is longer than %d words", where, shown, s,
                          TP_KEY_MAX);
    else if (c->oom || trc)
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
    else if (c->n == 0)
        rc = tp_error_set(err, code, "%s: '%.*s' has no word in it", where, shown + prefix, s);
    else if (prefix && c->n > 1)
        rc = tp_error_set(err, code,
                          "%s: '%.*s': a pattern is one word followed by '*' (several words are "
                          "a pattern in kwic only)",
                          where, shown + prefix, s);
    else if (prefix && tp_corpus_add_prefix(corpus, c->toks[0], c->lens[0]) < 0)
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
    else if (!prefix &&
             tp_corpus_add_match(corpus, (const char *const *)c->toks, c->lens, c->n) < 0)
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
    for (unsigned i = 0; i < c->n; i++)
        free(c->toks[i]);
    struct tp_stem_worker *sw = c->sw;
    struct tp_run *kw = c->kw;
    memset(c, 0, sizeof(*c));
    c->sw = sw;
    c->kw = kw;
    return rc;
}

/* Register the terms of one --terms-file (its text loaded by
 * tp_run_start_counting): one a line, blank lines and lines whose first
 * character that is not a space is '#' skipped, a UTF-8 BOM and CRs at line
 * ends ignored. */
static int add_terms_file(struct tp_tokenizer *tk, struct collect *c, struct tp_corpus *corpus,
                          const char *path, const char *text, size_t size, struct tp_error *err)
{
    const char *p = text, *end = text + size;
    unsigned long line = 0, n_terms = 0;
    char where[1100];
    if (size >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *e = nl ? nl : end;
        p = nl ? nl + 1 : end;
        line++;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            e--;
        if (s == e || *s == '#')
            continue;
        if (!tp_encoding_is_utf8(s, (size_t)(e - s)))
            return tp_error_set(err, TP_EPARSE, "%s:%lu: not valid UTF-8", path, line);
        snprintf(where, sizeof(where), "%s:%lu", path, line);
        int rc = add_term(tk, c, corpus, s, (size_t)(e - s), where, TP_EPARSE, err);
        if (rc)
            return rc;
        n_terms++;
    }
    if (!n_terms)
        return tp_error_set(err, TP_EPARSE,
                            "%s: no term in it (one term a line; blank lines and lines starting "
                            "with # are skipped)",
                            path);
    return 0;
}

/* Register the listed terms: those of --terms in order, then those of each
 * --terms-file; a term whose tokens were listed before is not listed again. */
static int add_terms(struct tp_run *run, struct tp_corpus *corpus, struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    struct collect c;
    struct tp_tokenizer *tk;
    int rc = 0;
    memset(&c, 0, sizeof(c));
    c.kw = run->kwic_patterns ? run : NULL;
    if ((run->stem && tp_stem_worker_new(&c.sw, run->stem)) ||
        tp_tokenizer_new(&tk, &run->tok_opts, collect_token, &c)) {
        tp_stem_worker_finish(c.sw);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    const char *p = o->terms;
    while (p && *p && !rc) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        rc = add_term(tk, &c, corpus, p, len, "--terms", TP_EUSAGE, err);
        p = comma ? comma + 1 : NULL;
    }
    for (size_t i = 0; i < o->n_terms_files && !rc; i++)
        rc = add_terms_file(tk, &c, corpus, o->terms_files[i], run->terms_text[i],
                            run->terms_size[i], err);
    tp_tokenizer_free(tk);
    tp_stem_worker_finish(c.sw);
    return rc;
}

/* A new corpus counted with the run's settings, listed terms registered, in
 * *corpus (NULL when it could not be made; kept when a term fails: the
 * caller frees it either way). run_count.c's workers make theirs with it. */
int tp_run_corpus_new(struct tp_run *run, struct tp_corpus **corpus, struct tp_error *err)
{
    int rc = tp_corpus_new(corpus, &run->count_opts, err);
    if (rc == 0 && (run->o->terms || run->o->n_terms_files))
        rc = add_terms(run, *corpus, err);
    return rc;
}

/* Read every --terms-file whole into run->terms_text, once for all the
 * corpora that register its terms. */
static int load_terms_files(struct tp_run *run, struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    if (!o->n_terms_files || run->terms_text)
        return 0;
    run->terms_text = calloc(o->n_terms_files, sizeof(*run->terms_text));
    run->terms_size = calloc(o->n_terms_files, sizeof(*run->terms_size));
    if (!run->terms_text || !run->terms_size)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    for (size_t i = 0; i < o->n_terms_files; i++) {
        const char *path = o->terms_files[i];
        FILE *f = fopen(path, "rb");
        if (!f)
            return tp_error_set(err, TP_EIO, "%s: %s", path, strerror(errno));
        size_t cap = 0, n = 0;
        char *buf = NULL;
        int rc = 0;
        for (;;) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64 * 1024;
                char *b = realloc(buf, cap);
                if (!b) {
                    rc = tp_error_set(err, TP_ENOMEM, "out of memory");
                    break;
                }
                buf = b;
            }
            size_t got = fread(buf + n, 1, cap - n, f);
            n += got;
            if (got == 0) {
                if (ferror(f))
                    rc = tp_error_set(err, TP_EIO, "%s: %s", path, strerror(errno));
                break;
            }
        }
        fclose(f);
        run->terms_text[i] = buf;
        run->terms_size[i] = n;
        if (rc)
            return rc;
    }
    return 0;
}

/* A run set up from a count state's header (tempora merge: its stopwords,
 * language and added lists, no tp_run_setup) of a corpus that mixes
 * languages: each document's lists, as tp_run_setup makes them, the words
 * of run->stop on no list (--stopwords) a stopword everywhere. Nothing when
 * the lists were not used (--no-stopwords). */
static int stop_lang_from_stop(struct tp_run *run, struct tp_error *err)
{
    struct tp_table mine;
    if (tp_table_init(&mine) || tp_stopwords_add_builtin(&mine, run->lang, run->o->keep_case)) {
        tp_table_release(&mine);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    int used = mine.n > 0;
    for (size_t i = 0; used && i < mine.n; i++)
        used = tp_table_find(&run->stop, mine.terms[i].bytes, mine.terms[i].len) >= 0;
    tp_table_release(&mine);
    if (!used)
        return 0;
    int rc;
    if (tp_table_init(&run->stop_lang))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    if ((rc = tp_stopwords_by_lang(&run->stop_lang, run->o->keep_case,
                                   run->extra_langs | 1u << run->lang, NULL, err)))
        return rc;
    for (size_t i = 0; i < run->stop.n; i++) {
        const struct tp_term *t = &run->stop.terms[i];
        if (tp_table_find(&run->stop_lang, t->bytes, t->len) >= 0)
            continue;
        int64_t id = tp_table_intern(&run->stop_lang, t->bytes, t->len, NULL);
        if (id < 0)
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        run->stop_lang.terms[id].flags = 0xFF;
    }
    return 0;
}

int tp_run_start_counting(struct tp_run *run, const struct tp_count_opts *co, struct tp_error *err)
{
    int src;
    if (run->extra_langs && run->stop.n && !run->stop_lang.slots &&
        (src = stop_lang_from_stop(run, err)))
        return src;
    run->count_opts = *co;
    run->count_opts.stop = &run->stop;
    run->count_opts.stop_lang = run->stop_lang.slots ? &run->stop_lang : NULL;
    run->count_opts.doc_lang = TP_LANG_AUTO; /* the corpus's lists, until a document decides */
    run->count_opts.min_length = run->o->min_length > 0 ? (unsigned)run->o->min_length : 0;
    run->count_opts.max_pair_bytes = (run->o->max_pair_mib ? run->o->max_pair_mib : TP_MAX_PAIR_MIB)
                                     << 20;
    run->count_opts.max_ngram_bytes =
        (run->o->max_ngram_mib ? run->o->max_ngram_mib : TP_MAX_NGRAM_MIB) << 20;
    int rc = load_terms_files(run, err);
    if (rc)
        return rc;
    if ((run->o->stem || run->o->lemmas_path) && !run->stem &&
        (rc = tp_stem_new(&run->stem, run->lang, run->o->stem, run->o->lemmas_path, &run->stop,
                          err)))
        return rc;
    if (run->stem && run->stop_lang.slots)
        tp_stem_set_split(run->stem, &run->stop_lang);
    return tp_run_corpus_new(run, &run->corpus, err);
}

int tp_run_counted(struct tp_run *run, struct tp_error *err)
{
    if (run->stem && run->corpus && tp_stem_name_groups(run->stem, tp_corpus_counts(run->corpus)))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    return 0;
}

void tp_run_release(struct tp_run *run)
{
    tp_stem_free(run->stem);
    run->stem = NULL;
    tp_corpus_free(run->corpus);
    run->corpus = NULL;
    tp_table_release(&run->stop);
    if (run->stop_lang.slots)
        tp_table_release(&run->stop_lang);
    if (run->lang_words.slots)
        tp_table_release(&run->lang_words);
    for (size_t i = 0; i < run->n_kpat; i++)
        for (unsigned w = 0; w < run->kpat[i].n; w++)
            free(run->kpat[i].word[w]);
    free(run->kpat);
    for (size_t i = 0; run->terms_text && i < run->o->n_terms_files; i++)
        free(run->terms_text[i]);
    free(run->terms_text);
    free(run->terms_size);
}
