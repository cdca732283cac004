/*
 * tokenizer.c - the push-style tokenizer (see tokenizer.h).
 *
 * One pass over the bytes. ASCII bytes are classified by a 256-entry table and
 * letters are lowered as they are appended; other code points are decoded and
 * classified with utf8proc_category. A joiner (hyphen, apostrophe, '.' or ',')
 * cannot be judged until the next character is seen, so it is held as
 * `pending` and resolved by the next step. Tokens are normalized only when they
 * hold a byte >= 0x80, with utf8proc_decompose into a reused int32 buffer and
 * utf8proc_reencode in place (never utf8proc_map, which mallocs per call).
 *
 * Plain ASCII text also has a fast path (fast_run): 64-byte windows classified
 * with SSE2 into bit masks, tokens found by bit scans and, when the consumer
 * takes batches, written lowered and zero padded straight into the batch. It
 * only takes what the per-character path would do the same way and hands
 * everything else back to it, which stays the single source of the rules.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TP_X86_DISPATCH 1
#endif

#include "tempora.h"
#include "tokenizer.h"

enum cls {
    C_OTHER,  /* punctuation or symbol that separates but does not break */
    C_LETTER, /* L* */
    C_MARK,   /* M*: continues a word */
    C_DIGIT,  /* Nd */
    C_HYPHEN, /* - U+2010 U+2011 */
    C_APOS,   /* ' U+2019 U+02BC */
    C_DIGSEP, /* . , : join digits, otherwise break */
    C_BREAK,  /* ; : ! ? ( ) [ ] { } ... dashes */
    C_SPACE,  /* blanks that keep a blank line blank */
    C_NL,     /* line feed, U+2028 */
    C_PARA,   /* U+2029: a blank line by itself */
    C_SOFT    /* soft hyphen: invisible, ignored */
};

enum pend { P_NONE, P_HYPHEN, P_APOS, P_DIGSEP };

/* The fast path's classifier: the classes of the 64 bytes at p into m
 * (struct win_mask), the bytes (lowered unless keep_case) to out. */
struct win_mask;
typedef void classify64_fn(const unsigned char *p, char *out, int keep_case, struct win_mask *m);

struct tp_tokenizer {
    struct tp_tokenizer_opts o;
    classify64_fn *classify; /* classify64_*, the widest the processor has */
    tp_token_fn *fn;
    void *ctx;
    int utf8proc_opts;

    char tok[TP_TOKEN_MAX + 32];
    size_t tok_len;
    int nonascii;
    int overlong;
    enum cls last; /* class of the last word character appended */
    enum pend pending;
    char pend_byte; /* the '.' or ',' of P_DIGSEP */

    int brk;     /* a break was seen since the last token */
    int nl_seen; /* only blanks since the last line end */
    int cr_last; /* the last byte was a CR: a LF now ends no second line */
    uint32_t seg;
    uint64_t n_emitted;
    uint64_t n_overlong;

    unsigned char carry[4];
    size_t carry_len;

    char win[64]; /* the window the fast path lowers, for tokens not batched */

    tp_batch_fn *bfn; /* NULL: one token at a time */
    struct tp_token_batch batch;

    utf8proc_int32_t *ubuf;
    size_t ubuf_cap;
};

/* Filled whole by the first tp_tokenizer_new (pthread_once), before it or
 * any other tokenizer reads them: tokenizers made on several threads at once
 * wait for the fill instead of reading half-filled tables. */
static unsigned char ascii_class[128];
static unsigned char ascii_lower[128];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void init_tables(void)
{
    for (int c = 0; c < 128; c++) {
        unsigned char k = C_OTHER;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            k = C_LETTER;
        else if (c >= '0' && c <= '9')
            k = C_DIGIT;
        ascii_lower[c] = (unsigned char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
        ascii_class[c] = k;
    }
    ascii_class['-'] = C_HYPHEN;
    ascii_class['\''] = C_APOS;
    ascii_class['.'] = C_DIGSEP;
    ascii_class[','] = C_DIGSEP;
    const char *brk = ";:!?()[]{}";
    for (const char *p = brk; *p; p++)
        ascii_class[(unsigned char)*p] = C_BREAK;
    ascii_class[' '] = C_SPACE;
    ascii_class['\t'] = C_SPACE;
    ascii_class['\r'] = C_NL; /* a line end of its own (old Mac files), CR LF one line end */
    ascii_class['\f'] = C_SPACE;
    ascii_class['\v'] = C_SPACE;
    ascii_class['\n'] = C_NL;
}

static enum cls classify(int32_t cp)
{
    switch (cp) {
    case 0x2019:
    case 0x02BC:
        return C_APOS;
    case 0x2010:
    case 0x2011:
        return C_HYPHEN;
    case 0x2026: /* ... */
    case 0x2013: /* en dash */
    case 0x2014: /* em dash */
        return C_BREAK;
    case 0x00AD:
        return C_SOFT;
    case 0x2028:
    case 0x0085:
        return C_NL;
    case 0x2029:
        return C_PARA;
    default:
        break;
    }
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return C_LETTER;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return C_MARK;
    case UTF8PROC_CATEGORY_ND:
        return C_DIGIT;
    case UTF8PROC_CATEGORY_ZS:
        return C_SPACE;
    default:
        return C_OTHER;
    }
}

/* Under NFKC, normalization comes before tokenizing (SPEC "Tokens"): a
 * character whose compatibility decomposition starts with a word character
 * (subscript and superscript digits, circled letters) is that word character;
 * the token is normalized as a whole when it is emitted. */
static enum cls classify_compat(int32_t cp, enum cls k)
{
    utf8proc_int32_t d[8];
    int boundclass = 0;
    utf8proc_ssize_t n =
        utf8proc_decompose_char(cp, d, 8, UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE, &boundclass);
    if (n <= 0 || n > 8 || d[0] == cp)
        return k;
    enum cls first = d[0] < 128 ? (enum cls)ascii_class[d[0]] : classify(d[0]);
    return first == C_LETTER || first == C_DIGIT || first == C_MARK ? first : k;
}

#if defined(__SSE2__)
static classify64_fn *pick_classify(unsigned isa);
#else
unsigned tp_tokenizer_isas(void)
{
    return 0;
}
#endif

int tp_tokenizer_new(struct tp_tokenizer **out, const struct tp_tokenizer_opts *o, tp_token_fn *fn,
                     void *ctx)
{
    if (pthread_once(&tables_once, init_tables) != 0)
        return TP_ENOMEM;
    struct tp_tokenizer *tk = calloc(1, sizeof(*tk));
    if (!tk)
        return TP_ENOMEM;
    tk->o = *o;
    tk->fn = fn;
    tk->ctx = ctx;
    tk->utf8proc_opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    if (o->nfkc)
        tk->utf8proc_opts |= UTF8PROC_COMPAT;
    if (!o->keep_case)
        tk->utf8proc_opts |= UTF8PROC_CASEFOLD;
#if defined(__SSE2__)
    tk->classify = pick_classify(o->isa);
#endif
    tk->ubuf_cap = 256;
    tk->ubuf = malloc(tk->ubuf_cap * sizeof(*tk->ubuf));
    if (!tk->ubuf) {
        free(tk);
        return TP_ENOMEM;
    }
    *out = tk;
    return 0;
}

void tp_tokenizer_free(struct tp_tokenizer *tk)
{
    if (!tk)
        return;
    free(tk->ubuf);
    free(tk);
}

void tp_tokenizer_set_batch(struct tp_tokenizer *tk, tp_batch_fn *bfn)
{
    tk->bfn = bfn;
    tk->batch.n = 0;
}

int tp_tokenizer_flush(struct tp_tokenizer *tk)
{
    if (!tk->batch.n)
        return 0;
    int rc = tk->bfn(tk->ctx, &tk->batch);
    tk->batch.n = 0;
    return rc;
}

/* Hand one token over: into the batch when batching and it fits (zero padded),
 * else (after the batch) to fn. */
static int deliver(struct tp_tokenizer *tk, const char *s, size_t n)
{
    int rc;
    if (!tk->bfn)
        return tk->fn(tk->ctx, s, n, tk->seg);
    if (n - 1 < 16) {
        struct tp_token_batch *b = &tk->batch;
        char *d = b->tok + 16 * b->n;
        memset(d, 0, 16);
        memcpy(d, s, n);
        b->len[b->n] = (uint8_t)n;
        b->seg[b->n] = tk->seg;
        return ++b->n == TP_TOKEN_BATCH ? tp_tokenizer_flush(tk) : 0;
    }
    if ((rc = tp_tokenizer_flush(tk)))
        return rc;
    return tk->fn(tk->ctx, s, n, tk->seg);
}

void tp_tokenizer_reset(struct tp_tokenizer *tk)
{
    tk->batch.n = 0;
    tk->tok_len = 0;
    tk->nonascii = 0;
    tk->overlong = 0;
    tk->pending = P_NONE;
    tk->brk = 0;
    tk->nl_seen = 0;
    tk->cr_last = 0;
    tk->seg = 0;
    tk->n_emitted = 0;
    tk->carry_len = 0;
}

void tp_tokenizer_continue(struct tp_tokenizer *tk)
{
    tp_tokenizer_reset(tk);
    /* a token came before (so a break bumps the segment), then a line feed */
    tk->n_emitted = 1;
    tk->nl_seen = 1;
}

int tp_tokenizer_break_pending(const struct tp_tokenizer *tk)
{
    return tk->brk;
}

uint64_t tp_tokenizer_overlong(const struct tp_tokenizer *tk)
{
    return tk->n_overlong;
}

static inline void append(struct tp_tokenizer *tk, const char *b, size_t n)
{
    if (tk->tok_len + n > TP_TOKEN_MAX) {
        tk->overlong = 1;
        return;
    }
    memcpy(tk->tok + tk->tok_len, b, n);
    tk->tok_len += n;
}

/* Normalize the pending token (NFC/NFKC, case fold) into ubuf; returns the
 * byte length, or a negative value when utf8proc fails. */
static long normalize(struct tp_tokenizer *tk)
{
    for (;;) {
        utf8proc_ssize_t n =
            utf8proc_decompose((const utf8proc_uint8_t *)tk->tok, (utf8proc_ssize_t)tk->tok_len,
                               tk->ubuf, (utf8proc_ssize_t)tk->ubuf_cap, tk->utf8proc_opts);
        if (n < 0)
            return -1;
        if ((size_t)n <= tk->ubuf_cap) {
            /* reencode writes UTF-8 over the buffer; it needs room for 4 bytes a
             * code point, which the int32 buffer always has. */
            return utf8proc_reencode(tk->ubuf, n, tk->utf8proc_opts);
        }
        utf8proc_int32_t *nb = realloc(tk->ubuf, (size_t)n * 2 * sizeof(*nb));
        if (!nb)
            return TP_ENOMEM;
        tk->ubuf = nb;
        tk->ubuf_cap = (size_t)n * 2;
    }
}

static int emit(struct tp_tokenizer *tk)
{
    if (tk->overlong) {
        tk->n_overlong++;
        tk->tok_len = 0;
        tk->nonascii = 0;
        tk->overlong = 0;
        return 0;
    }
    if (tk->tok_len == 0)
        return 0;
    const char *s = tk->tok;
    long n = (long)tk->tok_len;
    if (tk->nonascii) {
        n = normalize(tk);
        if (n == TP_ENOMEM)
            return TP_ENOMEM;
        if (n < 0) {
            /* Cannot happen on valid UTF-8; keep the raw bytes rather than lose
             * the token. */
            n = (long)tk->tok_len;
        } else {
            s = (const char *)tk->ubuf;
        }
    }
    if (tk->brk && tk->n_emitted)
        tk->seg++;
    tk->brk = 0;
    tk->n_emitted++;
    tk->tok_len = 0;
    tk->nonascii = 0;
    return deliver(tk, s, (size_t)n);
}

static int is_apocope(const struct tp_tokenizer *tk)
{
    if (tk->tok_len != 2 || tk->overlong)
        return 0;
    char a = (char)ascii_lower[(unsigned char)tk->tok[0] & 0x7f];
    char b = (char)ascii_lower[(unsigned char)tk->tok[1] & 0x7f];
    if (((unsigned char)tk->tok[0] | (unsigned char)tk->tok[1]) & 0x80)
        return 0;
    return (a == 'p' && b == 'o') || (a == 'm' && b == 'o') || (a == 'b' && b == 'e') ||
           (a == 'd' && b == 'e');
}

static inline int is_word(enum cls k)
{
    return k == C_LETTER || k == C_MARK || k == C_DIGIT;
}

/* Append one word character (its original bytes, lowered when ASCII). */
static inline void append_word(struct tp_tokenizer *tk, const char *b, size_t n, enum cls k)
{
    if (n == 1) {
        char c = tk->o.keep_case ? b[0] : (char)ascii_lower[(unsigned char)b[0]];
        append(tk, &c, 1);
    } else {
        tk->nonascii = 1;
        append(tk, b, n);
    }
    if (k != C_MARK || (tk->tok_len == n && !tk->overlong))
        tk->last = k == C_MARK ? C_LETTER : k;
    tk->nl_seen = 0;
}

/* One code point of class k whose bytes are b[0..n). */
static int step(struct tp_tokenizer *tk, const char *b, size_t n, enum cls k)
{
    int rc;
    switch (tk->pending) {
    case P_NONE:
        break;
    case P_HYPHEN:
        tk->pending = P_NONE;
        if (is_word(k)) {
            append(tk, "-", 1);
            append_word(tk, b, n, k);
            return 0;
        }
        if ((rc = emit(tk)))
            return rc;
        break;
    case P_APOS:
        tk->pending = P_NONE;
        if (k == C_LETTER) {
            append(tk, "'", 1);
            if (tk->o.elide && (rc = emit(tk)))
                return rc;
            append_word(tk, b, n, k);
            return 0;
        }
        if (tk->o.apocope && is_apocope(tk))
            append(tk, "'", 1);
        if ((rc = emit(tk)))
            return rc;
        break;
    case P_DIGSEP:
        tk->pending = P_NONE;
        if (k == C_DIGIT) {
            append(tk, &tk->pend_byte, 1);
            append_word(tk, b, n, k);
            return 0;
        }
        if ((rc = emit(tk)))
            return rc;
        tk->brk = 1;
        break;
    }

    int in_token = tk->tok_len > 0 || tk->overlong;
    switch (k) {
    case C_LETTER:
    case C_DIGIT:
    case C_MARK:
        append_word(tk, b, n, k);
        return 0;
    case C_HYPHEN:
        tk->nl_seen = 0;
        if (in_token && !tk->o.split_hyphens) {
            tk->pending = P_HYPHEN;
            return 0;
        }
        return emit(tk);
    case C_APOS:
        tk->nl_seen = 0;
        if (in_token && tk->last == C_LETTER) {
            tk->pending = P_APOS;
            return 0;
        }
        return emit(tk);
    case C_DIGSEP:
        tk->nl_seen = 0;
        if (in_token && tk->last == C_DIGIT) {
            tk->pending = P_DIGSEP;
            tk->pend_byte = b[0];
            return 0;
        }
        rc = emit(tk);
        tk->brk = 1;
        return rc;
    case C_BREAK:
        tk->nl_seen = 0;
        rc = emit(tk);
        tk->brk = 1;
        return rc;
    case C_NL:
        rc = emit(tk);
        if (tk->nl_seen)
            tk->brk = 1;
        tk->nl_seen = 1;
        return rc;
    case C_PARA:
        rc = emit(tk);
        tk->brk = 1;
        return rc;
    case C_SPACE:
        return emit(tk);
    case C_SOFT:
        return 0;
    case C_OTHER:
        tk->nl_seen = 0;
        return emit(tk);
    }
    return 0;
}

static size_t utf8_len(unsigned char lead)
{
    if (lead >= 0xF0 && lead <= 0xF7)
        return 4;
    if (lead >= 0xE0)
        return lead <= 0xEF ? 3 : 1;
    if (lead >= 0xC2)
        return 2;
    return 1;
}

/* Decode and step one non-ASCII code point at p (avail bytes). Returns bytes
 * consumed, 0 when the sequence is incomplete, or a negative/callback value
 * through *rc. */
static size_t step_multi(struct tp_tokenizer *tk, const char *p, size_t avail, int *rc)
{
    utf8proc_int32_t cp;
    size_t need = utf8_len((unsigned char)p[0]);
    if (need > avail) {
        /* Could be a sequence cut by the chunk boundary: check its prefix. */
        for (size_t j = 1; j < avail; j++)
            if (((unsigned char)p[j] & 0xC0) != 0x80)
                goto invalid;
        return 0;
    }
    utf8proc_ssize_t got =
        utf8proc_iterate((const utf8proc_uint8_t *)p, (utf8proc_ssize_t)need, &cp);
    if (got < 0)
        goto invalid;
    enum cls k = classify(cp);
    if (tk->o.nfkc && (k == C_OTHER || k == C_SPACE))
        k = classify_compat(cp, k);
    *rc = step(tk, p, (size_t)got, k);
    return (size_t)got;
invalid:
    *rc = step(tk, "\xEF\xBF\xBD", 3, C_OTHER);
    return 1;
}

#if defined(__SSE2__)
/* Mask of the ASCII letters among the 16 bytes at p; *lowered gets the bytes
 * with A-Z lowered. Biased signed compares test a byte range in one step;
 * bytes >= 0x80 never fall in it. */
static inline unsigned letters16(const unsigned char *p, __m128i *lowered)
{
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i x = _mm_add_epi8(_mm_or_si128(b, _mm_set1_epi8(0x20)), _mm_set1_epi8(128 - 'a'));
    __m128i letter = _mm_cmplt_epi8(x, _mm_set1_epi8(-128 + 26));
    __m128i upper =
        _mm_cmplt_epi8(_mm_add_epi8(b, _mm_set1_epi8(128 - 'A')), _mm_set1_epi8(-128 + 26));
    *lowered = _mm_or_si128(b, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
    return (unsigned)_mm_movemask_epi8(letter);
}
#endif

/* Append the run of ASCII letters starting at s[i] (lowered unless keep_case)
 * to the pending token; returns the index just after it. */
static size_t letter_run(struct tp_tokenizer *tk, const unsigned char *s, size_t i, size_t len)
{
    size_t j = i;
#if defined(__SSE2__)
    while (len - j >= 16) {
        __m128i low;
        unsigned m = ~letters16(s + j, &low) & 0xFFFFu;
        size_t r = m ? (size_t)__builtin_ctz(m) : 16;
        if (tk->tok_len + r > TP_TOKEN_MAX) {
            tk->overlong = 1;
        } else {
            /* tok has 16 bytes of slack past TP_TOKEN_MAX for this store */
            __m128i v =
                tk->o.keep_case ? _mm_loadu_si128((const __m128i *)(const void *)(s + j)) : low;
            _mm_storeu_si128((__m128i *)(void *)(tk->tok + tk->tok_len), v);
            tk->tok_len += r;
        }
        j += r;
        if (r < 16)
            goto done;
    }
#endif
    {
        size_t start = j;
        while (j < len && s[j] < 0x80 && ascii_class[s[j]] == C_LETTER)
            j++;
        size_t run = j - start;
        if (tk->tok_len + run > TP_TOKEN_MAX) {
            tk->overlong = 1;
        } else {
            char *d = tk->tok + tk->tok_len;
            for (size_t q = 0; q < run; q++)
                d[q] = tk->o.keep_case ? (char)s[start + q] : (char)ascii_lower[s[start + q]];
            tk->tok_len += run;
        }
    }
#if defined(__SSE2__)
done:
#endif
    tk->last = C_LETTER;
    tk->nl_seen = 0;
    return j;
}

#if defined(__SSE2__)
/* Byte classes of a 64-byte window for the fast path, one bit a byte. */
struct win_mask {
    uint64_t word; /* ASCII letters and digits */
    uint64_t digit;
    uint64_t space;  /* C_SPACE: does not end a blank line */
    uint64_t nl;     /* line ends: LF (not after a CR) and CR */
    uint64_t cr;     /* CR bytes (set by fast_run) */
    uint64_t brk;    /* C_BREAK and C_DIGSEP */
    uint64_t digsep; /* . , */
    uint64_t join;   /* - ' */
    uint64_t high;   /* bytes >= 0x80 */
};

static inline __m128i in_range(__m128i b, char lo, int n)
{
    /* lo <= b < lo + n, as one biased signed compare */
    return _mm_cmplt_epi8(_mm_add_epi8(b, _mm_set1_epi8((char)(-128 - lo))),
                          _mm_set1_epi8((char)(-128 + n)));
}

/* Classify the 16 bytes at p into bits shift.. of m; store them (lowered
 * unless keep_case) to out. */
static inline void classify16(const unsigned char *p, char *out, int keep_case, struct win_mask *m,
                              unsigned shift)
{
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i lo = _mm_or_si128(b, _mm_set1_epi8(0x20));
    __m128i letter = in_range(lo, 'a', 26);
    __m128i digit = in_range(b, '0', 10);
    __m128i nl = _mm_cmpeq_epi8(b, _mm_set1_epi8('\n'));
    __m128i space = _mm_or_si128(_mm_andnot_si128(nl, in_range(b, '\t', 5)),
                                 _mm_cmpeq_epi8(b, _mm_set1_epi8(' ')));
    __m128i pair = _mm_and_si128(b, _mm_set1_epi8((char)0xFE));
    __m128i brk = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(pair, _mm_set1_epi8('(')),
                                            _mm_cmpeq_epi8(pair, _mm_set1_epi8(':'))),
                               _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(lo, _mm_set1_epi8('{')),
                                                         _mm_cmpeq_epi8(lo, _mm_set1_epi8('}'))),
                                            _mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('!')),
                                                         _mm_cmpeq_epi8(b, _mm_set1_epi8('?')))));
    __m128i digsep =
        _mm_cmpeq_epi8(_mm_and_si128(b, _mm_set1_epi8((char)0xFD)), _mm_set1_epi8(','));
    __m128i join =
        _mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('-')), _mm_cmpeq_epi8(b, _mm_set1_epi8('\'')));
    if (keep_case) {
        _mm_storeu_si128((__m128i *)(void *)out, b);
    } else {
        __m128i upper = in_range(b, 'A', 26);
        __m128i low = _mm_or_si128(b, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
        _mm_storeu_si128((__m128i *)(void *)out, low);
    }
    m->word |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(letter, digit)) << shift;
    m->digit |= (uint64_t)(unsigned)_mm_movemask_epi8(digit) << shift;
    m->space |= (uint64_t)(unsigned)_mm_movemask_epi8(space) << shift;
    m->nl |= (uint64_t)(unsigned)_mm_movemask_epi8(nl) << shift;
    m->brk |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(brk, digsep)) << shift;
    m->digsep |= (uint64_t)(unsigned)_mm_movemask_epi8(digsep) << shift;
    m->join |= (uint64_t)(unsigned)_mm_movemask_epi8(join) << shift;
    m->high |= (uint64_t)(unsigned)_mm_movemask_epi8(b) << shift;
}

/* The classifiers (classify64_fn): SSE2, x86-64's baseline, and AVX2 and
 * AVX-512, used when the processor has them (tp_tokenizer_isas). Each gives
 * exactly the masks and bytes of classify16. */

static void classify64_sse2(const unsigned char *p, char *out, int keep_case, struct win_mask *m)
{
    memset(m, 0, sizeof(*m));
    for (unsigned k = 0; k < 4; k++)
        classify16(p + 16 * k, out + 16 * k, keep_case, m, 16 * k);
}

#if defined(TP_X86_DISPATCH)
__attribute__((target("avx2"))) static inline __m256i in_range32(__m256i b, char lo, int n)
{
    return _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(-128 + n)),
                             _mm256_add_epi8(b, _mm256_set1_epi8((char)(-128 - lo))));
}

__attribute__((target("avx2"))) static inline uint64_t mask32(__m256i v, unsigned shift)
{
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(v) << shift;
}

/* classify16's tests on 32 bytes at a time. */
__attribute__((target("avx2"))) static void classify64_avx2(const unsigned char *p, char *out,
                                                            int keep_case, struct win_mask *m)
{
    memset(m, 0, sizeof(*m));
    for (unsigned k = 0; k < 2; k++) {
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * k));
        __m256i lo = _mm256_or_si256(b, _mm256_set1_epi8(0x20));
        __m256i letter = in_range32(lo, 'a', 26);
        __m256i digit = in_range32(b, '0', 10);
        __m256i nl = _mm256_cmpeq_epi8(b, _mm256_set1_epi8('\n'));
        __m256i space = _mm256_or_si256(_mm256_andnot_si256(nl, in_range32(b, '\t', 5)),
                                        _mm256_cmpeq_epi8(b, _mm256_set1_epi8(' ')));
        __m256i pair = _mm256_and_si256(b, _mm256_set1_epi8((char)0xFE));
        __m256i brk = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(pair, _mm256_set1_epi8('(')),
                            _mm256_cmpeq_epi8(pair, _mm256_set1_epi8(':'))),
            _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(lo, _mm256_set1_epi8('{')),
                                            _mm256_cmpeq_epi8(lo, _mm256_set1_epi8('}'))),
                            _mm256_or_si256(_mm256_cmpeq_epi8(b, _mm256_set1_epi8('!')),
                                            _mm256_cmpeq_epi8(b, _mm256_set1_epi8('?')))));
        __m256i digsep = _mm256_cmpeq_epi8(_mm256_and_si256(b, _mm256_set1_epi8((char)0xFD)),
                                           _mm256_set1_epi8(','));
        __m256i join = _mm256_or_si256(_mm256_cmpeq_epi8(b, _mm256_set1_epi8('-')),
                                       _mm256_cmpeq_epi8(b, _mm256_set1_epi8('\'')));
        __m256i v = b;
        if (!keep_case)
            v = _mm256_or_si256(b,
                                _mm256_and_si256(in_range32(b, 'A', 26), _mm256_set1_epi8(0x20)));
        _mm256_storeu_si256((__m256i *)(void *)(out + 32 * k), v);
        unsigned sh = 32 * k;
        m->word |= mask32(_mm256_or_si256(letter, digit), sh);
        m->digit |= mask32(digit, sh);
        m->space |= mask32(space, sh);
        m->nl |= mask32(nl, sh);
        m->brk |= mask32(_mm256_or_si256(brk, digsep), sh);
        m->digsep |= mask32(digsep, sh);
        m->join |= mask32(join, sh);
        m->high |= mask32(b, sh);
    }
}

#define TP_AVX512 "avx512f,avx512bw"

__attribute__((target(TP_AVX512))) static inline __mmask64 in_range64(__m512i b, char lo, int n)
{
    return _mm512_cmplt_epu8_mask(_mm512_sub_epi8(b, _mm512_set1_epi8(lo)),
                                  _mm512_set1_epi8((char)n));
}

__attribute__((target(TP_AVX512))) static inline __mmask64 eq64(__m512i b, char c)
{
    return _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8(c));
}

/* All 64 bytes at once, the comparisons straight into bit masks. */
__attribute__((target(TP_AVX512))) static void classify64_avx512(const unsigned char *p, char *out,
                                                                 int keep_case, struct win_mask *m)
{
    __m512i b = _mm512_loadu_si512((const void *)p);
    __m512i lo = _mm512_or_si512(b, _mm512_set1_epi8(0x20));
    __m512i pair = _mm512_and_si512(b, _mm512_set1_epi8((char)0xFE));
    __mmask64 digit = in_range64(b, '0', 10);
    __mmask64 nl = eq64(b, '\n');
    __mmask64 digsep = eq64(_mm512_and_si512(b, _mm512_set1_epi8((char)0xFD)), ',');
    __mmask64 brk = eq64(pair, '(') | eq64(pair, ':') | eq64(lo, '{') | eq64(lo, '}') |
                    eq64(b, '!') | eq64(b, '?');
    m->word = in_range64(lo, 'a', 26) | digit;
    m->digit = digit;
    m->space = (in_range64(b, '\t', 5) & ~nl) | eq64(b, ' ');
    m->nl = nl;
    m->brk = brk | digsep;
    m->digsep = digsep;
    m->join = eq64(b, '-') | eq64(b, '\'');
    m->high = _mm512_movepi8_mask(b);
    if (!keep_case)
        b = _mm512_mask_add_epi8(b, in_range64(b, 'A', 26), b, _mm512_set1_epi8(0x20));
    _mm512_storeu_si512((void *)out, b);
}
#endif

/* What the processor has, asked once (__builtin_cpu_init fills a global of
 * its own, which threads must not race to fill). */
static unsigned cpu_isas;
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;

static void init_cpu_isas(void)
{
    unsigned isas = TP_ISA_SSE2; /* x86-64's baseline */
#if defined(TP_X86_DISPATCH)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2"))
        isas |= TP_ISA_AVX2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
        isas |= TP_ISA_AVX512;
#endif
    cpu_isas = isas;
}

unsigned tp_tokenizer_isas(void)
{
    if (pthread_once(&cpu_once, init_cpu_isas) != 0)
        return TP_ISA_SSE2;
    return cpu_isas;
}

/* The classifier for the isa asked for (0: the widest there is). */
static classify64_fn *pick_classify(unsigned isa)
{
#if defined(TP_X86_DISPATCH)
    unsigned have = tp_tokenizer_isas();
    if (isa)
        have &= isa;
    if (have & TP_ISA_AVX512)
        return classify64_avx512;
    if (have & TP_ISA_AVX2)
        return classify64_avx2;
#else
    (void)isa;
#endif
    return classify64_sse2;
}

/* 16 bytes 0xFF then 16 zero bytes: the 16 bytes at ones + 16 - n keep the
 * first n bytes of a vector. */
static const unsigned char ones[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                       0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

/* Bits below k (k <= 64). */
static inline uint64_t below(unsigned k)
{
    return k >= 64 ? ~0ull : (1ull << k) - 1;
}

/* The fast path: from s[i], with nothing pending (no token, joiner or carried
 * byte), take 64-byte windows of plain ASCII text and emit their tokens (into
 * the batch when batching, else from the lowered window). Each window is cut
 * at its first byte that needs the per-character path ("hard": >= 0x80, a
 * hyphen or apostrophe after a word character, a '.' or ',' after a digit) and
 * before a token that is not followed, inside the window, by a byte that ends
 * it plainly. What it does to the state (segment, break, blank-line tracking)
 * is what step() would do byte by byte. Returns where it stopped (a token
 * start, a hard byte or the point where fewer than 64 bytes are left); *rc
 * gets a non-zero callback value. */
static size_t fast_run(struct tp_tokenizer *tk, const unsigned char *s, size_t i, size_t len,
                       int *rc)
{
    while (len - i >= 64) {
        struct win_mask m;
        __builtin_prefetch(s + i + 1024);
        tk->classify(s + i, tk->win, tk->o.keep_case, &m);
        {
            /* A CR ends a line; a LF right after a CR ends the same line, so
             * it counts as a blank. */
            uint64_t cr = 0;
            for (int h = 0; h < 4; h++) {
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16 * h));
                cr |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')))
                      << (16 * h);
            }
            uint64_t lf_after_cr = m.nl & (cr << 1 | (uint64_t)tk->cr_last);
            m.nl = (m.nl & ~lf_after_cr) | cr;
            m.space = (m.space & ~cr) | lf_after_cr;
            m.cr = cr;
        }
        uint64_t hard = m.high | (m.join & (m.word << 1)) | (m.digsep & (m.digit << 1));
        unsigned e = hard ? (unsigned)__builtin_ctzll(hard) : 64;
        /* A line feed ends a blank line (a break) when the last character
         * before it that is not a blank is a line feed too. */
        uint64_t brk = m.brk;
        for (uint64_t nl = m.nl & below(e); nl; nl &= nl - 1) {
            unsigned k = (unsigned)__builtin_ctzll(nl);
            uint64_t prior = ~m.space & below(k);
            int seen = prior ? (int)(m.nl >> (63 - __builtin_clzll(prior)) & 1) : tk->nl_seen;
            if (seen)
                brk |= 1ull << k;
        }
        uint64_t starts = m.word & ~(m.word << 1), ends = ~m.word & (m.word << 1);
        /* tokens go straight into the batch when all 16 bytes from any start
         * in the window can be loaded */
        int direct = tk->bfn && len - i >= 64 + 16;
        struct tp_token_batch *bt = &tk->batch;
        unsigned q = e;
        int more = e == 64;
        /* The state a token changes, in locals: the batch's byte stores may
         * alias anything, so fields would be reloaded after each of them. */
        uint32_t seg = tk->seg;
        int pend_brk = tk->brk;
        uint64_t emitted = tk->n_emitted;
        size_t k = bt->n;
        const int lower = !tk->o.keep_case;
        for (uint64_t todo = starts & below(e); todo; todo &= todo - 1) {
            unsigned st = (unsigned)__builtin_ctzll(todo);
            uint64_t after = ends & (~0ull << st);
            unsigned en = after ? (unsigned)__builtin_ctzll(after) : 64;
            if (en >= e) {
                /* runs into a hard byte, or past the window: the next
                 * window starts with it */
                q = st;
                more = en == 64 && st > 0;
                break;
            }
            /* the breaks between the previous token and this one */
            uint64_t before = (1ull << st) - 1;
            int b = pend_brk | ((brk & before) != 0);
            brk &= ~before;
            seg += (uint32_t)(b & (emitted != 0));
            pend_brk = 0;
            emitted++;
            unsigned n = en - st;
            if (direct && n <= 16) {
                /* Lowered and masked in a register: a load from the window,
                 * which would straddle two of its stores still in flight,
                 * would stall. */
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i + st));
                if (lower) {
                    __m128i up = in_range(v, 'A', 26);
                    v = _mm_or_si128(v, _mm_and_si128(up, _mm_set1_epi8(0x20)));
                }
                __m128i keep = _mm_loadu_si128((const __m128i *)(const void *)(ones + 16 - n));
                v = _mm_and_si128(v, keep);
                _mm_storeu_si128((__m128i *)(void *)(bt->tok + 16 * k), v);
                bt->len[k] = (uint8_t)n;
                bt->seg[k] = seg;
                if (++k < TP_TOKEN_BATCH)
                    continue;
            }
            /* write the state back for the callbacks */
            tk->seg = seg;
            tk->brk = 0;
            tk->n_emitted = emitted;
            bt->n = k;
            if (k == TP_TOKEN_BATCH)
                *rc = tp_tokenizer_flush(tk);
            else
                *rc = deliver(tk, tk->win + st, n);
            if (*rc)
                return i;
            k = bt->n;
        }
        tk->seg = seg;
        tk->brk = pend_brk;
        tk->n_emitted = emitted;
        bt->n = k;
        /* breaks after the last token (inside tokens there are none) */
        if (brk & below(q))
            tk->brk = 1;
        uint64_t prior = ~m.space & below(q);
        if (prior)
            tk->nl_seen = (int)(m.nl >> (63 - __builtin_clzll(prior)) & 1);
        if (q)
            tk->cr_last = (int)(m.cr >> (q - 1) & 1);
        i += q;
        if (!more)
            break;
    }
    return i;
}
#endif

int tp_tokenizer_feed(struct tp_tokenizer *tk, const char *buf, size_t len)
{
    size_t i = 0;
    int rc = 0;
    if (tk->carry_len) {
        /* Finish the bytes the previous chunk cut short, joined with the start
         * of this one. They may turn out invalid (then each is stepped on its
         * own, as it would have been in one chunk); stop once past them. */
        size_t m = tk->carry_len, take = len < 4 ? len : 4, j = 0;
        unsigned char tmp[8];
        memcpy(tmp, tk->carry, m);
        memcpy(tmp + m, buf, take);
        tk->carry_len = 0;
        while (j < m) {
            size_t used = step_multi(tk, (const char *)tmp + j, m + take - j, &rc);
            if (rc)
                return rc;
            if (used == 0) {
                /* still incomplete: this chunk was shorter than the sequence */
                memcpy(tk->carry, tmp + j, m + take - j);
                tk->carry_len = m + take - j;
                return 0;
            }
            j += used;
        }
        i = j - m;
    }
    const unsigned char *s = (const unsigned char *)buf;
#if defined(__SSE2__)
    size_t fast_at = tk->o.no_fast_path ? SIZE_MAX : i;
#endif
    while (i < len) {
#if defined(__SSE2__)
        if (i >= fast_at && tk->pending == P_NONE && tk->tok_len == 0 && !tk->overlong &&
            len - i >= 64) {
            size_t j = fast_run(tk, s, i, len, &rc);
            if (rc)
                return rc;
            /* Text the fast path cannot take (most non-ASCII text) would cost a
             * window classified for little gain: try again further on. */
            fast_at = j - i < 32 ? j + 32 : j;
            i = j;
            if (len - i < 64)
                fast_at = SIZE_MAX;
            if (i >= len)
                break;
        }
#endif
        unsigned char c = s[i];
        if (c < 0x80) {
            enum cls k = ascii_class[c];
            if (k == C_LETTER && tk->pending == P_NONE) {
                i = letter_run(tk, s, i, len);
                tk->cr_last = 0;
                continue;
            }
            if (c == ' ' && tk->pending == P_NONE) {
                /* The other hot path: a space after a word. */
                if ((rc = emit(tk)))
                    return rc;
                tk->cr_last = 0;
                i++;
                continue;
            }
            if (c == '\n' && tk->cr_last)
                k = C_SPACE; /* the LF of a CR LF */
            tk->cr_last = c == '\r';
            if ((rc = step(tk, buf + i, 1, k)))
                return rc;
            i++;
            continue;
        }
        tk->cr_last = 0;
        size_t used = step_multi(tk, buf + i, len - i, &rc);
        if (rc)
            return rc;
        if (used == 0) {
            memcpy(tk->carry, buf + i, len - i);
            tk->carry_len = len - i;
            return 0;
        }
        i += used;
    }
    return 0;
}

int tp_tokenizer_finish(struct tp_tokenizer *tk)
{
    int rc;
    if (tk->carry_len) {
        tk->carry_len = 0;
        if ((rc = step(tk, "\xEF\xBF\xBD", 3, C_OTHER)))
            return rc;
    }
    if (tk->pending == P_APOS && tk->o.apocope && is_apocope(tk))
        append(tk, "'", 1);
    tk->pending = P_NONE;
    if ((rc = emit(tk)))
        return rc;
    return tk->bfn ? tp_tokenizer_flush(tk) : 0;
}
