/*
 * input/charset.c - text in a declared charset (a mail part's
 * Content-Type charset, an HTML page's <meta charset>) to UTF-8.
 *
 * Where it sits: used by input/mail.c and input/html.c; uses common.c's
 * decoders for the encodings the project knows and iconv(3) for the rest.
 *
 * The rules (docs/inputs.md, "Charsets"): no charset, us-ascii or utf-8 is
 * the project's own choice (--encoding; under auto UTF-8 when every byte
 * is, else CP1252, counted in cp1252_documents); iso-8859-1 (and its
 * aliases) and windows-1252 are decoded as CP1252, as browsers and mail
 * readers do, since mail declared Latin-1 often holds CP1252 quotes; any
 * other charset goes through iconv, each byte it cannot convert becoming
 * U+FFFD (counted in invalid_utf8). A charset iconv does not know is
 * reported to the caller (it warns) and the text decoded as if none were
 * declared.
 */
#include <errno.h>
#include <iconv.h>
#include <strings.h>

#include "input.h"

/* Charset names the project decodes itself (case ignored). */
static int is_name(const char *cs, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(cs, names[i]) == 0)
            return 1;
    return 0;
}

static const char *const guess_names[] = {"us-ascii", "ascii", "utf-8", "utf8", "ansi_x3.4-1968"};
static const char *const cp1252_names[] = {"iso-8859-1", "iso8859-1",  "iso_8859-1",   "latin1",
                                           "latin-1",    "l1",         "windows-1252", "cp1252",
                                           "x-cp1252",   "iso-ir-100", "cp819"};

/* p[0..n) through iconv cd into b, each byte it refuses as U+FFFD. */
static int by_iconv(struct run *run, iconv_t cd, const char *p, size_t n, struct buf *b)
{
    char *in = (char *)(uintptr_t)p;
    size_t left = n;
    b->len = 0;
    while (left > 0) {
        if (buf_reserve(b, left * 4 + 16) < 0)
            return nomem(run->err);
        char *out = b->p + b->len;
        size_t room = b->cap - b->len - 1;
        size_t k = iconv(cd, &in, &left, &out, &room);
        b->len = (size_t)(out - b->p);
        if (k != (size_t)-1)
            break;
        if (errno == E2BIG)
            continue;
        /* EILSEQ, or EINVAL: a sequence cut short at the end */
        if (buf_add(b, "\xEF\xBF\xBD", 3) < 0)
            return nomem(run->err);
        run->r->stats.invalid_utf8++;
        in++;
        left--;
    }
    /* flush a stateful encoding's shift sequence */
    if (buf_reserve(b, 16) < 0)
        return nomem(run->err);
    char *out = b->p + b->len;
    size_t room = b->cap - b->len - 1;
    iconv(cd, NULL, NULL, &out, &room);
    b->len = (size_t)(out - b->p);
    b->p[b->len] = '\0';
    return 0;
}

int tp_in_charset_decode(struct run *run, const char *cs, const char *p, size_t n, struct buf *b,
                         const char **res, size_t *res_len, enum tp_encoding *enc)
{
    struct tp_reader *r = run->r;
    int unknown = 0;

    if (cs && *cs && !is_name(cs, guess_names, sizeof(guess_names) / sizeof(guess_names[0]))) {
        if (is_name(cs, cp1252_names, sizeof(cp1252_names) / sizeof(cp1252_names[0]))) {
            *enc = TP_ENC_UTF8; /* declared, not guessed: no cp1252_documents */
            return tp_in_to_utf8(run, TP_ENC_CP1252, p, n, b, res, res_len);
        }
        iconv_t cd = iconv_open("UTF-8", cs);
        if (cd != (iconv_t)-1) {
            int rc = by_iconv(run, cd, p, n, b);
            iconv_close(cd);
            if (rc < 0)
                return rc;
            /* iconv's output is UTF-8; checked all the same (the sink's contract) */
            if (!tp_encoding_is_utf8(b->p, b->len)) {
                struct buf tmp = *b;
                memset(b, 0, sizeof(*b));
                rc = tp_in_to_utf8(run, TP_ENC_UTF8, tmp.p, tmp.len, b, res, res_len);
                buf_release(&tmp);
                *enc = TP_ENC_UTF8;
                return rc;
            }
            *res = b->p;
            *res_len = b->len;
            *enc = TP_ENC_UTF8;
            return 0;
        }
        unknown = 1;
    }
    *enc = tp_in_pick_encoding(r, tp_encoding_is_utf8(p, n));
    int rc = tp_in_to_utf8(run, *enc, p, n, b, res, res_len);
    return rc < 0 ? rc : unknown;
}
