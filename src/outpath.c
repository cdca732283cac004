/*
 * outpath.c - where output files go, and a set of them replaced as one (see
 * writer.h for the contract, outpath.h for the parts writer.c shares).
 *
 * Live temporary files (and a set's staging folder and lock file) are
 * registered in a fixed table so a signal handler can remove them (unlink and
 * rmdir are async-signal-safe) and an interrupted run leaves earlier results
 * untouched and no litter. A temporary file's name carries the pid of the run
 * that made it, and the run holds an flock on it while it writes, so a later
 * run can tell the litter of a killed run (SIGKILL, a crash) from a live one
 * and remove it.
 *
 * The set exchange (tp_outset_*): lock DIR/.tempora.lock, clear a dead run's
 * litter, write every table into the staging folder DIR/.tempora.new.PID.XXXXXX
 * (through writer.c's tp_out_open_staged), then, with signals held off,
 * exchange each new file with the earlier one and roll back on the first
 * failure; the staging folder ends holding the earlier files and is removed.
 */
#define _GNU_SOURCE /* renameat2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outpath.h"

enum { MAX_LIVE = 64 };
static char live_paths[MAX_LIVE][MAX_PATH_LEN];
static volatile sig_atomic_t live_used[MAX_LIVE]; /* 1: a file, 2: a folder */

int tp_outpath_live_add(const char *p, int kind)
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

void tp_outpath_live_drop(int *slot)
{
    if (*slot >= 0)
        live_used[*slot] = 0;
    *slot = -1;
}

/* The handler does its work on the thread that installed it (main's), the
 * one that creates and registers output files: a signal another thread
 * receives is sent on to it. So the cleanup never runs beside a file being
 * made, and a flag of that thread suffices to defer it: set while a set is
 * exchanged (in_commit, with the signals also blocked) or while a file or
 * folder is made and not yet registered (holding); the signal is raised again
 * at the end of it. */
static pthread_t owner;
static volatile sig_atomic_t in_commit, holding, pending_signal;

static void on_signal(int sig)
{
    int saved_errno = errno; /* the interrupted code may be about to read it */
    if (!pthread_equal(pthread_self(), owner)) {
        pthread_kill(owner, sig);
        errno = saved_errno;
        return;
    }
    if (in_commit || holding) {
        pending_signal = sig;
        errno = saved_errno;
        return;
    }
    for (int i = 0; i < MAX_LIVE; i++)
        if (live_used[i] == 1)
            unlink(live_paths[i]);
    for (int i = 0; i < MAX_LIVE; i++)
        if (live_used[i] == 2)
            rmdir(live_paths[i]);
    /* the signal is blocked in its handler: it kills the run on return */
    signal(sig, SIG_DFL);
    raise(sig);
    errno = saved_errno;
}

void tp_outpath_hold(void)
{
    holding = 1;
}

void tp_outpath_release(void)
{
    holding = 0;
    if (pending_signal && !in_commit)
        raise(pending_signal);
}

int tp_out_install_signal_cleanup(struct tp_error *err)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGXFSZ};
    owner = pthread_self();
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        /* Past a file size limit a write fails with EFBIG, reported like any
         * write error, instead of killing the run with its temporary files. */
        sa.sa_handler = sigs[i] == SIGXFSZ ? SIG_IGN : on_signal;
        if (sigaction(sigs[i], &sa, NULL) != 0)
            return tp_error_set(err, TP_EIO, "cannot set the handler of signal %d: %s", sigs[i],
                                strerror(errno));
    }
    return 0;
}

/* "DIR/NAME" (dir_len bytes of dir, then name), or NULL. */
char *tp_outpath_join(const char *dir, size_t dir_len, const char *name)
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
            char *p = tp_outpath_join(path, strlen(path), e->d_name);
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
void tp_outpath_clear_stale(const char *dir, size_t dir_len, const char *base, int sets)
{
    char *path = tp_outpath_join(dir, dir_len, ".");
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
        char *p = tp_outpath_join(dir, dir_len, name);
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
char *tp_outpath_target(const char *path, int *fd_path)
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
            next = tp_outpath_join(cur, slash ? (size_t)(slash - cur) + 1 : 0, buf);
        }
        free(cur);
        cur = next;
    }
    return cur; /* a loop: creating the temporary file or renaming will say so */
}

/* A set of files replaced as one (see writer.h). */
enum { SET_MAX = 16 };
/* Every file of one set, its staging folder and its lock file fit in the
 * signal cleanup's table at once, with room for a table written beside. */
_Static_assert(SET_MAX + 3 <= MAX_LIVE, "a set must fit in the live table");

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
        /* a lock file made here and locked at once is registered before a
         * signal can remove the run without it */
        tp_outpath_hold();
        int fd = open(s->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd < 0) {
            int e = errno;
            tp_outpath_release();
            return tp_error_set(err, TP_EIO, "%s: cannot create a file in the folder: %s", s->dir,
                                strerror(e));
        }
        int rc = flock(fd, LOCK_EX | LOCK_NB);
        if (rc != 0 && errno == EWOULDBLOCK) {
            /* another run holds it: wait with signals free, as it may be long */
            tp_outpath_release();
            while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
                ;
            tp_outpath_hold();
        }
        if (rc != 0) {
            int e = errno;
            close(fd);
            tp_outpath_release();
            return tp_error_set(err, TP_EIO, "%s: cannot lock: %s", s->lock, strerror(e));
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(s->lock, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino) {
            s->lock_fd = fd;
            s->lock_slot = tp_outpath_live_add(s->lock, 1);
            tp_outpath_release();
            return 0;
        }
        close(fd);
        tp_outpath_release();
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
    s->lock = tp_outpath_join(dir, dl, LOCK_NAME);
    s->staging = tp_outpath_join(dir, dl, name);
    if (!s->dir || !s->lock || !s->staging) {
        tp_outset_free(s);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    int rc = take_lock(s, err);
    if (rc) {
        tp_outset_free(s);
        return rc;
    }
    tp_outpath_clear_stale(dir, dl, NULL, 1);
    tp_outpath_hold();
    if (!mkdtemp(s->staging)) {
        rc =
            tp_error_set(err, TP_EIO, "%s: cannot create a folder in it: %s", dir, strerror(errno));
        tp_outpath_release();
        free(s->staging);
        s->staging = NULL;
        tp_outset_free(s);
        return rc;
    }
    s->staging_slot = tp_outpath_live_add(s->staging, 2);
    tp_outpath_release();
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
    s->e[i].dst = tp_outpath_join(s->dir, strlen(s->dir), name);
    s->e[i].src = tp_outpath_join(s->staging, strlen(s->staging), name);
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
    if (i < 0)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    int rc = tp_out_open_staged(&s->e[i].out, s->e[i].dst, s->e[i].src, flags, err);
    if (rc == 0)
        *out = s->e[i].out;
    return rc;
}

int tp_outset_drop(struct tp_outset *s, const char *name, struct tp_error *err)
{
    int i = set_entry(s, name);
    if (i < 0)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    s->e[i].slot = tp_outpath_live_add(s->e[i].src, 1);
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
    char *spare = tp_outpath_join(s->staging, strlen(s->staging), ".spare");
    if (!spare)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    /* No signal between the first rename and the last (or the rollback). */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    in_commit = 1;
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
    in_commit = 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pending_signal)
        raise(pending_signal);
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
                tp_out_keep_file(s->e[i].out); /* leave its file alone */
                tp_out_free(s->e[i].out);
            }
        } else if (s->e[i].out) {
            /* the new copy when not committed, else the earlier one */
            tp_out_free(s->e[i].out);
        } else if (s->e[i].src) {
            unlink(s->e[i].src);
        }
        tp_outpath_live_drop(&s->e[i].slot);
        free(s->e[i].name);
        free(s->e[i].dst);
        free(s->e[i].src);
    }
    if (s->staging) {
        if (s->staging_fd >= 0)
            close(s->staging_fd);
        if (!s->keep_staging)
            remove_folder(s->staging);
        tp_outpath_live_drop(&s->staging_slot);
    }
    if (s->lock_fd >= 0) {
        unlink(s->lock); /* while still holding it: see take_lock */
        tp_outpath_live_drop(&s->lock_slot);
        close(s->lock_fd);
    }
    free(s->dir);
    free(s->staging);
    free(s->lock);
    free(s);
}
