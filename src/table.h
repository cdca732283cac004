/*
 * table.h - interning: term bytes -> dense uint32 ids, and fixed-length tuples
 * of ids (n-grams, word pairs) -> dense ids.
 *
 * Both are open-addressing tables (linear probing, power-of-two capacity, load
 * at most 1/2) whose slots hold {hash, id + 1}; the keys live in a dense array
 * indexed by id (word2vec's vocab_hash). A term slot also holds the term's
 * length and first 8 bytes, so looking up a short word (most words) touches
 * one slot and nothing else. Ids are assigned in first-seen
 * order and never change, so per-term arrays elsewhere are indexed by id.
 * Nothing is ever deleted: no tombstones.
 */
#ifndef TP_TABLE_H
#define TP_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

struct tp_term {
    const char *bytes; /* NUL-terminated, owned by the table's arena */
    uint32_t len;
    uint32_t flags; /* TP_TERM_* */
};

#define TP_TERM_STOP 1u  /* on the stopword list: counted, never reported */
#define TP_TERM_SHORT 2u /* shorter than --min-length: counted, never reported */
#define TP_TERM_SEEN 4u  /* occurred in the text (not only registered) */

struct tp_slot {
    uint32_t hash;
    uint32_t id1; /* id + 1; 0 = empty */
};

struct tp_term_slot {
    uint64_t head;   /* first 8 bytes of the term, zero padded */
    uint32_t id1;    /* id + 1; 0 = empty */
    uint16_t hash16; /* bits 32..47 of the hash */
    uint16_t len16;  /* length, capped at 65535 */
};

struct tp_table {
    struct tp_term_slot *slots;
    size_t mask; /* capacity - 1 */
    struct tp_term *terms;
    uint64_t *tail; /* by id: bytes 8..16 of the term, zero padded (lookup of 9 to 16 bytes) */
    size_t n, cap;
    struct tp_arena arena;
};

/* The key every hash below is keyed with: two words drawn once per process
 * (the second odd), before the first table is made (from getrandom, or from
 * the environment variable TEMPORA_HASH_SEED when it holds a number, decimal
 * or 0x hex, through splitmix64), so which keys collide cannot be worked out
 * in advance (hash flooding). Nothing printed depends on it: ids are in
 * first-seen order and every report sorts by value and name. */
extern uint64_t tp_hash_key[2];

/* Draw tp_hash_key if not yet drawn; the table inits call it. Thread-safe. */
void tp_hash_init(void);

/* Key the hashes from seed (the same seed, the same key). Only while no
 * table, tuple set or pair set exists: for tests and debugging. */
void tp_hash_seed(uint64_t seed);

/* 64-bit hash of bytes (fast for short keys). */
uint64_t tp_hash_bytes(const void *p, size_t len);

/* The hash of a key of 1 to 16 bytes given as its first 8 bytes (w0) and next
 * 8 bytes (w1), both zero padded and read little-endian: the same value as
 * tp_hash_bytes, for callers that already hold the words. */
static inline uint64_t tp_hash_words(uint64_t w0, uint64_t w1, size_t len)
{
    /* 64x64 -> 128 multiply of the keyed words, folded (wyhash's mum): a
     * strong, cheap mixer. */
    __uint128_t r = (__uint128_t)(w0 ^ len ^ tp_hash_key[0]) * (w1 ^ tp_hash_key[1]);
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Prepare an empty table. Returns 0 or TP_ENOMEM. */
int tp_table_init(struct tp_table *t);

/* Id of s[0..len), adding it (bytes copied into the arena) when new; *added
 * (may be NULL) says whether it was new. Returns the id (>= 0) or TP_ENOMEM. */
int64_t tp_table_intern(struct tp_table *t, const char *s, size_t len, int *added);

/* tp_table_intern's insertion half: s[0..len) is absent and slot i is where it
 * belongs (h = its hash, head = its first 8 bytes zero padded). */
int64_t tp_table_insert_at(struct tp_table *t, const char *s, size_t len, uint64_t h, uint64_t head,
                           size_t i, int *added);

/* tp_table_intern for a key of 1 to 16 bytes given also as its two
 * zero-padded little-endian words w0 (bytes 0..8) and w1 (bytes 8..16), and
 * h = tp_hash_words(w0, w1, len); *added is always set (added may not be
 * NULL). A hit on a key of at most 8 bytes touches one slot, of 9 to 16 bytes
 * one slot and its tail. Inline: it is the per-token path. */
/* Whether slot sl holds the key of 1 to 16 bytes with words w0, w1 and hash
 * bits h16 (an empty slot has len16 0, so it never matches). */
static inline int tp_slot_holds(const struct tp_table *t, const struct tp_term_slot *sl, size_t len,
                                uint64_t w0, uint64_t w1, uint16_t h16)
{
    return sl->head == w0 && sl->len16 == len &&
           (len <= 8 || (sl->hash16 == h16 && t->tail[sl->id1 - 1] == w1));
}

static inline int64_t tp_table_intern_words(struct tp_table *t, const char *s, size_t len,
                                            uint64_t w0, uint64_t w1, uint64_t h, int *added)
{
    uint16_t h16 = (uint16_t)(h >> 32);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        const struct tp_term_slot *sl = &t->slots[i];
        if (tp_slot_holds(t, sl, len, w0, w1, h16)) {
            *added = 0;
            return sl->id1 - 1;
        }
        if (!sl->id1)
            return tp_table_insert_at(t, s, len, h, w0, i, added);
    }
}

/* The words interning relies on are little-endian. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TP_TABLE_WORDS 1
#else
#define TP_TABLE_WORDS 0
#endif

/* Id of s[0..len), or -1 when absent. */
int64_t tp_table_find(const struct tp_table *t, const char *s, size_t len);

/* tp_table_find for a key of 1 to 16 bytes given as its zero-padded words
 * (as tp_table_intern_words). */
static inline int64_t tp_table_find_words(const struct tp_table *t, size_t len, uint64_t w0,
                                          uint64_t w1)
{
    uint64_t h = tp_hash_words(w0, w1, len);
    uint16_t h16 = (uint16_t)(h >> 32);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        const struct tp_term_slot *sl = &t->slots[i];
        if (tp_slot_holds(t, sl, len, w0, w1, h16))
            return sl->id1 - 1;
        if (!sl->id1)
            return -1;
    }
}

/* Free everything the table owns. */
void tp_table_release(struct tp_table *t);

/* Tuples of n uint32 ids (n >= 1) -> dense ids; keys stored contiguously,
 * tuple i at keys[i*n .. i*n+n). */
struct tp_tuples {
    struct tp_slot *slots;
    size_t mask;
    uint32_t *keys;
    size_t n_items, cap;
    unsigned n;
    size_t max_items; /* > 0: no new tuple past this many (tp_tuples_intern gives TP_EDATA) */
};

/* The bytes a tuple of n ids takes at most in a table and its counter: the
 * key (its array doubles), up to four slots, and a counter's three 64-bit
 * cells, with room to spare. */
static inline size_t tp_tuples_item_bytes(unsigned n)
{
    return 2 * n * sizeof(uint32_t) + 4 * 8 + 3 * 8 + 8;
}

int tp_tuples_init(struct tp_tuples *t, unsigned n);

/* Id of the tuple key[0..n), added when new. Returns the id, TP_ENOMEM, or
 * TP_EDATA when it is new and the table holds max_items already. */
int64_t tp_tuples_intern(struct tp_tuples *t, const uint32_t *key);

/* Id of the tuple key[0..n), or -1 when it is not in t. */
int64_t tp_tuples_find(const struct tp_tuples *t, const uint32_t *key);

/* The key of tuple id (borrowed; valid until the next intern). */
static inline const uint32_t *tp_tuples_key(const struct tp_tuples *t, size_t id)
{
    return t->keys + id * t->n;
}

void tp_tuples_release(struct tp_tuples *t);

/* Word pairs -> counts. A slot holds the key (w1 + 1) << 32 | w2 (never 0, so
 * 0 marks an empty slot) and the pair's count, so counting a pair touches one
 * slot and nothing else. */
struct tp_pair_slot {
    uint64_t key;
    uint64_t count;
};

struct tp_pairs {
    struct tp_pair_slot *slots;
    size_t mask;
    size_t n;         /* pairs stored */
    size_t max_slots; /* 0, or the table may not grow past this many slots */
};

int tp_pairs_init(struct tp_pairs *p);

/* Add n to the count of (w1, w2). Returns 0, TP_ENOMEM, or TP_EDATA when the
 * table would grow past max_slots. */
int tp_pairs_add(struct tp_pairs *p, uint32_t w1, uint32_t w2, uint64_t n);

static inline uint64_t tp_pair_key(uint32_t w1, uint32_t w2)
{
    return ((uint64_t)w1 + 1) << 32 | w2;
}

/* Add one to each of keys[0..n): the same as n calls of tp_pairs_add, with the
 * slots fetched ahead so the cache misses of a large table overlap. */
int tp_pairs_add_keys(struct tp_pairs *p, const uint64_t *keys, size_t n);

/* Take one off each of keys[0..n), pairs tp_pairs_add_keys added; a key that
 * is not there is left alone. */
void tp_pairs_sub_keys(struct tp_pairs *p, const uint64_t *keys, size_t n);

static inline uint32_t tp_pair_w1(uint64_t key)
{
    return (uint32_t)(key >> 32) - 1;
}

static inline uint32_t tp_pair_w2(uint64_t key)
{
    return (uint32_t)key;
}

void tp_pairs_release(struct tp_pairs *p);

#endif
