/*
 * arena.c - append-only byte arena (see arena.h). Chunks linked newest first:
 * the first of 4 KiB, each next twice the last up to 1 MiB, or larger for a
 * single large request. An arena that holds a few words (a stopword list, a
 * small document's ids) so touches a page or two, not a megabyte: on a heap
 * in huge pages every chunk's first write clears a 2 MiB page.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

struct tp_arena_chunk {
    struct tp_arena_chunk *next;
    size_t cap;
    char data[];
};

enum { CHUNK_FIRST = 1 << 12, CHUNK_SIZE = 1 << 20 };

void *tp_arena_alloc(struct tp_arena *a, size_t len)
{
    /* Keep every allocation 8-byte aligned so callers may store integers;
     * an empty one still gets a byte of its own (a pointer, not NULL, which
     * would read as out of memory). */
    size_t need = ((len ? len : 1) + 7) & ~(size_t)7;
    if (need < len || need > SIZE_MAX - sizeof(struct tp_arena_chunk))
        return NULL;
    if (need > a->left) {
        size_t cap = !a->head                         ? CHUNK_FIRST
                     : a->head->cap >= CHUNK_SIZE / 2 ? CHUNK_SIZE
                                                      : 2 * a->head->cap;
        if (need > cap / 4)
            cap = need > CHUNK_SIZE / 4 ? need : 4 * need;
        struct tp_arena_chunk *c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
        a->cur = c->data;
        a->left = cap;
    }
    void *p = a->cur;
    a->cur += need;
    a->left -= need;
    a->used += len;
    return p;
}

char *tp_arena_strndup(struct tp_arena *a, const char *s, size_t len)
{
    char *p = tp_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void tp_arena_adopt(struct tp_arena *dst, struct tp_arena *src)
{
    if (!src->head)
        return;
    if (!dst->head) {
        *dst = *src;
    } else {
        /* src's chunks after dst's newest, which stays the one filled */
        struct tp_arena_chunk *tail = src->head;
        while (tail->next)
            tail = tail->next;
        tail->next = dst->head->next;
        dst->head->next = src->head;
        dst->used += src->used;
    }
    memset(src, 0, sizeof(*src));
}

void tp_arena_release(struct tp_arena *a)
{
    struct tp_arena_chunk *c = a->head;
    while (c) {
        struct tp_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    memset(a, 0, sizeof(*a));
}
