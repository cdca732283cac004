/*
 * tokenizer.h - push-style Unicode tokenizer: feed it a document's UTF-8
 * bytes in chunks of any size; it calls back with each normalized token (NFC or
 * NFKC, case-folded unless asked not to) and the index of its adjacency segment.
 * No I/O and no allocation per token: ASCII tokens are lowered inline and only
 * tokens with bytes >= 0x80 go through utf8proc, into a reused buffer.
 *
 * The rules are SPEC "Tokens": a token is a maximal run of letters, marks and
 * decimal digits, joined across a hyphen between word characters, a '.' or ','
 * between digits, and an apostrophe between letters (split after it under the
 * elision profiles it/fr, kept whole under en). A segment ends at . , ; : ! ?
 * ... dashes, brackets and blank lines.
 */
#ifndef TP_TOKENIZER_H
#define TP_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

/* Longest token kept, in bytes before normalization; longer runs (base64 blobs,
 * runaway lines) are dropped and counted. */
#define TP_TOKEN_MAX 1024

struct tp_tokenizer_opts {
    int elide;         /* split after an apostrophe between letters (it, fr) */
    int apocope;       /* keep the Italian po' mo' be' de' whole (it) */
    int keep_case;     /* no case folding */
    int nfkc;          /* NFKC instead of NFC */
    int split_hyphens; /* a hyphen separates words */
};

/* Bytes a callback may read from tok whatever the token's length: tok[0..len)
 * is the token, tok[len..TP_TOKEN_PAD) (when len is shorter) is unspecified
 * but readable, so a hash can load whole words without a branch on len. */
#define TP_TOKEN_PAD 16

/* Called for every token: tok[0..len) is borrowed until the call returns; seg
 * is the adjacency segment index within the document (0, 1, 2, ... with no
 * gaps: two consecutive tokens are adjacent iff they share seg). Return 0 to go
 * on or non-zero to stop (the feed/finish call then returns that value). */
typedef int tp_token_fn(void *ctx, const char *tok, size_t len, uint32_t seg);

struct tp_tokenizer;

/* Create a tokenizer. o is copied. Returns 0 and *out (caller frees with
 * tp_tokenizer_free), or TP_ENOMEM. */
int tp_tokenizer_new(struct tp_tokenizer **out, const struct tp_tokenizer_opts *o, tp_token_fn *fn,
                     void *ctx);

/* Start a new document: segment 0, no pending token. */
void tp_tokenizer_reset(struct tp_tokenizer *tk);

/* Tokenize buf[0..len), the next bytes of the current document. A character
 * split across two calls is carried over; invalid bytes act as U+FFFD (a
 * separator). Returns 0, the callback's non-zero value, or TP_ENOMEM. */
int tp_tokenizer_feed(struct tp_tokenizer *tk, const char *buf, size_t len);

/* End of the document: emit the pending token, if any. Returns as feed. */
int tp_tokenizer_finish(struct tp_tokenizer *tk);

/* Runs dropped for being longer than TP_TOKEN_MAX, since creation. */
uint64_t tp_tokenizer_overlong(const struct tp_tokenizer *tk);

void tp_tokenizer_free(struct tp_tokenizer *tk);

#endif
