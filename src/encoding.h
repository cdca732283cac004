/*
 * encoding.h - byte decoding for the reader: UTF-8 validation, UTF-8 with
 * U+FFFD replacement, Latin-1 and CP1252 to UTF-8.
 *
 * A decoder is fed a document in chunks of any size and writes UTF-8 that
 * always ends at a code point boundary: an incomplete sequence at the end of a
 * chunk is carried over to the next one (at most 3 bytes), so the reader can
 * pass each output chunk straight to the sink.
 */
#ifndef TP_ENCODING_H
#define TP_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "tempora.h"

/* Output bytes a feed of n input bytes may write, carried bytes included. */
#define TP_DECODE_BOUND(n) (3 * ((size_t)(n) + 4))

struct tp_decoder {
    enum tp_encoding enc; /* TP_ENC_AUTO: only check validity, write nothing */
    unsigned char carry[4];
    size_t n_carry;
    uint64_t n_invalid; /* TP_ENC_UTF8: sequences replaced by U+FFFD */
    int bad;            /* TP_ENC_AUTO: an invalid sequence was seen */
    int trusted;        /* TP_ENC_UTF8 on bytes already checked valid: copy, only
                           holding back a sequence cut by the chunk's end */
};

/* Set d up for a new document decoded as enc: TP_ENC_UTF8 (invalid sequences
 * become U+FFFD, one per maximal ill-formed subpart as Unicode recommends),
 * TP_ENC_LATIN1, TP_ENC_CP1252 (its five undefined bytes map to the C1
 * controls of the same value), or TP_ENC_AUTO to check UTF-8 validity only. */
void tp_decoder_init(struct tp_decoder *d, enum tp_encoding enc);

/* Decode p[0..n) into out, which must have room for TP_DECODE_BOUND(n) bytes;
 * last says the document ends with this chunk (a truncated sequence then
 * counts as invalid). Returns the number of bytes written, which end at a code
 * point boundary. Never fails. */
size_t tp_decoder_feed(struct tp_decoder *d, const void *p, size_t n, int last, char *out);

/* A UTF-16 decoder (a file that starts with a byte order mark): fed in chunks
 * of any size, it writes UTF-8 ending at a code point boundary, carrying an odd
 * byte or a high surrogate over to the next chunk. An unpaired surrogate
 * becomes U+FFFD and is counted in n_invalid. */
struct tp_utf16 {
    int big_endian;
    unsigned char carry; /* an odd byte left over */
    int has_carry;
    unsigned high; /* a high surrogate waiting for its low half, or 0 */
    uint64_t n_invalid;
};

void tp_utf16_init(struct tp_utf16 *d, int big_endian);

/* Decode p[0..n) into out (room for TP_DECODE_BOUND(n) bytes); last says the
 * text ends here. Returns the bytes written. */
size_t tp_utf16_feed(struct tp_utf16 *d, const void *p, size_t n, int last, char *out);

/* Is p[0..n) entirely valid UTF-8 (no overlongs, surrogates or code points
 * above U+10FFFF, nothing truncated)? */
int tp_encoding_is_utf8(const void *p, size_t n);

/* Length of the longest prefix of p[0..n) made of complete valid UTF-8
 * sequences. */
size_t tp_encoding_valid_prefix(const void *p, size_t n);

/* The same, character by character only (what the bulk check is tested
 * against). */
size_t tp_encoding_valid_prefix_scalar(const void *p, size_t n);

/* Whether p[0..n) (n > 0) is the start of a valid UTF-8 sequence cut short:
 * what the next bytes of a chunk may complete. */
int tp_encoding_cut_short(const void *p, size_t n);

#endif
