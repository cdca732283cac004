/*
 * writer.h - CSV tables (and other output files) written whole or not at all.
 *
 * A table goes to a temporary file in its target folder and is renamed into
 * place only when it is complete and every write succeeded; a symlink's target
 * is replaced that way (the link stays); standard output, FIFOs and character
 * devices are written straight through. A set of tables (tp_outset) replaces
 * the earlier set in a folder as one. Fields are quoted (as libcsv does) only when
 * they need it (separator, quote, CR, LF, edge spaces); numbers are formatted
 * by numfmt.c, never through the locale (NaN and infinities as empty cells).
 * --excel adds a UTF-8 BOM, uses ';' and a decimal comma, and prefixes text
 * cells starting with = + - @ (and tab, CR) with ' so no spreadsheet runs
 * them as formulas.
 *
 * Three files implement it: writer.c the tp_out object (cells, rows, memory
 * parts, finish and publish), numfmt.c the digits of a number, outpath.c
 * where a file goes (temporary names, locks, a dead run's litter, the signal
 * cleanup) and the set exchange (tp_outset_*).
 */
#ifndef TP_WRITER_H
#define TP_WRITER_H

#include <stdint.h>
#include <stdio.h>

#include "numfmt.h"
#include "tempora.h"

struct tp_out;

#define TP_OUT_EXCEL 1      /* the --excel dialect */
#define TP_OUT_RAW 2        /* not a CSV table (e.g. SVG): no BOM, no cells */
#define TP_OUT_NO_CSV 4     /* cells go to the sinks only (a workbook written instead of the CSV) */
#define TP_OUT_CELL_LOG 8   /* (set by tp_out_flags only) a memory part keeps cells, not CSV */
#define TP_OUT_CELL_HEAD 16 /* (tp_out_flags only) ... its CSV, and its first rows' cells */
#define TP_OUT_NO_SYNC 32   /* a scratch file read at once and removed: no fsync when finished */

/* A second consumer of a table's cells: the workbook (xlsx.c) and the HTML
 * report (report_html.c) receive the cells the CSV gets, as the report gave
 * them, before the --excel dialect touches them (numbers with a '.', text
 * without the ' prefix). cell gets one cell (kind TP_CELL_NUMBER: the digits
 * tp_format_double or tp_u64_digits made, empty for an undefined value),
 * row_end the end of a row; the first row is the header. */
enum tp_cell_kind { TP_CELL_TEXT, TP_CELL_NUMBER };
struct tp_cell_sink {
    void (*cell)(void *ctx, const char *s, size_t len, enum tp_cell_kind kind);
    void (*row_end)(void *ctx);
    void *ctx;
    /* 0: the sink takes every row. 1 to TP_SINK_HEAD_ROWS: it keeps only the
     * first max_rows rows after the header, so rows written on other threads
     * reach it only as far as that (its later rows are counted by skip, which
     * may be NULL) and the CSV of those threads stays theirs to format. */
    uint64_t max_rows;
    void (*skip)(void *ctx, uint64_t n_rows);
};
enum { TP_SINK_HEAD_ROWS = 4096 };

/* Open path for writing (NULL or "-": standard output). A regular file (or a
 * missing one) is written to ".NAME.tmp.PID.XXXXXX" beside it, held under an
 * flock while written; a symlink is followed to its final target, which is
 * replaced the same way; a FIFO, a character device or a path through /proc
 * (/dev/stdout) is written straight through, with no temporary file. Such
 * temporary files of dead runs beside the target are removed. Returns 0 and
 * *out (free with tp_out_free), or TP_EIO naming the path. */
int tp_out_open(struct tp_out **out, const char *path, int flags, struct tp_error *err);

/* Give o's cells, from the next one on, also to sink (copied; at most two
 * sinks a table). Rows written into memory parts (tp_out_open_mem with
 * tp_out_flags(o)) reach the sinks when appended, in order. Returns 0 or
 * TP_ENOMEM when o has two already. */
int tp_out_add_sink(struct tp_out *o, const struct tp_cell_sink *sink);

/* The temporary file o is written to before it is renamed into place (for a
 * file some library writes by name, such as a workbook, opened with
 * TP_OUT_RAW | TP_OUT_NO_CSV), or NULL when o is written straight through. */
const char *tp_out_tmp_path(const struct tp_out *o);

/* The path o names in messages (a symlink's target; for a table of a set,
 * its final path), or NULL for standard output. */
const char *tp_out_path(const struct tp_out *o);

/* The stream to write a TP_OUT_RAW file to. */
FILE *tp_out_file(struct tp_out *o);

/* A table part (no BOM), for rows written on another thread: tp_out_append
 * moves what it holds to the end of a real table. Its first 4 MiB are kept in
 * memory, the rest in a temporary file. Returns 0 or TP_ENOMEM. */
int tp_out_open_mem(struct tp_out **out, int flags);

/* The flags o was opened with (and, when o has sinks, a bit that makes a
 * memory part opened with them keep its cells for the sinks). */
int tp_out_flags(const struct tp_out *o);

/* Append the rows src (a memory part) holds to dst, and empty src. A write
 * failure of src becomes dst's. */
void tp_out_append(struct tp_out *dst, struct tp_out *src);

/* The rows written into a memory part opened with TP_OUT_CELL_HEAD (0 for
 * any other). */
uint64_t tp_out_rows(const struct tp_out *o);

/* A TP_OUT_CELL_HEAD part whose rows will follow at least
 * TP_SINK_HEAD_ROWS rows of its table: none of them can be in a sink's
 * head, so it keeps no cells for it, only the count of its rows (until
 * tp_out_mem_reuse). */
void tp_out_past_head(struct tp_out *o);

/* Make a memory part that tp_out_append has emptied ready for new rows, its
 * buffers kept (no allocation, no page touched afresh for the next part).
 * Returns 0, or -1 when it cannot be (a failed part: free it). */
int tp_out_mem_reuse(struct tp_out *o);

/* Cells of the current row, left to right; tp_out_row_end ends the row. Write
 * errors are remembered and reported by tp_out_finish. */
void tp_out_header(struct tp_out *o, const char *comma_separated_names);
void tp_out_text(struct tp_out *o, const char *s, size_t len);
void tp_out_str(struct tp_out *o, const char *s);
void tp_out_u64(struct tp_out *o, uint64_t v);
void tp_out_double(struct tp_out *o, double v);
/* A number already formatted by tp_format_double (s[0..n)), written as
 * tp_out_double would write it. */
void tp_out_number(struct tp_out *o, const char *s, size_t n);
void tp_out_row_end(struct tp_out *o);

/* A row composed in place, for a table that writes many rows of a few
 * numbers: tp_out_row_room gives room for up to max bytes of the row's CSV
 * (its cells and separators, then its '\n'), to be written at the pointer
 * it returns with tp_out_row_text for a text cell and tp_out_row_u64 for a
 * count, and tp_out_row_done takes the row up to end. NULL, nothing
 * begun, when o cannot take a row so (o has sinks or keeps cell records,
 * writes --excel, is within a row, or max is more than its buffer): then
 * write the row cell by cell. The bytes are those the cells would write. */
char *tp_out_row_room(struct tp_out *o, size_t max);
void tp_out_row_done(struct tp_out *o, char *end);
/* The most bytes tp_out_row_text writes for len bytes of text. */
size_t tp_out_row_text_max(size_t len);
char *tp_out_row_text(const struct tp_out *o, char *p, const char *s, size_t len);
/* At most TP_OUT_ROW_U64_MAX bytes. */
#define TP_OUT_ROW_U64_MAX 20
char *tp_out_row_u64(char *p, uint64_t v);

/* Cells rendered once and written in many rows (a table whose rows repeat
 * some cells: a group's name, a period's label, a row of zeros). Record
 * them for o with tp_cells_clear and tp_cells_text/str/number/u64/double
 * (as the tp_out_* functions of those names take them), then tp_out_cells
 * writes them as the next cells of o's current row, the same bytes as
 * writing them one by one. Where o writes only its CSV they are kept as
 * CSV, copied whole; where o has sinks or keeps cell records they are kept
 * as cells and passed on one by one (so record them after o's sinks are
 * added: CSV recorded before cannot reach a sink, and tp_out_cells makes
 * that a write error of o). A struct tp_cells starts zeroed and
 * is freed with tp_cells_release; out of memory, tp_out_cells makes it a
 * write error of o. */
struct tp_cells {
    char *b;
    size_t len, cap;
    int n;      /* cells */
    int csv;    /* b holds CSV, not cell records */
    int failed; /* out of memory */
};
void tp_cells_clear(struct tp_out *o, struct tp_cells *c);
void tp_cells_text(struct tp_out *o, struct tp_cells *c, const char *s, size_t len);
void tp_cells_str(struct tp_out *o, struct tp_cells *c, const char *s);
void tp_cells_number(struct tp_out *o, struct tp_cells *c, const char *s, size_t n);
void tp_cells_u64(struct tp_out *o, struct tp_cells *c, uint64_t v);
void tp_cells_double(struct tp_out *o, struct tp_cells *c, double v);
void tp_out_cells(struct tp_out *o, const struct tp_cells *c);
/* tp_out_cells of each of parts[0..n_parts), then tp_out_row_end. */
void tp_out_cells_row(struct tp_out *o, const struct tp_cells *const *parts, size_t n_parts);
/* The rows pre, mid[at[i]], post for i < n: tp_out_cells_row of each, with
 * the checks made once for all of them (a timeline period's zero rows). */
void tp_out_cells_rows(struct tp_out *o, const struct tp_cells *pre, const struct tp_cells *mid,
                       const uint32_t *at, size_t n, const struct tp_cells *post);
void tp_cells_release(struct tp_cells *c);

/* Flush and close; reports any write error (disk full, file size limit) as TP_EIO.
 * For a file, the temporary stays unpublished until tp_out_publish. */
int tp_out_finish(struct tp_out *o, struct tp_error *err);

/* A table file whose rows are all written and that holds 1 MiB or more:
 * make it durable (fsync) on a thread of its own from now on, while the run
 * computes its other tables; tp_out_finish then waits for that instead of
 * syncing (and syncs again if bytes were written after all). A smaller
 * file, standard output, a FIFO or a device: nothing happens here. */
void tp_out_sync_start(struct tp_out *o);

/* Rename a finished file into place. Returns 0 or TP_EIO. */
int tp_out_publish(struct tp_out *o, struct tp_error *err);

/* Free o; an unpublished temporary file is removed. */
void tp_out_free(struct tp_out *o);

/* A set of files that replaces the earlier set in folder dir as one:
 * after a failed run the folder holds the complete earlier set, after a
 * successful one the complete new set; other files in it are left alone.
 *
 * tp_outset_open takes an flock on DIR/.tempora.lock (waiting while another
 * run holds it: concurrent runs into one folder take turns), removes the
 * temporary files and staging folders that dead runs left in dir, and makes
 * the staging folder DIR/.tempora.new.PID.XXXXXX. tp_outset_add opens NAME
 * in the staging folder (the set owns *out: do not free it). tp_outset_drop
 * names a file of the earlier set this one does not have: it is removed
 * with the exchange. tp_outset_commit finishes every file, then, with
 * SIGINT/SIGTERM/SIGHUP held off, exchanges each new file with the earlier
 * one (renameat2 RENAME_EXCHANGE, or three renames where the file system
 * has no exchange); a failure (a NAME that is a folder, a rename refused)
 * exchanges back what was done, so the earlier set stays. tp_outset_free
 * removes the staging folder (the new files, or after a commit the earlier
 * ones) and the lock file. Returns 0, TP_ENOMEM or TP_EIO. */
struct tp_outset;
int tp_outset_open(struct tp_outset **set, const char *dir, struct tp_error *err);
int tp_outset_add(struct tp_outset *set, struct tp_out **out, const char *name, int flags,
                  struct tp_error *err);
int tp_outset_drop(struct tp_outset *set, const char *name, struct tp_error *err);
int tp_outset_commit(struct tp_outset *set, struct tp_error *err);
void tp_outset_free(struct tp_outset *set);

/* Remove every unpublished temporary file (and a set's staging folder and
 * lock file) when SIGINT, SIGTERM or SIGHUP arrives, then die of that
 * signal; ignore SIGXFSZ, so a file size limit is a write error (call once,
 * from main, on the thread that opens the output files: a signal another
 * thread receives is handled on that one). Returns 0, or TP_EIO when a handler cannot be set. */
int tp_out_install_signal_cleanup(struct tp_error *err);

#endif
