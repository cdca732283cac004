/*
 * input/inflate.c - a gzip input decompressed on a thread of its own while
 * the reader's thread tokenizes and counts what came before.
 *
 * Where it sits: under input/common.c's tp_in_read, which takes a .gz
 * file's bytes from here once its first bytes were peeked at; input/open.c's
 * tp_in_close stops the thread before closing the file, and a rewind (text.c
 * choosing an encoding) stops it too (the next read starts it again). The
 * thread makes the same gzread calls, of CHUNK bytes each, that the reader
 * would make, so the bytes, where reading stops and the error met are the
 * same; the reader copies them out of the ring.
 *
 * Core data structure: struct inflater, a ring of RING buffers of CHUNK
 * bytes: the thread fills them in order (head), the reader empties them in
 * order (tail, pos within the buffer at tail); done says the thread met the
 * end or an error (failed, with its errno) and will fill no more.
 */
#include <errno.h>
#include <pthread.h>

#include "input.h"

enum { RING = 4 };

struct inflater {
    gzFile gz;
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t have, room;
    unsigned char *buf[RING];
    size_t len[RING];
    size_t head, tail, pos;
    int done, failed, err_no, stop;
    z_off_t in_off; /* compressed bytes read by the last gzread */
};

static void *inflate_main(void *arg)
{
    struct inflater *f = arg;
    for (;;) {
        pthread_mutex_lock(&f->mu);
        while (f->head - f->tail == RING && !f->stop)
            pthread_cond_wait(&f->room, &f->mu);
        int stop = f->stop;
        size_t slot = f->head % RING;
        pthread_mutex_unlock(&f->mu);
        if (stop)
            break;
        int k = gzread(f->gz, f->buf[slot], CHUNK);
        int errnum = Z_OK, e = errno;
        if (k < (int)CHUNK)
            gzerror(f->gz, &errnum);
        z_off_t off = gzoffset(f->gz);
        pthread_mutex_lock(&f->mu);
        if (k < 0 || errnum != Z_OK) {
            f->failed = 1;
            f->err_no = e;
            f->done = 1;
        } else {
            f->len[slot] = (size_t)k;
            f->head++;
            f->done = k < (int)CHUNK;
        }
        f->in_off = off;
        int done = f->done;
        pthread_cond_signal(&f->have);
        pthread_mutex_unlock(&f->mu);
        if (done)
            break;
    }
    return NULL;
}

/* Start the thread for run->gz: 0, or -1 (then gzread is called as before). */
static int inflate_start(struct run *run)
{
    struct inflater *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    unsigned char *bufs = malloc((size_t)RING * CHUNK);
    if (!bufs) {
        free(f);
        return -1;
    }
    for (int i = 0; i < RING; i++)
        f->buf[i] = bufs + (size_t)i * CHUNK;
    f->gz = run->gz;
    f->in_off = gzoffset(run->gz);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->have, NULL);
    pthread_cond_init(&f->room, NULL);
    if (pthread_create(&f->tid, NULL, inflate_main, f) != 0) {
        pthread_mutex_destroy(&f->mu);
        pthread_cond_destroy(&f->have);
        pthread_cond_destroy(&f->room);
        free(bufs);
        free(f);
        return -1;
    }
    run->inflater = f;
    return 0;
}

void tp_in_inflate_stop(struct run *run)
{
    struct inflater *f = run->inflater;
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->stop = 1;
    pthread_cond_signal(&f->room);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->tid, NULL);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->have);
    pthread_cond_destroy(&f->room);
    free(f->buf[0]);
    free(f);
    run->inflater = NULL;
}

z_off_t tp_in_inflate_offset(struct run *run)
{
    struct inflater *f = run->inflater;
    pthread_mutex_lock(&f->mu);
    z_off_t off = f->in_off;
    pthread_mutex_unlock(&f->mu);
    return off;
}

int tp_in_inflate_read(struct run *run, void *out, size_t cap, size_t *got)
{
    if (!run->inflater && (gzdirect(run->gz) || inflate_start(run) < 0)) {
        run->inflate_off = 1;
        return 1; /* not here: gzread as before */
    }
    struct inflater *f = run->inflater;
    size_t n = 0;
    int failed = 0;
    while (n < cap) {
        pthread_mutex_lock(&f->mu);
        while (f->tail == f->head && !f->done)
            pthread_cond_wait(&f->have, &f->mu);
        int empty = f->tail == f->head;
        failed = f->failed;
        pthread_mutex_unlock(&f->mu);
        if (empty)
            break;
        /* the buffer at tail is the reader's until tail moves on */
        size_t slot = f->tail % RING, k = f->len[slot] - f->pos;
        if (k > cap - n)
            k = cap - n;
        memcpy((char *)out + n, f->buf[slot] + f->pos, k);
        n += k;
        f->pos += k;
        if (f->pos == f->len[slot]) {
            pthread_mutex_lock(&f->mu);
            f->tail++;
            f->pos = 0;
            pthread_cond_signal(&f->room);
            pthread_mutex_unlock(&f->mu);
        }
    }
    if (n < cap) {
        /* the end, or an error, of the file: the thread is done with gz,
         * and later reads (none, as a rule) call gzread */
        int e = f->err_no;
        tp_in_inflate_stop(run);
        run->inflate_off = 1;
        if (failed) {
            errno = e;
            return tp_in_gz_failed(run);
        }
    }
    *got = n;
    return 0;
}
