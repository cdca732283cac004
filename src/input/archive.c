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
 * compressed file is opened by tp_in_open (open.c) as run->src. tp_in_read,
 * tp_in_peek and tp_in_close (common.c, open.c) turn to the functions here
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
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "dynlib.h"
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
    FILE *copy;         /* standard input or a pipe: its temporary copy (else NULL) */
    uint64_t disk_size;
    int spool;                      /* >= 0: members are read from this copy (not a) */
    uint64_t spool_off, spool_left; /* where the member being read is in it */
    uint64_t spool_base, spool_len; /* and where it starts, for a rewind */
};

/* libarchive, loaded on the first archive or compressed file (dynlib.h). */
#define ARCHIVE_API(X)                                                                             \
    X(archive_read_new)                                                                            \
    X(archive_read_free)                                                                           \
    X(archive_read_support_filter_gzip)                                                            \
    X(archive_read_support_filter_bzip2)                                                           \
    X(archive_read_support_filter_xz)                                                              \
    X(archive_read_support_filter_zstd)                                                            \
    X(archive_read_support_filter_lzma)                                                            \
    X(archive_read_support_format_tar)                                                             \
    X(archive_read_support_format_gnutar)                                                          \
    X(archive_read_support_format_zip)                                                             \
    X(archive_read_support_format_raw)                                                             \
    X(archive_read_open_filename)                                                                  \
    X(archive_read_open_FILE)                                                                      \
    X(archive_read_next_header)                                                                    \
    X(archive_read_data)                                                                           \
    X(archive_filter_code)                                                                         \
    X(archive_filter_bytes)                                                                        \
    X(archive_set_error)                                                                           \
    X(archive_errno)                                                                               \
    X(archive_error_string)                                                                        \
    X(archive_entry_pathname)                                                                      \
    X(archive_entry_pathname_utf8)                                                                 \
    X(archive_entry_filetype)                                                                      \
    X(archive_entry_hardlink)                                                                      \
    X(archive_entry_size)                                                                          \
    X(archive_entry_size_is_set)                                                                   \
    X(archive_entry_is_encrypted)

static struct {
    ARCHIVE_API(TP_DYN_SLOT)
} la;

static const char *const archive_names[] = {ARCHIVE_API(TP_DYN_NAME)};

static struct tp_dynlib libarchive = TP_DYNLIB_INIT(
    TP_SONAME_ARCHIVE, "archive and .zst, .xz, .bz2 input", archive_names, &la, NULL);

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
    struct archive *a = la.archive_read_new();
    if (!a)
        return NULL;
    la.archive_read_support_filter_gzip(a);
    la.archive_read_support_filter_bzip2(a);
    la.archive_read_support_filter_xz(a);
    la.archive_read_support_filter_zstd(a);
    la.archive_read_support_filter_lzma(a);
    if (kind == 1) {
        la.archive_read_support_format_tar(a);
        la.archive_read_support_format_gnutar(a);
        la.archive_read_support_format_zip(a);
    } else {
        la.archive_read_support_format_raw(a);
    }
    return a;
}

/* Open a on the file at path, or on the temporary copy of a stream. A file
 * is opened here first, without waiting, and must still be a regular file
 * (a FIFO put in its place since it was listed would make libarchive's open
 * wait for a writer); libarchive then opens that same file through
 * /dev/fd/N, not the path again. */
static int open_on(struct archive *a, const char *path, FILE *copy)
{
    if (!copy) {
        char via[32];
        int other;
        int fd = tp_open_listed(path, &other);
        if (other) {
            la.archive_set_error(a, EINVAL, "%s", tp_not_regular_why);
            return ARCHIVE_FATAL;
        }
        if (fd < 0) /* libarchive says why, as it always did */
            return la.archive_read_open_filename(a, path, 64 * 1024);
        snprintf(via, sizeof(via), "/dev/fd/%d", fd);
        int rc = la.archive_read_open_filename(a, access(via, F_OK) == 0 ? via : path, 64 * 1024);
        close(fd);
        return rc;
    }
    rewind(copy);
    return la.archive_read_open_FILE(a, copy);
}

/* libarchive's reason for a failure of a. */
static const char *why(struct archive *a)
{
    const char *s = la.archive_error_string(a);
    if (s)
        return s;
    return la.archive_errno(a) ? strerror(la.archive_errno(a)) : "unreadable archive";
}

/* ---- reading through a source ------------------------------------------- */

/* Up to cap decompressed bytes from libarchive (fewer only at the end),
 * counted against the caps. */
static int pull(struct run *run, struct tp_src *s, unsigned char *buf, size_t cap, size_t *got)
{
    size_t n = 0;
    if (s->member && s->spool >= 0) {
        /* a member copied to the spool file: counted and capped already */
        while (n < cap && s->spool_left > 0) {
            size_t want = cap - n < s->spool_left ? cap - n : (size_t)s->spool_left;
            ssize_t k = pread(s->spool, buf + n, want, (off_t)s->spool_off);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                return tp_error_set(run->err, TP_EIO, "%s: temporary copy: %s", run->path,
                                    k < 0 ? strerror(errno) : "ends too early");
            n += (size_t)k;
            s->spool_off += (uint64_t)k;
            s->spool_left -= (uint64_t)k;
        }
        *got = n;
        return 0;
    }
    while (n < cap) {
        la_ssize_t k = la.archive_read_data(s->a, buf + n, cap - n);
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

/* Open the single compressed file s->file into s->a, at its one entry. */
static int open_single(struct run *run, struct tp_src *s)
{
    struct archive_entry *e;
    if (!(s->a = new_archive(2)))
        return nomem(run->err);
    if (open_on(s->a, s->file, s->copy) != ARCHIVE_OK) {
        int en = la.archive_errno(s->a);
        return tp_error_set(run->err, TP_EIO, "%s: %s", s->file,
                            en == ENOENT || en == EACCES || en == EISDIR ? strerror(en)
                                                                         : why(s->a));
    }
    if (la.archive_read_next_header(s->a, &e) < ARCHIVE_WARN)
        return tp_error_set(run->err, TP_EIO, "%s: %s (corrupt compressed data)", s->file,
                            why(s->a));
    return 0;
}

int tp_in_src_rewind(struct run *run)
{
    struct tp_src *s = run->src;
    s->pre_len = s->pre_pos = 0;
    if (s->member && s->spool >= 0) {
        s->spool_off = s->spool_base;
        s->spool_left = s->spool_len;
        return 0;
    }
    if (s->member)
        return tp_error_set(run->err, TP_EINTERNAL, "%s: cannot be read twice", run->path);
    /* a compressed file is decompressed again from its start, as gzrewind does */
    la.archive_read_free(s->a);
    s->a = NULL;
    s->bytes = 0;
    *s->total = 0;
    return open_single(run, s);
}

uint64_t tp_in_src_offset(const struct run *run)
{
    la_int64_t k = la.archive_filter_bytes(run->src->a, -1);
    return k > 0 ? (uint64_t)k : 0;
}

void tp_in_src_close(struct run *run)
{
    struct tp_src *s = run->src;
    run->src = NULL;
    if (!s || s->member)
        return; /* the archive's loop frees its own */
    if (s->a)
        la.archive_read_free(s->a);
    free(s->total);
    free(s);
}

/* ---- a single compressed file -------------------------------------------- */

/* The size of a stream's temporary copy. */
static uint64_t copy_size(const struct input *in)
{
    struct stat st;
    return in->copy && fstat(fileno(in->copy), &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* What a stream (standard input, a pipe) holds: an archive (1), data
 * compressed with zstd, xz or bzip2 (2), or something else (0, gzip data
 * included: zlib reads it), as libarchive's bidders see it: a tar or zip
 * archive when its first entry reads (a compressed tar too), compressed data
 * when a filter takes it. */
static int stream_kind(FILE *copy)
{
    struct archive_entry *e;
    struct archive *a = new_archive(1);
    int kind = 0;
    if (a && open_on(a, "-", copy) == ARCHIVE_OK &&
        la.archive_read_next_header(a, &e) >= ARCHIVE_WARN)
        kind = 1;
    if (a)
        la.archive_read_free(a);
    if (kind == 0 && (a = new_archive(2)) != NULL) {
        /* libarchive's bidders check more than the magic number */
        if (open_on(a, "-", copy) == ARCHIVE_OK) {
            int f = la.archive_filter_code(a, 0);
            kind = f == ARCHIVE_FILTER_ZSTD || f == ARCHIVE_FILTER_XZ ||
                           f == ARCHIVE_FILTER_BZIP2 || f == ARCHIVE_FILTER_LZMA
                       ? 2
                       : 0;
        }
        la.archive_read_free(a);
    }
    rewind(copy);
    return kind;
}

/* Whether a stream could be anything stream_kind finds, from its first
 * bytes: a zip ("PK"), gzip, bzip2 ("BZh"), zstd (or its skippable frame)
 * magic number, or a NUL byte in the first 520 (every tar header holds some,
 * and so do the xz and lzma headers). Text has none of them, so a text on
 * standard input is read without loading libarchive. */
static int may_be_packed(FILE *copy)
{
    unsigned char b[520];
    rewind(copy);
    size_t n = fread(b, 1, sizeof(b), copy);
    rewind(copy);
    if (n >= 2 && ((b[0] == 'P' && b[1] == 'K') || (b[0] == 0x1f && b[1] == 0x8b)))
        return 1;
    if (n >= 3 && memcmp(b, "BZh", 3) == 0)
        return 1;
    if (n >= 4 && ((b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) ||
                   ((b[0] & 0xf0) == 0x50 && b[1] == 0x2a && b[2] == 0x4d && b[3] == 0x18)))
        return 1;
    return memchr(b, 0, n) != NULL;
}

int tp_in_input_kind(struct run *run, struct input *in)
{
    struct tp_reader *r = run->r;
    if (!in->stream)
        return r->ranged ? 0 : tp_in_packed_kind(in->path, strlen(in->path));
    if (r->kind_of == in + 1)
        return r->kind_known;
    int rc = in->copy ? 0 : tp_in_copy_stream(run, in);
    if (rc < 0)
        return rc;
    int packed = may_be_packed(in->copy);
    if (packed && (rc = tp_dynlib_need(&libarchive, in->path, run->err)) < 0)
        return rc;
    r->kind_of = in + 1;
    r->kind_known = packed ? stream_kind(in->copy) : 0;
    return r->kind_known;
}

int tp_in_src_open(struct run *run, struct input *in)
{
    struct tp_reader *r = run->r;
    struct tp_src *s = calloc(1, sizeof(*s));
    uint64_t *total = calloc(1, sizeof(*total));
    int rc;

    if (!s || !total) {
        free(s);
        free(total);
        return nomem(run->err);
    }
    if ((rc = tp_dynlib_need(&libarchive, in->path, run->err)) < 0) {
        free(s);
        free(total);
        return rc;
    }
    s->total = total;
    s->file = in->path;
    s->copy = in->stream ? in->copy : NULL;
    s->disk_size = in->stream ? copy_size(in) : in->size;
    s->total_cap = s->disk_size * ARCHIVE_RATIO + doc_cap(r);
    if ((rc = open_single(run, s)) != 0) {
        if (s->a)
            la.archive_read_free(s->a);
        free(total);
        free(s);
        if (rc != TP_EIO || !r->o->skip_errors)
            return rc;
        tp_in_skip_input(run, run->err->msg, NULL); /* as a file that does not open */
        return 1;
    }
    run->src = s;
    return 0;
}

/* ---- archives ------------------------------------------------------------ */

/* Warn about the k-th member (in path order) of the archive being read,
 * once over all runs. */
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
 * component starting with '.' (other than . and ..), and macOS's resource
 * forks (__MACOSX/). */
static int hidden_member(const char *name)
{
    if (strncmp(name, "__MACOSX/", 9) == 0)
        return 1;
    for (const char *p = name; *p;) {
        /* "." and ".." are path syntax, not hidden names */
        size_t k = strcspn(p, "/");
        if (*p == '.' && !(k == 1 || (k == 2 && p[1] == '.')))
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

/* A member to read, in the list pass 1 makes. */
struct member {
    char *path;        /* "ARCHIVE:name" */
    uint64_t k;        /* its place among the archive's entries (1-based) */
    int skip;          /* 0 read it, 1 encrypted, 2 an archive or compressed file */
    uint64_t off, len; /* where a spooled member is in the spool file */
};

static int cmp_member(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : (x->k > y->k) - (x->k < y->k);
}

static int cmp_k(const void *a, const void *b)
{
    const struct member *x = *(struct member *const *)a, *y = *(struct member *const *)b;
    return (x->k > y->k) - (x->k < y->k);
}

/* Open the archive `in` into s->a: 0, or < 0 with msg filled. */
static int open_archive(struct tp_src *s, const struct input *in, char *msg, size_t cap)
{
    if (!(s->a = new_archive(1)))
        return TP_ENOMEM;
    if (open_on(s->a, in->path, in->stream ? in->copy : NULL) == ARCHIVE_OK)
        return 0;
    int e = la.archive_errno(s->a);
    snprintf(msg, cap, "%s: %s", in->path,
             e == ENOENT || e == EACCES || e == EISDIR ? strerror(e) : why(s->a));
    return TP_EIO;
}

/* The next entry of s->a that is a regular file: 1 with *name (the member's
 * name, "./" removed; NULL for one that is not read at all: hidden), 0 at
 * the end, < 0 with msg filled. */
static int next_entry(struct tp_src *s, const struct input *in, uint64_t *k,
                      struct archive_entry **e, const char **name, const char *last, char *msg,
                      size_t cap)
{
    for (;;) {
        int z = la.archive_read_next_header(s->a, e);
        if (z == ARCHIVE_EOF)
            return 0;
        if (z < ARCHIVE_WARN) {
            if (last)
                snprintf(msg, cap, "%s: %s (corrupt archive, after member %s)", in->path, why(s->a),
                         last);
            else
                snprintf(msg, cap, "%s: %s (not a readable archive)", in->path, why(s->a));
            return TP_EIO;
        }
        (*k)++;
        const char *nm = la.archive_entry_pathname_utf8(*e);
        if (!nm)
            nm = la.archive_entry_pathname(*e);
        if (!nm || la.archive_entry_filetype(*e) != AE_IFREG || la.archive_entry_hardlink(*e))
            continue; /* folders, links, devices */
        while (nm[0] == '.' && nm[1] == '/')
            nm += 2;
        *name = nm[0] == '\0' || hidden_member(nm) ? NULL : nm;
        return 1;
    }
}

/* Pass 1: the members to read, with what is to be done with each, sorted by
 * path. *sorted says whether the archive holds them in that order already. */
static int list_members(const struct input *in, struct member **out, size_t *n_out, int *sorted,
                        char *msg, size_t cap)
{
    struct tp_src s;
    struct member *m = NULL;
    size_t n = 0, n_cap = 0, alen = strlen(in->path);
    uint64_t k = 0;
    const char *name;
    struct archive_entry *e;
    int rc;

    memset(&s, 0, sizeof(s));
    rc = open_archive(&s, in, msg, cap);
    while (rc == 0 && (rc = next_entry(&s, in, &k, &e, &name, n ? m[n - 1].path + alen + 1 : NULL,
                                       msg, cap)) == 1) {
        rc = 0;
        if (!name)
            continue;
        if (n == n_cap) {
            size_t c = n_cap ? n_cap * 2 : 64;
            struct member *p = realloc(m, c * sizeof(*p));
            if (!p) {
                rc = TP_ENOMEM;
                break;
            }
            m = p;
            n_cap = c;
        }
        size_t nn = strlen(name);
        memset(&m[n], 0, sizeof(m[n]));
        if (!(m[n].path = malloc(alen + nn + 2))) {
            rc = TP_ENOMEM;
            break;
        }
        memcpy(m[n].path, in->path, alen);
        m[n].path[alen] = ':';
        memcpy(m[n].path + alen + 1, name, nn + 1);
        m[n].k = k;
        if (la.archive_entry_is_encrypted(e))
            m[n].skip = 1;
        else if (tp_in_packed_kind(name, nn) || tp_in_ends_with(name, nn, ".gz"))
            m[n].skip = 2;
        n++;
    }
    if (s.a)
        la.archive_read_free(s.a);
    *out = m;
    *n_out = n;
    *sorted = 1;
    for (size_t i = 1; i < n; i++)
        if (strcmp(m[i - 1].path, m[i].path) > 0)
            *sorted = 0;
    if (!*sorted)
        qsort(m, n, sizeof(*m), cmp_member);
    return rc;
}

/* Read one listed member through the dispatch, with s as its source. */
static int read_member(struct run *run, const struct input *in, struct tp_src *s, struct member *m,
                       size_t i)
{
    char msg[1400];
    if (m->skip) {
        if (m->skip == 1)
            snprintf(msg, sizeof(msg), "%s: encrypted member: skipped", m->path);
        else
            snprintf(msg, sizeof(msg),
                     "%s: an archive or compressed file inside an archive is not read (unpack "
                     "it first): skipped",
                     m->path);
        member_warn(run, i + 1, msg);
        return 0;
    }
    struct input member = {.path = m->path};
    s->bytes = 0;
    s->pre_len = s->pre_pos = 0;
    s->spool_off = s->spool_base = m->off;
    s->spool_left = s->spool_len = m->len;
    run->src = s;
    run->member_at = strlen(in->path) + 1;
    int rc = tp_in_read_input(run, &member);
    run->src = NULL;
    run->member_at = 0;
    run->path = in->path;
    return rc;
}

/* The data of member p (the entry s->a is at) appended to f at *off. */
static int copy_member(struct run *run, struct tp_src *s, FILE *f, struct member *p, uint64_t *off)
{
    int rc;
    p->off = *off;
    run->path = p->path;
    s->bytes = 0;
    for (;;) {
        size_t got = 0;
        if ((rc = pull(run, s, run->r->raw, CHUNK, &got)) < 0)
            return rc;
        if (got > 0 && fwrite(run->r->raw, 1, got, f) != got)
            return tp_error_set(run->err, TP_EIO, "temporary copy of %s: %s", p->path,
                                strerror(errno));
        *off += got;
        if (got < CHUNK)
            break;
    }
    p->len = *off - p->off;
    if (fflush(f) != 0)
        return tp_error_set(run->err, TP_EIO, "temporary copy of %s: %s", p->path, strerror(errno));
    return 0;
}

/* Pass 2 of an archive not in path order: every member to read copied, in
 * the archive's order, into an unnamed temporary file (the caps apply), then
 * read from there in path order. */
static int spool_members(struct run *run, const struct input *in, struct tp_src *s,
                         struct member *m, size_t n, char *msg, size_t cap)
{
    struct member **by_k = malloc((n ? n : 1) * sizeof(*by_k));
    FILE *f = tmpfile();
    uint64_t k = 0, off = 0;
    size_t j = 0;
    const char *name, *last = NULL;
    struct archive_entry *e;
    int rc = 0;

    if (!by_k || !f) {
        rc = f ? TP_ENOMEM
               : tp_error_set(run->err, TP_EIO, "cannot create a temporary file for %s: %s",
                              in->path, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        by_k[i] = &m[i];
    qsort(by_k, n, sizeof(*by_k), cmp_k); /* the archive's order */
    s->spool = -1;
    while (j < n && (rc = next_entry(s, in, &k, &e, &name, last, msg, cap)) == 1) {
        rc = 0;
        if (k != by_k[j]->k)
            continue;
        struct member *p = by_k[j++];
        last = p->path + strlen(in->path) + 1;
        if (p->skip)
            continue;
        if ((rc = copy_member(run, s, f, p, &off)) < 0)
            goto out;
    }
    if (rc < 0)
        goto out;
    if (fflush(f) != 0) {
        rc = tp_error_set(run->err, TP_EIO, "temporary copy of %s: %s", in->path, strerror(errno));
        goto out;
    }
    run->path = in->path;
    s->spool = fileno(f);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = read_member(run, in, s, &m[i], i);
out:
    run->path = in->path;
    free(by_k);
    if (f)
        fclose(f);
    return rc;
}

int tp_in_read_archive(struct run *run, struct input *in)
{
    struct tp_reader *r = run->r;
    struct tp_src s;
    struct member *m = NULL;
    size_t n = 0;
    uint64_t total = 0;
    char msg[1400];
    int sorted = 1, rc;

    if ((rc = tp_dynlib_need(&libarchive, in->path, run->err)) < 0)
        return rc;
    memset(&s, 0, sizeof(s));
    s.member = 1;
    s.spool = -1;
    s.total = &total;
    s.file = in->path;
    s.disk_size = in->stream ? copy_size(in) : in->size;
    s.total_cap = s.disk_size * ARCHIVE_RATIO + doc_cap(r);
    s.cap = doc_cap(r);
    msg[0] = '\0';
    rc = list_members(in, &m, &n, &sorted, msg, sizeof(msg));
    if (rc == 0)
        rc = open_archive(&s, in, msg, sizeof(msg));
    if (rc == 0 && !sorted) {
        rc = spool_members(run, in, &s, m, n, msg, sizeof(msg));
    } else if (rc == 0) {
        /* pass 2: the members as the archive holds them, already in path order */
        uint64_t k = 0;
        size_t j = 0;
        const char *name, *last = NULL;
        struct archive_entry *e;
        FILE *big = NULL;
        while (j < n && (rc = next_entry(&s, in, &k, &e, &name, last, msg, sizeof(msg))) == 1) {
            rc = 0;
            if (k != m[j].k)
                continue;
            last = m[j].path + strlen(in->path) + 1;
            /* a member that may be read twice (a long text file whose
             * encoding is checked first) comes from a copy */
            if (!m[j].skip && (!la.archive_entry_size_is_set(e) ||
                               la.archive_entry_size(e) >= (la_int64_t)SMALL_DOC)) {
                uint64_t off = 0;
                if (!big && !(big = tmpfile())) {
                    rc = tp_error_set(run->err, TP_EIO, "cannot create a temporary file for %s: %s",
                                      in->path, strerror(errno));
                    break;
                }
                if (ftruncate(fileno(big), 0) != 0 || fseek(big, 0, SEEK_SET) != 0 ||
                    (rc = copy_member(run, &s, big, &m[j], &off)) < 0) {
                    if (rc == 0)
                        rc = tp_error_set(run->err, TP_EIO, "temporary copy of %s: %s", m[j].path,
                                          strerror(errno));
                    break;
                }
                s.spool = fileno(big);
            }
            rc = read_member(run, in, &s, &m[j], j);
            j++;
            s.spool = -1;
            if (rc != 0)
                break;
        }
        if (big)
            fclose(big);
        run->path = in->path;
    }
    if (rc == TP_ENOMEM && msg[0] == '\0')
        rc = nomem(run->err);
    else if (rc == TP_EIO && msg[0] != '\0')
        rc = archive_failed(run, msg);
    for (size_t i = 0; i < n; i++)
        free(m[i].path);
    free(m);
    if (s.a)
        la.archive_read_free(s.a);
    run->src = NULL;
    run->done_base += in->size;
    return rc;
}
