/*
 * xlsx_text.c - a cell's bytes as sheet XML for the rows xlsx.c writes
 * itself: a text as an inline string's characters (tp_xlsx_put_text), a
 * number's digits checked as they are copied (tp_xlsx_copy_number).
 */
#include <string.h>
#include <utf8proc.h>

#include "xlsx_text.h"

static char *put_lit(char *p, const char *lit, size_t n)
{
    memcpy(p, lit, n);
    return p + n;
}
#define PUT(p, lit) put_lit(p, lit, sizeof(lit) - 1)

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

/* The escape OOXML gives a character XML cannot hold: _xHHHH_. */
static char *put_xescape(char *p, unsigned v)
{
    static const char hex[] = "0123456789ABCDEF";
    p = PUT(p, "_x");
    for (int sh = 12; sh >= 0; sh -= 4)
        *p++ = hex[(v >> sh) & 15];
    *p++ = '_';
    return p;
}

/* Bytes a text cell's XML holds as they are: printable ASCII but < > & _. */
static const unsigned char plain_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* s[0..len) as the text of an inline string at p: XML-escaped (& < >), the
 * control characters other than tab and newline and the non-characters
 * U+FFFE and U+FFFF (which XML does not allow) as _xHHHH_ like libxlsxwriter
 * writes control characters, a literal _xHHHH_ kept literal by writing its
 * '_' as _x005F_ (Excel reads _xHHHH_ as the escape), a byte that is not
 * UTF-8 as U+FFFD, and at most max_chars characters (*cut says whether it was
 * cut). Writes at most 7 bytes per byte of s. Returns the end. */
char *tp_xlsx_put_text(char *p, const char *s, size_t len, size_t max_chars, int *cut)
{
    /* only a text of more bytes than max_chars can have more characters:
     * the others need no counting, and their plain runs are copied as such */
    int count = len > max_chars;
    size_t chars = 0;
    *cut = 0;
    for (size_t i = 0; i < len; chars++) {
        if (!count) {
            while (i < len && plain_byte[(unsigned char)s[i]])
                *p++ = s[i++];
            if (i == len)
                break;
        } else if (chars == max_chars) {
            *cut = 1;
            break;
        }
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            i++;
            if (plain_byte[b])
                *p++ = (char)b;
            else if (b == '<')
                p = PUT(p, "&lt;");
            else if (b == '>')
                p = PUT(p, "&gt;");
            else if (b == '&')
                p = PUT(p, "&amp;");
            else if (b == '_')
                p = i + 5 < len && s[i] == 'x' && is_hex(s[i + 1]) && is_hex(s[i + 2]) &&
                            is_hex(s[i + 3]) && is_hex(s[i + 4]) && s[i + 5] == '_'
                        ? put_xescape(p, '_')
                        : PUT(p, "_");
            else if (b == '\t' || b == '\n')
                *p++ = (char)b;
            else
                p = put_xescape(p, b);
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n < 0) {
            p = PUT(p, "\xEF\xBF\xBD");
            i++;
        } else if (cp == 0xFFFE || cp == 0xFFFF) {
            p = put_xescape(p, (unsigned)cp);
            i += (size_t)n;
        } else {
            memcpy(p, s + i, (size_t)n);
            p += n;
            i += (size_t)n;
        }
    }
    return p;
}

/* Bytes of a number's digits: 0-9 . - + e E. */
static const unsigned char number_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

int tp_xlsx_copy_number(char *p, const char *s, size_t len)
{
    unsigned char all = 1;
    for (size_t i = 0; i < len; i++) {
        all &= number_byte[(unsigned char)s[i]];
        p[i] = s[i];
    }
    return all;
}
