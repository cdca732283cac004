/*
 * xlsx_int.h - the insides of the workbook (struct tp_xlsx, struct sheet),
 * shared by xlsx.c (sheets fed by a cell sink, the file put together) and
 * xlsx_chart.c (a timeline's native chart and the notes sheet). Not for use
 * outside the workbook.
 */
#ifndef TP_XLSX_INT_H
#define TP_XLSX_INT_H

#include <stdint.h>
#include <xlsxwriter.h>

#include "dynlib.h"
#include "writer.h"
#include "xlsx.h"
#include "xlsx_zip.h"

/* libxlsxwriter, loaded by the first tp_xlsx_new (dynlib.h); xlsx.c and
 * xlsx_chart.c call it through tp_lxw. */
#define LXW_API(X)                                                                                 \
    X(workbook_new_opt)                                                                            \
    X(workbook_add_format)                                                                         \
    X(workbook_add_worksheet)                                                                      \
    X(workbook_add_chart)                                                                          \
    X(workbook_close)                                                                              \
    X(lxw_workbook_free)                                                                           \
    X(format_set_bold)                                                                             \
    X(format_set_num_format)                                                                       \
    X(lxw_format_get_xf_index)                                                                     \
    X(lxw_datetime_to_excel_datetime)                                                              \
    X(lxw_strerror)                                                                                \
    X(worksheet_write_string)                                                                      \
    X(worksheet_set_column)                                                                        \
    X(worksheet_freeze_panes)                                                                      \
    X(worksheet_autofilter)                                                                        \
    X(worksheet_insert_chart_opt)                                                                  \
    X(chart_add_series)                                                                            \
    X(chart_series_set_categories)                                                                 \
    X(chart_series_set_values)                                                                     \
    X(chart_series_set_name_range)                                                                 \
    X(chart_title_set_name)                                                                        \
    X(chart_axis_set_name)                                                                         \
    X(chart_legend_set_position)

struct tp_lxw_api {
    LXW_API(TP_DYN_SLOT)
};
extern struct tp_lxw_api tp_lxw;

enum {
    SHEET_ROWS = TP_XLSX_SHEET_ROWS, /* Excel's limit, the header included */
    MAX_CELL = 32767,                /* Excel's longest string, in characters */
    CHART_TERMS = 8,
    MAX_WIDTH = 60, /* a column is never made wider than this */
};

struct chart_data {
    char **periods; /* labels, in order */
    double *values; /* [period * CHART_TERMS + term] per million, NAN for empty */
    size_t n_periods, cap;
    char *terms[CHART_TERMS];
    int n_terms;
    int row_term; /* the current row's term, or -1 */
};

struct sheet {
    struct tp_xlsx *x;
    lxw_worksheet *ws;
    char name[32];
    uint64_t row;   /* the row being written (0: the header) */
    uint64_t n_cut; /* rows past the limit */
    unsigned col;
    unsigned n_cols;
    char **names;        /* header cells */
    unsigned char *date; /* by column: a date column */
    double *width;       /* by column: the widest cell, in characters */
    unsigned cols_cap;
    int timeline;                       /* 0, 1 (long form: chart_data sheet) or 2 (wide form) */
    unsigned c_period, c_term, c_value; /* long form: the columns the chart reads */
    struct chart_data cd;
    uint64_t n_truncated; /* strings cut at MAX_CELL */
    /* the rows after the header, as sheet XML (xlsx_zip.h) */
    struct tp_xrows *rows;
    unsigned ws_index;  /* libxlsxwriter's index of the sheet: xl/worksheets/sheet<index+1>.xml */
    int rows_err;       /* errno of the rows' temporary file that could not be made */
    char (*letters)[8]; /* by column: its letters, NUL-terminated; [7] their length */
    char rdig[24];      /* the current row's number (not NUL-terminated) */
    size_t rdig_len;
    unsigned next_col;  /* the column of a cell written without r="" */
    char last_date[10]; /* the last date cell's text, and its serial number */
    size_t last_date_len;
    char last_serial[24];
    size_t last_serial_len;
};

struct tp_xlsx {
    lxw_workbook *wb;
    struct tp_out *out;
    char *path;   /* where libxlsxwriter writes */
    char *name;   /* the workbook's name in messages */
    int own_tmp;  /* path is a private temporary file (out is written straight through) */
    int tmp_slot; /* its signal cleanup slot */
    struct sheet *chart_sheet; /* chart_data, when a long-form timeline has a chart */
    lxw_format *bold, *day, *month, *year;
    int xf_day, xf_month, xf_year; /* their style indexes in the sheets' XML */
    int force_zip64;               /* TEMPORA_XLSX_ZIP64: zip64 records everywhere (tests) */
    struct sheet **sheets;
    size_t n_sheets;
    uint64_t max_rows; /* rows of a sheet, the header included */
    lxw_error failed;  /* the first error of a cell write */
    char *buf;         /* a cell as a NUL-terminated string */
    size_t buf_cap;
};

/* The sheet's cell sink (struct tp_cell_sink): a cell, and a row's end. */
void tp_xlsx_sheet_cell(void *ctx, const char *s, size_t len, enum tp_cell_kind kind);
void tp_xlsx_sheet_row_end(void *ctx);

/* The chart of a timeline sheet sh, and the notes sheet (rows cut, cells
 * shortened) when there is anything to note: libxlsxwriter's error or
 * LXW_NO_ERROR. */
lxw_error tp_xlsx_add_chart(struct tp_xlsx *x, struct sheet *sh);
lxw_error tp_xlsx_add_notes(struct tp_xlsx *x);

#endif
