/*
 * fuzz_tokenizer.c - libFuzzer target: arbitrary bytes, cut into arbitrary
 * chunks, through the tokenizer under every profile. Invariants: no crash or
 * sanitizer report; every token is non-empty, at most a few times
 * TP_TOKEN_MAX long, valid UTF-8; segment numbers never go down and grow by
 * at most one; the tokens do not depend on where the chunks are cut, nor on
 * which window classifier (SSE2, AVX2, AVX-512) or the per-character path
 * reads them; with byte offsets, each token's span is non-empty, after the
 * previous one and inside the input, and the same on both paths and for any
 * chunks; without segments (no_segments) the tokens are the same, every one
 * in segment 0, on both paths and for any chunks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenizer.h"

struct acc {
    uint64_t hash;
    uint32_t last_seg;
    size_t n;
    struct tp_tokenizer *tk; /* with offsets: the spans are checked and hashed */
    uint64_t last_end, size;
    int strip; /* hash every segment as 0 */
};

static int on_token(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    struct acc *a = ctx;
    if (len == 0 || len > 4 * TP_TOKEN_MAX)
        abort();
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)tok + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0)
            abort();
        i += (size_t)k;
    }
    if (a->n && (seg < a->last_seg || seg > a->last_seg + 1))
        abort();
    if (!a->n && seg != 0)
        abort();
    a->last_seg = seg;
    for (size_t i = 0; i < len; i++)
        a->hash = (a->hash ^ (unsigned char)tok[i]) * 0x100000001B3ull;
    a->hash = (a->hash ^ 0xFF ^ (a->strip ? 0 : seg)) * 0x100000001B3ull;
    if (a->tk) {
        uint64_t start, end;
        tp_tokenizer_span(a->tk, &start, &end);
        if (start >= end || start < a->last_end || end > a->size)
            abort();
        a->last_end = end;
        a->hash = (a->hash ^ start ^ end << 32) * 0x100000001B3ull;
    }
    a->n++;
    return 0;
}

static uint64_t run_as(const uint8_t *data, size_t size, const struct tp_tokenizer_opts *o,
                       size_t chunk, int strip)
{
    struct acc a = {1469598103934665603ull, 0, 0, NULL, 0, size, strip};
    struct tp_tokenizer *tk;
    if (tp_tokenizer_new(&tk, o, on_token, &a))
        abort();
    if (o->offsets)
        a.tk = tk;
    for (size_t i = 0; i < size; i += chunk)
        tp_tokenizer_feed(tk, (const char *)data + i, size - i < chunk ? size - i : chunk);
    tp_tokenizer_finish(tk);
    tp_tokenizer_free(tk);
    /* (no_segments: the checks above held every segment at 0) */
    if (o->no_segments && a.last_seg != 0)
        abort();
    return a.hash ^ a.n;
}

static uint64_t run(const uint8_t *data, size_t size, const struct tp_tokenizer_opts *o,
                    size_t chunk)
{
    return run_as(data, size, o, chunk, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct tp_tokenizer_opts o = {0};
    o.elide = data[0] & 1;
    o.apocope = (data[0] >> 1) & 1;
    o.keep_case = (data[0] >> 2) & 1;
    o.nfkc = (data[0] >> 3) & 1;
    o.split_hyphens = (data[0] >> 4) & 1;
    size_t chunk = (size_t)(data[0] >> 5) + 1;
    data++;
    size--;
    uint64_t whole = run(data, size, &o, size ? size : 1);
    if (whole != run(data, size, &o, chunk))
        abort();
    /* every window classifier this processor runs, and the per-character
     * path, give the same tokens */
    unsigned isas = tp_tokenizer_isas();
    for (unsigned isa = 1; isa <= TP_ISA_AVX512; isa <<= 1) {
        if (!(isas & isa))
            continue;
        struct tp_tokenizer_opts w = o;
        w.isa = isa;
        if (run(data, size, &w, size ? size : 1) != whole)
            abort();
    }
    struct tp_tokenizer_opts slow = o;
    slow.no_fast_path = 1;
    if (run(data, size, &slow, size ? size : 1) != whole)
        abort();
    /* byte offsets: the same on both paths, for any chunks */
    struct tp_tokenizer_opts off = o, off_slow = slow;
    off.offsets = off_slow.offsets = 1;
    uint64_t spans = run(data, size, &off_slow, size ? size : 1);
    if (run(data, size, &off, chunk) != spans || run(data, size, &off, size ? size : 1) != spans)
        abort();
    /* without segments: the same tokens, all in segment 0 */
    uint64_t stripped = run_as(data, size, &o, size ? size : 1, 1);
    struct tp_tokenizer_opts flat = o, flat_slow = slow;
    flat.no_segments = flat_slow.no_segments = 1;
    if (run_as(data, size, &flat, chunk, 1) != stripped ||
        run_as(data, size, &flat, size ? size : 1, 1) != stripped ||
        run_as(data, size, &flat_slow, size ? size : 1, 1) != stripped)
        abort();
    return 0;
}
