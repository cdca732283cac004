/*
 * table.c - open-addressing intern tables for terms and id tuples (see
 * table.h). The slot array stores the low 32 bits of the hash so most probes
 * that miss never touch the key bytes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "table.h"
#include "tempora.h"

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline uint64_t load32(const unsigned char *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

uint64_t tp_hash_key[2];
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

/* splitmix64's step: one seed word -> a well mixed key word. */
static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The second word is made odd: multiplying by it is then one-to-one on the
 * low 64 bits, so keys of at most 8 bytes (and word pairs) never all fold to
 * one value, whatever the draw. */
static void set_key(uint64_t seed)
{
    tp_hash_key[0] = splitmix(&seed);
    tp_hash_key[1] = splitmix(&seed) | 1;
}

static void draw_key(void)
{
    const char *env = getenv("TEMPORA_HASH_SEED");
    if (env && *env) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(env, &end, 0);
        if (!*end && !errno) {
            set_key(v);
            return;
        }
    }
    uint64_t k[2];
    if (getrandom(k, sizeof(k), GRND_NONBLOCK) == (ssize_t)sizeof(k)) {
        tp_hash_key[0] = k[0];
        tp_hash_key[1] = k[1] | 1;
        return;
    }
    /* no getrandom (an old kernel, or entropy not ready at boot): the clock,
     * the process and where the loader put things */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t seed = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    seed ^= (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&hash_once ^ (uint64_t)(uintptr_t)&seed;
    set_key(seed);
}

void tp_hash_init(void)
{
    pthread_once(&hash_once, draw_key);
}

void tp_hash_seed(uint64_t seed)
{
    tp_hash_init();
    set_key(seed);
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    /* 64x64 -> 128 multiply of the keyed words, folded */
    __uint128_t r = (__uint128_t)(a ^ tp_hash_key[0]) * (b ^ tp_hash_key[1]);
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* The first 8 bytes of s[0..len), zero padded, without reading past len. */
static inline uint64_t head8(const char *p, size_t len)
{
    const unsigned char *s = (const unsigned char *)p;
    if (len >= 8)
        return load64(s);
    if (len >= 4)
        return load32(s) | (load32(s + len - 4) << ((len - 4) * 8));
    if (len == 0)
        return 0;
    return (uint64_t)s[0] | ((uint64_t)s[len >> 1] << ((len >> 1) * 8)) |
           ((uint64_t)s[len - 1] << ((len - 1) * 8));
}

uint64_t tp_hash_bytes(const void *p, size_t len)
{
    /* Short keys (most words) are read with at most two overlapping loads and
     * no loop, as the zero-padded words tp_hash_words takes (so a caller that
     * holds the words, tp_table_intern_words, gets the same hash). */
    const unsigned char *s = p;
    if (len <= 16) {
        uint64_t w1 = len > 8 ? load64(s + len - 8) >> ((16 - len) * 8) : 0;
        return tp_hash_words(head8(p, len), w1, len);
    }
    uint64_t h = len;
    while (len > 16) {
        h = mix(load64(s) ^ h, load64(s + 8) ^ 0x589965CC75374CC3ull);
        s += 16;
        len -= 16;
    }
    return mix(load64(s + len - 16) ^ h, load64(s + len - 8) ^ 0x1D8E4E27C47D124Full);
}

/* n zeroed bytes, zeroed by writing them. calloc leaves fresh pages mapped
 * to the kernel's shared zero page until written, and the first write to
 * each (after the probes of an insertion have read it) is a copy-on-write
 * fault that, in a process with several threads, interrupts every other core
 * to flush its TLB: one interrupt a 4 KiB page of every table a counting
 * thread grows, a fifth of a two-thread colloc run. */
static void *zalloc(size_t n)
{
    /* through a volatile pointer, which the compiler cannot turn, with the
     * malloc, into calloc */
    static void *(*volatile fill)(void *, int, size_t) = memset;
    void *p = malloc(n);
    if (p)
        fill(p, 0, n);
    return p;
}

static struct tp_slot *slots_new(size_t cap)
{
    return zalloc(cap * sizeof(struct tp_slot));
}

/* Double the slot array and re-place every id (keys are not touched). */
static int slots_grow(struct tp_slot **slots, size_t *mask)
{
    size_t cap = (*mask + 1) * 2;
    struct tp_slot *ns = slots_new(cap);
    if (!ns)
        return TP_ENOMEM;
    for (size_t i = 0; i <= *mask; i++) {
        struct tp_slot s = (*slots)[i];
        if (!s.id1)
            continue;
        size_t j = s.hash & (cap - 1);
        while (ns[j].id1)
            j = (j + 1) & (cap - 1);
        ns[j] = s;
    }
    free(*slots);
    *slots = ns;
    *mask = cap - 1;
    return 0;
}

static int term_slots_grow(struct tp_table *t)
{
    size_t cap = (t->mask + 1) * 2;
    struct tp_term_slot *ns = zalloc(cap * sizeof(*ns));
    if (!ns)
        return TP_ENOMEM;
    for (size_t i = 0; i <= t->mask; i++) {
        struct tp_term_slot sl = t->slots[i];
        if (!sl.id1)
            continue;
        const struct tp_term *e = &t->terms[sl.id1 - 1];
        size_t j = tp_hash_bytes(e->bytes, e->len) & (cap - 1);
        while (ns[j].id1)
            j = (j + 1) & (cap - 1);
        ns[j] = sl;
    }
    free(t->slots);
    t->slots = ns;
    t->mask = cap - 1;
    return 0;
}

int tp_table_init(struct tp_table *t)
{
    tp_hash_init();
    memset(t, 0, sizeof(*t));
    t->slots = zalloc(1024 * sizeof(*t->slots));
    t->cap = 512;
    t->terms = malloc(t->cap * sizeof(*t->terms));
    t->tail = malloc(t->cap * sizeof(*t->tail));
    if (!t->slots || !t->terms || !t->tail) {
        tp_table_release(t);
        return TP_ENOMEM;
    }
    t->mask = 1023;
    return 0;
}

/* Index of the slot holding s[0..len) or of the empty slot where it belongs. */
static inline size_t term_probe(const struct tp_table *t, const char *s, size_t len, uint64_t h,
                                uint64_t head)
{
    uint16_t h16 = (uint16_t)(h >> 32);
    uint16_t l16 = len > 65535 ? 65535 : (uint16_t)len;
    size_t i = h & t->mask;
    for (;;) {
        const struct tp_term_slot *sl = &t->slots[i];
        if (!sl->id1)
            return i;
        if (sl->hash16 == h16 && sl->len16 == l16 && sl->head == head) {
            if (len <= 8)
                return i;
            const struct tp_term *e = &t->terms[sl->id1 - 1];
            if (e->len == len && memcmp(e->bytes, s, len) == 0)
                return i;
        }
        i = (i + 1) & t->mask;
    }
}

int64_t tp_table_find(const struct tp_table *t, const char *s, size_t len)
{
    size_t i = term_probe(t, s, len, tp_hash_bytes(s, len), head8(s, len));
    return (int64_t)t->slots[i].id1 - 1;
}

int64_t tp_table_insert_at(struct tp_table *t, const char *s, size_t len, uint64_t h, uint64_t head,
                           size_t i, int *added)
{
    if (t->n >= UINT32_MAX - 1 || len > UINT32_MAX)
        return TP_ENOMEM;
    if (t->n == t->cap) {
        struct tp_term *nt = realloc(t->terms, 2 * t->cap * sizeof(*nt));
        if (!nt)
            return TP_ENOMEM;
        t->terms = nt;
        uint64_t *tl = realloc(t->tail, 2 * t->cap * sizeof(*tl));
        if (!tl)
            return TP_ENOMEM;
        t->tail = tl;
        t->cap *= 2;
    }
    char *b = tp_arena_strndup(&t->arena, s, len);
    if (!b)
        return TP_ENOMEM;
    size_t id = t->n++;
    t->terms[id] = (struct tp_term){b, (uint32_t)len, 0};
    uint64_t tail = 0;
    if (len > 8)
        memcpy(&tail, b + 8, len < 16 ? len - 8 : 8);
    t->tail[id] = tail;
    t->slots[i] = (struct tp_term_slot){head, (uint32_t)id + 1, (uint16_t)(h >> 32),
                                        len > 65535 ? 65535 : (uint16_t)len};
    if (2 * t->n > t->mask && term_slots_grow(t) < 0)
        return TP_ENOMEM;
    if (added)
        *added = 1;
    return (int64_t)id;
}

int64_t tp_table_intern(struct tp_table *t, const char *s, size_t len, int *added)
{
    uint64_t h = tp_hash_bytes(s, len), head = head8(s, len);
    size_t i = term_probe(t, s, len, h, head);
    if (t->slots[i].id1) {
        if (added)
            *added = 0;
        return t->slots[i].id1 - 1;
    }
    return tp_table_insert_at(t, s, len, h, head, i, added);
}

void tp_table_release(struct tp_table *t)
{
    free(t->slots);
    free(t->terms);
    free(t->tail);
    tp_arena_release(&t->arena);
    memset(t, 0, sizeof(*t));
}

int tp_tuples_init(struct tp_tuples *t, unsigned n)
{
    tp_hash_init();
    memset(t, 0, sizeof(*t));
    t->n = n;
    t->slots = slots_new(1024);
    t->cap = 512;
    t->keys = malloc(t->cap * n * sizeof(uint32_t));
    if (!t->slots || !t->keys) {
        tp_tuples_release(t);
        return TP_ENOMEM;
    }
    t->mask = 1023;
    return 0;
}

int64_t tp_tuples_intern(struct tp_tuples *t, const uint32_t *key)
{
    size_t klen = t->n * sizeof(uint32_t);
    uint32_t h = (uint32_t)tp_hash_bytes(key, klen);
    size_t i = h & t->mask;
    for (;;) {
        struct tp_slot sl = t->slots[i];
        if (!sl.id1)
            break;
        if (sl.hash == h) {
            const uint32_t *k = t->keys + (size_t)(sl.id1 - 1) * t->n;
            unsigned j = 0;
            while (j < t->n && k[j] == key[j])
                j++;
            if (j == t->n)
                return sl.id1 - 1;
        }
        i = (i + 1) & t->mask;
    }
    if (t->n_items >= UINT32_MAX - 1)
        return TP_ENOMEM;
    if (t->max_items && t->n_items >= t->max_items)
        return TP_EDATA;
    if (t->n_items == t->cap) {
        uint32_t *nk = realloc(t->keys, 2 * t->cap * klen);
        if (!nk)
            return TP_ENOMEM;
        t->keys = nk;
        t->cap *= 2;
    }
    size_t id = t->n_items++;
    memcpy(t->keys + id * t->n, key, klen);
    t->slots[i] = (struct tp_slot){h, (uint32_t)id + 1};
    if (2 * t->n_items > t->mask && slots_grow(&t->slots, &t->mask) < 0)
        return TP_ENOMEM;
    return (int64_t)id;
}

int64_t tp_tuples_find(const struct tp_tuples *t, const uint32_t *key)
{
    size_t klen = t->n * sizeof(uint32_t);
    uint32_t h = (uint32_t)tp_hash_bytes(key, klen);
    for (size_t i = h & t->mask; t->slots[i].id1; i = (i + 1) & t->mask) {
        const struct tp_slot *sl = &t->slots[i];
        if (sl->hash == h && memcmp(t->keys + (size_t)(sl->id1 - 1) * t->n, key, klen) == 0)
            return sl->id1 - 1;
    }
    return -1;
}

void tp_tuples_release(struct tp_tuples *t)
{
    free(t->slots);
    free(t->keys);
    memset(t, 0, sizeof(*t));
}

static inline size_t pair_home(uint64_t key, size_t mask)
{
    /* keyed, as the term hash: word ids are in first-seen order, which the
     * text chooses */
    return (size_t)tp_hash_words(key, 0, 0) & mask;
}

int tp_pairs_init(struct tp_pairs *p)
{
    tp_hash_init();
    p->slots = zalloc(4096 * sizeof(*p->slots));
    p->mask = 4095;
    p->n = 0;
    p->max_slots = 0;
    return p->slots ? 0 : TP_ENOMEM;
}

static int pairs_grow(struct tp_pairs *p)
{
    size_t cap = (p->mask + 1) * 2;
    if (p->max_slots && cap > p->max_slots)
        return TP_EDATA;
    struct tp_pair_slot *ns = zalloc(cap * sizeof(*ns));
    if (!ns)
        return TP_ENOMEM;
    for (size_t i = 0; i <= p->mask; i++) {
        if (!p->slots[i].key)
            continue;
        size_t j = pair_home(p->slots[i].key, cap - 1);
        while (ns[j].key)
            j = (j + 1) & (cap - 1);
        ns[j] = p->slots[i];
    }
    free(p->slots);
    p->slots = ns;
    p->mask = cap - 1;
    return 0;
}

/* The slot holding key, or the empty slot where it belongs. */
static inline struct tp_pair_slot *pair_slot(const struct tp_pairs *p, uint64_t key)
{
    for (size_t i = pair_home(key, p->mask);; i = (i + 1) & p->mask) {
        struct tp_pair_slot *sl = &p->slots[i];
        if (sl->key == key || !sl->key)
            return sl;
    }
}

static inline int pairs_add_key(struct tp_pairs *p, uint64_t key, uint64_t n)
{
    struct tp_pair_slot *sl = pair_slot(p, key);
    if (sl->key) {
        sl->count += n;
        return 0;
    }
    sl->key = key;
    sl->count = n;
    p->n++;
    return 2 * p->n > p->mask ? pairs_grow(p) : 0;
}

int tp_pairs_add(struct tp_pairs *p, uint32_t w1, uint32_t w2, uint64_t n)
{
    return pairs_add_key(p, tp_pair_key(w1, w2), n);
}

int tp_pairs_add_keys(struct tp_pairs *p, const uint64_t *keys, size_t n)
{
    enum { AHEAD = 24 };
    for (size_t i = 0; i < n && i < AHEAD; i++)
        __builtin_prefetch(&p->slots[pair_home(keys[i], p->mask)], 1);
    for (size_t i = 0; i < n; i++) {
        if (i + AHEAD < n)
            __builtin_prefetch(&p->slots[pair_home(keys[i + AHEAD], p->mask)], 1);
        int rc = pairs_add_key(p, keys[i], 1);
        if (rc)
            return rc;
    }
    return 0;
}

void tp_pairs_sub_keys(struct tp_pairs *p, const uint64_t *keys, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        struct tp_pair_slot *sl = pair_slot(p, keys[k]);
        if (sl->key)
            sl->count -= sl->count > 0;
    }
}

void tp_pairs_release(struct tp_pairs *p)
{
    free(p->slots);
    memset(p, 0, sizeof(*p));
}
