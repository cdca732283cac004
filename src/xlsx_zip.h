/*
 * xlsx_zip.h - the rows of a workbook's big sheets, and the zip they go into
 * (used by xlsx.c; docs/report.md, "How the workbook is written").
 *
 * libxlsxwriter writes the workbook's structure (styles, the header row,
 * frozen pane, autofilter, column widths, chart, notes) with each table
 * sheet holding its header row only. The table's rows are written here as
 * sheet XML, deflated (ISA-L, level 1) as they come into an unlinked
 * temporary file, and sync-flushed at the end so that the stream can be
 * followed by more. tp_xzip_rewrite then copies libxlsxwriter's zip entry
 * by entry and, for each table sheet, makes the entry out of three deflate
 * pieces: its own XML up to `</sheetData>` (stored blocks), the rows' stream
 * as it is, and the rest of its XML (stored blocks, the last one final).
 */
#ifndef TP_XLSX_ZIP_H
#define TP_XLSX_ZIP_H

#include <stdint.h>
#include <stdio.h>

struct tp_xrows;
struct tp_error;

/* Load ISA-L (dynlib.h) for the workbook at path: 0, or TP_EINTERNAL with
 * err saying why it cannot be loaded. Before any tp_xrows_new. */
int tp_xrows_need(const char *path, struct tp_error *err);

/* A new rows stream whose deflated bytes go to an unlinked temporary file in
 * tmpdir (NULL: /tmp). Returns 0 and *r (free with tp_xrows_free), or an
 * errno value. */
int tp_xrows_new(struct tp_xrows **r, const char *tmpdir);

/* Room for n more bytes of XML: a pointer to write them at, to be followed
 * by tp_xrows_commit with the number written (at most n). NULL when the
 * stream has failed (tp_xrows_error says why). */
char *tp_xrows_reserve(struct tp_xrows *r, size_t n);
void tp_xrows_commit(struct tp_xrows *r, size_t n);

/* Deflate what is pending and end the stream with a sync flush (byte
 * aligned, no final block). Returns 0 or an errno value. */
int tp_xrows_finish(struct tp_xrows *r);

/* 0, or the errno value of the stream's first failure (a write of its
 * temporary file, or ENOMEM). */
int tp_xrows_error(const struct tp_xrows *r);

/* Bytes of XML written so far. */
uint64_t tp_xrows_len(const struct tp_xrows *r);

void tp_xrows_free(struct tp_xrows *r);

/* A sheet entry to splice rows into. */
struct tp_xsplice {
    const char *entry;     /* the entry's name, e.g. "xl/worksheets/sheet2.xml" */
    struct tp_xrows *rows; /* finished; borrowed */
    const char *dim;       /* the sheet's range for <dimension ref="...">, e.g. "A1:I20" */
};

/* Read the zip at path (as libxlsxwriter wrote it), then write it again at
 * path: every entry copied as it is, but those named in splice[0..n), whose
 * rows are put before `</sheetData>`. Zip64 records are written when a size
 * or an offset needs them (or for every entry with force_zip64, for tests).
 * Returns 0, or an errno value with *failed_entry set to the entry being
 * written when it failed (NULL if none). */
int tp_xzip_rewrite(const char *path, const struct tp_xsplice *splice, size_t n, int force_zip64,
                    const char **failed_entry);

#endif
