/*
 * input/common.c - what every input format's reader shares: reading an open
 * input's bytes, handing documents to the sink, choosing and decoding
 * encodings, settling dates, warnings.
 *
 * Where it sits: under the format readers (input/text.c, lines.c, csv.c,
 * meta.c) and reader.c, which call it; it calls none of them. Its core data
 * structure is struct run (input/input.h): one pass over the inputs, with
 * the sink, the open input and the statistics of struct tp_reader.
 *
 * A whole document reaches the sink through tp_in_emit_doc: date settled
 * (--meta, else the document's own header or date cell, else its file name),
 * then begin, text, end. Only the plain-text reader, which streams a document
 * in chunks, calls tp_in_doc_begin/text/end itself.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "input.h"

const char *tp_in_size_words(uint64_t n, char *buf, size_t cap)
{
    if (n % (1u << 30) == 0)
        snprintf(buf, cap, "%llu GiB", (unsigned long long)(n >> 30));
    else if (n % (1u << 20) == 0)
        snprintf(buf, cap, "%llu MiB", (unsigned long long)(n >> 20));
    else if (n % 1024 == 0)
        snprintf(buf, cap, "%llu KiB", (unsigned long long)(n >> 10));
    else
        snprintf(buf, cap, "%llu bytes", (unsigned long long)n);
    return buf;
}

int tp_in_ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char c = s[n - k + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != suffix[i])
            return 0;
    }
    return 1;
}

/* The format comes from the file name, a trailing .gz removed. */
enum format tp_in_format_of(const char *path)
{
    size_t n = strlen(path);
    if (tp_in_ends_with(path, n, ".gz"))
        n -= 3;
    else if (tp_in_packed_kind(path, n) == 2)
        n -= tp_in_ends_with(path, n, ".xz") ? 3 : 4; /* .zst .bz2 */
    if (tp_in_ends_with(path, n, ".csv"))
        return FMT_CSV;
    if (tp_in_ends_with(path, n, ".jsonl") || tp_in_ends_with(path, n, ".ndjson"))
        return FMT_JSONL;
    if (tp_in_ends_with(path, n, ".json"))
        return FMT_JSON;
    return FMT_TEXT;
}

void tp_in_warn(struct tp_reader *r, const char *msg)
{
    if (r->warn)
        r->warn(r->warn_ctx, msg);
}

void tp_in_skip_input(struct run *run, const char *what, const char *why)
{
    struct tp_reader *r = run->r;
    char msg[1200];

    r->stats.skipped_inputs++;
    if (run->input < r->warned_inputs)
        return;
    r->warned_inputs = run->input + 1;
    if (why)
        snprintf(msg, sizeof(msg), "%s: %s (skipped)", what, why);
    else
        snprintf(msg, sizeof(msg), "%s (skipped)", what);
    tp_in_warn(r, msg);
}

/* ---- reading ------------------------------------------------------------- */

int tp_in_gz_failed(struct run *run)
{
    int errnum = 0;
    const char *msg = gzerror(run->gz, &errnum);

    if (errnum == Z_ERRNO)
        return tp_error_set(run->err, TP_EIO, "%s: %s", run->path, strerror(errno));
    if (errnum == Z_MEM_ERROR)
        return nomem(run->err);
    if (errnum == Z_BUF_ERROR)
        return tp_error_set(run->err, TP_EIO, "%s: compressed data ends too early", run->path);
    /* zlib's message starts with the path already: name it once */
    size_t pn = strlen(run->path);
    if (msg && strncmp(msg, run->path, pn) == 0 && strncmp(msg + pn, ": ", 2) == 0)
        msg += pn + 2;
    else if (msg && strncmp(msg, "<fd:", 4) == 0 && strstr(msg, ">: "))
        msg = strstr(msg, ">: ") + 3; /* opened by gzdopen: "<fd:N>: " */
    return tp_error_set(run->err, TP_EIO, "%s: %s (corrupt compressed data)", run->path,
                        msg ? msg : "read error");
}

void tp_in_progress(struct run *run)
{
    if (run->counting && run->progress) {
        z_off_t off = run->plain      ? (z_off_t)run->plain_off
                      : run->src      ? (z_off_t)tp_in_src_offset(run)
                      : run->inflater ? tp_in_inflate_offset(run)
                                      : gzoffset(run->gz);
        run->progress(run->progress_ctx, run->done_base + (off > 0 ? (uint64_t)off : 0), run->total,
                      run->r->stats.n_documents);
    }
}

int tp_in_read(struct run *run, void *buf, size_t cap, size_t *got)
{
    int rc;
    struct tp_range_end *e = run->limited ? run->r->range_end : NULL;
    if (e) {
        /* the end another thread may have moved; these bytes claimed */
        pthread_mutex_lock(e->mu);
        run->remaining = e->end > e->pos ? e->end - e->pos : 0;
        if (cap > run->remaining)
            cap = (size_t)run->remaining;
        e->pos += cap;
        pthread_mutex_unlock(e->mu);
    } else if (run->limited && cap > run->remaining) {
        cap = (size_t)run->remaining;
    }
    size_t n = 0;
    if (run->plain && run->pre) {
        /* read whole at open: from plain_off (rewound to 0 to read again) */
        n = run->pre_len - run->plain_off < cap ? run->pre_len - run->plain_off : cap;
        if (buf != run->pre + run->plain_off)
            memmove(buf, run->pre + run->plain_off, n);
        run->plain_off += n;
    } else if (run->plain) {
        /* Plain files skip zlib's own buffer and copy. */
        while (n < cap) {
            ssize_t k = read(run->fd, (char *)buf + n, cap - n);
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0)
                return tp_error_set(run->err, TP_EIO, "%s: %s", run->path, strerror(errno));
            if (k == 0)
                break;
            n += (size_t)k;
        }
        run->plain_off += n;
    } else if (run->src) {
        if ((rc = tp_in_src_read(run, buf, cap, &n)) < 0)
            return rc;
    } else if (cap && !run->inflate_off && (rc = tp_in_inflate_read(run, buf, cap, &n)) <= 0) {
        if (rc < 0)
            return rc;
    } else if (cap) {
        int k = gzread(run->gz, buf, (unsigned)cap);
        int errnum = 0;
        if (k < 0)
            return tp_in_gz_failed(run);
        if ((size_t)k < cap) {
            gzerror(run->gz, &errnum);
            if (errnum != Z_OK)
                return tp_in_gz_failed(run);
        }
        n = (size_t)k;
    }
    *got = n;
    if (run->limited)
        run->remaining -= (uint64_t)n;
    if (run->counting) {
        run->r->stats.bytes += (uint64_t)n;
        tp_in_progress(run);
    }
    return 0;
}

/* ---- the sink ------------------------------------------------------------- */

int tp_in_sink_rc(int rc)
{
    return rc < 0 ? rc : rc > 0 ? TP_STOP : 0;
}

static const struct meta_entry *meta_find(struct tp_reader *r, const char *id);

/* Whether a document field's name (lower case, '_') is the --group-by
 * FIELD as a user may write it (From, list-id, List_Id). */
static int field_is(const char *name, const char *field)
{
    for (; *name && *field; name++, field++) {
        char c = *field >= 'A' && *field <= 'Z' ? (char)(*field - 'A' + 'a') : *field;
        if (c == '-')
            c = '_';
        if (c != *name)
            return 0;
    }
    return *name == *field;
}

int tp_in_doc_begin(struct run *run, const struct tp_doc *doc)
{
    struct tp_reader *r = run->r;
    struct tp_doc with_group;

    /* --group-by a mail header (from, to, list_id; any case, '-' for '_'):
     * the value a format reader gave among the document's fields */
    if (r->o->group_by && !doc->group && doc->n_fields) {
        for (size_t i = 0; i < doc->n_fields; i++)
            if (field_is(doc->fields[i].name, r->o->group_by)) {
                with_group = *doc;
                with_group.group = doc->fields[i].value;
                with_group.group_len = strlen(doc->fields[i].value);
                doc = &with_group;
                break;
            }
    }
    /* --group-by: a non-empty --meta cell wins over the document's own */
    if (r->meta_group && doc->part != 2) {
        const struct meta_entry *m = meta_find(r, doc->id);
        if (m && m->group && m->group[0]) {
            with_group = *doc;
            with_group.group = m->group;
            with_group.group_len = m->group_len;
            doc = &with_group;
        }
    }
    if (doc->part != 2)
        r->stats.n_documents++;
    if (doc->encoding == TP_ENC_CP1252 && r->o->encoding == TP_ENC_AUTO)
        r->stats.cp1252_documents++;
    if (!run->sink->begin)
        return 0;
    return tp_in_sink_rc(run->sink->begin(run->sink->ctx, doc, run->err));
}

int tp_in_doc_text(struct run *run, const char *p, size_t n)
{
    if (n == 0 || !run->sink->text)
        return 0;
    return tp_in_sink_rc(run->sink->text(run->sink->ctx, p, n, run->err));
}

int tp_in_doc_end(struct run *run)
{
    if (!run->sink->end)
        return 0;
    return tp_in_sink_rc(run->sink->end(run->sink->ctx, run->err));
}

/* Emit raw bytes in encoding enc (not AUTO) as UTF-8, in bounded pieces. */
static int emit_raw(struct run *run, enum tp_encoding enc, const char *p, size_t n)
{
    struct tp_reader *r = run->r;
    struct tp_decoder d;
    size_t i = 0;
    int rc = 0;

    if (enc == TP_ENC_UTF8 && tp_encoding_is_utf8(p, n))
        return tp_in_doc_text(run, p, n);
    tp_decoder_init(&d, enc);
    while (i < n && rc == 0) {
        size_t k = n - i < CHUNK ? n - i : CHUNK;
        size_t o = tp_decoder_feed(&d, p + i, k, i + k == n, r->out);
        i += k;
        rc = tp_in_doc_text(run, r->out, o);
    }
    r->stats.invalid_utf8 += d.n_invalid;
    return rc;
}

int tp_in_emit_doc(struct run *run, struct tp_doc *doc, const struct found_date *fd,
                   const char *text, size_t len, int decode)
{
    int rc = tp_in_settle_date(run, doc->id, doc->path, fd, &doc->date);
    if (rc == 0)
        rc = tp_in_doc_begin(run, doc);
    if (rc == 0)
        rc = decode ? emit_raw(run, doc->encoding, text, len) : tp_in_doc_text(run, text, len);
    if (rc == 0)
        rc = tp_in_doc_end(run);
    return rc;
}

/* Decode p[0..n) in encoding enc (not AUTO) into b; *res points at UTF-8
 * (into b, or at p itself when it is valid UTF-8 already). */
int tp_in_to_utf8(struct run *run, enum tp_encoding enc, const char *p, size_t n, struct buf *b,
                  const char **res, size_t *res_len)
{
    struct tp_decoder d;

    b->len = 0;
    if (enc == TP_ENC_UTF8 && tp_encoding_is_utf8(p, n)) {
        *res = p;
        *res_len = n;
        return 0;
    }
    if (n > SIZE_MAX / 3 - 16 || buf_reserve(b, TP_DECODE_BOUND(n)) < 0)
        return nomem(run->err);
    tp_decoder_init(&d, enc);
    b->len = tp_decoder_feed(&d, p, n, 1, b->p);
    b->p[b->len] = '\0';
    run->r->stats.invalid_utf8 += d.n_invalid;
    *res = b->p;
    *res_len = b->len;
    return 0;
}

/* The encoding of a document held whole, under the options. */
enum tp_encoding tp_in_pick_encoding(const struct tp_reader *r, int valid_utf8)
{
    if (r->o->encoding != TP_ENC_AUTO)
        return r->o->encoding;
    return valid_utf8 ? TP_ENC_UTF8 : TP_ENC_CP1252;
}

/* ---- dates ---------------------------------------------------------------- */

static const struct meta_entry *meta_find(struct tp_reader *r, const char *id)
{
    /* the row found last and the next: a document asks twice (its group,
     * its date), and archives list their documents in the order of their
     * ids, as --meta is sorted */
    size_t h = r->meta_hint;
    for (size_t i = h; i < r->n_meta && i <= h + 1; i++)
        if (strcmp(r->meta[i].id, id) == 0) {
            r->meta_hint = i;
            return &r->meta[i];
        }
    size_t lo = 0, hi = r->n_meta;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->meta[mid].id, id);
        if (c == 0) {
            r->meta_hint = mid;
            return &r->meta[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Warn about (or under --strict fail on) an unparsable date. */
static int bad_date(struct run *run, const char *where, unsigned long line, const char *value,
                    size_t len)
{
    struct tp_reader *r = run->r;
    char shown[128], msg[1024];
    size_t k = len;

    /* Show at most 100 bytes, cut at a character boundary, controls as '?'. */
    if (k > 100) {
        k = 100;
        while (k > 0 && ((unsigned char)value[k] & 0xC0) == 0x80)
            k--;
    }
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)value[i];
        shown[i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
    }
    shown[k] = '\0';
    r->stats.bad_dates++;
    if (r->o->strict)
        return tp_error_set(run->err, TP_EPARSE, "%s:%lu: unparsable date '%s%s'", where, line,
                            shown, k < len ? "..." : "");
    /* The document this date belongs to has not begun yet. */
    if (r->stats.n_documents + 1 <= r->warned_docs)
        return 0;
    r->warned_docs = r->stats.n_documents + 1;
    snprintf(msg, sizeof(msg), "%s:%lu: unparsable date '%s%s' (document left undated)", where,
             line, shown, k < len ? "..." : "");
    tp_in_warn(r, msg);
    return 0;
}

/* The date of a document: --meta, else its own (header or date cell), else
 * its file name under --date-from-name. A source that is present but does
 * not parse leaves the document undated: lower sources are not consulted, so
 * the warning's "left undated" stays true. */
int tp_in_settle_date(struct run *run, const char *id, const char *path,
                      const struct found_date *fd, struct tp_date *out)
{
    struct tp_reader *r = run->r;
    const struct meta_entry *m = r->n_meta ? meta_find(r, id) : NULL;

    out->year = out->month = out->day = 0;
    out->prec = TP_PREC_NONE;
    if (m && m->value[0] != '\0') {
        size_t n = strlen(m->value);
        if (tp_date_parse_value(m->value, n, out) == 0)
            return 0;
        return bad_date(run, r->o->meta_path, m->line, m->value, n);
    }
    if (fd->kind == TP_HDR_DATE) {
        *out = fd->date;
        return 0;
    }
    if (fd->kind == TP_HDR_BAD)
        return bad_date(run, fd->where, fd->line, fd->value, fd->value_len);
    if (r->o->date_from_name)
        tp_in_name_date(run, path, out); /* leaves *out undated when there is none */
    return 0;
}

/* A date cell (CSV, JSONL): empty says nothing, else it must parse. */
void tp_in_cell_date(const char *s, size_t n, const char *where, unsigned long line,
                     struct found_date *fd)
{
    memset(fd, 0, sizeof(*fd));
    fd->kind = TP_HDR_NONE;
    fd->where = where;
    fd->line = line;
    if (all_blank((const unsigned char *)s, n))
        return;
    if (tp_date_parse_value(s, n, &fd->date) == 0) {
        fd->kind = TP_HDR_DATE;
    } else {
        fd->kind = TP_HDR_BAD;
        fd->value = s;
        fd->value_len = n;
    }
}

/* Look for a header in text[0..len) (the document's first decoded bytes; eof
 * says they are all of it). */
size_t tp_in_find_header(const char *text, size_t len, int eof, const char *where,
                         unsigned long first_line, struct found_date *fd)
{
    size_t skip;
    unsigned long line;
    size_t n = len < HEADER_BYTES ? len : HEADER_BYTES;

    memset(fd, 0, sizeof(*fd));
    fd->kind = tp_date_header(text, n, eof && len <= HEADER_BYTES, &fd->date, &skip, &line,
                              &fd->value, &fd->value_len);
    fd->where = where;
    fd->line = first_line + line - 1;
    return skip;
}

int tp_in_read_whole(struct run *run, struct buf *b, const char *what)
{
    uint64_t cap = doc_cap(run->r);
    b->len = 0;
    for (;;) {
        size_t got;
        if (buf_reserve(b, CHUNK) < 0)
            return tp_error_set(run->err, TP_ENOMEM,
                                "%s: out of memory holding a %s of %zu bytes (lower "
                                "--max-doc-bytes to stop sooner)",
                                run->path, what, b->len);
        int rc = tp_in_read(run, b->p + b->len, CHUNK, &got);
        if (rc < 0)
            return rc;
        b->len += got;
        b->p[b->len] = '\0';
        if ((uint64_t)b->len > cap) {
            char w[32];
            return tp_error_set(run->err, TP_EPARSE,
                                "%s: %s larger than %s (--max-doc-bytes): not read; raise "
                                "--max-doc-bytes if it is meant",
                                run->path, what, tp_in_size_words(cap, w, sizeof(w)));
        }
        if (got < CHUNK)
            return 0;
    }
}

int tp_in_id_nuls(struct buf *b)
{
    if (!b->len || !memchr(b->p, 0, b->len))
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += b->p[i] == '\0';
    if (buf_reserve(b, 2 * n) < 0)
        return TP_ENOMEM;
    /* from the end, each NUL becomes the three bytes EF BF BD */
    size_t to = b->len + 2 * n;
    b->p[to] = '\0';
    for (size_t i = b->len; i-- > 0;) {
        if (b->p[i] != '\0') {
            b->p[--to] = b->p[i];
        } else {
            b->p[--to] = (char)0xBD;
            b->p[--to] = (char)0xBF;
            b->p[--to] = (char)0xEF;
        }
    }
    b->len += 2 * n;
    return 0;
}

const char *tp_in_line_id(struct run *run, unsigned long n)
{
    struct tp_reader *r = run->r;
    size_t need = strlen(run->id_path) + 24;

    r->id.len = 0;
    if (buf_reserve(&r->id, need) < 0)
        return NULL;
    snprintf(r->id.p, need, "%s:%lu", run->id_path, n);
    return r->id.p;
}
