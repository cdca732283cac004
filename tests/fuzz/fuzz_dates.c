/*
 * fuzz_dates.c - libFuzzer target: date headers, front matter, date values
 * and period labels on arbitrary bytes. Invariants: no crash or sanitizer
 * report; a header's skip stays inside the buffer; a parsed date is a real
 * calendar date; every period index gives a label that parses back to it; the
 * date a path holds (--date-from-name, the bytes up to the first NUL as a
 * path) is a real calendar date written in the path, and appending a folder
 * of letters in front of it changes nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tp_date d;
    size_t skip = 0;
    unsigned long line = 0;
    const char *bad = NULL;
    size_t bad_len = 0;
    enum tp_header_kind k = tp_date_header((const char *)data, size, 1, &d, &skip, &line, &bad,
                                           &bad_len);
    if (skip > size)
        abort();
    if (k == TP_HDR_DATE && (d.year < 1 || d.year > 9999 || d.prec == TP_PREC_NONE))
        abort();
    if (tp_date_parse((const char *)data, size, &d) == 0) {
        if (d.prec >= TP_PREC_MONTH && (d.month < 1 || d.month > 12))
            abort();
        for (enum tp_period p = TP_PERIOD_YEAR; p <= TP_PERIOD_DAY; p++) {
            if (d.prec < tp_period_precision(p))
                continue;
            int64_t idx = tp_period_index(&d, p), back;
            char label[32];
            enum tp_period kind;
            tp_period_label(idx, p, label, sizeof(label));
            if (tp_period_parse(label, &kind, &back) != 0 || kind != p || back != idx)
                abort();
        }
    }
    /* tp_date_from_path on the bytes as a NUL-terminated path */
    if (size < 4096) {
        char path[4096 + 8];
        memcpy(path, "abc/", 4);
        memcpy(path + 4, data, size);
        path[4 + size] = '\0';
        struct tp_date a, b;
        int ra = tp_date_from_path(path + 4, &a), rb = tp_date_from_path(path, &b);
        if (ra != rb || a.prec != b.prec || a.year != b.year || a.month != b.month ||
            a.day != b.day)
            abort();
        if (ra == 0) {
            char y[8];
            snprintf(y, sizeof(y), "%04d", a.year);
            if (a.prec == TP_PREC_NONE || a.year < 1 || a.year > 9999 || !strstr(path, y) ||
                (a.prec >= TP_PREC_MONTH && (a.month < 1 || a.month > 12)))
                abort();
            if (a.prec == TP_PREC_DAY) {
                struct tp_date c;
                char iso[16];
                snprintf(iso, sizeof(iso), "%04d-%02d-%02d", a.year, a.month, a.day);
                if (tp_date_parse(iso, 10, &c) != 0)
                    abort();
            }
        } else if (a.prec != TP_PREC_NONE) {
            abort();
        }
    }
    return 0;
}
