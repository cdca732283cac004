/*
 * heap.c - the heap in huge pages (see heap.h). A page fault costs this VM
 * several microseconds, and glibc grows a heap a few pages at a time, so the
 * kernel, which gives huge pages only where asked (transparent_hugepage
 * "madvise", as on this project's machines), never has a whole 2 MiB page
 * to give: every 4 KiB page of a table is a fault, and the tables' random
 * lookups miss the TLB more. Here the main heap is grown once and advised at
 * start, and each worker thread does the same with its arena.
 *
 * A huge page is a whole 2 MiB page of the mapping, so the bytes of a heap
 * below its first 2 MiB boundary never get one; and malloc makes new blocks
 * from the lowest bytes of a heap's top. Each heap's top is therefore moved
 * up to that boundary, or past the first 2 MiB page malloc wrote to before
 * the range was advised, by a block that is kept and never read
 * (skip_to_page): under 3 MiB of address space, its pages released. Without
 * it the first tables of a run took a fault each 4 KiB there (it20.txt
 * freq: about 480 of its 600-800).
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
#include <string.h>
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

/* What glibc aligns a thread's arena heap to (HEAP_MAX_SIZE: twice the
 * largest M_MMAP_THRESHOLD, 32 MiB on 64-bit systems). */
#define ARENA_ALIGN ((uintptr_t)64 << 20)

/* The most threads a run may count on and still ask. Each worker's arena
 * keeps its blocks and its huge pages: in the CLI case
 * timeline_threads_copies_memory, made to see 64 cores (a sched_getaffinity
 * shim, glibc.malloc.arena_max=512), peak RSS over one thread's went from
 * +10 to +30 MB at 16 threads and from +15 to +105 MB at 64; at 8, with
 * this cap, +17 MB. So a machine with many cores, counting on one a core by
 * default, goes as before. */
enum { HUGE_THREADS_MAX = 8 };

static int arenas_huge; /* malloc's thresholds raised (tp_heap_huge) */

/* The size of a huge page, and of the steps advise and skip_to_page align to. */
#define HUGE_PAGE ((uintptr_t)2 << 20)

/* malloc's chunk header: a block's bytes begin this far past its chunk. */
#define CHUNK_HEAD 16

/* The first 2 MiB boundary at or above a. */
static uintptr_t page_up(uintptr_t a)
{
    return (a + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

/* The blocks skip_to_page keeps, each holding the one before in its first
 * bytes (written once, in the page its chunk header is in): reachable, so
 * that a leak checker does not count them. */
static void *skipped;

/* The 4 KiB pages wholly inside [from, to) given back to the kernel and kept
 * out of huge pages: a skip block is never read, so its bytes need no
 * memory, whatever made them resident (MALLOC_PERTURB_ fills a new block; a
 * heap reused by an earlier thread had written them; khugepaged could fill
 * a range that transparent_hugepage "always" covers). */
static void release(uintptr_t from, uintptr_t to)
{
    uintptr_t small = 4096;
    from = (from + small - 1) & ~(small - 1);
    to &= ~(small - 1);
    if (from >= to)
        return;
#ifdef MADV_NOHUGEPAGE
    madvise((void *)from, to - from, MADV_NOHUGEPAGE);
#endif
    madvise((void *)from, to - from, MADV_DONTNEED);
}

/* A heap whose top chunk starts at top: a block that takes its bytes up to
 * the first 2 MiB boundary at or past top + 48 (a chunk's least size and
 * the next chunk's header) and at or past written (the end of bytes written
 * before the range was advised: their 2 MiB page has ordinary pages), so
 * that the next block malloc makes from the top begins on it. Kept for the
 * run (freed, its bytes would be handed out first again) and its pages
 * released: address space, not memory. Returns the boundary, or 0 when
 * malloc put the block elsewhere (freed again). */
static uintptr_t skip_to_page(uintptr_t top, uintptr_t written)
{
    uintptr_t a = page_up(top + 3 * CHUNK_HEAD), b = page_up(written);
    uintptr_t bound = a > b ? a : b;
    /* the block's chunk at top, the next at bound - CHUNK_HEAD: its size
     * bound - CHUNK_HEAD - top, asked as that less the 8 bytes malloc adds */
    size_t chunk = (size_t)(bound - CHUNK_HEAD - top);
    char *skip = malloc(chunk - 8);
    if (!skip)
        return 0;
    if ((uintptr_t)skip != top + CHUNK_HEAD) {
        free(skip);
        return 0;
    }
    void *prev = __atomic_load_n(&skipped, __ATOMIC_RELAXED);
    do
        memcpy(skip, &prev, sizeof(prev));
    while (
        !__atomic_compare_exchange_n(&skipped, &prev, skip, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
    release((uintptr_t)skip + sizeof(prev), bound - CHUNK_HEAD);
    return bound;
}

/* Heap bytes [from, to) advised from their first 2 MiB boundary on (a
 * hint: refused, ordinary pages). A partial 2 MiB page at the end is
 * advised too, but what a heap grows by later is a mapping of its own,
 * not advised (a thread's arena past its first THREAD_HUGE bytes). */
static void advise(uintptr_t from, uintptr_t to)
{
#ifdef MADV_HUGEPAGE
    from = page_up(from);
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
    uintptr_t bound = 0;
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
    /* The top chunk ends at the break; mallinfo2's keepcost is its size.
     * The heap grew, so p was made from the top, at its start, and freed
     * back into it: while p was out, the top began past p, and its header
     * was written there. */
    struct mallinfo2 mi = mallinfo2();
    if (mi.keepcost >= HEAP_HUGE) {
        uintptr_t top = end - mi.keepcost;
        bound = skip_to_page(top, top + CHUNK_HEAD + ((uintptr_t)1 << 20) + CHUNK_HEAD);
    }
#endif
    advise(bound ? bound : end - HEAP_HUGE, end);
#else
    (void)threads;
#endif
}

/* A first block of THREAD_HUGE bytes grows the thread's arena heap at once
 * (writable, not touched), its 2 MiB pages are advised, and it is
 * freed back to the arena, which hands the same memory out again: the
 * worker's tables (term slots, counters, document records) then take a fault
 * a 2 MiB. In a new arena the bytes below the first boundary are skipped
 * first. */
void tp_heap_thread_huge(void)
{
    if (!arenas_huge)
        return;
    char *p = malloc(THREAD_HUGE);
    if (!p)
        return;
    uintptr_t at = (uintptr_t)p;
    size_t n = THREAD_HUGE;
    /* A thread's arena heap starts on a multiple of ARENA_ALIGN, so a block
     * within its first 2 MiB is most likely the first of a new arena, whose
     * bytes below the boundary are skipped. An arena a worker before this
     * one left has its skip already, and its block lies past it. (Where the
     * guess is wrong, an arena another thread used first, or the main
     * heap's when malloc falls back to it, the skip's pages are released
     * all the same: up to 2 MiB of address space more.) */
    if ((at & (ARENA_ALIGN - 1)) < HUGE_PAGE) {
        free(p);
        uintptr_t bound = skip_to_page(at - CHUNK_HEAD, 0);
        n = THREAD_HUGE - (size_t)(bound ? bound - at : 0);
        if (!(p = malloc(n)))
            return;
    }
    advise((uintptr_t)p, (uintptr_t)p + n);
    free(p);
}
