/*
 * writer_cells.c - cells rendered once and written into many rows (struct
 * tp_cells, writer.h): kept as CSV and copied whole where a table writes
 * only its CSV, else kept as cell records and passed on one by one. The
 * object's insides are writer_int.h's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"
#include "writer_int.h"

/* Bytes past its end a tp_cells buffer always has (zeros at first):
 * tp_out_cells_row copies cells in whole blocks of this size. */
enum { CELLS_SLACK = 32 };

/* Room for n more bytes in c (and CELLS_SLACK after them); 0, or -1 (c
 * failed) out of memory. */
static int cells_room(struct tp_cells *c, size_t n)
{
    if (c->failed)
        return -1;
    if (c->len + n + CELLS_SLACK <= c->cap)
        return 0;
    size_t cap = c->cap ? c->cap : 64;
    while (cap < c->len + n + CELLS_SLACK)
        cap *= 2;
    char *b = realloc(c->b, cap);
    if (!b) {
        c->failed = 1;
        return -1;
    }
    memset(b + c->cap, 0, cap - c->cap);
    c->b = b;
    c->cap = cap;
    return 0;
}

void tp_cells_clear(struct tp_out *o, struct tp_cells *c)
{
    c->len = 0;
    c->n = 0;
    c->csv = tp_out_csv_only(o);
}

/* A cell of c: in CSV, its bytes after the separator; else a record as
 * log_cell's (kind, length, bytes), passed on cell by cell. */
static void cells_add(struct tp_out *o, struct tp_cells *c, char kind, const char *s, size_t len)
{
    if (!c->csv) {
        uint32_t n = (uint32_t)len;
        if (cells_room(c, 1 + sizeof(n) + len))
            return;
        c->b[c->len] = kind;
        memcpy(c->b + c->len + 1, &n, sizeof(n));
        memcpy(c->b + c->len + 1 + sizeof(n), s, len);
        c->len += 1 + sizeof(n) + len;
        c->n++;
        return;
    }
    if (cells_room(c, 1 + tp_out_text_csv_max(len)))
        return;
    if (c->n++)
        c->b[c->len++] = o->sep;
    if (kind == 't') {
        c->len += tp_out_text_csv(o, s, len, c->b + c->len);
        return;
    }
    /* a number: --excel's decimal comma */
    memcpy(c->b + c->len, s, len);
    char *dot = (o->flags & TP_OUT_EXCEL) ? memchr(c->b + c->len, '.', len) : NULL;
    if (dot)
        *dot = ',';
    c->len += len;
}

void tp_cells_text(struct tp_out *o, struct tp_cells *c, const char *s, size_t len)
{
    cells_add(o, c, 't', s, len);
}

void tp_cells_str(struct tp_out *o, struct tp_cells *c, const char *s)
{
    cells_add(o, c, 't', s ? s : "", s ? strlen(s) : 0);
}

void tp_cells_number(struct tp_out *o, struct tp_cells *c, const char *s, size_t n)
{
    cells_add(o, c, 'n', s, n);
}

void tp_cells_u64(struct tp_out *o, struct tp_cells *c, uint64_t v)
{
    char buf[24];
    char *p = tp_u64_digits(v, buf + sizeof(buf));
    cells_add(o, c, 'n', p, (size_t)(buf + sizeof(buf) - p));
}

void tp_cells_double(struct tp_out *o, struct tp_cells *c, double v)
{
    char buf[40];
    size_t n = tp_format_double(v, buf);
    cells_add(o, c, 'n', buf, n);
}

void tp_out_cells(struct tp_out *o, const struct tp_cells *c)
{
    if (c->failed) {
        if (!o->failed) {
            o->failed = 1;
            o->err_no = ENOMEM;
        }
        return;
    }
    if (c->csv && tp_out_csv_only(o)) {
        if (!c->n)
            return;
        if (o->n_cells)
            tp_out_put(o, &o->sep, 1);
        tp_out_put(o, c->b, c->len);
        o->n_cells += c->n;
        return;
    }
    if (c->csv) {
        /* recorded as CSV before o had sinks: cannot be given to them */
        if (!o->failed) {
            o->failed = 1;
            o->err_no = EINVAL;
        }
        return;
    }
    for (size_t at = 0; at < c->len;) {
        uint32_t len;
        memcpy(&len, c->b + at + 1, sizeof(len));
        const char *s = c->b + at + 1 + sizeof(len);
        if (c->b[at] == 'n')
            tp_out_number(o, s, len);
        else
            tp_out_text(o, s, len);
        at += 1 + sizeof(len) + len;
    }
}

/* Copy the n bytes of a tp_cells buffer to d, in blocks of CELLS_SLACK
 * (both have room for the last one): fixed-size moves, inlined. */
static inline void copy_blocks(char *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i += CELLS_SLACK)
        memcpy(d + i, s + i, CELLS_SLACK);
}

void tp_out_cells_row(struct tp_out *o, const struct tp_cells *const *parts, size_t n_parts)
{
    size_t need = 1 + n_parts;
    int fast = tp_out_csv_only(o);
    for (size_t i = 0; i < n_parts; i++) {
        need += parts[i]->len;
        fast &= parts[i]->csv & !parts[i]->failed;
    }
    if (!fast || need + CELLS_SLACK > sizeof(o->b)) {
        for (size_t i = 0; i < n_parts; i++)
            tp_out_cells(o, parts[i]);
        tp_out_row_end(o);
        return;
    }
    if (o->b_len + need + CELLS_SLACK > sizeof(o->b))
        tp_out_drain(o);
    char *d = o->b + o->b_len;
    int cells = o->n_cells;
    for (size_t i = 0; i < n_parts; i++) {
        if (!parts[i]->n)
            continue;
        if (cells)
            *d++ = o->sep;
        copy_blocks(d, parts[i]->b, parts[i]->len);
        d += parts[i]->len;
        cells += parts[i]->n;
    }
    *d++ = '\n';
    o->b_len = (size_t)(d - o->b);
    o->n_cells = 0;
}

void tp_out_cells_rows(struct tp_out *o, const struct tp_cells *pre, const struct tp_cells *mid,
                       const uint32_t *at, size_t n, const struct tp_cells *post)
{
    int fast = tp_out_csv_only(o) && !o->n_cells && pre->csv && !pre->failed && pre->n &&
               post->csv && !post->failed && post->n;
    size_t most = 0;
    for (size_t i = 0; fast && i < n; i++) {
        const struct tp_cells *m = &mid[at[i]];
        fast = m->csv && !m->failed && m->n;
        most = m->len > most ? m->len : most;
    }
    size_t need = pre->len + most + post->len + 3;
    if (!fast || need + CELLS_SLACK > sizeof(o->b)) {
        for (size_t i = 0; i < n; i++) {
            const struct tp_cells *row[3] = {pre, &mid[at[i]], post};
            tp_out_cells_row(o, row, 3);
        }
        return;
    }
    /* in locals: the bytes written through d could alias o's and the
     * cells' fields, which the compiler would then read again every row */
    const char *pb = pre->b, *qb = post->b;
    size_t pl = pre->len, ql = post->len, len = o->b_len;
    char sep = o->sep, *b = o->b;
    for (size_t i = 0; i < n; i++) {
        const struct tp_cells *m = &mid[at[i]];
        if (len + need + CELLS_SLACK > sizeof(o->b)) {
            o->b_len = len;
            tp_out_drain(o);
            len = o->b_len;
        }
        char *d = b + len;
        copy_blocks(d, pb, pl);
        d += pl;
        *d++ = sep;
        copy_blocks(d, m->b, m->len);
        d += m->len;
        *d++ = sep;
        copy_blocks(d, qb, ql);
        d += ql;
        *d++ = '\n';
        len = (size_t)(d - b);
    }
    o->b_len = len;
}

void tp_cells_release(struct tp_cells *c)
{
    free(c->b);
    memset(c, 0, sizeof(*c));
}
