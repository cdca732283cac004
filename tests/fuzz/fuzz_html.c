/*
 * fuzz_html.c - libFuzzer target: the HTML reader (libxml2), under random
 * options.
 *
 * The first byte picks --encoding and --strict; the rest is the page.
 * Invariants: no crash, hang or sanitizer report; the reader's contract as
 * the checking sink sees it (balanced documents, valid UTF-8 text cut at
 * code point boundaries, real calendar dates); without --strict the read
 * never fails and gives exactly one document (none when a NUL byte in the
 * first 8 KiB makes the file binary); the page's text never holds a markup
 * character that was not in the page as text: no '<' unless the input has
 * one that is not a tag's ("&lt;" or a lone '<'), checked loosely as "the
 * input has '<' or '&'"; reading twice gives the same document.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16)
        return 0;
    static const enum tp_encoding encs[] = {TP_ENC_AUTO, TP_ENC_UTF8, TP_ENC_CP1252, TP_ENC_LATIN1};
    struct tp_opts o = TP_OPTS_INIT;
    o.format = TP_FMT_HTML;
    o.encoding = encs[data[0] & 3];
    o.strict = (data[0] >> 2) & 1;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    const char *path = fz_path("in.txt");
    fz_write(path, p, n);

    struct fz_sink s = {0}, again = {0};
    struct tp_error err;
    const char *in[1] = {path};
    int rc = fz_read(in, 1, &o, &s, NULL, &err);
    if (!o.strict)
        FZ_CHECK(rc == 0);
    int utf16 = n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF));
    int binary = !utf16 && memchr(p, 0, n < 8192 ? n : 8192) != NULL;
    if (rc == 0) {
        FZ_CHECK(s.n_docs == (binary ? 0u : 1u));
        if (s.text_len && memchr(s.text, '<', s.text_len))
            FZ_CHECK(memchr(p, '<', n) != NULL || memchr(p, '&', n) != NULL || utf16);
    }
    FZ_CHECK(fz_read(in, 1, &o, &again, NULL, &err) == rc);
    FZ_CHECK(again.n_docs == s.n_docs && again.h == s.h);
    fz_sink_reset(&s);
    fz_sink_reset(&again);
    return 0;
}
