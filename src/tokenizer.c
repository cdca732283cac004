/*
 * tokenizer.c - the push-style tokenizer (see tokenizer.h).
 *
 * One pass over the bytes. ASCII bytes are classified by a 128-entry table and
 * letters are lowered as they are appended; other code points are decoded and
 * classified with utf8proc_category. A joiner (hyphen, apostrophe, '.' or ',')
 * cannot be judged until the next character is seen, so it is held as
 * `pending` and resolved by the next step. Tokens are normalized only when they
 * hold a byte >= 0x80, with utf8proc_decompose into a reused int32 buffer and
 * utf8proc_reencode in place (never utf8proc_map, which mallocs per call).
 *
 * step() is the one home of the token rules. Plain ASCII text also has a fast
 * path, in tokenizer_fast.c (64-byte windows classified into bit masks); it
 * gives the same tokens as step() and hands back to it whatever it cannot take
 * the same way (tokenizer_fast.h says how that is checked). Runs of ASCII
 * letters inside the per-character path are appended 16 bytes at a time
 * (letter_run).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "tempora.h"
#include "tokenizer_fast.h"

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
#if defined(TP_TOKENIZER_FAST)
    tk->classify = tp_tokenizer_pick_classify(o->isa);
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

/* See tokenizer_fast.h. */
int tp_tokenizer_deliver(struct tp_tokenizer *tk, const char *s, size_t n)
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

void tp_tokenizer_set_apostrophes(struct tp_tokenizer *tk, int elide, int apocope)
{
    tk->o.elide = elide;
    tk->o.apocope = apocope;
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
    tk->fed = 0;
    tk->n_overlong_reset = tk->n_overlong;
}

void tp_tokenizer_restart(struct tp_tokenizer *tk)
{
    tk->n_overlong = tk->n_overlong_reset;
    tp_tokenizer_reset(tk);
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

void tp_tokenizer_span(const struct tp_tokenizer *tk, uint64_t *start, uint64_t *end)
{
    *start = tk->span_start;
    *end = tk->span_end;
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
    if (tk->brk && tk->n_emitted && !tk->o.no_segments)
        tk->seg++;
    tk->brk = 0;
    tk->n_emitted++;
    tk->span_start = tk->tok_start;
    tk->span_end = tk->tok_end;
    tk->tok_len = 0;
    tk->nonascii = 0;
    return tp_tokenizer_deliver(tk, s, (size_t)n);
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
    if (tk->o.offsets) {
        uint64_t at = tk->pos_base + (uint64_t)(b - tk->pos_ptr);
        if (tk->tok_len == 0)
            tk->tok_start = at;
        tk->tok_end = at + n;
    }
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

/* Whether joiner k after the token so far may join it to what comes next: a
 * hyphen after a word character (unless --split-hyphens), an apostrophe
 * after a letter, a '.' or ',' after a digit. */
static inline int may_join(const struct tp_tokenizer *tk, enum cls k)
{
    if (k == C_HYPHEN)
        return !tk->o.split_hyphens;
    return tk->last == (k == C_APOS ? C_LETTER : C_DIGIT);
}

/* One code point of class k whose bytes are b[0..n). */
static int step(struct tp_tokenizer *tk, const char *b, size_t n, enum cls k)
{
    int rc;
    switch (tk->pending) {
    case P_NONE:
        break;
    case P_HYPHEN:
    case P_DIGSEP: {
        /* a hyphen (written '-') joins word characters, a '.' or ',' digits */
        enum pend p = tk->pending;
        tk->pending = P_NONE;
        if (p == P_HYPHEN ? is_word(k) : k == C_DIGIT) {
            append(tk, &tk->pend_byte, 1);
            append_word(tk, b, n, k);
            return 0;
        }
        if ((rc = emit(tk)))
            return rc;
        if (p == P_DIGSEP)
            tk->brk = 1;
        break;
    }
    case P_APOS:
        tk->pending = P_NONE;
        if (k == C_LETTER) {
            append(tk, "'", 1);
            tk->tok_end = tk->pend_end;
            if (tk->o.elide && (rc = emit(tk)))
                return rc;
            append_word(tk, b, n, k);
            return 0;
        }
        if (tk->o.apocope && is_apocope(tk)) {
            append(tk, "'", 1);
            tk->tok_end = tk->pend_end;
        }
        if ((rc = emit(tk)))
            return rc;
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
    case C_APOS:
    case C_DIGSEP:
        /* a joiner: held when it may join what comes next, else it ends the
         * token (and a lone '.' or ',' the segment) */
        tk->nl_seen = 0;
        if (in_token && may_join(tk, k)) {
            tk->pending = k == C_HYPHEN ? P_HYPHEN : k == C_APOS ? P_APOS : P_DIGSEP;
            tk->pend_byte = k == C_HYPHEN ? '-' : (char)b[0];
            if (tk->o.offsets)
                tk->pend_end = tk->pos_base + (uint64_t)(b - tk->pos_ptr) + n;
            return 0;
        }
        rc = emit(tk);
        if (k == C_DIGSEP)
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
    if (tk->o.offsets && tk->tok_len == 0)
        tk->tok_start = tk->pos_base + i;
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
    tk->tok_end = tk->pos_base + j;
    tk->last = C_LETTER;
    tk->nl_seen = 0;
    return j;
}

static int feed(struct tp_tokenizer *tk, const char *buf, size_t len)
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
        tk->pos_ptr = (const char *)tmp;
        tk->pos_base = tk->fed - m;
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
    tk->pos_ptr = buf;
    tk->pos_base = tk->fed;
#if defined(TP_TOKENIZER_FAST)
    size_t fast_at = tk->o.no_fast_path ? SIZE_MAX : i;
#endif
    while (i < len) {
#if defined(TP_TOKENIZER_FAST)
        if (i >= fast_at && tk->pending == P_NONE && tk->tok_len == 0 && !tk->overlong &&
            len - i >= 64) {
            size_t j = tp_tokenizer_fast_run(tk, s, i, len, &rc);
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

int tp_tokenizer_feed(struct tp_tokenizer *tk, const char *buf, size_t len)
{
    int rc = feed(tk, buf, len);
    tk->fed += len;
    return rc;
}

int tp_tokenizer_finish(struct tp_tokenizer *tk)
{
    int rc = tp_tokenizer_end(tk);
    return rc ? rc : tk->bfn ? tp_tokenizer_flush(tk) : 0;
}

int tp_tokenizer_end(struct tp_tokenizer *tk)
{
    int rc;
    if (tk->carry_len) {
        tk->carry_len = 0;
        if ((rc = step(tk, "\xEF\xBF\xBD", 3, C_OTHER)))
            return rc;
    }
    if (tk->pending == P_APOS && tk->o.apocope && is_apocope(tk)) {
        append(tk, "'", 1);
        tk->tok_end = tk->pend_end;
    }
    tk->pending = P_NONE;
    return emit(tk);
}
