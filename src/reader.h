/*
 * reader.h - inputs to documents.
 *
 * The reader expands the INPUT list (files, directories walked recursively in
 * path order with hidden entries skipped, "-" for standard input), decides
 * each document's encoding, finds its date and streams its text, decoded to
 * valid UTF-8, into a sink: begin, text chunks, end. Only one document's text
 * is ever held whole (a CSV field or a JSONL line), and plain text files are
 * streamed in chunks, so a document of several hundred MB needs no more memory
 * than a small one. Standard input is copied to a temporary file the first time
 * it is read, so a reader can be run more than once (the --lang auto sample
 * pass, then the real pass).
 */
#ifndef TP_READER_H
#define TP_READER_H

#include <pthread.h>
#include <stdint.h>

#include "dates.h"
#include "tempora.h"

/* A named value of a document for --group-by (a mail's from, to, list_id). */
struct tp_doc_field {
    const char *name;
    const char *value; /* UTF-8 */
};

/* One document, as the sink sees it. Every pointer is borrowed and valid until
 * the sink's end() returns. */
struct tp_doc {
    const char *id;            /* path as given; PATH:LINE with --doc-per-line; CSV/JSONL id column
                                  or PATH:ROW */
    const char *path;          /* the input file's path as given (after directory expansion) */
    unsigned long line;        /* 1-based line of the file where the document starts */
    struct tp_date date;       /* prec TP_PREC_NONE when undated */
    enum tp_encoding encoding; /* TP_ENC_UTF8, TP_ENC_CP1252 or TP_ENC_LATIN1: how it was decoded */
    int part;      /* 0: the whole document; a part read by tp_reader_new_range: 1 the first,
                      2 a later one (no header, no date: it goes on with the part before) */
    int divisible; /* a whole file that tp_reader_divisible and TP_DIVIDE_MIN make one
                      a run may count in parts (--lang auto then gives it the corpus's
                      language, whether it is cut or not) */
    const struct tp_doc_field *fields; /* n_fields named values (mail headers), or NULL */
    size_t n_fields;
    /* --group-by: the document's group name group[0..group_len), UTF-8 (NULL: no value, the
       group ""). A format reader sets it from the document's own CSV cell or JSONL field;
       the sink sees the settled value (--meta first, then that, or the input's folder) */
    const char *group;
    size_t group_len;
};

/* Where documents go. Each callback returns 0 to go on, TP_STOP to end the run
 * early (tp_reader_run then returns 0), or a negative TP_E* having filled err
 * (tp_reader_run then returns that). text() gets valid UTF-8 cut at code point
 * boundaries; line ends are passed through unchanged (CR LF included).
 *
 * undo (may be NULL) lets the reader pass a long plain-text document on
 * before all of it is checked as UTF-8. When it is not UTF-8 after all, the
 * reader calls undo(ctx, 0), passes the text it gave since begin() through
 * text() once more, the same bytes in order, and calls undo(ctx, 1): the sink
 * then holds nothing of the document, which the reader begins again, decoded
 * as the encoding says. A sink without undo gets every document checked whole
 * before its first byte. */
struct tp_sink {
    void *ctx;
    int (*begin)(void *ctx, const struct tp_doc *doc, struct tp_error *err);
    int (*text)(void *ctx, const char *buf, size_t len, struct tp_error *err);
    int (*end)(void *ctx, struct tp_error *err);
    int (*undo)(void *ctx, int done, struct tp_error *err);
};

struct tp_reader_stats {
    uint64_t n_inputs;            /* files read (after directory expansion) */
    uint64_t bytes;               /* bytes read from them (decompressed size for .gz) */
    uint64_t n_documents;         /* documents passed to the sink */
    uint64_t invalid_utf8;        /* invalid sequences replaced by U+FFFD (--encoding utf-8) */
    uint64_t cp1252_documents;    /* documents decoded as CP1252 under --encoding auto */
    uint64_t skipped_inputs;      /* inputs skipped with a warning under --skip-errors */
    uint64_t bad_dates;           /* unparsable dates (warned, document undated) */
    uint64_t attachments_skipped; /* mail parts not read: attachments, forwarded messages */
    uint64_t unsized_bytes;       /* bytes of the files a large folder listed without
                                     looking at each (their sizes, not in the total) */
    uint64_t unsized_skipped;     /* of those files, the ones that did not open (skipped):
                                     not inputs, as a file refused when listed is not */
};

/* Called after every chunk read: bytes done so far out of total (total is the
 * sum of the input files' sizes on disk; 0 when unknown, e.g. stdin). */
typedef void tp_progress_fn(void *ctx, uint64_t bytes_done, uint64_t bytes_total,
                            uint64_t n_documents);

struct tp_reader;

/* Expand inputs (n may be 0: standard input) under the options in o (the
 * reader uses: doc_per_line, text_col, date_col, id_col, encoding, meta_path,
 * date_from_name, strict, skip_errors; o is borrowed for the reader's life).
 * Missing or unreadable inputs are an error naming them, or with skip_errors a
 * warning through warn and a count in skipped_inputs. --meta is loaded here.
 * Returns 0 and a reader the caller frees with tp_reader_free, or a negative
 * TP_E* with err filled. */
int tp_reader_new(struct tp_reader **out, const char *const *inputs, size_t n,
                  const struct tp_opts *o, tp_warn_fn *warn, void *warn_ctx, struct tp_error *err);

/* Stream every document of every input into sink, in input order. May be
 * called again to read everything once more (the second run sees the same
 * documents; stats are reset at each run). Errors name the file and line:
 * "corpus/a.csv:12: unterminated quoted field". Returns 0 or a negative TP_E*. */
int tp_reader_run(struct tp_reader *r, struct tp_sink *sink, tp_progress_fn *progress,
                  void *progress_ctx, struct tp_error *err);

/* Runs until the next call with bytes = 0 read samples: the sink takes no
 * more than about `bytes` of each plain text document, so under --encoding
 * auto only that much is checked before the text starts (a file's whole
 * length otherwise); past it the text may be cut short. The --lang auto
 * sample pass uses it. */
void tp_reader_sample(struct tp_reader *r, uint64_t bytes);

/* Statistics of the last run (borrowed from r). */
const struct tp_reader_stats *tp_reader_stats(const struct tp_reader *r);

/* The expanded file list (borrowed from r): n_files entries, input order. */
const char *const *tp_reader_files(const struct tp_reader *r, size_t *n_files);

/* --group-by dir: r's documents are grouped by the folders given as inputs
 * to from (a --shard share's readers are given files, which from found in
 * those folders), borrowed: from must outlive r. */
void tp_reader_share_dirs(struct tp_reader *r, const struct tp_reader *from);
/* The inputs from skipped while expanding its arguments (--skip-errors)
 * counted as r's too (a --shard share's reader, for the listing reader). */
void tp_reader_add_skipped(struct tp_reader *r, const struct tp_reader *from);

/* Why a listed file that is open is refused: something else (a FIFO, a
 * device, a folder) was put in its place since the inputs were listed. */
extern const char tp_not_regular_why[];
/* Open a listed file for reading without waiting (a FIFO put in its place
 * would wait for a writer) and only while it is still a regular file.
 * Returns the descriptor (O_CLOEXEC), or -1: *not_regular 1 when it opened
 * as something else (tp_not_regular_why), else 0 and errno says why. */
int tp_open_listed(const char *path, int *not_regular);

/* tp_reader_new, with --meta borrowed from meta_from when it is not NULL
 * (meta_from must outlive the new reader; the file is not read again). */
int tp_reader_new_sharing(struct tp_reader **out, const char *const *inputs, size_t n,
                          const struct tp_reader *meta_from, const struct tp_opts *o,
                          tp_warn_fn *warn, void *warn_ctx, struct tp_error *err);

/* A reader of files first..first+n of from (tp_reader_files), as from
 * listed them (no path stat'ed or opened again; a stream among them: the
 * paths expanded anew, as tp_reader_new), with from's options. */
int tp_reader_new_slice(struct tp_reader **out, const struct tp_reader *from, size_t first,
                        size_t n, tp_warn_fn *warn, void *warn_ctx, struct tp_error *err);

/* Whether file i (of tp_reader_files) can be read in parts split at line
 * ends: 1 for an uncompressed file of one document per line (--doc-per-line
 * text, or JSONL), 2 for an uncompressed CSV file whose header names the id
 * column (parts cut at row boundaries: line feeds outside quoted fields,
 * after the header row), else 0. */
int tp_reader_splittable(const struct tp_reader *r, size_t i);

/* After a run of a reader from tp_reader_new_range: 1 when its part stopped
 * early because the whole file must be read on one thread to give what one
 * thread gives (a later CSV part met a row without an id, which is named by
 * its row number, unknown to the part). */
int tp_reader_whole_again(const struct tp_reader *r);

/* r (from tp_reader_new_range) is a part of a run that counts its file again
 * on one thread when r stops early (tp_reader_whole_again). Without it (a
 * --shard share's range, which no one counts again), a CSV row without an
 * id is numbered by the data rows before the range, read from the file's
 * start. */
void tp_reader_recounts(struct tp_reader *r);

/* Whether file i is one document of plain text (uncompressed, not a stream)
 * that can be read in parts cut after line feeds, each part its own piece of
 * the document (tp_doc.part); run_count.c cuts one of TP_DIVIDE_MIN bytes
 * or more, when it is a run's only file, into parts for its threads. */
int tp_reader_divisible(const struct tp_reader *r, size_t i);
#define TP_DIVIDE_MIN (4u << 20)

/* A reader of bytes [start, start + len) of path, a splittable or divisible
 * file, where start is the beginning of line first_line (1-based). For a
 * splittable file, the documents, ids (PATH:LINE) and messages are those a
 * reader of the whole file gives for those lines. For a divisible one, the
 * part starting at 0 is read as the document's beginning (BOM, header, date)
 * and others as its continuation; under --encoding auto each part is checked
 * on its own (the caller sees a CP1252 part in cp1252_documents). Returns 0
 * and *out, or a negative TP_E* (err filled). */
/* Whether r reads a range of a file (tp_reader_new_range): the pipeline
 * then cuts it again only when it is a range of lines (a --shard share of
 * a JSONL or --doc-per-line file: tp_reader_range). */
int tp_reader_ranged(const struct tp_reader *r);

/* Whether an input of r is a stream (standard input, a FIFO, a process
 * substitution): read once, into a copy, so r is counted on one thread. */
int tp_reader_has_stream(const struct tp_reader *r);

/* The end of what a reader reads, which another thread may move earlier
 * while it reads (run_count.c's work stealing): pos, the first unit no read
 * has claimed, and end, guarded by *mu (end is also read without it, by the
 * thread that reads a list ahead: it is moved with __atomic_store_n). For a
 * range of a file (tp_reader_new_range) the units are bytes, offsets in the
 * file: each read claims its bytes before it makes them, so an end moved
 * past pos never cuts into what was read, and the thread that moves it puts
 * it at a document start. For a list of files the units are the reader's
 * inputs: each is claimed before it is opened. */
struct tp_range_end {
    pthread_mutex_t *mu;
    uint64_t pos, end;
};

/* Read r's range up to e->end as it is when each read is made (e->pos and
 * e->end start as the range's start and end), or r's inputs up to the
 * e->end-th (e->pos 0, e->end the number of inputs). Only for a range of a
 * splittable file (a document a line or a CSV row), which is read once,
 * front to back, or a list of files without a stream. Returns 0, or -1 for
 * any other reader. */
int tp_reader_share_end(struct tp_reader *r, struct tp_range_end *e);

/* The range r reads (tp_reader_new_range): its first byte, its length and
 * its first line's number. Returns 0 when r reads whole files. */
int tp_reader_range(const struct tp_reader *r, uint64_t *start, uint64_t *len,
                    unsigned long *first_line);

/* A reader of bytes [start, start + len) of path (a part of a file cut at
 * document starts; first_line numbers its first line). With meta_from (not
 * NULL), --meta is meta_from's, which must outlive the new reader. */
int tp_reader_new_range(struct tp_reader **out, const char *path, uint64_t start, uint64_t len,
                        unsigned long first_line, const struct tp_reader *meta_from,
                        const struct tp_opts *o, tp_warn_fn *warn, void *warn_ctx,
                        struct tp_error *err);

/* Entry i of --meta (after a repeated id's earlier rows are dropped): its id,
 * and in *line the meta file's line; NULL past the last. */
const char *tp_reader_meta_id(const struct tp_reader *r, size_t i, unsigned long *line);

/* Rows of --meta dropped because a later row gives the same id (the last
 * wins); *id (borrowed), *line and *first_line: the repeat on the earliest
 * line, and the line of that id's first row. 0 when every id is once. */
size_t tp_reader_meta_repeats(const struct tp_reader *r, const char **id, unsigned long *line,
                              unsigned long *first_line);

/* Inputs the expansion itself skipped (missing or unreadable, --skip-errors). */
uint64_t tp_reader_skipped_at_expansion(const struct tp_reader *r);

/* The INPUT arguments that are folders, in the order given (borrowed from
 * r): --group-by dir names a document by its file's first-level sub-folder
 * under one of them (tp_group_dir_of, group.h). */
const char *const *tp_reader_dirs(const struct tp_reader *r, size_t *n);

/* Whether --group-by's FIELD is a column of --meta (or is "dir"). Whether a
 * CSV column or JSONL field of that name exists shows only in the documents:
 * the caller checks that some document has a value. */
int tp_reader_group_found(const struct tp_reader *r);

/* Total size in bytes of the expanded inputs as found on disk, of those
 * whose size was looked at when listed: the regular files of a folder of
 * 2,048 entries or more are listed as readdir types them, without their
 * sizes, which are then learned as they are read (stats.unsized_bytes).
 * tp_reader_estimated_bytes adds those files at the mean size of a sample
 * of 32 of them (--progress's total); tp_reader_file_weight is file i's
 * size, or that mean for such a file (how files are dealt to threads). */
uint64_t tp_reader_total_bytes(const struct tp_reader *r);
uint64_t tp_reader_estimated_bytes(const struct tp_reader *r);
uint64_t tp_reader_file_weight(const struct tp_reader *r, size_t i);

void tp_reader_free(struct tp_reader *r);

#endif
