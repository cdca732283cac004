/*
 * input/csv.c - one document a CSV row, parsed by libcsv: the header row
 * names the columns, and each data row that is not empty becomes a document
 * with its text (--text-col, "text"), id (--id-col, else "id" when there is
 * one, else PATH:ROW) and date (--date-col) cells.
 *
 * Where it sits: called by reader.c's dispatch (tp_in_read_csv) and by
 * input/meta.c, which reads --meta with the same walk (tp_in_csv_walk);
 * uses input/common.c to read bytes and to give each row's document to the
 * sink (tp_in_emit_doc, the text decoded there in bounded pieces).
 *
 * Core data structure: struct csv_walk (input/input.h): which columns are
 * wanted and where they were found, the cells of the row being read (copied
 * into r->cell[] as libcsv hands over each field), and the physical line
 * where the row and the field began, for messages: the input is fed to
 * libcsv one line at a time, since libcsv counts none. A field longer than
 * --max-doc-bytes stops the parse through libcsv's realloc hook.
 */
#include <stdio.h>

#include <csv.h>

#include "input.h"

/* The largest CSV field (--max-doc-bytes) of the parse running on this
 * thread: libcsv's realloc hook has no context argument. */
static _Thread_local uint64_t field_cap = TP_MAX_DOC_BYTES;

static void *capped_realloc(void *p, size_t n)
{
    return n > field_cap ? NULL : realloc(p, n);
}

/* libcsv's field callback: in the header row, note where the wanted
 * columns are; in a data row, copy the wanted cells into r->cell[]. */
static void csv_field(void *s, size_t len, void *data)
{
    struct csv_walk *w = data;
    struct tp_reader *r = w->run->r;
    const char *p = s ? s : "";

    if (w->rc)
        return;
    if (!w->header_done) {
        if (w->field == 0 && has_bom(p, len)) {
            p += 3;
            len -= 3;
        }
        for (int k = 0; k < N_COLS; k++)
            if (w->want[k] && w->col[k] < 0 && strlen(w->want[k]) == len &&
                memcmp(w->want[k], p, len) == 0)
                w->col[k] = (int)w->field;
    } else {
        w->field_line = w->line;
        if (len > 0)
            w->nonempty = 1;
        for (int k = 0; k < N_COLS; k++) {
            if (w->col[k] == (int)w->field) {
                r->cell[k].len = 0;
                if (buf_add(&r->cell[k], p, len) < 0) {
                    w->rc = nomem(w->run->err);
                    return;
                }
                w->have[k] = 1;
            }
        }
    }
    w->field++;
}

/* libcsv's row callback: after the header row, check the required columns
 * are there; after a data row that is not empty, hand it to w->row. */
static void csv_row(int c, void *data)
{
    struct csv_walk *w = data;

    (void)c;
    if (w->rc)
        return;
    if (!w->header_done) {
        w->header_done = 1;
        w->header_line = w->row_line;
        for (int k = 0; k < N_COLS && !w->rc; k++)
            if (w->required[k] && w->col[k] < 0)
                w->rc = tp_error_set(w->run->err, TP_EPARSE, "%s:%lu: no column \"%s\"%s",
                                     w->run->path, w->header_line, w->want[k], w->why[k]);
    } else if (w->nonempty) {
        w->n_rows++;
        w->rc = w->row(w);
    }
    w->field = 0;
    w->field_line = 0;
    w->nonempty = 0;
    w->in_row = 0;
    for (int k = 0; k < N_COLS; k++) {
        w->have[k] = 0;
        w->run->r->cell[k].len = 0;
    }
}

int tp_in_csv_walk(struct csv_walk *w)
{
    struct run *run = w->run;
    struct tp_reader *r = run->r;
    struct csv_parser p;
    int eof = 0, rc = 0;

    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return nomem(run->err);
    csv_set_blk_size(&p, 1 << 16);
    csv_set_realloc_func(&p, capped_realloc);
    field_cap = doc_cap(r);
    w->line = 1;
    for (int k = 0; k < N_COLS; k++)
        w->col[k] = -1;
    while (!eof && rc == 0 && w->rc == 0) {
        size_t n, i = 0;
        rc = tp_in_read(run, r->raw, CHUNK, &n);
        if (rc < 0)
            break;
        eof = n < CHUNK;
        while (i < n && w->rc == 0) {
            const unsigned char *s = r->raw + i;
            const unsigned char *nl = memchr(s, '\n', n - i);
            size_t seg = nl ? (size_t)(nl - s) + 1 : n - i;
            if (!w->in_row && !all_blank(s, seg)) {
                w->in_row = 1;
                w->row_line = w->line;
            }
            size_t used = csv_parse(&p, s, seg, csv_field, csv_row, w);
            if (used < seg && w->rc == 0) {
                int e = csv_error(&p);
                if (e == CSV_EPARSE && w->row_line < w->line)
                    rc = tp_error_set(run->err, TP_EPARSE,
                                      "%s:%lu: stray quote in CSV field (a quoted field opened "
                                      "on line %lu may be unterminated)",
                                      run->path, w->line, w->row_line);
                else if (e == CSV_EPARSE)
                    rc = tp_error_set(run->err, TP_EPARSE, "%s:%lu: stray quote in CSV field",
                                      run->path, w->line);
                else if (e == CSV_ENOMEM && p.entry_size >= field_cap / 2) {
                    /* named where the field began: a runaway quote opened there */
                    char sz[32];
                    unsigned long at = w->field_line ? w->field_line : w->row_line;
                    rc = tp_error_set(run->err, TP_EPARSE,
                                      "%s:%lu: CSV field larger than %s (--max-doc-bytes)%s",
                                      run->path, at, tp_in_size_words(field_cap, sz, sizeof(sz)),
                                      at < w->line ? " (an unterminated quote?)" : "");
                } else
                    rc = tp_error_set(run->err, e == CSV_ENOMEM ? TP_ENOMEM : TP_EPARSE,
                                      "%s:%lu: %s", run->path, w->line, csv_strerror(e));
                break;
            }
            if (nl)
                w->line++;
            i += seg;
        }
    }
    if (rc == 0 && w->rc == 0) {
        if (csv_fini(&p, csv_field, csv_row, w) != 0 && w->rc == 0)
            rc = tp_error_set(run->err, TP_EPARSE, "%s:%lu: unterminated quoted field", run->path,
                              w->row_line);
    } else {
        csv_fini(&p, NULL, NULL, NULL);
    }
    csv_free(&p);
    return rc != 0 ? rc : w->rc;
}

/* The cell decoded as enc into *into (NUL-terminated). */
static int cell_utf8(struct run *run, enum tp_encoding enc, const struct buf *cell,
                     struct buf *into)
{
    const char *s;
    size_t len;
    int rc = tp_in_to_utf8(run, enc, cell->p, cell->len, &run->r->dec, &s, &len);
    if (rc < 0)
        return rc;
    into->len = 0;
    return buf_add(into, s, len) < 0 ? nomem(run->err) : 0;
}

/* A CSV data row: a document. */
static int csv_doc(struct csv_walk *w)
{
    struct run *run = w->run;
    struct tp_reader *r = run->r;
    struct buf *cell = r->cell;
    struct found_date fd;
    struct tp_doc doc = {0};
    enum tp_encoding enc;
    int rc;

    /* Under auto the row's cells are one document: one encoding for all. */
    enc = tp_in_pick_encoding(r, tp_encoding_is_utf8(cell[COL_TEXT].p, cell[COL_TEXT].len) &&
                                     tp_encoding_is_utf8(cell[COL_DATE].p, cell[COL_DATE].len) &&
                                     tp_encoding_is_utf8(cell[COL_ID].p, cell[COL_ID].len) &&
                                     tp_encoding_is_utf8(cell[COL_GROUP].p, cell[COL_GROUP].len));
    if (w->have[COL_ID] && !all_blank((unsigned char *)cell[COL_ID].p, cell[COL_ID].len)) {
        if ((rc = cell_utf8(run, enc, &cell[COL_ID], &r->id)) < 0)
            return rc;
        doc.id = r->id.p;
    } else if (!(doc.id = tp_in_line_id(run, w->n_rows))) {
        return nomem(run->err);
    }
    memset(&fd, 0, sizeof(fd));
    fd.kind = TP_HDR_NONE;
    if (w->have[COL_DATE]) {
        if ((rc = cell_utf8(run, enc, &cell[COL_DATE], &r->date)) < 0)
            return rc;
        tp_in_cell_date(r->date.p, r->date.len, run->path, w->row_line, &fd);
    }
    if (w->have[COL_GROUP]) {
        if ((rc = cell_utf8(run, enc, &cell[COL_GROUP], &r->group)) < 0)
            return rc;
        tp_in_trim(r->group.p, r->group.len, &doc.group, &doc.group_len);
    }
    doc.path = run->path;
    doc.line = w->row_line;
    doc.encoding = enc;
    if (!w->have[COL_TEXT])
        return tp_in_emit_doc(run, &doc, &fd, NULL, 0, 0);
    return tp_in_emit_doc(run, &doc, &fd, cell[COL_TEXT].p, cell[COL_TEXT].len, 1);
}

/* Every data row of the input, a document (columns named by --text-col,
 * --id-col, --date-col in the header row). */
int tp_in_read_csv(struct run *run)
{
    const struct tp_opts *o = run->r->o;
    struct csv_walk w;

    memset(&w, 0, sizeof(w));
    w.run = run;
    w.row = csv_doc;
    w.want[COL_TEXT] = o->text_col ? o->text_col : "text";
    w.required[COL_TEXT] = 1;
    w.why[COL_TEXT] = " for the text (--text-col)";
    w.want[COL_DATE] = o->date_col;
    w.want[COL_ID] = o->id_col ? o->id_col : "id";
    w.required[COL_ID] = o->id_col != NULL;
    w.why[COL_ID] = " for the ids (--id-col)";
    /* a --date-col named by the user must exist, as --id-col must */
    w.required[COL_DATE] = o->date_col_given && o->date_col;
    w.why[COL_DATE] = " for the dates (--date-col)";
    if (o->group_by && strcmp(o->group_by, "dir") != 0)
        w.want[COL_GROUP] = o->group_by; /* optional: rows without it are in the group "" */
    return tp_in_csv_walk(&w);
}
