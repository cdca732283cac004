/*
 * input/ahead.c - reading the next files of a folder ahead, on a thread of
 * their own, while the files before them are counted.
 *
 * Where it sits: started and stopped by reader.c's tp_reader_run around a
 * run over many files; input/walk.c's tp_in_open takes a file read ahead
 * instead of opening it, and tp_in_close gives its buffer back. A folder of
 * small files costs an open, a read and a close each; done here, they are
 * off the path of the thread that tokenizes and counts, which then makes no
 * system call for such a file.
 *
 * Core data structure: struct ahead, a ring of AHEAD_SLOTS buffers; input i
 * goes to slot i % AHEAD_SLOTS, filled in input order by the thread and
 * emptied in the same order by the reader. A slot says READY (the whole
 * file is in its buffer) or NONE (not read ahead: too large, not a regular
 * file, or it failed to open or read; the reader then opens it as usual, so
 * every message is the one it always gave).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "input.h"

enum { AHEAD_SLOTS = 32, AHEAD_BYTES = 64 * 1024 };
enum slot_state { EMPTY, READY, NONE };

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
    struct slot slots[AHEAD_SLOTS];
    /* Wake-ups in batches, not a file at a time: a reader that finds its
     * file not read yet sleeps until the files up to want_filled are (or
     * all are), and the thread that finds the ring full sleeps until
     * want_given files are given back: half the ring either way. */
    size_t n_filled, n_given;
    size_t want_filled, want_given; /* 0: nobody sleeps */
    /* the folder of the last file read, open: the next file of the same
     * folder opens relative to it, without a walk down the whole path */
    int dfd;
    const char *dir; /* the path of the last file, dir_len bytes of it */
    size_t dir_len;
};

/* Open path for reading without blocking, relative to the folder of the
 * file before when it is the same folder. */
static int open_file(struct ahead *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return open(path, O_RDONLY | O_NONBLOCK);
    size_t dl = (size_t)(slash - path);
    if (a->dfd < 0 || dl != a->dir_len || memcmp(path, a->dir, dl) != 0) {
        if (a->dfd >= 0)
            close(a->dfd);
        a->dir = NULL;
        char dir[4096];
        if (dl >= sizeof(dir))
            return open(path, O_RDONLY | O_NONBLOCK);
        memcpy(dir, path, dl);
        dir[dl] = 0;
        a->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (a->dfd < 0)
            return open(path, O_RDONLY | O_NONBLOCK);
        a->dir = path; /* the inputs' paths live as long as the reader */
        a->dir_len = dl;
    }
    return openat(a->dfd, slash + 1, O_RDONLY | O_NONBLOCK);
}

/* Read input i whole into s->buf: READY with its length, or NONE. */
static enum slot_state read_one(struct ahead *a, const struct input *in, struct slot *s)
{
    if (in->stream || !in->regular || in->size >= AHEAD_BYTES ||
        tp_in_ends_with(in->path, strlen(in->path), ".gz") ||
        tp_in_packed_kind(in->path, strlen(in->path)))
        return NONE; /* archives and .zst/.xz/.bz2 files are read through libarchive */
    /* never blocks: a file that became a FIFO since listed is the reader's */
    int fd = open_file(a, in->path);
    if (fd < 0)
        return NONE;
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

static void *ahead_main(void *arg)
{
    struct ahead *a = arg;
    for (size_t i = 0; i < a->r->n_in; i++) {
        struct slot *s = &a->slots[i % AHEAD_SLOTS];
        pthread_mutex_lock(&a->mu);
        if (s->state != EMPTY && !a->stop) {
            a->want_given = i + 1 > AHEAD_SLOTS / 2 ? i + 1 - AHEAD_SLOTS / 2 : 1;
            while ((s->state != EMPTY || a->n_given < a->want_given) && !a->stop)
                pthread_cond_wait(&a->freed, &a->mu);
            a->want_given = 0;
        }
        int stop = a->stop;
        pthread_mutex_unlock(&a->mu);
        if (stop)
            break;
        /* the slot is EMPTY: the reader does not look at it until it is filled */
        enum slot_state st = read_one(a, &a->r->in[i], s);
        pthread_mutex_lock(&a->mu);
        s->index = i;
        s->state = st;
        a->n_filled = i + 1;
        if (a->want_filled && a->n_filled >= a->want_filled)
            pthread_cond_broadcast(&a->filled);
        pthread_mutex_unlock(&a->mu);
    }
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
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->filled, NULL);
    pthread_cond_init(&a->freed, NULL);
    if (pthread_create(&a->tid, NULL, ahead_main, a) != 0) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->filled);
        pthread_cond_destroy(&a->freed);
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
    pthread_mutex_lock(&a->mu);
    a->stop = 1;
    pthread_cond_broadcast(&a->freed);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->tid, NULL);
    if (a->dfd >= 0)
        close(a->dfd);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->filled);
    pthread_cond_destroy(&a->freed);
    free(a->slots[0].buf);
    free(a);
    r->ahead = NULL;
}

int tp_in_ahead_take(struct tp_reader *r, size_t i, const unsigned char **buf, size_t *len)
{
    struct ahead *a = r->ahead;
    struct slot *s = &a->slots[i % AHEAD_SLOTS];
    pthread_mutex_lock(&a->mu);
    if (s->state == EMPTY || s->index != i) {
        size_t n = a->r->n_in;
        a->want_filled = i + AHEAD_SLOTS / 2 < n ? i + AHEAD_SLOTS / 2 : n;
        while (s->state == EMPTY || s->index != i || a->n_filled < a->want_filled)
            pthread_cond_wait(&a->filled, &a->mu);
        a->want_filled = 0;
    }
    int ready = s->state == READY;
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
    pthread_mutex_lock(&a->mu);
    s->state = EMPTY;
    a->n_given++;
    if (a->want_given && a->n_given >= a->want_given)
        pthread_cond_broadcast(&a->freed);
    pthread_mutex_unlock(&a->mu);
}
