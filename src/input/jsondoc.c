/*
 * input/jsondoc.c - a `.json` file: one JSON object (one document) or an
 * array of objects (one document each), every object read like a JSONL line
 * (--text-col, --id-col, --date-col; see docs/inputs.md, "JSON documents").
 *
 * Where it sits: called by reader.c's dispatch; uses input/common.c to read
 * the bytes and give each document to the sink. The file is held whole, up
 * to --max-doc-bytes, and decoded as one unit (--encoding auto: UTF-8 or
 * else CP1252). An array is read one element at a time, so each document
 * knows the line it starts on: the element's extent is found by matching its
 * brackets (strings skipped with memchr) and its fields read by the JSONL fast
 * reader (input/json_fast.cpp, simdjson) when it takes the object; else
 * jansson decodes it and says where it ended (JSON_DISABLE_EOF_CHECK), and
 * only that element is ever a jansson tree.
 * When the structure around the elements is wrong (a missing comma, a
 * trailing one, a value that is no object), jansson reads the whole text once
 * more to name the line of what is wrong.
 */
#include <stdio.h>

#include <jansson.h>

#include "input.h"
#include "json_fast.h"

/* Where the reading of one file got. */
struct jdoc {
    struct run *run;
    const char *p; /* the UTF-8 text */
    size_t len, pos;
    unsigned long line; /* of p[pos] */
    enum tp_encoding enc;
    const char *all; /* the whole text (p is its rest after big integers were quoted) */
    size_t all_len;
    int quoted;
};

static void skip_ws(struct jdoc *j)
{
    while (j->pos < j->len) {
        char c = j->p[j->pos];
        if (c == '\n')
            j->line++;
        else if (c != ' ' && c != '\t' && c != '\r')
            break;
        j->pos++;
    }
}

/* Lines in p[0..n). */
static unsigned long count_lines(const char *p, size_t n)
{
    unsigned long k = 0;
    for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        k++;
    return k;
}

/* The file's structure is wrong at `line`: name jansson's reason when the
 * whole text is not valid JSON, else say `what`. */
static int structure_error(struct jdoc *j, unsigned long line, const char *what)
{
    json_error_t je;
    json_t *all = json_loadb(j->all, j->all_len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &je);
    if (!all && json_error_code(&je) != json_error_numeric_overflow)
        return tp_error_set(j->run->err, TP_EPARSE, "%s:%d: invalid JSON: %s", j->run->path,
                            je.line, je.text);
    json_decref(all);
    return tp_error_set(j->run->err, TP_EPARSE, "%s:%lu: %s", j->run->path, line, what);
}

/* A "year" field f as a date: a number or string written with exactly four
 * digits (1790, 1790.0, "1790"). Anything else says nothing. */
static int year_of(const struct tp_json_field *f, struct found_date *fd)
{
    struct tp_date d;
    if ((f->kind != TP_JSON_NUMBER && f->kind != TP_JSON_STRING) || f->len != 4 ||
        tp_date_parse(f->s, 4, &d) < 0)
        return 0;
    fd->kind = TP_HDR_DATE;
    fd->date = d;
    return 1;
}

/* One object's document, starting on `line`: element n (1-based) of an
 * array, or the whole file when n is 0. f holds its text, id and date
 * fields; year, when not NULL, its "year" field (asked for only when
 * --date-col is not given and the date field is absent). */
/* The field --group-by names in an object, or NULL (none, or `dir`). */
static const char *group_key(const struct tp_opts *o)
{
    return o->group_by && strcmp(o->group_by, "dir") != 0 ? o->group_by : NULL;
}

static int emit_object(struct jdoc *j, const struct tp_json_field f[TP_JSON_N_FIELDS],
                       const struct tp_json_field *year, unsigned long line, unsigned long n)
{
    struct run *run = j->run;
    struct tp_reader *r = run->r;
    const struct tp_opts *o = r->o;
    const char *text_col = o->text_col ? o->text_col : "text";
    const struct tp_json_field *t = &f[TP_JSON_TEXT], *id = &f[TP_JSON_ID], *d = &f[TP_JSON_DATE];
    struct found_date fd;
    struct tp_doc doc = {0};
    char *dumped = NULL;
    int rc;

    if (t->kind == TP_JSON_ABSENT)
        return tp_error_set(run->err, TP_EPARSE, "%s:%lu: no \"%s\" field (--text-col)", run->path,
                            line, text_col);
    if (t->kind != TP_JSON_STRING && t->kind != TP_JSON_NULL)
        return tp_error_set(run->err, TP_EPARSE, "%s:%lu: field \"%s\" is not a string", run->path,
                            line, text_col);
    if ((rc = tp_in_json_id(run, id, line, &doc.id)) < 0)
        return rc;
    if (!doc.id && !(doc.id = n == 0 ? run->id_path : tp_in_line_id(run, n)))
        return nomem(run->err);

    memset(&fd, 0, sizeof(fd));
    fd.kind = TP_HDR_NONE;
    if (d->kind == TP_JSON_STRING || d->kind == TP_JSON_NUMBER) {
        tp_in_cell_date(d->s, d->len, run->path, line, &fd);
    } else if (d->kind == TP_JSON_OTHER) {
        /* an object, array or boolean: a bad date shown as compact JSON */
        dumped = json_dumps(d->value, JSON_ENCODE_ANY | JSON_COMPACT);
        fd.kind = TP_HDR_BAD;
        fd.value = dumped ? dumped : "?";
        fd.value_len = strlen(fd.value);
        fd.where = run->path;
        fd.line = line;
    } else if (year && d->kind == TP_JSON_ABSENT) {
        year_of(year, &fd);
    }
    if ((rc = tp_in_json_group(run, &f[TP_JSON_GROUP], group_key(o), line, &doc))) {
        free(dumped);
        return rc;
    }
    doc.path = run->path;
    doc.line = line;
    doc.encoding = j->enc;
    rc = tp_in_emit_doc(run, &doc, &fd, t->kind == TP_JSON_STRING ? t->s : "", t->len, 0);
    free(dumped);
    return rc;
}

/* The length of the object starting with '{' at p[0..n): up to the bracket
 * that closes it, strings (and their escapes) skipped; 0 when none does. */
static size_t object_extent(const char *p, size_t n)
{
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '"') {
            /* to the quote that is not escaped: one after an even run of
             * backslashes (memchr: the text is most of the bytes) */
            for (;;) {
                const char *q = memchr(p + i + 1, '"', n - i - 1);
                if (!q)
                    return 0;
                i = (size_t)(q - p);
                size_t b = 0;
                while (p[i - 1 - b] == '\\')
                    b++;
                if (b % 2 == 0)
                    break;
            }
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return i + 1;
        }
    }
    return 0;
}

/* The fast reader (input/json_fast.cpp) on the object p[0..n): 1 when it
 * took it and the document was emitted (*rc its result), 0 when jansson
 * must read it. */
static int fast_object(struct jdoc *j, const char *p, size_t n, unsigned long line, unsigned long k,
                       int *rc)
{
    struct tp_reader *r = j->run->r;
    const struct tp_opts *o = r->o;
    const char *keys[TP_JSON_N_FIELDS] = {o->text_col ? o->text_col : "text",
                                          o->id_col ? o->id_col : "id",
                                          o->date_col ? o->date_col : "date", group_key(o)};
    const char *year_keys[TP_JSON_N_FIELDS] = {NULL, NULL, "year"};
    struct tp_json_field f[TP_JSON_N_FIELDS], y[TP_JSON_N_FIELDS];
    if (!tp_json_fast_fields || !tp_json_fast_fields(p, n, keys, f))
        return 0;
    if (f[TP_JSON_DATE].kind != TP_JSON_ABSENT || o->date_col_given) {
        *rc = emit_object(j, f, NULL, line, k);
        return 1;
    }
    /* the "year" field too: the strings the first reading gave are
     * borrowed until the next, so they are kept first */
    static const int keep[3][2] = {
        {TP_JSON_TEXT, COL_TEXT}, {TP_JSON_ID, COL_ID}, {TP_JSON_GROUP, COL_GROUP}};
    for (int k2 = 0; k2 < 3; k2++) {
        int i = keep[k2][0];
        if (f[i].kind != TP_JSON_STRING)
            continue;
        struct buf *b = &r->cell[keep[k2][1]];
        b->len = 0;
        if (buf_add(b, f[i].s, f[i].len) < 0) {
            *rc = nomem(j->run->err);
            return 1;
        }
        f[i].s = b->p;
    }
    if (!tp_json_fast_fields(p, n, year_keys, y))
        return 0;
    *rc = emit_object(j, f, &y[TP_JSON_DATE], line, k);
    return 1;
}

/* Read the object at j->pos (the caller checked its '{'), emit it and move
 * past it. */
static int next_object(struct jdoc *j, unsigned long n)
{
    struct tp_reader *r = j->run->r;
    const struct tp_opts *o = r->o;
    json_error_t je;
    unsigned long line = j->line;
    size_t ext = object_extent(j->p + j->pos, j->len - j->pos);
    int rc = 0;

    if (ext && fast_object(j, j->p + j->pos, ext, line, n, &rc)) {
        j->line += count_lines(j->p + j->pos, ext);
        j->pos += ext;
        return rc;
    }
    json_t *obj =
        json_loadb(j->p + j->pos, j->len - j->pos, JSON_ALLOW_NUL | JSON_DISABLE_EOF_CHECK, &je);
    if (!obj && json_error_code(&je) == json_error_numeric_overflow && !j->quoted) {
        /* integers beyond 64 bits: the rest of the text with them quoted
         * (no line is added), read as strings of their digits */
        if (tp_in_quote_big_ints(j->p + j->pos, j->len - j->pos, &r->jq) < 0)
            return nomem(j->run->err);
        j->p = r->jq.p;
        j->len = r->jq.len;
        j->pos = 0;
        j->quoted = 1;
        obj = json_loadb(j->p, j->len, JSON_ALLOW_NUL | JSON_DISABLE_EOF_CHECK, &je);
    }
    if (!obj)
        return tp_error_set(j->run->err, TP_EPARSE, "%s:%lu: invalid JSON: %s", j->run->path,
                            line + (unsigned long)(je.line > 0 ? je.line - 1 : 0), je.text);
    size_t used = (size_t)je.position;
    if (used > j->len - j->pos)
        used = j->len - j->pos;
    j->line += count_lines(j->p + j->pos, used);
    j->pos += used;

    struct tp_json_field f[TP_JSON_N_FIELDS], y;
    tp_in_json_field(json_object_get(obj, o->text_col ? o->text_col : "text"), &f[TP_JSON_TEXT]);
    tp_in_json_field(json_object_get(obj, o->id_col ? o->id_col : "id"), &f[TP_JSON_ID]);
    tp_in_json_field(json_object_get(obj, o->date_col ? o->date_col : "date"), &f[TP_JSON_DATE]);
    tp_in_json_field(json_object_get(obj, "year"), &y);
    tp_in_json_field(group_key(o) ? json_object_get(obj, group_key(o)) : NULL, &f[TP_JSON_GROUP]);
    rc = emit_object(j, f, o->date_col_given ? NULL : &y, line, n);
    json_decref(obj);
    return rc;
}

/* Read the whole input into r->line, up to --max-doc-bytes. */
static int slurp(struct run *run)
{
    struct tp_reader *r = run->r;
    r->line.len = 0;
    for (;;) {
        size_t got = 0;
        if (buf_reserve(&r->line, CHUNK) < 0)
            return tp_error_set(run->err, TP_ENOMEM,
                                "%s: out of memory holding a JSON document of %zu bytes (lower "
                                "--max-doc-bytes to stop sooner)",
                                run->path, r->line.len);
        int rc = tp_in_read(run, r->line.p + r->line.len, CHUNK, &got);
        if (rc < 0)
            return rc;
        r->line.len += got;
        r->line.p[r->line.len] = '\0';
        if ((uint64_t)r->line.len > doc_cap(r)) {
            char w[32];
            return tp_error_set(run->err, TP_EPARSE,
                                "%s: JSON document larger than %s (--max-doc-bytes): not read; "
                                "raise --max-doc-bytes if it is meant",
                                run->path, tp_in_size_words(doc_cap(r), w, sizeof(w)));
        }
        if (got < CHUNK)
            return 0;
    }
}

int tp_in_read_jsondoc(struct run *run)
{
    struct tp_reader *r = run->r;
    struct jdoc j = {run, NULL, 0, 0, 1, TP_ENC_UTF8, NULL, 0, 0};
    int rc = slurp(run);
    if (rc < 0)
        return rc;
    const char *raw = r->line.p;
    size_t n = r->line.len;
    if (has_bom(raw, n)) {
        raw += 3;
        n -= 3;
    }
    int utf8 = tp_encoding_is_utf8(raw, n);
    j.enc = tp_in_pick_encoding(r, utf8);
    if (utf8 && j.enc == TP_ENC_UTF8) {
        j.p = raw; /* checked once: no second pass */
        j.len = n;
    } else if ((rc = tp_in_to_utf8(run, j.enc, raw, n, &r->dec, &j.p, &j.len)) < 0) {
        return rc;
    }
    j.all = j.p;
    j.all_len = j.len;
    skip_ws(&j);
    if (j.pos == j.len)
        return 0; /* an empty file: no documents */
    if (j.p[j.pos] == '{') {
        if ((rc = next_object(&j, 0)) != 0)
            return rc;
    } else if (j.p[j.pos] == '[') {
        j.pos++;
        skip_ws(&j);
        if (j.pos < j.len && j.p[j.pos] == ']') {
            j.pos++;
        } else {
            for (unsigned long k = 1;; k++) {
                if (j.pos == j.len || j.p[j.pos] != '{') {
                    char what[96];
                    snprintf(what, sizeof(what), "element %lu of the array is not a JSON object",
                             k);
                    return structure_error(&j, j.line, what);
                }
                if ((rc = next_object(&j, k)) != 0)
                    return rc;
                skip_ws(&j);
                if (j.pos < j.len && j.p[j.pos] == ']') {
                    j.pos++;
                    break;
                }
                if (j.pos == j.len || j.p[j.pos] != ',')
                    return structure_error(&j, j.line, "expected ',' or ']' after an element");
                j.pos++;
                skip_ws(&j);
            }
        }
    } else {
        return structure_error(&j, j.line, "not a JSON object or array of objects");
    }
    skip_ws(&j);
    if (j.pos < j.len)
        return structure_error(&j, j.line, "more after the end of the JSON value");
    return 0;
}
