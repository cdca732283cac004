/*
 * numfmt.h - number formatting for tables, never through the locale.
 *
 * Integers are written as integers; a double with the fewest significant
 * digits (15, 16 or 17; whole numbers below 10^15 as integers) that strtod
 * reads back to the same double, laid out as printf's %g lays it out. The
 * SPEC asks for at least 10 significant digits: 15 or more is always given.
 * The writer (writer.c) uses these for every number cell; a report that
 * must sort or compare numbers as they will be written (report.c) may call
 * tp_format_double itself.
 */
#ifndef TP_NUMFMT_H
#define TP_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

/* The room tp_format_double needs: its longest text (24 bytes, as
 * "-1.2345678901234567e-308") and the NUL. */
#define TP_FORMAT_DOUBLE_MAX 32

/* Format v into buf (at least TP_FORMAT_DOUBLE_MAX bytes), NUL-terminated.
 * Returns the length, or 0 (and an empty string) for NaN and infinities. */
size_t tp_format_double(double v, char *buf);

/* The decimal digits of v, written right-aligned so the last one is just
 * before end (at least 20 bytes of room). Returns the first digit; not
 * NUL-terminated. */
char *tp_u64_digits(uint64_t v, char *end);

#endif
