/*
 * fuzz_csv.c - libFuzzer target: the CSV reader under random column options,
 * and the --meta loader.
 *
 * The first two bytes pick --text-col, --date-col, --id-col, --encoding,
 * --strict, --date-from-name and whether a --meta file is given; with --meta,
 * the input up to its first NUL byte is the meta CSV and the rest the data
 * CSV. Invariants: no crash or sanitizer report; the reader's contract as
 * the checking sink sees it (balanced documents, valid UTF-8 text cut at
 * code point boundaries, real calendar dates, an error always with a
 * message); a failing run fails with a "PATH:LINE: " message naming one of
 * the two files; reading twice gives the same documents, and a reader made
 * again gives them too.
 */
#include "fuzz_common.h"

static const char *const text_cols[] = {"text", "body", "a b", ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 1 << 16)
        return 0;
    struct fz_rows c;
    fz_rows_setup(&c, data, size, "in.csv", text_cols);

    struct fz_sink s = {0};
    struct tp_error err;
    const char *in[1] = {c.data_path};
    int rc = fz_read(in, 1, &c.o, &s, NULL, &err);
    if (rc)
        fz_rows_check_message(&c, &err);
    fz_rows_check_rerun(&c, &s, rc, &err);
    return 0;
}
