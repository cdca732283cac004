/*
 * input/lines.c - one document a line: --doc-per-line text (each line with
 * its own date header, id PATH:LINE) and JSONL (each line a JSON object read
 * with jansson: text, id and date fields).
 *
 * Where it sits: called by reader.c's dispatch; uses input/common.c to read
 * bytes and to give each line's document to the sink (tp_in_emit_doc).
 * Core data structure: struct lines, the cursor over r->raw (the chunk read)
 * and its line count; a line the chunk cuts is gathered in r->line, up to
 * --max-doc-bytes. Blank lines are no documents; a CR before the LF and a
 * BOM on the first line are dropped.
 *
 * Ranged reading: a large file of one document a line is cut by pipeline.c
 * at line starts (tp_reader_splittable, tp_reader_new_range); a part's lines
 * are numbered from its first line's number (r->range_line), so ids and
 * messages are those of a reader of the whole file.
 */
#include <stdio.h>

#include <jansson.h>

#include "input.h"

/* Where reading a line-based input got: pos of len bytes in r->raw, whether
 * the input ended, and the number of the last line returned. */
struct lines {
    size_t pos, len;
    int eof;
    unsigned long lineno;
};

/* The next line without its '\n' (1 = got one, 0 = end of input, < 0 error).
 * The line points into r->raw or r->line until the next call. */
static int next_line(struct run *run, struct lines *ls, const char **line, size_t *len)
{
    struct tp_reader *r = run->r;
    int rc;

    r->line.len = 0;
    for (;;) {
        if (ls->pos == ls->len) {
            if (ls->eof) {
                if (r->line.len == 0)
                    return 0;
                break;
            }
            rc = tp_in_read(run, r->raw, CHUNK, &ls->len);
            if (rc < 0)
                return rc;
            ls->pos = 0;
            ls->eof = ls->len < CHUNK;
            continue;
        }
        const unsigned char *s = r->raw + ls->pos;
        const unsigned char *nl = memchr(s, '\n', ls->len - ls->pos);
        if (nl && r->line.len == 0) {
            /* The whole line is in the read buffer: no copy. */
            *line = (const char *)s;
            *len = (size_t)(nl - s);
            ls->pos += *len + 1;
            ls->lineno++;
            return 1;
        }
        size_t k = nl ? (size_t)(nl - s) : ls->len - ls->pos;
        if ((uint64_t)r->line.len + k > doc_cap(r)) {
            char w[32];
            return tp_error_set(run->err, TP_EPARSE,
                                "%s:%lu: line longer than %s (--max-doc-bytes): not read; raise "
                                "--max-doc-bytes if it is meant",
                                run->path, ls->lineno + 1,
                                tp_in_size_words(doc_cap(r), w, sizeof(w)));
        }
        if (buf_add(&r->line, s, k) < 0)
            return tp_error_set(run->err, TP_ENOMEM,
                                "%s:%lu: out of memory holding a line of %zu bytes (lower "
                                "--max-doc-bytes to stop sooner)",
                                run->path, ls->lineno + 1, r->line.len + k);
        ls->pos += nl ? k + 1 : k;
        if (nl)
            break;
    }
    *line = r->line.p;
    *len = r->line.len;
    ls->lineno++;
    return 1;
}

/* --doc-per-line: the line is a document with its own header and id. */
static int line_doc(struct run *run, unsigned long lineno, const char *p, size_t n)
{
    struct tp_reader *r = run->r;
    enum tp_encoding enc = tp_in_pick_encoding(r, tp_encoding_is_utf8(p, n));
    struct found_date fd;
    struct tp_doc doc = {0};
    const char *text;
    size_t len, skip;
    int rc;

    rc = tp_in_to_utf8(run, enc, p, n, &r->dec, &text, &len);
    if (rc < 0)
        return rc;
    skip = tp_in_find_header(text, len, 1, run->path, lineno, &fd);
    doc.id = tp_in_line_id(run, lineno);
    if (!doc.id)
        return nomem(run->err);
    doc.path = run->path;
    doc.line = lineno;
    doc.encoding = enc;
    return tp_in_emit_doc(run, &doc, &fd, text + skip, len - skip, 0);
}

/* A JSON id or date value as text: strings as they are, integers in decimal,
 * other numbers with %.17g. Returns NULL for other types. */
static const char *json_scalar(json_t *v, char *tmp, size_t cap, size_t *len)
{
    if (json_is_string(v)) {
        *len = json_string_length(v);
        return json_string_value(v);
    }
    if (json_is_integer(v))
        snprintf(tmp, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(tmp, cap, "%.17g", json_real_value(v));
    else
        return NULL;
    *len = strlen(tmp);
    return tmp;
}

/* p[0..n) with every integer of 19 digits or more (outside strings) put in
 * quotes: valid JSON that jansson's 64-bit integers cannot hold becomes a
 * string of the same digits (an id keeps them exactly). */
static int quote_big_ints(const char *p, size_t n, struct buf *b)
{
    b->len = 0;
    if (buf_reserve(b, n + n / 10 + 16) < 0)
        return TP_ENOMEM;
    int in_str = 0;
    for (size_t i = 0; i < n;) {
        char c = p[i];
        if (in_str) {
            size_t k = c == '\\' && i + 1 < n ? 2 : 1;
            if (c == '"')
                in_str = 0;
            if (buf_add(b, p + i, k) < 0)
                return TP_ENOMEM;
            i += k;
            continue;
        }
        if (c == '"')
            in_str = 1;
        if (c == '-' || (c >= '0' && c <= '9')) {
            /* a whole number token: quoted when it is an integer that long */
            size_t j = i + 1, digits = c != '-';
            int integer = 1;
            while (j < n && (strchr("0123456789.eE+-", p[j]) != NULL && p[j] != '\0')) {
                if (p[j] >= '0' && p[j] <= '9')
                    digits++;
                else
                    integer = 0;
                j++;
            }
            int quote = integer && digits >= 19;
            if ((quote && buf_add(b, "\"", 1) < 0) || buf_add(b, p + i, j - i) < 0 ||
                (quote && buf_add(b, "\"", 1) < 0))
                return TP_ENOMEM;
            i = j;
            continue;
        }
        if (buf_add(b, p + i, 1) < 0)
            return TP_ENOMEM;
        i++;
    }
    return 0;
}

/* A JSONL line: one object, a document with its text, id and date fields
 * (--text-col, --id-col, --date-col). */
static int json_doc(struct run *run, unsigned long lineno, const char *p, size_t n)
{
    struct tp_reader *r = run->r;
    const struct tp_opts *o = r->o;
    enum tp_encoding enc = tp_in_pick_encoding(r, tp_encoding_is_utf8(p, n));
    const char *text_col = o->text_col ? o->text_col : "text";
    const char *id_col = o->id_col ? o->id_col : "id";
    json_t *root = NULL, *v;
    json_error_t je;
    struct found_date fd;
    struct tp_doc doc = {0};
    const char *src, *text = "", *s;
    size_t len, text_len = 0, slen;
    char num[64], *dumped = NULL;
    int rc;

    rc = tp_in_to_utf8(run, enc, p, n, &r->dec, &src, &len);
    if (rc < 0)
        return rc;
    /* \u0000 is valid JSON: a NUL in the text is a separator like any control */
    root = json_loadb(src, len, JSON_ALLOW_NUL, &je);
    if (!root && json_error_code(&je) == json_error_numeric_overflow) {
        if (quote_big_ints(src, len, &r->jq) < 0)
            return nomem(run->err);
        root = json_loadb(r->jq.p, r->jq.len, JSON_ALLOW_NUL, &je);
    }
    if (!root)
        return tp_error_set(run->err, TP_EPARSE, "%s:%lu: invalid JSON: %s", run->path, lineno,
                            je.text);
    if (!json_is_object(root)) {
        rc = tp_error_set(run->err, TP_EPARSE, "%s:%lu: not a JSON object", run->path, lineno);
        goto out;
    }
    v = json_object_get(root, text_col);
    if (!v) {
        rc = tp_error_set(run->err, TP_EPARSE, "%s:%lu: no \"%s\" field (--text-col)", run->path,
                          lineno, text_col);
        goto out;
    }
    if (json_is_string(v)) {
        text = json_string_value(v);
        text_len = json_string_length(v);
    } else if (!json_is_null(v)) {
        rc = tp_error_set(run->err, TP_EPARSE, "%s:%lu: field \"%s\" is not a string", run->path,
                          lineno, text_col);
        goto out;
    }

    v = json_object_get(root, id_col);
    if (v && !json_is_null(v)) {
        s = json_scalar(v, num, sizeof(num), &slen);
        if (!s) {
            rc = tp_error_set(run->err, TP_EPARSE, "%s:%lu: field \"%s\" is not a string or number",
                              run->path, lineno, id_col);
            goto out;
        }
        r->id.len = 0;
        if (buf_add(&r->id, s, slen) < 0) {
            rc = nomem(run->err);
            goto out;
        }
        doc.id = r->id.p;
    } else if (o->id_col) {
        rc = tp_error_set(run->err, TP_EPARSE, "%s:%lu: no \"%s\" field (--id-col)", run->path,
                          lineno, id_col);
        goto out;
    } else if (!(doc.id = tp_in_line_id(run, lineno))) {
        rc = nomem(run->err);
        goto out;
    }

    memset(&fd, 0, sizeof(fd));
    fd.kind = TP_HDR_NONE;
    v = o->date_col ? json_object_get(root, o->date_col) : NULL;
    if (v && !json_is_null(v)) {
        s = json_scalar(v, num, sizeof(num), &slen);
        if (!s) {
            dumped = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
            s = dumped ? dumped : "?";
            slen = strlen(s);
        }
        tp_in_cell_date(s, slen, run->path, lineno, &fd);
        if (dumped) {
            fd.kind = TP_HDR_BAD;
            fd.value = s;
            fd.value_len = slen;
        }
    }
    doc.path = run->path;
    doc.line = lineno;
    doc.encoding = enc;
    rc = tp_in_emit_doc(run, &doc, &fd, text, text_len, 0);
out:
    free(dumped);
    json_decref(root);
    return rc;
}

/* Every line of the input (or of its range: numbered from range_line) that
 * is not blank, a document: JSONL when fmt says so, else --doc-per-line. */
int tp_in_read_lines(struct run *run, enum format fmt)
{
    struct lines ls = {0, 0, 0, 0};
    if (run->r->ranged)
        ls.lineno = run->r->range_line - 1;
    const char *p = NULL;
    size_t n = 0;
    int rc;

    while ((rc = next_line(run, &ls, &p, &n)) == 1) {
        if (ls.lineno == 1 && has_bom(p, n)) {
            p += 3;
            n -= 3;
        }
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (all_blank((const unsigned char *)p, n))
            continue;
        rc = fmt == FMT_JSONL ? json_doc(run, ls.lineno, p, n) : line_doc(run, ls.lineno, p, n);
        if (rc != 0)
            return rc;
    }
    return rc;
}
