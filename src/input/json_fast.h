/*
 * input/json_fast.h - the JSONL fields a document needs, read by simdjson's
 * On-Demand parser (input/json_fast.cpp, C++17) behind a C interface.
 *
 * The fast reader takes a line (of at most 1 MiB) only when it is sure
 * jansson (input/lines.c) would read the same: an object whose wanted fields are absent, null,
 * strings or numbers. Anything else (invalid JSON, a line that is not an
 * object, a wanted field of another type, an integer beyond 64 bits, a key
 * holding NUL) is left to jansson, which gives the outcome and the message.
 * tests/fuzz/fuzz_json.c checks the two agree.
 */
#ifndef TP_INPUT_JSON_FAST_H
#define TP_INPUT_JSON_FAST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { TP_JSON_TEXT, TP_JSON_ID, TP_JSON_DATE, TP_JSON_GROUP, TP_JSON_N_FIELDS };

/* What a wanted field holds (TP_JSON_OTHER: an object, array or boolean,
 * only from jansson's reading). */
enum tp_json_kind { TP_JSON_ABSENT, TP_JSON_NULL, TP_JSON_STRING, TP_JSON_NUMBER, TP_JSON_OTHER };

/* A wanted field: a string s[0..len) (may hold NUL) or a number as jansson
 * prints it (integers in decimal, others with %.17g) in num; for
 * TP_JSON_OTHER, value is jansson's json_t. */
struct tp_json_field {
    enum tp_json_kind kind;
    const char *s;
    size_t len;
    void *value;
    char num[64];
};

/* Whether p[0..n) is well-formed UTF-8 (simdjson's validator, the
 * machine's widest instructions; Unicode's Table 3-7, as encoding.c). */
int tp_utf8_valid_simd(const char *p, size_t n);

struct buf;

/* jansson's reading of the line p[0..n) (input/lines.c), the reference the
 * fast reader follows: 0 with f[] filled as tp_json_fast_fields does and
 * *root (a json_t, borrowed strings point into it) for the caller to
 * json_decref; TP_EPARSE with why[0..why_cap) saying what is wrong ("invalid
 * JSON: ...", "not a JSON object"); TP_ENOMEM. jq is scratch space (integers
 * beyond 64 bits are read again as strings of their digits). */
int tp_in_json_slow(const char *p, size_t n, const char *const keys[TP_JSON_N_FIELDS],
                    struct tp_json_field f[TP_JSON_N_FIELDS], struct buf *jq, void **root,
                    char *why, size_t why_cap);

/* Read the line p[0..n) (UTF-8) and fill f[i] for the key keys[i] (NULL: not
 * wanted; a key may be asked for twice). Returns 1 when the line is taken,
 * 0 when jansson must decide. The strings are borrowed from the calling
 * thread's parser until its next call. Defined only when the .cpp is linked
 * (weak: a build of the C files alone reads every line with jansson). */
int tp_json_fast_fields(const char *p, size_t n, const char *const keys[TP_JSON_N_FIELDS],
                        struct tp_json_field f[TP_JSON_N_FIELDS])
#if defined(__GNUC__) && !defined(__cplusplus)
    __attribute__((weak))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif
