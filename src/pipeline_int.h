/*
 * pipeline_int.h - what pipeline.c, doclang.c and run_count.c share beyond
 * pipeline.h. Nothing else includes it.
 */
#ifndef TP_PIPELINE_INT_H
#define TP_PIPELINE_INT_H

#include <string.h>

#include "pipeline.h"

/* A new corpus counted with the run's settings, listed terms registered
 * (pipeline.c): the run's first corpus and each worker's. */
int tp_run_corpus_new(struct tp_run *run, struct tp_corpus **corpus, struct tp_error *err);

/* The languages --lang auto tells apart, in the order a tie is broken
 * (pipeline.c; doclang.c decides each document among them). */
enum { TP_N_AUTO = 6 };
extern const enum tp_lang tp_auto_langs[TP_N_AUTO];

/* --- stopword lookups of --lang auto (struct tp_langlook, pipeline.h) ----- */

/* The hash of a word given as its two zero-padded words (a fixed mixer: the
 * keys are the fixed stopword lists, so no input can lengthen a probe
 * beyond the lists' own clusters). */
static inline size_t tp_langlook_hash(uint64_t w0, uint64_t w1)
{
    __uint128_t r = (__uint128_t)(w0 ^ 0x9e3779b97f4a7c15ull) * (w1 ^ 0xd6e8feb86659fd93ull);
    return (size_t)((uint64_t)r ^ (uint64_t)(r >> 64));
}

/* The lists the word w0, w1 (1 to 15 bytes, zero padded; or 16 bytes,
 * which no entry is) is on, lk->filter not NULL: a bit for each of
 * tp_auto_langs, 0 for none. A token's bytes are never zero, so its two
 * words are the whole key (its length is where the zeros start), and a word
 * longer than every entry matches none: its length needs no test. Most
 * tokens of a text are on no list, and most of those stop at the filter
 * (then the empty slot is read): what the lookups touch is the filter and
 * the slots of the frequent stopwords, which stay in cache. The table is
 * sparse, so a stopword is nearly always in its first slot. */
static inline unsigned tp_langlook_words(const struct tp_langlook *lk, uint64_t w0, uint64_t w1)
{
    const uint64_t key = 0x00ffffffffffffffull; /* a slot's second word less its lists */
    size_t h = tp_langlook_hash(w0, w1), b = (h >> 40) & (TP_LANGLOOK_FILTER_BITS - 1);
    size_t pass = lk->filter[b / 64] >> (b % 64) & 1;
    size_t i = (h & lk->mask & -pass) | ((lk->mask + 1) & (pass - 1));
    const uint64_t *sl = lk->slots + 2 * i;
    uint64_t k0 = sl[0], k1 = sl[1];
    uint64_t miss = (k0 ^ w0) | ((k1 & key) ^ w1);
    /* one branch, taken when the slot holds another word: no branch on the
     * hit, nor on whether the filter stopped the word */
    if (__builtin_expect(!(k0 & -(uint64_t)(miss != 0)), 1))
        return (unsigned)(k1 >> 56) & -(unsigned)!miss;
    for (i = (i + 1) & lk->mask;; i = (i + 1) & lk->mask) {
        sl = lk->slots + 2 * i;
        if (sl[0] == w0 && (sl[1] & key) == w1)
            return (unsigned)(sl[1] >> 56);
        if (!sl[0])
            return 0;
    }
}

/* The lists a batch's token tok[0..len) (1 to 16 bytes, zero padded, case
 * folded) is on, lk->filter not NULL; an elided head ("l'") is looked up
 * as "l", as the sample and the stopwords take it: only its apostrophe is
 * cleared, in a register. */
static inline unsigned tp_langlook_token(const struct tp_langlook *lk, const char *tok, size_t len)
{
    uint64_t w0, w1;
    memcpy(&w0, tok, 8);
    memcpy(&w1, tok + 8, 8);
    if (len > 1 && tok[len - 1] == '\'') {
        uint64_t apos = (uint64_t)0xFF << (8 * ((len - 1) % 8));
        if (len <= 8)
            w0 &= ~apos;
        else
            w1 &= ~apos;
    }
    return tp_langlook_words(lk, w0, w1);
}

#endif
