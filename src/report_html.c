/*
 * report_html.c - report.html (see report_html.h): tables kept as escaped
 * JSON while they are written, then one page around them.
 *
 * Each kept table is a growing buffer of JSON rows (every cell a string: the
 * CSV's own text, so the page shows exactly what the CSV holds) and the
 * current row, kept or dropped when it ends. The page is the HTML skeleton
 * below, the compiled-in styles, the data, uPlot and src/html/report.js.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "report_html.h"

/* build/<mode>/gen/report_assets.c (src/html/embed.sh) */
extern const char *const tp_html_uPlot_iife_min_js[];
extern const char *const tp_html_uPlot_min_css[];
extern const char *const tp_html_report_js[];
extern const char *const tp_html_report_css[];

enum { MAX_TERMS_KEPT = 1000 };

struct buf {
    char *p;
    size_t len, cap;
    int failed;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n) /* (s may be NULL then) */
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

/* s[0..len) as a JSON string that is safe inside an HTML <script> element:
 * `<`, `>` and `&` as \u003c \u003e \u0026 (so no `</script>` or `<!--` can
 * form), U+2028 and U+2029 escaped (line ends to older JavaScript), control
 * characters escaped, and bytes that are not UTF-8 as U+FFFD. */
static void json_string(struct buf *b, const char *s, size_t len)
{
    char esc[8];
    buf_put(b, "\"", 1);
    size_t run = 0; /* bytes copied as they are, pending */
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        /* printable ASCII but " \ < > &: as it is */
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
            run++;
            i++;
            continue;
        }
        const char *rep = NULL;
        size_t step = 1;
        if (c < 0x80) {
            if (c == '"')
                rep = "\\\"";
            else if (c == '\\')
                rep = "\\\\";
            else if (c == '<')
                rep = "\\u003c";
            else if (c == '>')
                rep = "\\u003e";
            else if (c == '&')
                rep = "\\u0026";
            else {
                snprintf(esc, sizeof(esc), "\\u%04x", c);
                rep = esc;
            }
        } else {
            utf8proc_int32_t cp;
            utf8proc_ssize_t n =
                utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
            if (n < 0)
                rep = "\\ufffd";
            else if (cp == 0x2028)
                rep = "\\u2028";
            else if (cp == 0x2029)
                rep = "\\u2029";
            step = n < 0 ? 1 : (size_t)n;
        }
        if (rep) {
            buf_put(b, s + i - run, run);
            run = 0;
            buf_str(b, rep);
        } else {
            run += step;
        }
        i += step;
    }
    buf_put(b, s + len - run, run);
    buf_put(b, "\"", 1);
}

struct capture {
    char name[32];
    struct buf rows;   /* "[...],[...]", the current row last */
    size_t mark;       /* rows.len before the current row */
    struct buf header; /* ["a","b",...] */
    struct buf kinds;  /* 't' or 'n' by column, from the first row */
    uint64_t row_no;   /* rows ended so far, the header included */
    uint64_t n_kept;
    unsigned col;
    size_t max_rows;
    size_t max_terms;
    int term_col; /* the column whose values are limited to max_terms, or -1 */
    int keep;     /* the current row is kept */
    char **terms; /* the first max_terms values of term_col */
    size_t n_terms;
};

struct tp_html {
    struct capture **caps;
    size_t n_caps;
};

int tp_html_new(struct tp_html **h)
{
    *h = calloc(1, sizeof(**h));
    return *h ? 0 : TP_ENOMEM;
}

static void term_check(struct capture *c, const char *s, size_t len)
{
    for (size_t i = 0; i < c->n_terms; i++)
        if (strlen(c->terms[i]) == len && memcmp(c->terms[i], s, len) == 0)
            return;
    if (c->n_terms < c->max_terms) {
        char *t = strndup(s, len);
        if (!t) {
            c->rows.failed = 1;
            return;
        }
        c->terms[c->n_terms++] = t;
        return;
    }
    c->keep = 0;
}

static void cap_cell(void *ctx, const char *s, size_t len, enum tp_cell_kind kind)
{
    struct capture *c = ctx;
    if (c->row_no == 0) {
        buf_put(&c->header, c->col ? "," : "[", 1);
        json_string(&c->header, s, len);
        if (len == 4 && memcmp(s, "term", 4) == 0 && c->max_terms)
            c->term_col = (int)c->col;
        c->col++;
        return;
    }
    if (c->row_no == 1)
        buf_put(&c->kinds, kind == TP_CELL_NUMBER ? "n" : "t", 1);
    if (c->col == 0) {
        c->keep = c->n_kept < c->max_rows;
        c->mark = c->rows.len;
    }
    if ((int)c->col == c->term_col && c->keep)
        term_check(c, s, len);
    if (c->keep) {
        /* the row is written in place, and taken back if it is not kept */
        if (c->col == 0 && c->n_kept)
            buf_put(&c->rows, ",", 1);
        buf_put(&c->rows, c->col ? "," : "[", 1);
        json_string(&c->rows, s, len);
    }
    c->col++;
}

static void cap_row_end(void *ctx)
{
    struct capture *c = ctx;
    if (c->row_no == 0) {
        buf_put(&c->header, c->col ? "]" : "[]", c->col ? 1 : 2);
    } else if (c->keep && c->col) {
        buf_put(&c->rows, "]", 1);
        c->n_kept++;
    } else if (c->col && c->rows.len > c->mark) {
        /* a row left out after its first cells (a term past max_terms) */
        c->rows.len = c->mark;
        c->rows.p[c->mark] = '\0';
    }
    /* mark is set at a row's first cell: a row with no cells must not take
     * back the row before it (kept, and counted in n_kept) */
    c->mark = c->rows.len;
    c->row_no++;
    c->col = 0;
    c->keep = 0;
}

static void cap_skip(void *ctx, uint64_t n_rows)
{
    struct capture *c = ctx;
    c->row_no += n_rows;
}

int tp_html_add(struct tp_html *h, const char *name, struct tp_out *table, size_t max_rows,
                size_t max_terms, struct tp_error *err)
{
    struct capture *c = calloc(1, sizeof(*c));
    struct capture **caps = realloc(h->caps, (h->n_caps + 1) * sizeof(*caps));
    if (caps)
        h->caps = caps;
    if (!c || !caps) {
        free(c);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    h->caps[h->n_caps++] = c;
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->max_rows = max_rows;
    c->max_terms = max_terms < MAX_TERMS_KEPT ? max_terms : MAX_TERMS_KEPT;
    c->term_col = -1;
    if (c->max_terms && !(c->terms = calloc(c->max_terms, sizeof(*c->terms))))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    struct tp_cell_sink sink = {cap_cell, cap_row_end, c, 0, cap_skip};
    /* a ranked table needs only its head: rows written on other threads are
     * then formatted there, not replayed (a timeline's terms may come late) */
    if (!max_terms && max_rows <= TP_SINK_HEAD_ROWS)
        sink.max_rows = max_rows;
    if (tp_out_add_sink(table, &sink) != 0)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    return 0;
}

static void put_all(FILE *f, const char *const *parts)
{
    for (; *parts; parts++)
        fputs(*parts, f);
}

/* The data of the page, one JSON object, written to f piece by piece (a
 * daily archive's tables are tens of megabytes: not copied into one buffer
 * first). */
static void write_data(struct tp_html *h, FILE *f, struct buf *tmp)
{
    char num[64];
    tmp->len = 0;
    buf_str(tmp, "{\"generator\":");
    json_string(tmp, "tempora " TP_VERSION_STRING, strlen("tempora " TP_VERSION_STRING));
    buf_str(tmp, ",\"tables\":{");
    for (size_t i = 0; i < h->n_caps; i++) {
        struct capture *c = h->caps[i];
        if (i)
            buf_put(tmp, ",", 1);
        json_string(tmp, c->name, strlen(c->name));
        buf_str(tmp, ":{\"columns\":");
        buf_str(tmp, c->header.len ? c->header.p : "[]");
        buf_str(tmp, ",\"kinds\":");
        json_string(tmp, c->kinds.p ? c->kinds.p : "", c->kinds.len);
        snprintf(num, sizeof(num), ",\"total\":%llu,\"kept\":%llu,",
                 (unsigned long long)(c->row_no ? c->row_no - 1 : 0),
                 (unsigned long long)c->n_kept);
        buf_str(tmp, num);
        buf_str(tmp, "\"rows\":[");
        if (!tmp->failed)
            fwrite(tmp->p, 1, tmp->len, f);
        tmp->len = 0;
        if (c->rows.len)
            fwrite(c->rows.p, 1, c->rows.len, f);
        buf_str(tmp, "]}");
    }
    buf_str(tmp, "}}");
    if (!tmp->failed)
        fwrite(tmp->p, 1, tmp->len, f);
}

int tp_html_write(struct tp_html *h, FILE *f, struct tp_error *err)
{
    for (size_t i = 0; i < h->n_caps; i++) {
        struct capture *c = h->caps[i];
        if (c->rows.failed || c->header.failed || c->kinds.failed)
            return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    /* the pieces between the tables' rows: a few hundred bytes each */
    struct buf tmp = {0};
    buf_put(&tmp, NULL, 0);
    if (tmp.failed)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          /* nothing from the network, ever; the page's own scripts and styles only */
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
          "<meta name=\"generator\" content=\"tempora " TP_VERSION_STRING "\">\n"
          "<title>tempora report</title>\n<style>\n",
          f);
    put_all(f, tp_html_uPlot_min_css);
    put_all(f, tp_html_report_css);
    fputs("</style>\n</head>\n<body>\n"
          "<header><h1>tempora report</h1><p id=\"run\"></p>"
          "<nav id=\"toc\"></nav></header>\n<main id=\"main\">"
          "<noscript>This report needs JavaScript; the same tables are in the CSV files "
          "beside it.</noscript></main>\n"
          "<script type=\"application/json\" id=\"tempora-data\">",
          f);
    write_data(h, f, &tmp);
    int failed = tmp.failed;
    free(tmp.p);
    if (failed)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    fputs("</script>\n<script>\n", f);
    put_all(f, tp_html_uPlot_iife_min_js);
    fputs("</script>\n<script>\n", f);
    put_all(f, tp_html_report_js);
    fputs("</script>\n</body>\n</html>\n", f);
    return 0;
}

void tp_html_free(struct tp_html *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n_caps; i++) {
        struct capture *c = h->caps[i];
        free(c->rows.p);
        free(c->header.p);
        free(c->kinds.p);
        for (size_t t = 0; t < c->n_terms; t++)
            free(c->terms[t]);
        free(c->terms);
        free(c);
    }
    free(h->caps);
    free(h);
}
