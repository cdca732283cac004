/*
 * xlsx_text.h - a cell's bytes as sheet XML (xlsx_text.c).
 */
#ifndef TP_XLSX_TEXT_H
#define TP_XLSX_TEXT_H

#include <stddef.h>

/* s[0..len) as the text of an inline string at p (XML-escaped; control
 * characters, U+FFFE and U+FFFF as _xHHHH_; a literal _xHHHH_ kept literal;
 * a byte that is not UTF-8 as U+FFFD), at most max_chars characters (*cut
 * says whether it was cut). Writes at most 7 bytes per byte of s. Returns
 * the end. */
char *tp_xlsx_put_text(char *p, const char *s, size_t len, size_t max_chars, int *cut);

/* s[0..len) copied to p: 1 when every byte is one of a number's digits
 * (0-9 . - + e E), else 0 (the copy is then to be ignored). */
int tp_xlsx_copy_number(char *p, const char *s, size_t len);

#endif
