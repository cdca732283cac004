/*
 * chart.c - timeline.svg: per-million frequencies by period drawn as a
 * self-contained SVG line chart. One line per term in a colorblind-safe
 * palette (dash patterns once the ten colors are used up), its 95% interval
 * as a translucent band, a y axis with "nice" ticks and light grid lines,
 * period labels thinned (and turned 45 degrees when long) so they never
 * overlap, and a legend below the plot. The last stage of the timeline
 * command; it only formats numbers the timeline already computed.
 *
 * Everything is measured first (struct layout), then written in one pass.
 * Text widths are estimated from code point counts: there is no font
 * metrics library, and sans-serif averages about 0.6 em per character.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "chart.h"
#include "tempora.h"

#define WIDTH 960.0
#define BASE_HEIGHT 540.0 /* title, plot and period labels; the legend adds */
#define FONT 12.0         /* tick labels */
#define LEGEND_FONT 13.0
#define CHAR_EM 0.6             /* estimated advance of one character, in em */
#define LEGEND_ROW 22.0         /* legend line height */
#define LEGEND_MAX_CHARS 40     /* longer terms are cut with an ellipsis */
#define MARKER_MAX_PERIODS 30   /* more periods: lines without point markers */
#define ROTATED_LABEL_STEP 26.0 /* horizontal room a 45-degree label needs */
#define LEGEND_MAX_COLS 8
#define LEGEND_SWATCH 38.0 /* line sample and gap before the term */
#define LEGEND_GAP 18.0    /* between legend columns */
#define SIN_45 0.70710678118654752
#define THIN_SPACE "&#8201;" /* U+2009, the thousands separator of tick labels */

/* Tableau 10: distinguishable under the common color vision deficiencies
 * and on white; ordered so that neighbours in the legend differ most. */
static const char *const palette[] = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
};
#define N_COLORS (sizeof(palette) / sizeof(palette[0]))

/* Dash patterns for the 11th series on: each pass through the palette gets
 * the next pattern, so color + dash stays unique for 40 series. */
static const char *const dashes[] = {NULL, "7 4", "2 3", "9 3 2 3"};
#define N_DASHES (sizeof(dashes) / sizeof(dashes[0]))

struct svg {
    FILE *f;
    int failed;
};

struct layout {
    double height;
    double left, right, top, bottom; /* the plot area */
    double y_max;                    /* value at the top of the y axis */
    double y_step;                   /* distance between y ticks */
    int n_steps;                     /* ticks above zero */
    int decimals;                    /* digits after the point in tick labels */
    size_t label_every;              /* show every k-th period label */
    int rotate;                      /* period labels at 45 degrees */
    double legend_top;
    size_t legend_cols;
    double legend_col_w[LEGEND_MAX_COLS];
};

static void put(struct svg *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct svg *s, const char *fmt, ...)
{
    va_list ap;

    if (s->failed)
        return;
    va_start(ap, fmt);
    if (vfprintf(s->f, fmt, ap) < 0)
        s->failed = 1;
    va_end(ap);
}

size_t tp_chart_fixed2(double v, char *buf)
{
    if (!isfinite(v) || fabs(v) >= 1e13)
        return 0;
    /* a * 100 rounded once to an integer; where the product p is a tie, its
     * exact error (fma: a * 100 = p + e exactly) says which side the exact
     * value is on (p is a tie only when the exact value is within half an
     * ulp of it, and a value below a tie never rounds to above it) */
    double a = fabs(v), p = a * 100, e = fma(a, 100, -p), n = nearbyint(p);
    if (fabs(p - n) == 0.5 && e != 0)
        n = e > 0 ? floor(p) + 1 : floor(p);
    uint64_t q = (uint64_t)n;
    char tmp[24], *d = tmp + sizeof(tmp);
    *--d = (char)('0' + q % 10);
    *--d = (char)('0' + q / 10 % 10);
    *--d = '.';
    q /= 100;
    do
        *--d = (char)('0' + q % 10);
    while (q /= 10);
    size_t at = 0;
    if (signbit(v))
        buf[at++] = '-';
    memcpy(buf + at, d, (size_t)(tmp + sizeof(tmp) - d));
    at += (size_t)(tmp + sizeof(tmp) - d);
    buf[at] = '\0';
    return at;
}

/* A point "x,y " of a polyline or polygon: as put(s, "%.2f,%.2f ", x, y)
 * writes it, without printf's multi-precision path (a daily timeline has
 * tens of thousands of points). */
static void put_xy(struct svg *s, double x, double y)
{
    char b[56];
    size_t n = tp_chart_fixed2(x, b), m = n ? tp_chart_fixed2(y, b + n + 1) : 0;
    if (!m) {
        put(s, "%.2f,%.2f ", x, y);
        return;
    }
    b[n] = ',';
    b[n + 1 + m] = ' ';
    if (!s->failed && fwrite(b, 1, n + m + 2, s->f) != n + m + 2)
        s->failed = 1;
}

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes), or 0 if the
 * bytes are not valid UTF-8 (overlong forms, surrogates, past U+10FFFF) or
 * encode a character XML 1.0 forbids (C0 controls but tab, LF and CR;
 * U+FFFE and U+FFFF). Such text is replaced rather than written, since one
 * bad byte would make the whole file unreadable to an XML parser.
 */
static size_t xml_char_len(const unsigned char *p, size_t n)
{
    unsigned long cp;
    size_t len, i;

    if (p[0] < 0x80) {
        if (p[0] < 0x20 && p[0] != '\t' && p[0] != '\n' && p[0] != '\r')
            return 0;
        return 1;
    }
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
        cp = p[0] & 0x1fu;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        cp = p[0] & 0x0fu;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0u) != 0x80u)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff)
        return 0;
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
        return 0;
    return len;
}

/* Number of characters put_text would show for text cut at max_chars
 * (0: no limit), counting the ellipsis. Used to estimate widths. */
static size_t text_chars(const char *text, size_t max_chars)
{
    size_t n = strlen(text), i = 0, chars = 0, len;

    while (i < n) {
        if (max_chars && chars == max_chars)
            return chars + 1;
        len = xml_char_len((const unsigned char *)text + i, n - i);
        i += len ? len : 1;
        chars++;
    }
    return chars;
}

/* Write text XML-escaped, invalid bytes as U+FFFD, cut after max_chars
 * characters (0: no limit) with an ellipsis. */
static void put_text(struct svg *s, const char *text, size_t max_chars)
{
    size_t n = strlen(text), i = 0, chars = 0, len;

    while (i < n) {
        const char *c = text + i;

        if (max_chars && chars == max_chars) {
            put(s, "\xe2\x80\xa6");
            return;
        }
        len = xml_char_len((const unsigned char *)c, n - i);
        if (len == 0) {
            put(s, "\xef\xbf\xbd");
            len = 1;
        } else if (*c == '&') {
            put(s, "&amp;");
        } else if (*c == '<') {
            put(s, "&lt;");
        } else if (*c == '>') {
            put(s, "&gt;");
        } else if (*c == '"') {
            put(s, "&quot;");
        } else if (*c == '\'') {
            put(s, "&apos;");
        } else {
            put(s, "%.*s", (int)len, c);
        }
        i += len;
        chars++;
    }
}

/* Estimated width in pixels of chars characters at font size px. */
static double text_width(size_t chars, double px)
{
    return (double)chars * CHAR_EM * px;
}

/*
 * The y axis: from 0 to a multiple of a step of 1, 2, 2.5 or 5 times a power
 * of ten, with 4 to 6 steps. Ticks that are multiples of a round step read
 * at a glance; 2.5 fills the gap between 2 and 5 (so 0-10 is not forced
 * into 5 steps of 2 when 4 of 2.5 fit the data better).
 */
static void nice_axis(double v_max, struct layout *lay)
{
    static const double mult[] = {1.0, 2.0, 2.5, 5.0, 10.0};
    double mag, step = 1.0;
    size_t i;

    if (!(v_max > 0.0) || !isfinite(v_max))
        v_max = 1.0;
    mag = pow(10.0, floor(log10(v_max / 6.0)));
    for (i = 0; i < sizeof(mult) / sizeof(mult[0]); i++) {
        step = mult[i] * mag;
        if (ceil(v_max / step * (1.0 - 1e-12)) <= 6.0)
            break;
    }
    lay->y_step = step;
    lay->n_steps = (int)ceil(v_max / step * (1.0 - 1e-12));
    if (lay->n_steps < 1)
        lay->n_steps = 1;
    lay->y_max = step * lay->n_steps;
    /* Digits the step needs: none from 10 up, one more per decade below,
     * and one more for the 2.5 steps (0.25, 0.025, ...). */
    lay->decimals = 0;
    if (step < 10.0) {
        double e = -floor(log10(step) + 1e-9);
        lay->decimals = (int)(e > 0.0 ? e : 0.0);
        if (fabs(step / pow(10.0, floor(log10(step) + 1e-9)) - 2.5) < 1e-9)
            lay->decimals++;
    }
}

/*
 * Format a tick value into buf: fixed decimals, thousands grouped with thin
 * spaces (a separator no locale reads as a decimal point); above 1e15 in
 * exponent form, which is shorter than the digits. Returns buf.
 */
static char *tick_label(double v, int decimals, char *buf, size_t cap)
{
    char digits[64];
    size_t n_int, i, o = 0;
    const char *p = digits;

    if (v >= 1e15) {
        snprintf(buf, cap, "%.3g", v);
        return buf;
    }
    snprintf(digits, sizeof(digits), "%.*f", decimals, v);
    n_int = strcspn(digits, ".");
    if (n_int <= 4) { /* 1000 stays whole: grouping only from 10 000 */
        snprintf(buf, cap, "%s", digits);
        return buf;
    }
    for (i = 0; i < n_int && o + 8 < cap; i++) {
        if (i > 0 && (n_int - i) % 3 == 0)
            o += (size_t)snprintf(buf + o, cap - o, "%s", THIN_SPACE);
        buf[o++] = p[i];
    }
    snprintf(buf + o, cap - o, "%s", p + n_int);
    return buf;
}

/* Estimated width of a tick label, its thin spaces counted as half a
 * character. */
static double tick_label_width(const char *label)
{
    double chars = 0.0;

    while (*label) {
        if (strncmp(label, THIN_SPACE, strlen(THIN_SPACE)) == 0) {
            chars += 0.5;
            label += strlen(THIN_SPACE);
        } else {
            chars += 1.0;
            label++;
        }
    }
    return chars * CHAR_EM * FONT;
}

static double x_of(const struct layout *lay, size_t i, size_t n)
{
    return lay->left + (lay->right - lay->left) * ((double)i + 0.5) / (double)n;
}

static double y_of(const struct layout *lay, double v)
{
    if (!(v > 0.0))
        v = 0.0;
    if (v > lay->y_max)
        v = lay->y_max;
    return lay->bottom - (lay->bottom - lay->top) * v / lay->y_max;
}

static int finite_at(const double *a, size_t i)
{
    return a && isfinite(a[i]);
}

/*
 * Show every k-th period label, k the smallest round number of periods
 * that is at least need: round for the kind of period the first label
 * shows (a week, a month, a quarter, a year apart from its neighbours), so
 * the labels shown fall at regular calendar steps.
 */
static size_t label_step(const char *label, double need)
{
    static const size_t days[] = {1, 2, 7, 14, 28, 91, 182, 364};
    static const size_t weeks[] = {1, 2, 4, 13, 26, 52};
    static const size_t months[] = {1, 2, 3, 6, 12};
    static const size_t quarters[] = {1, 2, 4};
    static const size_t other[] = {1, 2, 5, 10, 20, 25, 50, 100};
    const size_t *steps = other;
    size_t n = sizeof(other) / sizeof(other[0]), len = strlen(label), i, last;

    if (len == 10 && label[4] == '-' && label[7] == '-') {
        steps = days;
        n = sizeof(days) / sizeof(days[0]);
    } else if (len == 8 && strncmp(label + 4, "-W", 2) == 0) {
        steps = weeks;
        n = sizeof(weeks) / sizeof(weeks[0]);
    } else if (len == 7 && strncmp(label + 4, "-Q", 2) == 0) {
        steps = quarters;
        n = sizeof(quarters) / sizeof(quarters[0]);
    } else if (len == 7 && label[4] == '-') {
        steps = months;
        n = sizeof(months) / sizeof(months[0]);
    }
    for (i = 0; i < n; i++)
        if ((double)steps[i] >= need)
            return steps[i];
    /* Past the table: whole multiples of its last step (years of days,
     * decades of months, hundreds of anything else). */
    last = steps[n - 1];
    return last * (size_t)ceil(need / (double)last);
}

/* Widths of the legend's columns when its entries fill cols columns row by
 * row: each column as wide as its longest entry. */
static void legend_widths(const struct tp_series *series, size_t n_series, size_t cols,
                          double *col_w)
{
    size_t i;

    for (i = 0; i < cols; i++)
        col_w[i] = 0.0;
    for (i = 0; i < n_series; i++) {
        const char *name = series[i].name ? series[i].name : "";
        double w = LEGEND_SWATCH + text_width(text_chars(name, LEGEND_MAX_CHARS), LEGEND_FONT) +
                   LEGEND_GAP;

        if (w > col_w[i % cols])
            col_w[i % cols] = w;
    }
}

/* Measure everything that decides where the plot and the legend go. */
static void measure(const char *const *labels, size_t n_periods, const struct tp_series *series,
                    size_t n_series, const char *title, struct layout *lay)
{
    char buf[128];
    double v_max = 0.0, tick_w = 0.0, label_w = 0.0, slot, label_h;
    size_t i, j, max_label = 0;
    int k;

    for (i = 0; i < n_series; i++) {
        for (j = 0; j < n_periods; j++) {
            if (finite_at(series[i].y, j) && series[i].y[j] > v_max)
                v_max = series[i].y[j];
            if (finite_at(series[i].hi, j) && series[i].hi[j] > v_max)
                v_max = series[i].hi[j];
        }
    }
    nice_axis(v_max, lay);

    /* The left margin holds the axis title and the widest tick label;
     * thin spaces count as half a character. */
    for (k = 0; k <= lay->n_steps; k++) {
        tick_label(lay->y_step * k, lay->decimals, buf, sizeof(buf));
        tick_w = fmax(tick_w, tick_label_width(buf));
    }
    lay->left = 14.0 + 18.0 + tick_w + 10.0;
    lay->right = WIDTH - 24.0;
    lay->top = title ? 64.0 : 28.0;

    /* Period labels: horizontal when every one fits its slot; else thinned
     * to every k-th, k a round number of periods, and turned 45 degrees
     * only when that shows over three times as many labels as staying
     * horizontal would (turned text is harder to read). */
    for (i = 0; i < n_periods; i++)
        if (labels && labels[i] && text_chars(labels[i], 0) > max_label)
            max_label = text_chars(labels[i], 0);
    label_w = text_width(max_label, FONT);
    slot = n_periods ? (lay->right - lay->left) / (double)n_periods : 1.0;
    lay->rotate = 0;
    lay->label_every = 1;
    if (n_periods > 1 && label_w + 10.0 > slot) {
        const char *first = labels && labels[0] ? labels[0] : "";
        size_t flat = label_step(first, (label_w + 10.0) / slot);
        size_t turned = label_step(first, ROTATED_LABEL_STEP / slot);

        lay->label_every = flat;
        if (max_label > 4 && flat > 3 * turned) {
            lay->rotate = 1;
            lay->label_every = turned;
        }
    }
    /* A horizontal label centred on the last period must not run off the
     * right edge. */
    if (!lay->rotate && label_w / 2.0 + 4.0 > WIDTH - lay->right)
        lay->right = WIDTH - label_w / 2.0 - 4.0;
    label_h = lay->rotate ? label_w * SIN_45 + FONT + 12.0 : FONT + 14.0;
    lay->bottom = BASE_HEIGHT - label_h - 20.0;

    /* The legend: as many columns as fit, each as wide as its own longest
     * entry, filled row by row. */
    lay->legend_cols = n_series < LEGEND_MAX_COLS ? n_series : LEGEND_MAX_COLS;
    for (; lay->legend_cols > 1; lay->legend_cols--) {
        double total = 0.0;

        legend_widths(series, n_series, lay->legend_cols, lay->legend_col_w);
        for (j = 0; j < lay->legend_cols; j++)
            total += lay->legend_col_w[j];
        if (total <= WIDTH - 48.0)
            break;
    }
    if (lay->legend_cols < 1)
        lay->legend_cols = 1;
    legend_widths(series, n_series, lay->legend_cols, lay->legend_col_w);
    lay->legend_top = BASE_HEIGHT;
    lay->height = BASE_HEIGHT + 12.0 +
                  LEGEND_ROW * (double)((n_series + lay->legend_cols - 1) / lay->legend_cols);
}

static void put_axes(struct svg *s, const struct layout *lay, const char *const *labels,
                     size_t n_periods, const char *title)
{
    char buf[128];
    double mid_y = 0.5 * (lay->top + lay->bottom);
    size_t i;
    int k;

    if (title) {
        put(s,
            "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"18\" "
            "font-weight=\"bold\" fill=\"#222\">",
            0.5 * WIDTH, 34.0);
        put_text(s, title, 0);
        put(s, "</text>\n");
    }

    /* Grid lines and tick labels of the y axis. */
    put(s, "<g font-size=\"%.0f\" fill=\"#444\" text-anchor=\"end\">\n", FONT);
    for (k = 0; k <= lay->n_steps; k++) {
        double y = y_of(lay, lay->y_step * k);

        put(s, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\"/>\n", lay->left,
            y, lay->right, y, k ? "#e5e5e5" : "#888");
        put(s, "<text x=\"%.2f\" y=\"%.2f\">%s</text>\n", lay->left - 8.0, y + 4.0,
            tick_label(lay->y_step * k, lay->decimals, buf, sizeof(buf)));
    }
    put(s, "</g>\n");
    put(s,
        "<text transform=\"translate(%.2f %.2f) rotate(-90)\" text-anchor=\"middle\" "
        "font-size=\"13\" fill=\"#444\">per million tokens</text>\n",
        18.0, mid_y);

    /* Period labels with a short tick each. */
    put(s, "<g font-size=\"%.0f\" fill=\"#444\" text-anchor=\"%s\">\n", FONT,
        lay->rotate ? "end" : "middle");
    for (i = 0; labels && i < n_periods; i += lay->label_every) {
        double x = x_of(lay, i, n_periods);

        put(s, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#888\"/>\n", x,
            lay->bottom, x, lay->bottom + 5.0);
        if (!labels[i])
            continue;
        if (lay->rotate)
            put(s, "<text transform=\"translate(%.2f %.2f) rotate(-45)\">", x + 4.0,
                lay->bottom + 16.0);
        else
            put(s, "<text x=\"%.2f\" y=\"%.2f\">", x, lay->bottom + 20.0);
        put_text(s, labels[i], 0);
        put(s, "</text>\n");
    }
    put(s, "</g>\n");
}

/* The style of series i: its own (tp_series.style), else its position. */
#define STYLE(styles, i) ((styles) && (styles)[i] ? (size_t)(styles)[i] - 1 : (i))

/* Stroke attributes of style i: its color, and past the palette a dash. */
static void put_stroke(struct svg *s, size_t i)
{
    const char *dash = dashes[(i / N_COLORS) % N_DASHES];

    put(s, " stroke=\"%s\"", palette[i % N_COLORS]);
    if (dash)
        put(s, " stroke-dasharray=\"%s\"", dash);
}

/*
 * One series over several periods: the interval band and the line, both
 * broken where a value is missing (NaN), then markers if periods are few.
 */
static void put_series_lines(struct svg *s, const struct layout *lay, size_t n_periods,
                             const struct tp_series *ser, size_t idx, double band_opacity)
{
    const char *color = palette[idx % N_COLORS];
    size_t start = 0, end, i;

    while (start < n_periods) {
        while (start < n_periods && !finite_at(ser->y, start))
            start++;
        for (end = start; end < n_periods && finite_at(ser->y, end); end++)
            ;
        if (start == end)
            break;

        if (ser->lo && ser->hi) {
            put(s, "<polygon fill=\"%s\" fill-opacity=\"%.2f\" stroke=\"none\" points=\"", color,
                band_opacity);
            for (i = start; i < end; i++)
                put_xy(s, x_of(lay, i, n_periods),
                       y_of(lay, finite_at(ser->hi, i) ? ser->hi[i] : ser->y[i]));
            for (i = end; i-- > start;)
                put_xy(s, x_of(lay, i, n_periods),
                       y_of(lay, finite_at(ser->lo, i) ? ser->lo[i] : ser->y[i]));
            put(s, "\"/>\n");
        }

        put(s, "<polyline fill=\"none\" stroke-width=\"2\" stroke-linejoin=\"round\"");
        put_stroke(s, idx);
        put(s, " points=\"");
        for (i = start; i < end; i++)
            put_xy(s, x_of(lay, i, n_periods), y_of(lay, ser->y[i]));
        put(s, "\"/>\n");
        start = end;
    }

    if (n_periods <= MARKER_MAX_PERIODS) {
        put(s, "<g fill=\"%s\" stroke=\"#fff\" stroke-width=\"1\">\n", color);
        for (i = 0; i < n_periods; i++)
            if (finite_at(ser->y, i))
                put(s, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\"/>\n", x_of(lay, i, n_periods),
                    y_of(lay, ser->y[i]));
        put(s, "</g>\n");
    }
}

/* A single period: each series as a point with a vertical error bar, the
 * points spread sideways so that the bars do not hide each other. */
static void put_series_point(struct svg *s, const struct layout *lay, const struct tp_series *ser,
                             size_t idx, size_t style, size_t n_series)
{
    const char *color = palette[style % N_COLORS];
    double gap = fmin(24.0, 0.8 * (lay->right - lay->left) / (double)n_series);
    double x = 0.5 * (lay->left + lay->right) + gap * ((double)idx - 0.5 * (double)(n_series - 1));

    if (!finite_at(ser->y, 0))
        return;
    if (finite_at(ser->lo, 0) && finite_at(ser->hi, 0)) {
        double y_lo = y_of(lay, ser->lo[0]), y_hi = y_of(lay, ser->hi[0]);

        put(s,
            "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
            "d=\"M%.2f %.2fV%.2fM%.2f %.2fH%.2fM%.2f %.2fH%.2f\"/>\n",
            color, x, y_lo, y_hi, x - 5.0, y_lo, x + 5.0, x - 5.0, y_hi, x + 5.0);
    }
    put(s, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4.5\" fill=\"%s\" stroke=\"#fff\"/>\n", x,
        y_of(lay, ser->y[0]), color);
}

static void put_legend(struct svg *s, const struct layout *lay, const struct tp_series *series,
                       const int *styles, size_t n_series, int markers)
{
    double total_w = 0.0, x0, x = 0.0;
    size_t i;

    for (i = 0; i < lay->legend_cols; i++)
        total_w += lay->legend_col_w[i];
    x0 = 0.5 * (WIDTH - total_w + LEGEND_GAP);
    put(s, "<g class=\"legend\" font-size=\"%.0f\" fill=\"#222\">\n", LEGEND_FONT);
    for (i = 0; i < n_series; i++) {
        double y = lay->legend_top + LEGEND_ROW * (double)(i / lay->legend_cols) + 8.0;

        x = i % lay->legend_cols ? x + lay->legend_col_w[i % lay->legend_cols - 1] : x0;
        put(s, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke-width=\"3\"", x, y,
            x + 30.0, y);
        put_stroke(s, STYLE(styles, i));
        put(s, "/>\n");
        if (markers)
            put(s, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\" fill=\"%s\"/>\n", x + 15.0, y,
                palette[STYLE(styles, i) % N_COLORS]);
        put(s, "<text x=\"%.2f\" y=\"%.2f\">", x + LEGEND_SWATCH, y + 4.5);
        put_text(s, series[i].name ? series[i].name : "", LEGEND_MAX_CHARS);
        put(s, "</text>\n");
    }
    put(s, "</g>\n");
}

int tp_chart_svg(FILE *f, const char *const *labels, size_t n_periods,
                 const struct tp_series *series, size_t n_series, const char *title,
                 struct tp_error *err)
{
    return tp_chart_svg_styled(f, labels, n_periods, series, NULL, n_series, title, err);
}

int tp_chart_svg_styled(FILE *f, const char *const *labels, size_t n_periods,
                        const struct tp_series *series, const int *styles, size_t n_series,
                        const char *title, struct tp_error *err)
{
    struct svg s = {f, 0};
    struct layout lay;
    /* Overlapping bands of many terms turn to mud: fainter when crowded. */
    double band_opacity = n_series <= 3 ? 0.18 : n_series <= 6 ? 0.12 : 0.08;
    size_t i;

    errno = 0; /* so that the message names this write's failure, if any */
    measure(labels, n_periods, series, n_series, title, &lay);

    put(&s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    put(&s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
        "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n",
        WIDTH, ceil(lay.height), WIDTH, ceil(lay.height));
    put(&s, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
    put_axes(&s, &lay, labels, n_periods, title);

    for (i = 0; i < n_series; i++) {
        put(&s, "<g>\n<title>");
        put_text(&s, series[i].name ? series[i].name : "", 0);
        put(&s, "</title>\n");
        if (n_periods == 1)
            put_series_point(&s, &lay, &series[i], i, STYLE(styles, i), n_series);
        else
            put_series_lines(&s, &lay, n_periods, &series[i], STYLE(styles, i), band_opacity);
        put(&s, "</g>\n");
    }
    if (n_series == 0 || n_periods == 0)
        put(&s,
            "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"14\" "
            "fill=\"#888\">no data</text>\n",
            0.5 * (lay.left + lay.right), 0.5 * (lay.top + lay.bottom));

    put_legend(&s, &lay, series, styles, n_series, n_periods <= MARKER_MAX_PERIODS);
    put(&s, "</svg>\n");

    /* Buffered output fails late (a full disk shows at the flush). */
    if (s.failed || fflush(f) == EOF || ferror(f))
        return tp_error_set(err, TP_EIO, "writing the chart: %s",
                            errno ? strerror(errno) : "write error");
    return 0;
}
