/*
 * report_html.h - report.html: analyze's tables in one self-contained page
 * (summary, an interactive timeline drawn by uPlot, top terms, collocations,
 * trends, keyness, characteristic terms per document) that works offline.
 *
 * The page gets the cells the CSV tables get, through a cell sink on each
 * table's tp_out (writer.h): kept as JSON text as they arrive, with every
 * `<`, `>`, `&`, U+2028 and U+2029 escaped, and embedded in a
 * <script type="application/json"> the page's script reads with JSON.parse
 * and puts on the page with textContent only. The scripts and styles are
 * compiled in (src/html/, src/vendor/uplot/; build/<mode>/gen/report_assets.c).
 */
#ifndef TP_REPORT_HTML_H
#define TP_REPORT_HTML_H

#include <stdio.h>

#include "tempora.h"
#include "writer.h"

struct tp_html;

/* A report with no tables yet. Returns 0 and *h (free with tp_html_free) or
 * TP_ENOMEM. */
int tp_html_new(struct tp_html **h);

/* Keep the cells of table, from now on, as the report's table `name` (a
 * JavaScript identifier): its header and its first max_rows rows (a timeline
 * in long form: only the rows of its first max_terms terms). The rows left
 * out are counted. Returns 0 or TP_ENOMEM. */
int tp_html_add(struct tp_html *h, const char *name, struct tp_out *table, size_t max_rows,
                size_t max_terms, struct tp_error *err);

/* Write the page to f (write errors show in f: the caller's tp_out_finish
 * reports them). Returns 0 or TP_ENOMEM. */
int tp_html_write(struct tp_html *h, FILE *f, struct tp_error *err);

void tp_html_free(struct tp_html *h);

#endif
