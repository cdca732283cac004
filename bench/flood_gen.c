/*
 * flood_gen.c - 8-letter tokens for the hash-flooding bench (bench/flood.sh)
 * and the hostile_hash_flood CLI case.
 *
 *   flood_gen crafted N [BITS [SHARE]]   N tokens crafted against the old hash
 *   flood_gen random N                   N random tokens
 *
 * Prints N distinct tokens of 8 letters a-z, one a line. The crafted ones are
 * those whose hash under tempora's old, unkeyed term hash (tp_hash_words before
 * the key: a 64x64 -> 128 multiply by fixed constants, folded) falls, in its
 * low BITS bits (default 19: the slot bits of a table of 2^19 slots, where
 * 200,000 terms end), in the first 1/SHARE of the slots (default 64). A
 * linear-probing table then holds them all in one run of occupied slots at
 * every size up to 2^BITS: each insertion walks the run, quadratic in N. With
 * the keyed hash the same tokens land anywhere, as random ones do.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The old hash of an 8-byte key: w0 its bytes read little-endian, w1 = 0. */
static uint64_t old_hash8(uint64_t w0)
{
    __uint128_t r = (__uint128_t)(w0 ^ 8u ^ 0xA0761D6478BD642Full) *
                    (0x8EBC6AF09C88C6E3ull ^ 0xE7037ED1A0B428DBull);
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* 26^8 */
#define SPACE 208827064576ull

/* Token number i (i < SPACE) as 8 letters; i -> i * 7919 + 12345 mod 26^8 is a
 * bijection (7919 is prime to 26), so distinct i give distinct tokens. */
static uint64_t token(uint64_t i, char out[8])
{
    uint64_t v = (uint64_t)(((__uint128_t)i * 7919u + 12345u) % SPACE), w = 0;
    for (int k = 0; k < 8; k++) {
        out[k] = (char)('a' + v % 26);
        v /= 26;
        w |= (uint64_t)(unsigned char)out[k] << (8 * k);
    }
    return w;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "crafted") && strcmp(argv[1], "random"))) {
        fprintf(stderr, "usage: flood_gen crafted|random N [BITS [SHARE]]\n");
        return 2;
    }
    int crafted = strcmp(argv[1], "crafted") == 0;
    unsigned long long n = strtoull(argv[2], NULL, 10);
    unsigned bits = argc > 3 ? (unsigned)atoi(argv[3]) : 19;
    unsigned long long share = argc > 4 ? strtoull(argv[4], NULL, 10) : 64;
    if (bits < 1 || bits > 40 || share < 1) {
        fprintf(stderr, "flood_gen: BITS 1..40, SHARE >= 1\n");
        return 2;
    }
    uint64_t mask = (1ull << bits) - 1, window = (mask + 1) / share;
    if (window == 0)
        window = 1;
    char tok[9];
    tok[8] = '\n';
    /* random: every SHARE-th token from a start far from the crafted ones',
     * as far apart in the numbering as the crafted ones are on average (so
     * the two sets differ in their hashes only, not in how alike their
     * letters are) */
    uint64_t i = crafted ? 0 : SPACE / 2, step = crafted ? 1 : share;
    for (unsigned long long got = 0; got < n; i += step) {
        if (i >= SPACE) {
            fprintf(stderr, "flood_gen: out of tokens\n");
            return 1;
        }
        uint64_t w = token(i, tok);
        if (crafted && (old_hash8(w) & mask) >= window)
            continue;
        if (fwrite(tok, 1, 9, stdout) != 9)
            return 1;
        got++;
    }
    return fflush(stdout) ? 1 : 0;
}
