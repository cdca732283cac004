/*
 * writer.c - CSV output through temporary files (see writer.h).
 *
 * Live temporary files (and a set's staging folder and lock file) are
 * registered in a fixed table so a signal handler can remove them (unlink and
 * rmdir are async-signal-safe) and an interrupted run leaves earlier results
 * untouched and no litter. A temporary file's name carries the pid of the run
 * that made it, and the run holds an flock on it while it writes, so a later
 * run can tell the litter of a killed run (SIGKILL, a crash) from a live one
 * and remove it.
 */
#define _GNU_SOURCE /* sync_file_range, renameat2 */
#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "writer.h"

struct tp_out {
    FILE *f;
    char *path; /* final path (a symlink's target), NULL for stdout */
    char *tmp;  /* temporary path, NULL when written straight through */
    int flags;
    char sep;
    int n_cells; /* cells written in the current row */
    int failed;  /* a write failed */
    int err_no;
    int finished, published;
    int direct; /* a FIFO or a device: written straight through */
    int in_set; /* part of a tp_outset: the set renames it */
    int slot;   /* index in the signal cleanup table, or -1 */
    char *qbuf; /* quoting buffer */
    size_t qcap;
    char *mem; /* tp_out_open_mem: the rows written so far */
    size_t mem_len, mem_cap;
    int in_mem;
    FILE *spool;              /* ... and those past MEM_PART_MAX, in a temporary file */
    uint64_t written, synced; /* a file's bytes handed to stdio; sent to the disk */
    size_t b_len;             /* bytes in b */
    char b[1 << 16];
};

enum { MAX_LIVE = 64, MAX_PATH_LEN = 4096 };
static char live_paths[MAX_LIVE][MAX_PATH_LEN];
static volatile sig_atomic_t live_used[MAX_LIVE]; /* 1: a file, 2: a folder */

static int live_add(const char *p, int kind)
{
    if (strlen(p) >= MAX_PATH_LEN)
        return -1;
    for (int i = 0; i < MAX_LIVE; i++)
        if (!live_used[i]) {
            strcpy(live_paths[i], p);
            live_used[i] = kind;
            return i;
        }
    return -1;
}

static void live_drop(int *slot)
{
    if (*slot >= 0)
        live_used[*slot] = 0;
    *slot = -1;
}

/* The signal cleanup runs on the thread that installed it (the one that
 * creates and registers every file and folder above): a signal that reaches
 * another thread is sent on to it. So the cleanup never runs while that
 * thread is between creating a path and registering it, which it does with
 * the signals held (hold_signals), nor during an exchange of a set. */
static pthread_t cleanup_thread;
static volatile sig_atomic_t cleanup_installed;

static void on_signal(int sig)
{
    int saved = errno;
    if (cleanup_installed && !pthread_equal(pthread_self(), cleanup_thread)) {
        pthread_kill(cleanup_thread, sig);
        errno = saved;
        return;
    }
    for (int i = 0; i < MAX_LIVE; i++)
        if (live_used[i] == 1)
            unlink(live_paths[i]);
    for (int i = 0; i < MAX_LIVE; i++)
        if (live_used[i] == 2)
            rmdir(live_paths[i]);
    signal(sig, SIG_DFL);
    raise(sig); /* delivered when the handler returns (sig is held while it runs) */
    errno = saved;
}

/* Hold SIGINT, SIGTERM and SIGHUP on this thread (the earlier mask in *old)
 * until release_signals: a signal then waits, and its cleanup sees the
 * paths made meanwhile. */
static void hold_signals(sigset_t *old)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, old);
}

static void release_signals(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

void tp_out_install_signal_cleanup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    cleanup_thread = pthread_self();
    cleanup_installed = 1;
    if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
        sigaction(SIGHUP, &sa, NULL))
        cleanup_installed = 0; /* a kernel that refuses: the default action stays */
    /* Past a file size limit a write fails with EFBIG, reported like any
     * write error, instead of killing the run with its temporary files. */
    signal(SIGXFSZ, SIG_IGN);
}

/* "DIR/NAME" (dir_len bytes of dir, then name), or NULL. */
static char *join(const char *dir, size_t dir_len, const char *name)
{
    size_t n = dir_len + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%.*s%s%s", (int)dir_len, dir, dir_len && dir[dir_len - 1] != '/' ? "/" : "",
                 name);
    return p;
}

static int pid_alive(long pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* The pid in NAME when it is one of tempora's temporary names: PREFIX, then
 * digits, '.', and six characters (mkstemp's); 0 otherwise. */
static long temp_pid(const char *name, const char *prefix)
{
    size_t np = strlen(prefix), n = strlen(name);
    if (n < np + 8 || strncmp(name, prefix, np) != 0 || name[n - 7] != '.')
        return 0;
    long pid = 0;
    const char *p = name + np;
    for (; p < name + n - 7; p++) {
        if (*p < '0' || *p > '9' || pid > 100000000)
            return 0;
        pid = pid * 10 + (*p - '0');
    }
    return p == name + np ? 0 : pid;
}

/* Whether path (a file or folder of tempora's naming whose pid is no live
 * process) is free of any flock: no run, in this pid namespace or another,
 * is writing it. */
static int abandoned(const char *path, long pid)
{
    if (!pid || pid_alive(pid))
        return 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return 0;
    int free_ = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd);
    return free_;
}

/* Unlink the entries of folder path (not recursively), then remove it. */
static void remove_folder(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *p = join(path, strlen(path), e->d_name);
            if (p)
                unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(path);
}

#define SET_PREFIX ".tempora.new."
#define LOCK_NAME ".tempora.lock"

/* Remove what killed runs left in folder dir (dir_len bytes): temporary
 * files ".BASE.tmp.PID.XXXXXX" (base NULL: any base) and, when sets is set,
 * staging folders ".tempora.new.PID.XXXXXX". Nothing else is touched. */
static void clear_stale(const char *dir, size_t dir_len, const char *base, int sets)
{
    char *path = join(dir, dir_len, ".");
    DIR *d = path ? opendir(path) : NULL;
    free(path);
    if (!d)
        return;
    char prefix[512];
    if (base)
        snprintf(prefix, sizeof(prefix), ".%s.tmp.", base);
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        long pid = 0;
        int folder = 0;
        if (name[0] != '.')
            continue;
        if (sets && (pid = temp_pid(name, SET_PREFIX)))
            folder = 1;
        else if (base)
            pid = temp_pid(name, prefix);
        else {
            const char *t = strstr(name, ".tmp.");
            while (t && strstr(t + 1, ".tmp."))
                t = strstr(t + 1, ".tmp.");
            if (t && t > name + 1) {
                snprintf(prefix, sizeof(prefix), "%.*s", (int)(t - name) + 5, name);
                pid = temp_pid(name, prefix);
            }
        }
        if (!pid)
            continue;
        char *p = join(dir, dir_len, name);
        if (p && abandoned(p, pid)) {
            if (folder)
                remove_folder(p);
            else
                unlink(p);
        }
        free(p);
    }
    closedir(d);
}

/* Where a table for path goes: path itself, or the file a chain of symlinks
 * ends at (a dangling link's target is created). *fd_path is set when the
 * chain goes through /proc (e.g. /dev/stdout -> /proc/self/fd/1): a
 * descriptor, not a place to rename onto. Returns a malloc'd path or NULL. */
static char *link_target(const char *path, int *fd_path)
{
    char *cur = strdup(path);
    *fd_path = 0;
    for (int hops = 0; cur && hops < 40; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur;
        char buf[MAX_PATH_LEN];
        ssize_t n = readlink(cur, buf, sizeof(buf) - 1);
        if (n <= 0)
            return cur;
        buf[n] = '\0';
        if (strncmp(buf, "/proc/", 6) == 0) {
            *fd_path = 1;
            return cur;
        }
        char *next;
        if (buf[0] == '/') {
            next = strdup(buf);
        } else {
            const char *slash = strrchr(cur, '/');
            next = join(cur, slash ? (size_t)(slash - cur) + 1 : 0, buf);
        }
        free(cur);
        cur = next;
    }
    return cur; /* a loop: creating the temporary file or renaming will say so */
}

static struct tp_out *out_new(int flags)
{
    struct tp_out *o = calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    o->flags = flags;
    o->sep = (flags & TP_OUT_EXCEL) ? ';' : ',';
    o->slot = -1;
    return o;
}

/* Create o->tmp (exclusive when excl, else a mkstemp template), lock it and
 * make it o->f. Returns 0 or errno. */
static int open_tmp(struct tp_out *o, int excl)
{
    sigset_t old;
    hold_signals(&old);
    int fd = excl ? open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)
                  : mkostemp(o->tmp, O_CLOEXEC);
    int e = errno;
    if (fd >= 0)
        o->slot = live_add(o->tmp, 1);
    release_signals(&old);
    if (fd < 0)
        return e;
    flock(fd, LOCK_EX | LOCK_NB); /* held until closed: "a live run writes this" */
    if (!excl) {
        /* mkstemp makes 0600 files; a table is an ordinary document. */
        mode_t um = umask(0);
        umask(um);
        fchmod(fd, 0666 & ~um);
    }
    o->f = fdopen(fd, "w");
    if (!o->f) {
        e = errno;
        close(fd);
        return e;
    }
    return 0;
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
    o->path = fd_path ? strdup(path) : link_target(path, &fd_path);
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
    clear_stale(o->path, dir_len, base, 0);
    char name[512];
    snprintf(name, sizeof(name), ".%.400s.tmp.%ld.XXXXXX", base, (long)getpid());
    if (!(o->tmp = join(o->path, dir_len, name))) {
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

int tp_out_open_mem(struct tp_out **out, int flags)
{
    struct tp_out *o = out_new(flags);
    if (!o)
        return TP_ENOMEM;
    o->in_mem = 1;
    *out = o;
    return 0;
}

static void drain(struct tp_out *o);

/* Bytes a memory part keeps in memory; the rest goes to a temporary file. */
enum { MEM_PART_MAX = 4 << 20 };

static void write_to(struct tp_out *o, FILE *f, const char *s, size_t n)
{
    if (fwrite(s, 1, n, f) != n) {
        o->failed = 1;
        o->err_no = errno;
    }
}

/* Bytes of a table file between two starts of its writeback. */
enum { SYNC_STEP = 4 << 20 };

/* Write s[0..n) where the table's bytes go (the file, or memory). */
static void emit(struct tp_out *o, const char *s, size_t n)
{
    if (!n || o->failed)
        return;
    if (!o->in_mem) {
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
    return o->flags;
}

void tp_out_append(struct tp_out *dst, struct tp_out *src)
{
    drain(src);
    if (src->failed && !dst->failed) {
        dst->failed = 1;
        dst->err_no = src->err_no;
    }
    drain(dst);
    emit(dst, src->mem, src->mem_len);
    src->mem_len = 0;
    if (src->spool) {
        /* the part's own buffer carries the spooled bytes over */
        if (fflush(src->spool) != 0 || fseek(src->spool, 0, SEEK_SET) != 0) {
            dst->failed = 1;
            dst->err_no = errno;
        }
        size_t n;
        while (!dst->failed && (n = fread(src->b, 1, sizeof(src->b), src->spool)) > 0)
            emit(dst, src->b, n);
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
    drain(o);
    return o->f;
}

/* Cells are gathered in our own buffer and handed to stdio in large blocks:
 * one locked fwrite per 64 KiB instead of one per cell. */
static void drain(struct tp_out *o)
{
    emit(o, o->b, o->b_len);
    o->b_len = 0;
}

static void put(struct tp_out *o, const char *s, size_t n)
{
    if (o->b_len + n > sizeof(o->b)) {
        drain(o);
        if (n > sizeof(o->b)) {
            emit(o, s, n);
            return;
        }
    }
    memcpy(o->b + o->b_len, s, n);
    o->b_len += n;
}

static void cell_start(struct tp_out *o)
{
    if (o->n_cells++)
        put(o, &o->sep, 1);
}

void tp_out_text(struct tp_out *o, const char *s, size_t len)
{
    cell_start(o);
    int prefix = (o->flags & TP_OUT_EXCEL) && len && strchr("=+-@\t\r", s[0]) != NULL;
    int quote = len && (s[0] == ' ' || s[len - 1] == ' ');
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == o->sep || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        if (prefix)
            put(o, "'", 1);
        put(o, s, len);
        return;
    }
    const char *src = s;
    size_t src_len = len;
    char *joined = NULL;
    if (prefix) {
        joined = malloc(len + 1);
        if (!joined) {
            o->failed = 1;
            o->err_no = ENOMEM;
            return;
        }
        joined[0] = '\'';
        memcpy(joined + 1, s, len);
        src = joined;
        src_len = len + 1;
    }
    size_t need = csv_write(NULL, 0, src, src_len);
    if (need > o->qcap) {
        char *q = realloc(o->qbuf, need);
        if (!q) {
            free(joined);
            o->failed = 1;
            o->err_no = ENOMEM;
            return;
        }
        o->qbuf = q;
        o->qcap = need;
    }
    csv_write(o->qbuf, o->qcap, src, src_len);
    put(o, o->qbuf, need);
    free(joined);
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

/* Decimal digits of v, right-aligned ending at end; returns the first. */
static char *u64_digits(uint64_t v, char *end)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

void tp_out_u64(struct tp_out *o, uint64_t v)
{
    char buf[24];
    char *p = u64_digits(v, buf + sizeof(buf));
    cell_start(o);
    put(o, p, (size_t)(buf + sizeof(buf) - p));
}

void tp_out_i64(struct tp_out *o, int64_t v)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
    cell_start(o);
    put(o, buf, (size_t)n);
}

enum { NDIG = 25 }; /* digits printed once; rounding to 15-17 is done on them */

/* Round the NDIG significant digits d[0..NDIG) to p digits (in place). Returns
 * 1 when the rounding carried into a new leading digit (the exponent grows), 0
 * otherwise, or -1 when the dropped digits are exactly 5000...: a tie that the
 * digits beyond NDIG decide, left to printf. */
static int round_digits(char *d, int p)
{
    int up = d[p] >= '5';
    if (d[p] == '5') {
        int rest = 0;
        for (int i = p + 1; i < NDIG; i++)
            rest |= d[i] != '0';
        if (!rest)
            return -1;
    }
    for (int i = p; i < NDIG; i++)
        d[i] = '0';
    for (int i = p - 1; up && i >= 0; i--) {
        if (d[i] == '9') {
            d[i] = '0';
        } else {
            d[i]++;
            up = 0;
        }
    }
    if (up) {
        memmove(d + 1, d, NDIG - 1);
        d[0] = '1';
        return 1;
    }
    return 0;
}

/* Write digits d[0..p) (no trailing zeros needed) with decimal exponent e the
 * way printf's %g does with precision p. */
static size_t write_g(char *buf, int neg, const char *d, int prec, int e)
{
    int p = prec;
    while (p > 1 && d[p - 1] == '0')
        p--;
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (e < -4 || e >= prec) {
        *o++ = d[0];
        if (p > 1) {
            *o++ = '.';
            memcpy(o, d + 1, (size_t)p - 1);
            o += p - 1;
        }
        o += sprintf(o, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (e < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > e; i--)
            *o++ = '0';
        memcpy(o, d, (size_t)p);
        o += p;
    } else {
        for (int i = 0; i <= e; i++)
            *o++ = i < p ? d[i] : '0';
        if (p > e + 1) {
            *o++ = '.';
            memcpy(o, d + e + 1, (size_t)(p - e - 1));
            o += p - e - 1;
        }
    }
    *o = '\0';
    return (size_t)(o - buf);
}

/* "00" "01" ... "99" */
static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/* The n (<= 9) decimal digits of v (< 10^n), two at a time, into d. */
static void put_digits32(char *d, uint32_t v, int n)
{
    int i = n;
    while (i >= 2) {
        memcpy(d + i - 2, digit_pairs + 2 * (v % 100), 2);
        v /= 100;
        i -= 2;
    }
    if (i)
        d[0] = (char)('0' + v);
}

/* The p (16 or 17 at most) decimal digits of q (< 10^p) into d: the last
 * eight from q mod 10^8 and the rest from q / 10^8, both in 32 bits. */
static void put_digits(char *d, uint64_t q, int p)
{
    if (p <= 8) {
        put_digits32(d, (uint32_t)q, p);
        return;
    }
    put_digits32(d, (uint32_t)(q / 100000000u), p - 8);
    put_digits32(d + p - 8, (uint32_t)(q % 100000000u), 8);
}

/* The shortest of 15, 16, 17 significant digits that reads back to v, in
 * exact integer arithmetic, for the common case 1e-5 <= |v| < 2^53 with a
 * fractional binary exponent: v = m / 2^s exactly, and X = m * 10^k / 2^s has
 * 17 integer digits. Rounding X to p digits (half to even, as printf does) and
 * testing the candidate against half an ulp of v (ties to an even mantissa, as
 * strtod does) gives the same answer as printf + strtod without either.
 * Returns the length written, or 0 to leave v to the general path. */
static size_t format_fast(double v, char *buf)
{
    static const uint64_t pow10[] = {1ull,
                                     10ull,
                                     100ull,
                                     1000ull,
                                     10000ull,
                                     100000ull,
                                     1000000ull,
                                     10000000ull,
                                     100000000ull,
                                     1000000000ull,
                                     10000000000ull,
                                     100000000000ull,
                                     1000000000000ull,
                                     10000000000000ull,
                                     100000000000000ull,
                                     1000000000000000ull,
                                     10000000000000000ull,
                                     100000000000000000ull,
                                     1000000000000000000ull,
                                     10000000000000000000ull};
    int neg = v < 0;
    double a = neg ? -v : v;
    if (!(a >= 1e-5 && a < 9007199254740992.0))
        return 0;
    /* a = m * 2^(bexp - 53), m in [2^52, 2^53), read off the bits (a is
     * normal here) */
    uint64_t bits;
    memcpy(&bits, &a, sizeof(bits));
    int bexp = (int)(bits >> 52) - 1022;
    uint64_t m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    int s = 53 - bexp;
    if (s <= 0 || s > 68)
        return 0;
    /* floor(log10(a)) is floor((bexp - 1) log10 2) or one more: the loop
     * below moves k by one when X comes out a digit short or long.
     * 78913 / 2^18 is log10 2 to 6 digits, exact enough for |bexp| < 1650. */
    int e2 = bexp - 1;
    int e10 = e2 >= 0 ? (e2 * 78913) >> 18 : -((-e2 * 78913 + (1 << 18) - 1) >> 18);
    int k = 16 - e10;
    __extension__ typedef unsigned __int128 u128;
    u128 num = 0, X = 0, r = 0, one = 1;
    for (int tries = 0; tries < 3; tries++) {
        if (k < 0 || k > 21)
            return 0;
        /* num = m * 10^k, exact: 10^21 needs two 64-bit factors */
        num = (u128)m * (k > 19 ? pow10[19] : pow10[k]);
        if (k > 19)
            num *= pow10[k - 19];
        X = num >> s;
        r = num & ((one << s) - 1);
        if (X < pow10[16])
            k++;
        else if (X >= pow10[17])
            k--;
        else
            break;
    }
    if (X < pow10[16] || X >= pow10[17])
        return 0;
    u128 p10k = k > 19 ? (u128)pow10[19] * pow10[k - 19] : (u128)pow10[k];
    uint64_t X64 = (uint64_t)X; /* < 10^17: 64-bit division is enough */
    for (int p = 15; p <= 17; p++) {
        uint64_t div = pow10[17 - p];
        uint64_t q = X64 / div, rem = X64 % div;
        u128 lhs = 2 * (((u128)rem << s) + r), rhs = (u128)div << s;
        if (lhs > rhs || (lhs == rhs && (q & 1)))
            q++;
        /* candidate in units of X: q * div; distance to v in units of 2^-(s+2) */
        u128 c = (u128)q * div << (s + 2), x4 = num << 2;
        u128 dist = c > x4 ? c - x4 : x4 - c;
        /* half an ulp is 10^k / 2^(s+1) in X units, i.e. 2 * 10^k in these;
         * below a power of two the next double down is half as far */
        u128 half = 2 * p10k;
        if (c < x4 && m == (1ull << 52))
            half = p10k;
        if (dist < half || (dist == half && !(m & 1))) {
            int expo = 16 - k;
            if (q == pow10[p]) {
                q /= 10;
                expo++;
            }
            char d[20];
            put_digits(d, q, p);
            return write_g(buf, neg, d, p, expo);
        }
    }
    return 0;
}

size_t tp_format_double(double v, char *buf)
{
    if (!isfinite(v)) {
        buf[0] = '\0';
        return 0;
    }
    if (v == 0) {
        strcpy(buf, "0");
        return 1;
    }
    double a = fabs(v);
    if (a < 1e15 && a == (double)(uint64_t)a) {
        /* a whole number below 10^15: its digits (what %.15g writes) */
        char tmp[24];
        char *p = u64_digits((uint64_t)a, tmp + sizeof(tmp));
        size_t n = (size_t)(tmp + sizeof(tmp) - p), at = 0;
        if (v < 0)
            buf[at++] = '-';
        memcpy(buf + at, p, n);
        buf[at + n] = '\0';
        return at + n;
    }
    size_t fast = format_fast(v, buf);
    if (fast)
        return fast;
    /* One conversion to NDIG significant digits, correctly rounded by printf;
     * then the shortest of 15, 16 or 17 digits that reads back to v (each
     * check one strtod). Rounding the NDIG digits again gives what printf
     * would give at 15-17 digits except at an exact tie, left to printf. */
    char en[48];
    snprintf(en, sizeof(en), "%.*e", NDIG - 1, v);
    int neg = en[0] == '-';
    const char *m = en + neg;
    char digits[NDIG + 1], try[NDIG + 1];
    digits[0] = m[0];
    memcpy(digits + 1, m + 2, NDIG - 1);
    digits[NDIG] = '\0';
    int e = atoi(strchr(m, 'e') + 1);
    for (int p = 15; p <= 17; p++) {
        memcpy(try, digits, sizeof(try));
        int carry = round_digits(try, p);
        char back[48];
        size_t n;
        if (carry < 0)
            n = (size_t)snprintf(back, sizeof(back), "%.*g", p, v);
        else
            n = write_g(back, neg, try, p, e + carry);
        if (p == 17 || strtod(back, NULL) == v) {
            memcpy(buf, back, n + 1);
            return n;
        }
    }
    return 0;
}

void tp_out_number(struct tp_out *o, const char *s, size_t n)
{
    cell_start(o);
    const char *dot = (o->flags & TP_OUT_EXCEL) ? memchr(s, '.', n) : NULL;
    if (!dot) {
        put(o, s, n);
        return;
    }
    put(o, s, (size_t)(dot - s));
    put(o, ",", 1);
    put(o, dot + 1, n - (size_t)(dot - s) - 1);
}

void tp_out_double(struct tp_out *o, double v)
{
    char buf[40];
    size_t n = tp_format_double(v, buf);
    tp_out_number(o, buf, n);
}

void tp_out_empty(struct tp_out *o)
{
    cell_start(o);
}

void tp_out_row_end(struct tp_out *o)
{
    put(o, "\n", 1);
    o->n_cells = 0;
}

int tp_out_finish(struct tp_out *o, struct tp_error *err)
{
    const char *name = o->path ? o->path : "standard output";
    if (o->finished)
        return o->failed
                   ? tp_error_set(err, TP_EIO, "%s: write failed: %s", name, strerror(o->err_no))
                   : 0;
    o->finished = 1;
    drain(o);
    if (fflush(o->f) != 0 && !o->failed) {
        o->failed = 1;
        o->err_no = errno;
    }
    if (ferror(o->f) && !o->failed) {
        o->failed = 1;
        o->err_no = EIO;
    }
    if (o->path) {
        if (!o->failed && !o->direct && fsync(fileno(o->f)) != 0 && errno != EINVAL &&
            errno != EROFS) {
            o->failed = 1;
            o->err_no = errno;
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
    live_drop(&o->slot);
    return 0;
}

void tp_out_free(struct tp_out *o)
{
    if (!o)
        return;
    if (o->path && o->f)
        fclose(o->f);
    if (o->tmp && !o->published)
        unlink(o->tmp);
    live_drop(&o->slot);
    free(o->path);
    free(o->tmp);
    free(o->qbuf);
    free(o->mem);
    if (o->spool)
        fclose(o->spool);
    free(o);
}

/* A set of files replaced as one (see writer.h). */
enum { SET_MAX = 16 };

struct tp_outset {
    char *dir;     /* the output folder */
    char *staging; /* DIR/.tempora.new.PID.XXXXXX */
    char *lock;    /* DIR/.tempora.lock */
    int lock_fd, staging_fd;
    int lock_slot, staging_slot;
    int committed;
    int keep_staging; /* a rollback failed: it holds an earlier copy */
    size_t n;
    struct {
        char *name;
        char *dst, *src;    /* DIR/NAME, STAGING/NAME */
        struct tp_out *out; /* NULL: an earlier copy to remove */
        int slot;           /* the signal cleanup entry of a removed copy */
        int done;           /* 0, or how it was put in place (for a rollback) */
    } e[SET_MAX];
};

enum { DONE_SWAPPED = 1, DONE_MOVED_IN, DONE_MOVED_OUT };

/* Lock dir's lock file. The file is unlinked by whoever holds the lock when
 * it ends, so a waiter checks that the file it locked is still the one on
 * the path, and starts over when not. */
static int take_lock(struct tp_outset *s, struct tp_error *err)
{
    for (;;) {
        /* A lock file this run makes is registered for the signal cleanup
         * together with its lock, signals held: the cleanup never leaves it
         * behind, nor removes one that another run holds. */
        sigset_t old;
        int held = 0;
        hold_signals(&old);
        int fd = open(s->lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
        int e = errno;
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
            held = 1;
            s->lock_slot = live_add(s->lock, 1);
        }
        release_signals(&old);
        if (fd < 0 && e == EEXIST) {
            fd = open(s->lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
            e = errno;
            if (fd < 0 && e == ENOENT)
                continue; /* its holder has just removed it */
        }
        if (fd < 0)
            return tp_error_set(err, TP_EIO, "%s: cannot create a file in the folder: %s", s->dir,
                                strerror(e));
        if (!held) {
            int rc;
            while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
                ;
            if (rc != 0) {
                e = errno;
                close(fd);
                return tp_error_set(err, TP_EIO, "%s: cannot lock: %s", s->lock, strerror(e));
            }
        }
        struct stat st_fd, st_path;
        if (fstat(fd, &st_fd) == 0 && stat(s->lock, &st_path) == 0 &&
            st_fd.st_dev == st_path.st_dev && st_fd.st_ino == st_path.st_ino) {
            s->lock_fd = fd;
            if (s->lock_slot < 0) {
                hold_signals(&old);
                s->lock_slot = live_add(s->lock, 1);
                release_signals(&old);
            }
            return 0;
        }
        live_drop(&s->lock_slot);
        close(fd);
    }
}

int tp_outset_open(struct tp_outset **set, const char *dir, struct tp_error *err)
{
    struct tp_outset *s = calloc(1, sizeof(*s));
    if (!s)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    s->lock_fd = s->staging_fd = -1;
    s->lock_slot = s->staging_slot = -1;
    char name[64];
    snprintf(name, sizeof(name), SET_PREFIX "%ld.XXXXXX", (long)getpid());
    size_t dl = strlen(dir);
    s->dir = strdup(dir);
    s->lock = join(dir, dl, LOCK_NAME);
    s->staging = join(dir, dl, name);
    if (!s->dir || !s->lock || !s->staging) {
        tp_outset_free(s);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    int rc = take_lock(s, err);
    if (rc) {
        tp_outset_free(s);
        return rc;
    }
    clear_stale(dir, dl, NULL, 1);
    sigset_t old;
    hold_signals(&old);
    char *made = mkdtemp(s->staging);
    int e = errno;
    if (made)
        s->staging_slot = live_add(s->staging, 2);
    release_signals(&old);
    if (!made) {
        rc = tp_error_set(err, TP_EIO, "%s: cannot create a folder in it: %s", dir, strerror(e));
        free(s->staging);
        s->staging = NULL;
        tp_outset_free(s);
        return rc;
    }
    s->staging_fd = open(s->staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->staging_fd >= 0)
        flock(s->staging_fd, LOCK_EX | LOCK_NB);
    *set = s;
    return 0;
}

/* A new entry for name, or NULL (too many, out of memory). */
static int set_entry(struct tp_outset *s, const char *name)
{
    if (s->n == SET_MAX)
        return -1;
    size_t i = s->n;
    s->e[i].name = strdup(name);
    s->e[i].dst = join(s->dir, strlen(s->dir), name);
    s->e[i].src = join(s->staging, strlen(s->staging), name);
    s->e[i].slot = -1;
    s->n++;
    if (!s->e[i].name || !s->e[i].dst || !s->e[i].src)
        return -1;
    return (int)i;
}

int tp_outset_add(struct tp_outset *s, struct tp_out **out, const char *name, int flags,
                  struct tp_error *err)
{
    int i = set_entry(s, name);
    struct tp_out *o = i < 0 ? NULL : out_new(flags);
    if (!o)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    o->path = strdup(s->e[i].dst);
    o->tmp = strdup(s->e[i].src);
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
        return tp_error_set(err, TP_EIO, "%s: cannot create a file: %s", s->e[i].src, strerror(e));
    }
    start(o);
    s->e[i].out = o;
    *out = o;
    return 0;
}

int tp_outset_drop(struct tp_outset *s, const char *name, struct tp_error *err)
{
    int i = set_entry(s, name);
    if (i < 0)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    s->e[i].slot = live_add(s->e[i].src, 1);
    return 0;
}

/* Exchange a and b (both exist) in one step, or in three renames through a
 * spare name where the file system cannot exchange. Returns 0 or errno. */
static int swap(const char *a, const char *b, const char *spare)
{
    if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return errno;
    if (rename(b, spare) != 0)
        return errno;
    if (rename(a, b) != 0) {
        int e = errno;
        rename(spare, b);
        return e;
    }
    return rename(spare, a) == 0 ? 0 : errno;
}

/* Move a onto b, which must not exist. Returns 0 or errno. */
static int move_new(const char *a, const char *b)
{
    if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return errno;
    return rename(a, b) == 0 ? 0 : errno;
}

/* Undo what put entry i in place. Returns 0 or errno. */
static int undo(struct tp_outset *s, size_t i, const char *spare)
{
    switch (s->e[i].done) {
    case DONE_SWAPPED:
        return swap(s->e[i].src, s->e[i].dst, spare);
    case DONE_MOVED_IN:
        return move_new(s->e[i].dst, s->e[i].src);
    case DONE_MOVED_OUT:
        return move_new(s->e[i].src, s->e[i].dst);
    }
    return 0;
}

int tp_outset_commit(struct tp_outset *s, struct tp_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->e[i].out && (rc = tp_out_finish(s->e[i].out, err)))
            return rc;
    char *spare = join(s->staging, strlen(s->staging), ".spare");
    if (!spare)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    /* No signal between the first rename and the last (or the rollback):
     * one that comes meanwhile waits for release_signals. */
    sigset_t old;
    hold_signals(&old);
    size_t i;
    for (i = 0; i < s->n; i++) {
        struct stat st;
        int e = 0, present = lstat(s->e[i].dst, &st) == 0;
        if (!present && errno != ENOENT) {
            e = errno;
        } else if (present && !S_ISREG(st.st_mode) && !s->e[i].out) {
            continue; /* not a file of the earlier set: not ours to remove */
        } else if (present && !S_ISREG(st.st_mode)) {
            rc =
                tp_error_set(err, TP_EIO, "%s: not a regular file: no table replaced", s->e[i].dst);
            break;
        } else if (s->e[i].out) {
            if (present && !(e = swap(s->e[i].src, s->e[i].dst, spare)))
                s->e[i].done = DONE_SWAPPED;
            else if (!present && !(e = move_new(s->e[i].src, s->e[i].dst)))
                s->e[i].done = DONE_MOVED_IN;
        } else if (present && !(e = move_new(s->e[i].dst, s->e[i].src))) {
            s->e[i].done = DONE_MOVED_OUT;
        }
        if (e) {
            rc = tp_error_set(err, TP_EIO, "%s: cannot rename into place: %s: no table replaced",
                              s->e[i].dst, strerror(e));
            break;
        }
    }
    if (rc) {
        size_t failed_at = i;
        while (i-- > 0) {
            int e = undo(s, i, spare);
            if (e) {
                /* keep the staging folder: it holds the earlier copy */
                tp_error_set(err, TP_EIO,
                             "%s: cannot rename into place, nor put %s back: %s (the earlier "
                             "copy is in %s)",
                             s->e[failed_at].dst, s->e[i].dst, strerror(e), s->staging);
                s->keep_staging = 1;
            }
        }
    } else {
        s->committed = 1;
        int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd); /* the renames reach the disk */
            close(dfd);
        }
    }
    release_signals(&old);
    free(spare);
    return rc;
}

void tp_outset_free(struct tp_outset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        if (s->keep_staging) {
            if (s->e[i].out) {
                s->e[i].out->published = 1; /* leave its file alone */
                tp_out_free(s->e[i].out);
            }
        } else if (s->e[i].out) {
            /* the new copy when not committed, else the earlier one */
            tp_out_free(s->e[i].out);
        } else if (s->e[i].src) {
            unlink(s->e[i].src);
        }
        live_drop(&s->e[i].slot);
        free(s->e[i].name);
        free(s->e[i].dst);
        free(s->e[i].src);
    }
    if (s->staging) {
        if (s->staging_fd >= 0)
            close(s->staging_fd);
        if (!s->keep_staging)
            remove_folder(s->staging);
        live_drop(&s->staging_slot);
    }
    if (s->lock_fd >= 0) {
        unlink(s->lock); /* while still holding it: see take_lock */
        live_drop(&s->lock_slot);
        close(s->lock_fd);
    }
    free(s->dir);
    free(s->staging);
    free(s->lock);
    free(s);
}
