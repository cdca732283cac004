/*
 * fuzz_dates.c - libFuzzer target: date headers, front matter, date values
 * and period labels on arbitrary bytes. Invariants: no crash or sanitizer
 * report; a header's skip stays inside the buffer; a parsed date is a real
 * calendar date; every period index gives a label that parses back to it.
 */
#include <stdint.h>
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
    return 0;
}
