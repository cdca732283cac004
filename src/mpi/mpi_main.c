/*
 * mpi_main.c - tempora-mpi: one tempora command run by P MPI processes
 * (make mpi; docs/scale-out.md).
 *
 *     mpirun -np P tempora-mpi COMMAND [OPTIONS] INPUT... -o OUT
 *
 * Every rank parses the same command line (main.c, built here as
 * tempora_main) and reaches cli_count, which calls count_share: rank r
 * counts share r+1 of P of the inputs (--shard r+1/P, on the cores it is
 * bound to and those of its node's ranks with empty shares: share_threads);
 * the counts are merged along a binary tree: at step s, rank r with
 * r mod 2s = s writes its counts as a count state to a temporary file and,
 * once rank r - s has counted its own share and says it is ready, hands it
 * over: by the file's name when both ranks are on one node, else in chunks
 * of TEMPORA_MPI_CHUNK bytes (1 MiB by default; when set, states always go
 * in chunks), each read while the one before is on its way. The receiver
 * reads it into its own counts after its own documents, as a state input is
 * read (tp_state_load), so the documents stay in input order. Rank 0 then
 * holds the counts of one process counting everything and writes the
 * tables. Waits sleep between checks (MPI_Test) instead of spinning.
 * A rank that fails prints its message and calls MPI_Abort, so the job ends
 * non-zero; rank 0 writes only after every state reached it; temporary files
 * are registered with outpath.c's signal cleanup, so a rank killed by the
 * abort leaves none. TEMPORA_MPI_TIMES: each rank prints its phases.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "outpath.h"
#include "state.h"

int tempora_main(int argc, char **argv);

static int rank, n_ranks;

/* TEMPORA_MPI_TIMES set: each rank prints the wall and CPU seconds of its
 * phases to stderr when it ends (docs/scale-out.md, bench/state.sh). */
enum { PH_INIT, PH_COUNT, PH_WRITE, PH_SEND, PH_WAIT, PH_RECV, PH_LOAD, PH_REPORT, N_PH };
static const char *const ph_name[N_PH] = {"init", "count", "write", "send",
                                          "wait", "recv",  "load",  "report"};
static double ph_wall[N_PH], ph_cpu[N_PH], mark_wall, mark_cpu;
static int timing;
static unsigned threads_used;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The time since the last mark goes to phase ph. */
static void phase(int ph)
{
    double w = clock_s(CLOCK_MONOTONIC), c = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    ph_wall[ph] += w - mark_wall;
    ph_cpu[ph] += c - mark_cpu;
    mark_wall = w;
    mark_cpu = c;
}

static void print_times(void)
{
    if (!timing)
        return;
    char line[512];
    int at = snprintf(line, sizeof(line), "tempora-mpi: rank %d of %d (%u thread%s):", rank,
                      n_ranks, threads_used, threads_used == 1 ? "" : "s");
    for (int i = 0; i < N_PH && at < (int)sizeof(line); i++)
        if (ph_wall[i] > 0 || i == PH_COUNT)
            at += snprintf(line + at, sizeof(line) - (size_t)at, " %s %.3f/%.3f", ph_name[i],
                           ph_wall[i], ph_cpu[i]);
    fprintf(stderr, "%s (wall/cpu s)\n", line);
}
/* This rank's temporary files, registered for the signal cleanup of
 * outpath.c (a rank killed when another aborts the job leaves none). */
static char *temps[64];
static int temp_slot[64];
static size_t n_temps;

static void remove_temps(void)
{
    for (size_t i = 0; i < n_temps; i++)
        if (temps[i]) {
            unlink(temps[i]);
            tp_outpath_live_drop(&temp_slot[i]);
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
    if (n_temps == sizeof(temps) / sizeof(temps[0]))
        die("cannot create a temporary file");
    tp_outpath_hold();
    int fd = mkstemp(buf);
    if (fd >= 0)
        temp_slot[n_temps] = tp_outpath_live_add(buf, 1);
    tp_outpath_release();
    if (fd < 0)
        die("cannot create a temporary file");
    close(fd);
    if (!(temps[n_temps] = strdup(buf)))
        die("out of memory");
    return temps[n_temps++];
}

/* The chunk of a message: TEMPORA_MPI_CHUNK bytes when set (at most 64 MiB),
 * else 1 MiB (a chunk of 64 MiB took 20 times longer to pass between two
 * ranks on one node than the same bytes in 1 MiB chunks). */
static size_t chunk_size(void)
{
    const char *s = getenv("TEMPORA_MPI_CHUNK");
    long v = s ? atol(s) : 0;
    return v > 0 && v <= (64L << 20) ? (size_t)v : (size_t)1 << 20;
}

enum { TAG_READY = 1, TAG_HEAD = 2, TAG_DATA = 3, TAG_TAKEN = 4, TAG_LISTS = 5 };

/* node_of[r]: the lowest rank on rank r's node (ranks that share memory,
 * MPI_COMM_TYPE_SHARED); a state passes between two ranks of one node by its
 * file's name unless TEMPORA_MPI_CHUNK is set (then always in chunks, as
 * between nodes). */
static int *node_of;
static int by_name_ok;

/* What a sender says first: the state's size, and when the receiver is on
 * its node, where the file is (the receiver reads it there if it sees the
 * same file: same device, inode and size). With lists set, the state has
 * no per-document lists: they stay in the sender's spill files, which the
 * receiver opens through /proc/PID/fd (the messages after the head say
 * which, with their maps and places: send_lists); when it cannot, the
 * sender writes the whole state and sends a second head. */
struct head {
    uint64_t size, by_name, dev, ino, lists, pid;
    char path[4096];
};

/* n bytes to or from rank `peer`, in chunks (the per-document places and
 * the maps of a hand-over: a few bytes a document and a term). */
static void send_bytes(const void *p, size_t n, int to)
{
    size_t cap = chunk_size();
    for (size_t at = 0; at < n; at += cap)
        MPI_Send((const char *)p + at, (int)(n - at < cap ? n - at : cap), MPI_BYTE, to, TAG_LISTS,
                 MPI_COMM_WORLD);
}

static void recv_bytes(void *p, size_t n, int from)
{
    size_t cap = chunk_size();
    for (size_t at = 0; at < n; at += cap)
        MPI_Recv((char *)p + at, (int)(n - at < cap ? n - at : cap), MPI_BYTE, from, TAG_LISTS,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

/* A counter's lists as send_lists describes them: by file its descriptor
 * in the sender, device, inode and map length; then the maps, then the
 * documents' places. */
static void send_lists(const struct tp_state_lists *l, int to)
{
    uint64_t n[2] = {l->n_files, l->n_docs};
    MPI_Send(n, 2, MPI_UINT64_T, to, TAG_LISTS, MPI_COMM_WORLD);
    uint64_t *f = malloc((l->n_files ? l->n_files : 1) * 4 * sizeof(*f));
    if (!f)
        die("out of memory");
    for (size_t i = 0; i < l->n_files; i++) {
        struct stat st;
        if (fstat(l->fd[i], &st) != 0)
            die(strerror(errno));
        f[4 * i] = (uint64_t)l->fd[i];
        f[4 * i + 1] = (uint64_t)st.st_dev;
        f[4 * i + 2] = (uint64_t)st.st_ino;
        f[4 * i + 3] = l->map_n[i];
    }
    send_bytes(f, l->n_files * 4 * sizeof(*f), to);
    free(f);
    for (size_t i = 0; i < l->n_files; i++)
        send_bytes(l->map[i], l->map_n[i] * sizeof(**l->map), to);
    send_bytes(l->offs, l->n_docs * sizeof(*l->offs), to);
    send_bytes(l->lens, l->n_docs * sizeof(*l->lens), to);
    send_bytes(l->file_of, l->n_docs * sizeof(*l->file_of), to);
}

/* The lists send_lists sent, their files opened here (/proc/PID/fd/FD of
 * the sender, checked to be the same file). Returns 1 when every file
 * opened, else 0 (l then holds no open descriptor). */
static int recv_lists(struct tp_state_lists *l, uint64_t pid, int from)
{
    uint64_t n[2];
    MPI_Recv(n, 2, MPI_UINT64_T, from, TAG_LISTS, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    memset(l, 0, sizeof(*l));
    l->n_files = (size_t)n[0];
    l->n_docs = (size_t)n[1];
    size_t nf = l->n_files ? l->n_files : 1, nd = l->n_docs ? l->n_docs : 1;
    uint64_t *f = malloc(nf * 4 * sizeof(*f));
    if (!f || !(l->fd = malloc(nf * sizeof(*l->fd))) || !(l->map = calloc(nf, sizeof(*l->map))) ||
        !(l->map_n = calloc(nf, sizeof(*l->map_n))) || !(l->offs = malloc(nd * sizeof(*l->offs))) ||
        !(l->lens = malloc(nd * sizeof(*l->lens))) ||
        !(l->file_of = malloc(nd * sizeof(*l->file_of))))
        die("out of memory");
    recv_bytes(f, l->n_files * 4 * sizeof(*f), from);
    for (size_t i = 0; i < l->n_files; i++) {
        l->map_n[i] = (size_t)f[4 * i + 3];
        if (!(l->map[i] = malloc((l->map_n[i] ? l->map_n[i] : 1) * sizeof(**l->map))))
            die("out of memory");
        recv_bytes(l->map[i], l->map_n[i] * sizeof(**l->map), from);
    }
    recv_bytes(l->offs, l->n_docs * sizeof(*l->offs), from);
    recv_bytes(l->lens, l->n_docs * sizeof(*l->lens), from);
    recv_bytes(l->file_of, l->n_docs * sizeof(*l->file_of), from);
    int ok = 1;
    /* TEMPORA_MPI_PROC: another place for /proc (tests/state/mpi.sh: one
     * where nothing opens, so the whole state is sent instead) */
    const char *proc = getenv("TEMPORA_MPI_PROC");
    for (size_t i = 0; i < l->n_files; i++) {
        char p[4200];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%llu/fd/%llu", proc ? proc : "/proc", (unsigned long long)pid,
                 (unsigned long long)f[4 * i]);
        l->fd[i] = ok ? open(p, O_RDONLY | O_CLOEXEC) : -1;
        if (l->fd[i] >= 0 && (fstat(l->fd[i], &st) != 0 || (uint64_t)st.st_dev != f[4 * i + 1] ||
                              (uint64_t)st.st_ino != f[4 * i + 2])) {
            close(l->fd[i]);
            l->fd[i] = -1;
        }
        ok &= l->fd[i] >= 0;
    }
    for (size_t i = 0; !ok && i < l->n_files; i++)
        if (l->fd[i] >= 0) {
            close(l->fd[i]);
            l->fd[i] = -1;
        }
    free(f);
    return ok;
}

/* Wait for req without spinning: a blocking wait polls, taking a core from
 * the ranks still counting. The sleeps between checks grow from 0.1 ms to
 * 4 ms: a wait of seconds (a rank for another's counting) wakes a few
 * hundred times, not once a millisecond (each wake-up costs CPU time), and
 * a short one (a state's hand-over) ends within a fraction of a millisecond. */
static void wait_quietly(MPI_Request *req)
{
    int done = 0;
    long ns = 100000;
    while (MPI_Test(req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done) {
        struct timespec ts = {0, ns};
        nanosleep(&ts, NULL);
        ns = ns < 2000000 ? 2 * ns : 4000000;
    }
}

/* Wait until rank `to` says it is ready for this rank's state (it has
 * counted its own share and taken the states before this one). */
static void wait_ready(int to)
{
    char ready;
    MPI_Request req;
    MPI_Irecv(&ready, 1, MPI_CHAR, to, TAG_READY, MPI_COMM_WORLD, &req);
    wait_quietly(&req);
    phase(PH_WAIT);
}

/* The state at path to rank `to` (ready for it): its name when `to` can
 * open it, else its bytes in chunks, each read from the file while the one
 * before is on its way. With lists (a state without its per-document
 * lists: only by name), their description follows; returns whether `to`
 * took the state (else nothing was sent but the offer). */
static int send_state(const char *path, int to, const struct tp_state_lists *lists)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        die(strerror(errno));
    MPI_Request req;
    struct head h = {(uint64_t)st.st_size,
                     by_name_ok && node_of[to] == node_of[rank],
                     (uint64_t)st.st_dev,
                     (uint64_t)st.st_ino,
                     lists != NULL,
                     (uint64_t)getpid(),
                     ""};
    if (strlen(path) >= sizeof(h.path))
        h.by_name = 0;
    else
        strcpy(h.path, path);
    if (lists && !h.by_name) {
        close(fd);
        return 0;
    }
    MPI_Send(&h, (int)sizeof(h), MPI_BYTE, to, TAG_HEAD, MPI_COMM_WORLD);
    if (lists) {
        send_lists(&lists[0], to);
        send_lists(&lists[1], to);
    }
    if (h.by_name) {
        char taken = 0;
        MPI_Irecv(&taken, 1, MPI_CHAR, to, TAG_TAKEN, MPI_COMM_WORLD, &req);
        wait_quietly(&req);
        if (taken || lists) {
            close(fd);
            return taken;
        }
    }
    size_t cap = chunk_size();
    char *buf[2] = {malloc(cap), malloc(cap)};
    if (!buf[0] || !buf[1])
        die("out of memory");
    req = MPI_REQUEST_NULL;
    for (uint64_t done = 0, k = 0; done < h.size; k++) {
        size_t n = h.size - done < cap ? (size_t)(h.size - done) : cap;
        for (size_t got = 0; got < n;) {
            ssize_t r = read(fd, buf[k & 1] + got, n - got);
            if (r <= 0)
                die("cannot read a count state back");
            got += (size_t)r;
        }
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        MPI_Isend(buf[k & 1], (int)n, MPI_BYTE, to, TAG_DATA, MPI_COMM_WORLD, &req);
        done += n;
    }
    MPI_Wait(&req, MPI_STATUS_IGNORE);
    free(buf[0]);
    free(buf[1]);
    close(fd);
    return 1;
}

/* The state of rank `from`, read into the run after what it holds: tell
 * `from` this rank is ready, wait (without spinning) for its head, then
 * read the state where it lies, or take its chunks into a temporary file
 * (each written while the next comes in) and read that. */
static void recv_state(struct tp_run *run, int from, struct tp_error *err)
{
    char ready = 1;
    MPI_Send(&ready, 1, MPI_CHAR, from, TAG_READY, MPI_COMM_WORLD);
    static struct head h;
    MPI_Request req;
    for (;;) {
        MPI_Irecv(&h, (int)sizeof(h), MPI_BYTE, from, TAG_HEAD, MPI_COMM_WORLD, &req);
        wait_quietly(&req);
        phase(PH_WAIT);
        if (!h.by_name)
            break;
        struct tp_state_lists lists[2];
        int have = 1;
        if (h.lists) { /* both descriptions come, whatever is done with them */
            have = recv_lists(&lists[0], h.pid, from);
            have &= recv_lists(&lists[1], h.pid, from);
        }
        struct stat st;
        h.path[sizeof(h.path) - 1] = '\0';
        char taken = have && stat(h.path, &st) == 0 && (uint64_t)st.st_dev == h.dev &&
                     (uint64_t)st.st_ino == h.ino && (uint64_t)st.st_size == h.size;
        if (taken) {
            phase(PH_RECV);
            int rc = h.lists ? tp_state_load_handover(run, h.path, lists, err)
                             : tp_state_load(run, h.path, 0, NULL, err);
            if (rc)
                die(err->msg);
            /* the run reads it through the descriptors it holds */
            unlink(h.path);
            phase(PH_LOAD);
        }
        if (h.lists)
            for (int j = 0; j < 2; j++) {
                for (size_t i = 0; !taken && i < lists[j].n_files; i++)
                    if (lists[j].fd[i] >= 0)
                        close(lists[j].fd[i]);
                tp_state_lists_release(&lists[j]);
            }
        MPI_Send(&taken, 1, MPI_CHAR, from, TAG_TAKEN, MPI_COMM_WORLD);
        if (taken)
            return;
        if (!h.lists)
            break; /* the same state's bytes follow */
        /* else the whole state is offered next */
    }
    const char *path = temp_path();
    int fd = open(path, O_WRONLY | O_TRUNC);
    size_t cap = chunk_size();
    char *buf[2] = {malloc(cap), malloc(cap)};
    if (fd < 0 || !buf[0] || !buf[1])
        die("cannot write a received count state");
    size_t n = h.size < cap ? (size_t)h.size : cap;
    if (h.size)
        MPI_Irecv(buf[0], (int)n, MPI_BYTE, from, TAG_DATA, MPI_COMM_WORLD, &req);
    for (uint64_t done = 0, k = 0; done < h.size; k++) {
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        uint64_t next = done + n;
        size_t m = h.size - next < cap ? (size_t)(h.size - next) : cap;
        if (next < h.size)
            MPI_Irecv(buf[(k + 1) & 1], (int)m, MPI_BYTE, from, TAG_DATA, MPI_COMM_WORLD, &req);
        for (size_t put = 0; put < n;) {
            ssize_t w = write(fd, buf[k & 1] + put, n - put);
            if (w <= 0)
                die("cannot write a received count state");
            put += (size_t)w;
        }
        done = next;
        n = m;
    }
    free(buf[0]);
    free(buf[1]);
    if (close(fd) != 0)
        die("cannot write a received count state");
    phase(PH_RECV);
    if (tp_state_load(run, path, 0, NULL, err))
        die(err->msg);
    unlink(path); /* the run reads it through the descriptors it holds */
    phase(PH_LOAD);
}

/* Without --threads, the threads of this rank (cli_share_hook, before it
 * counts): the cores it may run on (its binding: mpirun binds each of 2
 * ranks to a core, Slurm a task to its --cpus-per-task; the cores of ranks
 * bound alike are shared among them), and the cores of the ranks of its node
 * whose shares are empty (one large one-document file, or fewer files than
 * ranks), each given to the rank with the most bytes a core, whose binding
 * then takes them in. */
static MPI_Comm node_comm = MPI_COMM_NULL;

/* The cores of every rank of this node (their bindings), known once
 * share_threads ran: rank 0 writes the tables on them when the others are
 * done (count_share). */
static cpu_set_t node_cpus;
static int node_cpus_known;

static void share_threads(struct cli *cli, uint64_t bytes)
{
    struct me {
        uint64_t bytes;
        cpu_set_t cpus;
    } me = {bytes, {{0}}}, *all;
    int size = 1, at = 0;
    if (node_comm != MPI_COMM_NULL) {
        MPI_Comm_size(node_comm, &size);
        MPI_Comm_rank(node_comm, &at);
    }
    /* every rank of the node takes part in the exchange, its binding known
     * or not (then it gives and takes no core) */
    if (sched_getaffinity(0, sizeof(me.cpus), &me.cpus) != 0)
        CPU_ZERO(&me.cpus);
    double *cores = calloc((size_t)size, sizeof(*cores));
    if (!cores || !(all = malloc((size_t)size * sizeof(*all))))
        die("out of memory");
    if (node_comm != MPI_COMM_NULL)
        MPI_Allgather(&me, (int)sizeof(me), MPI_BYTE, all, (int)sizeof(me), MPI_BYTE, node_comm);
    else
        all[0] = me;
    for (int i = 0; i < size; i++) {
        int alike = 0;
        for (int j = 0; j < size; j++)
            alike += CPU_EQUAL(&all[i].cpus, &all[j].cpus);
        cores[i] = (double)CPU_COUNT(&all[i].cpus) / alike;
    }
    cpu_set_t mine = me.cpus;
    CPU_ZERO(&node_cpus);
    node_cpus_known = 1;
    for (int i = 0; i < size; i++) {
        CPU_OR(&node_cpus, &node_cpus, &all[i].cpus);
        node_cpus_known &= CPU_COUNT(&all[i].cpus) > 0;
    }
    for (int i = 0; i < size; i++) {
        if (all[i].bytes)
            continue;
        int to = -1;
        for (int j = 0; j < size; j++)
            if (all[j].bytes &&
                (to < 0 || (double)all[j].bytes / cores[j] > (double)all[to].bytes / cores[to]))
                to = j;
        if (to < 0)
            break;
        cores[to] += cores[i];
        cores[i] = 0;
        if (to == at)
            CPU_OR(&mine, &mine, &all[i].cpus);
    }
    if (!cli->o.threads && CPU_COUNT(&me.cpus) > 0) {
        cli->o.threads = cores[at] >= 1 ? (int)(cores[at] + 0.5) : 1;
        if (!CPU_EQUAL(&mine, &me.cpus))
            sched_setaffinity(0, sizeof(mine), &mine);
    }
    free(cores);
    free(all);
}

static int count_share(struct cli *cli, struct tp_run *run, const struct tp_count_opts *co,
                       struct tp_error *err)
{
    if (cli->n_target || cli->n_reference)
        die("--target/--reference: not with tempora-mpi (count each side with tempora count "
            "--shard and give the states to keyness)");
    /* a count state keeps neither the documents' groups nor the forms
     * behind stems (tempora count refuses both): the other ranks' documents
     * would reach rank 0 in the group "" and their stems apart */
    if (n_ranks > 1 && (cli->o.group_by || cli->o.stem))
        die(cli->o.group_by ? "--group-by: not with tempora-mpi on more than one process (a "
                              "count state keeps no groups: run tempora --threads N)"
                            : "--stem: not with tempora-mpi on more than one process (a count "
                              "state keeps no word forms: run tempora --threads N)");
    /* every rank reads --meta: a FIFO or a pipe gives its rows to one of
     * them, the others read it empty (their documents then keep their own
     * dates) or wait for a writer that is gone */
    struct stat ms;
    if (n_ranks > 1 && cli->o.meta_path && stat(cli->o.meta_path, &ms) == 0 && !S_ISREG(ms.st_mode))
        die("--meta: not a regular file (every rank of tempora-mpi reads it: a FIFO or a pipe "
            "would reach one of them only)");
    cli->shard_i = (unsigned)rank + 1;
    cli->shard_n = (unsigned)n_ranks;
    /* this rank's share, counted as the command counts; a rank that sends
     * its counts on keeps the per-document lists a state holds */
    struct tp_count_opts share = *co;
    if (rank != 0)
        share.spill = 1;
    phase(PH_INIT);
    int asked = cli->o.threads;
    int rc = cli_count_here(cli, run, &share, err);
    cli->o.threads = asked; /* the manifest says what was asked */
    threads_used = run->threads_used;
    if (rc)
        die(err->msg);
    phase(PH_COUNT);
    /* the states of the shares after this one come in, in order, and are
     * read into this rank's run as a state input is (tp_state_load) */
    for (int step = 1; step < n_ranks; step *= 2) {
        if (rank % (2 * step) == 0) {
            if (rank + step >= n_ranks)
                continue;
            recv_state(run, rank + step, err);
        } else {
            int to = rank - step, sent = 0, ready = 0;
            /* on one node, the state without its per-document lists, which
             * the receiver reads from this rank's spill files (kept open
             * until it has them): a few bytes a term and a document are
             * written instead of every list, and not decoded again */
            if (by_name_ok && node_of[to] == node_of[rank] &&
                !tp_corpus_counts(run->corpus)->n_match && !getenv("TEMPORA_MPI_COPY")) {
                struct tp_state_lists lists[2];
                const char *light = temp_path();
                if ((rc = tp_state_write_handover(run, light, lists, err)))
                    die(err->msg);
                phase(PH_WRITE);
                wait_ready(to);
                ready = 1;
                sent = send_state(light, to, lists);
                tp_state_lists_release(&lists[0]);
                tp_state_lists_release(&lists[1]);
                phase(PH_SEND);
            }
            if (!sent) {
                const char *mine = temp_path();
                if ((rc = tp_state_write_handover(run, mine, NULL, err)))
                    die(err->msg);
                tp_run_release(run);
                phase(PH_WRITE);
                if (!ready)
                    wait_ready(to);
                send_state(mine, to, NULL);
                phase(PH_SEND);
            }
            print_times();
            remove_temps();
            MPI_Finalize();
            exit(0);
        }
    }
    /* rank 0: the whole corpus, counted as one process counts it. Every
     * other rank has ended: without --threads, the tables are written on the
     * cores of every rank of this node (the reports that run on threads:
     * tfidf, colloc, trends), as one tempora process would use them */
    if (n_ranks > 1 && !asked && node_cpus_known)
        sched_setaffinity(0, sizeof(node_cpus), &node_cpus);
    return 0;
}

/* A job on one node (every rank's node: Open MPI's OMPI_COMM_WORLD_SIZE equals
 * OMPI_COMM_WORLD_LOCAL_SIZE) needs only shared memory between its ranks:
 * before MPI_Init, the MCA components it would otherwise open and probe and
 * never use are left out (ob1 over self and vader; the collectives and the
 * one-sided component it uses; PMIx's hash store instead of its shared-memory
 * one, whose set-up took most of the rest). Each only when not set already (by
 * `mpirun --mca`, which passes OMPI_MCA_*, or the environment): MPI_Init of 2
 * ranks took about a quarter less CPU (docs/scale-out.md). */
static void one_node_defaults(void)
{
    static const char *const mca[][2] = {
        {"OMPI_MCA_pml", "ob1"},
#if defined(OMPI_MAJOR_VERSION) && OMPI_MAJOR_VERSION >= 5
        {"OMPI_MCA_btl", "self,sm"}, /* vader's name from Open MPI 5 on */
#else
        {"OMPI_MCA_btl", "self,vader"},
#endif
        {"OMPI_MCA_osc", "sm"},
        {"OMPI_MCA_coll", "self,basic,libnbc,tuned"},
        {"OMPI_MCA_vprotocol", "^pessimist"},
        {"OMPI_MCA_op", "^avx"},
        {"OMPI_MCA_mpool", "^hugepage"},
        {"PMIX_MCA_gds", "hash"},
    };
    const char *all = getenv("OMPI_COMM_WORLD_SIZE"), *here = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    if (!all || !here || strcmp(all, here) != 0 || getenv("TEMPORA_MPI_MCA"))
        return;
    for (size_t i = 0; i < sizeof(mca) / sizeof(mca[0]); i++)
        setenv(mca[i][0], mca[i][1], 0);
}

int main(int argc, char **argv)
{
    timing = getenv("TEMPORA_MPI_TIMES") != NULL;
    mark_wall = clock_s(CLOCK_MONOTONIC);
    mark_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    one_node_defaults();
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n_ranks);
    /* which ranks share a node */
    MPI_Comm node;
    int lowest = rank;
    if (!(node_of = malloc((size_t)n_ranks * sizeof(*node_of))))
        die("out of memory");
    by_name_ok = getenv("TEMPORA_MPI_CHUNK") == NULL;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Allreduce(&rank, &lowest, 1, MPI_INT, MPI_MIN, node);
        node_comm = node;
    } else {
        by_name_ok = 0;
    }
    MPI_Allgather(&lowest, 1, MPI_INT, node_of, 1, MPI_INT, MPI_COMM_WORLD);
    /* tokens and kwic write as they read and merge reads states whole: run
     * by every rank, each would print the whole output once (or write the
     * same file P times); they share nothing, so more ranks only repeat */
    if (n_ranks > 1 && argc > 1 &&
        (strcmp(argv[1], "tokens") == 0 || strcmp(argv[1], "kwic") == 0 ||
         strcmp(argv[1], "merge") == 0)) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "%s: not with tempora-mpi on more than one process (it counts nothing to share: "
                 "run tempora %s)",
                 argv[1], argv[1]);
        die(msg);
    }
    cli_count_hook = count_share;
    cli_share_hook = share_threads;
    int rc = tempora_main(argc, argv);
    phase(PH_REPORT);
    print_times();
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
