/*
 * doclang.c - --lang auto per document (struct tp_doclang, pipeline.h): a
 * document's first tokens, as the tokenizer gives them with the corpus's
 * profile, looked up in the stopword lists of each language the corpus
 * mixes, before any of them is counted; the document's text held until its
 * language is known; a document decided for another language tokenized
 * again from its start with that language's profile. The corpus's language
 * and the sample it is picked from are pipeline.c's.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "pipeline_int.h"
#include "tokenizer.h"

/* --- --lang auto, per document ------------------------------------------ */

_Static_assert(TP_N_AUTO <= 6, "packed holds the hits of at most 6 lists");
_Static_assert(TP_LANG_DOC_WORDS < 1024, "a list's hits fit in 10 bits");
_Static_assert(TP_LANG_DOC_WORDS <= TP_TOKEN_BATCH,
               "a full batch of tokens decides: the tokens of a document's first batch are "
               "never held");

/* The lists f (bit i: list i, f < 64) as 1 in each of their 10-bit fields
 * of dl->packed: bit i times 2^(9i) lands on bit 10i, and no two products
 * share a bit. Read from a table: one load in place of a multiply and two
 * constants in a lookup loop short of registers. */
#define DL_SPREAD(f) (((uint64_t)(f)*0x0000201008040201ull) & 0x0004010040100401ull)
#define DL_SPREAD4(f) DL_SPREAD(f), DL_SPREAD((f) + 1), DL_SPREAD((f) + 2), DL_SPREAD((f) + 3)
#define DL_SPREAD16(f) DL_SPREAD4(f), DL_SPREAD4((f) + 4), DL_SPREAD4((f) + 8), DL_SPREAD4((f) + 12)
static const uint64_t dl_spread_of[64] = {DL_SPREAD16(0), DL_SPREAD16(16), DL_SPREAD16(32),
                                          DL_SPREAD16(48)};

static inline uint64_t dl_spread(unsigned f)
{
    return dl_spread_of[f];
}

/* The lists the word w0, w1 (len bytes, 1 to 16, zero padded) is on: a bit
 * for each of tp_auto_langs, 0 for none. */
static inline unsigned dl_lists(const struct tp_doclang *dl, size_t len, uint64_t w0, uint64_t w1)
{
    if (dl->look.filter) /* (len <= dl->max_len < 16: the top byte of w1 is zero) */
        return tp_langlook_words(&dl->look, w0, w1);
    const struct tp_table *t = &dl->run->lang_words;
    int64_t id;
    if (TP_TABLE_WORDS) {
        id = tp_table_find_words(t, len, w0, w1);
    } else {
        uint64_t w[2] = {w0, w1};
        char s[16];
        memcpy(s, w, sizeof(s));
        id = tp_table_find(t, s, len);
    }
    return id >= 0 ? t->terms[id].flags & 63 : 0;
}

/* Bits below byte k of a word (k <= 8). */
static inline uint64_t dl_bytes_below(size_t k)
{
    return k >= 8 ? ~0ull : ((uint64_t)1 << (8 * k)) - 1;
}

/* w with its ASCII capitals lowered, eight bytes at once (--case keep:
 * the lists are lower case). */
static inline uint64_t dl_lower(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t seven = w & ~high;
    uint64_t ge_a = seven + (0x80 - 'A') * ones, gt_z = seven + (0x80 - 'Z' - 1) * ones;
    return w | ((ge_a & ~gt_z & ~w & high) >> 2);
}

/* The lists the token tok[0..len) (valid UTF-8, NFC or NFKC) is on, looked
 * up case folded. */
static unsigned dl_folded_lists(const struct tp_doclang *dl, const char *tok, size_t len)
{
    utf8proc_int32_t cp[64]; /* longer than any stopword, folded */
    const utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD;
    utf8proc_ssize_t n =
        utf8proc_decompose((const utf8proc_uint8_t *)tok, (utf8proc_ssize_t)len, cp, 64, opts);
    if (n < 0 || n > 64 || (n = utf8proc_reencode(cp, n, opts)) < 0 || (size_t)n > dl->max_len)
        return 0;
    const struct tp_table *t = &dl->run->lang_words;
    int64_t id = tp_table_find(t, (const char *)cp, (size_t)n);
    return id >= 0 ? t->terms[id].flags & 63 : 0;
}

/* The lists the token tok[0..len) is on (an elided head "l'" looked up as
 * "l", as the sample and the stopwords take it); padded: 16 bytes at tok,
 * zeros past len (a batch's token). */
static inline unsigned dl_token_lists(const struct tp_doclang *dl, const char *tok, size_t len,
                                      int padded)
{
    if (len > 1 && tok[len - 1] == '\'')
        len--;
    if (dl->keep_case) {
        /* --case keep: a token with a capital beyond ASCII (È, À) is
         * looked up case folded as the tokenizer folds; ASCII below */
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)tok[i] >= 0x80)
                return dl_folded_lists(dl, tok, len);
    }
    if (len > dl->max_len)
        return 0;
    if (len > 16) {
        /* (a stopword this long: looked up in run->lang_words) */
        const struct tp_table *t = &dl->run->lang_words;
        int64_t id = tp_table_find(t, tok, len);
        return id >= 0 ? t->terms[id].flags & 63 : 0;
    }
    uint64_t w[2] = {0, 0};
    if (padded)
        memcpy(w, tok, 16);
    else
        memcpy(w, tok, len);
    w[0] &= dl_bytes_below(len);
    w[1] &= len > 8 ? dl_bytes_below(len - 8) : 0;
    if (dl->keep_case) {
        w[0] = dl_lower(w[0]);
        w[1] = dl_lower(w[1]);
    }
    return dl_lists(dl, len, w[0], w[1]);
}

/* The list tp_doclang_settle picks from hits[0..TP_N_AUTO) (the most hits;
 * ties: the corpus's language, then the first), TP_N_AUTO for none. */
static size_t dl_best(const uint64_t *hits, enum tp_lang corpus)
{
    size_t best = TP_N_AUTO;
    for (size_t i = 0; i < TP_N_AUTO; i++)
        if (hits[i] && (best == TP_N_AUTO || hits[i] > hits[best] ||
                        (hits[i] == hits[best] && tp_auto_langs[i] == corpus)))
            best = i;
    return best;
}

static void dl_unpack(const struct tp_doclang *dl, uint64_t *hits)
{
    for (size_t i = 0; i < TP_N_AUTO; i++)
        hits[i] = dl->packed >> (10 * i) & 1023;
}

/* Whether the list with the most hits now stays so whatever the tokens
 * left in the window (at most TP_LANG_DOC_WORDS - n_words, each a hit for
 * any lists): its lead over every other list is more than the tokens left,
 * or as many when it wins the tie. Then the tokens left are not looked up:
 * when it is the corpus's language the decision is made (fewer than
 * TP_LANG_DOC_MIN tokens give the corpus's language too), otherwise the
 * tokens are only counted until there are TP_LANG_DOC_MIN (fewer give the
 * corpus's). The decision is the one the whole window gives. */
static void dl_maybe_final(struct tp_doclang *dl)
{
    uint64_t hits[TP_N_AUTO];
    dl_unpack(dl, hits);
    enum tp_lang corpus = dl->run->lang;
    size_t best = dl_best(hits, corpus);
    if (best == TP_N_AUTO)
        return;
    uint64_t left = TP_LANG_DOC_WORDS - dl->n_words;
    int best_is_corpus = tp_auto_langs[best] == corpus;
    for (size_t i = 0; i < TP_N_AUTO; i++) {
        if (i == best)
            continue;
        int wins_tie = best_is_corpus || (i > best && tp_auto_langs[i] != corpus);
        if (hits[best] < hits[i] + left + !wins_tie)
            return;
    }
    dl->nolook = 1;
    if (best_is_corpus || dl->n_words >= TP_LANG_DOC_MIN)
        dl->stopped = 1;
}

/* What the window tells after its tokens so far, hit_words of them on
 * lists: whether the decision is made (dl->stopped). A list's lead can
 * reach the tokens left only once some list has that many hits, so the
 * check waits for as many tokens on lists. Each test only turns true as
 * tokens come (the tokens left shrink by one a token, hits grow by at most
 * one), so checking after a run of tokens stops where checking after each
 * would have, with the same decision. */
static inline void dl_check(struct tp_doclang *dl)
{
    if (dl->n_words >= TP_LANG_DOC_WORDS) {
        dl->stopped = 1;
    } else if (dl->nolook) {
        if (dl->n_words >= TP_LANG_DOC_MIN)
            dl->stopped = 1;
    } else if (dl->hit_words >= TP_LANG_DOC_WORDS - dl->n_words) {
        dl_maybe_final(dl);
    }
}

/* One more of the document's tokens in the window. */
static inline void dl_look(struct tp_doclang *dl, const char *tok, size_t len, int padded)
{
    unsigned f = dl->nolook ? 0 : dl_token_lists(dl, tok, len, padded);
    dl->n_words++;
    dl->packed += dl_spread(f);
    dl->hit_words += f != 0;
    dl_check(dl);
}

/* The first k tokens of batch b in the window (k at most the tokens it has
 * left): their lists summed in locals, then checked once (dl_check). A
 * token looked up after the lead became final adds hits the decision does
 * not need, and cannot change (dl_maybe_final). With dl->look built and case
 * folded (the common case), a token's lists are tp_langlook_token's, which
 * are dl_token_lists's in fewer steps. */
static void dl_look_batch(struct tp_doclang *dl, const struct tp_token_batch *b, size_t k)
{
    uint64_t packed = 0, hw = 0;
    if (dl->nolook) {
        /* (the lead is final: the tokens are only counted) */
    } else if (dl->look.filter && !dl->keep_case) {
        const struct tp_langlook look = dl->look; /* (in registers) */
        for (size_t i = 0; i < k; i++) {
            unsigned f = tp_langlook_token(&look, b->tok + 16 * i, b->len[i]);
            packed += dl_spread(f);
            hw += f != 0;
        }
    } else {
        for (size_t i = 0; i < k; i++) {
            unsigned f = dl_token_lists(dl, b->tok + 16 * i, b->len[i], 1);
            packed += dl_spread(f);
            hw += f != 0;
        }
    }
    dl->n_words += k;
    dl->packed += packed;
    dl->hit_words += hw;
    dl_check(dl);
}

static void set_profile(struct tp_tokenizer *tk, enum tp_lang lang)
{
    tp_tokenizer_set_apostrophes(tk, lang == TP_LANG_IT || lang == TP_LANG_FR, lang == TP_LANG_IT);
}

/* The decision, on the tokens looked at: the language, counted in docs;
 * dl->again when the document is to be tokenized again (another language,
 * or some token went by uncounted). */
static void dl_decide(struct tp_doclang *dl)
{
    dl_unpack(dl, dl->hits);
    enum tp_lang lang = dl->run->lang;
    if (dl->n_words >= TP_LANG_DOC_MIN) {
        size_t best = dl_best(dl->hits, lang);
        if (best < TP_N_AUTO)
            lang = tp_auto_langs[best];
    }
    dl->lang = lang;
    dl->deciding = 0;
    dl->again = lang != dl->run->lang || dl->held_tokens;
}

/* What a counting callback does with tokens given while deciding (after
 * looking at them): count them (decided, the corpus's language, none held
 * before), or not (held: the decision waits for more; again: the callback
 * returns non-zero, and the tokenizer starts the document again). */
static int dl_after(struct tp_doclang *dl)
{
    if (!dl->stopped && !dl->closing) {
        dl->held_tokens = 1;
        return TP_DL_HELD;
    }
    dl_decide(dl);
    return dl->again ? TP_DL_AGAIN : TP_DL_COUNT;
}

int tp_doclang_batch(struct tp_doclang *dl, const struct tp_token_batch *b)
{
    if (!dl->stopped) {
        /* (not stopped: fewer than TP_LANG_DOC_WORDS tokens looked at) */
        size_t left = TP_LANG_DOC_WORDS - dl->n_words;
        dl_look_batch(dl, b, b->n < left ? b->n : left);
    }
    return dl_after(dl);
}

int tp_doclang_token(struct tp_doclang *dl, const char *tok, size_t len)
{
    if (!dl->stopped)
        dl_look(dl, tok, len, 0);
    return dl_after(dl);
}

int tp_langlook_build(struct tp_langlook *lk, const struct tp_table *words)
{
    memset(lk, 0, sizeof(*lk));
    for (size_t id = 0; id < words->n; id++)
        if (words->terms[id].len >= 16)
            return 0; /* looked up in the table */
    size_t cap = 64;
    while (cap < 4 * words->n)
        cap *= 2;
    /* (and one slot past them, left empty: tp_langlook_words) */
    uint64_t *m = calloc(TP_LANGLOOK_FILTER_BITS / 64 + 2 * cap + 2, sizeof(uint64_t));
    if (!m)
        return TP_ENOMEM;
    lk->filter = m;
    lk->slots = m + TP_LANGLOOK_FILTER_BITS / 64;
    lk->mask = cap - 1;
    for (size_t id = 0; id < words->n; id++) {
        const struct tp_term *e = &words->terms[id];
        if (!e->len || !(e->flags & 63) || memchr(e->bytes, 0, e->len))
            continue; /* no token is this entry */
        uint64_t w[2] = {0, 0};
        memcpy(w, e->bytes, e->len);
        size_t h = tp_langlook_hash(w[0], w[1]), b = (h >> 40) & (TP_LANGLOOK_FILTER_BITS - 1);
        lk->filter[b / 64] |= (uint64_t)1 << (b % 64);
        size_t i = h & lk->mask;
        while (lk->slots[2 * i])
            i = (i + 1) & lk->mask;
        lk->slots[2 * i] = w[0];
        lk->slots[2 * i + 1] = w[1] | (uint64_t)(e->flags & 63) << 56;
    }
    return 0;
}

void tp_langlook_release(struct tp_langlook *lk)
{
    free(lk->filter);
    memset(lk, 0, sizeof(*lk));
}

int tp_doclang_init(struct tp_doclang *dl, const struct tp_run *run, struct tp_tokenizer *tk)
{
    memset(dl, 0, sizeof(*dl));
    dl->run = run;
    dl->tk = tk;
    dl->active = run->per_doc_lang;
    dl->keep_case = run->tok_opts.keep_case;
    /* the longest stopword: a longer token is counted but not looked up */
    for (size_t i = 0; dl->active && i < run->lang_words.n; i++)
        if (run->lang_words.terms[i].len > dl->max_len)
            dl->max_len = run->lang_words.terms[i].len;
    return dl->active && TP_TABLE_WORDS ? tp_langlook_build(&dl->look, &run->lang_words) : 0;
}

void tp_doclang_begin(struct tp_doclang *dl, int part)
{
    if (!dl->active)
        return;
    dl->len = 0;
    dl->n_words = 0;
    memset(dl->hits, 0, sizeof(dl->hits));
    dl->packed = 0;
    dl->hit_words = 0;
    dl->nolook = 0;
    dl->stopped = 0;
    dl->held_tokens = 0;
    dl->closing = 0;
    dl->again = 0;
    dl->deciding = part == 0;
    /* tokens with the corpus's profile: counted as they come once decided
     * for it; a document counted in parts has its language in every part */
    dl->lang = dl->run->lang;
    set_profile(dl->tk, dl->lang);
}

/* Decided to tokenize the document again (dl->again): from its start, with
 * its language's profile, the text held, then p[0..n) (the text being fed
 * when the decision came). */
static int dl_again(struct tp_doclang *dl, const char *p, size_t n)
{
    dl->again = 0;
    tp_tokenizer_restart(dl->tk);
    set_profile(dl->tk, dl->lang);
    int rc = dl->len ? tp_tokenizer_feed(dl->tk, dl->buf, dl->len) : 0;
    return rc || !n ? rc : tp_tokenizer_feed(dl->tk, p, n);
}

/* Still deciding after p[0..n): the text held. */
static int dl_hold(struct tp_doclang *dl, const char *p, size_t n)
{
    if (dl->len + n > dl->cap) {
        size_t cap = dl->cap ? dl->cap : 1024;
        while (cap < dl->len + n)
            cap *= 2;
        char *b = realloc(dl->buf, cap);
        if (!b)
            return TP_ENOMEM;
        dl->buf = b;
        dl->cap = cap;
    }
    memcpy(dl->buf + dl->len, p, n);
    dl->len += n;
    return 0;
}

/* The tokenizer's call fn(tk) (a flush or the document's end) with the
 * decision made by its end: on the tokens fn gives to the callbacks, or,
 * when they come to none, on those looked at already. Tokenized again, the
 * document is the text held, then p[0..n) (the text fed since). */
static int dl_close(struct tp_doclang *dl, int (*fn)(struct tp_tokenizer *), const char *p,
                    size_t n)
{
    dl->closing = 1;
    int rc = fn(dl->tk);
    dl->closing = 0;
    if (rc && !dl->again)
        return rc;
    if (dl->deciding)
        dl_decide(dl);
    if (!dl->again)
        return 0;
    rc = dl_again(dl, p, n);
    return rc ? rc : fn(dl->tk);
}

int tp_doclang_feed(struct tp_doclang *dl, const char *buf, size_t len)
{
    if (!dl->deciding)
        return tp_tokenizer_feed(dl->tk, buf, len);
    size_t room = TP_LANG_DOC_BYTES - dl->len, take = len < room ? len : room;
    int rc = take ? tp_tokenizer_feed(dl->tk, buf, take) : 0;
    if (rc && !dl->again)
        return rc;
    if (dl->again)
        rc = dl_again(dl, buf, take);
    else if (dl->deciding && take < len) /* text past the window: decided on its tokens */
        rc = dl_close(dl, tp_tokenizer_flush, buf, take);
    else if (dl->deciding)
        rc = dl_hold(dl, buf, take);
    if (rc || take == len)
        return rc;
    return tp_tokenizer_feed(dl->tk, buf + take, len - take);
}

int tp_doclang_settle(struct tp_doclang *dl)
{
    if (!dl->deciding)
        return tp_tokenizer_flush(dl->tk);
    return dl_close(dl, tp_tokenizer_flush, NULL, 0);
}

int tp_doclang_finish(struct tp_doclang *dl)
{
    if (!dl->deciding)
        return tp_tokenizer_finish(dl->tk);
    /* the last token first (a long one is delivered apart, before the
     * batch): the tokens the closing flush gives are the document's last */
    int rc = tp_tokenizer_end(dl->tk);
    if (rc && !dl->again)
        return rc;
    if (dl->again) {
        rc = dl_again(dl, NULL, 0);
        return rc ? rc : tp_tokenizer_finish(dl->tk);
    }
    if (!dl->deciding)
        return tp_tokenizer_flush(dl->tk);
    rc = dl_close(dl, tp_tokenizer_flush, NULL, 0);
    return rc ? rc : tp_tokenizer_finish(dl->tk); /* (after dl_again: its last token) */
}

void tp_doclang_release(struct tp_doclang *dl)
{
    free(dl->buf);
    dl->buf = NULL;
    tp_langlook_release(&dl->look);
}
