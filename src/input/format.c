/*
 * input/format.c - which reader an input goes to (--format): the option when
 * it names a format, else the file name, else the first bytes.
 *
 * Where it sits: called by reader.c before it dispatches an input to the
 * reader of its format (and by tp_reader_divisible/splittable, which must not
 * cut a mail or HTML file into parts); calls nothing but common.c's name
 * rule. Its data are the input's first bytes, which tp_in_peek (open.c) has
 * already read for the binary check (run->peek, run->peek_len), so
 * sniffing costs no read of its own and works the same on a plain file, a
 * .gz file, standard input or an archive member.
 *
 * The rules (docs/inputs.md, "Formats"):
 *   1. --format other than auto decides.
 *   2. A name ending (a trailing .gz removed) in .csv, .jsonl/.ndjson,
 *      .eml, .mbox, .html/.htm, .txt/.md/.text decides.
 *   3. Otherwise the first bytes: a `From ` line followed by a header line
 *      is an mbox; two or more header lines at the start, the first one a
 *      Received/From/Date/Subject/Message-ID/Return-Path/MIME-Version/To/
 *      Delivered-To field, a mail; `<!doctype html` or `<html` after an
 *      optional BOM and blanks, HTML; a file in a maildir folder (its
 *      parent folder named cur or new) that starts with any header line, a
 *      mail.
 *   4. Else plain text.
 */
#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

#include "input.h"

/* The format a file name decides, or -1 when it decides nothing. */
static int format_by_name(const char *path)
{
    size_t n = strlen(path);
    if (tp_in_ends_with(path, n, ".gz"))
        n -= 3;
    else if (tp_in_packed_kind(path, n) == 2)
        n -= tp_in_ends_with(path, n, ".xz") ? 3 : 4; /* .zst .bz2 */
    if (tp_in_ends_with(path, n, ".eml"))
        return FMT_MAIL;
    if (tp_in_ends_with(path, n, ".mbox"))
        return FMT_MBOX;
    if (tp_in_ends_with(path, n, ".html") || tp_in_ends_with(path, n, ".htm"))
        return FMT_HTML;
    if (tp_in_ends_with(path, n, ".txt") || tp_in_ends_with(path, n, ".md") ||
        tp_in_ends_with(path, n, ".text"))
        return FMT_TEXT;
    enum format f = tp_in_format_of(path);
    return f == FMT_TEXT ? -1 : (int)f;
}

/* The line at p[0..n) up to (without) its '\n' (and a CR before it); *next
 * the offset after it, or n when the line is not complete in the buffer
 * (returns 0 then, 1 for a complete line). */
static int line_at(const unsigned char *p, size_t n, size_t at, size_t *len, size_t *next)
{
    const unsigned char *nl = at < n ? memchr(p + at, '\n', n - at) : NULL;
    if (!nl) {
        *len = n - at;
        *next = n;
        return 0;
    }
    *len = (size_t)(nl - (p + at));
    *next = *len + at + 1;
    if (*len > 0 && p[at + *len - 1] == '\r')
        (*len)--;
    return 1;
}

/* The length of the field name of a header line `Name: value` (printable
 * ASCII without ':' then ':'), or 0 when p[0..n) is not one. */
static size_t header_name(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] > 32 && p[i] < 127 && p[i] != ':')
        i++;
    return i > 0 && i < n && p[i] == ':' ? i : 0;
}

int tp_in_is_header_line(const char *p, size_t n)
{
    return header_name((const unsigned char *)p, n) > 0;
}

/* Whether a header line's name is one a mail starts with. */
static int mail_field(const unsigned char *p, size_t k)
{
    static const char *const names[] = {"received",     "from",       "date",
                                        "subject",      "message-id", "return-path",
                                        "mime-version", "to",         "delivered-to"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == k && strncasecmp((const char *)p, names[i], k) == 0)
            return 1;
    return 0;
}

/* Header lines at the start of p[0..n): how many fields (continuation lines
 * not counted), up to the first line that is neither; *first_known whether
 * the first is a field mail starts with. */
static int header_fields(const unsigned char *p, size_t n, int *first_known)
{
    size_t at = 0, len, next;
    int fields = 0;
    *first_known = 0;
    while (at < n && line_at(p, n, at, &len, &next)) {
        size_t k = header_name(p + at, len);
        if (k) {
            if (fields == 0)
                *first_known = mail_field(p + at, k);
            fields++;
        } else if (!(fields > 0 && len > 0 && (p[at] == ' ' || p[at] == '\t'))) {
            break;
        }
        at = next;
    }
    return fields;
}

/* The parent folder of path is a maildir's cur or new. */
static int in_maildir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return 0;
    const char *dir = slash;
    while (dir > path && dir[-1] != '/')
        dir--;
    size_t k = (size_t)(slash - dir);
    return (k == 3 && (memcmp(dir, "cur", 3) == 0 || memcmp(dir, "new", 3) == 0));
}

/* The format of the first bytes p[0..n) (rule 3), FMT_TEXT when none. */
static enum format format_by_content(const char *path, const unsigned char *p, size_t n)
{
    size_t len, next;
    int known;

    if (n >= 5 && memcmp(p, "From ", 5) == 0 && line_at(p, n, 0, &len, &next) &&
        header_fields(p + next, n - next, &known) >= 1)
        return FMT_MBOX;
    if (header_fields(p, n, &known) >= 2 && known)
        return FMT_MAIL;
    if (in_maildir(path) && header_fields(p, n, &known) >= 1)
        return FMT_MAIL;
    size_t i = has_bom(p, n) ? 3 : 0;
    while (i < n && is_blank(p[i]))
        i++;
    if ((n - i >= 14 && strncasecmp((const char *)p + i, "<!doctype html", 14) == 0) ||
        (n - i >= 6 && strncasecmp((const char *)p + i, "<html", 5) == 0 &&
         (is_blank(p[i + 5]) || p[i + 5] == '>')))
        return FMT_HTML;
    return FMT_TEXT;
}

enum format tp_in_format_choose(const struct tp_reader *r, const char *path,
                                const unsigned char *head, size_t n)
{
    static const enum format by_option[] = {
        [TP_FMT_TEXT] = FMT_TEXT, [TP_FMT_CSV] = FMT_CSV,   [TP_FMT_JSONL] = FMT_JSONL,
        [TP_FMT_JSON] = FMT_JSON, [TP_FMT_MAIL] = FMT_MAIL, [TP_FMT_MBOX] = FMT_MBOX,
        [TP_FMT_HTML] = FMT_HTML,
    };
    if (r->o->format != TP_FMT_AUTO)
        return by_option[r->o->format];
    int f = format_by_name(path);
    if (f >= 0)
        return (enum format)f;
    return format_by_content(path, head, n);
}

enum format tp_in_format_of_file(const struct tp_reader *r, const char *path)
{
    unsigned char head[PEEK_BYTES];
    ssize_t k = 0;

    if (r->o->format != TP_FMT_AUTO || format_by_name(path) >= 0)
        return tp_in_format_choose(r, path, head, 0);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
        k = pread(fd, head, sizeof(head), 0);
        close(fd);
    }
    return tp_in_format_choose(r, path, head, k > 0 ? (size_t)k : 0);
}
