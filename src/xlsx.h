/*
 * xlsx.h - the workbook: `analyze --xlsx` writes tempora.xlsx beside the
 * CSVs, and a one-table command writes one when -o ends in .xlsx.
 *
 * Each table becomes a sheet fed by a cell sink on its tp_out (writer.h): the
 * very cells the CSV gets, never a CSV read back. Numbers are number cells
 * (strtod of the digits the CSV has), `date` and `period_start` date cells,
 * the header row frozen with an autofilter, column widths from the longest
 * cell. A timeline sheet carries a native line chart of its first 8 terms
 * (per million; a `chart_data` sheet holds the series of the long form). A
 * sheet holds at most 1,048,576 rows with its header: the rest of a longer
 * table is left out and a `notes` sheet says so. Rows are streamed
 * (libxlsxwriter's constant_memory mode: each sheet's rows go to a temporary
 * file, zipped when the workbook closes).
 */
#ifndef TP_XLSX_H
#define TP_XLSX_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "tempora.h"
#include "writer.h"

struct tp_xlsx;

/* Rows a sheet holds at most, its header included: Excel's limit, or for
 * tests only a smaller one from TEMPORA_XLSX_MAX_ROWS (2 to the limit;
 * docs/report.md). The sheet's cells go no further, so a table's writer may
 * give its rows past tp_xlsx_sheet_rows() - 1 to the workbook as a count
 * (the cell sink's skip). */
enum { TP_XLSX_SHEET_ROWS = 1048576 };
static inline uint64_t tp_xlsx_sheet_rows(void)
{
    const char *env = getenv("TEMPORA_XLSX_MAX_ROWS");
    if (env && *env) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(env, &end, 10);
        if (!errno && !*end && v >= 2 && v <= TP_XLSX_SHEET_ROWS)
            return v;
    }
    return TP_XLSX_SHEET_ROWS;
}

/* Start a workbook to be written to out (opened with TP_OUT_RAW |
 * TP_OUT_NO_CSV, or staged in a tp_outset with TP_OUT_RAW): written by name
 * to out's temporary file, or, when out is written straight through, to a
 * private temporary file copied into it at close. out stays the caller's.
 * Returns 0 and *x (free with tp_xlsx_free), TP_ENOMEM or TP_EIO. */
int tp_xlsx_new(struct tp_xlsx **x, struct tp_out *out, struct tp_error *err);

/* Add sheet `name` (at most 31 bytes, no []:*?/\) fed with the cells of
 * table from now on. Returns 0, TP_ENOMEM or TP_EIO. */
int tp_xlsx_add(struct tp_xlsx *x, const char *name, struct tp_out *table, struct tp_error *err);

/* Write the widths, filters, chart and notes, and the workbook itself (call
 * once every table is written, before out is finished). Returns 0, or TP_EIO
 * (a write error: nothing of the workbook is published) or TP_ENOMEM. */
int tp_xlsx_close(struct tp_xlsx *x, struct tp_error *err);

/* Free x (a workbook not closed is dropped, its temporary files removed). */
void tp_xlsx_free(struct tp_xlsx *x);

#endif
