/*
 * dates.h - document dates and timeline periods.
 *
 * A date keeps the precision it was written with (year, month or day). Periods
 * are numbered by a consecutive integer index (one step per period), so a
 * timeline is a dense array from the first to the last index; labels and ISO
 * start dates are derived from (index, period kind) only.
 */
#ifndef TP_DATES_H
#define TP_DATES_H

#include <stddef.h>
#include <stdint.h>

#include "tempora.h"

/* Ordered coarse to fine: a >= b means a is at least as precise as b. */
enum tp_precision { TP_PREC_NONE = 0, TP_PREC_YEAR = 1, TP_PREC_MONTH = 2, TP_PREC_DAY = 3 };

/* Six bytes: every document of a corpus carries one (struct tp_docrec), so
 * at ten million documents each byte here is ten megabytes. */
struct tp_date {
    int16_t year; /* 1..9999 */
    int8_t month; /* 1..12, 0 when prec < MONTH */
    int8_t day;   /* 1..31, 0 when prec < DAY */
    uint8_t prec; /* enum tp_precision */
};

/* Parse exactly s[0..len) as "YYYY", "YYYY-MM" or "YYYY-MM-DD" (4-digit year
 * 0001..9999, 2-digit month and day, calendar checked, leap years included).
 * Returns 0 and fills *out, or -1 (and out->prec = TP_PREC_NONE). */
int tp_date_parse(const char *s, size_t len, struct tp_date *out);

/* Room tp_date_label needs: "YYYY-MM-DD" and the NUL. */
#define TP_DATE_LABEL_MAX 11

/* d as its table cell: "YYYY", "YYYY-MM" or "YYYY-MM-DD" by its precision,
 * "" when undated, NUL-terminated in buf (TP_DATE_LABEL_MAX bytes at
 * least). Returns the length. */
size_t tp_date_label(const struct tp_date *d, char *buf);

/* Parse a date value as found in a date column, a --meta file or front matter:
 * surrounding blanks are ignored, then either exactly what tp_date_parse takes
 * or a timestamp "YYYY-MM-DD" followed by 'T', 't' or a space and anything (a
 * time, a zone), of which the day is kept. Returns 0 and fills *out, or -1. */
int tp_date_parse_value(const char *s, size_t len, struct tp_date *out);

/* Result of looking for a date header at the start of a text document. */
enum tp_header_kind {
    TP_HDR_NONE = 0, /* no header: the text starts at byte 0 */
    TP_HDR_DATE = 1, /* a header with a valid date */
    TP_HDR_BAD = -1  /* a header whose date does not parse: warn, undated */
};

/* Look for a `date YYYY[-MM[-DD]]` header or YAML front matter (`---` line,
 * `date: ...` line among others, `---` line) at the start of buf[0..len).
 * buf is the first bytes of the document (at least 64 KiB of it, or all of it
 * when shorter; at_eof says the document ends at len). On TP_HDR_DATE fills
 * *date; on TP_HDR_DATE and TP_HDR_BAD sets *skip to the number of bytes the
 * header takes (the text continues at buf + *skip) and *line to the 1-based
 * line of the date value (for messages); *bad_value and *bad_len point into buf at
 * the unparsable value for TP_HDR_BAD.
 * *skip is always set: on TP_HDR_NONE it is 0, except after YAML front matter
 * that has no (or an empty) date key, which is still not part of the text, so
 * TP_HDR_NONE comes with *skip = the front matter's length. The header rules
 * (in docs/inputs.md): `date` in any case, then either `:` and any value, or
 * whitespace and a value of digits and hyphens starting with a digit; the value
 * ends at whitespace; the header takes the value, the blanks after it and at
 * most one line ending. Front matter values may be quoted or full timestamps
 * (see tp_date_parse_value). */
enum tp_header_kind tp_date_header(const char *buf, size_t len, int at_eof, struct tp_date *date,
                                   size_t *skip, unsigned long *line, const char **bad_value,
                                   size_t *bad_len);

/* Find the first `YYYY-MM-DD` or else `YYYY-MM` in a file name's last path
 * component (--date-from-name). Returns 0 and fills *out, or -1. */
int tp_date_from_name(const char *path, struct tp_date *out);

/* The date a path holds (--date-from-name): components separated by '/',
 * the last one the file name. In each component the first YYYY-MM-DD, else
 * YYYYMMDD (year 1000-2999), else YYYY-MM, else a year alone (1000-2999,
 * with the start or end or one of `_ - . space` on each side); folders also
 * combine as YYYY/MM/DD, YYYY/MM and YYYY-MM/DD. The most precise date wins,
 * of equally precise ones the nearest to the file name (the name first).
 * Returns 0 and fills *out, or -1 (*out undated). */
int tp_date_from_path(const char *path, struct tp_date *out);

/* The precision a date needs to be placed in a period of kind p:
 * year -> YEAR, quarter and month -> MONTH, week and day -> DAY. */
enum tp_precision tp_period_precision(enum tp_period p);

/* The finest period kind a precision allows (YEAR -> year, MONTH -> month,
 * DAY -> day); TP_PERIOD_AUTO for TP_PREC_NONE. */
enum tp_period tp_period_for_precision(enum tp_precision prec);

/* Index of the period of kind p that contains d. d->prec must be at least
 * tp_period_precision(p). Consecutive periods have consecutive indexes. Weeks
 * are ISO 8601 weeks (Monday first; a day in early January may belong to the
 * last week of the previous ISO year). */
int64_t tp_period_index(const struct tp_date *d, enum tp_period p);

/* Write the label of period idx into buf (NUL-terminated, truncated to cap):
 * "2025", "2025-Q1", "2025-01", "2025-W04", "2025-01-31". */
void tp_period_label(int64_t idx, enum tp_period p, char *buf, size_t cap);

/* Write the ISO date the period begins (YYYY-MM-DD) into buf. */
void tp_period_start(int64_t idx, enum tp_period p, char *buf, size_t cap);

/* Parse a period label of any kind ("2025", "2025-Q3", "2025-07", "2025-W04",
 * "2025-07-14"); fills *kind and *idx. Returns 0, or -1 if it is not a valid
 * label. */
int tp_period_parse(const char *s, enum tp_period *kind, int64_t *idx);

/* The option word of a period kind ("year", ...), and back. parse returns -1
 * for an unknown word. */
const char *tp_period_name(enum tp_period p);
int tp_period_from_name(const char *s, enum tp_period *p);

#endif
