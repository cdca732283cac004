/*
 * input/ahead.c - reading the next files of a folder ahead, on a thread of
 * their own, while the files before them are counted; or, when the counting
 * threads fill the cores, a batch at a time by the counting thread itself
 * (struct ahead's sync); and a large folder's entries looked at through the
 * ring when it is listed (tp_in_ring_stat, for input/walk.c).
 *
 * Where it sits: started and stopped by reader.c's tp_reader_run around a
 * run over many files; input/open.c's tp_in_open takes a file read ahead
 * instead of opening it, and tp_in_close gives its buffer back. A folder of
 * small files costs an open, a read and a close each; done here, they are
 * off the path of the thread that tokenizes and counts, which then makes no
 * system call for such a file.
 *
 * Core data structure: struct ahead, a ring of AHEAD_SLOTS buffers; input i
 * goes to slot i % AHEAD_SLOTS, filled in input order by the thread, a
 * batch of half the ring at a time (through io_uring where the kernel has
 * it: one system call for the batch), and emptied in the same order by the
 * reader. A slot says READY (the whole
 * file is in its buffer) or NONE (not read ahead: too large, not a regular
 * file, or it failed to open or read; the reader then opens it as usual, so
 * every message is the one it always gave).
 */
#if defined(__linux__)
#define _GNU_SOURCE /* syscall(2), MAP_POPULATE: io_uring without a library */
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__) && __has_include(<linux/io_uring.h>)
#include <linux/io_uring.h>
#endif
#if defined(IORING_SETUP_SUBMIT_ALL) /* Linux 5.18 headers: all that is used here */
#include <sys/mman.h>
#include <sys/syscall.h>
#define HAVE_URING 1
#else
#define HAVE_URING 0
#endif

#include "input.h"

/* Files are read a batch (half the ring) at a time and handed to the
 * reader a batch at a time. */
enum { AHEAD_SLOTS = 64, AHEAD_BYTES = 64 * 1024, BATCH = 32, HALF = AHEAD_SLOTS / 2 };
_Static_assert(BATCH <= HALF, "a batch fits in half the ring");
enum slot_state { EMPTY, READY, NONE, WAIT /* read_batch only: not read yet */ };

struct slot {
    size_t index;
    enum slot_state state;
    size_t len;
    unsigned char *buf; /* AHEAD_BYTES */
};

struct ahead {
    const struct tp_reader *r;
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t filled, freed;
    int stop;
    int done; /* the thread read all it will (its list may end early: ahead_limit) */
    struct slot slots[AHEAD_SLOTS];
    /* Wake-ups by half rings, not a file at a time: files b..b+BATCH are
     * read and handed over together (n_filled counts the files handed
     * over); a reader that finds its file i not read yet sleeps until the
     * files up to i + HALF are (want_filled), and the thread that finds the
     * slots of batch b taken sleeps until the files before b - HALF are
     * given back (n_given, want_given). Neither waits for the other in a
     * circle: the reader has given back every file before i, and the
     * thread waits at a batch b <= i. */
    size_t n_filled, n_given;
    size_t want_filled, want_given; /* 0: nobody sleeps */
    int failed;                     /* io_uring failed: nothing more is read ahead */
    /* No thread: the reader's own thread reads a batch through the ring
     * when it asks for a file not read yet (sync_b..n_filled are). Chosen
     * when counting threads fill every core: a thread reading ahead then
     * only takes turns with them, and every hand-over costs wake-ups. */
    int sync;
    size_t sync_b;
    /* the folder of the last file read, open: the next file of the same
     * folder opens relative to it, without a walk down the whole path */
    int dfd;
    const char *dir; /* the path of the last file, dir_len bytes of it */
    size_t dir_len;
#if HAVE_URING
    struct uring *ring; /* or NULL: a file at a time with open, pread, close */
#endif
};

/* The folder to open path relative to, with the name in it (*name): the
 * folder of the file before when it is the same, else opened now (the one
 * before is closed, or put in *old when old is given), or AT_FDCWD and the
 * whole path. */
static int folder_of(struct ahead *a, const char *path, const char **name, int *old)
{
    const char *slash = strrchr(path, '/');
    *name = path;
    if (!slash || slash == path)
        return AT_FDCWD;
    size_t dl = (size_t)(slash - path);
    if (a->dfd < 0 || dl != a->dir_len || memcmp(path, a->dir, dl) != 0) {
        if (a->dfd >= 0 && old)
            *old = a->dfd;
        else if (a->dfd >= 0)
            close(a->dfd);
        a->dfd = -1;
        a->dir = NULL;
        a->dir_len = 0;
        char dir[4096];
        if (dl >= sizeof(dir))
            return AT_FDCWD;
        memcpy(dir, path, dl);
        dir[dl] = 0;
        a->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (a->dfd < 0)
            return AT_FDCWD;
        a->dir = path; /* the inputs' paths live as long as the reader */
        a->dir_len = dl;
    }
    *name = slash + 1;
    return a->dfd;
}

/* The inputs worth reading ahead: all of them, or those before the end
 * another thread may move back (tp_reader_share_end). */
static size_t ahead_limit(const struct tp_reader *r)
{
    size_t end = r->range_end ? __atomic_load_n(&r->range_end->end, __ATOMIC_RELAXED) : r->n_in;
    return end < r->n_in ? end : r->n_in;
}

/* Whether input in may be read ahead: a small regular file, not compressed
 * (archives and .zst/.xz/.bz2 files are read through libarchive). */
static int eligible(const struct input *in)
{
    return !in->stream && in->regular && (in->size < AHEAD_BYTES || in->unsized) &&
           !tp_in_ends_with(in->path, strlen(in->path), ".gz") &&
           !tp_in_packed_kind(in->path, strlen(in->path));
}

#if HAVE_URING
/* ---- a batch of files read through io_uring -------------------------------
 * The files of a batch are opened and read by one system call for all of
 * them instead of three each (open, read, close): on a machine where a
 * system call is dear, most of what reading a small file costs. Each file is
 * an OPENAT into a slot of the ring's own file table, linked to a READ from
 * that slot; the next file opened into a slot closes the one before, and
 * the table is closed with the ring. A file that does not open or read is
 * left to the reader (NONE), which then gives the message it always gave.
 * Without io_uring (an old kernel, a sandbox that forbids it, or the
 * environment variable TEMPORA_NO_URING set) files are read one at a time
 * as before. */

struct uring {
    int fd;
    unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
    struct io_uring_sqe *sqes;
    struct io_uring_cqe *cqes;
    void *sq_map, *cq_map;
    size_t sq_size, cq_size, sqes_size;
    unsigned n; /* SQEs placed since the last submit */
};

static void uring_free(struct uring *u)
{
    if (!u)
        return;
    if (u->sqes && u->sqes != MAP_FAILED)
        munmap(u->sqes, u->sqes_size);
    if (u->cq_map && u->cq_map != MAP_FAILED && u->cq_map != u->sq_map)
        munmap(u->cq_map, u->cq_size);
    if (u->sq_map && u->sq_map != MAP_FAILED)
        munmap(u->sq_map, u->sq_size);
    if (u->fd >= 0)
        close(u->fd);
    free(u);
}

/* A ring of at least entries SQEs with a file table of n_files slots;
 * flags: more IORING_SETUP_ flags. */
static struct uring *uring_new(unsigned entries, int n_files, unsigned flags)
{
    struct io_uring_params p;
    struct uring *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    memset(&p, 0, sizeof(p));
    p.flags = IORING_SETUP_SUBMIT_ALL | flags; /* every SQE submitted, each with its CQE */
    u->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
    if (u->fd < 0 || !(p.features & IORING_FEAT_NODROP))
        goto fail;
    u->sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    u->cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP && u->cq_size > u->sq_size)
        u->sq_size = u->cq_size;
    u->sq_map = mmap(NULL, u->sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd,
                     IORING_OFF_SQ_RING);
    if (u->sq_map == MAP_FAILED)
        goto fail;
    if (p.features & IORING_FEAT_SINGLE_MMAP)
        u->cq_map = u->sq_map;
    else
        u->cq_map = mmap(NULL, u->cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd,
                         IORING_OFF_CQ_RING);
    if (u->cq_map == MAP_FAILED)
        goto fail;
    u->sqes_size = p.sq_entries * sizeof(struct io_uring_sqe);
    u->sqes = mmap(NULL, u->sqes_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd,
                   IORING_OFF_SQES);
    if (u->sqes == MAP_FAILED)
        goto fail;
    char *sq = u->sq_map, *cq = u->cq_map;
    u->sq_tail = (unsigned *)(sq + p.sq_off.tail);
    u->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
    u->sq_array = (unsigned *)(sq + p.sq_off.array);
    u->cq_head = (unsigned *)(cq + p.cq_off.head);
    u->cq_tail = (unsigned *)(cq + p.cq_off.tail);
    u->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
    u->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    /* the file table: one empty slot a file of a batch */
    int slots[BATCH];
    for (int i = 0; i < BATCH; i++)
        slots[i] = -1;
    if (n_files > 0 &&
        syscall(__NR_io_uring_register, u->fd, IORING_REGISTER_FILES, slots, n_files) < 0)
        goto fail;
    return u;
fail:
    uring_free(u);
    return NULL;
}

static struct io_uring_sqe *uring_sqe(struct uring *u)
{
    unsigned tail = *u->sq_tail + u->n;
    unsigned i = tail & *u->sq_mask;
    struct io_uring_sqe *e = &u->sqes[i];
    memset(e, 0, sizeof(*e));
    u->sq_array[i] = i;
    u->n++;
    return e;
}

/* Submit the n SQEs placed and wait for their n completions: 0, or -1
 * when io_uring failed (then nothing is known of any of them). */
static int uring_run(struct uring *u)
{
    unsigned n = u->n;
    __atomic_store_n(u->sq_tail, *u->sq_tail + n, __ATOMIC_RELEASE);
    u->n = 0;
    unsigned to_submit = n;
    for (;;) {
        unsigned ready = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE) - *u->cq_head;
        if (ready >= n && to_submit == 0)
            return 0;
        long k = syscall(__NR_io_uring_enter, u->fd, to_submit, ready >= n ? 0 : n - ready,
                         IORING_ENTER_GETEVENTS, NULL, 0);
        if (k < 0 && errno != EINTR)
            return -1;
        if (k > 0)
            to_submit -= (unsigned)k < to_submit ? (unsigned)k : to_submit;
    }
}
#endif

/* Read input i whole into s->buf: READY with its length, or NONE. */
static enum slot_state read_one(struct ahead *a, const struct input *in, struct slot *s)
{
    if (!eligible(in))
        return NONE;
    /* never blocks: a file that became a FIFO since listed is the reader's */
    const char *name;
    int dfd = folder_of(a, in->path, &name, NULL);
    int fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NONE;
    /* still a regular file once open: anything else put in its place is
     * the reader's, which refuses it with a message naming it */
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return NONE;
    }
    ssize_t k;
    do
        k = pread(fd, s->buf, AHEAD_BYTES, 0);
    while (k < 0 && errno == EINTR);
    close(fd);
    if (k < 0 || k >= AHEAD_BYTES)
        return NONE;
    s->len = (size_t)k;
    return READY;
}

/* Read inputs b..e (at most BATCH of them) into their slots: st[j - b] says
 * READY (with the slot's len set) or NONE. */
static void read_batch(struct ahead *a, size_t b, size_t e, enum slot_state *st)
{
#if HAVE_URING
    struct uring *u = a->ring;
    if (u) {
        int old[BATCH + 1];
        unsigned n_old = 0;
        old[0] = -1;
        for (size_t j = b; j < e; j++) {
            const struct input *in = &a->r->in[j];
            st[j - b] = NONE;
            if (!eligible(in))
                continue;
            const char *name;
            int dfd = folder_of(a, in->path, &name, &old[n_old]);
            if (old[n_old] >= 0)
                n_old++;
            old[n_old] = -1;
            /* never blocks: a file that became a FIFO since listed is the
             * reader's; a file not in memory is the reader's too (EAGAIN) */
            struct io_uring_sqe *o = uring_sqe(u);
            o->opcode = IORING_OP_OPENAT;
            o->fd = dfd;
            o->addr = (uintptr_t)name;
            o->open_flags = O_RDONLY | O_NONBLOCK; /* a direct descriptor: no O_CLOEXEC */
            o->file_index = (unsigned)(j - b) + 1;
            o->flags = IOSQE_IO_LINK;
            o->user_data = 3 * (j - b);
            /* still a regular file once open: posix_fadvise fails on a
             * FIFO (ESPIPE), which then cancels the read and leaves the
             * file to the reader, which refuses it (a device or a folder
             * fails the read, or reads other than the listed size, with the
             * same end) */
            struct io_uring_sqe *fa = uring_sqe(u);
            fa->opcode = IORING_OP_FADVISE;
            fa->fd = (int)(j - b);
            fa->flags = IOSQE_FIXED_FILE | IOSQE_IO_LINK;
            fa->fadvise_advice = POSIX_FADV_NORMAL;
            fa->user_data = 3 * (j - b) + 1;
            struct io_uring_sqe *rd = uring_sqe(u);
            rd->opcode = IORING_OP_READ;
            rd->fd = (int)(j - b);
            rd->flags = IOSQE_FIXED_FILE;
            rd->addr = (uintptr_t)a->slots[j % AHEAD_SLOTS].buf;
            rd->len = AHEAD_BYTES;
            rd->off = 0;
            rd->user_data = 3 * (j - b) + 2;
        }
        if (u->n && uring_run(u) < 0) {
            /* nothing known: nothing read ahead from now on, and no buffer
             * is trusted (a read may still land in it) */
            a->failed = 1;
        }
        unsigned head = *u->cq_head, tail = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);
        for (; head != tail; head++) {
            const struct io_uring_cqe *c = &u->cqes[head & *u->cq_mask];
            size_t j = b + (size_t)(c->user_data / 3);
            int is_read = c->user_data % 3 == 2;
            /* an unsized input is whole when the read stops short of the
             * buffer (at the end of a regular file) */
            if (is_read && !a->failed && j < e && c->res >= 0 && c->res < AHEAD_BYTES &&
                c->res > 0 && ((uint64_t)c->res == a->r->in[j].size || a->r->in[j].unsized)) {
                a->slots[j % AHEAD_SLOTS].len = (size_t)c->res;
                st[j - b] = READY;
            } else if (is_read && j < e && (c->res == -EAGAIN || c->res >= 0)) {
                /* not in memory, or not the size listed (changed, or no
                 * longer a regular file: a device passes the FADVISE), or
                 * empty (/dev/null reads as empty): read below, as without
                 * io_uring, which checks and says which */
                st[j - b] = WAIT;
            }
        }
        __atomic_store_n(u->cq_head, head, __ATOMIC_RELEASE);
        for (unsigned k = 0; k < n_old; k++)
            close(old[k]);
        for (size_t j = b; j < e; j++)
            if (a->failed)
                st[j - b] = NONE;
            else if (st[j - b] == WAIT)
                st[j - b] = read_one(a, &a->r->in[j], &a->slots[j % AHEAD_SLOTS]);
        return;
    }
#endif
    for (size_t j = b; j < e; j++)
        st[j - b] = a->failed ? NONE : read_one(a, &a->r->in[j], &a->slots[j % AHEAD_SLOTS]);
}

/* ---- a folder's entries looked at through io_uring ------------------------ */

int tp_in_ring_stat(int dfd, char *const *names, size_t off, size_t n, unsigned threads,
                    struct tp_in_stat *out)
{
#if HAVE_URING
    enum { STAT_BATCH = 256 };
    const char *no = getenv("TEMPORA_NO_URING");
    if (no && *no && strcmp(no, "0") != 0)
        return -1;
    struct statx *sx = malloc(STAT_BATCH * sizeof(*sx));
    /* statx runs on the kernel's worker threads (io-wq): measured on
     * 200,000 files, listing alone, 0.66-0.74 CPU seconds against 0.77-0.81
     * with fstatat on two threads, for about 90,000 context switches of
     * those workers (DEFER_TASKRUN, or one worker, does not change that) */
    struct uring *u = sx ? uring_new(STAT_BATCH, 0, 0) : NULL;
    /* the kernel runs them on its worker threads: as many as --threads */
    unsigned workers[2] = {threads, threads};
    if (!u ||
        syscall(__NR_io_uring_register, u->fd, IORING_REGISTER_IOWQ_MAX_WORKERS, workers, 2) < 0) {
        uring_free(u);
        free(sx);
        return -1;
    }
    int rc = 0;
    for (size_t b = 0; b < n && rc == 0; b += STAT_BATCH) {
        size_t e = b + STAT_BATCH < n ? b + STAT_BATCH : n;
        for (size_t j = b; j < e; j++) {
            struct io_uring_sqe *q = uring_sqe(u);
            q->opcode = IORING_OP_STATX;
            q->fd = dfd;
            q->addr = (uintptr_t)(names[j] + off);
            q->len = STATX_TYPE | STATX_MODE | STATX_UID | STATX_SIZE;
            q->statx_flags = AT_SYMLINK_NOFOLLOW;
            q->off = (uintptr_t)&sx[j - b];
            q->user_data = j - b;
            out[j].err = -1; /* no completion seen */
        }
        if (uring_run(u) < 0) {
            rc = -1; /* nothing known: the caller looks at them again */
            break;
        }
        unsigned head = *u->cq_head, tail = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);
        for (; head != tail; head++) {
            const struct io_uring_cqe *c = &u->cqes[head & *u->cq_mask];
            size_t j = b + (size_t)c->user_data;
            if (j >= e)
                continue;
            const struct statx *x = &sx[c->user_data];
            unsigned want = STATX_TYPE | STATX_MODE | STATX_UID | STATX_SIZE;
            out[j].err = c->res < 0 ? -c->res : (x->stx_mask & want) == want ? 0 : -1;
            out[j].mode = x->stx_mode;
            out[j].uid = x->stx_uid;
            out[j].size = x->stx_size;
        }
        __atomic_store_n(u->cq_head, head, __ATOMIC_RELEASE);
        for (size_t j = b; j < e && rc == 0; j++)
            if (out[j].err < 0)
                rc = -1;
    }
    uring_free(u);
    free(sx);
    return rc;
#else
    (void)dfd, (void)names, (void)off, (void)n, (void)threads, (void)out;
    return -1;
#endif
}

static void *ahead_main(void *arg)
{
    struct ahead *a = arg;
    for (size_t b = 0, n; b < (n = ahead_limit(a->r));) {
        size_t e = b + BATCH < n ? b + BATCH : n;
        pthread_mutex_lock(&a->mu);
        if (b + BATCH > AHEAD_SLOTS && a->n_given < b + BATCH - AHEAD_SLOTS && !a->stop) {
            /* the batch's slots are not all free: sleep until half the
             * ring is (want_given <= b - HALF), not a batch at a time */
            a->want_given = b - HALF;
            while (a->n_given < a->want_given && !a->stop)
                pthread_cond_wait(&a->freed, &a->mu);
            a->want_given = 0;
        }
        int stop = a->stop;
        pthread_mutex_unlock(&a->mu);
        if (stop)
            break;
        /* the batch's slots are EMPTY: the reader does not look at them
         * until they are handed over */
        enum slot_state st[BATCH];
        read_batch(a, b, e, st);
        pthread_mutex_lock(&a->mu);
        for (size_t j = b; j < e; j++) {
            a->slots[j % AHEAD_SLOTS].index = j;
            a->slots[j % AHEAD_SLOTS].state = st[j - b];
        }
        a->n_filled = e;
        if (a->want_filled && a->n_filled >= a->want_filled)
            pthread_cond_broadcast(&a->filled);
        pthread_mutex_unlock(&a->mu);
        b = e;
    }
    pthread_mutex_lock(&a->mu);
    a->done = 1;
    pthread_cond_broadcast(&a->filled);
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int tp_in_ahead_start(struct tp_reader *r)
{
    struct ahead *a = calloc(1, sizeof(*a));
    if (!a)
        return 0; /* reading ahead is an optimization: without it, files are read as they come */
    a->r = r;
    a->dfd = -1;
    unsigned char *bufs = malloc((size_t)AHEAD_SLOTS * AHEAD_BYTES);
    if (!bufs) {
        free(a);
        return 0;
    }
    for (int i = 0; i < AHEAD_SLOTS; i++)
        a->slots[i].buf = bufs + (size_t)i * AHEAD_BYTES;
#if HAVE_URING
    const char *no = getenv("TEMPORA_NO_URING"); /* "1" (README); "" or "0": unset */
    a->ring = no && *no && strcmp(no, "0") != 0 ? NULL : uring_new(3 * BATCH, BATCH, 0);
    if (a->ring && r->slice) {
        /* one of several counting threads: do they fill the cores (those
         * this process may run on, as --threads counts them)? */
        cpu_set_t set;
        long cores = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                                  : sysconf(_SC_NPROCESSORS_ONLN);
        a->sync = r->o->threads <= 0 || (cores > 0 && r->o->threads >= cores);
    }
    if (a->sync) {
        r->ahead = a;
        return 0;
    }
#endif
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->filled, NULL);
    pthread_cond_init(&a->freed, NULL);
    if (pthread_create(&a->tid, NULL, ahead_main, a) != 0) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->filled);
        pthread_cond_destroy(&a->freed);
#if HAVE_URING
        uring_free(a->ring);
#endif
        free(bufs);
        free(a);
        return 0;
    }
    r->ahead = a;
    return 0;
}

void tp_in_ahead_stop(struct tp_reader *r)
{
    struct ahead *a = r->ahead;
    if (!a)
        return;
    if (!a->sync) {
        pthread_mutex_lock(&a->mu);
        a->stop = 1;
        pthread_cond_broadcast(&a->freed);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->tid, NULL);
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->filled);
        pthread_cond_destroy(&a->freed);
    }
#if HAVE_URING
    uring_free(a->ring); /* closes the files of its table */
#endif
    if (a->dfd >= 0)
        close(a->dfd);
    free(a->slots[0].buf);
    free(a);
    r->ahead = NULL;
}

int tp_in_ahead_take(struct tp_reader *r, size_t i, const unsigned char **buf, size_t *len)
{
    struct ahead *a = r->ahead;
    struct slot *s = &a->slots[i % AHEAD_SLOTS];
    if (a->sync) {
        if (i < a->sync_b || i >= a->n_filled) {
            /* files i.. (a batch) read now, on this thread; the files
             * before i are given back, and a batch fits in the ring */
            /* (input i is claimed: the list's end is past it) */
            size_t n = ahead_limit(a->r), e = i + BATCH < n ? i + BATCH : n;
            enum slot_state st[BATCH];
            read_batch(a, i, e, st);
            for (size_t j = i; j < e; j++) {
                a->slots[j % AHEAD_SLOTS].index = j;
                a->slots[j % AHEAD_SLOTS].state = st[j - i];
            }
            a->sync_b = i;
            a->n_filled = e;
        }
        *buf = s->buf;
        *len = s->len;
        if (s->state != READY) {
            s->state = EMPTY;
            return 0;
        }
        return 1;
    }
    pthread_mutex_lock(&a->mu);
    if (a->n_filled <= i) {
        /* sleep until half the ring is read, not a batch at a time */
        a->want_filled = i + HALF < a->r->n_in ? i + HALF : a->r->n_in;
        while (a->n_filled < a->want_filled && !a->done)
            pthread_cond_wait(&a->filled, &a->mu);
        a->want_filled = 0;
    }
    /* not read ahead (the list ended before it): the reader's */
    int ready = i < a->n_filled && s->state == READY;
    pthread_mutex_unlock(&a->mu);
    *buf = s->buf;
    *len = s->len;
    if (!ready)
        tp_in_ahead_give_back(r, i);
    return ready;
}

void tp_in_ahead_give_back(struct tp_reader *r, size_t i)
{
    struct ahead *a = r->ahead;
    struct slot *s = &a->slots[i % AHEAD_SLOTS];
    if (a->sync) {
        s->state = EMPTY;
        return;
    }
    pthread_mutex_lock(&a->mu);
    s->state = EMPTY;
    a->n_given++;
    if (a->want_given && a->n_given >= a->want_given)
        pthread_cond_broadcast(&a->freed);
    pthread_mutex_unlock(&a->mu);
}
