/*
 * writer.c - the tp_out object: CSV cells and rows, memory parts, and a file
 * finished and renamed into place (see writer.h).
 *
 * Cells gather in the object's 64 KiB buffer and go to stdio (or to memory,
 * for a part written on another thread) in large blocks. Where the file goes
 * and what a signal removes is outpath.c's; the digits of a number are
 * numfmt.c's; cells rendered once for many rows (struct tp_cells) are
 * writer_cells.c's, and the object's insides writer_int.h's.
 */
#define _GNU_SOURCE /* sync_file_range */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outpath.h"
#include "writer_int.h"

static struct tp_out *out_new(int flags)
{
    struct tp_out *o = calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    o->flags = flags;
    o->sep = (flags & TP_OUT_EXCEL) ? ';' : ',';
    o->slot = -1;
    o->special[(unsigned char)o->sep] = o->special['"'] = o->special['\n'] = o->special['\r'] = 1;
    return o;
}

/* Create o->tmp (exclusive when excl, else a mkstemp template), lock it and
 * make it o->f. Returns 0 or errno (then no file is left behind). */
static int open_tmp(struct tp_out *o, int excl)
{
    tp_outpath_hold(); /* no signal between creating the file and registering it */
    int fd = excl ? open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)
                  : mkostemp(o->tmp, O_CLOEXEC);
    int e = fd < 0 ? errno : 0;
    if (fd >= 0)
        o->slot = tp_outpath_live_add(o->tmp, 1);
    tp_outpath_release();
    if (fd < 0)
        return e;
    flock(fd, LOCK_EX | LOCK_NB); /* held until closed: "a live run writes this" */
    if (!excl) {
        /* mkstemp makes 0600 files; a table is an ordinary document. A file
         * system that keeps no modes (EPERM, EOPNOTSUPP) gives what it gives. */
        mode_t um = umask(0);
        umask(um);
        if (fchmod(fd, 0666 & ~um) != 0 && errno != EPERM && errno != EOPNOTSUPP)
            e = errno;
    }
    if (!e && !(o->f = fdopen(fd, "w")))
        e = errno;
    if (e) {
        close(fd);
        unlink(o->tmp);
        tp_outpath_live_drop(&o->slot);
    }
    return e;
}

static void start(struct tp_out *o)
{
    if ((o->flags & TP_OUT_EXCEL) && !(o->flags & TP_OUT_RAW)) {
        fputs("\xEF\xBB\xBF", o->f);
        o->written = 3;
    }
}

int tp_out_open(struct tp_out **out, const char *path, int flags, struct tp_error *err)
{
    struct tp_out *o = out_new(flags);
    if (!o)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        start(o);
        *out = o;
        return 0;
    }
    struct stat st;
    int fd_path = 0;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            tp_out_free(o);
            return tp_error_set(err, TP_EIO, "%s: is a folder", path);
        }
        if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
            tp_out_free(o);
            return tp_error_set(err, TP_EIO, "%s: not a regular file, a FIFO or a character device",
                                path);
        }
        fd_path = 1;
    }
    o->path = fd_path ? strdup(path) : tp_outpath_target(path, &fd_path);
    if (!o->path) {
        tp_out_free(o);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    if (fd_path) {
        /* A FIFO, a device or a descriptor (/dev/stdout): written straight
         * through, appended to when it is a file some shell opened. */
        int fd = open(path, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            tp_out_free(o);
            return tp_error_set(err, TP_EIO, "%s: %s", path, strerror(e));
        }
        free(o->path);
        o->path = strdup(path);
        o->direct = 1;
        start(o);
        *out = o;
        return 0;
    }
    const char *slash = strrchr(o->path, '/');
    size_t dir_len = slash ? (size_t)(slash - o->path) + 1 : 0;
    const char *base = slash ? slash + 1 : o->path;
    tp_outpath_clear_stale(o->path, dir_len, base, 0);
    char name[512];
    snprintf(name, sizeof(name), ".%.400s.tmp.%ld.XXXXXX", base, (long)getpid());
    if (!(o->tmp = tp_outpath_join(o->path, dir_len, name))) {
        tp_out_free(o);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    int e = open_tmp(o, 0);
    if (e) {
        free(o->tmp); /* never created: nothing to remove */
        o->tmp = NULL;
        tp_error_set(err, TP_EIO, "%s: cannot create a file in its folder: %s", o->path,
                     strerror(e));
        tp_out_free(o);
        return TP_EIO;
    }
    start(o);
    *out = o;
    return 0;
}

int tp_out_open_staged(struct tp_out **out, const char *path, const char *tmp, int flags,
                       struct tp_error *err)
{
    struct tp_out *o = out_new(flags);
    if (!o)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    o->path = strdup(path);
    o->tmp = strdup(tmp);
    o->in_set = 1;
    if (!o->path || !o->tmp) {
        tp_out_free(o);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    int e = open_tmp(o, 1);
    if (e) {
        free(o->tmp);
        o->tmp = NULL;
        tp_out_free(o);
        return tp_error_set(err, TP_EIO, "%s: cannot create a file: %s", tmp, strerror(e));
    }
    start(o);
    *out = o;
    return 0;
}

void tp_out_keep_file(struct tp_out *o)
{
    o->published = 1;
}

int tp_out_open_mem(struct tp_out **out, int flags)
{
    struct tp_out *o = out_new(flags);
    if (!o)
        return TP_ENOMEM;
    o->in_mem = 1;
    *out = o;
    return 0;
}

int tp_out_mem_reuse(struct tp_out *o)
{
    if (!o->in_mem || o->failed || o->spool)
        return -1;
    o->mem_len = 0;
    o->b_len = o->b_at = 0;
    o->n_cells = 0;
    o->n_rows = o->head_rows = 0;
    o->head_len = 0;
    o->past_head = 0;
    return 0;
}

uint64_t tp_out_rows(const struct tp_out *o)
{
    return o->n_rows;
}

void tp_out_past_head(struct tp_out *o)
{
    o->past_head = 1;
}

/* Bytes a memory part keeps in memory; the rest goes to a temporary file. */
enum { MEM_PART_MAX = 4 << 20 };

static void write_to(struct tp_out *o, FILE *f, const char *s, size_t n)
{
    if (fwrite(s, 1, n, f) != n) {
        o->failed = 1;
        o->err_no = errno;
    }
}

/* Hand what stdio holds of o's file to the kernel; a failure is o's first
 * error (stdio drops what it held: say why now). Returns whether o is sound. */
static int flush_held(struct tp_out *o)
{
    if (!o->failed && fflush(o->f) != 0) {
        o->failed = 1;
        o->err_no = errno;
    }
    return !o->failed;
}

/* Bytes of a table file between two starts of its writeback. */
enum { SYNC_STEP = 4 << 20 };

/* Write s[0..n) where the table's bytes go (the file, or memory). */
void tp_out_emit(struct tp_out *o, const char *s, size_t n)
{
    if (!n || o->failed)
        return;
    if (!o->in_mem) {
        if (o->direct_io) {
            tp_direct_put(o, s, n);
            return;
        }
        if (o->tmp && !o->direct_tried && !(o->flags & TP_OUT_NO_SYNC) &&
            o->written + n >= TP_DIRECT_FROM) {
            /* a large table: through stdio to an aligned offset, then past
             * the page cache (writer_direct.c) */
            size_t k = (size_t)((TP_DIRECT_ALIGN - o->written % TP_DIRECT_ALIGN) % TP_DIRECT_ALIGN);
            k = k < n ? k : n;
            write_to(o, o->f, s, k);
            o->written += k;
            s += k;
            n -= k;
            if (o->written % TP_DIRECT_ALIGN == 0) {
                o->direct_tried = 1;
                if (flush_held(o) && tp_direct_start(o) == 0) {
                    tp_direct_put(o, s, n);
                    return;
                }
            }
            if (!n)
                return;
        }
        write_to(o, o->f, s, n);
        o->written += n;
#if defined(SYNC_FILE_RANGE_WRITE)
        /* A table is synced before it is renamed into place; starting the
         * disk's writes every few MiB, without waiting for them, leaves that
         * final fsync little to wait for. */
        if (o->tmp && o->written - o->synced >= SYNC_STEP && fflush(o->f) == 0) {
            sync_file_range(fileno(o->f), (off_t)o->synced, (off_t)(o->written - o->synced),
                            SYNC_FILE_RANGE_WRITE);
            o->synced = o->written;
        }
#endif
        return;
    }
    if (o->spool || o->mem_len + n > MEM_PART_MAX) {
        if (!o->spool && !(o->spool = tmpfile())) {
            o->failed = 1;
            o->err_no = errno;
            return;
        }
        write_to(o, o->spool, s, n);
        return;
    }
    if (o->mem_len + n > o->mem_cap) {
        size_t cap = o->mem_cap ? o->mem_cap : 1 << 16;
        while (cap < o->mem_len + n)
            cap *= 2;
        char *m = realloc(o->mem, cap);
        if (!m) {
            o->failed = 1;
            o->err_no = ENOMEM;
            return;
        }
        o->mem = m;
        o->mem_cap = cap;
    }
    memcpy(o->mem + o->mem_len, s, n);
    o->mem_len += n;
}

int tp_out_flags(const struct tp_out *o)
{
    int all = 0;
    for (int i = 0; i < o->n_sinks; i++)
        all |= !o->sinks[i].max_rows || o->sinks[i].max_rows > TP_SINK_HEAD_ROWS;
    return o->flags | (all ? TP_OUT_CELL_LOG : o->n_sinks ? TP_OUT_CELL_HEAD : 0);
}

int tp_out_add_sink(struct tp_out *o, const struct tp_cell_sink *sink)
{
    if (o->n_sinks == 2)
        return TP_ENOMEM;
    o->sinks[o->n_sinks++] = *sink;
    return 0;
}

const char *tp_out_tmp_path(const struct tp_out *o)
{
    return o->tmp;
}

const char *tp_out_path(const struct tp_out *o)
{
    return o->path;
}

/* A memory part opened with TP_OUT_CELL_LOG holds records, not CSV: a kind
 * byte ('t' text, 'n' number, 'r' row end), then for a cell its length (4
 * bytes, host order) and bytes. tp_out_append replays them through the
 * destination's cell functions, so its sinks see every row in order. */

/* Read n bytes of src's records from *at on (its memory, then its spool). */
static int part_read(struct tp_out *src, uint64_t *at, void *buf, size_t n)
{
    char *b = buf;
    size_t k = 0;
    if (*at < src->mem_len) {
        k = src->mem_len - *at < n ? (size_t)(src->mem_len - *at) : n;
        memcpy(b, src->mem + *at, k);
    }
    /* the spool through b, a block at a time (not a locked fread a field) */
    while (k < n) {
        if (src->b_at == src->b_len) {
            src->b_at = 0;
            if (!src->spool || !(src->b_len = fread(src->b, 1, sizeof(src->b), src->spool)))
                return -1;
        }
        size_t m = src->b_len - src->b_at < n - k ? src->b_len - src->b_at : n - k;
        memcpy(b + k, src->b + src->b_at, m);
        src->b_at += m;
        k += m;
    }
    *at += n;
    return 0;
}

/* TP_OUT_CELL_HEAD: a record of the cell (as log_cell's) into o->head,
 * while o has written fewer than TP_SINK_HEAD_ROWS rows. */
static void head_put(struct tp_out *o, char kind, const char *s, size_t len)
{
    if (o->n_rows >= TP_SINK_HEAD_ROWS || o->past_head)
        return;
    uint32_t n = (uint32_t)len;
    size_t need = o->head_len + 1 + (kind == 'r' ? 0 : sizeof(n) + len);
    if (need > o->head_cap) {
        size_t cap = o->head_cap ? o->head_cap : 1 << 12;
        while (cap < need)
            cap *= 2;
        char *h = realloc(o->head, cap);
        if (!h) {
            o->failed = 1;
            o->err_no = ENOMEM;
            return;
        }
        o->head = h;
        o->head_cap = cap;
    }
    o->head[o->head_len++] = kind;
    if (kind == 'r') {
        o->head_rows++;
        return;
    }
    memcpy(o->head + o->head_len, &n, sizeof(n));
    memcpy(o->head + o->head_len + sizeof(n), s, len);
    o->head_len += sizeof(n) + len;
}

/* Give dst's sinks the head of src (a TP_OUT_CELL_HEAD part) and the count
 * of its rows past it. */
static void replay_head(struct tp_out *dst, struct tp_out *src)
{
    size_t at = 0;
    while (at < src->head_len) {
        char kind = src->head[at++];
        if (kind == 'r') {
            for (int i = 0; i < dst->n_sinks; i++)
                dst->sinks[i].row_end(dst->sinks[i].ctx);
            continue;
        }
        uint32_t len;
        memcpy(&len, src->head + at, sizeof(len));
        at += sizeof(len);
        for (int i = 0; i < dst->n_sinks; i++)
            dst->sinks[i].cell(dst->sinks[i].ctx, src->head + at, len,
                               kind == 'n' ? TP_CELL_NUMBER : TP_CELL_TEXT);
        at += len;
    }
    for (int i = 0; i < dst->n_sinks; i++)
        if (dst->sinks[i].skip && src->n_rows > src->head_rows)
            dst->sinks[i].skip(dst->sinks[i].ctx, src->n_rows - src->head_rows);
    src->head_len = 0;
    src->head_rows = src->n_rows = 0;
}

static void replay(struct tp_out *dst, struct tp_out *src)
{
    uint64_t at = 0, total = src->mem_len;
    if (src->spool) {
        long end;
        if (fflush(src->spool) != 0 || fseek(src->spool, 0, SEEK_END) != 0 ||
            (end = ftell(src->spool)) < 0 || fseek(src->spool, 0, SEEK_SET) != 0)
            goto fail;
        total += (uint64_t)end;
    }
    while (at < total && !dst->failed) {
        char kind;
        uint32_t len;
        if (part_read(src, &at, &kind, 1) != 0)
            goto fail;
        if (kind == 'r') {
            tp_out_row_end(dst);
            continue;
        }
        if (part_read(src, &at, &len, sizeof(len)) != 0)
            goto fail;
        if (len > src->qcap) {
            char *q = realloc(src->qbuf, len);
            if (!q)
                goto fail;
            src->qbuf = q;
            src->qcap = len;
        }
        /* an empty cell has no bytes and, as the first, no buffer yet */
        const char *cell = len ? src->qbuf : "";
        if (len && part_read(src, &at, src->qbuf, len) != 0)
            goto fail;
        if (kind == 'n')
            tp_out_number(dst, cell, len);
        else
            tp_out_text(dst, cell, len);
    }
    return;
fail:
    if (!dst->failed) {
        dst->failed = 1;
        dst->err_no = errno ? errno : EIO;
    }
}

void tp_out_append(struct tp_out *dst, struct tp_out *src)
{
    if (!(src->flags & (TP_OUT_CELL_HEAD | TP_OUT_CELL_LOG)) && !src->spool && !src->failed) {
        /* CSV alone, all in memory: its rows and then its buffer's, without
         * copying the buffer after the rows first */
        tp_out_drain(dst);
        tp_out_emit(dst, src->mem, src->mem_len);
        tp_out_emit(dst, src->b, src->b_len);
        src->mem_len = src->b_len = 0;
        return;
    }
    tp_out_drain(src);
    if (src->failed && !dst->failed) {
        dst->failed = 1;
        dst->err_no = src->err_no;
    }
    if (src->flags & TP_OUT_CELL_HEAD)
        replay_head(dst, src);
    if (src->flags & TP_OUT_CELL_LOG) {
        replay(dst, src);
        src->b_len = src->b_at = 0;
        src->mem_len = 0;
        if (src->spool)
            fclose(src->spool);
        src->spool = NULL;
        return;
    }
    tp_out_drain(dst);
    tp_out_emit(dst, src->mem, src->mem_len);
    src->mem_len = 0;
    if (src->spool) {
        /* the part's own buffer carries the spooled bytes over */
        if (fflush(src->spool) != 0 || fseek(src->spool, 0, SEEK_SET) != 0) {
            dst->failed = 1;
            dst->err_no = errno;
        }
        size_t n;
        while (!dst->failed && (n = fread(src->b, 1, sizeof(src->b), src->spool)) > 0)
            tp_out_emit(dst, src->b, n);
        if (ferror(src->spool) && !dst->failed) {
            dst->failed = 1;
            dst->err_no = EIO;
        }
        fclose(src->spool);
        src->spool = NULL;
    }
}

FILE *tp_out_file(struct tp_out *o)
{
    tp_out_drain(o);
    /* whoever writes through stdio from here on finds it at the file's end */
    tp_direct_end(o);
    o->direct_tried = 1;
    return o->f;
}

/* Cells are gathered in our own buffer and handed to stdio in large blocks:
 * one locked fwrite per 64 KiB instead of one per cell. */
void tp_out_drain(struct tp_out *o)
{
    tp_out_emit(o, o->b, o->b_len);
    o->b_len = 0;
}

static void cell_start(struct tp_out *o)
{
    if (o->n_cells++)
        tp_out_put(o, &o->sep, 1);
}

static void log_cell(struct tp_out *o, char kind, const char *s, size_t len)
{
    uint32_t n = (uint32_t)len;
    tp_out_put(o, &kind, 1);
    tp_out_put(o, (const char *)&n, sizeof(n));
    tp_out_put(o, s, len);
}

static void sink_cell(struct tp_out *o, const char *s, size_t len, enum tp_cell_kind kind)
{
    for (int i = 0; i < o->n_sinks; i++)
        o->sinks[i].cell(o->sinks[i].ctx, s, len, kind);
}

void tp_out_text(struct tp_out *o, const char *s, size_t len)
{
    if (o->flags & TP_OUT_CELL_LOG) {
        log_cell(o, 't', s, len);
        return;
    }
    if (o->flags & TP_OUT_CELL_HEAD)
        head_put(o, 't', s, len);
    if (o->n_sinks)
        sink_cell(o, s, len, TP_CELL_TEXT);
    if (o->flags & TP_OUT_NO_CSV)
        return;
    cell_start(o);
    if (!(o->flags & TP_OUT_EXCEL) && !tp_out_needs_quotes(o, s, len)) {
        tp_out_put(o, s, len);
        return;
    }
    size_t need = tp_out_text_csv_max(len);
    if (need > o->qcap) {
        char *q = realloc(o->qbuf, need);
        if (!q) {
            o->failed = 1;
            o->err_no = ENOMEM;
            return;
        }
        o->qbuf = q;
        o->qcap = need;
    }
    tp_out_put(o, o->qbuf, tp_out_text_csv(o, s, len, o->qbuf));
}

void tp_out_str(struct tp_out *o, const char *s)
{
    tp_out_text(o, s ? s : "", s ? strlen(s) : 0);
}

void tp_out_header(struct tp_out *o, const char *names)
{
    const char *p = names;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        tp_out_text(o, p, n);
        if (!c)
            break;
        p = c + 1;
    }
    tp_out_row_end(o);
}

void tp_out_u64(struct tp_out *o, uint64_t v)
{
    char buf[24];
    char *p = tp_u64_digits(v, buf + sizeof(buf));
    if (o->flags & (TP_OUT_CELL_LOG | TP_OUT_CELL_HEAD | TP_OUT_NO_CSV) || o->n_sinks) {
        tp_out_number(o, p, (size_t)(buf + sizeof(buf) - p));
        return;
    }
    cell_start(o);
    tp_out_put(o, p, (size_t)(buf + sizeof(buf) - p));
}

void tp_out_number(struct tp_out *o, const char *s, size_t n)
{
    if (o->flags & TP_OUT_CELL_LOG) {
        log_cell(o, 'n', s, n);
        return;
    }
    if (o->flags & TP_OUT_CELL_HEAD)
        head_put(o, 'n', s, n);
    if (o->n_sinks)
        sink_cell(o, s, n, TP_CELL_NUMBER);
    if (o->flags & TP_OUT_NO_CSV)
        return;
    cell_start(o);
    const char *dot = (o->flags & TP_OUT_EXCEL) ? memchr(s, '.', n) : NULL;
    if (!dot) {
        tp_out_put(o, s, n);
        return;
    }
    tp_out_put(o, s, (size_t)(dot - s));
    tp_out_put(o, ",", 1);
    tp_out_put(o, dot + 1, n - (size_t)(dot - s) - 1);
}

void tp_out_double(struct tp_out *o, double v)
{
    char buf[40];
    size_t n = tp_format_double(v, buf);
    tp_out_number(o, buf, n);
}

void tp_out_row_end(struct tp_out *o)
{
    if (o->flags & TP_OUT_CELL_LOG) {
        tp_out_put(o, "r", 1);
        return;
    }
    if (o->flags & TP_OUT_CELL_HEAD) {
        head_put(o, 'r', NULL, 0);
        o->n_rows++;
    }
    for (int i = 0; i < o->n_sinks; i++)
        o->sinks[i].row_end(o->sinks[i].ctx);
    if (o->flags & TP_OUT_NO_CSV)
        return;
    tp_out_put(o, "\n", 1);
    o->n_cells = 0;
}

char *tp_out_row_room(struct tp_out *o, size_t max)
{
    if (!tp_out_csv_only(o) || (o->flags & TP_OUT_EXCEL) || o->n_cells || max > sizeof(o->b))
        return NULL;
    if (o->b_len + max > sizeof(o->b))
        tp_out_drain(o);
    return o->b + o->b_len;
}

void tp_out_row_done(struct tp_out *o, char *end)
{
    o->b_len = (size_t)(end - o->b);
}

size_t tp_out_row_text_max(size_t len)
{
    return tp_out_text_csv_max(len);
}

char *tp_out_row_text(const struct tp_out *o, char *p, const char *s, size_t len)
{
    return p + tp_out_text_csv(o, s, len, p);
}

char *tp_out_row_u64(char *p, uint64_t v)
{
    if (v < 10) {
        *p = (char)('0' + v);
        return p + 1;
    }
    /* its length first, then its digits in place from the end: a row's
     * counts are short, and a copy of a few bytes was a call to memcpy */
    size_t n = 2;
    for (uint64_t t = v / 100; t; t /= 10)
        n++;
    tp_u64_digits(v, p + n);
    return p + n;
}

static void *sync_main(void *arg)
{
    struct tp_out *o = arg;
    o->sync_err = fsync(o->sync_fd) != 0 ? errno : 0;
    return NULL;
}

/* Wait for tp_out_sync_start's thread; returns its errno. */
static int sync_join(struct tp_out *o)
{
    if (!o->sync_started)
        return 0;
    pthread_join(o->sync_thread, NULL);
    o->sync_started = 0;
    return o->sync_err;
}

void tp_out_sync_start(struct tp_out *o)
{
    if (!o->path || !o->tmp || o->direct || o->finished || o->sync_started || o->in_mem ||
        (o->flags & TP_OUT_NO_SYNC) || o->written + o->b_len < (1u << 20))
        return;
    tp_out_drain(o);
    tp_direct_end(o);
    o->direct_tried = 1;
    if (!flush_held(o))
        return; /* (tp_out_finish reports it) */
    o->sync_err = 0;
    o->sync_fd = fileno(o->f);
    o->synced_at = o->written;
    o->sync_started = pthread_create(&o->sync_thread, NULL, sync_main, o) == 0;
}

int tp_out_finish(struct tp_out *o, struct tp_error *err)
{
    const char *name = o->path ? o->path : "standard output";
    if (o->finished)
        return o->failed
                   ? tp_error_set(err, TP_EIO, "%s: write failed: %s", name, strerror(o->err_no))
                   : 0;
    o->finished = 1;
    tp_out_drain(o);
    tp_direct_end(o);
    if (fflush(o->f) != 0 && !o->failed) {
        o->failed = 1;
        o->err_no = errno;
    }
    if (ferror(o->f) && !o->failed) {
        o->failed = 1;
        o->err_no = EIO;
    }
    if (o->path) {
        /* synced on its own thread since tp_out_sync_start, or now (also
         * when bytes came after all, against its contract) */
        int started = o->sync_started, e = sync_join(o);
        if ((!started || o->written != o->synced_at) && !e && !o->failed && !o->direct &&
            !(o->flags & TP_OUT_NO_SYNC) && fsync(fileno(o->f)) != 0)
            e = errno;
        if (tp_sync_failed(e) && !o->failed) {
            o->failed = 1;
            o->err_no = e;
        }
        if (fclose(o->f) != 0 && !o->failed) {
            o->failed = 1;
            o->err_no = errno;
        }
        o->f = NULL;
    }
    if (o->failed)
        return tp_error_set(err, TP_EIO, "%s: write failed: %s", name, strerror(o->err_no));
    return 0;
}

int tp_out_publish(struct tp_out *o, struct tp_error *err)
{
    if (!o->tmp || o->published || o->in_set)
        return 0;
    if (rename(o->tmp, o->path) != 0)
        return tp_error_set(err, TP_EIO, "%s: cannot rename into place: %s", o->path,
                            strerror(errno));
    o->published = 1;
    tp_outpath_live_drop(&o->slot);
    return 0;
}

void tp_out_free(struct tp_out *o)
{
    if (!o)
        return;
    tp_direct_free(o);
    sync_join(o);
    if (o->path && o->f)
        fclose(o->f);
    if (o->tmp && !o->published)
        unlink(o->tmp);
    tp_outpath_live_drop(&o->slot);
    free(o->path);
    free(o->tmp);
    free(o->qbuf);
    free(o->mem);
    free(o->head);
    if (o->spool)
        fclose(o->spool);
    free(o);
}
