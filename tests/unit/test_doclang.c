/*
 * test_doclang.c - the per-document language scan of --lang auto (struct
 * tp_doclang, pipeline.c) against its definition (SPEC "Reading the
 * timelines" and pipeline.h): words are runs of ASCII letters, digits and
 * bytes >= 0x80, ASCII letters lowered; the first 60 words or 4096 bytes of a
 * document are looked up in every language's stopword list; a document with
 * at least 50 words there takes the language with the most hits (ties: the
 * corpus's language, then the first in the list), any other the corpus's.
 * The reference below is written from that definition a byte at a time and
 * is checked against the scan a user runs, on generated text with every kind
 * of byte next to the letter ranges, words longer than any stopword, UTF-8
 * letters, and the text cut into pieces anywhere (mid-word, mid-character,
 * at the 4096-byte window's end).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pipeline.h"
#include "stopwords.h"
#include "table.h"
#include "tokenizer.h"

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
    uint64_t by_mask[64];
    uint64_t n_words;
    enum tp_lang lang;
};

/* The definition: the first min(n, 4096) bytes, word by word, stopping
 * after the 60th word; then the decision. */
static void reference(const struct tp_table *t, const unsigned char *p, size_t n,
                      enum tp_lang corpus, struct ref *r)
{
    memset(r, 0, sizeof(*r));
    size_t end = n < 4096 ? n : 4096;
    char word[64];
    size_t wl = 0;
    for (size_t i = 0; i <= end && r->n_words < 60; i++) {
        int c = i < end ? p[i] : -1;
        int is_word = c >= 0 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                 (c >= '0' && c <= '9') || c >= 0x80);
        if (is_word) {
            if (wl < sizeof(word))
                word[wl] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            wl++;
            continue;
        }
        if (wl) {
            r->n_words++;
            int64_t id = wl <= 16 ? tp_table_find(t, word, wl) : -1;
            if (id >= 0)
                r->by_mask[t->terms[id].flags & 63]++;
        }
        wl = 0;
    }
    r->lang = corpus;
    if (r->n_words < 50)
        return;
    uint64_t hits[N_LANGS] = {0};
    for (unsigned m = 1; m < 64; m++)
        for (int i = 0; i < N_LANGS; i++)
            if (m & (1u << i))
                hits[i] += r->by_mask[m];
    int best = -1;
    for (int i = 0; i < N_LANGS; i++)
        if (hits[i] &&
            (best < 0 || hits[i] > hits[best] || (hits[i] == hits[best] && langs[i] == corpus)))
            best = i;
    if (best >= 0)
        r->lang = langs[best];
}

/* The words on each list in r's window. */
static void ref_hits(const struct ref *r, uint64_t *hits)
{
    memset(hits, 0, N_LANGS * sizeof(*hits));
    for (unsigned m = 1; m < 64; m++)
        for (int i = 0; i < N_LANGS; i++)
            if (m & (1u << i))
                hits[i] += r->by_mask[m];
}

static int no_token(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    (void)ctx;
    (void)tok;
    (void)len;
    (void)seg;
    return 0;
}

static uint64_t rng = 88172645463325252ull;
static unsigned next(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* A document of about n bytes: stopwords of several languages in any case,
 * made-up words of 1 to 30 letters, digits, UTF-8 letters, and separators
 * next to the letter and digit ranges. */
static const struct tp_table *stop; /* every stopword, picked too */

static size_t make_doc(unsigned char *out, size_t n)
{
    static const char *words[] = {"the", "and", "of",   "il", "di",     "che", "la",
                                  "THE", "Und", "der",  "le", "les",    "que", "de",
                                  "não", "Ein", "è",    "à",  "perché", "don", "l",
                                  "ÀÈ",  "ß",   "€uro", "Ⅻ",  "ǅ",      "é",   "ça"};
    static const char *seps[] = {" ", " ", " ", ",",  ", ",   "'",    "\n", "@",
                                 "[", "`", "{", "/",  ":",    "\x7f", "\t", "...",
                                 "-", "_", "~", "\"", "\x01", "\x5c", "!"};
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
        } else if (k < 9) {
            unsigned wl = 1 + next(k == 8 ? 30 : 10);
            for (unsigned i = 0; i < wl; i++) {
                unsigned c = next(40);
                out[len++] = (unsigned char)(c < 26   ? 'a' + c
                                             : c < 36 ? 'A' + c - 10
                                                      : '0' + c - 36);
            }
        } else {
            memcpy(out + len, "\xc3\xa8\xc3\xa0", 4);
            len += 1 + next(4);
        }
        const char *s = seps[next(sizeof(seps) / sizeof(seps[0]))];
        memcpy(out + len, s, strlen(s));
        len += strlen(s);
    }
    return len;
}

/* Feed text in pieces of at most piece bytes (0: whole) as the reader does,
 * by the fast scan (tp_doclang_feed) or the byte scan, then settle. */
static void run_doclang(struct tp_doclang *dl, const unsigned char *p, size_t n, size_t piece,
                        int bytes)
{
    tp_doclang_begin(dl, 0);
    size_t seen = 0;
    for (size_t i = 0; i < n;) {
        size_t k = piece && n - i > piece ? piece : n - i;
        if (bytes) {
            /* as tp_doclang_feed, with the definition's scan */
            if (dl->holding) {
                size_t take = k < 4096 - seen ? k : 4096 - seen;
                size_t done = tp_doclang_scan_for_test(dl, (const char *)p + i, take, 1);
                seen += take;
                if (seen >= 4096 || done < take || dl->stopped)
                    cr_assert_eq(tp_doclang_settle(dl), 0);
            }
        } else {
            cr_assert_eq(tp_doclang_feed(dl, (const char *)p + i, k), 0);
        }
        i += k;
    }
    cr_assert_eq(tp_doclang_settle(dl), 0);
}

Test(doclang, fast_scan_is_the_definition)
{
    struct tp_run run;
    memset(&run, 0, sizeof(run));
    lang_words(&run.lang_words);
    stop = &run.lang_words;
    run.per_doc_lang = 1;
    struct tp_tokenizer_opts to = {0};
    struct tp_tokenizer *tk;
    cr_assert_eq(tp_tokenizer_new(&tk, &to, no_token, NULL), 0);
    struct tp_doclang fast, slow;
    cr_assert_eq(tp_doclang_init(&fast, &run, tk), 0);
    cr_assert_eq(tp_doclang_init(&slow, &run, tk), 0);
    static unsigned char doc[7000];
    static const size_t pieces[] = {0, 1, 2, 3, 5, 7, 15, 16, 17, 31, 64, 100, 1000, 4095, 4097};
    int decided_by_words = 0, decided_by_window = 0, short_docs = 0, decided_early = 0;
    for (int d = 0; d < 3000; d++) {
        size_t n = make_doc(doc, d % 10 == 0 ? 6900 : 80 + next(900));
        if (d % 3 == 0) /* long runs of separators: the window ends before 60 words */
            for (size_t i = next(200); i < n && i < 4000; i++)
                if (doc[i] == ' ')
                    memset(doc + i, ' ', n - i < 40 ? n - i : 40);
        run.lang = d % 2 ? TP_LANG_IT : TP_LANG_EN;
        struct ref r;
        reference(&run.lang_words, doc, n, run.lang, &r);
        decided_by_words += r.n_words == 60;
        decided_by_window += r.n_words < 60 && n >= 4096;
        short_docs += r.n_words < 50;
        size_t piece = pieces[d % (sizeof(pieces) / sizeof(pieces[0]))];
        run_doclang(&fast, doc, n, piece, 0);
        run_doclang(&slow, doc, n, piece, 1);
        /* the two scans stop at the same word, with the same hits */
        cr_assert_eq(fast.n_words, slow.n_words, "doc %d (piece %zu): %llu words, byte scan %llu",
                     d, piece, (unsigned long long)fast.n_words, (unsigned long long)slow.n_words);
        cr_assert_eq(memcmp(fast.hits, slow.hits, sizeof(fast.hits)), 0, "doc %d hits", d);
        cr_assert_eq(fast.nolook, slow.nolook, "doc %d", d);
        uint64_t hits[N_LANGS];
        ref_hits(&r, hits);
        if (!fast.nolook) {
            /* not decided early: the words and hits of the whole window */
            cr_assert_eq(fast.n_words, r.n_words, "doc %d (piece %zu): %llu words, want %llu", d,
                         piece, (unsigned long long)fast.n_words, (unsigned long long)r.n_words);
            cr_assert_eq(memcmp(fast.hits, hits, sizeof(hits)), 0, "doc %d hits", d);
        } else {
            /* decided early: a prefix of the window */
            decided_early++;
            cr_assert_leq(fast.n_words, r.n_words, "doc %d", d);
            for (int i = 0; i < N_LANGS; i++)
                cr_assert_leq(fast.hits[i], hits[i], "doc %d list %d", d, i);
        }
        cr_assert_eq(fast.lang, r.lang, "doc %d language", d);
        cr_assert_eq(slow.lang, r.lang, "doc %d language", d);
    }
    cr_expect_gt(decided_early, 100);
    /* the generated documents reach every way of deciding */
    cr_expect_gt(decided_by_words, 100);
    cr_expect_gt(decided_by_window, 10);
    cr_expect_gt(short_docs, 10);
    tp_doclang_release(&fast);
    tp_doclang_release(&slow);
    tp_tokenizer_free(tk);
    tp_table_release(&run.lang_words);
}

/* A scan over the Italian and English lists, the corpus's language Italian,
 * with its tokenizer: the set-up of the window tests. */
struct scan_env {
    struct tp_run run;
    struct tp_tokenizer *tk;
    struct tp_doclang dl;
};

static void env_open(struct scan_env *e)
{
    memset(&e->run, 0, sizeof(e->run));
    lang_words(&e->run.lang_words);
    e->run.per_doc_lang = 1;
    e->run.lang = TP_LANG_IT;
    struct tp_tokenizer_opts to = {0};
    cr_assert_eq(tp_tokenizer_new(&e->tk, &to, no_token, NULL), 0);
    cr_assert_eq(tp_doclang_init(&e->dl, &e->run, e->tk), 0);
}

static void env_close(struct scan_env *e)
{
    tp_doclang_release(&e->dl);
    tp_tokenizer_free(e->tk);
    tp_table_release(&e->run.lang_words);
}

/* The window ends inside a word, or inside a UTF-8 character: the bytes up
 * to byte 4096 are that word (a stopword's first letters are not the
 * stopword). */
Test(doclang, window_ends_mid_word_and_mid_character)
{
    struct scan_env e;
    env_open(&e);
    struct tp_run *run = &e.run;
    struct tp_doclang *dl = &e.dl;
    static char doc[8192];
    /* 49 stopwords (English and Italian by turns, so that no list leads by
     * the words left before the end), separators to byte 4094, then "the"
     * from 4094: only "th" is in the window, which is no stopword: 50
     * words, 49 hits */
    size_t n = 0;
    for (int i = 0; i < 49; i++)
        n += (size_t)sprintf(doc + n, i % 2 ? "di " : "the ");
    memset(doc + n, ' ', 4094 - n);
    memcpy(doc + 4094, "the il il il", 12);
    run_doclang(dl, (const unsigned char *)doc, 4106, 0, 0);
    cr_assert_eq(dl->n_words, 50);
    cr_assert_eq(dl->hits[1], 25); /* "the": English only */
    cr_assert_eq(dl->hits[0], 24); /* "di": Italian only */
    cr_assert_eq(dl->lang, TP_LANG_EN);
    /* the same with "è" (C3 A8) across byte 4096: "è" is an Italian
     * stopword, its first byte alone is not; the word counts, unmatched
     * (Italian and English words alternate, so that no list leads by the
     * words left before the end) */
    n = 0;
    for (int i = 0; i < 49; i++)
        n += (size_t)sprintf(doc + n, i % 2 ? "the " : "di ");
    size_t n49 = n;
    memset(doc + n, ' ', 4095 - n);
    memcpy(doc + 4095, "\xc3\xa8 the the the", 14);
    for (size_t piece = 0; piece < 4; piece++) {
        run_doclang(dl, (const unsigned char *)doc, 4109, piece ? 4095 + piece - 1 : 0, 0);
        cr_assert_eq(dl->n_words, 50);
        cr_assert_eq(dl->hits[0], 25, "piece %zu", piece); /* "di": Italian only */
        cr_assert_eq(dl->hits[1], 24, "piece %zu", piece); /* "the": English only */
        cr_assert_eq(dl->lang, TP_LANG_IT);
    }
    /* 49 words only: the corpus's language, whatever they are */
    run_doclang(dl, (const unsigned char *)doc + 0, n49, 0, 0);
    cr_assert_eq(dl->n_words, 49);
    run->lang = TP_LANG_EN;
    run_doclang(dl, (const unsigned char *)doc + 0, 49 * 3, 0, 0);
    cr_assert_eq(dl->lang, TP_LANG_EN);
    env_close(&e);
}

/* The scan stops once the list with the most hits leads every other by more
 * than the words left in the 60-word window (by as many when it wins the
 * tie): the language is the one the whole window gives, decided sooner. */
Test(doclang, decided_before_the_window_ends)
{
    struct scan_env e;
    env_open(&e);
    struct tp_doclang *dl = &e.dl;
    static char doc[1024];
    size_t n = 0;
    for (int i = 0; i < 40; i++)
        n += (size_t)sprintf(doc + n, "the ");
    for (int i = 0; i < 20; i++)
        n += (size_t)sprintf(doc + n, "xyz ");
    for (size_t piece = 0; piece < 3; piece++) {
        /* English, not the corpus's language, must lead by more than the
         * words left: 31 hits against 29 words left; then the words are only
         * counted, up to the 50 a decision needs */
        run_doclang(dl, (const unsigned char *)doc, n, piece, 0);
        cr_assert_eq(dl->hits[1], 31, "piece %zu", piece);
        cr_assert_eq(dl->n_words, 50, "piece %zu", piece);
        cr_assert_eq(dl->lang, TP_LANG_EN);
    }
    /* 45 words: too few, so the corpus's language, though English led */
    run_doclang(dl, (const unsigned char *)doc, 45 * 4, 0, 0);
    cr_assert_eq(dl->n_words, 45);
    cr_assert_eq(dl->lang, TP_LANG_IT);
    /* the corpus's language wins a tie: 30 hits against 30 words left,
     * final whatever the number of words */
    n = 0;
    for (int i = 0; i < 40; i++)
        n += (size_t)sprintf(doc + n, "di ");
    run_doclang(dl, (const unsigned char *)doc, n, 0, 0);
    cr_assert_eq(dl->n_words, 30);
    cr_assert_eq(dl->hits[0], 30);
    cr_assert_eq(dl->lang, TP_LANG_IT);
    /* English ahead by one less than the words left: read on */
    n = 0;
    for (int i = 0; i < 30; i++)
        n += (size_t)sprintf(doc + n, "the ");
    for (int i = 0; i < 30; i++)
        n += (size_t)sprintf(doc + n, "di ");
    run_doclang(dl, (const unsigned char *)doc, n, 0, 0);
    cr_assert_eq(dl->n_words, 60);
    cr_assert_eq(dl->hits[1], 30);
    cr_assert_eq(dl->hits[0], 30);
    cr_assert_eq(dl->lang, TP_LANG_IT); /* the tie goes to the corpus's language */
    env_close(&e);
}
