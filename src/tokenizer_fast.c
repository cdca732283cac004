/*
 * tokenizer_fast.c - the tokenizer's fast path for plain ASCII text: 64-byte
 * windows classified into bit masks (SSE2, x86-64's baseline; AVX2 and
 * AVX-512 where the processor has them, chosen once under pthread_once),
 * tokens found by bit scans and, when the consumer takes batches, written
 * lowered and zero padded straight into the batch.
 *
 * Same tokens as `step()` (tokenizer.c), which stays the one home of the
 * rules: see tokenizer_fast.h for the contract and how the tests and the
 * fuzz target hold this file to it.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "tokenizer_fast.h"

#if defined(TP_TOKENIZER_FAST)
#include <emmintrin.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TP_X86_DISPATCH 1
#endif

/* Byte classes of a 64-byte window for the fast path, one bit a byte. */
struct win_mask {
    uint64_t word; /* ASCII letters and digits */
    uint64_t digit;
    uint64_t space;  /* C_SPACE: does not end a blank line */
    uint64_t nl;     /* line ends: LF (not after a CR) and CR */
    uint64_t cr;     /* CR bytes (set by tp_tokenizer_fast_run) */
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
classify64_fn *tp_tokenizer_pick_classify(unsigned isa)
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
static inline __attribute__((always_inline)) size_t fast_run(struct tp_tokenizer *tk,
                                                             const unsigned char *s, size_t i,
                                                             size_t len, int *rc, const int segs,
                                                             const int lower)
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
        /* Two-byte characters the fast path takes (any other byte >= 0x80,
         * combining marks included, stays hard): Latin-1 letters, C3 and a
         * continuation byte (U+00C0-U+00FF but the signs x and / and the sharp
         * s, which case folding makes "ss"), words as ASCII letters are and
         * lowered by setting bit 5 of the second byte, which is what NFC and
         * case folding give; the no-break space (C2 A0), a blank; the
         * guillemets (C2 AB, C2 BB), punctuation that only separates. */
        uint64_t word = m.word, letter = m.word & ~m.digit, high = m.high, space = m.space;
        if (high) {
            uint64_t c3 = 0, cont = 0, c2 = 0, nbsp = 0, guil = 0;
            for (int h = 0; h < 4; h++) {
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16 * h));
                __m128i not_letter =
                    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0x97)),
                                              _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xB7))),
                                 _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0x9F)));
                __m128i ok = _mm_andnot_si128(not_letter, in_range(v, (char)0x80, 64));
                __m128i g = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xAB)),
                                         _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xBB)));
                unsigned sh = 16 * (unsigned)h;
                c3 |= (uint64_t)(uint16_t)_mm_movemask_epi8(
                          _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xC3)))
                      << sh;
                c2 |= (uint64_t)(uint16_t)_mm_movemask_epi8(
                          _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xC2)))
                      << sh;
                cont |= (uint64_t)(uint16_t)_mm_movemask_epi8(ok) << sh;
                nbsp |= (uint64_t)(uint16_t)_mm_movemask_epi8(
                            _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xA0)))
                        << sh;
                guil |= (uint64_t)(uint16_t)_mm_movemask_epi8(g) << sh;
            }
            uint64_t acc = c3 & (cont >> 1), blank = c2 & (nbsp >> 1), sep = c2 & (guil >> 1);
            acc |= acc << 1;
            blank |= blank << 1;
            sep |= sep << 1;
            word |= acc;
            letter |= acc;
            space |= blank;
            high &= ~(acc | blank | sep);
        }
        /* Joiners after a word character, as step() takes them: one that
         * joins (an apostrophe between letters, a hyphen between word
         * characters unless --split-hyphens, a '.' or ',' between digits) is
         * part of the word, except that with elision the token ends after
         * the apostrophe and the next letter starts one; one that does not
         * join ends the token (a '.' or ',' is a break, which m.brk says).
         * Hard: one whose next byte is not known here (hard itself, or past
         * the window), and an apostrophe after a token of two bytes, which
         * may be an apocope (po', mo', be', de') kept whole. */
        uint64_t join_ok = 0, known = ~(high >> 1) & below(63), apos = 0, hyph = 0;
        if (m.join) {
            for (int h = 0; h < 4; h++) {
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16 * h));
                apos |=
                    (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\'')))
                    << (16 * h);
            }
            hyph = m.join & ~apos;
        }
        uint64_t ds_ok = m.digsep & (m.digit << 1) & (m.digit >> 1);
        uint64_t apos_ok = apos & (letter << 1) & (letter >> 1);
        uint64_t hyph_ok = tk->o.split_hyphens ? 0 : hyph & (word << 1) & (word >> 1);
        join_ok = apos_ok | hyph_ok | ds_ok;
        word |= join_ok;
        uint64_t brk_joined = ds_ok;
        uint64_t elided = tk->o.elide ? apos_ok << 1 : 0;
        uint64_t starts = (word & ~(word << 1)) | elided, ends = (~word & (word << 1)) | elided;
        uint64_t apos_sep = apos & known & ~apos_ok;
        if (tk->o.apocope) /* not after a token of two bytes */
            apos_sep &= ~((word << 1) & (starts << 2));
        uint64_t hyph_sep = tk->o.split_hyphens ? hyph : hyph & known & ~hyph_ok;
        uint64_t ds_sep = m.digsep & known & ~ds_ok;
        uint64_t hard = high | (apos & ~apos_ok & ~apos_sep & (word << 1)) |
                        (hyph & ~hyph_ok & ~hyph_sep & (word << 1)) |
                        (m.digsep & ~ds_ok & ~ds_sep & (m.digit << 1));
        unsigned e = hard ? (unsigned)__builtin_ctzll(hard) : 64;
        const uint64_t before_hard = below(e), tok_starts = starts & before_hard;
        m.space = space;
        m.brk &= ~brk_joined;
        /* A line feed ends a blank line (a break) when the last character
         * before it that is not a blank is a line feed too. */
        uint64_t brk = m.brk;
        for (uint64_t nl = m.nl & before_hard; nl; nl &= nl - 1) {
            unsigned k = (unsigned)__builtin_ctzll(nl);
            uint64_t prior = ~m.space & below(k);
            int seen = prior ? (int)(m.nl >> (63 - __builtin_clzll(prior)) & 1) : tk->nl_seen;
            if (seen)
                brk |= 1ull << k;
        }
        /* tokens of at most direct_max bytes go straight into the batch: 16
         * when all 16 bytes from any start in the window can be loaded, else
         * none */
        const unsigned direct_max = tk->bfn && len - i >= 64 + 16 ? 16 : 0;
        struct tp_token_batch *bt = &tk->batch;
        unsigned q = e;
        int more = e == 64;
        /* The state a token changes, in locals: the batch's byte stores may
         * alias anything, so fields would be reloaded after each of them. */
        uint32_t seg = tk->seg;
        int pend_brk = tk->brk;
        uint64_t emitted = tk->n_emitted;
        size_t k = bt->n;
        /* The window's token starts that open a segment: those with a
         * break since the start before them. Adding the breaks to the
         * complement of the starts carries each break up to the next start
         * (breaks are never in tokens, so never at a start), which keeps
         * the carry; a start with no break since the one before gets none.
         * The window's first token opens one on a break pending from
         * before, and none if it is the document's first token. */
        uint64_t opens = 0;
        if (segs) {
            uint64_t first = tok_starts & (0 - tok_starts);
            opens = tok_starts & (~tok_starts + brk);
            if (pend_brk)
                opens |= first;
            if (!emitted)
                opens &= ~first;
        }
        unsigned last = 64; /* the start of the window's last token; 64: none */
        for (uint64_t todo = tok_starts; todo; todo &= todo - 1) {
            unsigned st = (unsigned)__builtin_ctzll(todo);
            /* the token's end: the first end past st (st < 64), before e */
            uint64_t past = ends & (~1ull << st), end_bits = past & before_hard;
            if (!end_bits) {
                /* runs into a hard byte, or past the window: the next
                 * window starts with it */
                q = st;
                more = !past && st > 0;
                break;
            }
            unsigned en = (unsigned)__builtin_ctzll(end_bits);
            seg += (uint32_t)(opens >> st & 1);
            last = st;
            emitted++;
            unsigned n = en - st;
            if (n <= direct_max) {
                /* Lowered and masked in a register: a load from the window,
                 * which would straddle two of its stores still in flight,
                 * would stall. */
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i + st));
                if (lower) {
                    /* ASCII capitals, and the second bytes of Latin-1 ones
                     * (C3 80-9E: in a token, every byte there is one) */
                    __m128i up = _mm_or_si128(in_range(v, 'A', 26), in_range(v, (char)0x80, 31));
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
            if (k == TP_TOKEN_BATCH) {
                *rc = tp_tokenizer_flush(tk);
            } else {
                if (lower && (m.high & below(en) & ~below(st)))
                    for (unsigned c = st; c < en; c++)
                        if ((unsigned char)tk->win[c] >= 0x80 && (unsigned char)tk->win[c] < 0x9F)
                            tk->win[c] = (char)(tk->win[c] | 0x20);
                tk->span_start = tk->pos_base + i + st;
                tk->span_end = tk->span_start + n;
                *rc = tp_tokenizer_deliver(tk, tk->win + st, n);
            }
            if (*rc)
                return i;
            k = bt->n;
        }
        /* the breaks before the window's last token are behind it */
        if (last < 64) {
            pend_brk = 0;
            brk &= ~below(last + 1);
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

/* The fast path in four copies, one for each value of segs and lower,
 * constants in each: the one without segments skips the window's segment
 * starts, and neither tests the case of a token's bytes in its loop. */
size_t tp_tokenizer_fast_run(struct tp_tokenizer *tk, const unsigned char *s, size_t i, size_t len,
                             int *rc)
{
    if (tk->o.keep_case)
        return tk->o.no_segments ? fast_run(tk, s, i, len, rc, 0, 0)
                                 : fast_run(tk, s, i, len, rc, 1, 0);
    return tk->o.no_segments ? fast_run(tk, s, i, len, rc, 0, 1)
                             : fast_run(tk, s, i, len, rc, 1, 1);
}

#else

unsigned tp_tokenizer_isas(void)
{
    return 0;
}

#endif
