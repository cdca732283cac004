/*
 * test_doclang.c - the per-document language of --lang auto (struct
 * tp_doclang, src/doclang.c) against its definition (SPEC "Reading the
 * timelines", pipeline.h): a document's first 60 tokens, as the tokenizer
 * gives them with the corpus's profile, among those completed in its first
 * 4096 bytes when it is longer (all of them when it is not), are looked up
 * in every language's stopword list (an elided "l'" as "l"); at least 50
 * tokens there give the language with the most hits (ties: the corpus's
 * language, then the first in it, en, fr, es, de, pt), fewer or no hit the
 * corpus's. No token is counted before the decision, and the tokens counted
 * are those of the whole document tokenized with its language's profile.
 *
 * The reference below reads the definition plainly with a tokenizer of its
 * own: it is checked against what the counting callbacks receive, on
 * generated text (stopwords of every language in any case, typographic
 * apostrophes and dashes, tokens over 16 bytes, long runs of separators)
 * fed in pieces cut anywhere, through batches as the counting takes them
 * and one token at a time as `tempora tokens` does.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"
#include "stopwords.h"
#include "table.h"
#include "tokenizer.h"

#include "doclang_count.h"

static const enum tp_lang langs[] = {TP_LANG_IT, TP_LANG_EN, TP_LANG_FR,
                                     TP_LANG_ES, TP_LANG_DE, TP_LANG_PT};
enum { N_LANGS = 6 };

/* every language's stopwords, flags bit i for langs[i] (as the run has them) */
static void lang_words(struct tp_table *t)
{
    cr_assert_eq(tp_table_init(t), 0);
    for (int i = 0; i < N_LANGS; i++) {
        struct tp_table one;
        cr_assert_eq(tp_table_init(&one), 0);
        cr_assert_eq(tp_stopwords_add_builtin(&one, langs[i], 0), 0);
        for (size_t w = 0; w < one.n; w++) {
            int64_t id = tp_table_intern(t, one.terms[w].bytes, one.terms[w].len, NULL);
            cr_assert(id >= 0);
            t->terms[id].flags |= 1u << i;
        }
        tp_table_release(&one);
    }
}

struct ref {
    size_t n_tokens; /* in the window, at most 60 */
    uint64_t hits[N_LANGS];
    enum tp_lang lang;
};

/* The definition, plainly: the corpus's profile, the window's tokens, the
 * lists' hits, the decision. */
static void reference(const struct tp_table *t, const char *p, size_t n, enum tp_lang corpus,
                      struct ref *out)
{
    struct dl_rec r = {0};
    cr_assert_eq(dl_rec_plain(p, n, corpus, 1, &r), 0);
    memset(out, 0, sizeof(*out));
    for (size_t at = 0; at < r.len && out->n_tokens < 60; out->n_tokens++) {
        const char *tok;
        size_t len;
        at = dl_rec_next(&r, at, &tok, &len);
        if (len > 1 && tok[len - 1] == '\'')
            len--;
        int64_t id = tp_table_find(t, tok, len);
        for (int l = 0; id >= 0 && l < N_LANGS; l++)
            out->hits[l] += t->terms[id].flags >> l & 1;
    }
    free(r.b);
    out->lang = corpus;
    if (out->n_tokens < 50)
        return;
    int best = -1;
    for (int l = 0; l < N_LANGS; l++)
        if (out->hits[l] && (best < 0 || out->hits[l] > out->hits[best] ||
                             (out->hits[l] == out->hits[best] && langs[l] == corpus)))
            best = l;
    if (best >= 0)
        out->lang = langs[best];
}

/* A run of --lang auto: the counting's tokenizer (batches unless one_by_one)
 * and the decision, with the corpus's language and its lists. */
struct env {
    struct tp_run run;
    struct tp_tokenizer *tk;
    struct tp_doclang dl;
    struct dl_rec counted;
};

static void env_open(struct env *e, int one_by_one)
{
    memset(e, 0, sizeof(*e));
    lang_words(&e->run.lang_words);
    e->run.per_doc_lang = 1;
    e->run.lang = TP_LANG_IT;
    struct tp_tokenizer_opts to = {0};
    cr_assert_eq(tp_tokenizer_new(&e->tk, &to, dl_rec_token, &e->counted), 0);
    if (!one_by_one)
        tp_tokenizer_set_batch(e->tk, dl_rec_batch);
    cr_assert_eq(tp_doclang_init(&e->dl, &e->run, e->tk), 0);
    e->counted.dl = &e->dl;
}

static void env_close(struct env *e)
{
    tp_doclang_release(&e->dl);
    tp_tokenizer_free(e->tk);
    tp_table_release(&e->run.lang_words);
    free(e->counted.b);
}

/* One document fed in pieces of at most piece bytes (0: whole), as the
 * reader does; e->counted gets the tokens counted. */
static void run_doc(struct env *e, const char *p, size_t n, size_t piece)
{
    e->counted.len = 0;
    tp_tokenizer_reset(e->tk);
    tp_doclang_begin(&e->dl, 0);
    for (size_t i = 0; i < n;) {
        size_t k = piece && n - i > piece ? piece : n - i;
        cr_assert_eq(tp_doclang_feed(&e->dl, p + i, k), 0);
        i += k;
    }
    cr_assert_eq(tp_doclang_finish(&e->dl), 0);
    cr_assert_not(e->dl.deciding);
}

/* The decision and the tokens counted are the definition's. */
static void check_doc(struct env *e, const char *p, size_t n, size_t piece, const char *what)
{
    struct ref want;
    reference(&e->run.lang_words, p, n, e->run.lang, &want);
    run_doc(e, p, n, piece);
    cr_assert_eq(e->dl.lang, want.lang, "%s (piece %zu): language %d, want %d", what, piece,
                 (int)e->dl.lang, (int)want.lang);
    cr_assert_leq(e->dl.n_words, want.n_tokens, "%s", what);
    struct dl_rec all = {0};
    cr_assert_eq(dl_rec_plain(p, n, want.lang, 0, &all), 0);
    cr_assert(dl_rec_same(&all, &e->counted),
              "%s (piece %zu): the tokens counted are not the document's in its language", what,
              piece);
    free(all.b);
}

static uint64_t rng = 88172645463325252ull;
static unsigned next(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* A document of about n bytes: stopwords of every language in any case,
 * elisions and apocopes, made-up words of 1 to 30 letters, digits, UTF-8
 * letters, and separators: ASCII punctuation, typographic apostrophes,
 * quotes and dashes, the no-break space, line ends. */
static size_t make_doc(const struct tp_table *stop, char *out, size_t n)
{
    static const char *words[] = {
        "the",      "and",  "of",     "il",    "di",      "che",      "la",        "THE",
        "Und",      "der",  "le",     "les",   "que",     "de",       "não",       "Ein",
        "è",        "È",    "perché", "don't", "l'acqua", "po'",      "dell'anno", "d’eau",
        "l’Italia", "it's", "ÀÈ",     "€uro",  "ça",      "rain—and", "qu’il",     "C'è"};
    static const char *seps[] = {" ", " ", " ",        ",",   ", ", "'", "\n",  "\r\n", "[", "{",
                                 "/", ":", "\t",       "...", "-",  "_", "\"",  "!",    "—", " – ",
                                 "“", "”", "\xc2\xa0", "«",   "»",  "’", " ’ ", "\n\n"};
    size_t len = 0;
    while (len + 64 < n) {
        unsigned k = next(10);
        if (k == 0) {
            const struct tp_term *w = &stop->terms[next((unsigned)stop->n)];
            memcpy(out + len, w->bytes, w->len);
            len += w->len;
        } else if (k < 5) {
            const char *w = words[next(sizeof(words) / sizeof(words[0]))];
            memcpy(out + len, w, strlen(w));
            len += strlen(w);
        } else {
            unsigned wl = 1 + next(k == 9 ? 30 : 10);
            for (unsigned i = 0; i < wl; i++) {
                unsigned c = next(40);
                out[len++] = (char)(c < 26 ? 'a' + c : c < 36 ? 'A' + c - 26 : '0' + c - 36);
            }
        }
        const char *s = seps[next(sizeof(seps) / sizeof(seps[0]))];
        memcpy(out + len, s, strlen(s));
        len += strlen(s);
    }
    return len;
}

Test(doclang, decision_and_tokens_are_the_definition)
{
    static const size_t pieces[] = {0, 1, 2, 3, 5, 7, 15, 16, 17, 31, 64, 100, 1000, 4095, 4097};
    static char doc[7000];
    int by_tokens = 0, by_window = 0, short_docs = 0, other = 0;
    for (int one_by_one = 0; one_by_one < 2; one_by_one++) {
        struct env e;
        env_open(&e, one_by_one);
        for (int d = 0; d < (one_by_one ? 600 : 2400); d++) {
            size_t n = make_doc(&e.run.lang_words, doc, d % 10 == 0 ? 6900 : 80 + next(900));
            if (d % 3 == 0) /* long runs of separators: the window ends before 60 tokens */
                for (size_t i = next(200); i < n && i < 4000; i++)
                    if (doc[i] == ' ')
                        memset(doc + i, ' ', n - i < 40 ? n - i : 40);
            e.run.lang = d % 2 ? TP_LANG_IT : TP_LANG_EN;
            struct ref want;
            reference(&e.run.lang_words, doc, n, e.run.lang, &want);
            by_tokens += want.n_tokens == 60;
            by_window += want.n_tokens < 60 && n > TP_LANG_DOC_BYTES;
            short_docs += want.n_tokens < 50;
            other += want.lang != e.run.lang;
            char what[32];
            snprintf(what, sizeof(what), "doc %d%s", d, one_by_one ? " one by one" : "");
            check_doc(&e, doc, n, pieces[d % (sizeof(pieces) / sizeof(pieces[0]))], what);
        }
        env_close(&e);
    }
    /* the generated documents reach every way of deciding */
    cr_expect_gt(by_tokens, 500);
    cr_expect_gt(by_window, 10);
    cr_expect_gt(short_docs, 50);
    cr_expect_gt(other, 100);
}

/* s written times over at doc + n; the new length. */
static size_t put_n(char *doc, size_t n, const char *s, int times)
{
    for (int i = 0; i < times; i++)
        n += (size_t)sprintf(doc + n, "%s", s);
    return n;
}

/* The window ends inside a token: only tokens completed in the document's
 * first 4096 bytes count, so a stopword cut there is none, and a token
 * ending at byte 4096 of a longer document is not complete there. */
Test(doclang, window_ends_mid_token)
{
    struct env e;
    env_open(&e, 0);
    static char doc[8192];
    /* 49 stopwords (English and Italian by turns, so that no list leads by
     * the tokens left before the end), blanks to byte 4094, then "the" from
     * 4094: it ends past the window, so 49 tokens, too few: the corpus's
     * language, though English would win */
    size_t n = 0;
    for (int i = 0; i < 49; i++)
        n += (size_t)sprintf(doc + n, i % 2 ? "di " : "the ");
    memset(doc + n, ' ', 4094 - n);
    memcpy(doc + 4094, "the the the", 11);
    e.run.lang = TP_LANG_IT;
    for (size_t piece = 0; piece < 4; piece++) {
        run_doc(&e, doc, 4105, piece ? 4093 + piece : 0);
        cr_assert_eq(e.dl.n_words, 49, "piece %zu", piece);
        cr_assert_eq(e.dl.lang, TP_LANG_IT, "piece %zu", piece);
    }
    /* a token ending two bytes earlier has its blank inside the window:
     * 50 tokens, English 26 hits to Italian 24 */
    memset(doc + n, ' ', 4092 - n);
    memcpy(doc + 4092, "the the the ", 12);
    run_doc(&e, doc, 4104, 0);
    cr_assert_eq(e.dl.n_words, 50);
    cr_assert_eq(e.dl.hits[1], 26);
    cr_assert_eq(e.dl.hits[0], 24);
    cr_assert_eq(e.dl.lang, TP_LANG_EN);
    /* the document counted is the whole of it, with English's profile */
    check_doc(&e, doc, 4104, 0, "English");
    /* a document of 4096 bytes exactly is read to its end: its last token
     * counts */
    memset(doc + n, ' ', 4093 - n);
    memcpy(doc + 4093, "the", 3);
    run_doc(&e, doc, 4096, 0);
    cr_assert_eq(e.dl.n_words, 50);
    cr_assert_eq(e.dl.lang, TP_LANG_EN);
    env_close(&e);
}

/* The lookup the sample and each document's window share gives, for a
 * batch's token, what the lists' table gives for the token (an elided head
 * without its apostrophe): every entry, every entry as an elided head, the
 * entry less its last byte or with one more letter, and made-up words of 1
 * to 16 bytes. */
Test(doclang, batch_lookup_is_the_table)
{
    struct tp_table t;
    lang_words(&t);
    struct tp_langlook look;
    cr_assert_eq(tp_langlook_build(&look, &t), 0);
    cr_assert_not_null(look.filter); /* no entry of 16 bytes or more */
    size_t checked = 0, hits = 0;
    for (size_t id = 0; id < t.n + 20000; id++) {
        char word[32];
        size_t n;
        if (id < t.n) {
            n = t.terms[id].len;
            memcpy(word, t.terms[id].bytes, n);
        } else {
            n = 1 + next(16);
            for (size_t i = 0; i < n; i++)
                word[i] = (char)('a' + next(26));
        }
        for (int form = 0; form < 4; form++) {
            char tok[16] = {0};
            size_t len = n;
            memcpy(tok, word, n < 16 ? n : 16);
            if (form == 1 && n < 16)
                tok[len++] = '\'';
            else if (form == 2 && n > 1)
                tok[--len] = 0;
            else if (form == 3 && n < 16)
                tok[len++] = 'e';
            if (len > 16)
                continue;
            size_t key = len > 1 && tok[len - 1] == '\'' ? len - 1 : len;
            int64_t e = tp_table_find(&t, tok, key);
            unsigned want = e >= 0 ? t.terms[e].flags & 63 : 0;
            unsigned got = tp_langlook_token(&look, tok, len);
            cr_assert_eq(got, want, "\"%.*s\": lists %u, the table's %u", (int)len, tok, got, want);
            checked++;
            hits += want != 0;
        }
    }
    cr_assert_gt(hits, 2 * t.n); /* the entries, and their elided heads */
    cr_assert_gt(checked, 80000);
    tp_langlook_release(&look);
    tp_table_release(&t);
}

/* An elided head is looked up without its apostrophe wherever the
 * apostrophe falls in the token's 16 bytes: "abbiamo'" (8 bytes) and
 * "between'" end in the first eight, "yourself'" and "avessimo'" (9 bytes)
 * in the second. Italian and English by turns, so neither list leads by the
 * tokens left: every token of the window is looked up, in batches and one by
 * one, fed whole and in pieces. */
Test(doclang, elided_heads_of_8_and_9_bytes)
{
    static const char *pairs[2] = {"abbiamo'x yourself'x ", "avessimo'x between'x "};
    static char doc[1024];
    for (int one_by_one = 0; one_by_one < 2; one_by_one++) {
        struct env e;
        env_open(&e, one_by_one);
        e.run.lang = TP_LANG_IT;
        for (int p = 0; p < 2; p++) {
            /* 15 times: head, x, head, x: 60 tokens */
            size_t n = put_n(doc, 0, pairs[p], 15);
            for (size_t piece = 0; piece < 20; piece += 7) {
                run_doc(&e, doc, n, piece);
                cr_assert_eq(e.dl.n_words, 60, "%s, piece %zu", pairs[p], piece);
                cr_assert_eq(e.dl.hits[0], 15, "%s, piece %zu: Italian hits", pairs[p], piece);
                cr_assert_eq(e.dl.hits[1], 15, "%s, piece %zu: English hits", pairs[p], piece);
                for (int l = 2; l < N_LANGS; l++)
                    cr_assert_eq(e.dl.hits[l], 0, "%s: list %d", pairs[p], l);
                /* a tie: the corpus's language */
                cr_assert_eq(e.dl.lang, TP_LANG_IT);
                check_doc(&e, doc, n, piece, pairs[p]);
            }
        }
        env_close(&e);
    }
}

/* The decision stops once the list with the most hits leads every other
 * by more than the tokens left in the 60-token window (by as many when it
 * wins the tie): the language is the one the whole window gives, decided
 * sooner. */
Test(doclang, decided_before_the_window_ends)
{
    static char doc[1024];
    size_t n = put_n(doc, 0, "the ", 40);
    n = put_n(doc, n, "xyz ", 20);
    /* Given a token at a time, the decision stops at the token: English,
     * not the corpus's language, must lead by more than the tokens left (31
     * hits against 29 tokens left), then the tokens are only counted, up to
     * the 50 a decision needs. A batch's tokens are looked at together, so
     * in batches it stops at the batch's end: the whole window's decision,
     * after more tokens. */
    static const uint64_t hits[2] = {40, 31}, words[2] = {60, 50}; /* by one_by_one */
    struct env e;
    for (int one_by_one = 0; one_by_one < 2; one_by_one++) {
        env_open(&e, one_by_one);
        for (size_t piece = 0; piece < 3; piece++) {
            run_doc(&e, doc, n, piece);
            cr_assert_eq(e.dl.hits[1], hits[one_by_one], "piece %zu", piece);
            cr_assert_eq(e.dl.n_words, words[one_by_one], "piece %zu", piece);
            cr_assert_eq(e.dl.lang, TP_LANG_EN);
        }
        if (!one_by_one)
            env_close(&e);
    }
    /* (one token at a time from here) */
    /* 45 tokens: too few, so the corpus's language, though English led */
    run_doc(&e, doc, 45 * 4, 0);
    cr_assert_eq(e.dl.n_words, 45);
    cr_assert_eq(e.dl.lang, TP_LANG_IT);
    /* the corpus's language wins a tie: 30 hits against 30 tokens left,
     * final whatever the number of tokens */
    n = put_n(doc, 0, "di ", 40);
    run_doc(&e, doc, n, 0);
    cr_assert_eq(e.dl.n_words, 30);
    cr_assert_eq(e.dl.hits[0], 30);
    cr_assert_eq(e.dl.lang, TP_LANG_IT);
    /* English ahead by one less than the tokens left: read on */
    n = put_n(doc, 0, "the ", 30);
    n = put_n(doc, n, "di ", 30);
    run_doc(&e, doc, n, 0);
    cr_assert_eq(e.dl.n_words, 60);
    cr_assert_eq(e.dl.hits[1], 30);
    cr_assert_eq(e.dl.hits[0], 30);
    cr_assert_eq(e.dl.lang, TP_LANG_IT); /* the tie goes to the corpus's language */
    env_close(&e);
}

/* Typographic punctuation separates tokens, as in the text counted: a
 * French text set with typographic apostrophes (d\u2019eau: "d'" is on the
 * French list) is French, and a dash between two words leaves two tokens. */
Test(doclang, typographic_punctuation_separates)
{
    struct env e;
    env_open(&e, 0);
    static char doc[2048];
    /* 10 times "di casa", 20 times "d\u2019eau": 60 tokens, 10 Italian
     * stopwords, 20 French ones (with the apostrophe taken for a letter, 30
     * words: too few) */
    size_t n = put_n(doc, 0, "di casa ", 10);
    n = put_n(doc, n, "d\u2019eau ", 20);
    e.run.lang = TP_LANG_IT;
    run_doc(&e, doc, n, 0);
    cr_assert_gt(e.dl.hits[2], e.dl.hits[0]); /* d' on the French list, di on the Italian */
    cr_assert_eq(e.dl.lang, TP_LANG_FR);
    check_doc(&e, doc, n, 0, "French");
    /* 24 times "the x", then "rain\u2014and": 50 tokens, 25 of them English
     * stopwords (with the dash taken for a letter, 49 words: too few) */
    n = put_n(doc, 0, "the x ", 24);
    n += (size_t)sprintf(doc + n, "rain\u2014and.");
    run_doc(&e, doc, n, 0);
    cr_assert_eq(e.dl.n_words, 50);
    cr_assert_eq(e.dl.lang, TP_LANG_EN);
    check_doc(&e, doc, n, 0, "English with a dash");
    env_close(&e);
}

/* --case keep: tokens keep their capitals, and are looked up case folded as
 * the tokenizer folds: "\u00c8" is Italian's "\u00e8" (every other token),
 * so the document is Italian in an English corpus, as under --case fold. */
Test(doclang, case_kept_is_looked_up_folded)
{
    for (int keep = 0; keep < 2; keep++) {
        struct env e;
        env_open(&e, 0);
        e.run.tok_opts.keep_case = keep;
        struct tp_tokenizer_opts to = {.keep_case = keep};
        tp_doclang_release(&e.dl);
        tp_tokenizer_free(e.tk);
        cr_assert_eq(tp_tokenizer_new(&e.tk, &to, dl_rec_token, &e.counted), 0);
        tp_tokenizer_set_batch(e.tk, dl_rec_batch);
        cr_assert_eq(tp_doclang_init(&e.dl, &e.run, e.tk), 0);
        e.run.lang = TP_LANG_EN;
        static char doc[512];
        size_t n = put_n(doc, 0, "\u00c8 Bello ", 25);
        run_doc(&e, doc, n, 0);
        cr_assert_eq(e.dl.n_words, 50, "keep %d", keep);
        cr_assert_gt(e.dl.hits[0], 20, "keep %d", keep);
        cr_assert_eq(e.dl.lang, TP_LANG_IT, "keep %d", keep);
        env_close(&e);
    }
}
