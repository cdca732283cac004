/*
 * input/input.h - what the readers of every input format share. Internal:
 * included by reader.c and the files of src/input/ only; the rest of the
 * program goes through reader.h.
 *
 * Where it sits: under reader.c (the public API, the run loop and the
 * dispatch by format) and under each format's reader (input/text.c,
 * input/lines.c, input/csv.c, input/meta.c); above nothing of the program
 * but encoding.h and dates.h. input/walk.c finds and opens the inputs,
 * input/common.c holds what the formats share.
 *
 * Core data structures: struct tp_reader (the expanded inputs, --meta, the
 * statistics and the buffers reused from document to document) and struct run
 * (one pass over the inputs: the sink, the input being read, its file
 * descriptor or gzFile, how far reading got). A format reader gets a struct
 * run whose input is open, reads its bytes with tp_in_read, and gives each
 * document to the sink with tp_in_emit_doc (or, streaming, tp_in_doc_begin,
 * tp_in_doc_text, tp_in_doc_end).
 */
#ifndef TP_INPUT_H
#define TP_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "dates.h"
#include "encoding.h"
#include "reader.h"

#define CHUNK (256u * 1024)       /* raw bytes per read */
#define HEADER_BYTES (64u * 1024) /* text searched for a date header */
#define SMALL_DOC (1u << 20)      /* auto-encoded files held whole up to this */
#define PEEK_BYTES 8192           /* looked at for NULs (binary) and a UTF-16 BOM */
#define GZ_BUFFER (128u * 1024)

enum format { FMT_TEXT, FMT_CSV, FMT_JSONL, FMT_JSON, FMT_MAIL, FMT_MBOX, FMT_HTML };

/* The CSV cells a row's document needs (struct csv_walk, tp_reader.cell). */
enum { COL_TEXT, COL_DATE, COL_ID, COL_GROUP, N_COLS };

struct input {
    char *path;
    uint64_t size; /* on disk; 0 for a stream */
    int stream;    /* stdin or a pipe: copied to a temporary file first */
    int regular;   /* a regular file when listed (small ones are read whole at open) */
    FILE *copy;
    int pooled;  /* path lives in one of the reader's pools (not freed alone) */
    int unsized; /* a regular file of a large folder, not looked at when listed (size
                    0 here): its size is what is read (struct tp_reader_stats) */
};

struct meta_entry {
    char *id;
    char *value;       /* the date cell, trimmed; "" says nothing */
    const char *group; /* the --group-by cell, trimmed (NULL: no such column), */
    size_t group_len;  /* one string for each value (the reader's meta_gvals) */
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
    size_t n_unsized; /* inputs listed without their size (struct input's unsized) */
    uint64_t sampled_bytes, n_sampled; /* the sizes of a sample of them (walk.c) */
    int walk_nested;                   /* the folder being walked has folders in it */
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
    size_t meta_hint; /* the row meta_find found last (this reader's own) */
    /* ids given on more than one row: how many rows were dropped, and the
     * repeat on the earliest line with the line of its first row */
    size_t meta_repeats;
    char *meta_repeat_id;
    unsigned long meta_repeat_line, meta_repeat_first;
    int meta_group; /* --meta has the --group-by column */
    /* its values, each once (a few for many rows): a hash set of strings */
    char **meta_gvals;
    size_t meta_gv_n, meta_gv_cap;
    int meta_borrowed; /* meta is another reader's (a worker's reader) */
    char **dir_args;   /* the INPUT arguments that are folders (--group-by dir) */
    size_t n_dir_args;
    int dirs_borrowed; /* dir_args are another reader's (tp_reader_share_dirs) */
    struct tp_reader_stats stats;
    uint64_t check_limit; /* tp_reader_sample */
    /* tp_reader_new_range: only bytes [range_start, range_start + range_len)
     * of the one input, whose first line is line range_line */
    int ranged;
    int part; /* ranged part of a one-document file: 1 the first, 2 a later one */
    uint64_t range_start, range_len;
    unsigned long range_line;
    struct tp_range_end *range_end; /* tp_reader_share_end, or NULL */
    int whole_again;                /* tp_reader_whole_again */
    int recounts;                   /* tp_reader_recounts: a run's part, counted again whole */
    int rows_known;                 /* rows_before is worked out */
    unsigned long rows_before;      /* a CSV range's data rows before it (its PATH:ROW ids) */
    unsigned char *raw;             /* CHUNK bytes read */
    unsigned char *small;           /* SMALL_DOC bytes, for --encoding auto */
    char *out;                      /* TP_DECODE_BOUND(CHUNK) decoded bytes */
    unsigned char *pre;             /* CHUNK bytes: a small file read whole when opened (run.pre) */
    struct ahead *ahead;            /* files read ahead during a run (input/ahead.c), or NULL */
    struct buf hdr, line, dec, id, date, group, cell[N_COLS], idpath, jq;
    /* input/namedate.c: the path whose name date was last worked out */
    struct buf name_path;
    struct tp_date name_date;
    /* input/archive.c: what the stream input kind_of - 1 holds (kind_known) */
    const struct input *kind_of;
    int kind_known;
    /* input/archive.c: warnings about members given once over all runs */
    size_t arch_warned_input;
    uint64_t arch_warned_member;
    struct buf esc; /* input/csv.c: a quoted field with its doubled quotes undone */
    /* tp_reader_new_slice: one of several readers counting at once, whose
     * paths are those of the reader it was cut from (not freed here) */
    int slice;
    /* input/walk.c: a walked folder's paths, one block each, in path order
     * (the files are then read in the order of their paths in memory) */
    char **pools;
    size_t n_pools;
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
    const unsigned char *peek; /* tp_in_peek: the input's first bytes (format sniffing) */
    size_t peek_len;
    const char *id_path;             /* path as ids show it: valid UTF-8 (r->idpath) */
    int fd;                          /* -1 when the file was read whole at open (pre) */
    uint64_t plain_start, plain_off; /* where reading began; bytes read since */
    /* a small regular file read whole by one pread when opened (its
     * descriptor closed at once): its bytes, served by tp_in_read and peek */
    const unsigned char *pre;
    size_t pre_len;
    uint64_t open_size; /* an unsized input read in chunks: its size when opened */
    int ahead_held;     /* pre is input/ahead.c's buffer for this input */
    /* a gzip input decompressed on a thread (input/inflate.c), or NULL;
     * inflate_off: not (any more) for this input: gzread */
    struct inflater *inflater;
    int inflate_off;
    size_t text_skip; /* input/text.c: header bytes before the text */
    uint64_t done_base;
    uint64_t total;
    /* input/archive.c: a member of an archive, or a .zst/.xz/.bz2 file, read
     * through libarchive (NULL: a file or stream read as above) */
    struct tp_src *src;
    size_t member_at; /* a member: where its name starts in path (after "ARCHIVE:"), else 0 */
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

/* ---- growing byte buffers, small tests ------------------------------------ */

/* Room for extra more bytes and a NUL: 0 or TP_ENOMEM. */
static inline int buf_reserve(struct buf *b, size_t extra)
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
static inline int buf_add(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return TP_ENOMEM;
    if (n > 0)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static inline void buf_release(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static inline int nomem(struct tp_error *err)
{
    return tp_error_set(err, TP_ENOMEM, "out of memory");
}

/* The longest line, CSV field or JSONL object held whole (--max-doc-bytes). */
static inline uint64_t doc_cap(const struct tp_reader *r)
{
    return r->o->max_doc_bytes ? r->o->max_doc_bytes : TP_MAX_DOC_BYTES;
}

static inline int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static inline int all_blank(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_blank(p[i]))
            return 0;
    return 1;
}

/* p[0..n) without leading and trailing blanks, in *out[0..*out_len) (a
 * --group-by value; NULL when nothing is left: no value). */
static inline void tp_in_trim(const char *p, size_t n, const char **out, size_t *out_len)
{
    while (n > 0 && is_blank((unsigned char)*p)) {
        p++;
        n--;
    }
    while (n > 0 && is_blank((unsigned char)p[n - 1]))
        n--;
    *out = n ? p : NULL;
    *out_len = n;
}

static inline int has_bom(const void *p, size_t n)
{
    return n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0;
}

/* ---- input/common.c: reading bytes, the sink, encodings, dates ---------- */

/* "256 MiB", "64 KiB" or "1000 bytes" into buf, for messages about caps. */
const char *tp_in_size_words(uint64_t n, char *buf, size_t cap);
/* Whether s[0..n) ends with suffix (lower case), ASCII case ignored. */
int tp_in_ends_with(const char *s, size_t n, const char *suffix);
/* The format of path, from its name (a trailing .gz removed). */
enum format tp_in_format_of(const char *path);
/* Pass msg to the warning callback, if any. */
void tp_in_warn(struct tp_reader *r, const char *msg);
/* Input run->input is skipped under --skip-errors: counted in skipped_inputs
 * and warned "WHAT: WHY (skipped)" (WHAT (skipped) when why is NULL), the
 * warning given once over all runs. */
void tp_in_skip_input(struct run *run, const char *what, const char *why);
/* The error of run->gz, named after run->path; returns a negative TP_E*. */
int tp_in_gz_failed(struct run *run);
/* Report progress of the input being read (when the run counts). */
void tp_in_progress(struct run *run);
/* Read up to cap bytes of the open input into buf, *got the bytes read:
 * fewer than cap only at its end (or the end of a range). Counts them in
 * stats.bytes when the run counts. Returns 0 or a negative TP_E*. */
int tp_in_read(struct run *run, void *buf, size_t cap, size_t *got);

/* A sink callback's result: < 0 as is, > 0 (stop) as TP_STOP, else 0. */
int tp_in_sink_rc(int rc);
/* The sink's begin, text and end, counted in the statistics. Each returns 0,
 * TP_STOP or a negative TP_E* (run->err filled). */
int tp_in_doc_begin(struct run *run, const struct tp_doc *doc);
int tp_in_doc_text(struct run *run, const char *p, size_t n);
int tp_in_doc_end(struct run *run);
/* Give the sink one whole document: settle its date (doc->date, from --meta,
 * *fd or the file name), begin it, pass text[0..len) and end it. The text is
 * UTF-8 already, or with `decode` raw bytes in doc->encoding decoded here in
 * bounded pieces. Returns as tp_in_doc_begin. */
int tp_in_emit_doc(struct run *run, struct tp_doc *doc, const struct found_date *fd,
                   const char *text, size_t len, int decode);
/* Decode p[0..n) in encoding enc (not AUTO) into b; *res points at UTF-8
 * (into b, or at p itself when it is valid UTF-8 already). */
int tp_in_to_utf8(struct run *run, enum tp_encoding enc, const char *p, size_t n, struct buf *b,
                  const char **res, size_t *res_len);
/* The encoding of a document held whole, under the options. */
enum tp_encoding tp_in_pick_encoding(const struct tp_reader *r, int valid_utf8);

/* The date of a document: --meta, else its own (*fd: header or date cell),
 * else its file name under --date-from-name. An unparsable one is warned
 * about (an error under --strict) and leaves the document undated. */
int tp_in_settle_date(struct run *run, const char *id, const char *path,
                      const struct found_date *fd, struct tp_date *out);
/* A date cell (CSV, JSONL) s[0..n) into *fd: empty says nothing, else it
 * must parse. */
void tp_in_cell_date(const char *s, size_t n, const char *where, unsigned long line,
                     struct found_date *fd);
/* Look for a date header in text[0..len), the document's first decoded bytes
 * (eof: they are all of it); returns the bytes the header takes. */
size_t tp_in_find_header(const char *text, size_t len, int eof, const char *where,
                         unsigned long first_line, struct found_date *fd);
/* Read the rest of the open input into b (emptied first), at most
 * --max-doc-bytes: a longer input is an error "PATH: WHAT larger than N
 * (--max-doc-bytes): not read". Returns 0 or a negative TP_E*. */
int tp_in_read_whole(struct run *run, struct buf *b, const char *what);
/* "ID_PATH:N" in r->id (borrowed until the next call); NULL out of memory. */
const char *tp_in_line_id(struct run *run, unsigned long n);
/* An id given in a field (JSON "\u0000", a CSV cell's NUL byte) holds its
 * NULs as U+FFFD in b: an id is a string that ends at a NUL, so "a\u0000b"
 * and "a\u0000c" would both be "a". 0 or TP_ENOMEM. */
int tp_in_id_nuls(struct buf *b);

/* input/namedate.c: the date in the path of the document being read
 * (--date-from-name): the folders below the INPUT argument it was found in,
 * an archive's name and member folders, the file name. Undated when none. */
void tp_in_name_date(struct run *run, const char *path, struct tp_date *out);

/* ---- input/walk.c: the inputs, opened and closed -------------------------- */

/* Add path ("-": standard input) to r's inputs, a directory walked. */
int tp_in_expand(struct tp_reader *r, const char *path, struct tp_error *err);
/* Add an input as another reader listed it (its path copied). 0 or TP_ENOMEM. */
int tp_in_add_listed(struct tp_reader *r, const struct input *in);
/* Open in for run: 0, 1 when it was skipped (--skip-errors), or < 0. */
int tp_in_open(struct run *run, struct input *in);
/* Close what tp_in_open opened, and count its size as done for progress. */
void tp_in_close(struct run *run, const struct input *in);
/* Set run->id_path: run->path as ids show it, valid UTF-8 (warned if not). */
int tp_in_set_id_path(struct run *run);
/* Copy standard input or a pipe into in->copy, once: 0 or < 0. */
int tp_in_copy_stream(struct run *run, struct input *in);
/* Look at the input's first bytes: 1 binary, 0 (run->utf16 set), or < 0. */
int tp_in_peek(struct run *run);
/* After an input was read: an error when it shrank while read, or a gzip
 * file has bytes after its compressed data. */
int tp_in_check_whole(struct run *run, const struct input *in);
int tp_in_check_gz_tail(struct run *run, struct input *in);
/* Whether the file at path starts with a UTF-16 byte order mark. */
int tp_in_starts_utf16(const char *path);

/* ---- input/format.c: which reader an input goes to ------------------------ */

/* The format of the input at path under --format, its name and its first
 * bytes head[0..n) (docs/inputs.md, "Formats"). */
enum format tp_in_format_choose(const struct tp_reader *r, const char *path,
                                const unsigned char *head, size_t n);
/* The same for a file on disk not yet open (its first bytes read here). */
enum format tp_in_format_of_file(const struct tp_reader *r, const char *path);
/* Whether p[0..n) is a mail header line `Name: value`. */
int tp_in_is_header_line(const char *p, size_t n);
/* ---- input/ahead.c: the next files read ahead on a thread ---------------- */

/* Start reading r's inputs ahead, in order (without it, when it cannot
 * start, files are read as they come). Returns 0. */
int tp_in_ahead_start(struct tp_reader *r);
/* Stop the thread and free its buffers. */
void tp_in_ahead_stop(struct tp_reader *r);
/* Input i, the next in order: 1 with its whole bytes in *buf (until given
 * back), or 0 when it was not read ahead (already given back). */
int tp_in_ahead_take(struct tp_reader *r, size_t i, const unsigned char **buf, size_t *len);
void tp_in_ahead_give_back(struct tp_reader *r, size_t i);
/* What fstatat(AT_SYMLINK_NOFOLLOW) says of an entry: err 0 and its mode,
 * owner and size, or the errno value. */
struct tp_in_stat {
    int err;
    unsigned mode;
    unsigned uid;
    uint64_t size;
};
/* Look at names[0..n) (names off bytes into them) in the folder dfd through
 * io_uring, a batch of 256 a system call, on at most threads of the kernel's
 * workers: 0, or -1 when io_uring is missing,
 * off (TEMPORA_NO_URING) or failed (then nothing in out is to be trusted). */
int tp_in_ring_stat(int dfd, char *const *names, size_t off, size_t n, unsigned threads,
                    struct tp_in_stat *out);

/* ---- input/inflate.c: a gzip input decompressed on a thread ------------- */

/* tp_in_read's gzip case: 0 with *got bytes (fewer than cap only at the
 * end), < 0 an error, 1 when the thread is not used (then gzread). */
int tp_in_inflate_read(struct run *run, void *out, size_t cap, size_t *got);
/* Stop the thread (before gz is closed, rewound or asked where it is). */
void tp_in_inflate_stop(struct run *run);
/* The compressed bytes read so far, while the thread runs. */
z_off_t tp_in_inflate_offset(struct run *run);

/* ---- one reader per format ------------------------------------------------ */

/* input/text.c: one plain text file (or a part of it) is one document; the
 * UTF-16 one of a file with a UTF-16 byte order mark. */
int tp_in_read_text(struct run *run);
int tp_in_read_utf16(struct run *run);
/* input/lines.c: one document a line (--doc-per-line text, or JSONL). */
int tp_in_read_lines(struct run *run, enum format fmt);

/* input/mail.c: one mail message (mbox: each message of the file) is a
 * document; input/html.c: an HTML page is a document. */
int tp_in_read_mail(struct run *run, int mbox);
int tp_in_read_html(struct run *run);
/* Load libxml2 for HTML input (dynlib.h), once. Returns 0, or TP_EINTERNAL
 * with err saying why it cannot be loaded (path: the input that needs it). */
int tp_in_html_need(const char *path, struct tp_error *err);
/* The visible text of the HTML document p[0..n) into out (UTF-8, segment
 * breaks as blank lines), decoded from `encoding` (a charset name libxml2
 * knows; NULL: its own detection). Its date sources go to *fd when fd is
 * not NULL (where: the file a warning names; the value is kept in
 * date_value). Returns 0, TP_ENOMEM, TP_EDATA (over 2 GiB) or
 * TP_EINTERNAL (libxml2 cannot be loaded: tp_in_html_need says why). */
int tp_in_html_text(const char *p, size_t n, const char *encoding, struct buf *out,
                    struct found_date *fd, const char *where, struct buf *date_value);

/* input/charset.c: p[0..n) in the declared charset cs (NULL: none) to
 * UTF-8, into b or p itself (*res, *res_len); *enc the encoding to give the
 * document (TP_ENC_CP1252 only when guessed so under auto). Returns 0, 1 when
 * cs is a charset iconv does not know (decoded as if none were declared;
 * the caller warns), or a negative TP_E*. */
int tp_in_charset_decode(struct run *run, const char *cs, const char *p, size_t n, struct buf *b,
                         const char **res, size_t *res_len, enum tp_encoding *enc);

/* input/csv.c: one document a CSV row. */

/* A walk over the rows of a CSV input, calling row() for each data row
 * with the cells it wants in r->cell[] (the --meta loader uses it too).
 * libcsv hands over one field at a time: the cells a document needs are
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

/* Walk the CSV input of w->run (w's want/required/why/row filled). */
int tp_in_csv_walk(struct csv_walk *w);
int tp_in_read_csv(struct run *run);
/* Whether the header row of the CSV file at path names the id column
 * (--id-col, else "id"): the ids of its rows need no row numbers. */
int tp_in_csv_ids_in_column(const struct tp_reader *r, const char *path);

/* input/jsondoc.c: a .json file, one object or an array of objects, each a
 * document read like a JSONL object. */
int tp_in_read_jsondoc(struct run *run);
/* input/lines.c: a jansson value v as a wanted field (struct tp_json_field):
 * strings as they are, integers in decimal, other numbers with %.17g. */
struct json_t;
struct tp_json_field;
void tp_in_json_field(struct json_t *v, struct tp_json_field *f);
/* input/lines.c: the id the id field (--id-col, else "id") of the object on
 * line line gives, in *out (r->id, borrowed), or NULL when it names no
 * document (absent, null, or only blanks: the caller's PATH:LINE, PATH:N or
 * path). An object, array or boolean is an error, and so is an absent field
 * under --id-col. Returns 0 or a negative TP_E*. */
int tp_in_json_id(struct run *run, const struct tp_json_field *id, unsigned long line,
                  const char **out);
/* input/lines.c: --group-by's field g (named name) of the object at line, into
 * doc->group: a string or number is the group, absent or null no value, any
 * other value an error naming file and line. Returns 0 or TP_EPARSE. */
int tp_in_json_group(struct run *run, const struct tp_json_field *g, const char *name,
                     unsigned long line, struct tp_doc *doc);
/* input/lines.c: p[0..n) with integers of 19 digits or more quoted, into b. */
int tp_in_quote_big_ints(const char *p, size_t n, struct buf *b);

/* input/archive.c: archives read member by member, and single .zst, .xz and
 * .bz2 files, through libarchive. */

/* 1 for an archive's name (.zip .tar .tar.gz .tgz .tar.xz .txz .tar.zst
 * .tzst .tar.bz2 .tbz2 .tbz, any case), 2 for a single compressed file
 * (.zst .xz .bz2), else 0. */
int tp_in_packed_kind(const char *path, size_t n);
/* What input `in` is: 1 an archive, 2 a single compressed file (.zst .xz
 * .bz2), 0 anything else; by name, and for standard input or a pipe by
 * content (its temporary copy made first). < 0 when the copy fails. */
int tp_in_input_kind(struct run *run, struct input *in);
/* Read every member of the archive `in` as a file of its own (through
 * tp_in_read_input). Returns as tp_in_read_input. */
int tp_in_read_archive(struct run *run, struct input *in);
/* Open the single compressed file `in` for run (run->src): 0, 1 skipped, < 0. */
int tp_in_src_open(struct run *run, struct input *in);
/* Read from run->src as tp_in_read does; peek puts the first n bytes back. */
int tp_in_src_read(struct run *run, void *buf, size_t cap, size_t *got);
int tp_in_src_peek(struct run *run, void *buf, size_t cap, size_t *got);
/* Back to the start of the member or compressed file (read again). */
int tp_in_src_rewind(struct run *run);
/* Bytes of the archive or compressed file consumed so far (progress). */
uint64_t tp_in_src_offset(const struct run *run);
/* Close run->src (a member: only the member; the archive stays open). */
void tp_in_src_close(struct run *run);

/* reader.c: read one input (a file, or an archive member with run->src set)
 * through the dispatch by format. Returns 0, TP_STOP or a negative TP_E*. */
int tp_in_read_input(struct run *run, struct input *in);

/* input/meta.c: load --meta (a CSV of id,date) into r->meta, sorted by id. */
int tp_in_load_meta(struct tp_reader *r, struct tp_error *err);

#endif
