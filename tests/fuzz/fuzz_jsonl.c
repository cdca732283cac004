/*
 * fuzz_jsonl.c - libFuzzer target: the JSON Lines reader under random field
 * options.
 *
 * The first two bytes pick --text-col, --date-col, --id-col, --encoding,
 * --strict and --date-from-name (and, as for CSV, a --meta file before the
 * first NUL byte). Invariants: no crash or sanitizer report; the reader's
 * contract as the checking sink sees it (balanced documents, valid UTF-8 text
 * cut at code point boundaries, real calendar dates, an error always with a
 * message naming the file); a run that succeeds gives one document per
 * non-blank line (counted here on the raw bytes, a first-line BOM removed),
 * or none and one skipped input when a NUL byte in the first 8 KiB makes it a
 * binary file (docs/inputs.md); reading twice gives the same documents.
 */
#include "fuzz_common.h"

static const char *const text_cols[] = {"text", "body", "a\"b", ""};
static const char *const date_cols[] = {"date", "d", "text", "id"};
static const char *const id_cols[] = {NULL, "id", "name", "text"};
static const enum tp_encoding encs[] = {TP_ENC_AUTO, TP_ENC_UTF8, TP_ENC_LATIN1, TP_ENC_CP1252};

struct doc_h {
    uint64_t h;
    uint64_t n;
    size_t text_len;
};

static void check_message(const struct tp_error *err, const char *data_path, const char *meta_path)
{
    size_t dl = strlen(data_path), ml = meta_path ? strlen(meta_path) : 0;
    int names = (strncmp(err->msg, data_path, dl) == 0 && err->msg[dl] == ':') ||
                (meta_path && strncmp(err->msg, meta_path, ml) == 0 && err->msg[ml] == ':');
    if (!names && err->code != TP_EUSAGE)
        fprintf(stderr, "unexpected message: %s\n", err->msg);
    FZ_CHECK(names || err->code == TP_EUSAGE);
}

/* Lines (cut at LF) holding something other than blanks. */
static uint64_t nonblank_lines(const uint8_t *p, size_t n)
{
    uint64_t k = 0;
    size_t i = n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    int any = 0;
    for (; i <= n; i++) {
        if (i == n || p[i] == '\n') {
            k += any;
            any = 0;
        } else if (!strchr(" \t\r\f\v", p[i]) || p[i] == 0)
            any = 1;
    }
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 1 << 16)
        return 0;
    struct tp_opts o = TP_OPTS_INIT;
    o.text_col = text_cols[data[0] & 3];
    o.date_col = date_cols[(data[0] >> 2) & 3];
    o.id_col = id_cols[(data[0] >> 4) & 3];
    o.encoding = encs[(data[0] >> 6) & 3];
    o.strict = data[1] & 1;
    o.date_from_name = (data[1] >> 1) & 1;
    int meta = (data[1] >> 2) & 1;
    const uint8_t *p = data + 2;
    size_t n = size - 2;
    const char *data_path = fz_path("in.jsonl");
    const char *meta_path = NULL;
    if (meta) {
        const uint8_t *nul = memchr(p, 0, n);
        size_t ml = nul ? (size_t)(nul - p) : n;
        meta_path = fz_path("meta.csv");
        fz_write(meta_path, p, ml);
        o.meta_path = meta_path;
        p += nul ? ml + 1 : ml;
        n -= nul ? ml + 1 : ml;
    }
    fz_write(data_path, p, n);

    struct fz_sink s = {0};
    struct tp_error err;
    const char *in[1] = {data_path};
    struct tp_reader_stats st = {0};
    int rc = fz_read(in, 1, &o, &s, &st, &err);
    int binary = memchr(p, 0, n < 8192 ? n : 8192) != NULL;
    if (rc)
        check_message(&err, data_path, meta_path);
    else if (binary)
        FZ_CHECK(s.n_docs == 0 && st.skipped_inputs == 1);
    else
        FZ_CHECK(s.n_docs == nonblank_lines(p, n));
    struct doc_h first = {s.h, s.n_docs, s.text_len};

    /* a reader runs twice alike */
    struct tp_reader *r = NULL;
    struct tp_error err2;
    int rc2 = tp_reader_new(&r, in, 1, &o, NULL, NULL, &err2);
    if (rc2 == 0) {
        for (int pass = 0; pass < 2; pass++) {
            fz_sink_reset(&s);
            struct tp_sink sink = {&s, fz_begin, fz_text, fz_end, NULL};
            rc2 = tp_reader_run(r, &sink, NULL, NULL, &err2);
            FZ_CHECK(rc2 == rc);
            FZ_CHECK(s.n_docs == first.n && s.h == first.h && s.text_len == first.text_len);
            if (rc)
                FZ_CHECK(strcmp(err.msg, err2.msg) == 0);
        }
    } else {
        FZ_CHECK(rc2 == rc && strcmp(err.msg, err2.msg) == 0);
    }
    tp_reader_free(r);
    fz_sink_reset(&s);
    return 0;
}
