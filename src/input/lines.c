/*
 * input/lines.c - one document a line: --doc-per-line text (each line with
 * its own date header, id PATH:LINE) and JSONL (each line a JSON object:
 * text, id and date fields, read by simdjson in input/json_fast.cpp where it
 * can and by jansson here otherwise).
 *
 * Where it sits: called by reader.c's dispatch; uses input/common.c to read
 * bytes and to give each line's document to the sink (tp_in_emit_doc).
 * Core data structure: struct lines, the cursor over r->raw (the chunk read)
 * and its line count; a line the chunk cuts is gathered in r->line, up to
 * --max-doc-bytes. Blank lines are no documents; a CR before the LF and a
 * BOM on the first line are dropped.
 *
 * Ranged reading: a large file of one document a line is cut by run_count.c
 * at line starts (tp_reader_splittable, tp_reader_new_range); a part's lines
 * are numbered from its first line's number (r->range_line), so ids and
 * messages are those of a reader of the whole file.
 */
#include <stdio.h>

#include <jansson.h>

#include "input.h"
#include "json_fast.h"

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

/* A jansson value v as a wanted field (see struct tp_json_field): strings as
 * they are, integers in decimal, other numbers with %.17g. */
void tp_in_json_field(struct json_t *v, struct tp_json_field *f)
{
    f->value = v;
    f->s = NULL;
    f->len = 0;
    if (!v) {
        f->kind = TP_JSON_ABSENT;
    } else if (json_is_null(v)) {
        f->kind = TP_JSON_NULL;
    } else if (json_is_string(v)) {
        f->kind = TP_JSON_STRING;
        f->s = json_string_value(v);
        f->len = json_string_length(v);
    } else if (json_is_number(v)) {
        if (json_is_integer(v))
            snprintf(f->num, sizeof(f->num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else
            snprintf(f->num, sizeof(f->num), "%.17g", json_real_value(v));
        f->kind = TP_JSON_NUMBER;
        f->s = f->num;
        f->len = strlen(f->num);
    } else {
        f->kind = TP_JSON_OTHER;
    }
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

int tp_in_json_slow(const char *p, size_t n, const char *const keys[TP_JSON_N_FIELDS],
                    struct tp_json_field f[TP_JSON_N_FIELDS], struct buf *jq, void **root,
                    char *why, size_t why_cap)
{
    json_error_t je;
    /* \u0000 is valid JSON: a NUL in the text is a separator like any control */
    json_t *j = json_loadb(p, n, JSON_ALLOW_NUL, &je);
    if (!j && json_error_code(&je) == json_error_numeric_overflow) {
        if (quote_big_ints(p, n, jq) < 0)
            return TP_ENOMEM;
        j = json_loadb(jq->p, jq->len, JSON_ALLOW_NUL, &je);
    }
    *root = j;
    if (!j) {
        snprintf(why, why_cap, "invalid JSON: %s", je.text);
        return TP_EPARSE;
    }
    if (!json_is_object(j)) {
        snprintf(why, why_cap, "not a JSON object");
        return TP_EPARSE;
    }
    for (int i = 0; i < TP_JSON_N_FIELDS; i++)
        tp_in_json_field(keys[i] ? json_object_get(j, keys[i]) : NULL, &f[i]);
    return 0;
}

/* A JSONL line: one object, a document with its text, id and date fields
 * (--text-col, --id-col, --date-col). The fast reader (input/json_fast.cpp)
 * takes the lines it can; jansson reads the others and says what is wrong. */
static int json_doc(struct run *run, unsigned long lineno, const char *p, size_t n)
{
    struct tp_reader *r = run->r;
    const struct tp_opts *o = r->o;
    enum tp_encoding enc;
    const char *text_col = o->text_col ? o->text_col : "text";
    const char *id_col = o->id_col ? o->id_col : "id";
    const char *keys[TP_JSON_N_FIELDS];
    struct tp_json_field f[TP_JSON_N_FIELDS];
    void *root = NULL;
    struct found_date fd;
    struct tp_doc doc = {0};
    const char *src;
    size_t len;
    char why[256], *dumped = NULL;
    int rc;

    keys[TP_JSON_TEXT] = text_col;
    keys[TP_JSON_ID] = id_col;
    keys[TP_JSON_DATE] = o->date_col;
    keys[TP_JSON_GROUP] = o->group_by && strcmp(o->group_by, "dir") != 0 ? o->group_by : NULL;
    /* A line the fast reader takes as it is has been checked as UTF-8 by it
     * (simdjson validates the whole line): no check of its own. */
    int tried = (o->encoding == TP_ENC_AUTO || o->encoding == TP_ENC_UTF8) && tp_json_fast_fields;
    int fast = tried && tp_json_fast_fields(p, n, keys, f);
    if (fast) {
        enc = tp_in_pick_encoding(r, 1);
        r->dec.len = 0;
        src = p;
        len = n;
    } else {
        int valid = tp_encoding_is_utf8(p, n);
        enc = tp_in_pick_encoding(r, valid);
        if (enc == TP_ENC_UTF8 && valid) {
            r->dec.len = 0; /* as tp_in_to_utf8 leaves it */
            src = p;
            len = n;
        } else if ((rc = tp_in_to_utf8(run, enc, p, n, &r->dec, &src, &len)) < 0) {
            return rc;
        }
        /* the same bytes again only if the fast reader has not seen them */
        if (tp_json_fast_fields && !(tried && src == p))
            fast = tp_json_fast_fields(src, len, keys, f);
    }
    if (!fast) {
        rc = tp_in_json_slow(src, len, keys, f, &r->jq, &root, why, sizeof(why));
        if (rc == TP_ENOMEM)
            rc = nomem(run->err);
        else if (rc < 0)
            rc = tp_error_set(run->err, rc, "%s:%lu: %s", run->path, lineno, why);
        if (rc < 0)
            goto out;
    }

    struct tp_json_field *t = &f[TP_JSON_TEXT], *id = &f[TP_JSON_ID], *d = &f[TP_JSON_DATE];
    if (t->kind == TP_JSON_ABSENT) {
        rc = tp_error_set(run->err, TP_EPARSE, "%s:%lu: no \"%s\" field (--text-col)", run->path,
                          lineno, text_col);
        goto out;
    }
    if (t->kind != TP_JSON_STRING && t->kind != TP_JSON_NULL) {
        rc = tp_error_set(run->err, TP_EPARSE, "%s:%lu: field \"%s\" is not a string", run->path,
                          lineno, text_col);
        goto out;
    }

    if ((rc = tp_in_json_id(run, id, lineno, &doc.id)) < 0)
        goto out;
    if (!doc.id && !(doc.id = tp_in_line_id(run, lineno))) {
        rc = nomem(run->err);
        goto out;
    }

    memset(&fd, 0, sizeof(fd));
    fd.kind = TP_HDR_NONE;
    if (d->kind == TP_JSON_STRING || d->kind == TP_JSON_NUMBER) {
        tp_in_cell_date(d->s, d->len, run->path, lineno, &fd);
    } else if (d->kind == TP_JSON_OTHER) {
        /* an object, array or boolean: a bad date shown as compact JSON */
        dumped = json_dumps(d->value, JSON_ENCODE_ANY | JSON_COMPACT);
        const char *s = dumped ? dumped : "?";
        tp_in_cell_date(s, strlen(s), run->path, lineno, &fd);
        fd.kind = TP_HDR_BAD;
        fd.value = s;
        fd.value_len = strlen(s);
    }
    if ((rc = tp_in_json_group(run, &f[TP_JSON_GROUP], keys[TP_JSON_GROUP], lineno, &doc)))
        goto out;
    doc.path = run->path;
    doc.line = lineno;
    doc.encoding = enc;
    rc = tp_in_emit_doc(run, &doc, &fd, t->kind == TP_JSON_STRING ? t->s : "", t->len, 0);
out:
    free(dumped);
    json_decref(root);
    return rc;
}

int tp_in_json_id(struct run *run, const struct tp_json_field *id, unsigned long line,
                  const char **out)
{
    struct tp_reader *r = run->r;
    const char *id_col = r->o->id_col ? r->o->id_col : "id";
    *out = NULL;
    /* an id of only blanks names no document, as a CSV row's empty id cell */
    if ((id->kind == TP_JSON_STRING && !all_blank((const unsigned char *)id->s, id->len)) ||
        id->kind == TP_JSON_NUMBER) {
        r->id.len = 0;
        if (buf_add(&r->id, id->s, id->len) < 0 || tp_in_id_nuls(&r->id) < 0)
            return nomem(run->err);
        *out = r->id.p;
    } else if (id->kind == TP_JSON_OTHER) {
        return tp_error_set(run->err, TP_EPARSE, "%s:%lu: field \"%s\" is not a string or number",
                            run->path, line, id_col);
    } else if (r->o->id_col && id->kind == TP_JSON_ABSENT) {
        return tp_error_set(run->err, TP_EPARSE, "%s:%lu: no \"%s\" field (--id-col)", run->path,
                            line, id_col);
    }
    return 0;
}

int tp_in_json_group(struct run *run, const struct tp_json_field *g, const char *name,
                     unsigned long line, struct tp_doc *doc)
{
    if (g->kind == TP_JSON_STRING || g->kind == TP_JSON_NUMBER)
        tp_in_trim(g->s, g->len, &doc->group, &doc->group_len);
    else if (g->kind == TP_JSON_OTHER)
        return tp_error_set(run->err, TP_EPARSE,
                            "%s:%lu: field \"%s\" is not a string or number (--group-by)",
                            run->path, line, name);
    return 0;
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

int tp_in_quote_big_ints(const char *p, size_t n, struct buf *b)
{
    return quote_big_ints(p, n, b);
}
