/*
 * arena.h - an append-only byte arena. Term bytes and document ids live here,
 * immutable, and are freed all at once: no per-string malloc, no fragmentation.
 */
#ifndef TP_ARENA_H
#define TP_ARENA_H

#include <stddef.h>

struct tp_arena_chunk;

struct tp_arena {
    struct tp_arena_chunk *head; /* newest chunk first */
    char *cur;                   /* next free byte in head */
    size_t left;                 /* free bytes in head */
    size_t used;                 /* bytes handed out, for statistics */
};

#define TP_ARENA_INIT                                                                              \
    {                                                                                              \
        0                                                                                          \
    }

/* Return len bytes of storage owned by the arena (valid until
 * tp_arena_release), or NULL when out of memory. */
void *tp_arena_alloc(struct tp_arena *a, size_t len);

/* Copy s[0..len) into the arena with a NUL after it; NULL when out of memory. */
char *tp_arena_strndup(struct tp_arena *a, const char *s, size_t len);

/* Move src's chunks to dst: what src handed out stays where it is, owned
 * by dst (freed with it); src is empty and reusable afterwards. dst goes on
 * filling its own newest chunk. */
void tp_arena_adopt(struct tp_arena *dst, struct tp_arena *src);

/* Free every chunk; the arena is empty and reusable afterwards. */
void tp_arena_release(struct tp_arena *a);

#endif
