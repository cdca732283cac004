/*
 * tokenizer_fast.h - what tokenizer.c and its fast path (tokenizer_fast.c)
 * share: the character classes, the tokenizer's state, and the fast path's
 * contract. Internal: the public interface is tokenizer.h.
 *
 * The contract: the fast path gives the same tokens as `step()`, in the same
 * segments, for every input and every way of cutting it into chunks, and
 * each window classifier (SSE2, AVX2, AVX-512) gives the same masks and bytes
 * as the generic one (classify16). step() in tokenizer.c is the one home of
 * the token rules; the fast path only takes runs of plain ASCII text whose
 * every token step() would take the same way, and hands anything else (a
 * byte >= 0x80, a joiner, a token that may run on) back to it. How it is
 * held to that: tests/unit/test_tokenizer.c and the libFuzzer target
 * tests/fuzz/fuzz_tokenizer.c tokenize the same bytes with every classifier
 * the processor runs (tp_tokenizer_opts.isa) and with the per-character path
 * alone (no_fast_path), cut into random chunks, and compare the tokens and
 * segment numbers.
 */
#ifndef TP_TOKENIZER_FAST_H
#define TP_TOKENIZER_FAST_H

#include <stddef.h>
#include <stdint.h>
#include <utf8proc.h>

#include "tokenizer.h"

enum cls {
    C_OTHER,  /* punctuation or symbol that separates but does not break */
    C_LETTER, /* L* */
    C_MARK,   /* M*: continues a word */
    C_DIGIT,  /* Nd */
    C_HYPHEN, /* - U+2010 U+2011 */
    C_APOS,   /* ' U+2019 U+02BC */
    C_DIGSEP, /* . , join digits, otherwise break (':' is a C_BREAK) */
    C_BREAK,  /* ; : ! ? ( ) [ ] { } ... dashes */
    C_SPACE,  /* blanks that keep a blank line blank */
    C_NL,     /* line feed, U+2028 */
    C_PARA,   /* U+2029: a blank line by itself */
    C_SOFT    /* soft hyphen: invisible, ignored */
};

enum pend { P_NONE, P_HYPHEN, P_APOS, P_DIGSEP };

/* A window classifier of the fast path: the classes of the 64 bytes at p into m
 * (struct win_mask), the bytes (lowered unless keep_case) to out. */
struct win_mask;
typedef void classify64_fn(const unsigned char *p, char *out, int keep_case, struct win_mask *m);

struct tp_tokenizer {
    struct tp_tokenizer_opts o;
    classify64_fn *classify; /* classify64_*, the widest the processor has */
    tp_token_fn *fn;
    void *ctx;
    int utf8proc_opts;

    char tok[TP_TOKEN_MAX + 32];
    size_t tok_len;
    int nonascii;
    int overlong;
    enum cls last; /* class of the last word character appended */
    enum pend pending;
    char pend_byte; /* what a held joiner adds: '-' (any hyphen), or the '.' or ',' */

    int brk;     /* a break was seen since the last token */
    int nl_seen; /* only blanks since the last line end */
    int cr_last; /* the last byte was a CR: a LF now ends no second line */
    uint32_t seg;
    uint64_t n_emitted;
    uint64_t n_overlong;
    uint64_t n_overlong_reset; /* n_overlong at the last tp_tokenizer_reset */

    unsigned char carry[4];
    size_t carry_len;

    /* byte offsets (opts.offsets): the document offset of pos_ptr[0], so a
     * character at b is at pos_base + (b - pos_ptr); fed: bytes fed before
     * the current chunk; the pending token's [tok_start, tok_end); the end of
     * a held joiner; the span of the token being delivered */
    const char *pos_ptr;
    uint64_t pos_base, fed;
    uint64_t tok_start, tok_end, pend_end;
    uint64_t span_start, span_end;

    char win[64]; /* the window the fast path lowers, for tokens not batched */

    tp_batch_fn *bfn; /* NULL: one token at a time */
    struct tp_token_batch batch;

    utf8proc_int32_t *ubuf;
    size_t ubuf_cap;
};

/* The token buffer has 16 bytes of slack past TP_TOKEN_MAX: the SSE2 letter
 * run stores 16 bytes at a time at any length up to TP_TOKEN_MAX. */
_Static_assert(sizeof(((struct tp_tokenizer *)0)->tok) >= TP_TOKEN_MAX + 16,
               "tok needs 16 bytes of slack for letter_run's stores");
/* A window is 64 bytes: one bit of a uint64_t mask a byte. */
_Static_assert(sizeof(((struct tp_tokenizer *)0)->win) == 64, "the fast path's window is 64 bytes");

/* (tokenizer.c) Hand one token over: into the batch when batching and it
 * fits (zero padded), else (after the batch) to fn. Returns 0 or the
 * callback's non-zero value. */
int tp_tokenizer_deliver(struct tp_tokenizer *tk, const char *s, size_t n);

#if defined(__SSE2__)
#define TP_TOKENIZER_FAST 1

/* (tokenizer_fast.c) The window classifier for isa (TP_ISA_*; 0: the widest
 * this processor runs). */
classify64_fn *tp_tokenizer_pick_classify(unsigned isa);

/* (tokenizer_fast.c) From s[i], with nothing pending (no token, joiner or
 * carried byte), take 64-byte windows of plain ASCII text and emit their
 * tokens, leaving the state (segment, break, blank-line tracking) as step()
 * would leave it byte by byte. Returns where it stopped: a token start, a
 * byte step() must see, or where fewer than 64 bytes are left; *rc gets a
 * callback's non-zero value (then the return value means nothing). */
size_t tp_tokenizer_fast_run(struct tp_tokenizer *tk, const unsigned char *s, size_t i, size_t len,
                             int *rc);
#endif

#endif
