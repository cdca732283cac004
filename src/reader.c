/*
 * reader.c - inputs to documents (see reader.h and docs/inputs.md).
 *
 * First stage of the pipeline. tp_reader_new expands the INPUT list into a
 * list of files (directories walked, sorted by path) and loads --meta; each
 * tp_reader_run opens every file (plain files with read(2), gzip files and
 * copied streams through zlib), splits it into documents by format (plain
 * text, one line per document, CSV rows via libcsv, JSONL objects via
 * jansson), settles each document's encoding and date, and streams its text as
 * UTF-8 into the sink.
 *
 * Memory: a plain text document is streamed in CHUNK-sized pieces. Under
 * --encoding auto its encoding depends on all of its bytes. A plain file is
 * read with read(2) a chunk at a time, each chunk checked as UTF-8 just
 * before it goes on, while it is in the cache (read_text_plain); should a
 * later chunk not be UTF-8, the sink takes the document back (tp_sink.undo)
 * and it is read again as CP1252. A document that is not UTF-8 from its first
 * chunk, or not a plain file, is decoded from memory up to SMALL_DOC, and a
 * longer one is checked in a first streaming pass and then read again. A CSV
 * cell, a JSONL line or a --doc-per-line line is held whole (libcsv and
 * jansson need that anyway). Standard input and pipes are copied to a
 * tmpfile() on first use so that a reader can run more than once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h>
#include <jansson.h>
#include <zlib.h>

#include "encoding.h"
#include "reader.h"

#define CHUNK (256u * 1024)       /* raw bytes per read */
#define HEADER_BYTES (64u * 1024) /* text searched for a date header */
#define SMALL_DOC (1u << 20)      /* auto-encoded files held whole up to this */
#define PEEK_BYTES 8192           /* looked at for NULs (binary) and a UTF-16 BOM */
#define GZ_BUFFER (128u * 1024)

enum format { FMT_TEXT, FMT_CSV, FMT_JSONL };

struct input {
    char *path;
    uint64_t size; /* on disk; 0 for a stream */
    int stream;    /* stdin or a pipe: copied to a temporary file first */
    FILE *copy;
};

struct meta_entry {
    char *id;
    char *value; /* the date cell, trimmed; "" says nothing */
    unsigned long line;
    size_t order;
};

struct buf {
    char *p;
    size_t len, cap;
};

struct tp_reader {
    const struct tp_opts *o;
    tp_warn_fn *warn;
    void *warn_ctx;
    struct input *in;
    char **paths; /* the same paths, for tp_reader_files */
    size_t n_in, cap_in;
    uint64_t total_bytes;
    int has_stream;
    uint64_t skipped_new; /* inputs skipped while expanding */
    /* Runs see the same documents and inputs in the same order, so a warning
     * is given only past the furthest point an earlier run reached: a
     * sampling pass followed by the real pass warns once. */
    uint64_t warned_docs;
    size_t warned_inputs;
    struct meta_entry *meta;
    size_t n_meta, cap_meta;
    struct tp_reader_stats stats;
    /* tp_reader_new_range: only bytes [range_start, range_start + range_len)
     * of the one input, whose first line is line range_line */
    uint64_t check_limit; /* tp_reader_sample */
    int ranged;
    int part; /* ranged part of a one-document file: 1 the first, 2 a later one */
    uint64_t range_start, range_len;
    unsigned long range_line;
    unsigned char *raw;   /* CHUNK bytes read */
    unsigned char *small; /* SMALL_DOC bytes, for --encoding auto */
    char *out;            /* TP_DECODE_BOUND(CHUNK) decoded bytes */
    struct buf hdr, line, dec, id, date, cell[3], idpath, jq;
};

/* One pass over the inputs (or the loading of --meta, with no sink). */
struct run {
    struct tp_reader *r;
    struct tp_sink *sink;
    tp_progress_fn *progress;
    void *progress_ctx;
    struct tp_error *err;
    gzFile gz;
    const char *path; /* the input being read */
    size_t input;     /* and its index */
    int counting;     /* reads count in stats and progress */
    int limited;      /* a ranged input: at most `remaining` more bytes */
    uint64_t remaining;
    int plain; /* an uncompressed file read with read(2), not zlib */
    int utf16; /* 0, or the input starts with a UTF-16 BOM: 1 little-endian, 2 big-endian */
    const char *id_path; /* path as ids show it: valid UTF-8 (r->idpath) */
    int fd;
    uint64_t plain_start, plain_off; /* where reading began; bytes read since */
    size_t text_skip;                /* start_text_doc: header bytes before the text */
    uint64_t done_base;
    uint64_t total;
};

/* A date a document carries in itself (header, front matter, date cell). */
struct found_date {
    enum tp_header_kind kind;
    struct tp_date date;
    const char *value; /* TP_HDR_BAD: the unparsable text */
    size_t value_len;
    const char *where; /* file and line to name in a warning */
    unsigned long line;
};

static int buf_reserve(struct buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > SIZE_MAX - b->len - 1)
        return TP_ENOMEM;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->p, cap);
    if (!p)
        return TP_ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

/* Append and keep the buffer NUL-terminated. */
static int buf_add(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return TP_ENOMEM;
    if (n > 0)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static void buf_release(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static int nomem(struct tp_error *err)
{
    return tp_error_set(err, TP_ENOMEM, "out of memory");
}

/* The longest line, CSV field or JSONL object held whole (--max-doc-bytes). */
static uint64_t doc_cap(const struct tp_reader *r)
{
    return r->o->max_doc_bytes ? r->o->max_doc_bytes : TP_MAX_DOC_BYTES;
}

/* "256 MiB", "64 KiB" or "1000 bytes", for messages about caps. */
static const char *size_words(uint64_t n, char *buf, size_t cap)
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

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static int all_blank(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_blank(p[i]))
            return 0;
    return 1;
}

static int has_bom(const void *p, size_t n)
{
    return n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0;
}

static int ends_with(const char *s, size_t n, const char *suffix)
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
static enum format format_of(const char *path)
{
    size_t n = strlen(path);
    if (ends_with(path, n, ".gz"))
        n -= 3;
    if (ends_with(path, n, ".csv"))
        return FMT_CSV;
    if (ends_with(path, n, ".jsonl") || ends_with(path, n, ".ndjson"))
        return FMT_JSONL;
    return FMT_TEXT;
}

static void warnf(struct tp_reader *r, const char *msg)
{
    if (r->warn)
        r->warn(r->warn_ctx, msg);
}

/* ---- expanding the inputs ------------------------------------------------ */

/* A missing or unreadable input: an error, or with --skip-errors a warning. */
static int input_failed(struct tp_reader *r, const char *path, int errnum, struct tp_error *err)
{
    char msg[1024];

    if (!r->o->skip_errors)
        return tp_error_set(err, TP_EIO, "%s: %s", path, strerror(errnum));
    snprintf(msg, sizeof(msg), "%s: %s (skipped)", path, strerror(errnum));
    warnf(r, msg);
    r->skipped_new++;
    return 0;
}

static int add_input(struct tp_reader *r, char *path, uint64_t size, int stream)
{
    if (r->n_in == r->cap_in) {
        size_t cap = r->cap_in ? r->cap_in * 2 : 16;
        struct input *in = realloc(r->in, cap * sizeof(*in));
        if (!in)
            return TP_ENOMEM;
        r->in = in;
        char **paths = realloc(r->paths, cap * sizeof(*paths));
        if (!paths)
            return TP_ENOMEM;
        r->paths = paths;
        r->cap_in = cap;
    }
    r->in[r->n_in].path = path;
    r->in[r->n_in].size = size;
    r->in[r->n_in].stream = stream;
    r->in[r->n_in].copy = NULL;
    r->paths[r->n_in] = path;
    r->n_in++;
    r->total_bytes += size;
    r->has_stream |= stream;
    return 0;
}

/* dir + "/" + name, without doubling a slash the user typed ("corpus/"). */
static char *join_path(const char *dir, const char *name)
{
    size_t dn = strlen(dir), nn = strlen(name);
    char *p;

    while (dn > 1 && dir[dn - 1] == '/')
        dn--;
    p = malloc(dn + nn + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, dn);
    if (dir[dn - 1] != '/')
        p[dn++] = '/';
    memcpy(p + dn, name, nn + 1);
    return p;
}

static int readable(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* Add a regular file found or named: it must open for reading. */
static int add_file(struct tp_reader *r, const char *path, const struct stat *st,
                    struct tp_error *err)
{
    char *copy;

    if (readable(path) < 0)
        return input_failed(r, path, errno, err);
    copy = strdup(path);
    if (!copy || add_input(r, copy, (uint64_t)st->st_size, 0) < 0) {
        free(copy);
        return nomem(err);
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect the regular files under dir. Hidden entries are skipped; a symbolic
 * link is followed to a file but never to a directory, so a link cycle cannot
 * make the walk endless. */
static int walk(struct tp_reader *r, const char *dir, struct tp_error *err)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    if (!d)
        return input_failed(r, dir, errno, err);
    for (;;) {
        struct dirent *e;
        errno = 0;
        e = readdir(d);
        if (!e) {
            if (errno != 0)
                rc = input_failed(r, dir, errno, err);
            break;
        }
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t c = cap ? cap * 2 : 32;
            char **p = realloc(names, c * sizeof(*p));
            if (!p) {
                rc = nomem(err);
                break;
            }
            names = p;
            cap = c;
        }
        names[n] = join_path(dir, e->d_name);
        if (!names[n]) {
            rc = nomem(err);
            break;
        }
        n++;
    }
    closedir(d);
    /* Sorting here only fixes the order of warnings; the caller sorts the
     * whole list by path. */
    if (rc == 0 && n > 1)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct stat st;
        if (lstat(names[i], &st) < 0) {
            rc = input_failed(r, names[i], errno, err);
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(r, names[i], err);
        } else if (S_ISLNK(st.st_mode)) {
            if (stat(names[i], &st) < 0)
                rc = input_failed(r, names[i], errno, err);
            else if (S_ISREG(st.st_mode))
                rc = add_file(r, names[i], &st, err);
        } else if (S_ISREG(st.st_mode)) {
            rc = add_file(r, names[i], &st, err);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int cmp_input(const void *a, const void *b)
{
    return strcmp(((const struct input *)a)->path, ((const struct input *)b)->path);
}

static int expand(struct tp_reader *r, const char *path, struct tp_error *err)
{
    struct stat st;
    size_t first = r->n_in;
    char *copy;
    int rc;

    if (strcmp(path, "-") != 0) {
        if (stat(path, &st) < 0)
            return input_failed(r, path, errno, err);
        if (S_ISREG(st.st_mode))
            return add_file(r, path, &st, err);
        if (S_ISDIR(st.st_mode)) {
            rc = walk(r, path, err);
            /* One input's files in bytewise path order ("a-b" before "a/x"). */
            if (r->n_in - first > 1)
                qsort(r->in + first, r->n_in - first, sizeof(*r->in), cmp_input);
            for (size_t i = first; i < r->n_in; i++)
                r->paths[i] = r->in[i].path;
            return rc;
        }
    }
    /* Standard input, a pipe, a device: read once into a temporary file. */
    copy = strdup(path);
    if (!copy || add_input(r, copy, 0, 1) < 0) {
        free(copy);
        return nomem(err);
    }
    return 0;
}

/* ---- reading ------------------------------------------------------------- */

static int gz_failed(struct run *run)
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
    return tp_error_set(run->err, TP_EIO, "%s: %s (corrupt compressed data)", run->path,
                        msg ? msg : "read error");
}

static void report_progress(struct run *run)
{
    if (run->counting && run->progress) {
        z_off_t off = run->plain ? (z_off_t)run->plain_off : gzoffset(run->gz);
        run->progress(run->progress_ctx, run->done_base + (off > 0 ? (uint64_t)off : 0), run->total,
                      run->r->stats.n_documents);
    }
}

/* Read up to cap bytes; fewer only at the end of the input. */
static int read_full(struct run *run, void *buf, size_t cap, size_t *got)
{
    if (run->limited && cap > run->remaining)
        cap = (size_t)run->remaining;
    size_t n = 0;
    if (run->plain) {
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
    } else if (cap) {
        int k = gzread(run->gz, buf, (unsigned)cap);
        int errnum = 0;
        if (k < 0)
            return gz_failed(run);
        if ((size_t)k < cap) {
            gzerror(run->gz, &errnum);
            if (errnum != Z_OK)
                return gz_failed(run);
        }
        n = (size_t)k;
    }
    *got = n;
    if (run->limited)
        run->remaining -= (uint64_t)n;
    if (run->counting) {
        run->r->stats.bytes += (uint64_t)n;
        report_progress(run);
    }
    return 0;
}

/* ---- the sink ------------------------------------------------------------- */

static int sink_rc(int rc)
{
    return rc < 0 ? rc : rc > 0 ? TP_STOP : 0;
}

static int doc_begin(struct run *run, const struct tp_doc *doc)
{
    struct tp_reader *r = run->r;

    if (doc->part != 2)
        r->stats.n_documents++;
    if (doc->encoding == TP_ENC_CP1252 && r->o->encoding == TP_ENC_AUTO)
        r->stats.cp1252_documents++;
    if (!run->sink->begin)
        return 0;
    return sink_rc(run->sink->begin(run->sink->ctx, doc, run->err));
}

static int doc_text(struct run *run, const char *p, size_t n)
{
    if (n == 0 || !run->sink->text)
        return 0;
    return sink_rc(run->sink->text(run->sink->ctx, p, n, run->err));
}

static int doc_end(struct run *run)
{
    if (!run->sink->end)
        return 0;
    return sink_rc(run->sink->end(run->sink->ctx, run->err));
}

/* Emit raw bytes in encoding enc (not AUTO) as UTF-8, in bounded pieces. */
static int emit_raw(struct run *run, enum tp_encoding enc, const char *p, size_t n)
{
    struct tp_reader *r = run->r;
    struct tp_decoder d;
    size_t i = 0;
    int rc = 0;

    if (enc == TP_ENC_UTF8 && tp_encoding_is_utf8(p, n))
        return doc_text(run, p, n);
    tp_decoder_init(&d, enc);
    while (i < n && rc == 0) {
        size_t k = n - i < CHUNK ? n - i : CHUNK;
        size_t o = tp_decoder_feed(&d, p + i, k, i + k == n, r->out);
        i += k;
        rc = doc_text(run, r->out, o);
    }
    r->stats.invalid_utf8 += d.n_invalid;
    return rc;
}

/* Decode p[0..n) in encoding enc (not AUTO) into b; *res points at UTF-8
 * (into b, or at p itself when it is valid UTF-8 already). */
static int to_utf8(struct run *run, enum tp_encoding enc, const char *p, size_t n, struct buf *b,
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
static enum tp_encoding pick_encoding(const struct tp_reader *r, int valid_utf8)
{
    if (r->o->encoding != TP_ENC_AUTO)
        return r->o->encoding;
    return valid_utf8 ? TP_ENC_UTF8 : TP_ENC_CP1252;
}

/* ---- dates ---------------------------------------------------------------- */

static int meta_cmp(const void *a, const void *b)
{
    const struct meta_entry *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c != 0)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static const struct meta_entry *meta_find(const struct tp_reader *r, const char *id)
{
    size_t lo = 0, hi = r->n_meta;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->meta[mid].id, id);
        if (c == 0)
            return &r->meta[mid];
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
    warnf(r, msg);
    return 0;
}

/* The date of a document: --meta, else its own (header or date cell), else
 * its file name under --date-from-name. A source that is present but does
 * not parse leaves the document undated: lower sources are not consulted, so
 * the warning's "left undated" stays true. */
static int settle_date(struct run *run, const char *id, const char *path,
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
        tp_date_from_name(path, out); /* leaves *out undated when there is none */
    return 0;
}

/* A date cell (CSV, JSONL): empty says nothing, else it must parse. */
static void cell_date(const char *s, size_t n, const char *where, unsigned long line,
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
static size_t find_header(const char *text, size_t len, int eof, const char *where,
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

/* ---- plain text ----------------------------------------------------------- */

/* Begin a whole-file document once its first decoded bytes are in r->hdr. */
static int start_text_doc(struct run *run, enum tp_encoding enc, int eof)
{
    struct tp_reader *r = run->r;
    const char *head = r->hdr.p ? r->hdr.p : "";
    struct found_date fd;
    struct tp_doc doc = {0};
    size_t skip = find_header(head, r->hdr.len, eof, run->path, 1, &fd);
    int rc;

    run->text_skip = skip;
    doc.id = run->id_path;
    doc.path = run->path;
    doc.line = 1;
    doc.encoding = enc;
    doc.part = r->part;
    rc = settle_date(run, doc.id, doc.path, &fd, &doc.date);
    if (rc == 0)
        rc = doc_begin(run, &doc);
    if (rc == 0)
        rc = doc_text(run, head + skip, r->hdr.len - skip);
    return rc;
}

/* Begin a part of a document after its first (tp_reader_new_range): the
 * middle of a document has no BOM, no header and no date of its own. */
static int begin_later_part(struct run *run, enum tp_encoding enc)
{
    struct tp_doc doc = {0};
    doc.id = run->id_path;
    doc.path = run->path;
    doc.line = run->r->range_line;
    doc.encoding = enc;
    doc.part = 2;
    return doc_begin(run, &doc);
}

/* A code point boundary at or before i in valid UTF-8 p[0..n). */
static size_t cp_boundary(const unsigned char *p, size_t n, size_t i)
{
    while (i > 0 && i < n && (p[i] & 0xC0) == 0x80)
        i--;
    return i;
}

/* Past TP_STOP, which the sink's stop passes on. */
enum { NOT_PLAIN = TP_STOP + 1, NOT_UTF8 };

/* Back to where reading a plain file (or its range) began. */
static int rewind_plain(struct run *run)
{
    if (lseek(run->fd, (off_t)run->plain_start, SEEK_SET) < 0)
        return tp_error_set(run->err, TP_EIO, "%s: %s", run->path, strerror(errno));
    run->plain_off = 0;
    if (run->limited)
        run->remaining = run->r->range_len;
    return 0;
}

/* Bytes at the end of valid UTF-8 p[0..len) (len > 0) that begin a
 * sequence the end cuts short. */
static size_t cut_tail(const unsigned char *p, size_t len)
{
    size_t i = len - 1;
    while (i > 0 && len - i < 4 && (p[i] & 0xC0) == 0x80)
        i--;
    unsigned c = p[i];
    size_t need = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return need > len - i ? len - i : 0;
}

/* Read the next chunk of a plain file into r->raw after the *carry bytes
 * already there, and check it (unless a first pass checked the file:
 * `checked`): *n gets the bytes that are complete valid UTF-8, *carry the
 * bytes of a sequence the chunk cut short (moved to the front by the caller
 * once it is done with the *n), *eof whether the input ended. At most `limit`
 * bytes are taken when limit is not 0 (a sample). Returns 0, NOT_UTF8 or
 * < 0. */
static int next_checked(struct run *run, uint64_t done, uint64_t limit, int checked, size_t *n,
                        size_t *carry, int *eof)
{
    struct tp_reader *r = run->r;
    size_t got;
    *n = 0;
    int rc = read_full(run, r->raw + *carry, CHUNK - *carry, &got);
    if (rc < 0)
        return rc;
    *eof = got < CHUNK - *carry;
    size_t len = *carry + got;
    *carry = 0;
    if (limit && done + len >= limit) {
        len = cp_boundary(r->raw, len, limit > done ? (size_t)(limit - done) : 0);
        *eof = 1;
    }
    if (checked) {
        *carry = *eof || !len ? 0 : cut_tail(r->raw, len);
        *n = len - *carry;
        return 0;
    }
    size_t v = tp_encoding_valid_prefix(r->raw, len);
    if (v < len && !*eof && tp_encoding_cut_short(r->raw + v, len - v))
        *carry = len - v;
    else if (v < len)
        return NOT_UTF8;
    *n = v;
    return 0;
}

/* The sink takes back the open document: undo(0), the text it was given
 * again (bytes [from, to) of the input since reading began, read with
 * pread), undo(1). */
static int undo_document(struct run *run, uint64_t from, uint64_t to)
{
    struct tp_reader *r = run->r;
    int rc = sink_rc(run->sink->undo(run->sink->ctx, 0, run->err));
    while (rc == 0 && from < to) {
        size_t want = to - from < CHUNK ? (size_t)(to - from) : CHUNK, got = 0;
        while (got < want) {
            ssize_t k =
                pread(run->fd, r->raw + got, want - got, (off_t)(run->plain_start + from + got));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                return tp_error_set(run->err, TP_EIO, "%s: %s", run->path,
                                    k < 0 ? strerror(errno) : "file shrank while read");
            got += (size_t)k;
        }
        /* the bytes were checked: all that can fail is the last sequence,
         * cut short by the read, which the next piece then starts with */
        size_t e = from + want < to ? tp_encoding_valid_prefix(r->raw, want) : want;
        if (e == 0)
            return tp_error_set(run->err, TP_EIO, "%s: changed while read", run->path);
        rc = doc_text(run, (const char *)r->raw, e);
        from += e;
    }
    return rc ? rc : sink_rc(run->sink->undo(run->sink->ctx, 1, run->err));
}

/* A plain file (or its range) to be read as UTF-8, a chunk at a time with
 * read(2), each chunk checked just before it goes to the sink, while it is
 * still in the cache: no second pass over the bytes, no mapping.
 *
 * A document longer than a chunk goes to the sink before all of it is
 * checked. When a later chunk turns out not to be UTF-8, the sink takes the
 * document back (tp_sink.undo, given the text again) and the caller reads it
 * once more, as CP1252 under auto or with replacements under utf-8. A sink
 * without undo, or a sample, gets documents checked whole first.
 *
 * Returns NOT_PLAIN when it does not apply (not a regular file), NOT_UTF8
 * when a byte is not UTF-8 (the file is back at its start and the sink holds
 * nothing of the document), else 0, TP_STOP or < 0 as read_text. */
static int read_text_plain(struct run *run)
{
    struct tp_reader *r = run->r;
    struct stat st;
    if (!run->plain || r->o->encoding == TP_ENC_LATIN1 || r->o->encoding == TP_ENC_CP1252 ||
        fstat(run->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return NOT_PLAIN;
    uint64_t limit = r->check_limit;
    size_t n, carry = 0;
    int eof = 0, rc, checked = !run->sink->undo || limit;
    if (checked) {
        /* checked whole first (a pass that counts in no statistics) */
        uint64_t done = 0;
        int counting = run->counting;
        run->counting = 0;
        rc = 0;
        while (!eof && rc == 0) {
            rc = next_checked(run, done, limit, 0, &n, &carry, &eof);
            memmove(r->raw, r->raw + n, carry);
            done += n;
        }
        run->counting = counting;
        if (rc < 0)
            return rc;
        int back = rewind_plain(run);
        if (back || rc)
            return back ? back : rc;
        carry = 0;
        eof = 0;
    }
    struct tp_reader_stats before = r->stats;
    uint64_t done = 0, text_from = 0;
    int started = 0;
    rc = 0;
    while (rc == 0 && !eof) {
        if ((rc = next_checked(run, done, limit, checked, &n, &carry, &eof)) == NOT_UTF8) {
            if (started && (rc = undo_document(run, text_from, done)) != 0)
                return rc;
            r->stats = before;
            return (rc = rewind_plain(run)) == 0 ? NOT_UTF8 : rc;
        }
        if (rc < 0)
            return rc;
        size_t pos = 0;
        if (!started) {
            started = 1;
            if (r->part == 2) {
                rc = begin_later_part(run, TP_ENC_UTF8);
            } else {
                if (has_bom(r->raw, n))
                    pos = 3;
                /* the header is looked for in the first bytes, as when streaming */
                size_t h = cp_boundary(r->raw, n, pos + HEADER_BYTES < n ? pos + HEADER_BYTES : n);
                r->hdr.len = 0;
                if (buf_add(&r->hdr, r->raw + pos, h - pos) < 0)
                    return nomem(run->err);
                rc = start_text_doc(run, TP_ENC_UTF8, h == n && eof);
                text_from = pos + run->text_skip;
                pos = h;
            }
        }
        if (rc == 0)
            rc = doc_text(run, (const char *)r->raw + pos, n - pos);
        memmove(r->raw, r->raw + n, carry);
        done += n;
    }
    return rc ? rc : doc_end(run);
}

static int read_text(struct run *run)
{
    struct tp_reader *r = run->r;
    enum tp_encoding enc = r->o->encoding;
    int plain = read_text_plain(run);
    if (plain <= 0 || plain == TP_STOP)
        return plain;
    if (plain == NOT_UTF8 && enc == TP_ENC_AUTO)
        enc = TP_ENC_CP1252; /* checked already: no second check pass */
    struct tp_decoder dec;
    size_t mem_len = 0, mem_pos = 0, n;
    int from_mem = 0, first = 1, started = 0, eof = 0, rc = 0;

    if (enc == TP_ENC_AUTO) {
        if (!r->small && !(r->small = malloc(SMALL_DOC)))
            return nomem(run->err);
        run->counting = 0;
        rc = read_full(run, r->small, SMALL_DOC, &mem_len);
        run->counting = 1;
        if (rc < 0)
            return rc;
        if (mem_len < SMALL_DOC) {
            /* All of it is here: check it and decode from memory. */
            from_mem = 1;
            r->stats.bytes += mem_len;
            report_progress(run);
            enc = pick_encoding(r, tp_encoding_is_utf8(r->small, mem_len));
        } else {
            struct tp_decoder check;
            tp_decoder_init(&check, TP_ENC_AUTO);
            tp_decoder_feed(&check, r->small, mem_len, 0, NULL);
            run->counting = 0;
            uint64_t checked = mem_len;
            while (!check.bad && !(r->check_limit && checked >= r->check_limit)) {
                rc = read_full(run, r->raw, CHUNK, &n);
                checked += n;
                if (rc < 0)
                    break;
                tp_decoder_feed(&check, r->raw, n, n < CHUNK, NULL);
                if (n < CHUNK)
                    break;
            }
            run->counting = 1;
            if (rc < 0)
                return rc;
            enc = pick_encoding(r, !check.bad);
            if (run->plain) {
                if ((rc = rewind_plain(run)) != 0)
                    return rc;
            } else if (gzrewind(run->gz) < 0) {
                return gz_failed(run);
            }
        }
    }
    tp_decoder_init(&dec, enc);
    /* Under auto, UTF-8 was chosen because every byte checked valid: the
     * decoding pass need not check again. */
    dec.trusted = r->o->encoding == TP_ENC_AUTO && enc == TP_ENC_UTF8 && !r->check_limit;
    r->hdr.len = 0;
    if (r->part == 2) {
        first = 0;
        started = 1;
        if ((rc = begin_later_part(run, enc)) != 0)
            return rc;
    }
    while (!eof) {
        const unsigned char *p;
        size_t o;
        if (from_mem) {
            n = mem_len - mem_pos < CHUNK ? mem_len - mem_pos : CHUNK;
            p = r->small + mem_pos;
            mem_pos += n;
            eof = mem_pos == mem_len;
        } else {
            rc = read_full(run, r->raw, CHUNK, &n);
            if (rc < 0)
                return rc;
            p = r->raw;
            eof = n < CHUNK;
        }
        if (first && has_bom(p, n)) {
            p += 3;
            n -= 3;
        }
        first = 0;
        o = tp_decoder_feed(&dec, p, n, eof, r->out);
        if (started) {
            rc = doc_text(run, r->out, o);
        } else {
            if (buf_add(&r->hdr, r->out, o) < 0)
                return nomem(run->err);
            if (r->hdr.len >= HEADER_BYTES || eof) {
                started = 1;
                rc = start_text_doc(run, enc, eof);
            }
        }
        if (rc != 0)
            break;
    }
    r->stats.invalid_utf8 += dec.n_invalid;
    if (rc != 0)
        return rc;
    return doc_end(run);
}

/* A plain text file that starts with a UTF-16 byte order mark, decoded to
 * UTF-8 as it streams (the BOM dropped). */
static int read_text_utf16(struct run *run)
{
    struct tp_reader *r = run->r;
    struct tp_utf16 dec;
    size_t n;
    int first = 1, started = 0, eof = 0, rc = 0;

    tp_utf16_init(&dec, run->utf16 == 2);
    r->hdr.len = 0;
    while (!eof) {
        rc = read_full(run, r->raw, CHUNK, &n);
        if (rc < 0)
            return rc;
        eof = n < CHUNK;
        const unsigned char *p = r->raw;
        if (first && n >= 2) {
            p += 2;
            n -= 2;
        }
        first = 0;
        size_t o = tp_utf16_feed(&dec, p, n, eof, r->out);
        if (started) {
            rc = doc_text(run, r->out, o);
        } else {
            if (buf_add(&r->hdr, r->out, o) < 0)
                return nomem(run->err);
            if (r->hdr.len >= HEADER_BYTES || eof) {
                started = 1;
                rc = start_text_doc(run, TP_ENC_UTF8, eof);
            }
        }
        if (rc != 0)
            break;
    }
    r->stats.invalid_utf8 += dec.n_invalid;
    return rc ? rc : doc_end(run);
}

/* ---- line-based formats --------------------------------------------------- */

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
            rc = read_full(run, r->raw, CHUNK, &ls->len);
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
                                run->path, ls->lineno + 1, size_words(doc_cap(r), w, sizeof(w)));
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

static const char *line_id(struct run *run, unsigned long n)
{
    struct tp_reader *r = run->r;
    size_t need = strlen(run->id_path) + 24;

    r->id.len = 0;
    if (buf_reserve(&r->id, need) < 0)
        return NULL;
    snprintf(r->id.p, need, "%s:%lu", run->id_path, n);
    return r->id.p;
}

/* --doc-per-line: the line is a document with its own header and id. */
static int line_doc(struct run *run, unsigned long lineno, const char *p, size_t n)
{
    struct tp_reader *r = run->r;
    enum tp_encoding enc = pick_encoding(r, tp_encoding_is_utf8(p, n));
    struct found_date fd;
    struct tp_doc doc = {0};
    const char *text;
    size_t len, skip;
    int rc;

    rc = to_utf8(run, enc, p, n, &r->dec, &text, &len);
    if (rc < 0)
        return rc;
    skip = find_header(text, len, 1, run->path, lineno, &fd);
    doc.id = line_id(run, lineno);
    if (!doc.id)
        return nomem(run->err);
    doc.path = run->path;
    doc.line = lineno;
    doc.encoding = enc;
    rc = settle_date(run, doc.id, doc.path, &fd, &doc.date);
    if (rc == 0)
        rc = doc_begin(run, &doc);
    if (rc == 0)
        rc = doc_text(run, text + skip, len - skip);
    if (rc == 0)
        rc = doc_end(run);
    return rc;
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

static int json_doc(struct run *run, unsigned long lineno, const char *p, size_t n)
{
    struct tp_reader *r = run->r;
    const struct tp_opts *o = r->o;
    enum tp_encoding enc = pick_encoding(r, tp_encoding_is_utf8(p, n));
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

    rc = to_utf8(run, enc, p, n, &r->dec, &src, &len);
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
    } else if (!(doc.id = line_id(run, lineno))) {
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
        cell_date(s, slen, run->path, lineno, &fd);
        if (dumped) {
            fd.kind = TP_HDR_BAD;
            fd.value = s;
            fd.value_len = slen;
        }
    }
    doc.path = run->path;
    doc.line = lineno;
    doc.encoding = enc;
    rc = settle_date(run, doc.id, doc.path, &fd, &doc.date);
    if (rc == 0)
        rc = doc_begin(run, &doc);
    if (rc == 0)
        rc = doc_text(run, text, text_len);
    if (rc == 0)
        rc = doc_end(run);
out:
    free(dumped);
    json_decref(root);
    return rc;
}

static int read_lines(struct run *run, enum format fmt)
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

/* ---- CSV -------------------------------------------------------------------- */

enum { COL_TEXT, COL_DATE, COL_ID, N_COLS };

/* libcsv hands over one field at a time: the cells a document needs are
 * copied into r->cell[] until the row ends. Physical lines are counted here
 * because libcsv counts none: the file is fed to it one line at a time. */
struct csv_walk {
    struct run *run;
    const char *want[N_COLS];
    int required[N_COLS];
    const char *why[N_COLS]; /* the option naming a required column */
    int col[N_COLS];
    int have[N_COLS];
    size_t field;
    int header_done, nonempty, in_row;
    unsigned long line, row_line, n_rows, header_line;
    unsigned long field_line; /* where the field being read began (0: where the row did) */
    int rc;
    int (*row)(struct csv_walk *w);
};

/* The largest CSV field (--max-doc-bytes) of the parse running on this
 * thread: libcsv's realloc hook has no context argument. */
static _Thread_local uint64_t field_cap = TP_MAX_DOC_BYTES;

static void *capped_realloc(void *p, size_t n)
{
    return n > field_cap ? NULL : realloc(p, n);
}

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

static int csv_walk_input(struct csv_walk *w)
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
        rc = read_full(run, r->raw, CHUNK, &n);
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
                                      run->path, at, size_words(field_cap, sz, sizeof(sz)),
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

/* A CSV data row: a document. */
static int csv_doc(struct csv_walk *w)
{
    struct run *run = w->run;
    struct tp_reader *r = run->r;
    struct buf *cell = r->cell;
    struct found_date fd;
    struct tp_doc doc = {0};
    enum tp_encoding enc;
    const char *s;
    size_t slen;
    int rc;

    /* Under auto the row's cells are one document: one encoding for all. */
    enc = pick_encoding(r, tp_encoding_is_utf8(cell[COL_TEXT].p, cell[COL_TEXT].len) &&
                               tp_encoding_is_utf8(cell[COL_DATE].p, cell[COL_DATE].len) &&
                               tp_encoding_is_utf8(cell[COL_ID].p, cell[COL_ID].len));
    if (w->have[COL_ID] && !all_blank((unsigned char *)cell[COL_ID].p, cell[COL_ID].len)) {
        rc = to_utf8(run, enc, cell[COL_ID].p, cell[COL_ID].len, &r->dec, &s, &slen);
        if (rc < 0)
            return rc;
        r->id.len = 0;
        if (buf_add(&r->id, s, slen) < 0)
            return nomem(run->err);
        doc.id = r->id.p;
    } else if (!(doc.id = line_id(run, w->n_rows))) {
        return nomem(run->err);
    }
    memset(&fd, 0, sizeof(fd));
    fd.kind = TP_HDR_NONE;
    if (w->have[COL_DATE]) {
        rc = to_utf8(run, enc, cell[COL_DATE].p, cell[COL_DATE].len, &r->dec, &s, &slen);
        if (rc < 0)
            return rc;
        r->date.len = 0;
        if (buf_add(&r->date, s, slen) < 0)
            return nomem(run->err);
        cell_date(r->date.p, r->date.len, run->path, w->row_line, &fd);
    }
    doc.path = run->path;
    doc.line = w->row_line;
    doc.encoding = enc;
    rc = settle_date(run, doc.id, doc.path, &fd, &doc.date);
    if (rc == 0)
        rc = doc_begin(run, &doc);
    if (rc == 0 && w->have[COL_TEXT])
        rc = emit_raw(run, enc, cell[COL_TEXT].p, cell[COL_TEXT].len);
    if (rc == 0)
        rc = doc_end(run);
    return rc;
}

static int read_csv(struct run *run)
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
    return csv_walk_input(&w);
}

/* ---- --meta --------------------------------------------------------------- */

static char *dup_utf8(struct run *run, enum tp_encoding enc, const char *p, size_t n)
{
    const char *s;
    size_t len;
    char *copy;

    while (n > 0 && is_blank((unsigned char)*p)) {
        p++;
        n--;
    }
    while (n > 0 && is_blank((unsigned char)p[n - 1]))
        n--;
    if (to_utf8(run, enc, p, n, &run->r->dec, &s, &len) < 0)
        return NULL;
    copy = malloc(len + 1);
    if (copy) {
        if (len > 0)
            memcpy(copy, s, len);
        copy[len] = '\0';
    }
    return copy;
}

static int meta_row(struct csv_walk *w)
{
    struct tp_reader *r = w->run->r;
    struct buf *cell = r->cell;
    struct meta_entry *m;
    enum tp_encoding enc;

    if (!w->have[COL_ID] || all_blank((unsigned char *)cell[COL_ID].p, cell[COL_ID].len))
        return 0;
    if (r->n_meta == r->cap_meta) {
        size_t cap = r->cap_meta ? r->cap_meta * 2 : 64;
        m = realloc(r->meta, cap * sizeof(*m));
        if (!m)
            return nomem(w->run->err);
        r->meta = m;
        r->cap_meta = cap;
    }
    enc = pick_encoding(r, tp_encoding_is_utf8(cell[COL_ID].p, cell[COL_ID].len) &&
                               tp_encoding_is_utf8(cell[COL_DATE].p, cell[COL_DATE].len));
    m = &r->meta[r->n_meta];
    m->id = dup_utf8(w->run, enc, cell[COL_ID].p, cell[COL_ID].len);
    m->value = dup_utf8(w->run, enc, cell[COL_DATE].p, w->have[COL_DATE] ? cell[COL_DATE].len : 0);
    m->line = w->row_line;
    m->order = r->n_meta;
    if (!m->id || !m->value) {
        free(m->id);
        free(m->value);
        return nomem(w->run->err);
    }
    r->n_meta++;
    return 0;
}

/* Load --meta: a CSV with columns id and date; for a repeated id the last
 * row wins. */
static int load_meta(struct tp_reader *r, struct tp_error *err)
{
    static struct tp_sink no_sink;
    struct run run;
    struct csv_walk w;
    size_t k = 0;
    int rc;

    memset(&run, 0, sizeof(run));
    run.r = r;
    run.sink = &no_sink;
    run.err = err;
    run.path = r->o->meta_path;
    errno = 0;
    run.gz = gzopen(run.path, "rb");
    if (!run.gz)
        return tp_error_set(err, errno ? TP_EIO : TP_ENOMEM, "%s: %s", run.path,
                            errno ? strerror(errno) : "out of memory");
    memset(&w, 0, sizeof(w));
    w.run = &run;
    w.row = meta_row;
    w.want[COL_ID] = "id";
    w.want[COL_DATE] = "date";
    w.required[COL_ID] = w.required[COL_DATE] = 1;
    w.why[COL_ID] = w.why[COL_DATE] = " (--meta)";
    rc = csv_walk_input(&w);
    gzclose(run.gz);
    if (rc < 0)
        return rc;
    if (r->n_meta > 1)
        qsort(r->meta, r->n_meta, sizeof(*r->meta), meta_cmp);
    for (size_t i = 0; i < r->n_meta; i++) {
        if (i + 1 < r->n_meta && strcmp(r->meta[i].id, r->meta[i + 1].id) == 0) {
            free(r->meta[i].id);
            free(r->meta[i].value);
            continue;
        }
        r->meta[k++] = r->meta[i];
    }
    r->n_meta = k;
    return 0;
}

/* ---- inputs ---------------------------------------------------------------- */

/* Copy standard input or a pipe into a temporary file, once. */
static int copy_stream(struct run *run, struct input *in)
{
    FILE *src = strcmp(in->path, "-") == 0 ? stdin : fopen(in->path, "rb");
    FILE *tmp = NULL;
    int rc = 0;

    if (!src)
        return tp_error_set(run->err, TP_EIO, "%s: %s", in->path, strerror(errno));
    tmp = tmpfile();
    if (!tmp) {
        rc = tp_error_set(run->err, TP_EIO, "cannot create a temporary file for %s: %s", in->path,
                          strerror(errno));
        goto out;
    }
    for (;;) {
        size_t n = fread(run->r->raw, 1, CHUNK, src);
        if (n > 0 && fwrite(run->r->raw, 1, n, tmp) != n) {
            rc = tp_error_set(run->err, TP_EIO, "temporary copy of %s: %s", in->path,
                              strerror(errno));
            goto out;
        }
        if (n < CHUNK)
            break;
    }
    if (ferror(src)) {
        rc = tp_error_set(run->err, TP_EIO, "%s: %s", in->path, strerror(errno));
        goto out;
    }
    if (fflush(tmp) != 0) {
        rc = tp_error_set(run->err, TP_EIO, "temporary copy of %s: %s", in->path, strerror(errno));
        goto out;
    }
    in->copy = tmp;
    tmp = NULL;
out:
    if (tmp)
        fclose(tmp);
    if (src != stdin)
        fclose(src);
    return rc;
}

/* Open an input: plain files for read(2), .gz files and copied streams for
 * gzread. Returns 0, 1 when it was skipped, or < 0. */
static int open_input(struct run *run, struct input *in)
{
    struct tp_reader *r = run->r;
    int fd;

    run->gz = NULL;
    run->plain = 0;
    run->limited = 0;
    run->plain_off = 0;
    if (in->stream) {
        int rc = in->copy ? 0 : copy_stream(run, in);
        if (rc < 0)
            return rc;
        fd = dup(fileno(in->copy));
        if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0) {
            rc = tp_error_set(run->err, TP_EIO, "%s: %s", in->path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return rc;
        }
        run->gz = gzdopen(fd, "rb");
        if (!run->gz) {
            close(fd);
            return nomem(run->err);
        }
    } else if (r->ranged) {
        fd = open(in->path, O_RDONLY);
        if (fd < 0 || lseek(fd, (off_t)r->range_start, SEEK_SET) < 0) {
            int rc = tp_error_set(run->err, TP_EIO, "%s: %s", in->path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return rc;
        }
        run->plain = 1;
        run->fd = fd;
        run->plain_start = r->range_start;
        run->limited = 1;
        run->remaining = r->range_len;
        return 0;
    } else if (!ends_with(in->path, strlen(in->path), ".gz")) {
        fd = open(in->path, O_RDONLY);
        if (fd < 0) {
            int e = errno;
            if (!r->o->skip_errors)
                return tp_error_set(run->err, TP_EIO, "%s: %s", in->path, strerror(e));
            r->stats.skipped_inputs++;
            if (run->input >= r->warned_inputs) {
                char msg[1024];
                r->warned_inputs = run->input + 1;
                snprintf(msg, sizeof(msg), "%s: %s (skipped)", in->path, strerror(e));
                warnf(r, msg);
            }
            return 1;
        }
        run->plain = 1;
        run->fd = fd;
        run->plain_start = 0;
        return 0;
    } else {
        errno = 0;
        run->gz = gzopen(in->path, "rb");
        if (!run->gz) {
            int e = errno ? errno : ENOMEM;
            char msg[1024];
            if (e == ENOMEM)
                return nomem(run->err);
            if (!r->o->skip_errors)
                return tp_error_set(run->err, TP_EIO, "%s: %s", in->path, strerror(e));
            r->stats.skipped_inputs++;
            if (run->input >= r->warned_inputs) {
                r->warned_inputs = run->input + 1;
                snprintf(msg, sizeof(msg), "%s: %s (skipped)", in->path, strerror(e));
                warnf(r, msg);
            }
            return 1;
        }
    }
    gzbuffer(run->gz, GZ_BUFFER);
    return 0;
}

/* The path as ids show it: a file name that is not UTF-8 has its bad bytes
 * replaced by U+FFFD (ids go into UTF-8 tables), with a warning. */
static int set_id_path(struct run *run)
{
    struct tp_reader *r = run->r;
    size_t n = strlen(run->path);
    run->id_path = run->path;
    if (tp_encoding_is_utf8(run->path, n))
        return 0;
    struct tp_decoder d;
    r->idpath.len = 0;
    if (buf_reserve(&r->idpath, TP_DECODE_BOUND(n)) < 0)
        return nomem(run->err);
    tp_decoder_init(&d, TP_ENC_UTF8);
    r->idpath.len = tp_decoder_feed(&d, run->path, n, 1, r->idpath.p);
    r->idpath.p[r->idpath.len] = '\0';
    run->id_path = r->idpath.p;
    char msg[1200];
    snprintf(msg, sizeof(msg),
             "%s: the file name is not UTF-8: its documents' ids show each bad byte as U+FFFD",
             run->id_path);
    warnf(r, msg);
    return 0;
}

/* Look at an input's first bytes (of the whole file, for a part): a UTF-16
 * byte order mark sets run->utf16; a NUL byte without one says binary.
 * Returns 1 for binary, 0, or < 0. */
static int peek_input(struct run *run)
{
    struct tp_reader *r = run->r;
    unsigned char *buf = (unsigned char *)r->out;
    size_t n = 0;
    run->utf16 = 0;
    if (run->plain) {
        ssize_t k;
        do
            k = pread(run->fd, buf, PEEK_BYTES, 0);
        while (k < 0 && errno == EINTR);
        if (k < 0)
            return tp_error_set(run->err, TP_EIO, "%s: %s", run->path, strerror(errno));
        n = (size_t)k;
    } else {
        int k = gzread(run->gz, buf, PEEK_BYTES);
        if (k < 0)
            return gz_failed(run);
        n = (size_t)k;
        if (gzrewind(run->gz) < 0)
            return gz_failed(run);
    }
    if (n >= 2 && buf[0] == 0xFF && buf[1] == 0xFE)
        run->utf16 = 1;
    else if (n >= 2 && buf[0] == 0xFE && buf[1] == 0xFF)
        run->utf16 = 2;
    else if (memchr(buf, 0, n))
        return 1;
    return 0;
}

/* A file that shrank while it was read (or since it was listed) gave only
 * part of its text: an error, not a silently short count. */
static int check_whole(struct run *run, const struct input *in)
{
    struct tp_reader *r = run->r;
    struct stat st;
    if (!run->plain || in->stream)
        return 0;
    if (run->limited) {
        if (run->remaining > 0 && !r->check_limit)
            return tp_error_set(run->err, TP_EIO,
                                "%s: file shrank while read (%llu bytes missing from the part "
                                "being read): its counts would be partial",
                                run->path, (unsigned long long)run->remaining);
        return 0;
    }
    if (fstat(run->fd, &st) == 0 && (uint64_t)st.st_size < in->size)
        return tp_error_set(run->err, TP_EIO,
                            "%s: file shrank while read (%llu bytes when listed, %llu now): its "
                            "counts would be partial",
                            run->path, (unsigned long long)in->size,
                            (unsigned long long)st.st_size);
    return 0;
}

/* After a gzip file read to its end: bytes after the last compressed member
 * (zlib ignores them) are an error. The last member's length field (the
 * file's last 4 bytes) equals the text's length in a whole single-member
 * file; otherwise the members are walked once more to find where they end.
 * Trailing zero bytes (padding) are allowed, as gzip allows them. */
static int check_gz_tail(struct run *run, struct input *in)
{
    struct tp_reader *r = run->r;
    if (run->plain || !run->gz || gzdirect(run->gz) || !gzeof(run->gz) || r->check_limit)
        return 0;
    uint64_t total = (uint64_t)gztell(run->gz);
    int fd = in->stream ? fileno(in->copy) : open(in->path, O_RDONLY);
    if (fd < 0)
        return 0;
    struct stat st;
    unsigned char tail[4];
    int rc = 0;
    if (fstat(fd, &st) != 0 || st.st_size < 18 || pread(fd, tail, 4, st.st_size - 4) != 4)
        goto out;
    uint32_t isize = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
                     (uint32_t)tail[3] << 24;
    if (isize == (uint32_t)total)
        goto out;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        goto out;
    uint64_t pos = 0, size = (uint64_t)st.st_size, end = 0;
    int ended = 0;
    for (;;) {
        if (zs.avail_in == 0) {
            if (pos >= size)
                break;
            ssize_t k = pread(fd, r->raw, CHUNK, (off_t)pos);
            if (k <= 0)
                break;
            zs.next_in = r->raw;
            zs.avail_in = (uInt)k;
            pos += (uint64_t)k;
        }
        zs.next_out = (Bytef *)r->out;
        zs.avail_out = CHUNK;
        int z = inflate(&zs, Z_NO_FLUSH);
        if (z == Z_STREAM_END) {
            end = pos - zs.avail_in;
            ended = 1;
            if (zs.avail_in == 0 && pos < size) {
                ssize_t k = pread(fd, r->raw, CHUNK, (off_t)pos);
                if (k <= 0)
                    break;
                zs.next_in = r->raw;
                zs.avail_in = (uInt)k;
                pos += (uint64_t)k;
            }
            if (zs.avail_in >= 2 && zs.next_in[0] == 0x1F && zs.next_in[1] == 0x8B) {
                inflateReset(&zs);
                continue;
            }
            /* what follows the last member: padding or garbage */
            int garbage = 0;
            while (!garbage) {
                for (uInt i = 0; i < zs.avail_in && !garbage; i++)
                    garbage = zs.next_in[i] != 0;
                if (garbage || pos >= size)
                    break;
                ssize_t k = pread(fd, r->raw, CHUNK, (off_t)pos);
                if (k <= 0)
                    break;
                zs.next_in = r->raw;
                zs.avail_in = (uInt)k;
                pos += (uint64_t)k;
            }
            if (garbage)
                rc = tp_error_set(run->err, TP_EIO,
                                  "%s: %llu bytes after the end of the compressed data (trailing "
                                  "garbage: a damaged file, or two files joined?)",
                                  run->path, (unsigned long long)(size - end));
            break;
        }
        if (z != Z_OK && z != Z_BUF_ERROR)
            break; /* gzread saw the data whole: nothing to add */
        if (z == Z_BUF_ERROR && zs.avail_in == 0 && pos >= size)
            break;
    }
    (void)ended;
    inflateEnd(&zs);
out:
    if (!in->stream)
        close(fd);
    return rc;
}

static int read_input(struct run *run, struct input *in)
{
    struct tp_reader *r = run->r;
    enum format fmt = format_of(in->path);
    z_off_t off;
    int rc;

    run->path = in->path;
    rc = open_input(run, in);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if ((rc = set_id_path(run)) == 0 && (rc = peek_input(run)) == 1) {
        /* a binary file, as grep decides: a NUL in its first 8 KiB */
        if (!r->ranged || r->range_start == 0) {
            char msg[1200];
            r->stats.skipped_inputs++;
            snprintf(msg, sizeof(msg),
                     "%s: binary file (a NUL byte in its first 8 KiB; UTF-16 needs a byte order "
                     "mark): skipped",
                     run->id_path);
            warnf(r, msg);
        }
        rc = 0;
        goto close;
    }
    r->stats.n_inputs++;
    uint64_t docs_before = r->stats.n_documents;
    if (rc < 0)
        ; /* the peek failed: reported below like a failed read */
    else if (run->utf16 && (fmt != FMT_TEXT || r->o->doc_per_line))
        rc = tp_error_set(run->err, TP_EIO,
                          "%s: UTF-16 text (byte order mark %s): only plain text files are "
                          "decoded from UTF-16; convert it first (iconv -f UTF-16 -t UTF-8)",
                          run->path, run->utf16 == 1 ? "FF FE" : "FE FF");
    else if (run->utf16)
        rc = read_text_utf16(run);
    else if (fmt == FMT_CSV)
        rc = read_csv(run);
    else if (fmt == FMT_JSONL || r->o->doc_per_line)
        rc = read_lines(run, fmt);
    else
        rc = read_text(run);
    if (rc == TP_ENOMEM && strcmp(run->err->msg, "out of memory") == 0) {
        char sz[32];
        rc = tp_error_set(run->err, TP_ENOMEM,
                          "%s: out of memory while reading it (a line, CSV field or JSONL object "
                          "is held whole, up to --max-doc-bytes %s: lower it to stop sooner)",
                          run->path, size_words(doc_cap(r), sz, sizeof(sz)));
    }
    if (rc == 0)
        rc = check_whole(run, in);
    if (rc == 0)
        rc = check_gz_tail(run, in);
    if (rc == TP_EIO && r->o->skip_errors && r->stats.n_documents == docs_before) {
        /* A file that opens but cannot be read is skipped like one that does
         * not open, as long as none of it reached the sink. */
        r->stats.n_inputs--;
        r->stats.skipped_inputs++;
        if (run->input >= r->warned_inputs) {
            r->warned_inputs = run->input + 1;
            char msg[1200];
            snprintf(msg, sizeof(msg), "%s (skipped)", run->err->msg);
            warnf(r, msg);
        }
        rc = 0;
    }
close:
    off = run->plain ? (z_off_t)run->plain_off : gzoffset(run->gz);
    run->done_base += in->stream ? (off > 0 ? (uint64_t)off : 0) : in->size;
    if (run->plain)
        close(run->fd);
    else
        gzclose(run->gz);
    run->gz = NULL;
    run->plain = 0;
    return rc;
}

/* ---- the interface ------------------------------------------------------- */

int tp_reader_new(struct tp_reader **out, const char *const *inputs, size_t n,
                  const struct tp_opts *o, tp_warn_fn *warn, void *warn_ctx, struct tp_error *err)
{
    struct tp_reader *r = calloc(1, sizeof(*r));
    int rc = 0;

    *out = NULL;
    if (!r)
        return nomem(err);
    r->o = o;
    r->warn = warn;
    r->warn_ctx = warn_ctx;
    r->raw = malloc(CHUNK);
    r->out = malloc(TP_DECODE_BOUND(CHUNK));
    if (!r->raw || !r->out) {
        rc = nomem(err);
        goto out;
    }
    if (n == 0)
        rc = expand(r, "-", err);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = expand(r, inputs[i], err);
    if (rc == 0 && o->meta_path)
        rc = load_meta(r, err);
out:
    if (rc < 0) {
        tp_reader_free(r);
        return rc;
    }
    r->stats.skipped_inputs = r->skipped_new;
    *out = r;
    return 0;
}

int tp_reader_splittable(const struct tp_reader *r, size_t i)
{
    if (i >= r->n_in || r->in[i].stream)
        return 0;
    size_t n = strlen(r->in[i].path);
    if (ends_with(r->in[i].path, n, ".gz"))
        return 0;
    enum format f = format_of(r->in[i].path);
    return f == FMT_JSONL || (f == FMT_TEXT && r->o->doc_per_line);
}

void tp_reader_sample(struct tp_reader *r, uint64_t bytes)
{
    r->check_limit = bytes;
}

/* Whether the file starts with a UTF-16 byte order mark (read whole, never
 * in parts: a part could not know it). */
static int starts_utf16(const char *path)
{
    unsigned char b[2];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t k = pread(fd, b, 2, 0);
    close(fd);
    return k == 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF));
}

int tp_reader_divisible(const struct tp_reader *r, size_t i)
{
    if (i >= r->n_in || r->in[i].stream || r->o->doc_per_line)
        return 0;
    size_t n = strlen(r->in[i].path);
    return !ends_with(r->in[i].path, n, ".gz") && format_of(r->in[i].path) == FMT_TEXT &&
           !starts_utf16(r->in[i].path);
}

int tp_reader_new_range(struct tp_reader **out, const char *path, uint64_t start, uint64_t len,
                        unsigned long first_line, const struct tp_opts *o, tp_warn_fn *warn,
                        void *warn_ctx, struct tp_error *err)
{
    int rc = tp_reader_new(out, &path, 1, o, warn, warn_ctx, err);
    if (rc)
        return rc;
    struct tp_reader *r = *out;
    if (r->n_in == 1 && tp_reader_divisible(r, 0))
        r->part = start == 0 ? 1 : 2;
    else if (r->n_in != 1 || !tp_reader_splittable(r, 0)) {
        tp_reader_free(r);
        *out = NULL;
        return tp_error_set(err, TP_EINTERNAL, "%s: cannot be read in parts", path);
    }
    r->ranged = 1;
    r->range_start = start;
    r->range_len = len;
    r->range_line = first_line;
    r->in[0].size = len;
    r->total_bytes = len;
    return 0;
}

int tp_reader_run(struct tp_reader *r, struct tp_sink *sink, tp_progress_fn *progress,
                  void *progress_ctx, struct tp_error *err)
{
    struct run run;
    int rc = 0;

    memset(&r->stats, 0, sizeof(r->stats));
    r->stats.skipped_inputs = r->skipped_new;
    memset(&run, 0, sizeof(run));
    run.r = r;
    run.sink = sink;
    run.progress = progress;
    run.progress_ctx = progress_ctx;
    run.err = err;
    run.counting = 1;
    run.total = r->has_stream ? 0 : r->total_bytes;
    for (size_t i = 0; i < r->n_in && rc == 0; i++) {
        run.input = i;
        rc = read_input(&run, &r->in[i]);
    }
    return rc == TP_STOP ? 0 : rc;
}

const struct tp_reader_stats *tp_reader_stats(const struct tp_reader *r)
{
    return &r->stats;
}

const char *const *tp_reader_files(const struct tp_reader *r, size_t *n_files)
{
    *n_files = r->n_in;
    return (const char *const *)r->paths;
}

const char *tp_reader_meta_id(const struct tp_reader *r, size_t i, unsigned long *line)
{
    if (i >= r->n_meta)
        return NULL;
    *line = r->meta[i].line;
    return r->meta[i].id;
}

uint64_t tp_reader_skipped_at_expansion(const struct tp_reader *r)
{
    return r->skipped_new;
}

uint64_t tp_reader_total_bytes(const struct tp_reader *r)
{
    return r->total_bytes;
}

void tp_reader_free(struct tp_reader *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_in; i++) {
        free(r->in[i].path);
        if (r->in[i].copy)
            fclose(r->in[i].copy);
    }
    free(r->in);
    free(r->paths);
    for (size_t i = 0; i < r->n_meta; i++) {
        free(r->meta[i].id);
        free(r->meta[i].value);
    }
    free(r->meta);
    free(r->raw);
    free(r->small);
    free(r->out);
    buf_release(&r->hdr);
    buf_release(&r->line);
    buf_release(&r->dec);
    buf_release(&r->id);
    buf_release(&r->date);
    buf_release(&r->idpath);
    buf_release(&r->jq);
    for (int k = 0; k < N_COLS; k++)
        buf_release(&r->cell[k]);
    free(r);
}
