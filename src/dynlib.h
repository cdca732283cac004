/*
 * dynlib.h - libraries loaded when first needed: GMime for mail, libxml2 for
 * HTML, libarchive for archives and compressed files, libxlsxwriter for
 * workbooks (with ISA-L, which deflates their big sheets), libstemmer for
 * --stem.
 *
 * Most runs read plain text, JSON Lines or CSV and write CSV. Linking those
 * four libraries loaded them and their 25 dependencies (glib, gio, gpgme,
 * ICU, OpenSSL, nettle, ...) at every start: about 15 of the 22 ms of CPU a
 * run spent before reading a byte (docs/architecture.md, "Start-up").
 *
 * Each file that uses one of them lists the functions it calls in an X-macro
 * and calls them through a table of pointers, filled here by dlsym the first
 * time the library is needed:
 *
 *     #define MIME_API(X) X(g_mime_init) X(g_object_unref)
 *     static struct { MIME_API(TP_DYN_SLOT) } gm;
 *     static const char *const mime_names[] = {MIME_API(TP_DYN_NAME)};
 *     static struct tp_dynlib mime =
 *         TP_DYNLIB_INIT(TP_SONAME_GMIME, "mail input", mime_names, &gm, NULL);
 *     ... if (tp_dynlib_need(&mime, path, err) < 0) return err->code; ...
 *
 * The slots take their types from the library's own header (__typeof__), so
 * the compiler checks every call as before.
 */
#ifndef TP_DYNLIB_H
#define TP_DYNLIB_H

#include <stddef.h>

#include "tempora.h"

/* Sonames (set by the Makefile from the installed libraries). These
 * defaults are Debian bookworm's, but for libxml2 (2.14 made it
 * libxml2.so.16) and libxlsxwriter, whose header says: a file that uses one
 * includes its header before this one. */
#ifndef TP_SONAME_GMIME
#define TP_SONAME_GMIME "libgmime-3.0.so.0"
#endif
#ifndef TP_SONAME_XML2
#if defined(LIBXML_VERSION) && LIBXML_VERSION >= 21400
#define TP_SONAME_XML2 "libxml2.so.16"
#else
#define TP_SONAME_XML2 "libxml2.so.2"
#endif
#endif
#ifndef TP_SONAME_ARCHIVE
#define TP_SONAME_ARCHIVE "libarchive.so.13"
#endif
#ifndef TP_SONAME_ISAL
#define TP_SONAME_ISAL "libisal.so.2"
#endif
#ifndef TP_SONAME_STEMMER
#define TP_SONAME_STEMMER "libstemmer.so.0d"
#endif
#ifndef TP_SONAME_XLSXWRITER
#ifdef LXW_SOVERSION
#define TP_SONAME_XLSXWRITER "libxlsxwriter.so." LXW_SOVERSION
#else
#define TP_SONAME_XLSXWRITER "libxlsxwriter.so.4"
#endif
#endif

/* One library: its soname, what needs it (for the message), the names of
 * the functions the caller calls and its table of pointers to them (a
 * struct of n pointers, in the names' order, as TP_DYN_SLOT makes it), a
 * function run once the table is filled (NULL: none), and whether that was
 * done (0 not yet, 1 done, -1 failed, with why). */
struct tp_dynlib {
    const char *soname;
    const char *needed_for;
    const char *const *names;
    size_t n;
    void *table;
    size_t table_size;
    void (*init)(void);
    int state;
    char why[512];
};

/* A table's slot for function `name`, typed from its declaration; and its
 * name, for the list of names. */
#define TP_DYN_SLOT(name) __typeof__(name) *name;
#define TP_DYN_NAME(name) #name,

/* The struct tp_dynlib of a table (a struct of TP_DYN_SLOTs) and its array
 * of names (of TP_DYN_NAMEs, in the same order). */
#define TP_DYNLIB_INIT(soname, needed_for, names, table, init)                                     \
    {                                                                                              \
        (soname), (needed_for), (names), sizeof(names) / sizeof((names)[0]), (table),              \
            sizeof(*(table)), (init), 0,                                                           \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/* Make sure lib is loaded and its table filled: the first call (from any
 * thread; calls are serialized) opens the library and runs lib->fill; later
 * calls only look at lib->state. Returns 0, or TP_EINTERNAL with err saying
 * "PATH: what needs SONAME, which cannot be loaded: why" (path: the input or
 * output that needs it, NULL for none). The library stays loaded until the
 * process exits. */
int tp_dynlib_need(struct tp_dynlib *lib, const char *path, struct tp_error *err);

#endif
