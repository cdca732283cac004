/*
 * mpi_main.c - tempora-mpi: one tempora command run by P MPI processes
 * (make mpi; docs/scale-out.md).
 *
 *     mpirun -np P tempora-mpi COMMAND [OPTIONS] INPUT... -o OUT
 *
 * Every rank parses the same command line (main.c, built here as
 * tempora_main) and reaches cli_count, which calls count_share: rank r
 * counts share r+1 of P of the inputs (--shard r+1/P, with its threads); the
 * counts are merged along a binary tree: at step s, rank r with r mod 2s = s
 * writes its counts as a count state to a temporary file and sends it to
 * rank r - s, in chunks of at most TEMPORA_MPI_CHUNK bytes (64 MiB by
 * default), and the receiver reads it into its own counts after its own
 * documents, as a state input is read (tp_state_load), so the documents stay
 * in input order. Rank 0 then holds the counts of one process counting
 * everything and writes the tables.
 * A rank that fails prints its message and calls MPI_Abort, so the job ends
 * non-zero; rank 0 writes only after every state reached it.
 */
#include <errno.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "state.h"

int tempora_main(int argc, char **argv);

static int rank, n_ranks;
static char *temps[64];
static size_t n_temps;

static void remove_temps(void)
{
    for (size_t i = 0; i < n_temps; i++)
        if (temps[i]) {
            unlink(temps[i]);
            free(temps[i]);
            temps[i] = NULL;
        }
    n_temps = 0;
}

static void die(const char *msg)
{
    fprintf(stderr, "tempora: rank %d of %d: %s\n", rank, n_ranks, msg);
    fflush(stderr);
    remove_temps();
    MPI_Abort(MPI_COMM_WORLD, 1);
    exit(1);
}

/* A new temporary file's path (removed at the end). */
static const char *temp_path(void)
{
    const char *dir = getenv("TMPDIR");
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s/tempora-mpi.%d.XXXXXX", dir && *dir ? dir : "/tmp", rank);
    int fd = mkstemp(buf);
    if (fd < 0 || n_temps == sizeof(temps) / sizeof(temps[0]))
        die("cannot create a temporary file");
    close(fd);
    if (!(temps[n_temps] = strdup(buf)))
        die("out of memory");
    return temps[n_temps++];
}

static size_t chunk_size(void)
{
    const char *s = getenv("TEMPORA_MPI_CHUNK");
    long v = s ? atol(s) : 0;
    return v > 0 && v <= (64L << 20) ? (size_t)v : (size_t)64 << 20;
}

enum { TAG_HEAD = 1, TAG_DATA = 2 };

static void send_file(const char *path, int to)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0)
        die(strerror(errno));
    uint64_t size = (uint64_t)st.st_size;
    MPI_Send(&size, 1, MPI_UINT64_T, to, TAG_HEAD, MPI_COMM_WORLD);
    size_t cap = chunk_size();
    char *buf = malloc(cap);
    if (!buf)
        die("out of memory");
    for (uint64_t done = 0; done < size;) {
        size_t n = size - done < cap ? (size_t)(size - done) : cap;
        if (fread(buf, 1, n, f) != n)
            die("cannot read a count state back");
        MPI_Send(buf, (int)n, MPI_BYTE, to, TAG_DATA, MPI_COMM_WORLD);
        done += n;
    }
    free(buf);
    fclose(f);
}

static void recv_file(const char *path, int from)
{
    uint64_t size;
    /* the sender may count for a long time yet: wait without spinning (a
     * blocking receive polls, taking a core from the ranks still counting) */
    MPI_Request req;
    int arrived = 0;
    MPI_Irecv(&size, 1, MPI_UINT64_T, from, TAG_HEAD, MPI_COMM_WORLD, &req);
    while (MPI_Test(&req, &arrived, MPI_STATUS_IGNORE) == MPI_SUCCESS && !arrived) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    FILE *f = fopen(path, "wb");
    size_t cap = chunk_size();
    char *buf = malloc(cap);
    if (!f || !buf)
        die("cannot write a received count state");
    for (uint64_t done = 0; done < size;) {
        size_t n = size - done < cap ? (size_t)(size - done) : cap;
        MPI_Recv(buf, (int)n, MPI_BYTE, from, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (fwrite(buf, 1, n, f) != n)
            die("cannot write a received count state");
        done += n;
    }
    free(buf);
    if (fclose(f) != 0)
        die("cannot write a received count state");
}

static int count_share(struct cli *cli, struct tp_run *run, const struct tp_count_opts *co,
                       struct tp_error *err)
{
    if (cli->n_target || cli->n_reference)
        die("--target/--reference: not with tempora-mpi (count each side with tempora count "
            "--shard and give the states to keyness)");
    cli->shard_i = (unsigned)rank + 1;
    cli->shard_n = (unsigned)n_ranks;
    /* this rank's share, counted as the command counts; a rank that sends
     * its counts on keeps the per-document lists a state holds */
    struct tp_count_opts share = *co;
    if (rank != 0)
        share.spill = 1;
    int rc = cli_count_here(cli, run, &share, err);
    if (rc)
        die(err->msg);
    /* the states of the shares after this one come in, in order, and are
     * read into this rank's run as a state input is (tp_state_load) */
    for (int step = 1; step < n_ranks; step *= 2) {
        if (rank % (2 * step) == 0) {
            if (rank + step >= n_ranks)
                continue;
            const char *theirs = temp_path();
            recv_file(theirs, rank + step);
            if ((rc = tp_state_load(run, theirs, 0, NULL, err)))
                die(err->msg);
            unlink(theirs); /* the run reads it through the descriptors it holds */
        } else {
            const char *mine = temp_path();
            if ((rc = tp_state_write(run, mine, err)))
                die(err->msg);
            tp_run_release(run);
            send_file(mine, rank - step);
            remove_temps();
            MPI_Finalize();
            exit(0);
        }
    }
    /* rank 0: the whole corpus, counted as one process counts it */
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n_ranks);
    cli_count_hook = count_share;
    int rc = tempora_main(argc, argv);
    remove_temps();
    if (rc != 0 && n_ranks > 1) {
        /* a usage or runtime error on rank 0 after the reduction, or on any
         * rank before it: the others may wait for this one */
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, rc);
    }
    MPI_Finalize();
    return rc;
}
