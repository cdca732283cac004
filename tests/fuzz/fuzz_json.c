/*
 * fuzz_json.c - libFuzzer target: the fast JSONL field reader
 * (src/input/json_fast.cpp, simdjson) against jansson's reading of the same
 * line (tp_in_json_slow in src/input/lines.c).
 *
 * The first byte picks the wanted keys (--text-col, --id-col, --date-col,
 * some naming the same key); the rest, up to its first line feed, is one
 * JSONL line. Invariants: when the fast reader takes the line, jansson reads
 * it too, and every wanted field has the same kind (absent, null, string,
 * number) and the same bytes (numbers as jansson prints them). The fast
 * reader may leave a line to jansson, but only one jansson refuses, one
 * with a wanted object, array or boolean, one holding an integer beyond 64
 * bits (or a wanted one of 19 digits or more), one nested deeper than simdjson's 1024
 * levels, or one holding a raw NUL byte.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/input.h"
#include "input/json_fast.h"

#define FZ_CHECK(c)                                                                                \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_json.c:%d: check failed: %s\n", __LINE__, #c);                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *const texts[] = {"text", "body", "a\"b", ""};
static const char *const ids[] = {"id", "text", "n", NULL};
static const char *const dates[] = {NULL, "date", "text", "id"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A run of 19 digits or more in p[0..n): a wanted integer that long (or a
 * first one of duplicate keys) is left to jansson, which may read it as a
 * string of its digits. */
static int long_digits(const char *p, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        run = p[i] >= '0' && p[i] <= '9' ? run + 1 : 0;
        if (run >= 19)
            return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *keys[TP_JSON_N_FIELDS] = {texts[data[0] & 3], ids[(data[0] >> 2) & 3],
                                          dates[(data[0] >> 4) & 3]};
    const char *p = (const char *)data + 1;
    const char *nl = memchr(p, '\n', size - 1);
    size_t n = nl ? (size_t)(nl - p) : size - 1;

    struct tp_json_field fast[TP_JSON_N_FIELDS], slow[TP_JSON_N_FIELDS];
    int took = tp_json_fast_fields(p, n, keys, fast);
    struct buf jq = {NULL, 0, 0};
    void *root = NULL;
    char why[256];
    int rc = tp_in_json_slow(p, n, keys, slow, &jq, &root, why, sizeof(why));
    FZ_CHECK(rc == 0 || rc == TP_EPARSE);
    if (took) {
        if (rc != 0)
            fprintf(stderr, "fast reader took a line jansson refuses: %s\n", why);
        FZ_CHECK(rc == 0);
        for (int i = 0; i < TP_JSON_N_FIELDS; i++) {
            FZ_CHECK(fast[i].kind == slow[i].kind);
            FZ_CHECK(fast[i].len == slow[i].len);
            FZ_CHECK(fast[i].len == 0 || memcmp(fast[i].s, slow[i].s, fast[i].len) == 0);
        }
    } else if (rc == 0) {
        int other = 0;
        for (int i = 0; i < TP_JSON_N_FIELDS; i++)
            other |= slow[i].kind == TP_JSON_OTHER;
        /* jq holds a copy when an integer beyond 64 bits made jansson read
         * again; jansson passes over a raw NUL byte between tokens, simdjson
         * does not (a file with NUL in its first 8 KiB is not read at all) */
        FZ_CHECK(other || jq.len > 0 || long_digits(p, n) || n > 1024 || memchr(p, 0, n));
    }
    json_decref(root);
    free(jq.p);
    return 0;
}
