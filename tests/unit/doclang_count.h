/*
 * doclang_count.h - the counting callbacks' part in --lang auto, as
 * run_count.c's count_batch and count_token play it, for the per-document
 * language's unit test (test_doclang.c) and fuzz target (fuzz_doclang.c):
 * while a document's language is open its tokens go to the decision first;
 * the tokens counted are recorded, each as its segment (4 bytes), its
 * length (2) and its bytes.
 */
#ifndef TP_TESTS_DOCLANG_COUNT_H
#define TP_TESTS_DOCLANG_COUNT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "tokenizer.h"

struct dl_rec {
    unsigned char *b;
    size_t len, cap;
    struct tp_doclang *dl; /* NULL: a plain tokenization, no decision */
};

static void dl_rec_put(struct dl_rec *r, const char *tok, size_t len, uint32_t seg)
{
    if (r->len + len + 6 > r->cap) {
        r->cap = 2 * (r->len + len + 6);
        if (!(r->b = realloc(r->b, r->cap)))
            abort();
    }
    uint16_t l = (uint16_t)len;
    memcpy(r->b + r->len, &seg, 4);
    memcpy(r->b + r->len + 4, &l, 2);
    memcpy(r->b + r->len + 6, tok, len);
    r->len += len + 6;
}

/* The token recorded at r->b + at: *tok, *len; the next one's offset. */
static size_t dl_rec_next(const struct dl_rec *r, size_t at, const char **tok, size_t *len)
{
    uint16_t l;
    memcpy(&l, r->b + at + 4, 2);
    *tok = (const char *)r->b + at + 6;
    *len = l;
    return at + 6 + l;
}

/* Whether a and b recorded the same tokens. */
static int dl_rec_same(const struct dl_rec *a, const struct dl_rec *b)
{
    return a->len == b->len && (!a->len || memcmp(a->b, b->b, a->len) == 0);
}

static int dl_rec_token(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    struct dl_rec *r = ctx;
    if (r->dl && r->dl->deciding) {
        int v = tp_doclang_token(r->dl, tok, len);
        if (v != TP_DL_COUNT)
            return v == TP_DL_AGAIN;
    }
    dl_rec_put(r, tok, len, seg);
    return 0;
}

static int dl_rec_batch(void *ctx, const struct tp_token_batch *b)
{
    struct dl_rec *r = ctx;
    if (r->dl && r->dl->deciding) {
        int v = tp_doclang_batch(r->dl, b);
        if (v != TP_DL_COUNT)
            return v == TP_DL_AGAIN;
    }
    for (size_t i = 0; i < b->n; i++)
        dl_rec_put(r, b->tok + 16 * i, b->len[i], b->seg[i]);
    return 0;
}

/* p[0..n) tokenized plainly with lang's profile into r (emptied first);
 * window: only the tokens completed in the first TP_LANG_DOC_BYTES of a
 * longer text. 0, or the tokenizer's non-zero value. */
static int dl_rec_plain(const char *p, size_t n, enum tp_lang lang, int window, struct dl_rec *r)
{
    struct tp_tokenizer_opts to = {.elide = lang == TP_LANG_IT || lang == TP_LANG_FR,
                                   .apocope = lang == TP_LANG_IT};
    struct tp_tokenizer *tk;
    r->len = 0;
    r->dl = NULL;
    if (tp_tokenizer_new(&tk, &to, dl_rec_token, r))
        return TP_ENOMEM;
    int rc = window && n > TP_LANG_DOC_BYTES
                 ? tp_tokenizer_feed(tk, p, TP_LANG_DOC_BYTES) || tp_tokenizer_flush(tk)
                 : tp_tokenizer_feed(tk, p, n) || tp_tokenizer_finish(tk);
    tp_tokenizer_free(tk);
    return rc;
}

#endif
