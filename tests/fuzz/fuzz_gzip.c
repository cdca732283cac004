/*
 * fuzz_gzip.c - libFuzzer target: gzip input through the reader.
 *
 * The first two bytes pick the format (plain text, --doc-per-line text, CSV,
 * JSONL), how the payload (the rest) is stored and a cut point. Differential:
 * a .gz file of one gzip member, or of two members concatenated (the payload
 * cut in two), reads exactly as the payload written plainly does: same
 * status, same documents (date, encoding, text), same message after the path.
 * A gzip stream cut short (at least its two magic bytes kept) fails, unless
 * the payload has a NUL byte in its first 8 KiB: a binary file (docs/inputs.md)
 * may then be skipped, no document read, before the cut is reached. The raw
 * payload named .gz, gzip or not, reads without a crash or sanitizer report,
 * its documents checked by the checking sink.
 */
#include <zlib.h>

#include "fuzz_common.h"

/* Append a gzip member holding p[0..n) to *out (*len bytes, capacity cap). */
static void gz_member(const uint8_t *p, size_t n, int level, uint8_t **out, size_t *len)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    FZ_CHECK(deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    size_t bound = deflateBound(&z, (uLong)n) + 32;
    *out = realloc(*out, *len + bound);
    FZ_CHECK(*out != NULL);
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = *out + *len;
    z.avail_out = (uInt)bound;
    FZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
    *len += bound - z.avail_out;
    deflateEnd(&z);
}

/* The message after "PATH" (both paths end in the same file name). */
static const char *after_path(const char *msg, const char *path)
{
    size_t n = strlen(path);
    return strncmp(msg, path, n) == 0 ? msg + n : msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 1 << 16)
        return 0;
    static const char *const plain_names[] = {"plain.txt", "plain.txt", "plain.csv", "plain.jsonl"};
    static const char *const gz_names[] = {"in.txt.gz", "in.txt.gz", "in.csv.gz", "in.jsonl.gz"};
    unsigned fmt = data[0] & 3, mode = (data[0] >> 2) & 3;
    int level = (data[0] >> 4) % 10;
    const uint8_t *p = data + 2;
    size_t n = size - 2;
    size_t cut = n ? data[1] % (n + 1) : 0;
    struct tp_opts o = TP_OPTS_INIT;
    o.doc_per_line = fmt == 1;
    o.encoding = (data[0] >> 7) ? TP_ENC_UTF8 : TP_ENC_AUTO;
    const char *gz_path = fz_path(gz_names[fmt]);
    const char *in[1] = {gz_path};
    struct fz_sink s = {0};
    struct tp_error err;

    if (mode == 3) {
        /* the fuzzer's bytes as a .gz file */
        fz_write(gz_path, p, n);
        fz_read(in, 1, &o, &s, NULL, &err);
        fz_sink_reset(&s);
        return 0;
    }
    uint8_t *gz = NULL;
    size_t gz_len = 0;
    if (mode == 1) {
        gz_member(p, cut, level, &gz, &gz_len);
        gz_member(p + cut, n - cut, level, &gz, &gz_len);
    } else
        gz_member(p, n, level, &gz, &gz_len);
    if (mode == 2) {
        /* cut short: somewhere past the magic bytes, before the end */
        size_t keep = 2 + (size_t)data[1] * (gz_len - 2) / 256;
        fz_write(gz_path, gz, keep);
        struct tp_reader_stats st = {0};
        int rc = fz_read(in, 1, &o, &s, &st, &err);
        int binary = memchr(p, 0, n < 8192 ? n : 8192) != NULL;
        FZ_CHECK(rc != 0 || (binary && s.n_docs == 0 && st.skipped_inputs == 1));
        fz_sink_reset(&s);
        free(gz);
        return 0;
    }
    fz_write(gz_path, gz, gz_len);
    free(gz);
    const char *plain_path = fz_path(plain_names[fmt]);
    fz_write(plain_path, p, n);

    struct fz_sink sp = {0};
    struct tp_error err_p;
    const char *in_p[1] = {plain_path};
    s.skip_ids = sp.skip_ids = 1;
    int rc = fz_read(in, 1, &o, &s, NULL, &err);
    sp.skip_ids = 1;
    int rc_p = fz_read(in_p, 1, &o, &sp, NULL, &err_p);
    FZ_CHECK(rc == rc_p);
    FZ_CHECK(s.n_docs == sp.n_docs && s.h == sp.h);
    FZ_CHECK(s.text_len == sp.text_len && fz_text_digest(&s) == fz_text_digest(&sp));
    if (rc) {
        const char *a = after_path(err.msg, gz_path), *b = after_path(err_p.msg, plain_path);
        if (strcmp(a, b) != 0)
            fprintf(stderr, "gz: %s\nplain: %s\n", err.msg, err_p.msg);
        FZ_CHECK(strcmp(a, b) == 0);
    }
    fz_sink_reset(&s);
    fz_sink_reset(&sp);
    return 0;
}
