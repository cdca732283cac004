/*
 * input/walk.c - which files are read: the INPUT list expanded (directories
 * walked in bytewise path order, hidden entries skipped, symbolic links
 * followed to files only, "-" for standard input). Opening each input for its
 * pass is input/open.c's.
 *
 * Where it sits: called by reader.c (tp_reader_new expands); uses
 * input/common.c and input/ahead.c (the statx ring). Core data structure: the array of
 * struct input in struct tp_reader (path, size on disk, whether it is a
 * stream and its temporary copy), in the order the inputs are read.
 */
#define _DEFAULT_SOURCE /* DT_DIR, DT_REG: what readdir says an entry is */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"

/* ---- expanding the inputs ------------------------------------------------ */

/* A missing or unreadable input: an error, or with --skip-errors a warning. */
static int input_failed(struct tp_reader *r, const char *path, int errnum, struct tp_error *err)
{
    char msg[1024];

    if (!r->o->skip_errors)
        return tp_error_set(err, TP_EIO, "%s: %s", path, strerror(errnum));
    snprintf(msg, sizeof(msg), "%s: %s (skipped)", path, strerror(errnum));
    tp_in_warn(r, msg);
    r->skipped_new++;
    return 0;
}

/* Room for want inputs in all (not less than twice what there is). */
static int reserve_inputs(struct tp_reader *r, size_t want)
{
    if (want > r->cap_in) {
        size_t cap = r->cap_in ? r->cap_in * 2 : 16;
        if (cap < want)
            cap = want;
        struct input *in = realloc(r->in, cap * sizeof(*in));
        if (!in)
            return TP_ENOMEM;
        r->in = in;
        char **paths = realloc(r->paths, cap * sizeof(*paths));
        if (!paths)
            return TP_ENOMEM;
        r->paths = paths;
        r->cap_in = cap;
    }
    return 0;
}

static int add_input(struct tp_reader *r, char *path, uint64_t size, int stream)
{
    if (reserve_inputs(r, r->n_in + 1))
        return TP_ENOMEM;
    r->in[r->n_in].path = path;
    r->in[r->n_in].size = size;
    r->in[r->n_in].stream = stream;
    r->in[r->n_in].regular = 0;
    r->in[r->n_in].copy = NULL;
    r->in[r->n_in].pooled = 0;
    r->in[r->n_in].unsized = 0;
    r->paths[r->n_in] = path;
    r->n_in++;
    r->total_bytes += size;
    r->has_stream |= stream;
    return 0;
}

/* Whether the mode bits alone say the file opens for reading by this
 * process: its owner with u+r, or anyone else when group and others both
 * have r (whatever group the process is in). Otherwise access(2) is asked
 * (root is not taken as able to read anything: it may lack the capability). An access control list
 * or a security module may still refuse such a file: it then fails when it is opened, with the same
 * message. */
static int mode_reads(const struct stat *st, uid_t euid)
{
    if (st->st_uid == euid)
        return (st->st_mode & S_IRUSR) != 0;
    return (st->st_mode & (S_IRGRP | S_IROTH)) == (S_IRGRP | S_IROTH);
}

/* Whether a regular file opens for reading by a process of effective user
 * euid: 0, or the reason it does not (an errno value). name is in the
 * folder dfd (or a path, with AT_FDCWD). */
static int readable(int dfd, const char *name, const struct stat *st, uid_t euid)
{
    if (mode_reads(st, euid) || faccessat(dfd, name, R_OK, AT_EACCESS) == 0)
        return 0;
    return errno;
}

/* Add a regular file found or named, path owned by the list from now on (it
 * is freed on failure). */
static int add_owned(struct tp_reader *r, char *path, uint64_t size, int regular,
                     struct tp_error *err)
{
    if (add_input(r, path, size, 0) < 0) {
        free(path);
        return nomem(err);
    }
    r->in[r->n_in - 1].regular = regular;
    return 0;
}

/* Add a regular file named: it must open for reading, which is asked
 * without opening it. */
static int add_file(struct tp_reader *r, const char *path, const struct stat *st,
                    struct tp_error *err)
{
    int e = readable(AT_FDCWD, path, st, geteuid());
    if (e)
        return input_failed(r, path, e, err);
    char *copy = strdup(path);
    if (!copy)
        return nomem(err);
    return add_owned(r, copy, (uint64_t)st->st_size, S_ISREG(st->st_mode), err);
}

/* A name to sort: its first 8 bytes as a big-endian number (zero padded),
 * which orders most names without a call to strcmp. */
struct keyed {
    uint64_t key;
    char *name;
};

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    /* the same first 8 bytes: a name that short ends there (its key's
     * lowest byte is 0), so both go on past them */
    return (x->key & 0xff) ? strcmp(x->name + 8, y->name + 8) : 0;
}

static uint64_t name_key(const char *s)
{
    uint64_t k = 0;
    for (int i = 0; i < 8; i++) {
        k = k << 8 | (unsigned char)*s;
        s += *s != 0;
    }
    return k;
}

/* What one entry of a walked folder is. */
enum kind { SKIP, FILE_IN, DIR_IN, FAILED };

/* 16 bytes, not a struct stat (144): a folder of 200,000 files fills an
 * array of these, and each new page of it costs a page fault */
struct look {
    unsigned char kind; /* enum kind */
    int err;            /* FAILED: the errno value */
    uint64_t size;      /* FILE_IN: the file's (a link's target's) size */
};

/* Look at one entry, named name in the folder dfd (or a path, AT_FDCWD): a
 * folder, a regular file that opens for reading (a symbolic link is followed
 * to a file, never to a folder), something skipped, or a failure. */
static void look_at(int dfd, const char *name, uid_t euid, struct look *l)
{
    struct stat st;
    l->kind = SKIP;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        goto failed;
    if (S_ISDIR(st.st_mode)) {
        l->kind = DIR_IN;
        return;
    }
    if (S_ISLNK(st.st_mode) && fstatat(dfd, name, &st, 0) < 0)
        goto failed;
    if (!S_ISREG(st.st_mode))
        return;
    l->kind = FILE_IN;
    l->size = (uint64_t)st.st_size;
    if ((l->err = readable(dfd, name, &st, euid)) != 0)
        l->kind = FAILED;
    return;
failed:
    l->kind = FAILED;
    l->err = errno;
}

/* look_at from what io_uring's statx said of the entry (a symbolic link is
 * looked at again, to follow it). */
static void look_stat(int dfd, const char *name, uid_t euid, const struct tp_in_stat *s,
                      struct look *l)
{
    struct stat st;
    if (s->err) {
        l->kind = FAILED;
        l->err = s->err;
        return;
    }
    if (S_ISLNK(s->mode)) {
        look_at(dfd, name, euid, l);
        return;
    }
    l->kind = S_ISDIR(s->mode) ? DIR_IN : S_ISREG(s->mode) ? FILE_IN : SKIP;
    if (l->kind != FILE_IN)
        return;
    memset(&st, 0, sizeof(st));
    st.st_mode = s->mode;
    st.st_uid = s->uid;
    l->size = s->size;
    if ((l->err = readable(dfd, name, &st, euid)) != 0)
        l->kind = FAILED;
}

/* The entry's name in the folder dfd (list_names put the slash), or its whole
 * path when the folder did not open or the path is too long to open
 * (refused when listed, as it always was): *at is the folder to use. */
static const char *entry_name(const char *path, int dfd, int *at)
{
    *at = dfd;
    if (dfd == AT_FDCWD || strlen(path) >= PATH_MAX)
        return *at = AT_FDCWD, path;
    return strrchr(path, '/') + 1;
}

/* An entry of a typed folder that is looked at all the same (a link, a
 * compressed file, an archive, anything not a folder or a regular file): no
 * d_type has this value. */
enum { LOOK = 0xff };

/* Files of a typed folder whose sizes are looked at, as a sample. */
enum { SIZE_SAMPLE = 32 };

/* A large folder's entries looked at on several threads: each costs a
 * system call or two, most of the time of listing a folder of many small
 * files, and the counting threads wait for the whole list. */
enum { LOOK_PAR_MIN = 2048, LOOK_BATCH = 256, LOOK_THREADS_MAX = 8 };

struct looks {
    char **names;
    size_t n;
    size_t off; /* the names in the folder start off bytes into the paths */
    int dfd;
    uid_t euid;
    struct look *out;
    size_t next; /* the next batch's first entry, taken atomically */
};

static void *looks_main(void *arg)
{
    struct looks *ls = arg;
    for (;;) {
        size_t i = __atomic_fetch_add(&ls->next, LOOK_BATCH, __ATOMIC_RELAXED);
        if (i >= ls->n)
            return NULL;
        size_t end = i + LOOK_BATCH < ls->n ? i + LOOK_BATCH : ls->n;
        for (; i < end; i++)
            look_at(ls->dfd, ls->names[i] + ls->off, ls->euid, &ls->out[i]);
    }
}

/* Look at names[0..n) (paths, of names off bytes into them) in dfd on up to
 * threads threads (this one too): the array of results, or NULL when it is
 * not worth it, a path may be too long to open (entry_name) or memory is
 * short (then each entry is looked at as it comes). */
static struct look *look_all(char **names, size_t n, size_t off, int dfd, uid_t euid, long threads)
{
    if (n < LOOK_PAR_MIN || dfd == AT_FDCWD || off + NAME_MAX >= PATH_MAX)
        return NULL;
    if (threads > LOOK_THREADS_MAX)
        threads = LOOK_THREADS_MAX;
    struct looks ls = {.names = names, .n = n, .off = off, .dfd = dfd, .euid = euid};
    pthread_t tid[LOOK_THREADS_MAX];
    long started = 0;
    ls.out = malloc(n * sizeof(*ls.out));
    if (!ls.out)
        return NULL;
    /* through io_uring: a system call for 256 entries instead of one each
     * (measured on 200,000 files: 0.55 -> 0.50 CPU seconds on one thread) */
    struct tp_in_stat *st = malloc(n * sizeof(*st));
    if (st && tp_in_ring_stat(dfd, names, off, n, threads > 0 ? (unsigned)threads : 1, st) == 0) {
        for (size_t i = 0; i < n; i++)
            look_stat(dfd, names[i] + off, euid, &st[i], &ls.out[i]);
        free(st);
        return ls.out;
    }
    free(st);
    if (threads < 2) {
        free(ls.out);
        return NULL;
    }
    while (started < threads - 1 && pthread_create(&tid[started], NULL, looks_main, &ls) == 0)
        started++;
    looks_main(&ls);
    for (long t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    return ls.out;
}

/* The entries of dir (hidden ones left out) as paths dir/NAME in bytewise
 * order of their names, all in one block (*pool, kept by the reader): one
 * allocation instead of one a name, and files later read in the order their
 * paths lie in memory. *n names, each off bytes into its path, and
 * (*types_out) what readdir said each is (d_type; DT_UNKNOWN where the file
 * system does not say). Returns 0 or an errno value: ENOMEM (nothing
 * allocated), or readdir's (the names read before it are given). */
static int list_names(DIR *d, const char *dir, char ***names_out, size_t *n_out, size_t *off_out,
                      char **pool_out, unsigned char **types_out)
{
    unsigned char *types = NULL;
    char *raw = NULL, *pool = NULL, **names = NULL;
    size_t raw_len = 0, raw_cap = 0, n = 0, cap = 0;
    size_t *at = NULL;
    int e = 0;
    for (;;) {
        struct dirent *de;
        errno = 0;
        de = readdir(d);
        if (!de) {
            e = errno;
            break;
        }
        if (de->d_name[0] == '.')
            continue;
        /* the type byte, then the name */
        size_t len = strlen(de->d_name) + 2;
        if (raw_len + len > raw_cap || n == cap) {
            size_t rc = raw_len + len > raw_cap ? (raw_cap + len) * 2 : raw_cap;
            size_t c = n == cap ? (cap ? cap * 2 : 32) : cap;
            char *p = realloc(raw, rc);
            if (!p) {
                e = ENOMEM;
                break;
            }
            raw = p;
            raw_cap = rc;
            size_t *q = realloc(at, c * sizeof(*q));
            if (!q) {
                e = ENOMEM;
                break;
            }
            at = q;
            cap = c;
        }
        raw[raw_len] = de->d_type;
        memcpy(raw + raw_len + 1, de->d_name, len - 1);
        at[n++] = raw_len + 1;
        raw_len += len;
    }
    if (e != ENOMEM && n > 0) { /* after a failed readdir, the names read before */
        /* dir + "/" as join_path makes it, then each name after it */
        size_t dn = strlen(dir);
        while (dn > 1 && dir[dn - 1] == '/')
            dn--;
        size_t off = dn + (dir[dn - 1] != '/');
        names = malloc(n * sizeof(*names));
        pool = malloc(n * off + raw_len);
        types = malloc(n);
        struct keyed *ks = malloc(n * sizeof(*ks));
        if (!names || !pool || !types || !ks) {
            free(ks);
            e = ENOMEM;
            n = 0;
        } else {
            /* sorted by the names alone: the folder's path before them is
             * the same */
            for (size_t i = 0; i < n; i++)
                ks[i] = (struct keyed){name_key(raw + at[i]), raw + at[i]};
            qsort(ks, n, sizeof(*ks), cmp_keyed);
            for (size_t i = 0; i < n; i++)
                names[i] = ks[i].name;
            free(ks);
            char *w = pool;
            for (size_t i = 0; i < n; i++) {
                size_t len = strlen(names[i]) + 1;
                types[i] = (unsigned char)names[i][-1];
                memcpy(w, dir, dn);
                w[off - 1] = '/';
                memcpy(w + off, names[i], len);
                names[i] = w;
                w += off + len;
            }
            *off_out = off;
        }
    }
    free(raw);
    free(at);
    if (e == ENOMEM) {
        free(names);
        free(pool);
        free(types);
        return e;
    }
    *names_out = names;
    *n_out = n;
    *pool_out = pool;
    *types_out = types;
    return 0;
}

/* Keep pool (the paths of a walked folder) until the reader is freed. */
static int keep_pool(struct tp_reader *r, char *pool)
{
    char **p = realloc(r->pools, (r->n_pools + 1) * sizeof(*p));
    if (!p)
        return -1;
    r->pools = p;
    r->pools[r->n_pools++] = pool;
    return 0;
}

/* Collect the regular files under dir. Hidden entries are skipped; a symbolic
 * link is followed to a file but never to a directory, so a link cycle cannot
 * make the walk endless. */
static int walk(struct tp_reader *r, const char *dir, struct tp_error *err)
{
    DIR *d = opendir(dir);
    char **names = NULL, *pool = NULL;
    unsigned char *types = NULL;
    struct look *looks = NULL;
    uid_t euid = geteuid();
    size_t n = 0, off = 0;
    int rc = 0;

    if (!d)
        return input_failed(r, dir, errno, err);
    /* Sorting here only fixes the order of warnings; the caller sorts the
     * whole list by path. Entries are then looked at relative to the open
     * folder: no walk down its path for each of them. */
    int e = list_names(d, dir, &names, &n, &off, &pool, &types);
    if (pool && keep_pool(r, pool) < 0) {
        free(pool);
        e = ENOMEM;
    }
    if (e == ENOMEM)
        rc = nomem(err);
    else if (e)
        rc = input_failed(r, dir, e, err);
    /* A large folder whose entries readdir typed: its folders and regular
     * files are taken as typed, without looking at each (a system call
     * apiece, most of the time of listing 200,000 small files); a file's
     * size is then learned as it is read (struct input's unsized), and one
     * that does not open is refused when read, as a file that changed since
     * listed is. Links, compressed files and archives are looked at. */
    int typed = rc == 0 && n >= LOOK_PAR_MIN && off + NAME_MAX < PATH_MAX && types;
    size_t to_look = 0; /* entries looked at one by one when typed: types[i] LOOK */
    for (size_t i = 0; typed && i < n; i++) {
        typed = types[i] != DT_UNKNOWN;
        size_t len = types[i] == DT_REG ? strlen(names[i] + off) : 0;
        if ((types[i] != DT_DIR && types[i] != DT_REG) ||
            (len && (tp_in_ends_with(names[i] + off, len, ".gz") ||
                     tp_in_packed_kind(names[i] + off, len)))) {
            types[i] = LOOK;
            to_look++;
        }
    }
    /* as many as make it worth looking at all of them through io_uring */
    typed &= to_look < LOOK_PAR_MIN;
    if (rc == 0 && reserve_inputs(r, r->n_in + n))
        rc = nomem(err);
    if (rc == 0 && !typed) {
        long threads = r->o->threads > 0 ? r->o->threads : sysconf(_SC_NPROCESSORS_ONLN);
        looks = look_all(names, n, off, dirfd(d), euid, threads);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct look one = {SKIP, 0, 0}, *l = looks ? &looks[i] : &one;
        int unsized = 0;
        if (typed && types[i] != LOOK) {
            one.kind = types[i] == DT_DIR ? DIR_IN : FILE_IN;
            unsized = one.kind == FILE_IN;
        } else if (!looks) {
            if (!d)
                d = opendir(dir);
            int at;
            const char *name = entry_name(names[i], d ? dirfd(d) : AT_FDCWD, &at);
            look_at(at, name, euid, &one);
        }
        if (l->kind == FAILED) {
            rc = input_failed(r, names[i], l->err, err);
        } else if (l->kind == DIR_IN) {
            /* one folder open at a time, however deep the tree */
            if (d)
                closedir(d);
            d = NULL;
            r->walk_nested = 1;
            rc = walk(r, names[i], err);
        } else if (l->kind == FILE_IN) {
            if (add_input(r, names[i], l->size, 0) < 0) {
                rc = nomem(err);
            } else {
                r->in[r->n_in - 1].regular = 1;
                r->in[r->n_in - 1].pooled = 1; /* in the pool kept above */
                r->in[r->n_in - 1].unsized = unsized;
                r->n_unsized += unsized;
                /* every (n / SIZE_SAMPLE)-th such file's size, for an
                 * estimate of the others' (tp_reader_estimated_bytes) */
                struct stat st;
                if (unsized && i % (n / SIZE_SAMPLE + 1) == 0 && stat(names[i], &st) == 0) {
                    r->sampled_bytes += (uint64_t)st.st_size;
                    r->n_sampled++;
                }
            }
        }
    }
    if (d)
        closedir(d);
    free(names);
    free(types);
    free(looks);
    return rc;
}

static int cmp_input(const void *a, const void *b)
{
    return strcmp(((const struct input *)a)->path, ((const struct input *)b)->path);
}

/* Whether in[0..n) is in path order already (one folder's files are). */
static int sorted(const struct input *in, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (strcmp(in[i - 1].path, in[i].path) > 0)
            return 0;
    return 1;
}

int tp_in_expand(struct tp_reader *r, const char *path, struct tp_error *err)
{
    struct stat st;
    size_t first = r->n_in;
    char *copy;
    int rc;

    if (strcmp(path, "-") != 0) {
        if (stat(path, &st) < 0)
            return input_failed(r, path, errno, err);
        if (S_ISREG(st.st_mode))
            return add_file(r, path, &st, err);
        if (S_ISDIR(st.st_mode)) {
            char **args = realloc(r->dir_args, (r->n_dir_args + 1) * sizeof(*args));
            if (!args)
                return nomem(err);
            r->dir_args = args;
            if (!(args[r->n_dir_args] = strdup(path)))
                return nomem(err);
            r->n_dir_args++;
            r->walk_nested = 0;
            rc = walk(r, path, err);
            /* One input's files in bytewise path order ("a-b" before "a/x"):
             * one folder's are already */
            if (r->walk_nested && r->n_in - first > 1 && !sorted(r->in + first, r->n_in - first))
                qsort(r->in + first, r->n_in - first, sizeof(*r->in), cmp_input);
            for (size_t i = first; i < r->n_in; i++)
                r->paths[i] = r->in[i].path;
            return rc;
        }
    }
    /* Standard input, a pipe, a device: read once into a temporary file. */
    copy = strdup(path);
    if (!copy || add_input(r, copy, 0, 1) < 0) {
        free(copy);
        return nomem(err);
    }
    return 0;
}

int tp_in_add_listed(struct tp_reader *r, const struct input *in)
{
    /* the path is the listing reader's, which outlives this one
     * (r->slice): no copy of 200,000 paths for each thread */
    if (add_input(r, in->path, in->size, in->stream) < 0)
        return TP_ENOMEM;
    r->in[r->n_in - 1].regular = in->regular;
    r->in[r->n_in - 1].unsized = in->unsized;
    r->n_unsized += in->unsized;
    return 0;
}
