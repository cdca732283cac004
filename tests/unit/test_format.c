/*
 * test_format.c - which reader an input goes to (src/input/format.c), by the
 * rules of docs/inputs.md "Formats": --format, then the name, then the first
 * bytes. Each expectation is read off those rules.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "input/input.h"

static enum format choose(enum tp_format opt, const char *path, const char *head)
{
    struct tp_opts o = TP_OPTS_INIT;
    struct tp_reader r;
    memset(&r, 0, sizeof(r));
    o.format = opt;
    r.o = &o;
    return tp_in_format_choose(&r, path, (const unsigned char *)head, strlen(head));
}

Test(format, names_decide_first)
{
    const char *mail = "From: a@b\nSubject: x\n\nbody\n";
    cr_assert_eq(choose(TP_FMT_AUTO, "a.eml", ""), FMT_MAIL);
    cr_assert_eq(choose(TP_FMT_AUTO, "A.EML.gz", ""), FMT_MAIL);
    cr_assert_eq(choose(TP_FMT_AUTO, "x.mbox", ""), FMT_MBOX);
    cr_assert_eq(choose(TP_FMT_AUTO, "x.htm", ""), FMT_HTML);
    cr_assert_eq(choose(TP_FMT_AUTO, "x.Html.gz", ""), FMT_HTML);
    cr_assert_eq(choose(TP_FMT_AUTO, "rows.csv", mail), FMT_CSV);
    cr_assert_eq(choose(TP_FMT_AUTO, "rows.ndjson", mail), FMT_JSONL);
    /* .txt and .md are text whatever they hold */
    cr_assert_eq(choose(TP_FMT_AUTO, "note.txt", mail), FMT_TEXT);
    cr_assert_eq(choose(TP_FMT_AUTO, "note.md", "<html><p>x"), FMT_TEXT);
}

Test(format, option_overrides)
{
    cr_assert_eq(choose(TP_FMT_TEXT, "a.eml", "From: a\nTo: b\n"), FMT_TEXT);
    cr_assert_eq(choose(TP_FMT_HTML, "a.txt", ""), FMT_HTML);
    cr_assert_eq(choose(TP_FMT_MBOX, "-", ""), FMT_MBOX);
    cr_assert_eq(choose(TP_FMT_CSV, "a.jsonl", ""), FMT_CSV);
}

Test(format, mail_by_content)
{
    cr_assert_eq(
        choose(TP_FMT_AUTO, "00001.7848dde101aa98", "Return-Path: <a@b>\nDelivered-To: c\n"),
        FMT_MAIL);
    cr_assert_eq(choose(TP_FMT_AUTO, "m", "received: from x\r\n\tby y\r\nSubject: s\r\n"),
                 FMT_MAIL);
    /* a folded first field still counts once; a second field is needed */
    cr_assert_eq(choose(TP_FMT_AUTO, "m", "Subject: a\n continued\n\nbody"), FMT_TEXT);
    /* a date header is text: one line, the second not a field */
    cr_assert_eq(choose(TP_FMT_AUTO, "m", "Date: 2025-01-05 testo\nsecond line\n"), FMT_TEXT);
    /* the first field must be one a mail starts with */
    cr_assert_eq(choose(TP_FMT_AUTO, "m", "Title: x\nAuthor: y\n"), FMT_TEXT);
    /* no space in a field name */
    cr_assert_eq(choose(TP_FMT_AUTO, "m", "Sub ject: x\nTo: y\n"), FMT_TEXT);
    /* the peek ends inside the second line: only complete lines count */
    cr_assert_eq(choose(TP_FMT_AUTO, "m", "From: x\nTo: y"), FMT_TEXT);
}

Test(format, mbox_by_content)
{
    cr_assert_eq(choose(TP_FMT_AUTO, "box", "From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n"),
                 FMT_MBOX);
    /* "From here: x" is no field (a space in its name) but starts with `From `,
     * and a header line follows: the mbox rule, first */
    cr_assert_eq(choose(TP_FMT_AUTO, "m", "From here: x\nTo: y\n"), FMT_MBOX);
    /* `From ` not followed by a header line is prose */
    cr_assert_eq(choose(TP_FMT_AUTO, "box", "From the desk of the editor\nDear all\n"), FMT_TEXT);
}

Test(format, maildir)
{
    const char *h = "X-Spam: no\n\nbody\n";
    cr_assert_eq(choose(TP_FMT_AUTO, "Mail/cur/1700.M1P1.host:2,S", h), FMT_MAIL);
    cr_assert_eq(choose(TP_FMT_AUTO, "new/1700.M2", h), FMT_MAIL);
    cr_assert_eq(choose(TP_FMT_AUTO, "Mail/old/1700.M1", h), FMT_TEXT);
    cr_assert_eq(choose(TP_FMT_AUTO, "Mail/cur/notes", "plain words\n"), FMT_TEXT);
}

Test(format, html_by_content)
{
    cr_assert_eq(choose(TP_FMT_AUTO, "page", "<!DOCTYPE html>\n<p>x"), FMT_HTML);
    cr_assert_eq(choose(TP_FMT_AUTO, "page", "\xEF\xBB\xBF \n\t<html lang=it>"), FMT_HTML);
    cr_assert_eq(choose(TP_FMT_AUTO, "page", "<HTML>"), FMT_HTML);
    cr_assert_eq(choose(TP_FMT_AUTO, "page", "<htmlx>"), FMT_TEXT);
    cr_assert_eq(choose(TP_FMT_AUTO, "page", "text then <html>"), FMT_TEXT);
    cr_assert_eq(choose(TP_FMT_AUTO, "page", ""), FMT_TEXT);
}
