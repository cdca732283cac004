/*
 * test_heap.c - unit tests of src/heap.c: after tp_heap_huge (the main
 * heap) and tp_heap_thread_huge (a worker's arena), the first large block a
 * run makes begins on a 2 MiB boundary and is faulted in 2 MiB at a time.
 *
 * The faults are counted with getrusage around writing the block; the check
 * is skipped where the kernel gives no huge pages on request
 * (transparent_hugepage "never") or gave ordinary ones this time (its
 * thp_fault_fallback counter moved), and where the heap cannot be grown (a
 * sanitizer's allocator: tp_heap_huge then does nothing).
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "heap.h"

#define MIB ((size_t)1 << 20)
#define BLOCK (8 * MIB)

/* Whether the kernel gives huge pages where asked (madvise or always). */
static int thp_on_request(void)
{
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f)
        return 0;
    char line[128] = "";
    int ok = fgets(line, sizeof(line), f) && !strstr(line, "[never]");
    fclose(f);
    return ok;
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
        cr_skip_test("the heap was not grown (another allocator)");
    struct touch t = {malloc(BLOCK), 0, 0};
    cr_assert_not_null(t.p);
    /* what malloc makes next begins on a boundary: none of it lies in a
     * 2 MiB page that can never be a huge one */
    cr_assert_eq((uintptr_t)t.p % (2 * MIB), 0, "block at %p", (void *)t.p);
    if (!thp_on_request())
        cr_skip_test("transparent_hugepage is never");
    touch(&t, RUSAGE_SELF);
    if (t.fallback)
        cr_skip_test("the kernel had no huge page to give");
    /* 4 faults for 8 MiB in huge pages; 2,048 in 4 KiB ones */
    cr_assert_lt(t.faults, 64, "%ld faults for 8 MiB", t.faults);
    free(t.p);
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

Test(heap, worker_arena_first_block_in_huge_pages)
{
    uintptr_t before = (uintptr_t)sbrk(0);
    tp_heap_huge(1);
    if ((uintptr_t)sbrk(0) - before < 64 * MIB)
        cr_skip_test("the heap was not grown (another allocator)");
    struct touch t = {NULL, 0, 0};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, worker, &t), 0);
    pthread_join(th, NULL);
    cr_assert_not_null(t.p);
    cr_assert_eq((uintptr_t)t.p % (2 * MIB), 0, "block at %p", (void *)t.p);
    if (!thp_on_request())
        cr_skip_test("transparent_hugepage is never");
    if (t.fallback)
        cr_skip_test("the kernel had no huge page to give");
    cr_assert_lt(t.faults, 64, "%ld faults for 8 MiB", t.faults);
    free(t.p);
}
