/*
 * input/open.c - each input opened for its pass (a plain file for read(2) at
 * its start or at a range's start, a .gz file or a copied stream for zlib),
 * checked (binary, UTF-16 byte order mark, a file that shrank or is no longer
 * a regular file, gzip trailing garbage) and closed. Which files are read is
 * input/walk.c's.
 *
 * Where it sits: called by reader.c (read_input opens and closes) and by the
 * format and split peeks; uses input/common.c and input/ahead.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"

/* ---- opening, checking and closing an input ------------------------------ */

/* Copy standard input or a pipe into a temporary file, once. */
static int copy_stream(struct run *run, struct input *in)
{
    FILE *src = strcmp(in->path, "-") == 0 ? stdin : fopen(in->path, "rb");
    FILE *tmp = NULL;
    int rc = 0;

    if (!src)
        return tp_error_set(run->err, TP_EIO, "%s: %s", in->path, strerror(errno));
    tmp = tmpfile();
    if (!tmp) {
        rc = tp_error_set(run->err, TP_EIO, "cannot create a temporary file for %s: %s", in->path,
                          strerror(errno));
        goto out;
    }
    for (;;) {
        size_t n = fread(run->r->raw, 1, CHUNK, src);
        if (n > 0 && fwrite(run->r->raw, 1, n, tmp) != n) {
            rc = tp_error_set(run->err, TP_EIO, "temporary copy of %s: %s", in->path,
                              strerror(errno));
            goto out;
        }
        if (n < CHUNK)
            break;
    }
    if (ferror(src)) {
        rc = tp_error_set(run->err, TP_EIO, "%s: %s", in->path, strerror(errno));
        goto out;
    }
    if (fflush(tmp) != 0) {
        rc = tp_error_set(run->err, TP_EIO, "temporary copy of %s: %s", in->path, strerror(errno));
        goto out;
    }
    in->copy = tmp;
    tmp = NULL;
out:
    if (tmp)
        fclose(tmp);
    if (src != stdin)
        fclose(src);
    return rc;
}

int tp_in_copy_stream(struct run *run, struct input *in)
{
    return copy_stream(run, in);
}

/* An input that does not open: an error, or with --skip-errors a warning
 * (returns 1: skipped). */
static int open_failed(struct run *run, const struct input *in, int errnum)
{
    if (!run->r->o->skip_errors)
        return tp_error_set(run->err, TP_EIO, "%s: %s", in->path, strerror(errnum));
    tp_in_skip_input(run, in->path, strerror(errnum));
    return 1;
}

const char tp_not_regular_why[] =
    "no longer a regular file (replaced since the inputs were listed)";

int tp_open_listed(const char *path, int *not_regular)
{
    struct stat st;
    *not_regular = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (S_ISREG(st.st_mode))
        return fd;
    close(fd);
    *not_regular = 1;
    return -1;
}

/* A listed file found, once open, to be something else: a FIFO, a device or
 * a folder put in its place. An error, or with --skip-errors a warning
 * (returns 1). */
static int not_regular(struct run *run, const struct input *in)
{
    if (!run->r->o->skip_errors)
        return tp_error_set(run->err, TP_EIO, "%s: %s", in->path, tp_not_regular_why);
    tp_in_skip_input(run, in->path, tp_not_regular_why);
    return 1;
}

/* Open a listed file for reading: never blocks (a FIFO put in its place
 * since it was listed would wait for a writer), and it must still be a
 * regular file once open (a FIFO, a device or a folder put there is refused
 * with a message naming it). Returns the descriptor, or -1 with *skipped or
 * run->err set as open_failed does (*skipped: 1 skipped, else < 0). */
static int open_regular(struct run *run, const struct input *in, int *skipped)
{
    int other;
    int fd = tp_open_listed(in->path, &other);
    if (fd < 0)
        *skipped = other ? not_regular(run, in) : open_failed(run, in, errno);
    if (fd < 0 && *skipped == 1 && in->unsized && run->counting)
        run->r->stats.unsized_skipped++;
    return fd;
}

/* fd (-1 when it did not open) could not be placed where reading begins. */
static int seek_failed(struct run *run, const struct input *in, int fd)
{
    int rc = tp_error_set(run->err, TP_EIO, "%s: %s", in->path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Open an input: plain files for read(2), .gz files and copied streams for
 * gzread. Returns 0, 1 when it was skipped, or < 0. */
int tp_in_open(struct run *run, struct input *in)
{
    struct tp_reader *r = run->r;
    int fd;

    run->gz = NULL;
    run->plain = 0;
    run->limited = 0;
    run->plain_off = 0;
    run->src = NULL;
    run->pre = NULL;
    run->ahead_held = 0;
    run->open_size = 0;
    run->inflater = NULL;
    run->inflate_off = 0;
    if (r->ahead && tp_in_ahead_take(r, run->input, &run->pre, &run->pre_len)) {
        /* read ahead whole (input/ahead.c; never an archive or a .zst/.xz/.bz2 file) */
        run->plain = 1;
        run->fd = -1;
        run->plain_start = 0;
        run->ahead_held = 1;
        return 0;
    }
    run->pre = NULL;
    int kind = tp_in_input_kind(run, in);
    if (kind < 0)
        return kind;
    if (kind == 2)
        return tp_in_src_open(run, in); /* .zst .xz .bz2: input/archive.c */
    if (in->stream) {
        int rc = in->copy ? 0 : copy_stream(run, in);
        if (rc < 0)
            return rc;
        fd = dup(fileno(in->copy));
        if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0)
            return seek_failed(run, in, fd);
        run->gz = gzdopen(fd, "rb");
        if (!run->gz) {
            close(fd);
            return nomem(run->err);
        }
    } else if (r->ranged) {
        int skipped = 0;
        fd = open_regular(run, in, &skipped);
        if (fd < 0)
            return skipped;
        if (lseek(fd, (off_t)r->range_start, SEEK_SET) < 0)
            return seek_failed(run, in, fd);
        run->plain = 1;
        run->fd = fd;
        run->plain_start = r->range_start;
        run->limited = 1;
        run->remaining = r->range_len;
        return 0;
    } else if (!tp_in_ends_with(in->path, strlen(in->path), ".gz")) {
        int skipped = 0;
        fd = open_regular(run, in, &skipped);
        if (fd < 0)
            return skipped;
        run->plain = 1;
        run->fd = fd;
        run->plain_start = 0;
        run->pre = NULL;
        if (in->regular && (in->size < CHUNK || in->unsized) && r->pre) {
            /* a small file: read whole now, one call instead of a peek, two
             * reads and a check; a file that grew since listed is read as
             * any other */
            ssize_t k;
            do
                k = pread(fd, r->pre, CHUNK, 0);
            while (k < 0 && errno == EINTR);
            if (k >= 0 && (uint64_t)k < CHUNK) {
                close(fd);
                run->fd = -1;
                run->pre = r->pre;
                run->pre_len = (size_t)k;
            } else if (in->unsized) {
                /* a large file: its size now, for tp_in_check_whole */
                struct stat st;
                if (fstat(fd, &st) == 0)
                    run->open_size = (uint64_t)st.st_size;
            }
        }
        return 0;
    } else {
        int skipped = 0;
        fd = open_regular(run, in, &skipped);
        if (fd < 0)
            return skipped;
        run->gz = gzdopen(fd, "rb");
        if (!run->gz) {
            close(fd);
            return nomem(run->err);
        }
    }
    gzbuffer(run->gz, GZ_BUFFER);
    return 0;
}

/* The path as ids show it: a file name that is not UTF-8 has its bad bytes
 * replaced by U+FFFD (ids go into UTF-8 tables), with a warning. */
int tp_in_set_id_path(struct run *run)
{
    struct tp_reader *r = run->r;
    size_t n = strlen(run->path);
    run->id_path = run->path;
    if (tp_encoding_is_utf8(run->path, n))
        return 0;
    struct tp_decoder d;
    r->idpath.len = 0;
    if (buf_reserve(&r->idpath, TP_DECODE_BOUND(n)) < 0)
        return nomem(run->err);
    tp_decoder_init(&d, TP_ENC_UTF8);
    r->idpath.len = tp_decoder_feed(&d, run->path, n, 1, r->idpath.p);
    r->idpath.p[r->idpath.len] = '\0';
    run->id_path = r->idpath.p;
    char msg[1200];
    snprintf(msg, sizeof(msg),
             "%s: the file name is not UTF-8: its documents' ids show each bad byte as U+FFFD",
             run->id_path);
    tp_in_warn(r, msg);
    return 0;
}

/* Look at an input's first bytes (of the whole file, for a part): a UTF-16
 * byte order mark sets run->utf16; a NUL byte without one says binary.
 * Returns 1 for binary, 0, or < 0. */
int tp_in_peek(struct run *run)
{
    struct tp_reader *r = run->r;
    unsigned char *into = (unsigned char *)r->out;
    const unsigned char *buf = into;
    size_t n = 0;
    run->utf16 = 0;
    if (run->src) {
        int rc = tp_in_src_peek(run, into, PEEK_BYTES, &n);
        if (rc < 0)
            return rc;
    } else if (run->plain && run->pre) {
        n = run->pre_len < PEEK_BYTES ? run->pre_len : PEEK_BYTES;
        buf = run->pre;
    } else if (run->plain) {
        ssize_t k;
        do
            k = pread(run->fd, into, PEEK_BYTES, 0);
        while (k < 0 && errno == EINTR);
        if (k < 0)
            return tp_error_set(run->err, TP_EIO, "%s: %s", run->path, strerror(errno));
        n = (size_t)k;
    } else {
        int k = gzread(run->gz, into, PEEK_BYTES);
        if (k < 0)
            return tp_in_gz_failed(run);
        n = (size_t)k;
        if (gzrewind(run->gz) < 0)
            return tp_in_gz_failed(run);
    }
    run->peek = buf;
    run->peek_len = n;
    if (n >= 2 && buf[0] == 0xFF && buf[1] == 0xFE)
        run->utf16 = 1;
    else if (n >= 2 && buf[0] == 0xFE && buf[1] == 0xFF)
        run->utf16 = 2;
    else if (memchr(buf, 0, n))
        return 1;
    return 0;
}

/* A file that shrank while it was read (or since it was listed) gave only
 * part of its text: an error, not a silently short count. */
int tp_in_check_whole(struct run *run, const struct input *in)
{
    struct tp_reader *r = run->r;
    struct stat st;
    if (!run->plain || in->stream)
        return 0;
    if (run->limited) {
        if (run->remaining > 0 && !r->check_limit)
            return tp_error_set(run->err, TP_EIO,
                                "%s: file shrank while read (%llu bytes missing from the part "
                                "being read): its counts would be partial",
                                run->path, (unsigned long long)run->remaining);
        return 0;
    }
    /* an unsized input: the size it had when opened (a file read whole then
     * is whole) */
    uint64_t listed = in->unsized ? run->open_size : in->size;
    if (run->pre && run->pre_len >= listed)
        return 0;
    if (run->pre)
        st.st_size = (off_t)run->pre_len;
    if ((run->pre || fstat(run->fd, &st) == 0) && (uint64_t)st.st_size < listed)
        return tp_error_set(run->err, TP_EIO,
                            "%s: file shrank while read (%llu bytes %s, %llu now): its counts "
                            "would be partial",
                            run->path, (unsigned long long)listed,
                            in->unsized ? "when opened" : "when listed",
                            (unsigned long long)st.st_size);
    return 0;
}

/* The next CHUNK (at most) of the file at *pos into buf as zs's input: 0
 * when the file has no more (or cannot be read), else 1. */
static int refill(int fd, unsigned char *buf, z_stream *zs, uint64_t *pos, uint64_t size)
{
    if (*pos >= size)
        return 0;
    ssize_t k = pread(fd, buf, CHUNK, (off_t)*pos);
    if (k <= 0)
        return 0;
    zs->next_in = buf;
    zs->avail_in = (uInt)k;
    *pos += (uint64_t)k;
    return 1;
}

/* After a gzip file read to its end: bytes after the last compressed member
 * (zlib ignores them) are an error. The last member's length field (the
 * file's last 4 bytes) equals the text's length in a whole single-member
 * file; otherwise the members are walked once more to find where they end.
 * Trailing zero bytes (padding) are allowed, as gzip allows them. */
int tp_in_check_gz_tail(struct run *run, struct input *in)
{
    struct tp_reader *r = run->r;
    if (run->plain || !run->gz || gzdirect(run->gz) || !gzeof(run->gz) || r->check_limit)
        return 0;
    uint64_t total = (uint64_t)gztell(run->gz);
    int fd = in->stream ? fileno(in->copy) : open(in->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    unsigned char tail[4];
    int rc = 0;
    if (fstat(fd, &st) != 0 || st.st_size < 18 || pread(fd, tail, 4, st.st_size - 4) != 4)
        goto out;
    uint32_t isize = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
                     (uint32_t)tail[3] << 24;
    if (isize == (uint32_t)total)
        goto out;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        goto out;
    uint64_t pos = 0, size = (uint64_t)st.st_size, end = 0;
    for (;;) {
        if (zs.avail_in == 0 && !refill(fd, r->raw, &zs, &pos, size))
            break;
        zs.next_out = (Bytef *)r->out;
        zs.avail_out = CHUNK;
        int z = inflate(&zs, Z_NO_FLUSH);
        if (z == Z_STREAM_END) {
            end = pos - zs.avail_in;
            if (zs.avail_in == 0 && pos < size && !refill(fd, r->raw, &zs, &pos, size))
                break;
            if (zs.avail_in >= 2 && zs.next_in[0] == 0x1F && zs.next_in[1] == 0x8B) {
                inflateReset(&zs);
                continue;
            }
            /* what follows the last member: padding or garbage */
            int garbage = 0;
            while (!garbage) {
                for (uInt i = 0; i < zs.avail_in && !garbage; i++)
                    garbage = zs.next_in[i] != 0;
                if (garbage || !refill(fd, r->raw, &zs, &pos, size))
                    break;
            }
            if (garbage)
                rc = tp_error_set(run->err, TP_EIO,
                                  "%s: %llu bytes after the end of the compressed data (trailing "
                                  "garbage: a damaged file, or two files joined?)",
                                  run->path, (unsigned long long)(size - end));
            break;
        }
        if (z != Z_OK && z != Z_BUF_ERROR)
            break; /* gzread saw the data whole: nothing to add */
        if (z == Z_BUF_ERROR && zs.avail_in == 0 && pos >= size)
            break;
    }
    inflateEnd(&zs);
out:
    if (!in->stream)
        close(fd);
    return rc;
}

/* Whether the file starts with a UTF-16 byte order mark (such a file is read
 * whole, never in parts: a part could not know it). */
int tp_in_starts_utf16(const char *path)
{
    unsigned char b[2];
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t k = pread(fd, b, 2, 0);
    close(fd);
    return k == 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF));
}

void tp_in_close(struct run *run, const struct input *in)
{
    if (run->src) {
        run->done_base += in->size;
        tp_in_src_close(run);
        return;
    }
    tp_in_inflate_stop(run);
    z_off_t off = run->plain ? (z_off_t)run->plain_off : gzoffset(run->gz);
    /* a file listed without its size: the size it had when opened (read
     * whole then, or looked at: tp_in_open) */
    uint64_t unsized = run->pre ? run->pre_len : run->open_size;
    run->done_base += in->stream ? (off > 0 ? (uint64_t)off : 0) : in->unsized ? unsized : in->size;
    if (in->unsized && run->counting)
        run->r->stats.unsized_bytes += unsized;
    if (run->plain && run->fd >= 0)
        close(run->fd);
    else if (!run->plain)
        gzclose(run->gz);
    run->gz = NULL;
    run->plain = 0;
    run->pre = NULL;
    if (run->ahead_held)
        tp_in_ahead_give_back(run->r, run->input);
    run->ahead_held = 0;
}
