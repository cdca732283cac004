/*
 * fuzz_jsondoc.c - libFuzzer target: the reader of .json documents (one
 * object, or an array of objects) under random field options.
 *
 * The first two bytes pick --text-col, --date-col, --id-col, --encoding,
 * --strict and --date-from-name (and a --meta file before the first NUL
 * byte), as for JSONL. Invariants: no crash or sanitizer report (deep
 * nesting included: jansson stops at its depth limit); the reader's contract
 * as the checking sink sees it; an error always names the file; reading twice
 * gives the same documents. A run that succeeds on a text that is valid
 * UTF-8 and that jansson reads whole gives one document for an object and
 * one per element for an array (jansson's own count), none for a blank file.
 */
#include <jansson.h>

#include "fuzz_common.h"

static const char *const text_cols[] = {"text", "body", "a\"b", ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 1 << 16)
        return 0;
    struct fz_rows c;
    fz_rows_setup(&c, data, size, "in.json", text_cols);
    const uint8_t *p = c.p;
    size_t n = c.n;

    struct fz_sink s = {0};
    struct tp_error err;
    const char *in[1] = {c.data_path};
    struct tp_reader_stats st = {0};
    int rc = fz_read(in, 1, &c.o, &s, &st, &err);
    int binary = memchr(p, 0, n < 8192 ? n : 8192) != NULL;
    if (rc) {
        fz_rows_check_message(&c, &err);
    } else if (binary) {
        FZ_CHECK(s.n_docs == 0 && st.skipped_inputs == 1);
    } else if (fz_is_utf8(p, n) && !(n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)) {
        json_error_t je;
        json_t *j = json_loadb((const char *)p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        if (j && json_is_object(j))
            FZ_CHECK(s.n_docs == 1);
        else if (j && json_is_array(j))
            FZ_CHECK(s.n_docs == json_array_size(j));
        else if (!j && json_error_code(&je) != json_error_numeric_overflow)
            FZ_CHECK(s.n_docs == 0 && fz_nonblank_lines(p, n) == 0);
        json_decref(j);
    }
    fz_rows_check_rerun(&c, &s, rc, &err);
    return 0;
}
