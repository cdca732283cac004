/*
 * input/archive.c - archives (.zip, .tar, .tar.gz/.tgz, .tar.xz, .tar.zst,
 * .tar.bz2) read member by member without unpacking, and single compressed
 * files (.zst, .xz, .bz2) decompressed as they are read, both through
 * libarchive. Nothing is ever written to disk: a member's name is only a
 * name (an absolute or ../ name included).
 *
 * Where it sits: reader.c's read_input hands an archive to
 * tp_in_read_archive, which gives each member to tp_in_read_input with
 * run->src set: the member then goes through the same dispatch as a file
 * (its format from its own name, binary and UTF-16 checks from its first
 * bytes), with the path "ARCHIVE:member" for ids and messages. A single
 * compressed file is opened by tp_in_open (walk.c) as run->src. tp_in_read,
 * tp_in_peek and tp_in_close (common.c, walk.c) turn to the functions here
 * when run->src is set.
 *
 * Core data structure: struct tp_src, one member or compressed file being
 * read: the libarchive handle, the bytes a peek took (given back first), and
 * the counts the caps against decompression bombs look at (docs/inputs.md,
 * "Archives"): a member may inflate to --max-doc-bytes, a whole archive or
 * compressed file to ARCHIVE_RATIO times its size on disk plus
 * --max-doc-bytes.
 */
#include <errno.h>
#include <stdio.h>

#include <archive.h>
#include <archive_entry.h>

#include "input.h"

/* A whole archive or compressed file may give at most this many times its
 * size on disk (plus --max-doc-bytes): text compresses 3 to 10 times,
 * decompression bombs thousands of times. */
#define ARCHIVE_RATIO 1000u

struct tp_src {
    struct archive *a;
    int member; /* one member of an archive: closing it leaves the archive open */
    unsigned char pre[PEEK_BYTES]; /* bytes a peek took, given back first */
    size_t pre_len, pre_pos;
    uint64_t bytes;     /* decompressed bytes of this member or file */
    uint64_t cap;       /* the most it may give (0: no own cap) */
    uint64_t *total;    /* of the whole archive or file */
    uint64_t total_cap; /* the most that may give */
    const char *file;   /* the archive or file on disk, for messages */
    uint64_t disk_size;
};

int tp_in_packed_kind(const char *path, size_t n)
{
    static const char *const archives[] = {".zip",     ".tar",  ".tar.gz",  ".tgz",
                                           ".tar.xz",  ".txz",  ".tar.zst", ".tzst",
                                           ".tar.bz2", ".tbz2", ".tbz",     NULL};
    static const char *const single[] = {".zst", ".xz", ".bz2", NULL};
    for (int i = 0; archives[i]; i++)
        if (tp_in_ends_with(path, n, archives[i]))
            return 1;
    for (int i = 0; single[i]; i++)
        if (tp_in_ends_with(path, n, single[i]))
            return 2;
    return 0;
}

/* A new libarchive reader with the filters tempora reads (no external
 * programs: libarchive would otherwise run lzop or lrzip when it knows no
 * better) and, for kind 1, the tar and zip formats, for kind 2 raw data. */
static struct archive *new_archive(int kind)
{
    struct archive *a = archive_read_new();
    if (!a)
        return NULL;
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_lzma(a);
    if (kind == 1) {
        archive_read_support_format_tar(a);
        archive_read_support_format_gnutar(a);
        archive_read_support_format_zip(a);
    } else {
        archive_read_support_format_raw(a);
    }
    return a;
}

/* libarchive's reason for a failure of a. */
static const char *why(struct archive *a)
{
    const char *s = archive_error_string(a);
    if (s)
        return s;
    return archive_errno(a) ? strerror(archive_errno(a)) : "unreadable archive";
}

/* ---- reading through a source ------------------------------------------- */

/* Up to cap decompressed bytes from libarchive (fewer only at the end),
 * counted against the caps. */
static int pull(struct run *run, struct tp_src *s, unsigned char *buf, size_t cap, size_t *got)
{
    size_t n = 0;
    while (n < cap) {
        la_ssize_t k = archive_read_data(s->a, buf + n, cap - n);
        if (k < 0)
            return tp_error_set(run->err, TP_EIO, "%s: %s (corrupt or unreadable archive data)",
                                run->path, why(s->a));
        if (k == 0)
            break;
        n += (size_t)k;
    }
    s->bytes += n;
    *s->total += n;
    *got = n;
    char w[32];
    if (s->cap && s->bytes > s->cap)
        return tp_error_set(run->err, TP_EPARSE,
                            "%s: inflates past %s (--max-doc-bytes): not read (a decompression "
                            "bomb?); raise --max-doc-bytes if it is meant",
                            run->path, tp_in_size_words(s->cap, w, sizeof(w)));
    if (*s->total > s->total_cap)
        return tp_error_set(run->err, TP_EPARSE,
                            "%s: inflates past %u times its size on disk (%llu bytes) plus "
                            "--max-doc-bytes: not read further (a decompression bomb?)",
                            s->file, ARCHIVE_RATIO, (unsigned long long)s->disk_size);
    return 0;
}

int tp_in_src_read(struct run *run, void *buf, size_t cap, size_t *got)
{
    struct tp_src *s = run->src;
    size_t n = 0;
    if (s->pre_pos < s->pre_len) {
        n = s->pre_len - s->pre_pos < cap ? s->pre_len - s->pre_pos : cap;
        memcpy(buf, s->pre + s->pre_pos, n);
        s->pre_pos += n;
    }
    size_t more = 0;
    int rc = n < cap ? pull(run, s, (unsigned char *)buf + n, cap - n, &more) : 0;
    *got = n + more;
    return rc;
}

int tp_in_src_peek(struct run *run, void *buf, size_t cap, size_t *got)
{
    struct tp_src *s = run->src;
    if (cap > sizeof(s->pre))
        cap = sizeof(s->pre);
    if (s->pre_len == 0) {
        int rc = pull(run, s, s->pre, cap, &s->pre_len);
        if (rc < 0)
            return rc;
    }
    *got = s->pre_len < cap ? s->pre_len : cap;
    memcpy(buf, s->pre, *got);
    return 0;
}

uint64_t tp_in_src_offset(const struct run *run)
{
    la_int64_t k = archive_filter_bytes(run->src->a, -1);
    return k > 0 ? (uint64_t)k : 0;
}

void tp_in_src_close(struct run *run)
{
    struct tp_src *s = run->src;
    run->src = NULL;
    if (!s || s->member)
        return; /* the archive's loop frees its own */
    archive_read_free(s->a);
    free(s->total);
    free(s);
}

/* ---- a single compressed file -------------------------------------------- */

int tp_in_src_open(struct run *run, struct input *in)
{
    struct tp_reader *r = run->r;
    struct tp_src *s = calloc(1, sizeof(*s));
    uint64_t *total = calloc(1, sizeof(*total));
    struct archive_entry *e;
    int rc = 0;

    if (!s || !total || !(s->a = new_archive(2))) {
        free(s);
        free(total);
        return nomem(run->err);
    }
    s->total = total;
    s->file = in->path;
    s->disk_size = in->size;
    s->total_cap = in->size * ARCHIVE_RATIO + doc_cap(r);
    errno = 0;
    if (archive_read_open_filename(s->a, in->path, 64 * 1024) != ARCHIVE_OK) {
        int en = archive_errno(s->a);
        if (en == ENOENT || en == EACCES || en == EISDIR) {
            if (!r->o->skip_errors)
                rc = tp_error_set(run->err, TP_EIO, "%s: %s", in->path, strerror(en));
            else {
                tp_in_skip_input(run, in->path, strerror(en));
                rc = 1;
            }
        } else {
            rc = tp_error_set(run->err, TP_EIO, "%s: %s", in->path, why(s->a));
        }
    } else if (archive_read_next_header(s->a, &e) < ARCHIVE_WARN) {
        rc = tp_error_set(run->err, TP_EIO, "%s: %s (corrupt compressed data)", in->path,
                          why(s->a));
    }
    if (rc != 0) {
        archive_read_free(s->a);
        free(total);
        free(s);
        return rc;
    }
    run->src = s;
    return 0;
}

/* ---- archives ------------------------------------------------------------ */

/* Warn about member k of the archive being read, once over all runs. */
static void member_warn(struct run *run, uint64_t k, const char *msg)
{
    struct tp_reader *r = run->r;
    r->stats.skipped_inputs++;
    if (run->input < r->arch_warned_input ||
        (run->input == r->arch_warned_input && k <= r->arch_warned_member))
        return;
    r->arch_warned_input = run->input;
    r->arch_warned_member = k;
    tp_in_warn(r, msg);
}

/* Members that are not read, as hidden files are not read in folders: a
 * component starting with '.', and macOS's resource forks (__MACOSX/). */
static int hidden_member(const char *name)
{
    if (strncmp(name, "__MACOSX/", 9) == 0)
        return 1;
    for (const char *p = name; *p;) {
        if (*p == '.')
            return 1;
        const char *slash = strchr(p, '/');
        if (!slash)
            break;
        p = slash + 1;
    }
    return 0;
}

/* The archive could not be read on: an error, or with --skip-errors a
 * warning and the rest of it left out (members read stay counted). */
static int archive_failed(struct run *run, const char *msg)
{
    if (!run->r->o->skip_errors)
        return tp_error_set(run->err, TP_EIO, "%s", msg);
    tp_in_skip_input(run, msg, NULL);
    return 0;
}

int tp_in_read_archive(struct run *run, struct input *in)
{
    struct tp_reader *r = run->r;
    struct tp_src s;
    uint64_t total = 0, k = 0;
    char msg[1400], *path = NULL;
    const char *last = NULL; /* the last member read, for messages */
    size_t alen = strlen(in->path);
    int rc = 0;

    memset(&s, 0, sizeof(s));
    s.member = 1;
    s.total = &total;
    s.file = in->path;
    s.disk_size = in->size;
    s.total_cap = in->size * ARCHIVE_RATIO + doc_cap(r);
    s.cap = doc_cap(r);
    if (!(s.a = new_archive(1)))
        return nomem(run->err);
    if (archive_read_open_filename(s.a, in->path, 64 * 1024) != ARCHIVE_OK) {
        int e = archive_errno(s.a);
        snprintf(msg, sizeof(msg), "%s: %s", in->path,
                 e == ENOENT || e == EACCES || e == EISDIR ? strerror(e) : why(s.a));
        rc = archive_failed(run, msg);
        goto out;
    }
    for (;;) {
        struct archive_entry *e;
        int z = archive_read_next_header(s.a, &e);
        if (z == ARCHIVE_EOF)
            break;
        if (z < ARCHIVE_WARN) {
            if (last)
                snprintf(msg, sizeof(msg), "%s: %s (corrupt archive, after member %s)", in->path,
                         why(s.a), last);
            else
                snprintf(msg, sizeof(msg), "%s: %s (not a readable archive)", in->path,
                         why(s.a));
            rc = archive_failed(run, msg);
            break;
        }
        k++;
        const char *name = archive_entry_pathname_utf8(e);
        if (!name)
            name = archive_entry_pathname(e);
        if (!name || archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
            continue; /* folders, links, devices */
        while (name[0] == '.' && name[1] == '/')
            name += 2;
        if (name[0] == '\0' || hidden_member(name))
            continue;
        free(path);
        path = malloc(alen + strlen(name) + 2);
        if (!path) {
            rc = nomem(run->err);
            break;
        }
        snprintf(path, alen + strlen(name) + 2, "%s:%s", in->path, name);
        last = path + alen + 1;
        if (archive_entry_is_encrypted(e)) {
            snprintf(msg, sizeof(msg), "%s: encrypted member: skipped", path);
            member_warn(run, k, msg);
            continue;
        }
        size_t nn = strlen(name);
        if (tp_in_packed_kind(name, nn) || tp_in_ends_with(name, nn, ".gz")) {
            snprintf(msg, sizeof(msg),
                     "%s: an archive or compressed file inside an archive is not read (unpack "
                     "it first): skipped",
                     path);
            member_warn(run, k, msg);
            continue;
        }
        struct input member = {path, 0, 0, NULL};
        s.bytes = 0;
        s.pre_len = s.pre_pos = 0;
        run->src = &s;
        run->member_at = alen + 1;
        rc = tp_in_read_input(run, &member);
        run->src = NULL;
        run->member_at = 0;
        run->path = in->path;
        if (rc != 0)
            break;
    }
out:
    free(path);
    archive_read_free(s.a);
    run->src = NULL;
    run->done_base += in->size;
    return rc;
}
