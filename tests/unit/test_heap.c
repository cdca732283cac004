/*
 * test_heap.c - unit tests of src/heap.c: after tp_heap_huge (the main
 * heap) and tp_heap_thread_huge (a worker's arena), the first large block a
 * run makes begins on a 2 MiB boundary and is faulted in 2 MiB at a time.
 *
 * The faults are counted with getrusage around writing the block; the check
 * is skipped where the kernel gives no 2 MiB pages on request
 * (transparent_hugepage "never", for all sizes or for 2 MiB, or the process
 * barred by prctl) or gave ordinary ones this time (its thp_fault_fallback
 * counter moved), and where the heap cannot be grown (a sanitizer's
 * allocator: tp_heap_huge then does nothing). And the block that moves a
 * heap's top holds no memory.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <malloc.h>

#include "heap.h"

#define MIB ((size_t)1 << 20)
#define BLOCK (8 * MIB)

/* The first word of a sysfs file, or "" when it cannot be read. */
static void read_word(const char *path, char *w, size_t n)
{
    w[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (!fgets(w, (int)n, f))
        w[0] = '\0';
    fclose(f);
}

/* Whether the kernel gives this process 2 MiB pages where asked: the
 * global setting is madvise or always, the 2 MiB size's own setting (kernels
 * with several sizes) does not say never, and the process is not barred. */
static int thp_on_request(void)
{
    char w[128];
    read_word("/sys/kernel/mm/transparent_hugepage/enabled", w, sizeof(w));
    if (!w[0] || strstr(w, "[never]"))
        return 0;
    read_word("/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/enabled", w, sizeof(w));
    if (strstr(w, "[never]"))
        return 0;
    return prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 0;
}

/* The kernel's count of huge-page faults that fell back to small pages. */
static long thp_fallbacks(void)
{
    FILE *f = fopen("/proc/vmstat", "r");
    if (!f)
        return -1;
    char name[64];
    long v, found = -1;
    while (fscanf(f, "%63s %ld", name, &v) == 2)
        if (!strcmp(name, "thp_fault_fallback"))
            found = v;
    fclose(f);
    return found;
}

/* This process's resident set, in KiB (VmRSS), or -1. */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

struct touch {
    char *p;
    long faults;   /* minor faults while BLOCK bytes of p were written */
    long fallback; /* thp_fault_fallback moved meanwhile */
};

/* Write every byte of a BLOCK-byte block and count the faults it took. */
static void touch(struct touch *t, int who)
{
    struct rusage a, b;
    long fb = thp_fallbacks();
    getrusage(who, &a);
    memset(t->p, 1, BLOCK);
    getrusage(who, &b);
    t->faults = b.ru_minflt - a.ru_minflt;
    t->fallback = thp_fallbacks() != fb;
}

Test(heap, main_heap_first_block_in_huge_pages)
{
    uintptr_t before = (uintptr_t)sbrk(0);
    tp_heap_huge(1);
    if ((uintptr_t)sbrk(0) - before < 64 * MIB)
        cr_skip_test("the heap was not grown (another allocator, or a free block of 1 MiB)");
    struct touch t = {malloc(BLOCK), 0, 0};
    cr_assert_not_null(t.p);
    /* what malloc makes next begins on a boundary: none of it lies in a
     * 2 MiB page that can never be a huge one */
    cr_assert_eq((uintptr_t)t.p % (2 * MIB), 0, "block at %p", (void *)t.p);
    if (!thp_on_request()) {
        free(t.p);
        cr_skip_test("no 2 MiB pages on request here");
    }
    touch(&t, RUSAGE_THREAD);
    free(t.p);
    if (t.fallback)
        cr_skip_test("the kernel had no huge page to give");
    /* 4 faults for 8 MiB in huge pages; 2,048 in 4 KiB ones */
    cr_assert_lt(t.faults, 64, "%ld faults for 8 MiB", t.faults);
}

/* The block that moves the heap's top to the boundary (at least the 1 MiB
 * that grew the heap, up to 3 MiB) holds no memory, even where malloc fills
 * every new block (M_PERTURB, as MALLOC_PERTURB_ does): 92 KiB more were
 * resident after tp_heap_huge here, 1.2-2.9 MiB with the block's pages
 * kept. */
Test(heap, skip_holds_no_memory)
{
    if (mallopt(M_PERTURB, 0x5a) != 1)
        cr_skip_test("malloc is not glibc's (a sanitizer's allocator)");
    long r0 = rss_kib();
    uintptr_t before = (uintptr_t)sbrk(0);
    tp_heap_huge(1);
    long r1 = rss_kib();
    if ((uintptr_t)sbrk(0) - before < 64 * MIB)
        cr_skip_test("the heap was not grown (another allocator, or a free block of 1 MiB)");
    cr_assert(r0 > 0 && r1 > 0);
    cr_assert_lt(r1 - r0, 512, "tp_heap_huge left %ld KiB more resident", r1 - r0);
}

static void *worker(void *arg)
{
    struct touch *t = arg;
    tp_heap_thread_huge();
    t->p = malloc(BLOCK);
    if (t->p)
        touch(t, RUSAGE_THREAD);
    return NULL;
}

/* A worker's first large block: in huge pages (where a new arena's first
 * bytes went to 4 KiB pages, 8 MiB took about 500 faults). Its place is
 * not asserted: the test's process may give the thread an arena that
 * another thread made. */
Test(heap, worker_arena_first_block_in_huge_pages)
{
    uintptr_t before = (uintptr_t)sbrk(0);
    tp_heap_huge(1);
    if ((uintptr_t)sbrk(0) - before < 64 * MIB)
        cr_skip_test("the heap was not grown (another allocator, or a free block of 1 MiB)");
    if (!thp_on_request())
        cr_skip_test("no 2 MiB pages on request here");
    struct touch t = {NULL, 0, 0};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, worker, &t), 0);
    pthread_join(th, NULL);
    cr_assert_not_null(t.p);
    free(t.p);
    if (t.fallback)
        cr_skip_test("the kernel had no huge page to give");
    cr_assert_lt(t.faults, 64, "%ld faults for 8 MiB", t.faults);
}
