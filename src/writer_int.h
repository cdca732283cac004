/*
 * writer_int.h - the insides of struct tp_out, shared by writer.c (tables,
 * memory parts, files) and writer_cells.c (cells rendered once and copied
 * into many rows, struct tp_cells): the object, where its bytes go, and how a
 * cell becomes CSV. Not for use outside the writer.
 */
#ifndef TP_WRITER_INT_H
#define TP_WRITER_INT_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "writer.h"

struct tp_out {
    FILE *f;
    char *path; /* final path (a symlink's target), NULL for stdout */
    char *tmp;  /* temporary path, NULL when written straight through */
    int flags;
    char sep;
    int n_cells; /* cells written in the current row */
    int failed;  /* a write failed */
    int err_no;
    int finished, published;
    int direct; /* a FIFO or a device: written straight through */
    int in_set; /* part of a tp_outset: the set renames it */
    int slot;   /* index in the signal cleanup table, or -1 */
    char *qbuf; /* quoting buffer */
    size_t qcap;
    char *mem; /* tp_out_open_mem: the rows written so far */
    size_t mem_len, mem_cap;
    int in_mem;
    FILE *spool;              /* ... and those past MEM_PART_MAX, in a temporary file */
    uint64_t written, synced; /* a file's bytes handed to stdio; sent to the disk */
    struct tp_cell_sink sinks[2];
    int n_sinks;
    char *head; /* TP_OUT_CELL_HEAD: the records of the first rows' cells */
    size_t head_len, head_cap;
    uint64_t n_rows, head_rows; /* rows written; rows in head */
    int past_head;              /* a part after the head: no head kept (tp_out_past_head) */
    size_t b_len;               /* bytes in b */
    unsigned char special[256]; /* 1 for the bytes that make a text cell quoted */
    char b[1 << 16];
    size_t b_at;                 /* a cell-log replay: the next byte of b to read */
    struct tp_direct *direct_io; /* writer_direct.c: the file's writes past the page cache */
    int direct_tried;            /* the switch to them was tried (or ruled out) */
    pthread_t sync_thread;       /* tp_out_sync_start's fsync, while sync_started */
    int sync_started, sync_err;  /* (sync_err: its errno, read once joined) */
    int sync_fd;                 /* the descriptor it syncs */
    uint64_t synced_at;          /* o->written when it started */
};

/* Whether an fsync's errno is a failure: a file system that cannot sync
 * (EINVAL) or a read-only one (EROFS) has nothing more to do. */
static inline int tp_sync_failed(int e)
{
    return e && e != EINVAL && e != EROFS;
}

/* writer_direct.c: a temporary table file of TP_DIRECT_FROM bytes or more
 * goes on in direct writes of TP_DIRECT_CHUNK bytes, on a thread of its own.
 * tp_direct_start switches o (its stdio flushed, o->written a multiple of
 * TP_DIRECT_ALIGN) and returns 0, or -1 to leave it buffered; tp_direct_put
 * takes bytes as tp_out_emit does; tp_direct_end writes the rest and leaves o
 * buffered again (stdio at its end), returning 0 or -1 (o->failed set);
 * tp_direct_free drops it all (o is being freed). */
#define TP_DIRECT_FROM ((uint64_t)8 << 20)
#define TP_DIRECT_CHUNK ((size_t)4 << 20)
/* What O_DIRECT asks of offsets, lengths and buffers: 4096 serves 512-byte
 * and 4 KiB logical blocks alike. */
#define TP_DIRECT_ALIGN 4096u
/* A table written direct (always one synced before it is renamed into
 * place) has its thread sync what it wrote each time it has written this
 * much more, while the table goes on: what the disk's cache holds is then
 * little when the final fsync waits for it. */
#define TP_DIRECT_SYNC_STEP ((uint64_t)8 << 20)
int tp_direct_start(struct tp_out *o);
void tp_direct_put(struct tp_out *o, const char *s, size_t n);
int tp_direct_end(struct tp_out *o);
void tp_direct_free(struct tp_out *o);

/* Write s[0..n) where the table's bytes go (the file, or memory). */
void tp_out_emit(struct tp_out *o, const char *s, size_t n);
/* Hand the buffered bytes to tp_out_emit. */
void tp_out_drain(struct tp_out *o);

/* Copy n bytes, few as a rule: fixed-size moves the compiler inlines
 * instead of a call to memcpy per cell. */
static inline void tp_out_copy_short(char *d, const char *s, size_t n)
{
    if (n >= 8 && n <= 16) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        memcpy(d, s, n);
    }
}

static inline void tp_out_put(struct tp_out *o, const char *s, size_t n)
{
    if (o->b_len + n > sizeof(o->b)) {
        tp_out_drain(o);
        if (n > sizeof(o->b)) {
            tp_out_emit(o, s, n);
            return;
        }
    }
    tp_out_copy_short(o->b + o->b_len, s, n);
    o->b_len += n;
}

/* Whether text cell s[0..len) is quoted: an edge space, or the separator, a
 * quote, CR or LF anywhere in it. */
static inline int tp_out_needs_quotes(const struct tp_out *o, const char *s, size_t len)
{
    if (!len)
        return 0;
    if (s[0] == ' ' || s[len - 1] == ' ')
        return 1;
    const unsigned char *u = (const unsigned char *)s;
    unsigned any = 0;
    for (size_t i = 0; i < len; i++)
        any |= o->special[u[i]];
    return (int)any;
}

/* Whether the --excel dialect prefixes text cell s[0..len) with ' (so no
 * spreadsheet reads it as a formula). */
static inline int tp_out_excel_prefix(const struct tp_out *o, const char *s, size_t len)
{
    return (o->flags & TP_OUT_EXCEL) && len && strchr("=+-@\t\r", s[0]) != NULL;
}

/* Bytes text_csv writes at most for a cell of len bytes. */
static inline size_t tp_out_text_csv_max(size_t len)
{
    return 2 * len + 3;
}

/* The CSV of text cell s[0..len) in o's dialect into d (room for
 * tp_out_text_csv_max(len) bytes): the bytes as they are, or quoted with their
 * quotes doubled (libcsv's csv_write), after the ' of excel_prefix. Returns
 * the length. */
static inline size_t tp_out_text_csv(const struct tp_out *o, const char *s, size_t len, char *d)
{
    int prefix = tp_out_excel_prefix(o, s, len);
    char *p = d;
    if (!tp_out_needs_quotes(o, s, len)) {
        if (prefix)
            *p++ = '\'';
        memcpy(p, s, len);
        return (size_t)(p - d) + len;
    }
    *p++ = '"';
    if (prefix)
        *p++ = '\'';
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            *p++ = '"';
        *p++ = s[i];
    }
    *p++ = '"';
    return (size_t)(p - d);
}

/* Whether o's cells go to its CSV only (no sinks, no cell records). */
static inline int tp_out_csv_only(const struct tp_out *o)
{
    return !(o->flags & (TP_OUT_CELL_LOG | TP_OUT_CELL_HEAD | TP_OUT_NO_CSV)) && !o->n_sinks;
}

#endif
