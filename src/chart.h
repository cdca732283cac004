/*
 * chart.h - timeline.svg: a self-contained SVG line chart of per-million
 * frequencies by period, one line per term with its 95% interval as a band,
 * axis labels, and a legend. No dependency but stdio.
 */
#ifndef TP_CHART_H
#define TP_CHART_H

#include <stddef.h>
#include <stdio.h>

#include "tempora.h"

struct tp_series {
    const char *name; /* term, borrowed */
    const double *y;  /* n_periods per-million values */
    const double *lo; /* n_periods lower interval bounds (per million) */
    const double *hi; /* n_periods upper interval bounds (per million) */
};

/* Write the chart to f. labels are the n_periods period labels (x axis), title
 * a heading (may be NULL). Text is XML-escaped. Returns 0, or TP_EIO if a write
 * to f fails (err filled). */
int tp_chart_svg(FILE *f, const char *const *labels, size_t n_periods,
                 const struct tp_series *series, size_t n_series, const char *title,
                 struct tp_error *err);

/* tp_chart_svg with a style for each series: styles[i] is 1 + color + 10 *
 * dash (colors from a palette of 10, dashes from 4 patterns), 0 the style of
 * its position (as tp_chart_svg draws every series). --group-by gives a term
 * its color and a group its dash. */
int tp_chart_svg_styled(FILE *f, const char *const *labels, size_t n_periods,
                        const struct tp_series *series, const int *styles, size_t n_series,
                        const char *title, struct tp_error *err);

/* v as printf's "%.2f" writes it (the exact value rounded half to even, "-"
 * on a negative value or zero), NUL-terminated in buf (at least 24 bytes).
 * Returns the length, or 0 for a value it does not take (not finite, or
 * 10^13 and beyond), which printf then writes. */
size_t tp_chart_fixed2(double v, char *buf);

#endif
