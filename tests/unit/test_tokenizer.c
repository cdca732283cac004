/*
 * test_tokenizer.c - the token rules of SPEC "Tokens", one behaviour a test.
 * Expected token lists are written by hand from the rules.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tokenizer.h"

struct got {
    char buf[4096];
    size_t len;
    int n;
};

/* Collect tokens as "tok@seg|tok@seg|..." */
static int collect(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    struct got *g = ctx;
    g->len += (size_t)snprintf(g->buf + g->len, sizeof(g->buf) - g->len, "%s%.*s@%u",
                               g->n++ ? "|" : "", (int)len, tok, seg);
    return 0;
}

static const char *run_opts(const char *text, struct tp_tokenizer_opts o, size_t chunk)
{
    static struct got g;
    struct tp_tokenizer *tk;
    memset(&g, 0, sizeof(g));
    cr_assert_eq(tp_tokenizer_new(&tk, &o, collect, &g), 0);
    size_t n = strlen(text);
    if (!chunk)
        chunk = n ? n : 1;
    for (size_t i = 0; i < n; i += chunk)
        cr_assert_eq(tp_tokenizer_feed(tk, text + i, n - i < chunk ? n - i : chunk), 0);
    cr_assert_eq(tp_tokenizer_finish(tk), 0);
    tp_tokenizer_free(tk);
    return g.buf;
}

static const struct tp_tokenizer_opts IT = {.elide = 1, .apocope = 1};
static const struct tp_tokenizer_opts EN = {0};

#define EXPECT(text, opts, want) cr_expect_str_eq(run_opts(text, opts, 0), want)

Test(tokenizer, ascii_words_are_lowered)
{
    EXPECT("Il Presidente RUSSO", IT, "il@0|presidente@0|russo@0");
}

Test(tokenizer, full_case_folding_and_nfc)
{
    /* ß folds to ss (full folding); e + U+0301 composes to é (NFC) */
    EXPECT("Straße Caf\x65\xCC\x81", EN, "strasse@0|caf\xC3\xA9@0");
}

Test(tokenizer, keep_case)
{
    struct tp_tokenizer_opts o = EN;
    o.keep_case = 1;
    EXPECT("Roma ROMA", o, "Roma@0|ROMA@0");
}

Test(tokenizer, nfkc_expands_ligature)
{
    /* case folding alone also maps U+FB01 to "fi" (CaseFolding.txt, status F),
     * so compare with case kept */
    struct tp_tokenizer_opts o = EN;
    o.keep_case = 1;
    EXPECT("\xEF\xAC\x81ne", o, "\xEF\xAC\x81ne@0");
    o.nfkc = 1;
    EXPECT("\xEF\xAC\x81ne", o, "fine@0");
}

Test(tokenizer, elision_splits_after_apostrophe)
{
    /* l’Ucraina, dell’incontro, un’ampia, c’è (U+2019) */
    EXPECT("l\xE2\x80\x99Ucraina dell\xE2\x80\x99incontro un\xE2\x80\x99"
           "ampia c\xE2\x80\x99\xC3\xA8",
           IT, "l'@0|ucraina@0|dell'@0|incontro@0|un'@0|ampia@0|c'@0|\xC3\xA8@0");
}

Test(tokenizer, english_keeps_word_whole)
{
    EXPECT("Don\xE2\x80\x99t don't", EN, "don't@0|don't@0");
}

Test(tokenizer, modifier_letter_apostrophe_is_an_apostrophe)
{
    /* U+02BC is Lm (a letter) but acts as an apostrophe between letters */
    EXPECT("l\xCA\xBC"
           "acqua",
           IT, "l'@0|acqua@0");
}

Test(tokenizer, apocope_keeps_apostrophe)
{
    EXPECT("un po\xE2\x80\x99 di tempo, un po'", IT, "un@0|po'@0|di@0|tempo@0|un@1|po'@1");
}

Test(tokenizer, apostrophe_not_between_letters_is_punctuation)
{
    EXPECT("'ciao' l'8", IT, "ciao@0|l@0|8@0");
}

Test(tokenizer, hyphen_joins_word_characters)
{
    EXPECT("Novo-Ogarevo russo\xE2\x80\x90"
           "cinese 3-2 fine- -inizio",
           EN, "novo-ogarevo@0|russo-cinese@0|3-2@0|fine@0|inizio@0");
}

Test(tokenizer, split_hyphens)
{
    struct tp_tokenizer_opts o = EN;
    o.split_hyphens = 1;
    EXPECT("Novo-Ogarevo", o, "novo@0|ogarevo@0");
}

Test(tokenizer, digit_separators_join_digits_only)
{
    /* 1.5 and 1,000 and 2,3% join; "2022. Poi" ends a segment; 47° is 47 */
    EXPECT("1.5 1,000 2,3% nel 2022. Poi 47\xC2\xB0 presidente", EN,
           "1.5@0|1,000@0|2,3@0|nel@0|2022@0|poi@1|47@1|presidente@1");
}

Test(tokenizer, breaks_start_segments)
{
    EXPECT("a. b, c; d: e! f? g\xE2\x80\xA6 h \xE2\x80\x93 i \xE2\x80\x94 j (k) [l] {m} n", EN,
           "a@0|b@1|c@2|d@3|e@4|f@5|g@6|h@7|i@8|j@9|k@10|l@11|m@12|n@13");
}

Test(tokenizer, quotes_do_not_break)
{
    EXPECT("un \xE2\x80\x9C"
           "caro amico\xE2\x80\x9D oggi \"detto\" \xC2\xAB"
           "bene\xC2\xBB",
           EN, "un@0|caro@0|amico@0|oggi@0|detto@0|bene@0");
}

Test(tokenizer, blank_line_breaks_single_newline_does_not)
{
    EXPECT("uno\ndue\n\ntre\r\n \r\nquattro\n  \t\ncinque", EN,
           "uno@0|due@0|tre@1|quattro@2|cinque@3");
}

Test(tokenizer, several_breaks_make_one_segment_step)
{
    EXPECT("uno... due", EN, "uno@0|due@1");
}

Test(tokenizer, marks_and_digits_are_word_characters)
{
    /* Devanagari with a vowel sign (Mc), Arabic-Indic digits (Nd) */
    EXPECT("\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4\xA6\xE0\xA5\x80 "
           "\xD9\xA1\xD9\xA2",
           EN,
           "\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4\xA6\xE0\xA5\x80@0|"
           "\xD9\xA1\xD9\xA2@0");
}

Test(tokenizer, soft_hyphen_is_invisible)
{
    EXPECT("poli\xC2\xADtica", EN, "politica@0");
}

Test(tokenizer, replacement_character_separates)
{
    EXPECT("ab\xEF\xBF\xBD"
           "cd",
           EN, "ab@0|cd@0");
}

Test(tokenizer, chunk_boundaries_do_not_change_tokens)
{
    const char *text =
        "L\xE2\x80\x99Italia \xC3\xA8 Novo-Ogarevo, 1.500 po\xE2\x80\x99 citt\xC3\xA0.\n\nFine "
        "averyveryverylongwordthatspansmanysixteenbyteblocks ok";
    char whole[4096];
    snprintf(whole, sizeof(whole), "%s", run_opts(text, IT, 0));
    for (size_t chunk = 1; chunk < 20; chunk++)
        cr_expect_str_eq(run_opts(text, IT, chunk), whole, "chunk size %zu", chunk);
}

Test(tokenizer, overlong_runs_are_dropped_and_counted)
{
    static char text[3 * TP_TOKEN_MAX];
    memset(text, 'a', 2 * TP_TOKEN_MAX);
    strcpy(text + 2 * TP_TOKEN_MAX, " ok");
    struct got g;
    memset(&g, 0, sizeof(g));
    struct tp_tokenizer *tk;
    cr_assert_eq(tp_tokenizer_new(&tk, &EN, collect, &g), 0);
    tp_tokenizer_feed(tk, text, strlen(text));
    tp_tokenizer_finish(tk);
    cr_expect_str_eq(g.buf, "ok@0");
    cr_expect_eq(tp_tokenizer_overlong(tk), 1);
    tp_tokenizer_free(tk);
}

Test(tokenizer, reset_starts_a_new_document)
{
    struct got g;
    memset(&g, 0, sizeof(g));
    struct tp_tokenizer *tk;
    cr_assert_eq(tp_tokenizer_new(&tk, &EN, collect, &g), 0);
    tp_tokenizer_feed(tk, "a. b", 4);
    tp_tokenizer_finish(tk);
    tp_tokenizer_reset(tk);
    tp_tokenizer_feed(tk, "c", 1);
    tp_tokenizer_finish(tk);
    cr_expect_str_eq(g.buf, "a@0|b@1|c@0");
    tp_tokenizer_free(tk);
}

Test(tokenizer, nfkc_comes_before_tokenizing)
{
    /* H₂O and x²: subscript/superscript digits are No (separators) unless
     * NFKC, which SPEC applies before tokenizing, makes them digits */
    struct tp_tokenizer_opts o = EN;
    o.nfkc = 1;
    EXPECT("H\xE2\x82\x82O x\xC2\xB2", o, "h2o@0|x2@0");
    EXPECT("H\xE2\x82\x82O x\xC2\xB2", EN, "h@0|o@0|x@0");
}

/* --- the fast path against the per-character path ----------------------------
 * Random texts over letters, digits, blanks, line feeds, the joiners and
 * breaks and a few multi-byte characters are tokenized with the fast path
 * (whole, in random chunks, and in batches) and compared with the
 * per-character path (no_fast_path) fed whole: the tokens and segment numbers
 * must be the same. The fast path only ever takes plain ASCII windows, so the
 * per-character path is the reference. */

struct big {
    char buf[1 << 16];
    size_t len;
    int n;
    int bad_padding;
};

static int big_collect(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    struct big *g = ctx;
    g->len += (size_t)snprintf(g->buf + g->len, sizeof(g->buf) - g->len, "%s%.*s@%u",
                               g->n++ ? "|" : "", (int)len, tok, seg);
    return 0;
}

static int big_batch(void *ctx, const struct tp_token_batch *b)
{
    struct big *g = ctx;
    for (size_t i = 0; i < b->n; i++) {
        for (size_t j = b->len[i]; j < 16; j++)
            g->bad_padding |= b->tok[16 * i + j] != 0;
        big_collect(ctx, b->tok + 16 * i, b->len[i], b->seg[i]);
    }
    return 0;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64 */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A random text of about n bytes: mostly words and spaces, so that windows of
 * plain text occur, with every kind of character the rules look at. */
static size_t random_text(char *out, size_t n)
{
    static const char *const pieces[] = {" ",
                                         " ",
                                         " ",
                                         " ",
                                         " ",
                                         "\n",
                                         "\n\n",
                                         " \n \n",
                                         "\t",
                                         ".",
                                         ",",
                                         ";",
                                         ":",
                                         "-",
                                         "'",
                                         "\"",
                                         "!",
                                         "(",
                                         ")",
                                         "\xC3\xA9",
                                         "\xE2\x80\x99",
                                         "\xE2\x80\xA6",
                                         "\r\n",
                                         "1",
                                         "23",
                                         "4.5",
                                         "6,7",
                                         "--",
                                         "x-",
                                         "'s",
                                         "#",
                                         "\xC2\xAD",
                                         "\xEF\xAC\x81",
                                         "\xC3",
                                         "\xC3\xA0",
                                         "\xC3\x88",
                                         "\xC3\x99",
                                         "\xC3\x9F",
                                         "\xC3\x97",
                                         "\xC3\xB7",
                                         "\xC3\xBF",
                                         "\xC2\xA0",
                                         "\xC2\xAB",
                                         "\xC2\xBB",
                                         "\xCC\x81",
                                         "l'",
                                         "po'",
                                         "e' ",
                                         "3'"};
    size_t len = 0;
    while (len + 80 < n) {
        uint64_t r = rnd();
        if (r % 3 != 0) {
            /* a word: usually short, sometimes longer than 16 or 64 bytes */
            size_t w = 1 + rnd() % (r % 29 == 0 ? 70 : r % 7 == 0 ? 20 : 8);
            for (size_t i = 0; i < w; i++) {
                uint64_t c = rnd() % 40;
                out[len++] = (char)(c < 26 ? 'a' + c : c < 34 ? 'A' + (c - 26) : '0' + (c - 34));
            }
        } else {
            const char *p = pieces[rnd() % (sizeof(pieces) / sizeof(pieces[0]))];
            size_t pl = strlen(p);
            memcpy(out + len, p, pl);
            len += pl;
        }
    }
    out[len] = 0;
    return len;
}

/* Tokenize text (n bytes) with o, in chunks of random sizes when chunked,
 * through batches when batched. */
static void run_big(struct big *g, const char *text, size_t n, struct tp_tokenizer_opts o,
                    int chunked, int batched)
{
    struct tp_tokenizer *tk;
    memset(g, 0, sizeof(*g));
    cr_assert_eq(tp_tokenizer_new(&tk, &o, big_collect, g), 0);
    if (batched)
        tp_tokenizer_set_batch(tk, big_batch);
    for (size_t i = 0; i < n;) {
        size_t c = chunked ? 1 + rnd() % (rnd() % 2 ? 7 : 300) : n;
        if (c > n - i)
            c = n - i;
        cr_assert_eq(tp_tokenizer_feed(tk, text + i, c), 0);
        i += c;
    }
    cr_assert_eq(tp_tokenizer_finish(tk), 0);
    tp_tokenizer_free(tk);
}

/* text (n bytes) through the fast path with o on every classifier this
 * processor runs, whole and in random chunks, batched and not: its tokens
 * and segments must be want, each batched token zero padded. */
static void expect_every_classifier(const char *text, size_t n, struct tp_tokenizer_opts o,
                                    const char *want, int iter)
{
    static struct big got;
    unsigned isas = tp_tokenizer_isas();
    for (unsigned isa = 1; isa <= TP_ISA_AVX512; isa <<= 1) {
        if (!(isas & isa))
            continue;
        o.isa = isa;
        for (int mode = 0; mode < 4; mode++) {
            run_big(&got, text, n, o, mode & 1, mode >> 1);
            cr_assert_str_eq(got.buf, want, "iteration %d isa %u mode %d", iter, isa, mode);
            cr_assert_eq(got.bad_padding, 0, "iteration %d isa %u mode %d", iter, isa, mode);
        }
    }
}

Test(tokenizer, fast_path_matches_per_character_path)
{
    static char text[8192];
    static struct big want;
    const struct tp_tokenizer_opts profiles[] = {
        EN,
        IT,
        {.keep_case = 1},
        {.split_hyphens = 1},
        {.nfkc = 1},
        {.elide = 1},
        {.elide = 1, .apocope = 1, .keep_case = 1, .split_hyphens = 1}};
    rng_state = 0x9E3779B97F4A7C15ull;
    for (int iter = 0; iter < 600; iter++) {
        size_t n = random_text(text, 200 + rnd() % 4000);
        struct tp_tokenizer_opts o = profiles[iter % 7];
        struct tp_tokenizer_opts slow = o;
        slow.no_fast_path = 1;
        run_big(&want, text, n, slow, 0, 0);
        cr_assert_gt(want.n, 0);
        expect_every_classifier(text, n, o, want.buf, iter);
    }
}

/* Every ASCII byte value, in random windows, through each classifier: the
 * random texts above use a few dozen kinds of characters, this uses all 128
 * (controls, every punctuation mark), so a byte a classifier puts in the
 * wrong class changes the tokens or their segments. */
/* Italian text long enough for the fast path's windows: accented letters
 * (capitals folded), elision, an apocope, an apostrophe standing for an
 * accent, guillemets and a no-break space, worked out by hand from the SPEC's
 * rules; then the same through the per-character path alone. */
Test(tokenizer, italian_on_the_fast_path)
{
    const char *text = "Nell'anno 2024 l'Universit\xC3\xA0 \xC3\xA8 PI\xC3\x99 bella: po' di "
                       "caff\xC3\xA8, perche' l'\xC3\x80\xC3\x89\xC3\x8C \xC2\xAB"
                       "citato\xC2\xBB citt\xC3\xA0\xC2\xA0"
                       "fine e ancora un po' di testo";
    const char *want = "nell'@0|anno@0|2024@0|l'@0|universit\xC3\xA0@0|\xC3\xA8@0|pi\xC3\xB9@0|"
                       "bella@0|po'@1|di@1|caff\xC3\xA8@1|perche@2|l'@2|\xC3\xA0\xC3\xA9\xC3\xAC@2|"
                       "citato@2|citt\xC3\xA0@2|fine@2|e@2|ancora@2|un@2|po'@2|di@2|testo@2";
    EXPECT(text, IT, want);
    struct tp_tokenizer_opts slow = IT;
    slow.no_fast_path = 1;
    EXPECT(text, slow, want);
}

Test(tokenizer, every_classifier_on_every_ascii_byte)
{
    static char text[8192];
    static struct big want, got;
    unsigned isas = tp_tokenizer_isas();
    rng_state = 0x243F6A8885A308D3ull;
    for (int iter = 0; iter < 300; iter++) {
        size_t n = 512 + rnd() % 4096;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = rnd();
            /* letters and spaces often, so there are tokens to cut */
            text[i] = (char)(r % 4 == 0 ? ' ' : r % 4 == 1 ? 'a' + (r >> 8) % 26 : (r >> 8) % 128);
            if (text[i] == 0)
                text[i] = 'Q';
        }
        struct tp_tokenizer_opts o = iter % 2 ? IT : EN;
        o.keep_case = iter % 3 == 0;
        struct tp_tokenizer_opts slow = o;
        slow.no_fast_path = 1;
        run_big(&want, text, n, slow, 0, 0);
        for (unsigned isa = 1; isa <= TP_ISA_AVX512; isa <<= 1) {
            if (!(isas & isa))
                continue;
            o.isa = isa;
            run_big(&got, text, n, o, 0, 1);
            cr_assert_str_eq(got.buf, want.buf, "iteration %d isa %u", iter, isa);
            run_big(&got, text, n, o, 0, 0);
            cr_assert_str_eq(got.buf, want.buf, "iteration %d isa %u (unbatched)", iter, isa);
        }
    }
}

/* want's tokens with every segment number made 0 (want.buf is
 * "tok@seg|tok@seg..."; a token holds no '@' followed by a digit and '|'...
 * the tokens here hold no '@' at all). */
static void segments_to_zero(const struct big *want, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < want->len && o + 2 < cap;) {
        out[o++] = want->buf[i];
        if (want->buf[i++] != '@')
            continue;
        out[o++] = '0';
        while (i < want->len && want->buf[i] >= '0' && want->buf[i] <= '9')
            i++;
    }
    out[o] = '\0';
}

/* Whether a break is pending once the text is fed (before finish), with o. */
static int break_after(const char *text, size_t n, struct tp_tokenizer_opts o)
{
    static struct big sink;
    struct tp_tokenizer *tk;
    memset(&sink, 0, sizeof(sink));
    cr_assert_eq(tp_tokenizer_new(&tk, &o, big_collect, &sink), 0);
    tp_tokenizer_set_batch(tk, big_batch);
    cr_assert_eq(tp_tokenizer_feed(tk, text, n), 0);
    int b = tp_tokenizer_break_pending(tk);
    tp_tokenizer_free(tk);
    return b;
}

/* no_segments (a consumer that counts single words): the tokens of the
 * per-character path with segments, every one in segment 0, on every path
 * (fast and per-character, each classifier, whole or in chunks, batched or
 * not); and a break seen after the last token is still pending, as with
 * segments (a cut document's part reads it). A fast path that dropped a
 * token's break bookkeeping wrongly, or left a break of the window's tokens
 * pending, fails here. */
Test(tokenizer, without_segments_same_tokens_in_segment_0)
{
    static char text[8192], flat[1 << 16];
    static struct big want, got;
    const struct tp_tokenizer_opts profiles[] = {EN, IT, {.keep_case = 1}, {.split_hyphens = 1}};
    rng_state = 0x3C6EF372FE94F82Bull;
    unsigned isas = tp_tokenizer_isas();
    int breaks = 0;
    for (int iter = 0; iter < 400; iter++) {
        size_t n = random_text(text, 200 + rnd() % 4000);
        if (iter % 2) /* end half of them on a break after the last word */
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s",
                                  iter % 4 == 1 ? " word." : " word;\n\n  ");
        struct tp_tokenizer_opts o = profiles[iter % 4];
        struct tp_tokenizer_opts slow = o;
        slow.no_fast_path = 1;
        run_big(&want, text, n, slow, 0, 0);
        cr_assert_gt(want.n, 0);
        segments_to_zero(&want, flat, sizeof(flat));
        int brk = break_after(text, n, slow);
        breaks += brk;
        o.no_segments = slow.no_segments = 1;
        run_big(&got, text, n, slow, 0, 0);
        cr_assert_str_eq(got.buf, flat, "iteration %d (per-character path)", iter);
        cr_assert_eq(break_after(text, n, slow), brk, "iteration %d (per-character path)", iter);
        expect_every_classifier(text, n, o, flat, iter);
        for (unsigned isa = 1; isa <= TP_ISA_AVX512; isa <<= 1) {
            if (!(isas & isa))
                continue;
            o.isa = isa;
            cr_assert_eq(break_after(text, n, o), brk, "iteration %d isa %u", iter, isa);
        }
    }
    /* (the texts that end on a break leave one pending) */
    cr_assert_geq(breaks, 150);
}

Test(tokenizer, fast_path_blank_lines_and_breaks_across_windows)
{
    /* Segment breaks the fast path must see: a blank line made of blanks and
     * line feeds cut by the window edges, a break right before a window edge,
     * a number joined across '.', a hyphenated word at a window edge. */
    static char text[4096];
    static struct big want, got;
    size_t n = 0;
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "word%d %s", i,
                              i % 5 == 0   ? "\n  \t\n"
                              : i % 5 == 1 ? "end; "
                              : i % 5 == 2 ? "1.5 x "
                              : i % 5 == 3 ? "well-known\n"
                                           : "Capital ");
    struct tp_tokenizer_opts slow = EN;
    slow.no_fast_path = 1;
    run_big(&want, text, n, slow, 0, 0);
    run_big(&got, text, n, EN, 0, 1);
    cr_expect_str_eq(got.buf, want.buf);
    /* and by hand on a small case: "a\n \nb" is a blank line, "a\nb" is not */
    memset(text, ' ', 200);
    memcpy(text + 60, "a\n \nb c\nd", 9);
    run_big(&got, text, 200, EN, 0, 1);
    cr_expect_str_eq(got.buf, "a@0|b@1|c@1|d@1");
}

/* A sequence cut by a chunk's end that turns out invalid: its bytes are
 * separators exactly as in one chunk, and the next chunk is read from its
 * start (found by the fuzz target: "\xE2\x80" | " consenso" lost "con"). */
Test(tokenizer, invalid_sequence_across_chunks)
{
    const char *text = "ab \xE2\x80 consenso \xC3 x \xF0\x9F\x98 yz";
    char whole[4096];
    snprintf(whole, sizeof(whole), "%s", run_opts(text, EN, 0));
    cr_expect_str_eq(whole, "ab@0|consenso@0|x@0|yz@0");
    for (size_t chunk = 1; chunk < 12; chunk++)
        cr_expect_str_eq(run_opts(text, EN, chunk), whole, "chunk size %zu", chunk);
}

/* Byte offsets (opts.offsets): each token's span in the text as fed. */
struct spans {
    struct tp_tokenizer *tk;
    char buf[1 << 17];
    size_t len;
    int n;
};

static int span_collect(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    struct spans *s = ctx;
    uint64_t a, b;
    tp_tokenizer_span(s->tk, &a, &b);
    s->len += (size_t)snprintf(s->buf + s->len, sizeof(s->buf) - s->len, "%s%.*s@%u[%llu,%llu)",
                               s->n++ ? "|" : "", (int)len, tok, seg, (unsigned long long)a,
                               (unsigned long long)b);
    return 0;
}

static void run_spans(struct spans *s, const char *text, size_t n, struct tp_tokenizer_opts o,
                      int chunked)
{
    memset(s, 0, sizeof(*s));
    o.offsets = 1;
    cr_assert_eq(tp_tokenizer_new(&s->tk, &o, span_collect, s), 0);
    for (size_t i = 0; i < n;) {
        size_t c = chunked ? 1 + rnd() % (rnd() % 2 ? 7 : 300) : n;
        if (c > n - i)
            c = n - i;
        cr_assert_eq(tp_tokenizer_feed(s->tk, text + i, c), 0);
        i += c;
    }
    cr_assert_eq(tp_tokenizer_finish(s->tk), 0);
    tp_tokenizer_free(s->tk);
}

Test(tokenizer, offsets_by_hand)
{
    static struct spans s;
    const char *t = "L\xE2\x80\x99Ucraina, po' x-y  1.5 dell'";
    run_spans(&s, t, strlen(t), IT, 0);
    /* l' [0,4): L and the 3-byte apostrophe; ucraina [4,11); po' keeps its
     * apostrophe [13,16); x-y [17,20); 1.5 [22,25); dell' at the end [26,31) */
    cr_assert_str_eq(s.buf, "l'@0[0,4)|ucraina@0[4,11)|po'@1[13,16)|x-y@1[17,20)|1.5@1[22,25)|"
                            "dell@1[26,30)");
}

Test(tokenizer, offsets_same_on_both_paths_and_any_chunks)
{
    static char text[8192];
    static struct spans want, got;
    const struct tp_tokenizer_opts profiles[] = {EN, IT, {.keep_case = 1}, {.nfkc = 1}};
    rng_state = 0x243F6A8885A308D3ull;
    for (int iter = 0; iter < 300; iter++) {
        size_t n = random_text(text, 200 + rnd() % 4000);
        struct tp_tokenizer_opts o = profiles[iter % 4], slow = o;
        slow.no_fast_path = 1;
        run_spans(&want, text, n, slow, 0);
        run_spans(&got, text, n, o, iter % 2);
        cr_assert_str_eq(got.buf, want.buf, "iteration %d", iter);
        /* and the tokens are those of a tokenizer without offsets */
        static struct big plain;
        run_big(&plain, text, n, o, 0, 0);
        cr_assert_eq(plain.n, want.n, "iteration %d", iter);
    }
}
