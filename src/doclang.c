/*
 * doclang.c - --lang auto per document (struct tp_doclang, pipeline.h): a
 * document's first words scanned 16 bytes at a time for the stopwords of
 * each language the corpus mixes, the document's text held until its
 * language is known, then given to the tokenizer with that language's
 * profile. The corpus's language and the sample it is picked from are
 * pipeline.c's.
 */
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "pipeline_int.h"

/* --- --lang auto, per document ------------------------------------------ */

_Static_assert(TP_N_AUTO <= 6, "packed holds the hits of at most 6 lists");
_Static_assert(TP_LANG_DOC_WORDS < 1024, "a list's hits fit in 10 bits");

/* The hash of a word given as its two zero-padded words (a fixed mixer: the
 * keys are the fixed stopword lists, so no input can lengthen a probe
 * beyond the lists' own clusters). */
static inline size_t dl_hash(uint64_t w0, uint64_t w1)
{
    __uint128_t r = (__uint128_t)(w0 ^ 0x9e3779b97f4a7c15ull) * (w1 ^ 0xd6e8feb86659fd93ull);
    return (size_t)((uint64_t)r ^ (uint64_t)(r >> 64));
}

#define DL_KEY_MASK 0x00ffffffffffffffull
enum { DL_FILTER_BITS = 1 << 15 }; /* 4 KiB: stays in cache between documents */

/* The lists f (bit i: list i) as 1 in each of their 10-bit fields of
 * dl->packed: bit i times 2^(9i) lands on bit 10i, and no two products
 * share a bit. */
static inline uint64_t dl_spread(unsigned f)
{
    return ((uint64_t)f * 0x0000201008040201ull) & 0x0004010040100401ull;
}

/* The lists the word w0, w1 (1 to 15 bytes, zero padded) is on: a bit for
 * each of tp_auto_langs, 0 for none. A word's bytes are never zero, so its
 * two words are the whole key (its length is where the zeros start). Most
 * words of a text are on no list, and most of those stop at the filter
 * (then slot 0 is read, and ignored): what the lookups touch is the filter
 * and the slots of the frequent stopwords, which stay in cache. The table
 * is sparse, so a stopword is nearly always in its first slot. */
static inline unsigned dl_lists(const struct tp_doclang *dl, size_t len, uint64_t w0, uint64_t w1)
{
    if (dl->lw) {
        /* (len <= dl->max_len < 16: the top byte of w1 is zero) */
        size_t h = dl_hash(w0, w1), b = (h >> 40) & (DL_FILTER_BITS - 1);
        size_t pass = dl->lw_filter[b / 64] >> (b % 64) & 1;
        size_t i = h & dl->lw_mask & -pass;
        const uint64_t *sl = dl->lw + 2 * i;
        uint64_t k0 = sl[0], k1 = sl[1];
        unsigned hit = (unsigned)pass & (k0 == w0) & ((k1 & DL_KEY_MASK) == w1);
        if (__builtin_expect(hit | !pass | !k0, 1))
            return (unsigned)(k1 >> 56) & -hit; /* no branch on the hit */
        for (i = (i + 1) & dl->lw_mask;; i = (i + 1) & dl->lw_mask) {
            sl = dl->lw + 2 * i;
            if (sl[0] == w0 && (sl[1] & DL_KEY_MASK) == w1)
                return (unsigned)(sl[1] >> 56);
            if (!sl[0])
                return 0;
        }
    }
    const struct tp_table *t = &dl->run->lang_words;
    int64_t id = TP_TABLE_WORDS ? tp_table_find_words(t, len, w0, w1)
                                : tp_table_find(t, (const char *)dl->word, len);
    return id >= 0 ? t->terms[id].flags & 63 : 0;
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

/* Whether the list with the most hits now stays so whatever the words left
 * in the window (at most TP_LANG_DOC_WORDS - n_words, each a hit for any
 * lists): its lead over every other list is more than the words left, or
 * as many when it wins the tie. Then the words left are not looked up: when
 * it is the corpus's language the scan stops (fewer than TP_LANG_DOC_MIN
 * words give the corpus's language too), otherwise the words are only
 * counted until there are TP_LANG_DOC_MIN (fewer give the corpus's). The
 * decision is the one the whole window gives. */
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

/* Word n_words was counted, on the lists f (0 when not looked up): its
 * hits added; whether the scan is over (dl->stopped). A list's lead can
 * reach the words left only once some list has that many hits, so the
 * check waits for as many words on lists. */
static inline void dl_counted(struct tp_doclang *dl, unsigned f)
{
    dl->packed += dl_spread(f);
    dl->hit_words += f != 0;
    if (dl->n_words >= TP_LANG_DOC_WORDS) {
        dl->stopped = 1;
    } else if (dl->nolook) {
        if (dl->n_words >= TP_LANG_DOC_MIN)
            dl->stopped = 1;
    } else if (dl->hit_words >= TP_LANG_DOC_WORDS - dl->n_words) {
        dl_maybe_final(dl);
    }
}

/* The word in dl->word ends: counted, and looked up unless longer than the
 * longest stopword (no list entry can match it) or the decision is final
 * already. dl->word holds the word zero padded: a word is stored whole when
 * it starts, so nothing is cleared here. */
static inline void dl_word_end(struct tp_doclang *dl)
{
    if (!dl->wlen && !dl->wlong)
        return;
    dl->n_words++;
    unsigned f = 0;
    if (!dl->wlong && dl->wlen <= dl->max_len && !dl->nolook)
        f = dl_lists(dl, dl->wlen, dl->word[0], dl->word[1]);
    dl->wlen = 0;
    dl->wlong = 0;
    dl_counted(dl, f);
}

/* A word byte: an ASCII letter or digit, or any byte >= 0x80. */
static inline int dl_is_word(unsigned c)
{
    return (c | 32) - 'a' < 26 || c - '0' < 10 || c >= 0x80;
}

/* The bytes p[0..n) (all word bytes) continue the word: appended, ASCII
 * letters lowered, up to TP_LANG_WORD_MAX bytes; a longer word is only
 * marked long. */
static inline void dl_append(struct tp_doclang *dl, const unsigned char *p, size_t n)
{
    if (dl->wlong)
        return;
    if (dl->wlen + n > TP_LANG_WORD_MAX) {
        dl->wlong = 1;
        return;
    }
    unsigned char *w = (unsigned char *)dl->word;
    if (dl->wlen == 0)
        memset(w, 0, TP_LANG_WORD_MAX);
    for (size_t i = dl->wlen, end = dl->wlen + n; i < end && i < TP_LANG_WORD_MAX; i++) {
        unsigned c = *p++;
        w[i] = (unsigned char)((c | 32) - 'a' < 26 ? c | 32 : c);
    }
    dl->wlen += n;
}

#if defined(__SSE2__)
/* The word bytes among the (up to) 16 bytes at p, n of them left: bit i set
 * for a word byte at p[i] (none past n); *lowered gets them with ASCII
 * letters lowered. */
static inline unsigned dl_block(const unsigned char *p, size_t n, __m128i *lowered)
{
    __m128i v;
    if (n >= 16) {
        v = _mm_loadu_si128((const __m128i *)p);
    } else {
        unsigned char b[16] = {0}; /* NUL is not a word byte */
        memcpy(b, p, n);
        v = _mm_loadu_si128((const __m128i *)b);
    }
    __m128i l = _mm_or_si128(v, _mm_set1_epi8(32));
    __m128i a = _mm_sub_epi8(l, _mm_set1_epi8('a'));
    __m128i alpha = _mm_cmpeq_epi8(_mm_min_epu8(a, _mm_set1_epi8(25)), a);
    __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
    *lowered = _mm_or_si128(v, _mm_and_si128(alpha, _mm_set1_epi8(32)));
    /* the top bit of v: a byte >= 0x80 */
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(alpha, digit), v));
}
#endif

/* Scan p[0..n) for words; the bytes scanned (fewer than n once
 * TP_LANG_DOC_WORDS words are counted: the bytes up to the separator after
 * the last of them). A word is a run of word bytes (dl_is_word), its
 * separators any other byte; the word open at p[n] goes on in the next
 * call or ends at tp_doclang_settle. dl_scan_bytes is the definition, a
 * byte at a time; dl_scan finds the runs 16 bytes at a time. */
static size_t dl_scan_bytes(struct tp_doclang *dl, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)p[i];
        if (!dl_is_word(c)) {
            dl_word_end(dl);
            if (dl->stopped)
                return i + 1;
        } else {
            dl_append(dl, (const unsigned char *)p + i, 1);
        }
    }
    return n;
}

#if defined(__SSE2__) && TP_TABLE_WORDS
/* The word of len bytes (1 to 16) at lb (its bytes lowered, at least 16
 * readable) as zero-padded little-endian words, masked without a branch. */
static inline void dl_words_at(const unsigned char *lb, size_t len, uint64_t w[2])
{
    static const uint64_t keep[17][2] = {
        {0, 0},
        {0xffull, 0},
        {0xffffull, 0},
        {0xffffffull, 0},
        {0xffffffffull, 0},
        {0xffffffffffull, 0},
        {0xffffffffffffull, 0},
        {0xffffffffffffffull, 0},
        {~0ull, 0},
        {~0ull, 0xffull},
        {~0ull, 0xffffull},
        {~0ull, 0xffffffull},
        {~0ull, 0xffffffffull},
        {~0ull, 0xffffffffffull},
        {~0ull, 0xffffffffffffull},
        {~0ull, 0xffffffffffffffull},
        {~0ull, ~0ull},
    };
    memcpy(w, lb, 16);
    w[0] &= keep[len][0];
    w[1] &= keep[len][1];
}

/* The word bytes among the 64 bytes at p, n of them left (bit i set for a
 * word byte at p[i], none past n), lb[0..64) gets them with ASCII letters
 * lowered. */
static inline uint64_t dl_block64(const unsigned char *p, size_t n, unsigned char *lb)
{
    unsigned char b[64];
    if (n < 64) {
        memset(b, 0, sizeof(b)); /* NUL is not a word byte */
        memcpy(b, p, n);
        p = b;
    }
    uint64_t m = 0;
    for (unsigned k = 0; k < 4; k++) {
        __m128i low;
        m |= (uint64_t)dl_block(p + 16 * k, 16, &low) << (16 * k);
        _mm_storeu_si128((__m128i *)(lb + 16 * k), low);
    }
    return m;
}
#endif

static size_t dl_scan(struct tp_doclang *dl, const char *p, size_t n)
{
#if defined(__SSE2__) && TP_TABLE_WORDS
    /* 64 bytes at a time: the loop over a block's words ends (a branch
     * that cannot be foreseen) once a block rather than once in 16 bytes */
    const unsigned char *u = (const unsigned char *)p;
    unsigned char lb[80]; /* a block's bytes lowered, then zeros */
    memset(lb + 64, 0, 16);
    size_t i = 0;
    while (i < n) {
        uint64_t m = dl_block64(u + i, n - i, lb);
        unsigned pos = 0;
        if (dl->wlen || dl->wlong) {
            /* the word open from the block before (or an earlier call) */
            unsigned run = ~m ? (unsigned)__builtin_ctzll(~m) : 64;
            if (run)
                dl_append(dl, u + i, run);
            if (run == 64) {
                i += 64;
                continue;
            }
            if (i + run >= n)
                return n; /* it goes on in the next call */
            dl_word_end(dl);
            if (dl->stopped)
                return i + run + 1;
            pos = run;
        }
        for (;;) {
            uint64_t rest = m >> pos << pos;
            if (!rest) {
                i += 64;
                break;
            }
            unsigned ws = (unsigned)__builtin_ctzll(rest);
            uint64_t after = ~m & ~0ull << ws;
            if (!after) {
                if (ws == 0) {
                    /* 64 word bytes: a long word, going on in the next block */
                    dl->wlong = 1;
                    i += 64;
                } else {
                    i += ws; /* the next block starts with this word */
                }
                break;
            }
            unsigned we = (unsigned)__builtin_ctzll(after);
            size_t len = we - ws;
            if (i + we >= n) {
                /* the text ends inside the word: it goes on in the next call */
                if (len <= TP_LANG_WORD_MAX)
                    dl_words_at(lb + ws, len, dl->word);
                else
                    dl->wlong = 1;
                dl->wlen = len;
                return n;
            }
            /* a whole word, a separator after it */
            dl->n_words++;
            unsigned f = 0;
            if (len <= dl->max_len && !dl->nolook) {
                uint64_t w[2];
                dl_words_at(lb + ws, len, w);
                f = dl_lists(dl, len, w[0], w[1]);
            }
            dl_counted(dl, f);
            if (dl->stopped)
                return i + we + 1;
            pos = we;
        }
    }
    return n;
#else
    return dl_scan_bytes(dl, p, n);
#endif
}

/* The doclang scan for tests: scan p[0..n) with the definition
 * (dl_scan_bytes, bytes != 0) or the fast scan. */
size_t tp_doclang_scan_for_test(struct tp_doclang *dl, const char *p, size_t n, int bytes)
{
    return bytes ? dl_scan_bytes(dl, p, n) : dl_scan(dl, p, n);
}

static void set_profile(struct tp_tokenizer *tk, enum tp_lang lang)
{
    tp_tokenizer_set_apostrophes(tk, lang == TP_LANG_IT || lang == TP_LANG_FR, lang == TP_LANG_IT);
}

/* dl->lw from run->lang_words: the entries a scanned word can be (word
 * bytes only, at most 15 of them; a word of 16 bytes matches none), the
 * table at most a quarter full. When some entry is 16 bytes long, it stays
 * NULL (the lists are looked up in run->lang_words). */
static int dl_build(struct tp_doclang *dl)
{
    const struct tp_table *t = &dl->run->lang_words;
    if (dl->max_len >= 16)
        return 0;
    size_t cap = 64;
    while (cap < 4 * t->n)
        cap *= 2;
    uint64_t *m = calloc(DL_FILTER_BITS / 64 + 2 * cap, sizeof(uint64_t));
    if (!m)
        return TP_ENOMEM;
    dl->lw_filter = m;
    dl->lw = m + DL_FILTER_BITS / 64;
    dl->lw_mask = cap - 1;
    for (size_t id = 0; id < t->n; id++) {
        const struct tp_term *e = &t->terms[id];
        size_t k = 0;
        while (k < e->len && dl_is_word((unsigned char)e->bytes[k]))
            k++;
        if (k < e->len || !e->len || !(e->flags & 63))
            continue; /* no run of word bytes is this entry */
        uint64_t w[2] = {0, 0};
        memcpy(w, e->bytes, e->len);
        size_t h = dl_hash(w[0], w[1]), b = (h >> 40) & (DL_FILTER_BITS - 1);
        dl->lw_filter[b / 64] |= (uint64_t)1 << (b % 64);
        size_t i = h & dl->lw_mask;
        while (dl->lw[2 * i])
            i = (i + 1) & dl->lw_mask;
        dl->lw[2 * i] = w[0];
        dl->lw[2 * i + 1] = w[1] | (uint64_t)(e->flags & 63) << 56;
    }
    return 0;
}

int tp_doclang_init(struct tp_doclang *dl, const struct tp_run *run, struct tp_tokenizer *tk)
{
    memset(dl, 0, sizeof(*dl));
    dl->run = run;
    dl->tk = tk;
    dl->active = run->per_doc_lang;
    /* the longest stopword: a longer word is counted but not looked up */
    for (size_t i = 0; dl->active && i < run->lang_words.n; i++)
        if (run->lang_words.terms[i].len > dl->max_len)
            dl->max_len = run->lang_words.terms[i].len;
    return dl->active && TP_TABLE_WORDS ? dl_build(dl) : 0;
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
    memset(dl->hits, 0, sizeof(dl->hits));
    dl->packed = 0;
    dl->hit_words = 0;
    dl->nolook = 0;
    dl->stopped = 0;
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
    dl_unpack(dl, dl->hits);
    enum tp_lang lang = dl->run->lang;
    if (dl->n_words >= TP_LANG_DOC_MIN) {
        size_t best = dl_best(dl->hits, lang);
        if (best < TP_N_AUTO)
            lang = tp_auto_langs[best];
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
    if (dl->seen >= TP_LANG_DOC_BYTES || done < take || dl->stopped) {
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
    free(dl->lw_filter);
    dl->lw_filter = dl->lw = NULL;
}
