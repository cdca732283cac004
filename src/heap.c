/*
 * heap.c - the heap in huge pages (see heap.h). A page fault costs this VM
 * several microseconds, and glibc grows a heap a few pages at a time, so the
 * kernel, which gives huge pages only where asked (transparent_hugepage
 * "madvise", as on this project's machines), never has a whole 2 MiB page
 * to give: every 4 KiB page of a table is a fault, and the tables' random
 * lookups miss the TLB more. Here the main heap is grown once and advised at
 * start, and each worker thread does the same with its arena.
 *
 * Core state: arenas_huge, set once at start, before any thread, when
 * malloc's thresholds were raised (every arena's, not only the main heap's):
 * blocks up to 32 MiB then come from the heaps, and freed memory is kept
 * (not trimmed), so an advised range stays one mapping. Only a run on no more
 * threads than cores, and at most HUGE_THREADS_MAX, asks: each arena keeps
 * its blocks and its huge pages, so the peak RSS they add grows with the
 * threads (glibc makes up to 8 arenas a core).
 */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE, sbrk */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heap.h"
#include "pipeline.h"

/* The main heap's first HEAP_HUGE bytes, reserved at start and asked for in
 * huge pages. */
#define HEAP_HUGE ((size_t)64 << 20)

/* malloc's raised M_MMAP_THRESHOLD: blocks up to this come from the heaps. */
#define BLOCK_MAX (32 << 20)

/* A worker's first arena bytes asked for in huge pages: under BLOCK_MAX, so
 * that they come from the thread's arena, whose heap glibc makes at most
 * 64 MiB. */
#define THREAD_HUGE ((size_t)BLOCK_MAX - ((size_t)2 << 20))

/* The most threads a run may count on and still ask. Each worker's arena
 * keeps its blocks and its huge pages: in the CLI case
 * timeline_threads_copies_memory, made to see 64 cores (a sched_getaffinity
 * shim, glibc.malloc.arena_max=512), peak RSS over one thread's went from
 * +10 to +30 MB at 16 threads and from +15 to +105 MB at 64; at 8, with
 * this cap, +17 MB. So a machine with many cores, counting on one a core by
 * default, goes as before. */
enum { HUGE_THREADS_MAX = 8 };

static int arenas_huge; /* malloc's thresholds raised (tp_heap_huge) */

/* Heap bytes [from, to) advised from their first 2 MiB boundary on (a
 * hint: refused, ordinary pages). A partial 2 MiB page at the end is
 * advised too: it becomes whole as the heap grows. */
static void advise(uintptr_t from, uintptr_t to)
{
#ifdef MADV_HUGEPAGE
    uintptr_t page = (uintptr_t)2 << 20;
    from = (from + page - 1) & ~(page - 1);
    if (from < to)
        madvise((void *)from, to - from, MADV_HUGEPAGE);
#else
    (void)from;
    (void)to;
#endif
}

void tp_heap_huge(unsigned threads)
{
#if defined(MADV_HUGEPAGE) && defined(M_MMAP_THRESHOLD)
    if (threads > tp_threads_for(0) || threads > HUGE_THREADS_MAX)
        return;
    uintptr_t start = (uintptr_t)sbrk(0);
    if (start == (uintptr_t)-1)
        return;
    if (mallopt(M_MMAP_THRESHOLD, BLOCK_MAX) != 1 || mallopt(M_TRIM_THRESHOLD, 1 << 30) != 1)
        return;
    arenas_huge = 1;
    /* the main heap grown by HEAP_HUGE, a reservation: pages are made only
     * when first written */
    if (mallopt(M_TOP_PAD, (int)HEAP_HUGE) != 1)
        return;
    void *p = malloc(1 << 20); /* more than the heap has: it grows by HEAP_HUGE more */
    free(p);
    mallopt(M_TOP_PAD, 128 << 10); /* glibc's default */
    uintptr_t end = (uintptr_t)sbrk(0);
    /* Only a range the heap grew by: when brk could not grow (a mapping just
     * above it, an allocator not glibc's) malloc took an mmap, sbrk(0) did
     * not move, and the range below it is the binary's own image. (The 1 MiB
     * block itself may start in the old top, below start.) */
    if (!p || end == (uintptr_t)-1 || end < start || end - start < HEAP_HUGE)
        return;
    advise(end - HEAP_HUGE, end);
#else
    (void)threads;
#endif
}

/* A first block of THREAD_HUGE bytes grows the thread's arena heap at once
 * (writable, not touched), its 2 MiB pages are advised, and it is
 * freed back to the arena, which hands the same memory out again: the
 * worker's tables (term slots, counters, document records) then take a fault
 * a 2 MiB. */
void tp_heap_thread_huge(void)
{
    if (!arenas_huge)
        return;
    char *p = malloc(THREAD_HUGE);
    if (!p)
        return;
    advise((uintptr_t)p, (uintptr_t)p + THREAD_HUGE);
    free(p);
}
