/*
 * writer.h - CSV tables (and other output files) written whole or not at all.
 *
 * A table goes to a temporary file in its target folder and is renamed into
 * place only when it is complete and every write succeeded; standard output is
 * written directly. Fields are quoted with libcsv only when they need it
 * (separator, quote, CR, LF, edge spaces); numbers are formatted here, never
 * through the locale: integers as integers, doubles with the fewest digits
 * (at least 10 significant) that read back to the same double, NaN and
 * infinities as empty cells. --excel adds a UTF-8 BOM, uses ';' and a decimal
 * comma, and prefixes text cells starting with = + - @ (and tab, CR) with '
 * so no spreadsheet runs them as formulas.
 */
#ifndef TP_WRITER_H
#define TP_WRITER_H

#include <stdint.h>
#include <stdio.h>

#include "tempora.h"

struct tp_out;

#define TP_OUT_EXCEL 1 /* the --excel dialect */
#define TP_OUT_RAW 2   /* not a CSV table (e.g. SVG): no BOM, no cells */

/* Open path for writing (NULL or "-": standard output). Returns 0 and *out
 * (free with tp_out_free), or TP_EIO naming the folder. */
int tp_out_open(struct tp_out **out, const char *path, int flags, struct tp_error *err);

/* The stream to write a TP_OUT_RAW file to. */
FILE *tp_out_file(struct tp_out *o);

/* A table part (no BOM), for rows written on another thread: tp_out_append
 * moves what it holds to the end of a real table. Its first 4 MiB are kept in
 * memory, the rest in a temporary file. Returns 0 or TP_ENOMEM. */
int tp_out_open_mem(struct tp_out **out, int flags);

/* The flags o was opened with. */
int tp_out_flags(const struct tp_out *o);

/* Append the rows src (a memory part) holds to dst, and empty src. A write
 * failure of src becomes dst's. */
void tp_out_append(struct tp_out *dst, struct tp_out *src);

/* Cells of the current row, left to right; tp_out_row_end ends the row. Write
 * errors are remembered and reported by tp_out_finish. */
void tp_out_header(struct tp_out *o, const char *comma_separated_names);
void tp_out_text(struct tp_out *o, const char *s, size_t len);
void tp_out_str(struct tp_out *o, const char *s);
void tp_out_u64(struct tp_out *o, uint64_t v);
void tp_out_i64(struct tp_out *o, int64_t v);
void tp_out_double(struct tp_out *o, double v);
/* A number already formatted by tp_format_double (s[0..n)), written as
 * tp_out_double would write it. */
void tp_out_number(struct tp_out *o, const char *s, size_t n);
void tp_out_empty(struct tp_out *o);
void tp_out_row_end(struct tp_out *o);

/* Format v as tempora writes it (no excel), into buf (at least 32 bytes).
 * Returns the length, 0 for NaN and infinities. */
size_t tp_format_double(double v, char *buf);

/* Flush and close; reports any write error (disk full, /dev/full) as TP_EIO.
 * For a file, the temporary stays unpublished until tp_out_publish. */
int tp_out_finish(struct tp_out *o, struct tp_error *err);

/* Rename a finished file into place. Returns 0 or TP_EIO. */
int tp_out_publish(struct tp_out *o, struct tp_error *err);

/* Free o; an unpublished temporary file is removed. */
void tp_out_free(struct tp_out *o);

/* Remove every unpublished temporary file when SIGINT, SIGTERM or SIGHUP
 * arrives, then die of that signal (call once, from main). */
void tp_out_install_signal_cleanup(void);

#endif
