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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 1 << 16)
        return 0;
    struct fz_rows c;
    fz_rows_setup(&c, data, size, "in.jsonl", text_cols);
    const uint8_t *p = c.p;
    size_t n = c.n;

    struct fz_sink s = {0};
    struct tp_error err;
    const char *in[1] = {c.data_path};
    struct tp_reader_stats st = {0};
    int rc = fz_read(in, 1, &c.o, &s, &st, &err);
    int binary = memchr(p, 0, n < 8192 ? n : 8192) != NULL;
    if (rc)
        fz_rows_check_message(&c, &err);
    else if (binary)
        FZ_CHECK(s.n_docs == 0 && st.skipped_inputs == 1);
    else
        FZ_CHECK(s.n_docs == fz_nonblank_lines(p, n));
    fz_rows_check_rerun(&c, &s, rc, &err);
    return 0;
}
