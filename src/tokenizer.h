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
    int offsets;       /* track each token's byte offsets (tp_tokenizer_span); costs a little */
    int no_segments;   /* every token in segment 0: for a consumer that reads no seg (single
                          words counted), which spares the fast path a step a token */
    int no_fast_path;  /* tests only: every byte through the per-character path */
    unsigned isa;      /* tests only: the fast path's instruction set (TP_ISA_*); 0 = the best */
};

/* Instruction sets the fast path can classify bytes with. */
#define TP_ISA_SSE2 1u
#define TP_ISA_AVX2 2u
#define TP_ISA_AVX512 4u

/* The TP_ISA_* this processor runs (0 when the fast path is not built). The
 * widest is used; all give the same tokens. */
unsigned tp_tokenizer_isas(void);

/* Called for every token: tok[0..len) is borrowed until the call returns; seg
 * is the adjacency segment index within the document (0, 1, 2, ... with no
 * gaps: two consecutive tokens are adjacent iff they share seg). Return 0 to go
 * on or non-zero to stop (the feed/finish call then returns that value). */
typedef int tp_token_fn(void *ctx, const char *tok, size_t len, uint32_t seg);

struct tp_tokenizer;

/* Tokens a batch holds at most. */
#define TP_TOKEN_BATCH 64

/* A batch of tokens of 1 to 16 bytes, in order: token i is
 * tok[16 i .. 16 i + len[i]), zero padded to 16 bytes, in segment seg[i]. */
struct tp_token_batch {
    size_t n;
    uint8_t len[TP_TOKEN_BATCH];
    uint32_t seg[TP_TOKEN_BATCH];
    char tok[TP_TOKEN_BATCH * 16];
};

/* Called with each full batch (and the rest at tp_tokenizer_finish and
 * tp_tokenizer_flush); returns as tp_token_fn. */
typedef int tp_batch_fn(void *ctx, const struct tp_token_batch *b);

/* Create a tokenizer. o is copied. Returns 0 and *out (caller frees with
 * tp_tokenizer_free), or TP_ENOMEM. */
int tp_tokenizer_new(struct tp_tokenizer **out, const struct tp_tokenizer_opts *o, tp_token_fn *fn,
                     void *ctx);

/* Deliver tokens of 1 to 16 bytes in batches to bfn (same ctx) instead of one
 * by one to fn; longer tokens still go to fn, after the batch before them, so
 * the order is kept. Batching saves a call and a copy per token, and lets the
 * consumer overlap the lookups of a whole batch. */
void tp_tokenizer_set_batch(struct tp_tokenizer *tk, tp_batch_fn *bfn);

/* Deliver the batched tokens now. Returns 0 or bfn's non-zero value. */
int tp_tokenizer_flush(struct tp_tokenizer *tk);

/* Start a new document: segment 0, no pending token; batched tokens not yet
 * delivered (tp_tokenizer_flush) are dropped. */
void tp_tokenizer_reset(struct tp_tokenizer *tk);

/* Start the document begun at the last tp_tokenizer_reset again, as if it
 * had not been fed: reset, and the overlong runs counted since then taken
 * back (tp_tokenizer_overlong). */
void tp_tokenizer_restart(struct tp_tokenizer *tk);

/* Start the next part of a document cut just after a line feed, which a
 * tokenizer of its own reads (documents split across threads): as reset, but
 * in the state the whole text leaves at that line feed, except for a break
 * seen since the last token (tp_tokenizer_break_pending of the part before).
 * A break before the part's first token then puts that token in segment 1;
 * tokens in segment 0 continue the segment the part before ended in. */
void tp_tokenizer_continue(struct tp_tokenizer *tk);

/* Whether a segment break was seen after the last token emitted. */
int tp_tokenizer_break_pending(const struct tp_tokenizer *tk);

/* Tokenize buf[0..len), the next bytes of the current document. A character
 * split across two calls is carried over; invalid bytes act as U+FFFD (a
 * separator). Returns 0, the callback's non-zero value, or TP_ENOMEM. */
int tp_tokenizer_feed(struct tp_tokenizer *tk, const char *buf, size_t len);

/* End of the document: emit the pending token, if any, and deliver the batch.
 * Returns as feed. */
int tp_tokenizer_finish(struct tp_tokenizer *tk);
/* tp_tokenizer_finish but the batch's delivery: the pending token emitted
 * (into the batch, or delivered when too long for it). */
int tp_tokenizer_end(struct tp_tokenizer *tk);

/* The apostrophe rules (tp_tokenizer_opts.elide, .apocope) of the documents
 * from the next one on: call between documents, after tp_tokenizer_reset and
 * before the first byte (--lang auto gives each document its language). */
void tp_tokenizer_set_apostrophes(struct tp_tokenizer *tk, int elide, int apocope);

/* Inside the token callback (fn, not a batch) of a tokenizer made with
 * opts.offsets: where the token stands in the document's bytes as fed since
 * the last reset, [*start, *end): from its first character to its last (an
 * elided "dell'" ends after its apostrophe), before any normalization. */
void tp_tokenizer_span(const struct tp_tokenizer *tk, uint64_t *start, uint64_t *end);

/* Runs dropped for being longer than TP_TOKEN_MAX, since creation. */
uint64_t tp_tokenizer_overlong(const struct tp_tokenizer *tk);

void tp_tokenizer_free(struct tp_tokenizer *tk);

#endif
