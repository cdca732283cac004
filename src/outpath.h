/*
 * outpath.h - what writer.c and outpath.c share (internal to the writer; the
 * public contract is writer.h).
 *
 * outpath.c gives writer.c the paths: where a table goes, a dead run's
 * litter, and the table of live temporary files a signal removes. writer.c
 * gives outpath.c's set exchange a table opened in its staging folder.
 */
#ifndef TP_OUTPATH_H
#define TP_OUTPATH_H

#include <stddef.h>

#include "writer.h"

enum { MAX_PATH_LEN = 4096 }; /* the longest path the signal cleanup can hold */

/* "DIR/NAME" (dir_len bytes of dir, then a '/' unless it ends with one, then
 * name). Returns a malloc'd string (caller frees) or NULL. */
char *tp_outpath_join(const char *dir, size_t dir_len, const char *name);

/* Register path (kind 1: a file, 2: a folder) for removal by the signal
 * cleanup. Returns its slot, or -1 when the table is full or the path too
 * long (then a signal leaves it behind; a later run removes it as litter). */
int tp_outpath_live_add(const char *path, int kind);

/* Between tp_outpath_hold and tp_outpath_release (one thread, not nested), a
 * SIGINT, SIGTERM or SIGHUP waits: made for the few steps from creating a
 * file or folder to registering it, so a signal never leaves one behind.
 * Release raises the signal that waited, if any. */
void tp_outpath_hold(void);
void tp_outpath_release(void);

/* Forget *slot (-1: nothing) and set it to -1. */
void tp_outpath_live_drop(int *slot);

/* Remove what killed runs left in folder dir (dir_len bytes): temporary
 * files ".BASE.tmp.PID.XXXXXX" (base NULL: any base) and, when sets is set,
 * staging folders ".tempora.new.PID.XXXXXX", each only when its pid is no
 * live process and no flock is held on it. Nothing else is touched. */
void tp_outpath_clear_stale(const char *dir, size_t dir_len, const char *base, int sets);

/* Where a table for path goes: path itself, or the file a chain of symlinks
 * ends at (a dangling link's target is created). *fd_path is set when the
 * chain goes through /proc (e.g. /dev/stdout -> /proc/self/fd/1): a
 * descriptor, not a place to rename onto. Returns a malloc'd path or NULL. */
char *tp_outpath_target(const char *path, int *fd_path);

/* (writer.c) A table of a set: written to tmp (created exclusively, in the
 * staging folder), finished by the set and renamed by it to path, never by
 * tp_out_publish. Returns 0 and *out (the set frees it), TP_ENOMEM or TP_EIO. */
int tp_out_open_staged(struct tp_out **out, const char *path, const char *tmp, int flags,
                       struct tp_error *err);

/* (writer.c) Let tp_out_free leave o's temporary file where it is (a failed
 * rollback: it holds the earlier copy). */
void tp_out_keep_file(struct tp_out *o);

#endif
