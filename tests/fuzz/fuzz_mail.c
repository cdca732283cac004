/*
 * fuzz_mail.c - libFuzzer target: the mail reader (GMime), one message or an
 * mbox, under random options.
 *
 * The first byte picks --format mail or mbox, --encoding and --strict; the
 * rest is the file. Invariants: no crash, hang or sanitizer report (the
 * guards against GMime's slow paths included); the reader's contract as the
 * checking sink sees it (balanced documents, valid UTF-8 text cut at code
 * point boundaries, real calendar dates); without --strict the read never
 * fails; a mail gives at most one document, an mbox at most one more than
 * it has lines starting "From " (none when a NUL byte in the first 8 KiB
 * makes the file binary); the same bytes gzip-compressed give the same
 * documents; reading twice gives the same documents.
 */
#include <zlib.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16)
        return 0;
    static const enum tp_encoding encs[] = {TP_ENC_AUTO, TP_ENC_UTF8, TP_ENC_CP1252, TP_ENC_AUTO};
    struct tp_opts o = TP_OPTS_INIT;
    int mbox = data[0] & 1;
    o.format = mbox ? TP_FMT_MBOX : TP_FMT_MAIL;
    o.encoding = encs[(data[0] >> 1) & 3];
    o.strict = (data[0] >> 3) & 1;
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
    int binary = memchr(p, 0, n < 8192 ? n : 8192) != NULL &&
                 !(n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)));
    if (rc == 0) {
        uint64_t froms = 0;
        for (size_t i = 0; i + 5 <= n; i++)
            froms += (i == 0 || p[i - 1] == '\n') && memcmp(p + i, "From ", 5) == 0;
        if (binary)
            FZ_CHECK(s.n_docs == 0);
        FZ_CHECK(s.n_docs <= (mbox ? froms + 1 : 1));
    }
    /* read again: the same documents */
    FZ_CHECK(fz_read(in, 1, &o, &again, NULL, &err) == rc);
    FZ_CHECK(again.n_docs == s.n_docs && again.h == s.h);

    /* gzip-compressed: the same documents, ids aside (a path may be an id) */
    const char *gz = fz_path("in.txt.gz");
    gzFile f = gzopen(gz, "wb");
    FZ_CHECK(f != NULL);
    FZ_CHECK(n == 0 || gzwrite(f, p, (unsigned)n) == (int)n);
    FZ_CHECK(gzclose(f) == Z_OK);
    const char *zin[1] = {gz};
    s.skip_ids = again.skip_ids = 1;
    int rc1 = fz_read(in, 1, &o, &s, NULL, &err);
    int rc2 = fz_read(zin, 1, &o, &again, NULL, &err);
    FZ_CHECK(rc1 == rc2);
    FZ_CHECK(again.n_docs == s.n_docs && again.h == s.h);
    fz_sink_reset(&s);
    fz_sink_reset(&again);
    return 0;
}
