/*
 * pipeline.c - readers -> tokenizer -> counters for one run (see pipeline.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encoding.h"
#include "group.h"
#include "merge.h"
#include "pipeline.h"
#include "split.h"
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

static const enum tp_lang auto_langs[] = {TP_LANG_IT, TP_LANG_EN, TP_LANG_FR,
                                          TP_LANG_ES, TP_LANG_DE, TP_LANG_PT};
enum { N_AUTO = sizeof(auto_langs) / sizeof(auto_langs[0]) };

struct sample {
    struct tp_table words;          /* every list's words; flags: bit i for auto_langs[i] */
    uint64_t by_mask[1u << N_AUTO]; /* tokens by the set of lists they are on */
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

/* sample_token for a batch of tokens of up to 16 bytes. */
static int sample_batch(void *ctx, const struct tp_token_batch *b)
{
    struct sample *s = ctx;
    if (!TP_TABLE_WORDS) {
        for (size_t i = 0; i < b->n; i++)
            sample_token(ctx, b->tok + 16 * i, b->len[i], b->seg[i]);
        return 0;
    }
    for (size_t i = 0; i < b->n; i++) {
        const char *tok = b->tok + 16 * i;
        size_t len = b->len[i];
        uint64_t w[2];
        memcpy(w, tok, 16);
        /* an elided head ("l'") is looked up without its apostrophe: the
         * byte is cleared in the word that holds it */
        if (len > 1 && tok[len - 1] == '\'') {
            len--;
            w[len >> 3] &= ~((uint64_t)0xFF << (8 * (len & 7)));
        }
        int64_t id = tp_table_find_words(&s->words, len, w[0], w[1]);
        s->by_mask[id >= 0 ? s->words.terms[id].flags : 0]++;
    }
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

static int pick_language(struct tp_run *run, struct tp_reader *const *readers, size_t n,
                         struct tp_error *err)
{
    struct sample s;
    int rc = 0;
    memset(&s, 0, sizeof(s));
    /* The elision profile splits "l'acqua" and "don't" alike into a head that
     * ends in an apostrophe, which matches both languages' list entries. */
    struct tp_tokenizer_opts to = {.elide = 1, .apocope = 1};
    if (tp_tokenizer_new(&s.tk, &to, sample_token, &s)) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    tp_tokenizer_set_batch(s.tk, sample_batch);
    if (tp_table_init(&s.words)) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < N_AUTO; i++) {
        struct tp_table one;
        if (tp_table_init(&one) || tp_stopwords_add_builtin(&one, auto_langs[i], 0)) {
            tp_table_release(&one);
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t w = 0; w < one.n; w++) {
            int64_t id = tp_table_intern(&s.words, one.terms[w].bytes, one.terms[w].len, NULL);
            if (id < 0) {
                tp_table_release(&one);
                rc = tp_error_set(err, TP_ENOMEM, "out of memory");
                goto out;
            }
            s.words.terms[id].flags |= 1u << i;
        }
        tp_table_release(&one);
    }
    struct tp_sink sink = {&s, sample_begin, sample_text, sample_end, NULL};
    for (size_t r = 0; r < n && s.bytes < TP_LANG_SAMPLE; r++) {
        tp_reader_sample(readers[r], TP_LANG_SAMPLE + (64u << 10));
        rc = tp_reader_run(readers[r], &sink, NULL, NULL, err);
        tp_reader_sample(readers[r], 0);
        if (rc)
            goto out;
    }
    uint64_t hits[N_AUTO] = {0};
    for (unsigned m = 1; m < (1u << N_AUTO); m++)
        for (size_t i = 0; i < N_AUTO; i++)
            if (m & (1u << i))
                hits[i] += s.by_mask[m];
    size_t best = 0;
    for (size_t i = 1; i < N_AUTO; i++)
        if (hits[i] > hits[best])
            best = i;
    run->lang = hits[best] ? auto_langs[best] : TP_LANG_NONE;
    run->lang_hits = hits[best];
    /* A mixed corpus (Italian news with some English articles): add the list of
     * every other language whose own words, those not on the main list, are at
     * least 1% of the sampled tokens. Shared short words ("a", "in") do not
     * count, so a monolingual corpus gets its one list. */
    for (size_t i = 0; hits[best] && i < N_AUTO; i++) {
        uint64_t own = 0;
        for (unsigned m = 1; m < (1u << N_AUTO); m++)
            if ((m & (1u << i)) && !(m & (1u << best)))
                own += s.by_mask[m];
        if (i != best && own * 100 >= s.n_tokens)
            run->extra_langs |= 1u << auto_langs[i];
    }
    /* a corpus that mixes languages (some list added): a language for each
     * document, found with the lists, which stay for that */
    if (run->extra_langs) {
        run->lang_words = s.words;
        memset(&s.words, 0, sizeof(s.words));
        run->per_doc_lang = 1;
    }
out:
    if (s.words.slots)
        tp_table_release(&s.words);
    tp_tokenizer_free(s.tk);
    return rc;
}

/* --- --lang auto, per document ------------------------------------------ */

_Static_assert(N_AUTO <= 6, "by_mask holds the sets of at most 6 lists");

/* The word in dl->word ends: counted, and looked up unless too long. */
static inline void dl_word_end(struct tp_doclang *dl)
{
    if (!dl->wlen && !dl->wlong)
        return;
    dl->n_words++;
    if (!dl->wlong) {
        const struct tp_table *t = &dl->run->lang_words;
        int64_t id = TP_TABLE_WORDS ? tp_table_find_words(t, dl->wlen, dl->word[0], dl->word[1])
                                    : tp_table_find(t, (const char *)dl->word, dl->wlen);
        if (id >= 0)
            dl->by_mask[t->terms[id].flags & 63]++;
    }
    memset(dl->word, 0, sizeof(dl->word));
    dl->wlen = 0;
    dl->wlong = 0;
}

/* Scan p[0..n) for words; the bytes scanned (fewer than n once
 * TP_LANG_DOC_WORDS words are counted). */
static size_t dl_scan(struct tp_doclang *dl, const char *p, size_t n)
{
    unsigned char *w = (unsigned char *)dl->word;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)p[i];
        unsigned lower = c | 32;
        int alpha = lower - 'a' < 26;
        if (!(alpha || c >= 0x80 || c - '0' < 10)) {
            dl_word_end(dl);
            if (dl->n_words >= TP_LANG_DOC_WORDS)
                return i + 1;
        } else if (dl->wlen < TP_LANG_WORD_MAX) {
            w[dl->wlen++] = (unsigned char)(alpha ? lower : c);
        } else {
            dl->wlong = 1;
        }
    }
    return n;
}

static void set_profile(struct tp_tokenizer *tk, enum tp_lang lang)
{
    tp_tokenizer_set_apostrophes(tk, lang == TP_LANG_IT || lang == TP_LANG_FR, lang == TP_LANG_IT);
}

int tp_doclang_init(struct tp_doclang *dl, const struct tp_run *run, struct tp_tokenizer *tk)
{
    memset(dl, 0, sizeof(*dl));
    dl->run = run;
    dl->tk = tk;
    dl->active = run->per_doc_lang;
    return 0;
}

void tp_doclang_begin(struct tp_doclang *dl, int part)
{
    if (!dl->active)
        return;
    dl->len = dl->seen = 0;
    dl->n_words = 0;
    dl->wlen = 0;
    dl->wlong = 0;
    memset(dl->word, 0, sizeof(dl->word));
    memset(dl->by_mask, 0, sizeof(dl->by_mask));
    dl->holding = part == 0;
    if (!dl->holding) {
        /* a document counted in parts: the corpus's language, in every part */
        dl->lang = dl->run->lang;
        set_profile(dl->tk, dl->lang);
        if (part == 1)
            dl->docs[dl->lang]++;
    }
}

int tp_doclang_settle(struct tp_doclang *dl)
{
    if (!dl->active || !dl->holding)
        return 0;
    dl->holding = 0;
    dl_word_end(dl);
    enum tp_lang lang = dl->run->lang;
    if (dl->n_words >= TP_LANG_DOC_MIN) {
        uint64_t hits[N_AUTO] = {0};
        for (unsigned m = 1; m < 64; m++)
            for (size_t i = 0; i < N_AUTO; i++)
                if (m & (1u << i))
                    hits[i] += dl->by_mask[m];
        size_t best = N_AUTO;
        for (size_t i = 0; i < N_AUTO; i++)
            if (hits[i] && (best == N_AUTO || hits[i] > hits[best] ||
                            (hits[i] == hits[best] && auto_langs[i] == lang)))
                best = i;
        if (best < N_AUTO)
            lang = auto_langs[best];
    }
    dl->lang = lang;
    dl->docs[lang]++;
    set_profile(dl->tk, lang);
    return dl->len ? tp_tokenizer_feed(dl->tk, dl->buf, dl->len) : 0;
}

int tp_doclang_feed(struct tp_doclang *dl, const char *buf, size_t len)
{
    if (!dl->holding)
        return tp_tokenizer_feed(dl->tk, buf, len);
    size_t take = len < TP_LANG_DOC_BYTES - dl->seen ? len : TP_LANG_DOC_BYTES - dl->seen;
    size_t done = dl_scan(dl, buf, take);
    dl->seen += take;
    if (dl->seen >= TP_LANG_DOC_BYTES || done < take || dl->n_words >= TP_LANG_DOC_WORDS) {
        /* decided: what was held, then this text, go to the tokenizer */
        int rc = tp_doclang_settle(dl);
        return rc ? rc : tp_tokenizer_feed(dl->tk, buf, len);
    }
    if (dl->len + len > dl->cap) {
        size_t cap = dl->cap ? dl->cap : 8192;
        while (cap < dl->len + len)
            cap *= 2;
        char *p = realloc(dl->buf, cap);
        if (!p)
            return TP_ENOMEM;
        dl->buf = p;
        dl->cap = cap;
    }
    memcpy(dl->buf + dl->len, buf, len);
    dl->len += len;
    return 0;
}

void tp_doclang_forget(struct tp_doclang *dl)
{
    if (dl->active && dl->docs[dl->lang])
        dl->docs[dl->lang]--;
}

void tp_doclang_release(struct tp_doclang *dl)
{
    free(dl->buf);
    dl->buf = NULL;
}

int tp_run_setup(struct tp_run *run, struct tp_reader *const *readers, size_t n,
                 struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    int rc;
    run->lang = o->lang;
    if (run->lang == TP_LANG_AUTO && run->preset) {
        run->lang = run->preset_lang;
        run->extra_langs = run->preset_extra;
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
    run->tok_opts.elide = run->lang == TP_LANG_IT || run->lang == TP_LANG_FR;
    run->tok_opts.apocope = run->lang == TP_LANG_IT;
    run->tok_opts.keep_case = o->keep_case;
    run->tok_opts.nfkc = o->nfkc;
    run->tok_opts.split_hyphens = o->split_hyphens;
    for (size_t i = 0; i < n; i++) {
        run->bytes_total += tp_reader_total_bytes(readers[i]);
        size_t nf;
        tp_reader_files(readers[i], &nf);
        run->n_files += nf;
    }
    run->input_bytes = run->bytes_total;
    return 0;
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

/* Tokenize the term s[0..len) with tk (which collects into c) and register
 * it in corpus. An error names the term after `where` ("--terms" or
 * "FILE:LINE") with status code. */
static int add_term(struct tp_tokenizer *tk, struct collect *c, struct tp_corpus *corpus,
                    const char *s, size_t len, const char *where, int code, struct tp_error *err)
{
    int rc = 0;
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
                          "not a pattern)",
                          where, shown + prefix, s);
    else if (prefix && tp_corpus_add_prefix(corpus, c->toks[0], c->lens[0]) < 0)
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
    else if (!prefix &&
             tp_corpus_add_match(corpus, (const char *const *)c->toks, c->lens, c->n) < 0)
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
    for (unsigned i = 0; i < c->n; i++)
        free(c->toks[i]);
    struct tp_stem_worker *sw = c->sw;
    memset(c, 0, sizeof(*c));
    c->sw = sw;
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
 * caller frees it either way). */
static int corpus_new(struct tp_run *run, struct tp_corpus **corpus, struct tp_error *err)
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

int tp_run_start_counting(struct tp_run *run, const struct tp_count_opts *co, struct tp_error *err)
{
    run->count_opts = *co;
    run->count_opts.stop = &run->stop;
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
    return corpus_new(run, &run->corpus, err);
}

/* --- counting sink ------------------------------------------------------------ */

struct count_ctx {
    struct tp_corpus *corpus;
    struct tp_tokenizer *tk;
    int side;
    int oom;
    int part;              /* the document being read is a part (tp_doc.part) */
    uint64_t overlong_at;  /* tp_tokenizer_overlong when it began */
    uint64_t overlong_off; /* overlong runs of documents taken back */
    const struct tp_run *run;
    struct tp_doclang dl; /* --lang auto: each document's language */
    int skip;             /* the document is left out (--from/--to) */
    const struct tp_opts *o;
    struct tp_stem_worker *sw; /* --stem / --lemmas: this thread's mapper (NULL: none) */
};

static int count_token(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    struct count_ctx *c = ctx;
    if (c->sw && tp_stem_map(c->sw, tok, len, &tok, &len)) {
        c->oom = 1;
        return 1;
    }
    if (tp_corpus_token(c->corpus, tok, len, seg)) {
        c->oom = 1;
        return 1;
    }
    return 0;
}

/* count_batch under --stem / --lemmas: each token mapped to its group, the
 * groups of up to 16 bytes counted as a batch, longer ones one by one, in
 * order. */
static int count_batch_mapped(struct count_ctx *c, const struct tp_token_batch *b)
{
    static _Thread_local struct tp_token_batch m;
    m.n = 0;
    for (size_t i = 0; i < b->n; i++) {
        const char *g;
        size_t len;
        if (tp_stem_map(c->sw, b->tok + 16 * i, b->len[i], &g, &len))
            goto oom;
        if (len - 1 < 16) {
            memset(m.tok + 16 * m.n, 0, 16);
            memcpy(m.tok + 16 * m.n, g, len);
            m.len[m.n] = (uint8_t)len;
            m.seg[m.n++] = b->seg[i];
            continue;
        }
        if ((m.n && tp_corpus_tokens16(c->corpus, m.tok, m.len, m.seg, m.n)) ||
            tp_corpus_token(c->corpus, g, len, b->seg[i]))
            goto oom;
        m.n = 0;
    }
    if (m.n && tp_corpus_tokens16(c->corpus, m.tok, m.len, m.seg, m.n))
        goto oom;
    return 0;
oom:
    c->oom = 1;
    return 1;
}

/* Tokens of up to 16 bytes come in batches, so the table lookups of a batch
 * overlap their cache misses; longer ones come through count_token, in order. */
_Static_assert(TP_TOKEN_BATCH == TP_CORPUS_BATCH,
               "the tokenizer's batches must be what tp_corpus_tokens16 takes, or every batch "
               "takes its slow path");
static int count_batch(void *ctx, const struct tp_token_batch *b)
{
    struct count_ctx *c = ctx;
    if (c->sw)
        return count_batch_mapped(c, b);
    if (tp_corpus_tokens16(c->corpus, b->tok, b->len, b->seg, b->n)) {
        c->oom = 1;
        return 1;
    }
    return 0;
}

/* --group-by: the open document's group, its value or (dir) its folder. */
static int count_group(struct count_ctx *c, const struct tp_doc *doc, struct tp_error *err)
{
    size_t len;
    const char *g =
        tp_group_of_doc(doc, c->run->o->group_by, c->run->group_dirs, c->run->n_group_dirs, &len);
    int rc = tp_corpus_set_group(c->corpus, g, g ? len : 0);
    if (rc == TP_EDATA)
        return tp_error_set(err, TP_EDATA,
                            "--group-by %s: more groups than the listed terms leave room for "
                            "(groups x terms must stay under 2^32)",
                            c->run->o->group_by);
    return rc ? tp_corpus_oom(c->corpus, err) : 0;
}

int tp_date_in_range(const struct tp_opts *o, const struct tp_date *d)
{
    if (!o->date_from && !o->date_to)
        return 1;
    if (d->prec == TP_PREC_NONE)
        return 0;
    long key = (long)d->year * 10000 + (d->month ? d->month : 1) * 100 + (d->day ? d->day : 1);
    return (!o->date_from || key >= o->date_from) && (!o->date_to || key <= o->date_to);
}

static int count_begin(void *ctx, const struct tp_doc *doc, struct tp_error *err)
{
    struct count_ctx *c = ctx;
    /* --from/--to: a document out of range is read past, and counted as such
     * (a part of a document is never out: run_count does not divide then) */
    /* tokens of a document that did not end go where they always went */
    if (tp_tokenizer_flush(c->tk))
        return tp_corpus_oom(c->corpus, err);
    c->skip = doc->part != 2 && !tp_date_in_range(c->o, &doc->date);
    if (c->skip) {
        tp_corpus_counts(c->corpus)->n_out_of_range++;
        return 0;
    }
    c->part = doc->part;
    c->overlong_at = tp_tokenizer_overlong(c->tk);
    if (doc->part == 2)
        tp_tokenizer_continue(c->tk);
    else
        tp_tokenizer_reset(c->tk);
    tp_doclang_begin(&c->dl, doc->part);
    if (tp_corpus_begin(c->corpus, doc->id, &doc->date, c->side) ||
        (doc->part == 2 && tp_corpus_continue(c->corpus)))
        return tp_corpus_oom(c->corpus, err);
    if (c->run->o->group_by && doc->part != 2)
        return count_group(c, doc, err);
    return 0;
}

static int count_text(void *ctx, const char *buf, size_t len, struct tp_error *err)
{
    struct count_ctx *c = ctx;
    if (c->skip)
        return 0;
    if (tp_doclang_feed(&c->dl, buf, len))
        return tp_corpus_oom(c->corpus, err);
    return 0;
}

static int count_end(void *ctx, struct tp_error *err)
{
    struct count_ctx *c = ctx;
    if (c->skip) {
        c->skip = 0;
        return 0;
    }
    if (tp_doclang_settle(&c->dl) || tp_tokenizer_finish(c->tk))
        return tp_corpus_oom(c->corpus, err);
    if (c->sw)
        tp_stem_doc_end(c->sw);
    if (c->part) {
        /* the document goes on in the next part: closed after the merge */
        if (tp_corpus_suspend(c->corpus, tp_tokenizer_break_pending(c->tk)))
            return tp_corpus_oom(c->corpus, err);
        return 0;
    }
    return tp_corpus_end(c->corpus, err);
}

/* The reader takes the open document back (tp_sink.undo; protocol (1),
 * counts.h): first everything the tokenizer emitted is counted, so that the
 * text given again takes back exactly that, from the state the document
 * began in; at the end the corpus forgets the document. */
static int count_undo(void *ctx, int done, struct tp_error *err)
{
    struct count_ctx *c = ctx;
    if (c->skip) {
        /* the reader begins the document again */
        if (done) {
            tp_corpus_counts(c->corpus)->n_out_of_range--;
            c->skip = 0;
        }
        return 0;
    }
    /* the text held back for the language goes where it would have gone */
    if (tp_doclang_settle(&c->dl) || tp_tokenizer_flush(c->tk))
        return tp_corpus_oom(c->corpus, err);
    if (done) {
        tp_doclang_forget(&c->dl);
        if (tp_corpus_undo_end(c->corpus))
            return tp_corpus_oom(c->corpus, err);
        if (c->sw)
            tp_stem_doc_drop(c->sw);
        c->overlong_off += tp_tokenizer_overlong(c->tk) - c->overlong_at;
        tp_tokenizer_reset(c->tk);
        return 0;
    }
    if (tp_corpus_undo_begin(c->corpus))
        return tp_corpus_oom(c->corpus, err);
    if (c->part == 2)
        tp_tokenizer_continue(c->tk);
    else
        tp_tokenizer_reset(c->tk);
    return 0;
}

static void count_progress(void *ctx, uint64_t done, uint64_t total, uint64_t docs)
{
    struct tp_run *run = ctx;
    (void)total;
    (void)docs;
    if (run->progress)
        run->progress(run->progress_ctx, run->bytes_before + done, run->bytes_total,
                      tp_corpus_counts(run->corpus)->n_docs);
}

static void add_stats(struct tp_reader_stats *a, const struct tp_reader_stats *b)
{
    a->n_inputs += b->n_inputs;
    a->bytes += b->bytes;
    a->n_documents += b->n_documents;
    a->invalid_utf8 += b->invalid_utf8;
    a->cp1252_documents += b->cp1252_documents;
    a->skipped_inputs += b->skipped_inputs;
    a->bad_dates += b->bad_dates;
    a->attachments_skipped += b->attachments_skipped;
}

/* Count every document of r into corpus: the one-thread path and each
 * worker's body. */
static int count_into(struct tp_run *run, struct tp_corpus *corpus, struct tp_reader *r, int side,
                      tp_progress_fn *progress, void *progress_ctx, uint64_t *overlong,
                      struct tp_error *err)
{
    struct count_ctx c = {.corpus = corpus, .side = side, .run = run, .o = run->o};
    if ((run->stem && tp_stem_worker_new(&c.sw, run->stem)) ||
        tp_tokenizer_new(&c.tk, &run->tok_opts, count_token, &c) ||
        tp_doclang_init(&c.dl, run, c.tk)) {
        tp_stem_worker_finish(c.sw);
        tp_tokenizer_free(c.tk);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    tp_tokenizer_set_batch(c.tk, count_batch);
    struct tp_sink sink = {&c, count_begin, count_text, count_end, count_undo};
    int rc = tp_reader_run(r, &sink, progress, progress_ctx, err);
    *overlong += tp_tokenizer_overlong(c.tk) - c.overlong_off;
    /* workers run at once: their documents by language add up in any order */
    for (size_t l = 0; c.dl.active && l <= TP_LANG_NONE; l++)
        __atomic_fetch_add(&run->lang_docs[l], c.dl.docs[l], __ATOMIC_RELAXED);
    tp_doclang_release(&c.dl);
    tp_tokenizer_free(c.tk);
    if (tp_stem_worker_finish(c.sw) && !rc)
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
    return rc;
}

/* --- counting on several threads -------------------------------------------
 * The reader's files are cut into contiguous runs of about equal size; each
 * worker counts its run into a corpus of its own with a reader of its own, and
 * the corpora are merged in file order, which gives exactly the counts one
 * thread would. One large document cut into parts follows protocol (2),
 * merge.h. Warnings are kept per worker and passed on in file order. */

struct worker {
    struct tp_run *run;
    const char *const *files;
    size_t n_files;
    const struct tp_reader *parent; /* files are its files first.. */
    size_t first;
    int ranged; /* one part of files[0]: bytes [start, start + len) from line `line` */
    uint64_t start, len;
    unsigned long line;
    int side;
    struct tp_corpus *corpus;
    struct tp_reader *reader;
    struct tp_reader_stats rs;
    uint64_t overlong;
    uint64_t bytes_done;
    struct tp_error err;
    int rc;
    char *warnings;
    size_t w_len, w_cap;
    struct worker *all;
    size_t n_all;
};

static void worker_warn(void *ctx, const char *msg)
{
    struct worker *w = ctx;
    size_t n = strlen(msg) + 1;
    if (w->w_len + n > w->w_cap) {
        size_t cap = (w->w_cap + n) * 2;
        char *p = realloc(w->warnings, cap);
        if (!p)
            return;
        w->warnings = p;
        w->w_cap = cap;
    }
    memcpy(w->warnings + w->w_len, msg, n);
    w->w_len += n;
}

static void worker_progress(void *ctx, uint64_t done, uint64_t total, uint64_t docs)
{
    struct worker *w = ctx;
    (void)total;
    (void)docs;
    __atomic_store_n(&w->bytes_done, done, __ATOMIC_RELAXED);
    if (w != w->all || !w->run->progress)
        return;
    /* the first worker speaks for all */
    uint64_t sum = 0, n_docs = 0;
    for (size_t i = 0; i < w->n_all; i++)
        sum += __atomic_load_n(&w->all[i].bytes_done, __ATOMIC_RELAXED);
    n_docs = w->corpus ? tp_corpus_counts(w->corpus)->n_docs : 0;
    w->run->progress(w->run->progress_ctx, w->run->bytes_before + sum, w->run->bytes_total, n_docs);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    if (w->ranged)
        w->rc = tp_reader_new_range(&w->reader, w->files[0], w->start, w->len, w->line, w->run->o,
                                    worker_warn, w, &w->err);
    else
        w->rc = tp_reader_new_slice(&w->reader, w->parent, w->first, w->n_files, worker_warn, w,
                                    &w->err);
    if (w->rc)
        return NULL;
    w->rc = corpus_new(w->run, &w->corpus, &w->err);
    if (w->rc)
        return NULL;
    w->rc = count_into(w->run, w->corpus, w->reader, w->side, worker_progress, w, &w->overlong,
                       &w->err);
    w->rs = *tp_reader_stats(w->reader);
    return NULL;
}

static int count_parallel(struct tp_run *run, struct tp_reader *r, int side, unsigned n_threads,
                          struct tp_error *err)
{
    size_t n_files;
    const char *const *files = tp_reader_files(r, &n_files);
    struct worker *w = calloc(n_threads, sizeof(*w));
    pthread_t *tid = calloc(n_threads, sizeof(*tid));
    uint64_t *size = calloc(n_files, sizeof(*size));
    int rc = 0;
    unsigned started = 0;
    if (!w || !tid || !size) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n_files; i++) {
        size[i] = tp_reader_file_size(r, i);
        total += size[i];
    }
    /* contiguous runs, worker k ending where the running size passes
     * (k+1)/n of the total, each with at least one file */
    size_t at = 0;
    uint64_t cum = 0;
    for (unsigned k = 0; k < n_threads; k++) {
        size_t first = at;
        uint64_t goal = total / n_threads * (k + 1);
        while (at < n_files && (at == first || k == n_threads - 1 || cum + size[at] <= goal) &&
               n_files - at > n_threads - 1 - k)
            cum += size[at++];
        w[k] = (struct worker){.run = run,
                               .files = files + first,
                               .n_files = at - first,
                               .parent = r,
                               .first = first,
                               .side = side,
                               .all = w,
                               .n_all = n_threads};
    }
    int divided = n_files == 1 && tp_reader_divisible(r, 0);
    if (n_files == 1) {
        /* one large file, of one document per line or one document: its
         * parts, in order, cut after line feeds */
        uint64_t start[TP_MAX_THREADS], len[TP_MAX_THREADS];
        unsigned long line[TP_MAX_THREADS];
        enum tp_split_kind kind = divided                           ? TP_SPLIT_TEXT
                                  : tp_reader_splittable(r, 0) == 2 ? TP_SPLIT_CSV
                                                                    : TP_SPLIT_LINES;
        unsigned parts = tp_split_file(files[0], size[0], n_threads, kind, start, len, line);
        for (unsigned k = 0; k < n_threads; k++) {
            w[k].ranged = 1;
            w[k].files = files;
            w[k].n_files = 1;
            w[k].start = k < parts ? start[k] : size[0];
            w[k].len = k < parts ? len[k] : 0;
            w[k].line = k < parts ? line[k] : 1;
        }
        if (parts == 0) {
            w[0].start = 0;
            w[0].len = size[0];
        }
    }
    for (; started < n_threads; started++)
        if (pthread_create(&tid[started], NULL, worker_main, &w[started]) != 0) {
            rc = tp_error_set(err, TP_EINTERNAL, "cannot start a thread");
            break;
        }
    for (unsigned k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
    if (rc)
        goto out;
    if (n_files == 1) {
        /* a part that is not UTF-8 makes a whole document CP1252; a CSV
         * part that cannot number its rows stopped: count the file again
         * on one thread */
        int again = 0;
        for (unsigned k = 0; k < n_threads; k++)
            again |=
                w[k].rc == 0 &&
                ((divided && run->o->encoding == TP_ENC_AUTO && w[k].rs.cp1252_documents > 0) ||
                 (w[k].reader && tp_reader_whole_again(w[k].reader)));
        if (again) {
            rc = count_into(run, run->corpus, r, side, count_progress, run, &run->overlong, err);
            add_stats(&run->rs, tp_reader_stats(r));
            goto out;
        }
    }
    /* warnings and the first error, in file order */
    uint64_t inputs_before = run->rs.n_inputs;
    for (unsigned k = 0; k < n_threads; k++) {
        for (size_t p = 0; p < w[k].w_len; p += strlen(w[k].warnings + p) + 1)
            if (run->warn)
                run->warn(run->warn_ctx, w[k].warnings + p);
        if (w[k].rc) {
            *err = w[k].err;
            rc = w[k].rc;
            goto out;
        }
    }
    for (unsigned k = 0; k < n_threads; k++) {
        if (k == 0 && tp_corpus_empty(run->corpus)) {
            /* nothing counted yet: the first worker's corpus becomes the run's */
            tp_corpus_free(run->corpus);
            run->corpus = w[0].corpus;
            w[0].corpus = NULL;
        } else if ((rc = tp_corpus_merge(run->corpus, w[k].corpus, err))) {
            goto out;
        }
        add_stats(&run->rs, &w[k].rs);
        run->overlong += w[k].overlong;
    }
    if (n_files == 1)
        run->rs.n_inputs = inputs_before + (run->rs.n_inputs > inputs_before);
    if (divided) {
        /* the parts were one document */
        if (tp_corpus_in_doc(run->corpus) && (rc = tp_corpus_end(run->corpus, err)))
            goto out;
    }
    /* the expansion's own skips, counted once by the caller's reader */
    run->rs.skipped_inputs += tp_reader_skipped_at_expansion(r);
out:
    for (unsigned k = 0; w && k < n_threads; k++) {
        tp_corpus_free(w[k].corpus);
        tp_reader_free(w[k].reader);
        free(w[k].warnings);
    }
    free(w);
    free(tid);
    free(size);
    return rc;
}

unsigned tp_run_threads(const struct tp_run *run)
{
    long n = run->o->threads > 0 ? run->o->threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > TP_MAX_THREADS ? TP_MAX_THREADS : (unsigned)n;
}

int tp_run_count(struct tp_run *run, struct tp_reader *r, int side, struct tp_error *err)
{
    int rc;
    size_t n_files;
    const char *const *files = tp_reader_files(r, &n_files);
    unsigned threads = tp_run_threads(run);
    int from_stdin = 0;
    run->group_dirs = tp_reader_dirs(r, &run->n_group_dirs);
    for (size_t i = 0; i < n_files; i++)
        from_stdin |= strcmp(files[i], "-") == 0;
    /* a large file of one document per line is counted in parts; otherwise
     * whole files go to the threads */
    int split = n_files == 1 && !tp_reader_ranged(r) && tp_reader_total_bytes(r) >= (1u << 20) &&
                (tp_reader_splittable(r, 0) ||
                 (tp_reader_divisible(r, 0) && tp_reader_total_bytes(r) >= TP_DIVIDE_MIN &&
                  !run->o->date_from && !run->o->date_to));
    if (threads > n_files && !split)
        threads = (unsigned)n_files;
    if (split && tp_reader_divisible(r, 0) && threads > tp_reader_total_bytes(r) / TP_DIVIDE_PART)
        threads = (unsigned)(tp_reader_total_bytes(r) / TP_DIVIDE_PART);
    if (threads > 1 && !from_stdin) {
        rc = count_parallel(run, r, side, threads, err);
        if (threads > run->threads_used)
            run->threads_used = threads;
    } else {
        if (!run->threads_used)
            run->threads_used = 1;
        rc = count_into(run, run->corpus, r, side, count_progress, run, &run->overlong, err);
        add_stats(&run->rs, tp_reader_stats(r));
    }
    run->bytes_before += tp_reader_total_bytes(r);
    return rc;
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
    if (run->lang_words.slots)
        tp_table_release(&run->lang_words);
    for (size_t i = 0; run->terms_text && i < run->o->n_terms_files; i++)
        free(run->terms_text[i]);
    free(run->terms_text);
    free(run->terms_size);
}
