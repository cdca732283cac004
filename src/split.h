/*
 * split.h - where a large input file is cut so that several threads can read
 * it (run_count.c's count_parallel; the reader's side is tp_reader_new_range).
 */
#ifndef TP_SPLIT_H
#define TP_SPLIT_H

#include <stdint.h>
#include <stdio.h>

/* What a cut may fall after. */
enum tp_split_kind {
    TP_SPLIT_TEXT,  /* any line feed (one document of plain text); no line numbers */
    TP_SPLIT_LINES, /* any line feed, lines numbered (a document a line) */
    TP_SPLIT_CSV    /* a line feed outside quoted fields, after the header row (a
                       document a CSV row), lines numbered */
};

/* The size of a share of the scan (struct tp_cuts), unless the caller asks
 * for another: what a thread may steal is no smaller (run_count.c). */
#define TP_SPLIT_GRAIN ((uint64_t)4 << 20)

/* Every document start a LINES or CSV file was found to have at the start
 * of a share of its scan, in file order: at[i] the byte, line[i] its line's
 * number. Later cuts of a part are taken from them (run_count.c's work
 * stealing). */
struct tp_cuts {
    uint64_t *at;
    unsigned long *line;
    size_t n;
    uint64_t grain; /* the size of a share (0: TP_SPLIT_GRAIN), given by the caller */
};

/* Cut the file at path (size bytes) into at most n parts of about equal
 * size, each starting right after a line feed of the kind's: start[k],
 * len[k] and the line number line[k] of its first byte (1-based; 0 for
 * TP_SPLIT_TEXT). LINES and CSV are scanned on n threads, each counting the
 * line feeds and quotes of its shares of the file; a cut is then the first
 * line feed past a share's start with an even number of quotes before it
 * in the file (for CSV: a row boundary in a well-formed file; a malformed
 * one stops the parse of some part at the first error a whole read would
 * meet). With cuts (not NULL), each thread's part of the file is scanned
 * as shares of about cuts->grain bytes (at most 64 a thread) and *cuts gets
 * the cut of every share (none for TP_SPLIT_TEXT; free with tp_cuts_free). Returns the
 * number of parts (0 when the file cannot be read: the caller then reads
 * it whole). */
unsigned tp_split_file(const char *path, uint64_t size, unsigned n, enum tp_split_kind kind,
                       uint64_t *start, uint64_t *len, unsigned long *line, struct tp_cuts *cuts);

void tp_cuts_free(struct tp_cuts *cuts);

/* From *at, a line start of f (of size bytes) numbered *line, the first
 * start of a document line at or after goal, read sequentially from *at:
 * after any line feed, or for csv after a line feed outside quoted fields
 * (quote parity counted from *at, so *at must be a row start). *at and
 * *line become that start and its line number; *at becomes size when no
 * start follows. Returns 0, or -1 when f cannot be read. A --shard share
 * (cli/common.c) and a share's parts for the threads (run_count.c) are cut
 * with it. */
int tp_split_next_start(FILE *f, uint64_t size, int csv, uint64_t goal, uint64_t *at,
                        unsigned long *line);

#endif
