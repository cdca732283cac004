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
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <csv.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* Feed libcsv one line of the input, s[0..seg) (nl: it ends with its line
 * feed; else the piece of a line a chunk ends with). Returns 0, or the error
 * naming the line (w->rc is the callbacks' own). */
static int feed_line(struct csv_walk *w, struct csv_parser *p, const unsigned char *s, size_t seg,
                     int nl)
{
    struct run *run = w->run;
    if (!w->in_row && !all_blank(s, seg)) {
        w->in_row = 1;
        w->row_line = w->line;
    }
    size_t used = csv_parse(p, s, seg, csv_field, csv_row, w);
    if (used < seg && w->rc == 0) {
        int e = csv_error(p);
        if (e == CSV_EPARSE && w->row_line < w->line)
            return tp_error_set(run->err, TP_EPARSE,
                                "%s:%lu: stray quote in CSV field (a quoted field opened "
                                "on line %lu may be unterminated)",
                                run->path, w->line, w->row_line);
        if (e == CSV_EPARSE)
            return tp_error_set(run->err, TP_EPARSE, "%s:%lu: stray quote in CSV field", run->path,
                                w->line);
        if (e == CSV_ENOMEM && p->entry_size >= field_cap / 2) {
            /* named where the field began: a runaway quote opened there */
            char sz[32];
            unsigned long at = w->field_line ? w->field_line : w->row_line;
            return tp_error_set(run->err, TP_EPARSE,
                                "%s:%lu: CSV field larger than %s (--max-doc-bytes)%s", run->path,
                                at, tp_in_size_words(field_cap, sz, sizeof(sz)),
                                at < w->line ? " (an unterminated quote?)" : "");
        }
        return tp_error_set(run->err, e == CSV_ENOMEM ? TP_ENOMEM : TP_EPARSE, "%s:%lu: %s",
                            run->path, w->line, csv_strerror(e));
    }
    if (nl)
        w->line++;
    return 0;
}

/* The plain rows, read here without libcsv, which costs some 36 instructions
 * a byte: a row whose fields are each either unquoted (no quote, CR, and no
 * space or tab at either end, which libcsv would trim) or quoted, their quotes
 * doubled inside, the closing quote followed by a comma or the row's end (LF
 * or CR LF), the whole row in s[0..n) and no field near --max-doc-bytes. Its
 * fields and its end go to the same callbacks libcsv calls, with the same
 * bytes, w->line set as feeding libcsv a line at a time sets it. Anything
 * else (a blank line, a stray quote, a trimmed field, a row the chunk cuts,
 * the header) is left to libcsv. */

/* The line feeds in p[0..n): a quoted text field holds one a line, so a
 * count 16 bytes at a time rather than a memchr call a line (byte counters,
 * summed every 255 blocks before they can wrap; no popcount instruction is
 * assumed). */
static unsigned long count_lf(const unsigned char *p, size_t n)
{
    unsigned long c = 0;
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i lf = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    while (i + 16 <= n) {
        __m128i acc = zero;
        for (unsigned k = 0; k < 255 && i + 16 <= n; k++, i += 16)
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), lf));
        __m128i s = _mm_sad_epu8(acc, zero);
        c += (unsigned long)_mm_cvtsi128_si32(s) + (unsigned long)_mm_extract_epi16(s, 4);
    }
#endif
    for (; i < n; i++)
        c += p[i] == '\n';
    return c;
}

/* One field of a plain row at s[*pos..n): its bytes as written (*f, *len;
 * a quoted field's doubled quotes still doubled, *doubled set when it has
 * one) and what follows it (*last: 0 a comma, 1 LF, 2 CR LF); *pos moves
 * past that and *line past the field's line feeds. 0 when it is not plain. */
static int plain_field(const unsigned char *s, size_t n, size_t cap, size_t *pos,
                       unsigned long *line, const unsigned char **f, size_t *len, int *doubled,
                       int *last)
{
    size_t p = *pos;
    *doubled = 0;
    if (p < n && s[p] == '"') {
        size_t from = p + 1, at = from, end;
        for (;;) {
            const unsigned char *q = memchr(s + at, '"', n - at);
            if (!q || (size_t)(q - s) + 1 >= n)
                return 0;
            if (q[1] != '"') {
                end = (size_t)(q - s);
                break;
            }
            *doubled = 1;
            at = (size_t)(q - s) + 2;
        }
        if (end - from > cap)
            return 0;
        *line += count_lf(s + from, end - from);
        *f = s + from;
        *len = end - from;
        p = end + 1;
    } else {
        size_t j = p;
        while (j < n && s[j] != ',' && s[j] != '\n' && s[j] != '\r' && s[j] != '"')
            j++;
        if (j == n || s[j] == '"')
            return 0;
        size_t l = j - p;
        if (l > cap || (l && (s[p] == ' ' || s[p] == '\t' || s[j - 1] == ' ' || s[j - 1] == '\t')))
            return 0;
        *f = s + p;
        *len = l;
        p = j;
    }
    /* after the field: a comma, LF or CR LF */
    if (p < n && s[p] == ',')
        *last = 0;
    else if (p < n && s[p] == '\n')
        *last = 1;
    else if (p + 1 < n && s[p] == '\r' && s[p + 1] == '\n')
        *last = 2;
    else
        return 0;
    *pos = p + (*last ? (size_t)*last : 1);
    return 1;
}

/* A plain field to the callbacks: a quoted field with doubled quotes
 * (doubled) given with each once (inside the field every quote is the first
 * of a pair: copied up to and with it, its twin skipped). 0, or -1 (out of
 * memory: w->rc set). */
static int plain_emit(struct csv_walk *w, const unsigned char *f, size_t len, int doubled,
                      unsigned long line)
{
    struct tp_reader *r = w->run->r;
    if (doubled) {
        r->esc.len = 0;
        if (buf_reserve(&r->esc, len) < 0) {
            w->rc = nomem(w->run->err);
            return -1;
        }
        size_t o = 0;
        for (size_t j = 0; j < len;) {
            const unsigned char *q = memchr(f + j, '"', len - j);
            size_t upto = q ? (size_t)(q - f) + 1 : len;
            memcpy(r->esc.p + o, f + j, upto - j);
            o += upto - j;
            j = q ? upto + 1 : len;
        }
        r->esc.len = o;
        f = (const unsigned char *)r->esc.p;
        len = o;
    }
    w->line = line;
    csv_field((void *)(uintptr_t)f, len, w);
    return 0;
}

/* A plain row at s[0..n) checked (emit 0) or checked and given field by
 * field as it is read (emit 1). Returns the row's bytes with its line end,
 * or 0. */
static size_t plain_row(struct csv_walk *w, const unsigned char *s, size_t n, int emit)
{
    size_t pos = 0, cap = field_cap / 2;
    unsigned long line = w->line;
    if (n == 0 || s[0] == '\n' || s[0] == '\r')
        return 0;
    for (;;) {
        const unsigned char *f;
        size_t len;
        int doubled, last;
        if (!plain_field(s, n, cap, &pos, &line, &f, &len, &doubled, &last))
            return 0;
        if (emit && plain_emit(w, f, len, doubled, line))
            return 0;
        if (last) {
            if (emit) {
                csv_row(last == 1 ? '\n' : '\r', w);
                w->line = line + 1;
            }
            return pos;
        }
    }
}

/* plain_row's check and emission in one pass over the row: its fields are
 * noted (up to PLAIN_FIELDS; a row with more is read by plain_row twice) and
 * given to the callbacks once the row is known to be plain, w->row_line and
 * w->in_row set first as the caller sets them for plain_row. Returns the
 * row's bytes with its line end, or 0 (nothing given). */
enum { PLAIN_FIELDS = 16 };
static size_t plain_row_once(struct csv_walk *w, const unsigned char *s, size_t n)
{
    struct {
        const unsigned char *p;
        size_t len;
        unsigned long line;
        int doubled;
    } fs[PLAIN_FIELDS];
    size_t nf = 0, pos = 0, cap = field_cap / 2;
    unsigned long line = w->line;
    int last = 0;
    if (n == 0 || s[0] == '\n' || s[0] == '\r')
        return 0;
    while (!last) {
        if (nf == PLAIN_FIELDS) {
            if (!plain_row(w, s, n, 0))
                return 0;
            w->row_line = w->line;
            w->in_row = 1;
            return plain_row(w, s, n, 1);
        }
        if (!plain_field(s, n, cap, &pos, &line, &fs[nf].p, &fs[nf].len, &fs[nf].doubled, &last))
            return 0;
        fs[nf++].line = line;
    }
    /* plain: the fields go to the callbacks as plain_row gives them */
    w->row_line = w->line;
    w->in_row = 1;
    for (size_t k = 0; k < nf; k++)
        if (plain_emit(w, fs[k].p, fs[k].len, fs[k].doubled, fs[k].line))
            return 0;
    csv_row(last == 1 ? '\n' : '\r', w);
    w->line = line + 1;
    return pos;
}

/* A later part's look back at the file before its range: bytes [off, off +
 * CHUNK) of them, at most to r->range_start, into buf; their count, or a
 * negative TP_EIO naming the file. */
static ssize_t read_before(struct run *run, unsigned char *buf, uint64_t off)
{
    uint64_t end = run->r->range_start;
    size_t want = end - off < CHUNK ? (size_t)(end - off) : CHUNK;
    ssize_t got = pread(run->fd, buf, want, (off_t)off);
    if (got <= 0)
        return tp_error_set(run->err, TP_EIO, "%s: %s", run->path,
                            got < 0 ? strerror(errno) : "shorter than when it was cut");
    return got;
}

/* A later part of a file cut at row boundaries (tp_reader_new_range): the
 * file's header row, read from its start with pread (the part's own reads
 * go on from its range), gives the columns; the part's lines are then
 * numbered from its first line's number. */
static int read_header(struct csv_walk *w, struct csv_parser *p)
{
    struct run *run = w->run;
    struct tp_reader *r = run->r;
    uint64_t off = 0;
    int rc = 0;
    while (!w->header_done && rc == 0 && w->rc == 0 && off < r->range_start) {
        ssize_t got = read_before(run, r->raw, off);
        if (got < 0)
            return (int)got;
        /* (a byte-order mark is no part of the first field: libcsv would
         * take a quote after it as one inside an unquoted field) */
        size_t i0 = off == 0 && has_bom(r->raw, (size_t)got) ? 3 : 0;
        for (size_t i = i0, n = (size_t)got; i < n && !w->header_done && rc == 0 && w->rc == 0;) {
            /* fed up to a CR or LF at a time: libcsv ends a row at either,
             * and not a byte past the header row may reach it (a header
             * ending in a bare CR would give the first data row to this
             * part too) */
            const unsigned char *s = r->raw + i;
            const unsigned char *nl = memchr(s, '\n', n - i), *cr = memchr(s, '\r', n - i);
            const unsigned char *end = cr && (!nl || cr < nl) ? cr : nl;
            size_t seg = end ? (size_t)(end - s) + 1 : n - i;
            rc = feed_line(w, p, s, seg, end != NULL && *end == '\n');
            i += seg;
        }
        off += (uint64_t)got;
    }
    if (rc == 0 && w->rc == 0 && !w->header_done)
        rc = tp_error_set(run->err, TP_EINTERNAL, "%s: a part cut before the header row's end",
                          run->path);
    w->line = r->range_line;
    return rc;
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
    if (r->ranged && r->range_start > 0 && run->plain)
        rc = read_header(w, &p);
    int line_start = 1;                             /* the bytes fed so far end with a line feed */
    int first = !(r->ranged && r->range_start > 0); /* the file's first bytes come next */
    while (!eof && rc == 0 && w->rc == 0) {
        size_t n, i = 0;
        rc = tp_in_read(run, r->raw, CHUNK, &n);
        if (rc < 0)
            break;
        eof = n < CHUNK;
        if (first && has_bom(r->raw, n))
            i = 3; /* as read_header */
        first = 0;
        while (i < n && w->rc == 0 && rc == 0) {
            const unsigned char *s = r->raw + i;
            size_t k;
            if (line_start && w->header_done && p.pstate == 0 && !p.quoted && p.entry_pos == 0 &&
                (k = plain_row_once(w, s, n - i)) > 0) {
                /* libcsv is between rows: a plain row is read here */
                i += k;
                continue;
            }
            const unsigned char *nl = memchr(s, '\n', n - i);
            size_t seg = nl ? (size_t)(nl - s) + 1 : n - i;
            rc = feed_line(w, &p, s, seg, nl != NULL);
            line_start = nl != NULL;
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

/* libcsv's callbacks for tp_in_csv_ids_in_column: the header's fields. */
struct id_peek {
    const char *want;
    size_t field;
    int found, done;
};

static void peek_field(void *s, size_t len, void *data)
{
    struct id_peek *k = data;
    const char *p = s ? s : "";
    if (k->done)
        return;
    k->found |= strlen(k->want) == len && memcmp(k->want, p, len) == 0;
    k->field++;
}

static void peek_row(int c, void *data)
{
    (void)c;
    ((struct id_peek *)data)->done = 1;
}

int tp_in_csv_ids_in_column(const struct tp_reader *r, const char *path)
{
    struct id_peek k = {r->o->id_col ? r->o->id_col : "id", 0, 0, 0};
    struct csv_parser p;
    unsigned char buf[16384];
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        close(fd);
        return 0;
    }
    /* a header of at most 1 MiB is looked at */
    for (uint64_t off = 0; !k.done && off < (1u << 20);) {
        ssize_t got = pread(fd, buf, sizeof(buf), (off_t)off);
        size_t bom = off == 0 && got > 0 && has_bom(buf, (size_t)got) ? 3 : 0; /* as read_header */
        if (got <= 0 || csv_parse(&p, buf + bom, (size_t)got - bom, peek_field, peek_row, &k) <
                            (size_t)got - bom)
            break;
        off += (uint64_t)got;
    }
    csv_fini(&p, NULL, NULL, NULL);
    csv_free(&p);
    close(fd);
    return k.done && k.found;
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

/* rows_before's libcsv callbacks: the header row, then the data rows that
 * are not empty (a field of some byte), as csv_row counts them. */
struct row_count {
    int header_done, nonempty;
    unsigned long rows;
};

static void count_field(void *s, size_t len, void *data)
{
    struct row_count *k = data;
    (void)s;
    k->nonempty |= k->header_done && len > 0;
}

static void count_row(int c, void *data)
{
    struct row_count *k = data;
    (void)c;
    k->rows += k->header_done && k->nonempty;
    k->header_done = 1;
    k->nonempty = 0;
}

/* The data rows of the file before byte r->range_start (a row start, after
 * the header) in *out: what a read of the whole file numbers them, libcsv
 * parsing the bytes from the file's start (a byte-order mark skipped, as
 * tp_in_csv_walk does). 0, or TP_EIO / TP_EPARSE / TP_ENOMEM naming the
 * file. */
static int rows_before(struct run *run, unsigned long *out)
{
    struct tp_reader *r = run->r;
    struct row_count k = {0, 0, 0};
    struct csv_parser p;
    unsigned char *buf = malloc(CHUNK);
    if (!buf || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        free(buf);
        return nomem(run->err);
    }
    csv_set_realloc_func(&p, capped_realloc);
    int rc = 0;
    for (uint64_t off = 0; rc == 0 && off < r->range_start;) {
        ssize_t got = read_before(run, buf, off);
        if (got < 0) {
            rc = (int)got;
            break;
        }
        size_t i0 = off == 0 && has_bom(buf, (size_t)got) ? 3 : 0;
        if (csv_parse(&p, buf + i0, (size_t)got - i0, count_field, count_row, &k) <
            (size_t)got - i0)
            rc = tp_error_set(run->err, csv_error(&p) == CSV_ENOMEM ? TP_ENOMEM : TP_EPARSE,
                              "%s: the rows before byte %llu cannot be numbered: %s", run->path,
                              (unsigned long long)r->range_start, csv_strerror(csv_error(&p)));
        off += (uint64_t)got;
    }
    if (rc == 0)
        csv_fini(&p, count_field, count_row, &k);
    else
        csv_fini(&p, NULL, NULL, NULL);
    csv_free(&p);
    free(buf);
    *out = k.rows;
    return rc;
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
        if (tp_in_id_nuls(&r->id) < 0)
            return nomem(run->err);
        doc.id = r->id.p;
    } else if (r->ranged && r->range_start > 0 && r->recounts) {
        /* a row named by its number, which a later part does not know:
         * the run counts the file again on one thread */
        r->whole_again = 1;
        return TP_STOP;
    } else {
        unsigned long row = w->n_rows;
        if (r->ranged && r->range_start > 0) {
            /* a --shard share's rows: numbered after the file's rows before
             * the share (no one counts the file again) */
            if (!r->rows_known && (rc = rows_before(run, &r->rows_before)) < 0)
                return rc;
            r->rows_known = 1;
            row += r->rows_before;
        }
        if (!(doc.id = tp_in_line_id(run, row)))
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
