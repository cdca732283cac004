/*
 * xlsx.c - the workbook (see xlsx.h): a sheet per table, fed by a cell sink.
 *
 * A sheet writes each cell as it arrives (constant_memory: rows in order,
 * strings inline) and keeps only what the end needs: each column's widest
 * cell, whether it is a date column, the number of rows past the sheet's
 * limit and, on a timeline, the first 8 terms' values by period for the
 * chart. libxlsxwriter writes the file by name when the workbook closes;
 * until then nothing exists but its temporary files. The chart and the
 * notes sheet are xlsx_chart.c's; the structures are xlsx_int.h's.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <utf8proc.h>
#include <xlsxwriter.h>

#include "numfmt.h"
#include "outpath.h"
#include "xlsx_int.h"
#include "xlsx_text.h"

static int oom(struct tp_error *err)
{
    return tp_error_set(err, TP_ENOMEM, "out of memory");
}

struct tp_lxw_api tp_lxw;

static const char *const lxw_names[] = {LXW_API(TP_DYN_NAME)};

static struct tp_dynlib libxlsxwriter =
    TP_DYNLIB_INIT(TP_SONAME_XLSXWRITER, "workbook output (.xlsx)", lxw_names, &tp_lxw, NULL);

int tp_xlsx_new(struct tp_xlsx **xp, struct tp_out *out, struct tp_error *err)
{
    int rc = tp_dynlib_need(&libxlsxwriter, tp_out_path(out), err);
    if (rc == 0)
        rc = tp_xrows_need(tp_out_path(out), err);
    if (rc < 0)
        return rc;
    struct tp_xlsx *x = calloc(1, sizeof(*x));
    if (!x)
        return oom(err);
    x->out = out;
    x->tmp_slot = -1;
    x->max_rows = tp_xlsx_sheet_rows(); /* a smaller sheet for tests, to see the cut */
    const char *env = getenv("TEMPORA_XLSX_ZIP64");
    x->force_zip64 = env && !strcmp(env, "1");
    const char *tmp = tp_out_tmp_path(out);
    if (!(x->name = strdup(tp_out_path(out) ? tp_out_path(out) : "standard output"))) {
        free(x);
        return oom(err);
    }
    if (tmp) {
        x->path = strdup(tmp);
    } else {
        /* A FIFO or a device: the zip is written to a file first (it seeks),
         * then copied through. */
        const char *dir = getenv("TMPDIR");
        char *p = tp_outpath_join(dir && *dir ? dir : "/tmp", strlen(dir && *dir ? dir : "/tmp"),
                                  "tempora-xlsx.XXXXXX");
        int fd = -1;
        if (p) {
            tp_outpath_hold();
            fd = mkstemp(p);
            if (fd >= 0)
                x->tmp_slot = tp_outpath_live_add(p, 1);
            tp_outpath_release();
        }
        if (fd < 0) {
            int e = errno;
            free(p);
            free(x->name);
            free(x);
            return p ? tp_error_set(err, TP_EIO, "cannot create a temporary file: %s", strerror(e))
                     : oom(err);
        }
        close(fd);
        x->path = p;
        x->own_tmp = 1;
    }
    /* the sheets' temporary files (unlinked as made) go where TMPDIR says;
     * libxlsxwriter's default, tmpfile(), would ignore it */
    char *tmpdir = getenv("TMPDIR");
    lxw_workbook_options opts = {.constant_memory = LXW_TRUE,
                                 .tmpdir = tmpdir && *tmpdir ? tmpdir : NULL};
    if (!x->path || !(x->wb = tp_lxw.workbook_new_opt(x->path, &opts))) {
        tp_xlsx_free(x);
        return oom(err);
    }
    x->bold = tp_lxw.workbook_add_format(x->wb);
    x->day = tp_lxw.workbook_add_format(x->wb);
    x->month = tp_lxw.workbook_add_format(x->wb);
    x->year = tp_lxw.workbook_add_format(x->wb);
    if (!x->bold || !x->day || !x->month || !x->year) {
        tp_xlsx_free(x);
        return oom(err);
    }
    tp_lxw.format_set_bold(x->bold);
    tp_lxw.format_set_num_format(x->day, "yyyy-mm-dd");
    tp_lxw.format_set_num_format(x->month, "yyyy-mm");
    tp_lxw.format_set_num_format(x->year, "yyyy");
    /* the index each date format has in styles.xml, for the rows written as XML */
    x->xf_day = tp_lxw.lxw_format_get_xf_index(x->day);
    x->xf_month = tp_lxw.lxw_format_get_xf_index(x->month);
    x->xf_year = tp_lxw.lxw_format_get_xf_index(x->year);
    *xp = x;
    return 0;
}

/* s[0..len) as a NUL-terminated string of valid UTF-8 (an invalid sequence
 * becomes U+FFFD: XML has no room for it) of at most MAX_CELL characters
 * (*cut says whether it was cut). NULL when out of memory. */
static const char *cell_string(struct tp_xlsx *x, const char *s, size_t len, int *cut)
{
    if (len * 3 + 1 > x->buf_cap) {
        char *b = realloc(x->buf, len * 3 + 1);
        if (!b)
            return NULL;
        x->buf = b;
        x->buf_cap = len * 3 + 1;
    }
    size_t at = 0, chars = 0;
    *cut = 0;
    for (size_t i = 0; i < len;) {
        if (chars == MAX_CELL) {
            *cut = 1;
            break;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n < 0) {
            memcpy(x->buf + at, "\xEF\xBF\xBD", 3);
            at += 3;
            i++;
        } else {
            memcpy(x->buf + at, s + i, (size_t)n);
            at += (size_t)n;
            i += (size_t)n;
        }
        chars++;
    }
    x->buf[at] = '\0';
    return x->buf;
}

/* Characters a cell shows (code points, capped). */
static double shown_width(const char *s, size_t len)
{
    double w = 0;
    for (size_t i = 0; i < len && w < MAX_WIDTH; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* YYYY, YYYY-MM or YYYY-MM-DD (as the CSV writes dates) into *dt; returns its
 * precision (1 year, 2 month, 3 day) or 0. */
static int parse_date(const char *s, size_t len, lxw_datetime *dt)
{
    static const int lens[] = {4, 7, 10};
    int prec = 0;
    for (int i = 0; i < 3; i++)
        if (len == (size_t)lens[i])
            prec = i + 1;
    if (!prec)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((i == 4 || i == 7) ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return 0;
    memset(dt, 0, sizeof(*dt));
    dt->year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    dt->month = prec >= 2 ? (s[5] - '0') * 10 + (s[6] - '0') : 1;
    dt->day = prec == 3 ? (s[8] - '0') * 10 + (s[9] - '0') : 1;
    /* Excel's dates start in 1900 */
    if (dt->year < 1900 || dt->month < 1 || dt->month > 12 || dt->day < 1 || dt->day > 31)
        return 0;
    return prec;
}

/* Column c's letters (A, ..., Z, AA, ..., XFD) into out (4 bytes, of 8). */
static void col_letters(unsigned c, char *out)
{
    char tmp[4];
    int n = 0;
    for (unsigned v = c + 1; v; v = (v - 1) / 26)
        tmp[n++] = (char)('A' + (v - 1) % 26);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

static int grow_cols(struct sheet *sh, unsigned n)
{
    if (n <= sh->cols_cap)
        return 0;
    unsigned cap = sh->cols_cap ? sh->cols_cap * 2 : 16;
    while (cap < n)
        cap *= 2;
    char **names = realloc(sh->names, cap * sizeof(*names));
    if (names)
        sh->names = names;
    unsigned char *date = realloc(sh->date, cap);
    if (date)
        sh->date = date;
    double *width = realloc(sh->width, cap * sizeof(*width));
    if (width)
        sh->width = width;
    char(*letters)[8] = realloc(sh->letters, cap * sizeof(*letters));
    if (letters)
        sh->letters = letters;
    if (!names || !date || !width || !letters)
        return -1;
    for (unsigned i = sh->cols_cap; i < cap; i++) {
        sh->names[i] = NULL;
        sh->date[i] = 0;
        sh->width[i] = 0;
        memset(sh->letters[i], 0, sizeof(sh->letters[i]));
        col_letters(i < LXW_COL_MAX ? i : LXW_COL_MAX - 1, sh->letters[i]);
        sh->letters[i][7] = (char)strlen(sh->letters[i]);
    }
    sh->cols_cap = cap;
    return 0;
}

static void fail(struct tp_xlsx *x, lxw_error e)
{
    if (!x->failed)
        x->failed = e;
}

/* The chart's part of a long-form timeline row: its period, term, value. */
static void chart_cell(struct sheet *sh, unsigned c, const char *s, size_t len)
{
    struct chart_data *cd = &sh->cd;
    if (c == sh->c_period) {
        if (cd->n_periods && strlen(cd->periods[cd->n_periods - 1]) == len &&
            memcmp(cd->periods[cd->n_periods - 1], s, len) == 0)
            return;
        if (cd->n_periods + 1 >= sh->x->max_rows)
            return; /* the chart_data sheet is full */
        if (cd->n_periods == cd->cap) {
            size_t cap = cd->cap ? cd->cap * 2 : 64;
            char **p = realloc(cd->periods, cap * sizeof(*p));
            if (p)
                cd->periods = p;
            double *v = realloc(cd->values, cap * CHART_TERMS * sizeof(*v));
            if (v)
                cd->values = v;
            if (!p || !v) {
                fail(sh->x, LXW_ERROR_MEMORY_MALLOC_FAILED);
                return;
            }
            cd->cap = cap;
        }
        char *label = strndup(s, len);
        if (!label) {
            fail(sh->x, LXW_ERROR_MEMORY_MALLOC_FAILED);
            return;
        }
        cd->periods[cd->n_periods] = label;
        for (int t = 0; t < CHART_TERMS; t++)
            cd->values[cd->n_periods * CHART_TERMS + (size_t)t] = NAN;
        cd->n_periods++;
    } else if (c == sh->c_term) {
        cd->row_term = -1;
        for (int t = 0; t < cd->n_terms; t++)
            if (strlen(cd->terms[t]) == len && memcmp(cd->terms[t], s, len) == 0)
                cd->row_term = t;
        if (cd->row_term < 0 && cd->n_terms < CHART_TERMS) {
            if (!(cd->terms[cd->n_terms] = strndup(s, len))) {
                fail(sh->x, LXW_ERROR_MEMORY_MALLOC_FAILED);
                return;
            }
            cd->row_term = cd->n_terms++;
        }
    } else if (c == sh->c_value && cd->row_term >= 0 && cd->n_periods && len) {
        cd->values[(cd->n_periods - 1) * CHART_TERMS + (size_t)cd->row_term] = strtod(s, NULL);
    }
}

static char *put_lit(char *p, const char *lit, size_t n)
{
    memcpy(p, lit, n);
    return p + n;
}
#define PUT(p, lit) put_lit(p, lit, sizeof(lit) - 1)

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Cell c of a row after the header, as XML into the sheet's rows. */
static void row_cell(struct sheet *sh, unsigned c, const char *s, size_t len,
                     enum tp_cell_kind kind)
{
    struct tp_xlsx *x = sh->x;
    if (!sh->rows) {
        const char *tmpdir = getenv("TMPDIR");
        int e = sh->rows_err ? sh->rows_err : tp_xrows_new(&sh->rows, tmpdir);
        if (e) {
            sh->rows = NULL;
            sh->rows_err = e;
            fail(x, e == ENOMEM ? LXW_ERROR_MEMORY_MALLOC_FAILED : LXW_ERROR_CREATING_TMPFILE);
            return;
        }
    }
    size_t body = len < (size_t)MAX_CELL * 4 ? len : (size_t)MAX_CELL * 4;
    char *p = tp_xrows_reserve(sh->rows, body * 7 + 128);
    if (!p) {
        fail(x, LXW_ERROR_MEMORY_MALLOC_FAILED); /* the real cause is the stream's: close says */
        return;
    }
    char *start = p;
    /* the row number and the column letters are copied a fixed 16 or 8
     * bytes at a time (the room reserved is larger), then the end moved back */
    if (c == 0) {
        sh->next_col = 0;
        p = PUT(p, "<row r=\"");
        memcpy(p, sh->rdig, 16);
        p += sh->rdig_len;
        p = PUT(p, "\">");
    }
    if (len) {
        /* r="B7" only after an empty cell: a cell without one is the one
         * after the last (ECMA-376 18.3.1.4), which saves about a third of
         * the XML to write and deflate */
        if (c == sh->next_col) {
            p = PUT(p, "<c");
        } else {
            p = PUT(p, "<c r=\"");
            memcpy(p, sh->letters[c], 8);
            p += sh->letters[c][7];
            memcpy(p, sh->rdig, 16);
            p += sh->rdig_len;
            *p++ = '"';
        }
        sh->next_col = c + 1;
        double w;
        lxw_datetime dt;
        int prec;
        /* a number: its digits copied as they are checked */
        unsigned ok = kind == TP_CELL_NUMBER && len <= 40;
        if (ok) {
            ok = tp_xlsx_copy_number(p + 4, s, len);
        }
        if (ok) {
            memcpy(p, "><v>", 4);
            p = PUT(p + 4 + len, "</v></c>");
            w = (double)len;
        } else if (sh->date[c] && len <= sizeof(sh->last_date) &&
                   ((len == sh->last_date_len && !memcmp(s, sh->last_date, len)) ||
                    (prec = parse_date(s, len, &dt)) > 0)) {
            if (len != sh->last_date_len || memcmp(s, sh->last_date, len)) {
                char *d = tp_u64_digits((uint64_t)tp_lxw.lxw_datetime_to_excel_datetime(&dt),
                                        sh->last_serial + sizeof(sh->last_serial));
                sh->last_serial_len = (size_t)(sh->last_serial + sizeof(sh->last_serial) - d);
                memmove(sh->last_serial, d, sh->last_serial_len);
                memcpy(sh->last_date, s, len);
                sh->last_date_len = len;
            }
            int xf = len == 10 ? x->xf_day : len == 7 ? x->xf_month : x->xf_year;
            char xfd[24];
            char *d = tp_u64_digits((uint64_t)xf, xfd + sizeof(xfd));
            p = PUT(p, " s=\"");
            p = put_lit(p, d, (size_t)(xfd + sizeof(xfd) - d));
            p = PUT(p, "\"><v>");
            p = put_lit(p, sh->last_serial, sh->last_serial_len);
            p = PUT(p, "</v></c>");
            w = 10;
        } else {
            if (is_space(s[0]) || is_space(s[len - 1]))
                p = PUT(p, " t=\"inlineStr\"><is><t xml:space=\"preserve\">");
            else
                p = PUT(p, " t=\"inlineStr\"><is><t>");
            int cut;
            p = tp_xlsx_put_text(p, s, len, MAX_CELL, &cut);
            sh->n_truncated += (uint64_t)cut;
            p = PUT(p, "</t></is></c>");
            /* a text is never wider than its bytes */
            w = (double)len > sh->width[c] ? shown_width(s, len) : 0;
        }
        if (w > sh->width[c])
            sh->width[c] = w;
    }
    tp_xrows_commit(sh->rows, (size_t)(p - start));
}

void tp_xlsx_sheet_cell(void *ctx, const char *s, size_t len, enum tp_cell_kind kind)
{
    struct sheet *sh = ctx;
    struct tp_xlsx *x = sh->x;
    unsigned c = sh->col++;
    if (sh->row >= x->max_rows || c >= LXW_COL_MAX)
        return;
    if (sh->row == 0) {
        if (grow_cols(sh, c + 1) != 0 || !(sh->names[c] = strndup(s, len))) {
            fail(x, LXW_ERROR_MEMORY_MALLOC_FAILED);
            return;
        }
        sh->n_cols = c + 1;
    } else if (sh->timeline == 1) {
        chart_cell(sh, c, s, len);
    }
    if (grow_cols(sh, c + 1) != 0) {
        fail(x, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    if (c >= sh->n_cols)
        sh->n_cols = c + 1;
    if (sh->row) {
        row_cell(sh, c, s, len, kind);
        return;
    }
    if (!len)
        return; /* an empty cell stays blank */
    /* the header: written by libxlsxwriter, bold */
    int cut;
    const char *str = cell_string(x, s, len, &cut);
    if (!str) {
        fail(x, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    sh->n_truncated += (uint64_t)cut;
    lxw_error e = tp_lxw.worksheet_write_string(sh->ws, 0, (lxw_col_t)c, str, x->bold);
    if (e)
        fail(x, e);
    double w = shown_width(s, len) + 3; /* room for the filter button */
    if (w > sh->width[c])
        sh->width[c] = w;
}

void tp_xlsx_sheet_row_end(void *ctx)
{
    struct sheet *sh = ctx;
    if (sh->row >= sh->x->max_rows)
        sh->n_cut++;
    else if (sh->row && sh->col && sh->rows) {
        char *p = tp_xrows_reserve(sh->rows, 8);
        if (p) {
            memcpy(p, "</row>", 6);
            tp_xrows_commit(sh->rows, 6);
        }
    }
    if (sh->row == 0) {
        for (unsigned c = 0; c < sh->n_cols; c++)
            sh->date[c] = sh->names[c] &&
                          (!strcmp(sh->names[c], "date") || !strcmp(sh->names[c], "period_start"));
        char **n = sh->names;
        if (sh->n_cols >= 3 && !strcmp(n[0], "period") && !strcmp(n[1], "period_start") &&
            !strcmp(n[2], "term")) {
            for (unsigned c = 3; c < sh->n_cols; c++)
                if (!strcmp(n[c], "per_million")) {
                    sh->timeline = 1;
                    sh->c_period = 0;
                    sh->c_term = 2;
                    sh->c_value = c;
                }
        } else if (sh->n_cols >= 3 && !strcmp(n[0], "period") && !strcmp(n[1], "period_tokens")) {
            sh->timeline = 2;
        }
    }
    sh->cd.row_term = -1;
    sh->row++;
    sh->col = 0;
    /* the next row's number, 1-based */
    char *d = tp_u64_digits(sh->row + 1, sh->rdig + sizeof(sh->rdig));
    sh->rdig_len = (size_t)(sh->rdig + sizeof(sh->rdig) - d);
    memmove(sh->rdig, d, sh->rdig_len);
}

/* n rows that reach the sheet as a count: they are past its limit (a row
 * before it would be left blank), so they count for the notes only. */
static void sheet_skip(void *ctx, uint64_t n)
{
    struct sheet *sh = ctx;
    uint64_t from = sh->row > sh->x->max_rows ? sh->row : sh->x->max_rows;
    if (sh->row + n > from)
        sh->n_cut += sh->row + n - from;
    sh->row += n;
    sh->col = 0;
    char *d = tp_u64_digits(sh->row + 1, sh->rdig + sizeof(sh->rdig));
    sh->rdig_len = (size_t)(sh->rdig + sizeof(sh->rdig) - d);
    memmove(sh->rdig, d, sh->rdig_len);
}

int tp_xlsx_add(struct tp_xlsx *x, const char *name, struct tp_out *table, struct tp_error *err)
{
    struct sheet *sh = calloc(1, sizeof(*sh));
    struct sheet **list = realloc(x->sheets, (x->n_sheets + 1) * sizeof(*list));
    if (!sh || !list) {
        free(sh);
        return oom(err);
    }
    x->sheets = list;
    x->sheets[x->n_sheets++] = sh;
    sh->x = x;
    sh->cd.row_term = -1;
    snprintf(sh->name, sizeof(sh->name), "%s", name);
    if (!(sh->ws = tp_lxw.workbook_add_worksheet(x->wb, sh->name)))
        return tp_error_set(err, TP_EIO, "%s: cannot add sheet %s (its temporary file?)", x->name,
                            sh->name);
    sh->ws_index = (unsigned)sh->ws->index; /* its entry's name; ws is gone once the zip is made */
    tp_lxw.worksheet_freeze_panes(sh->ws, 1, 0);
    struct tp_cell_sink sink = {tp_xlsx_sheet_cell, tp_xlsx_sheet_row_end, sh, 0, sheet_skip};
    if (tp_out_add_sink(table, &sink) != 0)
        return oom(err);
    return 0;
}

/* libxlsxwriter does not check the writes of a sheet's temporary file (the
 * rows of constant_memory) nor of the file it assembles each sheet's XML in,
 * a little larger, when the workbook closes: a full disk or a file size
 * limit would give a workbook cut short, and no error. So: every sheet's
 * temporary file must have been written without error, and the largest must
 * leave room under RLIMIT_FSIZE for its assembled copy. Returns 0 or -1 with
 * err set. */
static int check_sheet_files(struct tp_xlsx *x, struct tp_error *err)
{
    lxw_worksheet *ws;
    off_t largest = 0;
    LXW_FOREACH_WORKSHEET(ws, x->wb)
    {
        FILE *f = ws->optimize_tmpfile;
        if (!f)
            continue;
        errno = 0;
        if (fflush(f) != 0 || ferror(f)) {
            int e = errno ? errno : EIO;
            tp_error_set(err, TP_EIO, "%s: write failed (sheet %s): %s", x->name, ws->name,
                         strerror(e));
            return -1;
        }
        off_t at = ftello(f);
        if (at > largest)
            largest = at;
    }
    struct rlimit rl;
    const off_t room = 64 << 10; /* the XML around a sheet's rows, with room to spare */
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (uint64_t)largest + room > (uint64_t)rl.rlim_cur) {
        tp_error_set(err, TP_EIO, "%s: write failed: %s (a sheet needs %llu bytes)", x->name,
                     strerror(EFBIG), (unsigned long long)largest + room);
        return -1;
    }
    return 0;
}

/* Copy the finished workbook at path into f (an output written straight through). */
static int copy_into(const char *path, FILE *f)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return -1;
    char buf[1 << 16];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, f) != n) {
            rc = -1;
            break;
        }
    if (ferror(in))
        rc = -1;
    fclose(in);
    return rc;
}

/* A sheet's rows that could not be written: the error says which sheet. */
static int rows_failed(struct tp_xlsx *x, struct tp_error *err)
{
    for (size_t i = 0; i <= x->n_sheets; i++) {
        struct sheet *sh = i < x->n_sheets ? x->sheets[i] : x->chart_sheet;
        if (!sh)
            continue;
        int e = sh->rows ? tp_xrows_error(sh->rows) : 0;
        if (e == ENOMEM || sh->rows_err == ENOMEM)
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        if (sh->rows_err)
            return tp_error_set(err, TP_EIO, "%s: cannot create a temporary file (sheet %s): %s",
                                x->name, sh->name, strerror(sh->rows_err));
        if (e)
            return tp_error_set(err, TP_EIO, "%s: write failed (sheet %s): %s", x->name, sh->name,
                                strerror(e));
    }
    return 0;
}

/* Put every sheet's rows into the zip libxlsxwriter wrote at x->path. */
static int splice_rows(struct tp_xlsx *x, struct tp_error *err)
{
    size_t n_all = x->n_sheets + 1; /* the tables, and chart_data */
    struct tp_xsplice *sp = calloc(n_all, sizeof(*sp));
    char(*names)[48] = calloc(n_all, sizeof(*names));
    char(*dims)[48] = calloc(n_all, sizeof(*dims));
    if (!sp || !names || !dims) {
        free(sp);
        free(names);
        free(dims);
        return oom(err);
    }
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++) {
        struct sheet *sh = i < x->n_sheets ? x->sheets[i] : x->chart_sheet;
        if (!sh || !sh->rows || !tp_xrows_len(sh->rows) || !sh->n_cols)
            continue;
        uint64_t last = sh->row + (sh->col ? 1 : 0);
        if (last > x->max_rows)
            last = x->max_rows;
        snprintf(names[n], sizeof(names[n]), "xl/worksheets/sheet%u.xml", sh->ws_index + 1);
        snprintf(dims[n], sizeof(dims[n]), "A1:%s%llu", sh->letters[sh->n_cols - 1],
                 (unsigned long long)last);
        sp[n].entry = names[n];
        sp[n].dim = dims[n];
        sp[n].rows = sh->rows;
        n++;
    }
    const char *failed = NULL;
    int e = tp_xzip_rewrite(x->path, sp, n, x->force_zip64, &failed);
    const char *sheet = NULL;
    for (size_t i = 0; failed && i < n; i++)
        if (sp[i].entry == failed)
            for (size_t j = 0; j < n_all; j++) {
                struct sheet *sh = j < x->n_sheets ? x->sheets[j] : x->chart_sheet;
                if (sh && sh->rows == sp[i].rows)
                    sheet = sh->name;
            }
    free(sp);
    free(names);
    free(dims);
    if (e == ENOMEM)
        return oom(err);
    if (e == EINVAL)
        return tp_error_set(err, TP_EIO,
                            "%s: cannot write the workbook: libxlsxwriter's zip "
                            "is not as expected",
                            x->name);
    if (e && sheet)
        return tp_error_set(err, TP_EIO, "%s: write failed (sheet %s): %s", x->name, sheet,
                            strerror(e));
    if (e)
        return tp_error_set(err, TP_EIO, "%s: write failed: %s", x->name, strerror(e));
    return 0;
}

int tp_xlsx_close(struct tp_xlsx *x, struct tp_error *err)
{
    lxw_error e = x->failed;
    for (size_t i = 0; i < x->n_sheets; i++)
        if (x->sheets[i]->rows)
            tp_xrows_finish(x->sheets[i]->rows);
    int rc = rows_failed(x, err);
    if (rc)
        return rc;
    if (e && check_sheet_files(x, err) != 0)
        return TP_EIO; /* a write error shows as a cell's error: say which */
    for (size_t i = 0; i < x->n_sheets && !e; i++) {
        struct sheet *sh = x->sheets[i];
        for (unsigned c = 0; c < sh->n_cols; c++)
            tp_lxw.worksheet_set_column(sh->ws, (lxw_col_t)c, (lxw_col_t)c,
                                        (sh->width[c] < 6 ? 6 : sh->width[c]) + 2, NULL);
        /* rows written, a row left unfinished by a failed table included */
        uint64_t last = sh->row + (sh->col ? 1 : 0);
        if (last > x->max_rows)
            last = x->max_rows;
        if (sh->n_cols && last >= 1)
            e = tp_lxw.worksheet_autofilter(sh->ws, 0, 0, (lxw_row_t)(last - 1),
                                            (lxw_col_t)(sh->n_cols - 1));
        if (!e && sh->timeline)
            e = tp_xlsx_add_chart(x, sh);
    }
    if (!e)
        e = tp_xlsx_add_notes(x);
    if (e && (rc = rows_failed(x, err)) != 0) /* chart_data's rows: say why */
        return rc;
    if (e) /* the workbook is dropped: nothing is published */
        return tp_error_set(err, e == LXW_ERROR_MEMORY_MALLOC_FAILED ? TP_ENOMEM : TP_EIO,
                            "%s: cannot write the workbook: %s", x->name, tp_lxw.lxw_strerror(e));
    if ((rc = rows_failed(x, err)) != 0) /* chart_data's */
        return rc;
    if (check_sheet_files(x, err) != 0)
        return TP_EIO;
    errno = 0;
    e = tp_lxw.workbook_close(x->wb);
    x->wb = NULL;
    if (e)
        return tp_error_set(err, TP_EIO, "%s: cannot write the workbook: %s%s%s", x->name,
                            tp_lxw.lxw_strerror(e), errno ? ": " : "",
                            errno ? strerror(errno) : "");
    if ((rc = splice_rows(x, err)) != 0)
        return rc;
    if (x->own_tmp && copy_into(x->path, tp_out_file(x->out)) != 0)
        return tp_error_set(err, TP_EIO, "%s: cannot copy the workbook: %s", x->name,
                            strerror(errno));
    return 0;
}

static void free_sheet(struct sheet *sh)
{
    if (!sh)
        return;
    for (unsigned c = 0; c < sh->cols_cap; c++)
        free(sh->names[c]);
    free(sh->names);
    free(sh->date);
    free(sh->width);
    free(sh->letters);
    tp_xrows_free(sh->rows);
    for (size_t p = 0; p < sh->cd.n_periods; p++)
        free(sh->cd.periods[p]);
    free(sh->cd.periods);
    free(sh->cd.values);
    for (int t = 0; t < sh->cd.n_terms; t++)
        free(sh->cd.terms[t]);
    free(sh);
}

void tp_xlsx_free(struct tp_xlsx *x)
{
    if (!x)
        return;
    if (x->wb)
        tp_lxw.lxw_workbook_free(x->wb);
    for (size_t i = 0; i < x->n_sheets; i++)
        free_sheet(x->sheets[i]);
    free_sheet(x->chart_sheet);
    free(x->sheets);
    if (x->own_tmp) {
        unlink(x->path);
        tp_outpath_live_drop(&x->tmp_slot);
    }
    free(x->path);
    free(x->name);
    free(x->buf);
    free(x);
}
