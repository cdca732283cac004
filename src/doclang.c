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

_Static_assert(TP_N_AUTO <= 6, "by_mask holds the sets of at most 6 lists");

/* The word in dl->word ends: counted, and looked up unless longer than the
 * longest stopword (no list entry can match it). dl->word holds the word
 * zero padded: a word is stored whole when it starts, so nothing is cleared
 * here. */
static inline void dl_word_end(struct tp_doclang *dl)
{
    if (!dl->wlen && !dl->wlong)
        return;
    dl->n_words++;
    if (!dl->wlong && dl->wlen <= dl->max_len) {
        const struct tp_table *t = &dl->run->lang_words;
        int64_t id = TP_TABLE_WORDS ? tp_table_find_words(t, dl->wlen, dl->word[0], dl->word[1])
                                    : tp_table_find(t, (const char *)dl->word, dl->wlen);
        if (id >= 0) {
            unsigned f = t->terms[id].flags & 63;
            dl->by_mask[f]++;
            for (; f; f &= f - 1)
                dl->hits[__builtin_ctz(f)]++;
        }
    }
    dl->wlen = 0;
    dl->wlong = 0;
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
            if (dl->n_words >= TP_LANG_DOC_WORDS)
                return i + 1;
        } else {
            dl_append(dl, (const unsigned char *)p + i, 1);
        }
    }
    return n;
}

#if defined(__SSE2__) && TP_TABLE_WORDS
/* The word of len bytes (1 to 16) at lb (its bytes lowered, at least 16
 * readable) as zero-padded little-endian words. */
static inline void dl_words_at(const unsigned char *lb, size_t len, uint64_t w[2])
{
    memcpy(w, lb, 16);
    if (len < 8) {
        w[0] &= ((uint64_t)1 << (8 * len)) - 1;
        w[1] = 0;
    } else if (len < 16) {
        w[1] &= len == 8 ? 0 : ((uint64_t)1 << (8 * (len - 8))) - 1;
    }
}
#endif

static size_t dl_scan(struct tp_doclang *dl, const char *p, size_t n)
{
#if defined(__SSE2__) && TP_TABLE_WORDS
    const unsigned char *u = (const unsigned char *)p;
    unsigned char lb[32]; /* a block's bytes lowered, then zeros */
    memset(lb + 16, 0, 16);
    size_t i = 0;
    while (i < n) {
        __m128i low;
        unsigned m = dl_block(u + i, n - i, &low);
        _mm_storeu_si128((__m128i *)lb, low);
        /* bit 16 and up: no word byte (the block's end) */
        unsigned pos = 0;
        if (dl->wlen || dl->wlong) {
            /* the word open from the block before (or an earlier call) */
            unsigned run = (unsigned)__builtin_ctz(~m);
            if (run)
                dl_append(dl, u + i, run);
            if (run == 16) {
                i += 16;
                continue;
            }
            if (i + run >= n)
                return n; /* it goes on in the next call */
            dl_word_end(dl);
            if (dl->n_words >= TP_LANG_DOC_WORDS)
                return i + run + 1;
            pos = run;
        }
        for (;;) {
            unsigned rest = m >> pos << pos;
            if (!rest) {
                i += 16;
                break;
            }
            unsigned ws = (unsigned)__builtin_ctz(rest);
            unsigned we = (unsigned)__builtin_ctz(~m & ~0u << ws);
            if (we == 16) {
                if (ws == 0) {
                    /* 16 word bytes: the word goes on in the next block */
                    memcpy(dl->word, lb, 16);
                    dl->wlen = 16;
                    i += 16;
                } else {
                    i += ws; /* the next block starts with this word */
                }
                break;
            }
            size_t len = we - ws;
            if (i + we >= n) {
                /* the text ends inside the word: it goes on in the next call */
                dl_words_at(lb + ws, len, dl->word);
                dl->wlen = len;
                return n;
            }
            /* a whole word, a separator after it */
            dl->n_words++;
            if (len <= dl->max_len) {
                uint64_t w[2];
                dl_words_at(lb + ws, len, w);
                const struct tp_table *t = &dl->run->lang_words;
                int64_t id = tp_table_find_words(t, len, w[0], w[1]);
                if (id >= 0) {
                    unsigned f = t->terms[id].flags & 63;
                    dl->by_mask[f]++;
                    for (; f; f &= f - 1)
                        dl->hits[__builtin_ctz(f)]++;
                }
            }
            if (dl->n_words >= TP_LANG_DOC_WORDS)
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
    memset(dl->hits, 0, sizeof(dl->hits));
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
        const uint64_t *hits = dl->hits; /* hits[i]: the words on list i */
        size_t best = TP_N_AUTO;
        for (size_t i = 0; i < TP_N_AUTO; i++)
            if (hits[i] && (best == TP_N_AUTO || hits[i] > hits[best] ||
                            (hits[i] == hits[best] && tp_auto_langs[i] == lang)))
                best = i;
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
