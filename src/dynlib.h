/*
 * dynlib.h - libraries loaded when first needed: GMime for mail, libxml2 for
 * HTML, libarchive for archives and compressed files, libxlsxwriter for
 * workbooks.
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
 *     static int mime_fill(void *h, struct tp_dynlib *lib)
 *     {
 *     #define FILL(name) TP_DYN_FILL(gm, h, lib, name)
 *         MIME_API(FILL)
 *         return 0;
 *     }
 *     static struct tp_dynlib mime = TP_DYNLIB_INIT(TP_SONAME_GMIME, "mail input", mime_fill);
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
#ifndef TP_SONAME_XLSXWRITER
#ifdef LXW_SOVERSION
#define TP_SONAME_XLSXWRITER "libxlsxwriter.so." LXW_SOVERSION
#else
#define TP_SONAME_XLSXWRITER "libxlsxwriter.so.4"
#endif
#endif

/* One library: its soname, what needs it (for the message), the function
 * that fills the caller's table from the handle, and whether that was done
 * (0 not yet, 1 done, -1 failed, with why). */
struct tp_dynlib {
    const char *soname;
    const char *needed_for;
    int (*fill)(void *handle, struct tp_dynlib *lib);
    int state;
    char why[512];
};

#define TP_DYNLIB_INIT(soname, needed_for, fill)                                                   \
    {                                                                                              \
        (soname), (needed_for), (fill), 0,                                                         \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/* A table's slot for function `name`, typed from its declaration. */
#define TP_DYN_SLOT(name) __typeof__(name) *name;

/* In a fill function: look `name` up in handle h and store it in table.name,
 * or return -1 (lib->why says which symbol is missing). */
#define TP_DYN_FILL(table, h, lib, name)                                                           \
    if (tp_dynlib_sym((h), #name, &(table).name, sizeof((table).name), (lib)) < 0)                 \
        return -1;

/* Make sure lib is loaded and its table filled: the first call (from any
 * thread; calls are serialized) opens the library and runs lib->fill; later
 * calls only look at lib->state. Returns 0, or TP_EINTERNAL with err saying
 * "PATH: what needs SONAME, which cannot be loaded: why" (path: the input or
 * output that needs it, NULL for none). The library stays loaded until the
 * process exits. */
int tp_dynlib_need(struct tp_dynlib *lib, const char *path, struct tp_error *err);

/* For fill functions (through TP_DYN_FILL): store symbol name of handle h in
 * the slot at dst (size bytes, a function or object pointer). Returns 0, or
 * -1 with lib->why set. */
int tp_dynlib_sym(void *h, const char *name, void *dst, size_t size, struct tp_dynlib *lib);

#endif
