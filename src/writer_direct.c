/*
 * writer_direct.c - a large table file written past the page cache.
 *
 * A table's temporary file goes through stdio until it holds TP_DIRECT_FROM
 * bytes; then (tp_direct_start) its descriptor is switched to O_DIRECT and
 * its bytes gather in two aligned buffers of TP_DIRECT_CHUNK bytes, which a
 * thread of the file's own writes to the disk one after the other while the
 * table fills the other buffer. On this project's virtual machine a buffered
 * write of a fresh file costs the kernel's copy into newly made page-cache
 * pages: about 1.5 s of one core for the 767 MB tfidf.csv of a million
 * documents, on the thread that writes the table's rows, and the final fsync
 * then waits for most of it to reach the disk. Written direct, the disk takes
 * the buffers as they are (1.1-1.3 GB/s, 0.08 s of CPU for 800 MB with dd),
 * in the background; and the thread syncs every TP_DIRECT_SYNC_STEP bytes
 * it has written, so that the final fsync finds little in the disk's cache.
 *
 * Nothing a user sees changes: the file's bytes are the same, and it is
 * renamed into place only after tp_direct_end has written the rest (the
 * aligned part direct, the last partial block through the page cache with
 * O_DIRECT cleared) and tp_out_finish has fsynced it. A file system that
 * refuses O_DIRECT (tmpfs before Linux 6.6) keeps the file buffered; one
 * that takes the flag but refuses a direct write with EINVAL gets that
 * write, and the rest, buffered. A failed write is the table's write error,
 * as a buffered one is, and so is a failed sync.
 */
#define _GNU_SOURCE /* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "writer_int.h"

_Static_assert(TP_DIRECT_CHUNK % TP_DIRECT_ALIGN == 0, "whole chunks are aligned");

struct tp_direct {
    int fd;
    unsigned char *buf[2]; /* TP_DIRECT_CHUNK bytes each, aligned */
    int cur;               /* the buffer being filled */
    size_t len;            /* bytes in buf[cur] */
    uint64_t off;          /* the file offset of buf[cur] */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* under mu: the buffer handed to the thread (-1: none), where and how
     * much; the first failure's errno; whether the thread is to end */
    int pending;
    uint64_t pending_off;
    size_t pending_len;
    int err;
    int quit;
    uint64_t unsynced; /* the thread's own: bytes written since it last synced */
};

/* Write b[0..n) at off, the whole of it: direct while the descriptor is, and
 * buffered from the first EINVAL on (a direct write the file system turns
 * down). Returns 0 or errno. */
static int write_all(int fd, const unsigned char *b, size_t n, uint64_t off)
{
    while (n) {
        ssize_t w = pwrite(fd, b, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EINVAL) {
            int fl = fcntl(fd, F_GETFL);
            if (fl < 0 || !(fl & O_DIRECT) || fcntl(fd, F_SETFL, fl & ~O_DIRECT) != 0)
                return EINVAL;
            continue;
        }
        if (w < 0)
            return errno;
        if (w == 0)
            return EIO;
        b += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

static void *direct_main(void *arg)
{
    struct tp_direct *d = arg;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (d->pending < 0 && !d->quit)
            pthread_cond_wait(&d->cv, &d->mu);
        if (d->pending < 0)
            break;
        const unsigned char *b = d->buf[d->pending];
        uint64_t off = d->pending_off;
        size_t n = d->pending_len;
        int skip = d->err != 0; /* after a failure nothing more is written */
        pthread_mutex_unlock(&d->mu);
        int e = skip ? 0 : write_all(d->fd, b, n, off);
        pthread_mutex_lock(&d->mu);
        if (e && !d->err)
            d->err = e;
        d->pending = -1;
        pthread_cond_broadcast(&d->cv);
        d->unsynced += n;
        if (!d->err && d->unsynced >= TP_DIRECT_SYNC_STEP) {
            /* with the buffer handed back: the table fills it meanwhile (a
             * table written direct is one synced before its rename:
             * tp_out_emit starts direct writes for no other) */
            d->unsynced = 0;
            pthread_mutex_unlock(&d->mu);
            int se = fdatasync(d->fd) != 0 ? errno : 0;
            pthread_mutex_lock(&d->mu);
            if (tp_sync_failed(se) && !d->err)
                d->err = se; /* the final fsync may not see it again */
        }
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* Wait until the thread holds no buffer; returns the first failure's errno. */
static int direct_wait(struct tp_direct *d)
{
    pthread_mutex_lock(&d->mu);
    while (d->pending >= 0)
        pthread_cond_wait(&d->cv, &d->mu);
    int e = d->err;
    pthread_mutex_unlock(&d->mu);
    return e;
}

/* Hand buf[cur][0..n) (at off) to the thread, once it is free; returns the
 * first failure's errno. */
static int direct_hand(struct tp_direct *d, size_t n)
{
    pthread_mutex_lock(&d->mu);
    while (d->pending >= 0)
        pthread_cond_wait(&d->cv, &d->mu);
    int e = d->err;
    if (!e) {
        d->pending = d->cur;
        d->pending_off = d->off;
        d->pending_len = n;
        pthread_cond_broadcast(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    return e;
}

/* End the thread (after what it holds, and the sync it may be in after
 * handing its last buffer back) and free d; returns the first failure's
 * errno, read once the thread has ended. */
static int direct_release(struct tp_direct *d)
{
    pthread_mutex_lock(&d->mu);
    d->quit = 1;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    int e = d->err;
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d->buf[0]);
    free(d->buf[1]);
    free(d);
    return e;
}

int tp_direct_start(struct tp_out *o)
{
    int fd = fileno(o->f);
    int fl = fcntl(fd, F_GETFL);
    struct tp_direct *d = fl < 0 ? NULL : calloc(1, sizeof(*d));
    if (!d)
        return -1;
    d->fd = fd;
    d->pending = -1;
    d->off = o->written;
    d->mu = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    d->cv = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
    /* (a failed posix_memalign leaves its pointer NULL, as calloc made it) */
    if (posix_memalign((void **)&d->buf[0], TP_DIRECT_ALIGN, TP_DIRECT_CHUNK) != 0 ||
        posix_memalign((void **)&d->buf[1], TP_DIRECT_ALIGN, TP_DIRECT_CHUNK) != 0 ||
        pthread_create(&d->thread, NULL, direct_main, d) != 0) {
        free(d->buf[0]);
        free(d->buf[1]);
        free(d);
        return -1;
    }
    /* stdio holds nothing (the caller flushed it) and the file ends at an
     * aligned offset: from here on only this file's writes reach it */
    if (fcntl(fd, F_SETFL, fl | O_DIRECT) != 0) {
        (void)direct_release(d);
        return -1;
    }
    o->direct_io = d;
    return 0;
}

void tp_direct_put(struct tp_out *o, const char *s, size_t n)
{
    struct tp_direct *d = o->direct_io;
    while (n && !o->failed) {
        size_t room = TP_DIRECT_CHUNK - d->len, k = n < room ? n : room;
        memcpy(d->buf[d->cur] + d->len, s, k);
        d->len += k;
        s += k;
        n -= k;
        if (d->len == TP_DIRECT_CHUNK) {
            int e = direct_hand(d, d->len);
            if (e) {
                o->failed = 1;
                o->err_no = e;
                return;
            }
            d->cur ^= 1;
            d->off += TP_DIRECT_CHUNK;
            d->len = 0;
        }
        o->written += k;
    }
}

int tp_direct_end(struct tp_out *o)
{
    struct tp_direct *d = o->direct_io;
    if (!d)
        return 0;
    o->direct_io = NULL;
    int fd = fileno(o->f);
    size_t whole = d->len / TP_DIRECT_ALIGN * TP_DIRECT_ALIGN;
    int e = o->failed || !whole ? 0 : direct_hand(d, whole);
    int e2 = direct_wait(d);
    e = e ? e : e2;
    /* the last partial block through the page cache */
    int fl = fcntl(fd, F_GETFL);
    if (!e && (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_DIRECT) != 0))
        e = errno;
    if (!e && !o->failed)
        e = write_all(fd, d->buf[d->cur] + whole, d->len - whole, d->off + whole);
    /* (a sync the thread began after its last buffer fails here too: the
     * final fsync may not hear of it again) */
    int e3 = direct_release(d);
    e = e ? e : e3;
    /* stdio's position, should anything write through it again */
    if (!e && !o->failed && fseeko(o->f, (off_t)o->written, SEEK_SET) != 0)
        e = errno;
    if (e && !o->failed) {
        o->failed = 1;
        o->err_no = e;
    }
    return o->failed ? -1 : 0;
}

void tp_direct_free(struct tp_out *o)
{
    if (o->direct_io)
        (void)direct_release(o->direct_io);
    o->direct_io = NULL;
}
