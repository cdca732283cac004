/*
 * fuzz_encoding.c - libFuzzer target: encoding detection and decoding, on
 * the decoder (encoding.h) and through the reader.
 *
 * Invariants, against references written here from the definitions:
 * tp_encoding_is_utf8, tp_encoding_valid_prefix and tp_encoding_cut_short
 * agree with a strict RFC 3629 check; the decoder's output is valid UTF-8,
 * does not depend on where the chunks are cut, and equals the reference
 * decoding: UTF-8 with one U+FFFD per maximal ill-formed subpart (valid
 * input comes out unchanged, no replacement counted; a trusted decoder copies
 * it), Latin-1, CP1252 (its five undefined bytes as the C1 controls);
 * auto only checks, and flags invalid input. Through the reader, a plain text
 * file's text is valid UTF-8 in every chunk; valid UTF-8 input comes out
 * unchanged (what follows a date header or BOM), decoded as UTF-8 under
 * auto; invalid input is CP1252 under auto and counted replacements under
 * utf-8. One input in sixteen also goes at the end of a file of more than
 * 256 KiB of valid text, so under auto the reader has passed text on before
 * it meets the invalid bytes and takes the document back (tp_sink.undo): the
 * counts must be those of reading the file as cp1252 (or as utf-8 when it is
 * valid after all).
 */
#include "encoding.h"
#include "fuzz_common.h"

static const uint16_t cp1252_hi[32] = {
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

static size_t put_cp(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* Is p[0..n) (n >= 1) a proper prefix of some valid sequence? */
static int prefix_ok(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else
        return 0;
    if (n >= len)
        return 0;
    if (n >= 2 && (p[1] < lo || p[1] > hi))
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return 1;
}

/* The reference decoding of p[0..n) as enc into out; *bad: replacements. */
static size_t ref_decode(enum tp_encoding enc, const unsigned char *p, size_t n, char *out,
                         uint64_t *bad)
{
    size_t k = 0;
    *bad = 0;
    for (size_t i = 0; i < n;) {
        if (enc == TP_ENC_LATIN1) {
            k += put_cp(out + k, p[i++]);
        } else if (enc == TP_ENC_CP1252) {
            unsigned c = p[i++];
            k += put_cp(out + k, c >= 0x80 && c < 0xA0 ? cp1252_hi[c - 0x80] : c);
        } else {
            size_t l = fz_utf8_seq(p + i, n - i);
            if (l) {
                memcpy(out + k, p + i, l);
                k += l;
                i += l;
                continue;
            }
            /* the maximal subpart: the longest prefix of a valid sequence */
            size_t m = 1;
            while (i + m < n && prefix_ok(p + i, m + 1))
                m++;
            memcpy(out + k, "\xEF\xBF\xBD", 3);
            k += 3;
            i += m;
            (*bad)++;
        }
    }
    return k;
}

static size_t decode_chunked(enum tp_encoding enc, int trusted, const uint8_t *p, size_t n,
                             size_t chunk, char *out, struct tp_decoder *d)
{
    size_t k = 0;
    tp_decoder_init(d, enc);
    d->trusted = trusted;
    char *tmp = malloc(TP_DECODE_BOUND(chunk));
    FZ_CHECK(tmp != NULL);
    size_t i = 0;
    do {
        size_t c = n - i < chunk ? n - i : chunk;
        size_t w = tp_decoder_feed(d, p + i, c, i + c == n, tmp);
        FZ_CHECK(w <= TP_DECODE_BOUND(c));
        FZ_CHECK(fz_is_utf8(tmp, w)); /* every output ends at a code point boundary */
        memcpy(out + k, tmp, w);
        k += w;
        i += c;
    } while (i < n);
    free(tmp);
    return k;
}

static void check_decoder(const uint8_t *p, size_t n, size_t chunk)
{
    int valid = fz_is_utf8(p, n);
    FZ_CHECK(tp_encoding_is_utf8(p, n) == valid);
    size_t pre = 0;
    for (size_t l; pre < n && (l = fz_utf8_seq(p + pre, n - pre)) > 0;)
        pre += l;
    FZ_CHECK(tp_encoding_valid_prefix(p, n) == pre);
    /* the same bytes after ASCII text: long enough for the bulk check */
    uint8_t *q = malloc(300 + n);
    FZ_CHECK(q != NULL);
    memset(q, 'a', 300);
    memcpy(q + 300, p, n);
    FZ_CHECK(tp_encoding_valid_prefix(q, 300 + n) == 300 + pre);
    free(q);
    for (size_t m = 1; m <= 4 && m <= n; m++)
        FZ_CHECK(!!tp_encoding_cut_short(p, m) == prefix_ok(p, m));

    char *out = malloc(TP_DECODE_BOUND(n) + 16);
    char *ref = malloc(3 * n + 16);
    FZ_CHECK(out && ref);
    struct tp_decoder d;
    /* auto: checks only */
    size_t k = decode_chunked(TP_ENC_AUTO, 0, p, n, chunk, out, &d);
    FZ_CHECK(k == 0);
    FZ_CHECK(d.bad == !valid);
    static const enum tp_encoding encs[] = {TP_ENC_UTF8, TP_ENC_LATIN1, TP_ENC_CP1252};
    for (size_t e = 0; e < 3; e++) {
        uint64_t bad;
        size_t r = ref_decode(encs[e], p, n, ref, &bad);
        k = decode_chunked(encs[e], 0, p, n, chunk, out, &d);
        FZ_CHECK(k == r && memcmp(out, ref, r) == 0);
        if (encs[e] == TP_ENC_UTF8) {
            FZ_CHECK(d.n_invalid == bad);
            FZ_CHECK(valid == (bad == 0));
            if (valid) {
                FZ_CHECK(k == n && memcmp(out, p, n) == 0);
                k = decode_chunked(encs[e], 1, p, n, chunk, out, &d);
                FZ_CHECK(k == n && memcmp(out, p, n) == 0);
            }
        }
    }
    free(out);
    free(ref);
}

static int has_suffix(const char *s, size_t n, const uint8_t *whole, size_t wn)
{
    return n == 0 || (n <= wn && memcmp(whole + wn - n, s, n) == 0);
}

static void check_reader(const uint8_t *p, size_t n, unsigned opt)
{
    static const enum tp_encoding encs[] = {TP_ENC_AUTO, TP_ENC_UTF8, TP_ENC_LATIN1, TP_ENC_CP1252};
    struct tp_opts o = TP_OPTS_INIT;
    o.encoding = encs[opt & 3];
    o.doc_per_line = (opt >> 2) & 1;
    const char *path = fz_path("in.txt");
    fz_write(path, p, n);
    struct fz_sink s = {0};
    struct tp_reader_stats st;
    struct tp_error err;
    const char *in[1] = {path};
    int rc = fz_read(in, 1, &o, &s, &st, &err);
    int valid = fz_is_utf8(p, n);
    /* A file that is UTF-16 (by its BOM) or binary may be refused or read
     * otherwise; what is checked here is the UTF-8 and CP1252 contract. */
    int other = n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF));
    other |= memchr(p, 0, n) != NULL;
    if (rc != 0 || other) {
        FZ_CHECK(rc == 0 || other); /* text files of any bytes but those read */
        fz_sink_reset(&s);
        return;
    }
    if (!o.doc_per_line) {
        FZ_CHECK(s.n_docs == 1);
        if (valid && (o.encoding == TP_ENC_AUTO || o.encoding == TP_ENC_UTF8)) {
            FZ_CHECK(has_suffix(s.text, s.text_len, p, n));
            FZ_CHECK(st.invalid_utf8 == 0 && st.cp1252_documents == 0);
        }
        if (!valid && o.encoding == TP_ENC_AUTO)
            FZ_CHECK(st.cp1252_documents == 1);
        if (!valid && o.encoding == TP_ENC_UTF8)
            FZ_CHECK(st.invalid_utf8 > 0);
    } else if (valid && (o.encoding == TP_ENC_AUTO || o.encoding == TP_ENC_UTF8)) {
        FZ_CHECK(st.invalid_utf8 == 0 && st.cp1252_documents == 0);
        FZ_CHECK(s.text_len <= n);
    }
    fz_sink_reset(&s);
}

/* The digest of the counts of path read as enc (batch: as fz_count_reader),
 * or 0 when it is refused or skipped. */
static uint64_t count_file(const char *path, enum tp_encoding enc, int batch,
                           struct tp_reader_stats *st)
{
    struct tp_opts o = TP_OPTS_INIT;
    o.encoding = enc;
    struct tp_count_opts co = {.spill = 1, .ngram = 2, .window = 2};
    struct tp_tokenizer_opts to = {0};
    struct tp_corpus *c = NULL;
    struct tp_reader *r;
    struct tp_error err;
    FZ_CHECK(tp_corpus_new(&c, &co, &err) == 0);
    FZ_CHECK(tp_reader_new(&r, &path, 1, &o, NULL, NULL, &err) == 0);
    int rc = fz_count_reader(r, c, &to, batch, st, &err);
    tp_reader_free(r);
    /* refused, or skipped as binary (a NUL byte in its first 8 KiB) */
    if (rc || (st->skipped_inputs == 1 && tp_corpus_counts(c)->n_docs == 0)) {
        tp_corpus_free(c);
        return 0;
    }
    FZ_CHECK(tp_corpus_counts(c)->n_docs == 1);
    uint64_t h = fz_corpus_digest(c);
    tp_corpus_free(c);
    return h;
}

/* p[0..n) after more than 256 KiB of valid text (lines of p's valid prefix). */
static void check_late(const uint8_t *p, size_t n)
{
    size_t pre = 0;
    for (size_t l; pre < n && (l = fz_utf8_seq(p + pre, n - pre)) > 0;)
        pre += l;
    const char *fill = pre ? (const char *)p : "la casa di l'acqua";
    size_t fill_n = pre ? pre : strlen(fill);
    size_t total = 257 * 1024 + n + fill_n + 1;
    char *buf = malloc(total);
    FZ_CHECK(buf != NULL);
    size_t k = 0;
    memcpy(buf, "testo ", 6); /* no BOM, no date header: the filler starts plainly */
    k = 6;
    while (k < 257 * 1024) {
        memcpy(buf + k, fill, fill_n);
        k += fill_n;
        buf[k++] = '\n';
    }
    memcpy(buf + k, p, n);
    k += n;
    const char *path = fz_path("in.txt");
    fz_write(path, buf, k);
    int valid = fz_is_utf8(buf, k);
    free(buf);
    struct tp_reader_stats sa, sb;
    uint64_t a = count_file(path, TP_ENC_AUTO, 1, &sa);
    uint64_t b = count_file(path, valid ? TP_ENC_UTF8 : TP_ENC_CP1252, 0, &sb);
    FZ_CHECK(a == b); /* both 0 when the file is skipped (binary) */
    if (a)
        FZ_CHECK(sa.cp1252_documents == (uint64_t)!valid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16)
        return 0;
    unsigned opt = data[0];
    data++;
    size--;
    check_decoder(data, size, (size_t)(opt >> 3) + 1);
    check_reader(data, size, opt);
    if ((opt & 15) == 15 && size <= 4096)
        check_late(data, size);
    return 0;
}
