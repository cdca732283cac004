/*
 * dates.c - document dates and timeline periods.
 *
 * The reader asks this file three questions about a document: does its text
 * open with a date header or YAML front matter (tp_date_header), does its file
 * name hold a date (tp_date_from_name), and what does a date cell say
 * (tp_date_parse_value). The timeline then maps dates to periods: every period
 * kind is numbered by a consecutive int64 index, so a timeline is a dense array
 * and labels and start dates are computed from (index, kind) alone. Days are
 * counted from 1970-01-01 with Howard Hinnant's days_from_civil algorithm,
 * which is exact for the whole proleptic Gregorian calendar.
 */
#include <stdio.h>
#include <string.h>

#include "dates.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_hblank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap(y)) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (negative before). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                                   /* 0..399 */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Parse exactly n digits. */
/* The value of the n (at most 4) decimal digits at s, or -1. */
static int parse_digits(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int tp_date_parse(const char *s, size_t len, struct tp_date *out)
{
    int y, m = 0, dd = 0;
    enum tp_precision prec = TP_PREC_YEAR;

    out->year = out->month = out->day = 0;
    out->prec = TP_PREC_NONE;
    if (len != 4 && len != 7 && len != 10)
        return -1;
    if ((y = parse_digits(s, 4)) < 1)
        return -1;
    if (len >= 7) {
        if (s[4] != '-' || (m = parse_digits(s + 5, 2)) < 1 || m > 12)
            return -1;
        prec = TP_PREC_MONTH;
    }
    if (len == 10) {
        if (s[7] != '-' || (dd = parse_digits(s + 8, 2)) < 1 || dd > days_in_month(y, m))
            return -1;
        prec = TP_PREC_DAY;
    }
    *out = (struct tp_date){(int16_t)y, (int8_t)m, (int8_t)dd, (uint8_t)prec};
    return 0;
}

/* n (< 10^w) as w digits at b. */
static void put_fixed(char *b, unsigned n, int w)
{
    for (int i = w - 1; i >= 0; i--, n /= 10)
        b[i] = (char)('0' + n % 10);
}

/* Without printf, which took a few percent of writing a million documents'
 * TF-IDF rows (each row carries its document's date). */
size_t tp_date_label(const struct tp_date *d, char *buf)
{
    size_t len = d->prec == TP_PREC_YEAR    ? 4
                 : d->prec == TP_PREC_MONTH ? 7
                 : d->prec == TP_PREC_DAY   ? 10
                                            : 0;
    if (len) {
        put_fixed(buf, (unsigned)d->year % 10000, 4);
        buf[4] = '-';
        put_fixed(buf + 5, (unsigned)d->month % 100, 2);
        buf[7] = '-';
        put_fixed(buf + 8, (unsigned)d->day % 100, 2);
    }
    buf[len] = '\0';
    return len;
}

int tp_date_parse_value(const char *s, size_t len, struct tp_date *out)
{
    while (len > 0 && is_blank(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    /* A timestamp: "2025-01-05T10:00:00Z", "2025-01-05 10:00" keep the day. */
    if (len > 10 && (s[10] == 'T' || s[10] == 't' || s[10] == ' '))
        return tp_date_parse(s, 10, out);
    return tp_date_parse(s, len, out);
}

/* End of the line starting at i: the index of its '\n' or len. */
static size_t line_end(const char *buf, size_t len, size_t i)
{
    const char *nl = memchr(buf + i, '\n', len - i);
    return nl ? (size_t)(nl - buf) : len;
}

/* Is buf[b..e) (a line without its '\n') exactly `mark` plus trailing blanks
 * or a CR? */
static int is_marker_line(const char *buf, size_t b, size_t e, const char *mark)
{
    size_t n = strlen(mark);
    if (e - b < n || memcmp(buf + b, mark, n) != 0)
        return 0;
    for (size_t i = b + n; i < e; i++)
        if (!is_hblank(buf[i]) && buf[i] != '\r')
            return 0;
    return 1;
}

/* Does the line buf[b..e) hold the key `date` (any case, at column 0: nested
 * keys are indented)? Then *vb and *ve delimit its value, unquoted and without a
 * trailing comment. */
static int front_matter_date(const char *buf, size_t b, size_t e, size_t *vb, size_t *ve)
{
    static const char key[] = "date";
    size_t i = b;

    if (e - b < 4)
        return 0;
    for (size_t k = 0; k < 4; k++)
        if (ascii_lower(buf[b + k]) != key[k])
            return 0;
    i = b + 4;
    while (i < e && is_hblank(buf[i]))
        i++;
    if (i >= e || buf[i] != ':')
        return 0;
    i++;
    while (i < e && is_hblank(buf[i]))
        i++;
    while (e > i && (is_hblank(buf[e - 1]) || buf[e - 1] == '\r'))
        e--;
    if (i < e && (buf[i] == '"' || buf[i] == '\'')) {
        const char *q = memchr(buf + i + 1, buf[i], e - i - 1);
        *vb = i + 1;
        *ve = q ? (size_t)(q - buf) : e;
        return 1;
    }
    /* An unquoted YAML value ends at " #", where a comment starts. */
    for (size_t j = i; j < e; j++) {
        if (buf[j] == '#' && j > i && is_hblank(buf[j - 1])) {
            e = j;
            break;
        }
    }
    while (e > i && is_hblank(buf[e - 1]))
        e--;
    *vb = i;
    *ve = e;
    return 1;
}

/* YAML front matter at buf[start..len): returns 1 and fills the results when
 * the `---` line is closed by a `---` or `...` line, else 0 (then it is text). */
static int front_matter(const char *buf, size_t len, size_t start, int at_eof,
                        enum tp_header_kind *kind, struct tp_date *date, size_t *skip,
                        unsigned long *line, const char **bad_value, size_t *bad_len)
{
    size_t e = line_end(buf, len, start);
    int have_key = 0;
    size_t vb = 0, ve = 0;
    unsigned long lineno = 1, key_line = 0;

    if (e == len || !is_marker_line(buf, start, e, "---"))
        return 0;
    for (size_t b = e + 1; b < len; b = e + 1) {
        e = line_end(buf, len, b);
        lineno++;
        if (e == len && !at_eof)
            return 0; /* the line may go on past what we were given */
        if (is_marker_line(buf, b, e, "---") || is_marker_line(buf, b, e, "...")) {
            *skip = e < len ? e + 1 : len;
            *kind = TP_HDR_NONE;
            if (!have_key)
                return 1;
            *line = key_line;
            /* An empty or null value says nothing: undated, not unparsable. */
            if (ve == vb || (ve - vb == 1 && buf[vb] == '~') ||
                (ve - vb == 4 && memcmp(buf + vb, "null", 4) == 0))
                return 1;
            if (tp_date_parse_value(buf + vb, ve - vb, date) == 0) {
                *kind = TP_HDR_DATE;
            } else {
                *kind = TP_HDR_BAD;
                *bad_value = buf + vb;
                *bad_len = ve - vb;
            }
            return 1;
        }
        if (!have_key && front_matter_date(buf, b, e, &vb, &ve)) {
            have_key = 1;
            key_line = lineno;
        }
    }
    return 0;
}

enum tp_header_kind tp_date_header(const char *buf, size_t len, int at_eof, struct tp_date *date,
                                   size_t *skip, unsigned long *line, const char **bad_value,
                                   size_t *bad_len)
{
    enum tp_header_kind kind = TP_HDR_NONE;
    size_t i = 0, vb, ve;
    unsigned long lineno = 1;
    int colon = 0;

    *skip = 0;
    *line = 1;
    *bad_value = NULL;
    *bad_len = 0;
    date->year = date->month = date->day = 0;
    date->prec = TP_PREC_NONE;

    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    if (front_matter(buf, len, i, at_eof, &kind, date, skip, line, bad_value, bad_len))
        return kind;

    while (i < len && is_blank(buf[i])) {
        if (buf[i] == '\n')
            lineno++;
        i++;
    }
    if (len - i < 4 || ascii_lower(buf[i]) != 'd' || ascii_lower(buf[i + 1]) != 'a' ||
        ascii_lower(buf[i + 2]) != 't' || ascii_lower(buf[i + 3]) != 'e')
        return TP_HDR_NONE;
    i += 4;
    if (i < len && buf[i] == ':') {
        colon = 1;
        i++;
    } else if (i >= len || !is_hblank(buf[i])) {
        return TP_HDR_NONE; /* "dates", "dated", "date\n" */
    }
    while (i < len && is_hblank(buf[i]))
        i++;
    vb = i;
    while (i < len && !is_blank(buf[i]))
        i++;
    ve = i;
    if (ve == vb || (ve == len && !at_eof))
        return TP_HDR_NONE;
    if (!colon) {
        /* Without a colon only a date-like value makes a header: "Date of
         * birth" and "date night" are text. */
        if (!is_digit(buf[vb]))
            return TP_HDR_NONE;
        for (size_t k = vb; k < ve; k++)
            if (!is_digit(buf[k]) && buf[k] != '-')
                return TP_HDR_NONE;
    }
    if (tp_date_parse_value(buf + vb, ve - vb, date) == 0) {
        kind = TP_HDR_DATE;
    } else {
        kind = TP_HDR_BAD;
        *bad_value = buf + vb;
        *bad_len = ve - vb;
    }
    while (i < len && is_hblank(buf[i]))
        i++;
    if (i < len && buf[i] == '\r')
        i++;
    if (i < len && buf[i] == '\n')
        i++;
    *skip = i;
    *line = lineno;
    return kind;
}

/* Try a YYYY-MM-DD (day = 1) or YYYY-MM (day = 0) at name[i], with no digit
 * right before or after it. */
static int name_date_at(const char *name, size_t n, size_t i, int day, struct tp_date *out)
{
    size_t w = day ? 10 : 7;
    if (i + w > n || (i > 0 && is_digit(name[i - 1])) || (i + w < n && is_digit(name[i + w])))
        return -1;
    return tp_date_parse(name + i, w, out);
}

int tp_date_from_name(const char *path, struct tp_date *out)
{
    const char *name = strrchr(path, '/');
    size_t n;

    name = name ? name + 1 : path;
    n = strlen(name);
    for (int day = 1; day >= 0; day--)
        for (size_t i = 0; i < n; i++)
            if (is_digit(name[i]) && name_date_at(name, n, i, day, out) == 0)
                return 0;
    out->year = out->month = out->day = 0;
    out->prec = TP_PREC_NONE;
    return -1;
}

enum tp_precision tp_period_precision(enum tp_period p)
{
    switch (p) {
    case TP_PERIOD_YEAR:
        return TP_PREC_YEAR;
    case TP_PERIOD_QUARTER:
    case TP_PERIOD_MONTH:
        return TP_PREC_MONTH;
    case TP_PERIOD_WEEK:
    case TP_PERIOD_DAY:
        return TP_PREC_DAY;
    case TP_PERIOD_AUTO:
        break;
    }
    return TP_PREC_NONE;
}

enum tp_period tp_period_for_precision(enum tp_precision prec)
{
    switch (prec) {
    case TP_PREC_YEAR:
        return TP_PERIOD_YEAR;
    case TP_PREC_MONTH:
        return TP_PERIOD_MONTH;
    case TP_PREC_DAY:
        return TP_PERIOD_DAY;
    case TP_PREC_NONE:
        break;
    }
    return TP_PERIOD_AUTO;
}

/* ISO weeks are numbered from the Monday on or before 1970-01-01 (a Thursday,
 * so that Monday is day -3): week index = floor((day + 3) / 7). */
static int64_t week_monday(int64_t idx)
{
    return idx * 7 - 3;
}

static int64_t week_of_day(int64_t day)
{
    return floor_div(day + 3, 7);
}

/* ISO week-year and week number of week idx: the week belongs to the year of
 * its Thursday. */
static void iso_week(int64_t idx, int64_t *year, int *week)
{
    int64_t thursday = week_monday(idx) + 3;
    int m, d;
    civil_from_days(thursday, year, &m, &d);
    *week = (int)((thursday - days_from_civil(*year, 1, 1)) / 7 + 1);
}

int64_t tp_period_index(const struct tp_date *d, enum tp_period p)
{
    switch (p) {
    case TP_PERIOD_YEAR:
        return d->year;
    case TP_PERIOD_QUARTER:
        return (int64_t)d->year * 4 + (d->month - 1) / 3;
    case TP_PERIOD_MONTH:
        return (int64_t)d->year * 12 + d->month - 1;
    case TP_PERIOD_WEEK:
        return week_of_day(days_from_civil(d->year, d->month, d->day));
    case TP_PERIOD_DAY:
        return days_from_civil(d->year, d->month, d->day);
    case TP_PERIOD_AUTO:
        break;
    }
    return 0;
}

void tp_period_label(int64_t idx, enum tp_period p, char *buf, size_t cap)
{
    int64_t y;
    int m, d, w;

    if (cap == 0)
        return;
    switch (p) {
    case TP_PERIOD_YEAR:
        snprintf(buf, cap, "%04lld", (long long)idx);
        break;
    case TP_PERIOD_QUARTER:
        snprintf(buf, cap, "%04lld-Q%d", (long long)floor_div(idx, 4), (int)floor_mod(idx, 4) + 1);
        break;
    case TP_PERIOD_MONTH:
        snprintf(buf, cap, "%04lld-%02d", (long long)floor_div(idx, 12),
                 (int)floor_mod(idx, 12) + 1);
        break;
    case TP_PERIOD_WEEK:
        iso_week(idx, &y, &w);
        snprintf(buf, cap, "%04lld-W%02d", (long long)y, w);
        break;
    case TP_PERIOD_DAY:
        civil_from_days(idx, &y, &m, &d);
        snprintf(buf, cap, "%04lld-%02d-%02d", (long long)y, m, d);
        break;
    case TP_PERIOD_AUTO:
        buf[0] = '\0';
        break;
    }
}

void tp_period_start(int64_t idx, enum tp_period p, char *buf, size_t cap)
{
    switch (p) {
    case TP_PERIOD_YEAR:
        tp_period_label(days_from_civil(idx, 1, 1), TP_PERIOD_DAY, buf, cap);
        break;
    case TP_PERIOD_QUARTER:
        tp_period_label(days_from_civil(floor_div(idx, 4), (int)floor_mod(idx, 4) * 3 + 1, 1),
                        TP_PERIOD_DAY, buf, cap);
        break;
    case TP_PERIOD_MONTH:
        tp_period_label(days_from_civil(floor_div(idx, 12), (int)floor_mod(idx, 12) + 1, 1),
                        TP_PERIOD_DAY, buf, cap);
        break;
    case TP_PERIOD_WEEK:
        tp_period_label(week_monday(idx), TP_PERIOD_DAY, buf, cap);
        break;
    case TP_PERIOD_DAY:
        tp_period_label(idx, TP_PERIOD_DAY, buf, cap);
        break;
    case TP_PERIOD_AUTO:
        if (cap > 0)
            buf[0] = '\0';
        break;
    }
}

int tp_period_parse(const char *s, enum tp_period *kind, int64_t *idx)
{
    size_t len = strlen(s);
    struct tp_date d;
    int y, n;

    if (len == 7 && (s[5] == 'Q' || s[5] == 'q')) {
        if ((y = parse_digits(s, 4)) < 1 || s[4] != '-' || s[6] < '1' || s[6] > '4')
            return -1;
        *kind = TP_PERIOD_QUARTER;
        *idx = (int64_t)y * 4 + (s[6] - '1');
        return 0;
    }
    if (len == 8 && (s[5] == 'W' || s[5] == 'w')) {
        int64_t jan4, w, wy;
        int wn;
        if ((y = parse_digits(s, 4)) < 1 || s[4] != '-' || (n = parse_digits(s + 6, 2)) < 1)
            return -1;
        /* Week 1 is the week holding January 4th. */
        jan4 = days_from_civil(y, 1, 4);
        w = week_of_day(jan4) + n - 1;
        iso_week(w, &wy, &wn);
        if (wy != y || wn != n)
            return -1; /* week 53 of a 52-week year */
        *kind = TP_PERIOD_WEEK;
        *idx = w;
        return 0;
    }
    if (tp_date_parse(s, len, &d) < 0)
        return -1;
    *kind = tp_period_for_precision(d.prec);
    *idx = tp_period_index(&d, *kind);
    return 0;
}

static const char *const period_names[] = {"auto", "year", "quarter", "month", "week", "day"};

const char *tp_period_name(enum tp_period p)
{
    if ((unsigned)p < sizeof(period_names) / sizeof(period_names[0]))
        return period_names[p];
    return "auto";
}

int tp_period_from_name(const char *s, enum tp_period *p)
{
    for (size_t i = 0; i < sizeof(period_names) / sizeof(period_names[0]); i++) {
        if (strcmp(s, period_names[i]) == 0) {
            *p = (enum tp_period)i;
            return 0;
        }
    }
    return -1;
}

/* ---- dates in paths (--date-from-name) ------------------------------------ */

/* The years a bare year or an 8-digit YYYYMMDD may name: four-digit numbers
 * outside this are taken for counts, codes and page numbers. */
#define NAME_YEAR_MIN 1000
#define NAME_YEAR_MAX 2999

static int year_delim(char c)
{
    return c == '_' || c == '-' || c == '.' || c == ' ' || c == '/';
}

/* A YYYYMMDD (8 digits, no digit before or after, plausible year, a real
 * calendar day) at s[i..]. */
static int compact_date_at(const char *s, size_t n, size_t i, struct tp_date *out)
{
    if (i + 8 > n || (i > 0 && is_digit(s[i - 1])) || (i + 8 < n && is_digit(s[i + 8])))
        return -1;
    int y = parse_digits(s + i, 4), m = parse_digits(s + i + 4, 2), d = parse_digits(s + i + 6, 2);
    if (y < NAME_YEAR_MIN || y > NAME_YEAR_MAX || m < 1 || m > 12 || d < 1 ||
        d > days_in_month(y, m))
        return -1;
    *out = (struct tp_date){(int16_t)y, (int8_t)m, (int8_t)d, TP_PREC_DAY};
    return 0;
}

/* A year alone at s[i..]: four digits in the plausible range with the start
 * or end of the name, or one of `_ - . space /`, on each side. */
static int bare_year_at(const char *s, size_t n, size_t i, struct tp_date *out)
{
    if (i + 4 > n || (i > 0 && !year_delim(s[i - 1])) || (i + 4 < n && !year_delim(s[i + 4])))
        return -1;
    int y = parse_digits(s + i, 4);
    if (y < NAME_YEAR_MIN || y > NAME_YEAR_MAX)
        return -1;
    *out = (struct tp_date){(int16_t)y, 0, 0, TP_PREC_YEAR};
    return 0;
}

/* The most precise date written in one path component s[0..n): the first
 * YYYY-MM-DD, else the first YYYYMMDD, else the first YYYY-MM, else the first
 * delimited year. Returns its precision (TP_PREC_NONE: none, *out cleared). */
static enum tp_precision component_date(const char *s, size_t n, struct tp_date *out)
{
    for (int kind = 0; kind < 4; kind++)
        for (size_t i = 0; i < n; i++) {
            if (!is_digit(s[i]))
                continue;
            int ok = kind == 0   ? name_date_at(s, n, i, 1, out)
                     : kind == 1 ? compact_date_at(s, n, i, out)
                     : kind == 2 ? name_date_at(s, n, i, 0, out)
                                 : bare_year_at(s, n, i, out);
            if (ok == 0)
                return out->prec;
        }
    out->year = out->month = out->day = 0;
    out->prec = TP_PREC_NONE;
    return TP_PREC_NONE;
}

/* Exactly two digits in [lo, hi]: the value, else 0. */
static int two_digits(const char *s, size_t n, int hi)
{
    int v;
    if (n != 2 || (v = parse_digits(s, 2)) < 1 || v > hi)
        return 0;
    return v;
}

int tp_date_from_path(const char *path, struct tp_date *out)
{
    enum { MAX_COMP = 64 };
    const char *comp[MAX_COMP];
    size_t len[MAX_COMP], n = 0;
    struct tp_date best = {0, 0, 0, TP_PREC_NONE}, d;

    /* the components, the last MAX_COMP of them (empty ones dropped) */
    for (const char *p = path; *p;) {
        const char *e = strchr(p, '/');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k > 0) {
            if (n == MAX_COMP) {
                memmove(comp, comp + 1, (MAX_COMP - 1) * sizeof(*comp));
                memmove(len, len + 1, (MAX_COMP - 1) * sizeof(*len));
                n--;
            }
            comp[n] = p;
            len[n++] = k;
        }
        p += k;
        if (*p == '/')
            p++;
    }
    /* From the file name up: a candidate replaces the best so far only when
     * it is more precise, so of equally precise dates the nearest wins. */
    for (size_t k = n; k-- > 0;) {
        if (component_date(comp[k], len[k], &d) > best.prec)
            best = d;
        if (k + 1 >= n)
            continue; /* folders only from here */
        /* YYYY/MM[/DD] and YYYY-MM/DD: a folder that is exactly a year or a
         * month, refined by the folders below it (not by the file name) */
        struct tp_date c;
        if (tp_date_parse(comp[k], len[k], &c) < 0 || c.prec == TP_PREC_DAY)
            continue;
        if (c.prec == TP_PREC_YEAR && (c.year < NAME_YEAR_MIN || c.year > NAME_YEAR_MAX))
            continue;
        size_t j = k + 1;
        if (c.prec == TP_PREC_YEAR && j + 1 < n && (c.month = two_digits(comp[j], len[j], 12))) {
            c.prec = TP_PREC_MONTH;
            j++;
        }
        if (c.prec == TP_PREC_MONTH && j + 1 < n &&
            (c.day = two_digits(comp[j], len[j], days_in_month(c.year, c.month))))
            c.prec = TP_PREC_DAY;
        if (c.prec > best.prec)
            best = c;
    }
    *out = best;
    return best.prec == TP_PREC_NONE ? -1 : 0;
}
