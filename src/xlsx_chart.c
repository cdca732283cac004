/*
 * xlsx_chart.c - what the workbook adds once its tables are written: a
 * timeline's native line chart of its first 8 terms (from the sheet's own
 * columns in the wide form, else from a chart_data sheet of period x term
 * that is fed through the same cell sink as a table), and the notes sheet
 * naming each sheet cut at Excel's row limit or holding cells cut at its
 * longest string. The insides are xlsx_int.h's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"
#include "xlsx_int.h"

/* The chart of a timeline sheet: from its own columns (wide form) or from a
 * chart_data sheet of period x first 8 terms (long form). */
lxw_error tp_xlsx_add_chart(struct tp_xlsx *x, struct sheet *sh)
{
    const char *src = sh->name;
    uint64_t n_rows = sh->row < x->max_rows ? sh->row : x->max_rows; /* header included */
    int n_series;
    lxw_col_t first = 2;
    if (sh->timeline == 1) {
        /* its rows go the way of a table's: a sheet fed cell by cell */
        struct chart_data *cd = &sh->cd;
        struct sheet *c = calloc(1, sizeof(*c));
        if (!c)
            return LXW_ERROR_MEMORY_MALLOC_FAILED;
        x->chart_sheet = c;
        c->x = x;
        c->cd.row_term = -1;
        snprintf(c->name, sizeof(c->name), "chart_data");
        lxw_worksheet *ws = tp_lxw.workbook_add_worksheet(x->wb, "chart_data");
        if (!ws)
            return LXW_ERROR_CREATING_TMPFILE;
        c->ws = ws;
        c->ws_index = (unsigned)ws->index;
        tp_xlsx_sheet_cell(c, "period", 6, TP_CELL_TEXT);
        for (int t = 0; t < cd->n_terms; t++)
            tp_xlsx_sheet_cell(c, cd->terms[t], strlen(cd->terms[t]), TP_CELL_TEXT);
        tp_xlsx_sheet_row_end(c);
        for (size_t p = 0; p < cd->n_periods; p++) {
            tp_xlsx_sheet_cell(c, cd->periods[p], strlen(cd->periods[p]), TP_CELL_TEXT);
            for (int t = 0; t < cd->n_terms; t++) {
                char num[40];
                size_t n = tp_format_double(cd->values[p * CHART_TERMS + (size_t)t], num);
                tp_xlsx_sheet_cell(c, num, n, TP_CELL_NUMBER); /* NaN: empty, a blank cell */
            }
            tp_xlsx_sheet_row_end(c);
        }
        if (c->rows)
            tp_xrows_finish(c->rows);
        if (x->failed)
            return x->failed;
        tp_lxw.worksheet_freeze_panes(ws, 1, 0);
        tp_lxw.worksheet_set_column(ws, 0, 0, 12, NULL);
        src = "chart_data";
        n_rows = cd->n_periods + 1;
        n_series = cd->n_terms;
        first = 1;
    } else {
        n_series = (int)sh->n_cols - 2 < CHART_TERMS ? (int)sh->n_cols - 2 : CHART_TERMS;
    }
    if (n_series <= 0 || n_rows < 2)
        return LXW_NO_ERROR;
    lxw_chart *chart = tp_lxw.workbook_add_chart(x->wb, LXW_CHART_LINE);
    if (!chart)
        return LXW_ERROR_MEMORY_MALLOC_FAILED;
    for (int t = 0; t < n_series; t++) {
        lxw_chart_series *s = tp_lxw.chart_add_series(chart, NULL, NULL);
        if (!s)
            return LXW_ERROR_MEMORY_MALLOC_FAILED;
        lxw_col_t c = (lxw_col_t)(first + t);
        tp_lxw.chart_series_set_categories(s, src, 1, 0, (lxw_row_t)(n_rows - 1), 0);
        tp_lxw.chart_series_set_values(s, src, 1, c, (lxw_row_t)(n_rows - 1), c);
        tp_lxw.chart_series_set_name_range(s, src, 0, c);
    }
    tp_lxw.chart_title_set_name(chart, "Per million tokens, by period");
    tp_lxw.chart_axis_set_name(chart->x_axis, "period");
    tp_lxw.chart_axis_set_name(chart->y_axis, "per million");
    tp_lxw.chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
    lxw_chart_options opt = {.x_offset = 10, .y_offset = 10, .x_scale = 2, .y_scale = 1.5};
    return tp_lxw.worksheet_insert_chart_opt(sh->ws, 1, (lxw_col_t)(sh->n_cols + 1), chart, &opt);
}

lxw_error tp_xlsx_add_notes(struct tp_xlsx *x)
{
    int any = 0;
    for (size_t i = 0; i < x->n_sheets; i++)
        any |= x->sheets[i]->n_cut || x->sheets[i]->n_truncated;
    if (!any)
        return LXW_NO_ERROR;
    lxw_worksheet *ws = tp_lxw.workbook_add_worksheet(x->wb, "notes");
    if (!ws)
        return LXW_ERROR_CREATING_TMPFILE;
    lxw_error e = tp_lxw.worksheet_write_string(ws, 0, 0, "sheet", x->bold);
    if (!e)
        e = tp_lxw.worksheet_write_string(ws, 0, 1, "note", x->bold);
    lxw_row_t r = 1;
    char msg[512];
    for (size_t i = 0; i < x->n_sheets && !e; i++) {
        const struct sheet *sh = x->sheets[i];
        if (sh->n_cut) {
            snprintf(msg, sizeof(msg),
                     "cut: the table has %llu rows; this sheet holds the first %llu (a sheet "
                     "holds at most %llu rows with its header); the CSV table has them all",
                     (unsigned long long)(sh->row - 1), (unsigned long long)(x->max_rows - 1),
                     (unsigned long long)x->max_rows);
            if (!(e = tp_lxw.worksheet_write_string(ws, r, 0, sh->name, NULL)))
                e = tp_lxw.worksheet_write_string(ws, r++, 1, msg, NULL);
        }
        if (sh->n_truncated && !e) {
            snprintf(msg, sizeof(msg),
                     "%llu text cells longer than %d characters were cut to that length (the "
                     "longest a cell holds); the CSV table has them whole",
                     (unsigned long long)sh->n_truncated, MAX_CELL);
            if (!(e = tp_lxw.worksheet_write_string(ws, r, 0, sh->name, NULL)))
                e = tp_lxw.worksheet_write_string(ws, r++, 1, msg, NULL);
        }
    }
    tp_lxw.worksheet_set_column(ws, 0, 0, 14, NULL);
    tp_lxw.worksheet_set_column(ws, 1, 1, 120, NULL);
    return e;
}
