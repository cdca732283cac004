/*
 * error.c - the error record shared by every stage (see tempora.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "tempora.h"

int tp_error_set(struct tp_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}
