/*
 * encoding.c - byte decoding for the reader (see encoding.h).
 *
 * UTF-8 is checked against the well-formed byte sequences of Unicode's
 * Table 3-7, which rejects exactly what utf8proc_iterate rejects (overlongs,
 * surrogates, code points past U+10FFFF, truncation) but also says how long
 * the ill-formed part is, so one U+FFFD replaces each maximal ill-formed
 * subpart. ASCII, the bulk of most corpora, is skipped 8 bytes at a time; a
 * buffer of 256 bytes or more is first checked whole by simdjson's validator.
 */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "encoding.h"
#include "input/json_fast.h"

/* From this length on a buffer is checked in bulk first. */
#define VALID_BULK_MIN 256

/* CP1252 bytes 0x80..0x9F; the five bytes the code page leaves undefined map
 * to the C1 control of the same value, as Windows' own converter does. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

/* The sequence at p[0..n): its length (1..4) when well formed, minus the
 * length of its maximal ill-formed subpart (-1..-3) when not, 0 when p ends
 * inside a sequence that is so far well formed. */
static int utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0], lo = 0x80, hi = 0xBF;
    int need;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return -1;
    }
    for (int i = 1; i < need; i++) {
        if ((size_t)i >= n)
            return 0;
        if (p[i] < lo || p[i] > hi)
            return -i;
        lo = 0x80;
        hi = 0xBF;
    }
    return need;
}

/* Whether the 64 bytes at p are all ASCII. */
static inline int ascii64(const unsigned char *p)
{
#if defined(__SSE2__)
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
    return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d))) == 0;
#else
    uint64_t w[8], x = 0;
    memcpy(w, p, 64);
    for (int k = 0; k < 8; k++)
        x |= w[k];
    return (x & UINT64_C(0x8080808080808080)) == 0;
#endif
}

/* The longest well-formed prefix, character by character from p[0]. */
static size_t valid_prefix_scalar(const unsigned char *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        /* text that is read once comes from memory, not the caches: fetch
         * ahead of the check */
        while (i + 64 <= n) {
            __builtin_prefetch(p + i + 1024);
            if (!ascii64(p + i))
                break;
            i += 64;
        }
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i >= n)
            break;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        int r = utf8_seq(p + i, n - i);
        if (r <= 0)
            break;
        i += (size_t)r;
    }
    return i;
}

size_t tp_encoding_valid_prefix(const void *buf, size_t n)
{
    const unsigned char *p = buf;

    /* Text with a non-ASCII letter every few words (Italian, French, ...)
     * leaves the ASCII runs above often: a buffer of some length is checked
     * whole by simdjson's validator (the same Table 3-7) up to its last
     * character's start, which may be cut by the buffer's end; only a
     * buffer that is not valid is walked again character by character to
     * find where it stops. */
    if (n >= VALID_BULK_MIN) {
        size_t k = n, back = 0;
        while (k > 0 && back < 3 && (p[k - 1] & 0xC0) == 0x80) {
            k--;
            back++;
        }
        if (k > 0 && p[k - 1] >= 0x80)
            k--;
        if (tp_utf8_valid_simd((const char *)p, k))
            return k + valid_prefix_scalar(p + k, n - k);
    }
    return valid_prefix_scalar(p, n);
}

size_t tp_encoding_valid_prefix_scalar(const void *buf, size_t n)
{
    return valid_prefix_scalar(buf, n);
}

int tp_encoding_cut_short(const void *p, size_t n)
{
    return n > 0 && n < 4 && utf8_seq(p, n) == 0;
}

int tp_encoding_is_utf8(const void *p, size_t n)
{
    return tp_encoding_valid_prefix(p, n) == n;
}

void tp_decoder_init(struct tp_decoder *d, enum tp_encoding enc)
{
    memset(d, 0, sizeof(*d));
    d->enc = enc;
}

static size_t put_cp(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

static size_t put_invalid(struct tp_decoder *d, char *out)
{
    d->n_invalid++;
    d->bad = 1;
    if (d->enc == TP_ENC_AUTO)
        return 0;
    memcpy(out, "\xEF\xBF\xBD", 3);
    return 3;
}

/* A single-byte code page: every byte is a character. */
static size_t decode_8bit(const struct tp_decoder *d, const unsigned char *p, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        if (c >= 0x80 && c < 0xA0 && d->enc == TP_ENC_CP1252)
            c = cp1252_high[c - 0x80];
        o += put_cp(out + o, c);
    }
    return o;
}

size_t tp_decoder_feed(struct tp_decoder *d, const void *buf, size_t n, int last, char *out)
{
    static const unsigned char none[1];
    const unsigned char *p = n ? buf : none;
    int emit = d->enc != TP_ENC_AUTO;
    size_t i = 0, o = 0;

    if (d->enc == TP_ENC_LATIN1 || d->enc == TP_ENC_CP1252)
        return decode_8bit(d, p, n, out);
    if (d->enc == TP_ENC_AUTO && d->bad)
        return 0;
    if (d->n_carry > 0) {
        /* Complete the sequence cut at the end of the previous chunk. */
        unsigned char tmp[4];
        size_t m = d->n_carry, k = 0;
        memcpy(tmp, d->carry, m);
        while (m < 4 && k < n)
            tmp[m++] = p[k++];
        int r = utf8_seq(tmp, m);
        if (r == 0 && !last) {
            memcpy(d->carry, tmp, m);
            d->n_carry = m;
            return 0;
        }
        if (r > 0) {
            if (emit)
                memcpy(out, tmp, (size_t)r);
            o = emit ? (size_t)r : 0;
            i = (size_t)r - d->n_carry;
        } else {
            /* The carried bytes were a valid prefix, so the ill-formed part
             * covers them all: resume after it (or at the end when r == 0). */
            o = put_invalid(d, out);
            i = r == 0 ? n : (size_t)-r - d->n_carry;
        }
        d->n_carry = 0;
    }
    if (d->trusted && emit && i < n) {
        /* Checked already: copy all but a sequence the chunk cuts short. */
        size_t cut = n, j = n;
        while (j > i && n - j < 3 && (p[j - 1] & 0xC0) == 0x80)
            j--;
        if (!last && j > i && p[j - 1] >= 0xC0) {
            size_t need = p[j - 1] >= 0xF0 ? 4 : p[j - 1] >= 0xE0 ? 3 : 2;
            if (n - (j - 1) < need)
                cut = j - 1;
        }
        memcpy(out + o, p + i, cut - i);
        o += cut - i;
        if (cut < n) {
            memcpy(d->carry, p + cut, n - cut);
            d->n_carry = n - cut;
        }
        return o;
    }
    /* the bulk check once: past an ill-formed sequence the rest is walked
     * (checking the whole rest in bulk again at each one would make text
     * with many bad bytes quadratic in the chunk's length) */
    for (int first = 1; i < n; first = 0) {
        size_t k =
            first ? tp_encoding_valid_prefix(p + i, n - i) : valid_prefix_scalar(p + i, n - i);
        if (emit && k > 0)
            memcpy(out + o, p + i, k);
        if (emit)
            o += k;
        i += k;
        if (i >= n)
            break;
        int r = utf8_seq(p + i, n - i);
        if (r == 0 && !last) {
            memcpy(d->carry, p + i, n - i);
            d->n_carry = n - i;
            break;
        }
        o += put_invalid(d, out + o);
        i = r == 0 ? n : i + (size_t)-r;
        if (!emit)
            break;
    }
    return o;
}

/* ---- UTF-16 ------------------------------------------------------------- */

void tp_utf16_init(struct tp_utf16 *d, int big_endian)
{
    memset(d, 0, sizeof(*d));
    d->big_endian = big_endian;
}

static size_t put_utf8(unsigned cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t tp_utf16_feed(struct tp_utf16 *d, const void *buf, size_t n, int last, char *out)
{
    const unsigned char *p = buf;
    size_t i = 0, o = 0;
    unsigned char pair[2];
    while (i < n) {
        if (d->has_carry) {
            pair[0] = d->carry;
            pair[1] = p[i++];
            d->has_carry = 0;
        } else if (i + 1 < n) {
            pair[0] = p[i];
            pair[1] = p[i + 1];
            i += 2;
        } else {
            d->carry = p[i++];
            d->has_carry = 1;
            break;
        }
        unsigned u =
            d->big_endian ? (unsigned)pair[0] << 8 | pair[1] : (unsigned)pair[1] << 8 | pair[0];
        if (d->high) {
            if (u >= 0xDC00 && u <= 0xDFFF) {
                o += put_utf8(0x10000 + ((d->high - 0xD800) << 10) + (u - 0xDC00), out + o);
                d->high = 0;
                continue;
            }
            o += put_utf8(0xFFFD, out + o);
            d->n_invalid++;
            d->high = 0;
        }
        if (u >= 0xD800 && u <= 0xDBFF) {
            d->high = u;
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            o += put_utf8(0xFFFD, out + o);
            d->n_invalid++;
        } else {
            o += put_utf8(u, out + o);
        }
    }
    if (last) {
        if (d->high || d->has_carry) {
            o += put_utf8(0xFFFD, out + o);
            d->n_invalid++;
        }
        d->high = 0;
        d->has_carry = 0;
    }
    return o;
}
