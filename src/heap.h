/*
 * heap.h - the heap in huge pages (heap.c; docs/architecture.md, "Start-up"):
 * the main thread's heap, and worker threads' arenas, where a run counts on
 * no more threads than it has cores.
 */
#ifndef TP_HEAP_H
#define TP_HEAP_H

/* At the program's start, before any thread: the main heap grown once and
 * advised, and malloc's thresholds raised, when a run on `threads` threads
 * (tp_threads_for's answer) has as many cores or more and the threads are
 * few (heap.c, HUGE_THREADS_MAX); otherwise nothing. */
void tp_heap_huge(unsigned threads);

/* At a worker thread's start: its arena's first bytes advised too (in a
 * new arena, from its first 2 MiB boundary on, the bytes below it kept from
 * malloc's use), when tp_heap_huge raised the thresholds; otherwise
 * nothing. */
void tp_heap_thread_huge(void);

#endif
