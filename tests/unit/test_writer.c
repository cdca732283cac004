/*
 * test_writer.c - CSV cells, the --excel dialect, and
 * all-or-nothing files (temporary + rename, write errors reported), output
 * paths (symlinks, FIFOs) and sets of files replaced as one. Write errors are
 * made with a file size limit in a child process, never with a device.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "writer.h"
#include "writer_int.h"

static char dir[64];

static void make_dir(void)
{
    strcpy(dir, "/tmp/tp-writer-XXXXXX");
    cr_assert(mkdtemp(dir));
}

/* After every test, passed or failed: its folder goes (a test that removed
 * it already leaves nothing to do). */
static void remove_dir(void)
{
    if (strncmp(dir, "/tmp/tp-writer-", 15) != 0 || access(dir, F_OK) != 0)
        return;
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_writer: cannot remove %s\n", dir);
}

TestSuite(writer, .fini = remove_dir);

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int count_entries(const char *d)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", d);
    FILE *p = popen(cmd, "r");
    int n = -1;
    cr_assert(fscanf(p, "%d", &n) == 1);
    pclose(p);
    return n;
}

/* An earlier table at path: "old\n". */
static void put_old(const char *path)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot create %s", path);
    fputs("old\n", f);
    fclose(f);
}

/* Open the table NAME in the test's folder (made afresh) with flags; its
 * path into path (128 bytes). */
static struct tp_out *open_table(char *path, const char *name, int flags)
{
    make_dir();
    snprintf(path, 128, "%s/%s", dir, name);
    struct tp_out *o = NULL;
    struct tp_error err;
    cr_assert_eq(tp_out_open(&o, path, flags, &err), 0);
    return o;
}

Test(writer, quoting_only_when_needed_and_atomic_publish)
{
    char path[128];
    struct tp_out *o = open_table(path, "t.csv", 0);
    struct tp_error err;
    tp_out_header(o, "a,b,c");
    tp_out_str(o, "plain");
    tp_out_str(o, "with,comma");
    tp_out_str(o, "say \"hi\"");
    tp_out_row_end(o);
    tp_out_str(o, "two\nlines");
    tp_out_double(o, NAN);
    tp_out_u64(o, 42);
    tp_out_row_end(o);
    /* nothing visible under the final name before publishing */
    cr_expect_neq(access(path, F_OK), 0);
    cr_assert_eq(tp_out_finish(o, &err), 0);
    cr_expect_neq(access(path, F_OK), 0);
    cr_assert_eq(tp_out_publish(o, &err), 0);
    tp_out_free(o);
    cr_expect_str_eq(slurp(path),
                     "a,b,c\nplain,\"with,comma\",\"say \"\"hi\"\"\"\n\"two\nlines\",,42\n");
    cr_expect_eq(count_entries(dir), 1);
}

Test(writer, excel_dialect)
{
    char path[128];
    struct tp_out *o = open_table(path, "x.csv", TP_OUT_EXCEL);
    struct tp_error err;
    tp_out_header(o, "term,value");
    tp_out_str(o, "=SUM(A1)");
    tp_out_double(o, -1.5);
    tp_out_row_end(o);
    tp_out_str(o, "@x;y");
    tp_out_double(o, 2);
    tp_out_row_end(o);
    cr_assert_eq(tp_out_finish(o, &err), 0);
    cr_assert_eq(tp_out_publish(o, &err), 0);
    tp_out_free(o);
    /* BOM, ';', decimal comma; text cells starting = + - @ get a quote mark,
     * numbers (-1,5) do not */
    cr_expect_str_eq(slurp(path), "\xEF\xBB\xBFterm;value\n'=SUM(A1);-1,5\n\"'@x;y\";2\n");
}

/* Fill o with about 300 KB of rows and finish it. */
static int fill_and_finish(struct tp_out *o, struct tp_error *err)
{
    for (int i = 0; i < 10000; i++) {
        tp_out_str(o, "some text that fills the buffer");
        tp_out_row_end(o);
    }
    return tp_out_finish(o, err);
}

/* In a child process limited to files of limit bytes (SIGXFSZ ignored, as
 * tp_out_install_signal_cleanup does, so writes fail with EFBIG): write a
 * table with fill (which finishes it) to dir/limited.csv (to_stdout: to
 * standard output redirected to that file). Exit status: 0 when
 * tp_out_finish gave TP_EIO with a message naming the output and the
 * earlier file is untouched, else a code saying what went wrong. */
static int write_past_limit(int to_stdout, rlim_t limit,
                            int (*fill)(struct tp_out *o, struct tp_error *err))
{
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        char path[128];
        snprintf(path, sizeof(path), "%s/limited.csv", dir);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {limit, limit};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        struct tp_out *o = NULL;
        struct tp_error err;
        if (to_stdout && !freopen(path, "w", stdout))
            _exit(11);
        if (tp_out_open(&o, to_stdout ? NULL : path, 0, &err) != 0)
            _exit(12);
        if (fill(o, &err) != TP_EIO)
            _exit(13);
        if (!strstr(err.msg, to_stdout ? "standard output" : path) ||
            !strstr(err.msg, strerror(EFBIG)))
            _exit(14);
        tp_out_free(o);
        _exit(0);
    }
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "the child died of signal %d", WTERMSIG(st));
    return WEXITSTATUS(st);
}

Test(writer, write_error_is_reported)
{
    make_dir();
    char path[128];
    snprintf(path, sizeof(path), "%s/limited.csv", dir);
    put_old(path);
    /* a file: the earlier copy stays and no temporary file is left */
    cr_expect_eq(write_past_limit(0, 1000, fill_and_finish), 0);
    cr_expect_str_eq(slurp(path), "old\n");
    cr_expect_eq(count_entries(dir), 1);
    /* standard output */
    cr_expect_eq(write_past_limit(1, 1000, fill_and_finish), 0);
    unlink(path);
    rmdir(dir);
}

/* A table of about size bytes, 21 MB or more (past the 8 MiB from which a
 * temporary file is written direct, writer_direct.c: whole 4 MiB chunks and
 * a partial block after them), rows "i,w\n" with words of 1 to 23 letters
 * so that no boundary falls between rows; the bytes it must hold, built
 * apart, in *want (malloc'd, *want_len bytes). flags: 0 or TP_OUT_EXCEL (a
 * BOM, ';'). */
static void fill_large(struct tp_out *o, int flags, size_t size, char **want, size_t *want_len)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
    size_t cap = size + (1u << 20), n = 0;
    char *w = malloc(cap);
    cr_assert(w);
    if (flags & TP_OUT_EXCEL)
        n += (size_t)sprintf(w, "\xEF\xBB\xBF");
    for (unsigned i = 0; n < size; i++) {
        int len = (int)(i % 23) + 1;
        tp_out_u64(o, i);
        tp_out_text(o, letters, (size_t)len);
        tp_out_row_end(o);
        n +=
            (size_t)sprintf(w + n, "%u%c%.*s\n", i, flags & TP_OUT_EXCEL ? ';' : ',', len, letters);
    }
    *want = w;
    *want_len = n;
}

/* The whole of a file (malloc'd, NUL-terminated), its length in *len when
 * len is not NULL; NULL when it cannot be opened. */
static char *slurp_len(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0, r;
    char *buf = malloc(cap + 1);
    cr_assert(buf);
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            cr_assert(buf);
        }
    }
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = n;
    return buf;
}

static char *slurp_all(const char *path)
{
    return slurp_len(path, NULL);
}

/* A large table holds exactly its rows, in both dialects (the BOM moves where
 * the file's writes go past the page cache), and replaces the earlier file:
 * 21 MB, and 80 MB, past two of the direct writes' syncs on their thread
 * (TP_DIRECT_SYNC_STEP). */
Test(writer, large_table_written_whole)
{
    make_dir();
    cr_assert_lt(TP_DIRECT_FROM + 2 * TP_DIRECT_SYNC_STEP, 80000000);
    for (int k = 0; k < 3; k++) {
        int flags = k == 1 ? TP_OUT_EXCEL : 0;
        char path[128];
        snprintf(path, sizeof(path), "%s/big%d.csv", dir, k);
        put_old(path);
        struct tp_out *o = NULL;
        struct tp_error err;
        char *want;
        size_t want_len, got_len;
        cr_assert_eq(tp_out_open(&o, path, flags, &err), 0);
        fill_large(o, flags, k == 2 ? 80000000 : 21000000, &want, &want_len);
        cr_expect_str_eq(slurp(path), "old\n");
        cr_assert_eq(tp_out_finish(o, &err), 0, "%s", err.msg);
        cr_assert_eq(tp_out_publish(o, &err), 0, "%s", err.msg);
        tp_out_free(o);
        char *got = slurp_len(path, &got_len);
        cr_assert(got, "cannot open %s", path);
        cr_expect_eq(got_len, want_len);
        cr_expect(got_len == want_len && memcmp(got, want, want_len) == 0,
                  "%s differs from its rows", path);
        free(got);
        free(want);
    }
    cr_expect_eq(count_entries(dir), 3);
}

/* The writer's fdatasync, test_writer being linked with --wrap=fdatasync
 * (Makefile): call number fail_sync_at (from 1; 0: none) fails with EIO
 * after a pause, so that the table has done everything else by then. */
int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);
static atomic_int sync_calls, fail_sync_at;

int __wrap_fdatasync(int fd)
{
    int n = atomic_fetch_add(&sync_calls, 1) + 1;
    if (n == atomic_load(&fail_sync_at)) {
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
        errno = EIO;
        return -1;
    }
    return __real_fdatasync(fd);
}

/* A sync on a direct-written table's thread that fails is the table's write
 * error, the last one too, which the thread makes after handing its last
 * buffer back: 8 MiB and 31 bytes given at once (tp_out_emit), so that the
 * file goes direct from its start, its second 4 MiB chunk completes
 * TP_DIRECT_SYNC_STEP, and its last 31 bytes are written at the end without
 * the thread. The earlier file stays, and nothing is left; with no sync
 * failing, the same bytes are written whole. */
Test(writer, large_table_failed_sync_is_a_write_error)
{
    cr_assert_eq(TP_DIRECT_SYNC_STEP, 2 * TP_DIRECT_CHUNK);
    cr_assert_leq(TP_DIRECT_FROM, TP_DIRECT_SYNC_STEP);
    size_t n = (size_t)TP_DIRECT_SYNC_STEP + 31;
    char *bytes = malloc(n);
    cr_assert(bytes);
    for (size_t i = 0; i < n; i++)
        bytes[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
    make_dir();
    char path[128];
    snprintf(path, sizeof(path), "%s/synced.csv", dir);
    for (int fail = 1; fail >= 0; fail--) {
        put_old(path);
        atomic_store(&sync_calls, 0);
        atomic_store(&fail_sync_at, fail);
        struct tp_out *o = NULL;
        struct tp_error err;
        cr_assert_eq(tp_out_open(&o, path, 0, &err), 0);
        tp_out_emit(o, bytes, n);
        int rc = tp_out_finish(o, &err);
        cr_expect_eq(atomic_load(&sync_calls), 1, "the thread synced once");
        if (fail) {
            cr_expect_neq(rc, 0, "a failed sync is a write error");
            cr_expect(strstr(err.msg, "write failed") != NULL, "%s", err.msg);
            tp_out_free(o);
            cr_expect_str_eq(slurp(path), "old\n");
            cr_expect_eq(count_entries(dir), 1);
        } else {
            cr_assert_eq(rc, 0, "%s", err.msg);
            cr_assert_eq(tp_out_publish(o, &err), 0, "%s", err.msg);
            tp_out_free(o);
            size_t got_len;
            char *got = slurp_len(path, &got_len);
            cr_assert(got);
            cr_expect(got_len == n && memcmp(got, bytes, n) == 0, "the table's bytes");
            free(got);
        }
    }
    atomic_store(&fail_sync_at, 0);
    free(bytes);
}

/* A table dropped before it is finished (an error elsewhere), one row or a
 * large one (written past the page cache): the earlier file stays, and no
 * temporary file is left. */
Test(writer, abandoned_file_leaves_nothing_and_keeps_the_old_one)
{
    make_dir();
    char path[128];
    snprintf(path, sizeof(path), "%s/keep.csv", dir);
    put_old(path);
    for (int large = 0; large < 2; large++) {
        struct tp_out *o = NULL;
        struct tp_error err;
        cr_assert_eq(tp_out_open(&o, path, 0, &err), 0);
        if (large) {
            char *want;
            size_t want_len;
            fill_large(o, 0, 21000000, &want, &want_len);
            free(want);
        } else {
            tp_out_str(o, "new");
            tp_out_row_end(o);
        }
        tp_out_free(o); /* never finished: as after an error */
        cr_expect_str_eq(slurp(path), "old\n");
        cr_expect_eq(count_entries(dir), 1);
    }
}

/* fill for write_past_limit: a large table (fill_large), finished. */
static int fill_large_and_finish(struct tp_out *o, struct tp_error *err)
{
    char *want;
    size_t want_len;
    fill_large(o, 0, 21000000, &want, &want_len);
    free(want);
    return tp_out_finish(o, err);
}

/* A large table that cannot be written whole (files limited to 12 MiB; the
 * limit falls among the writes past the page cache): the error names the
 * file and says why, the earlier file stays, and no temporary file is
 * left. */
Test(writer, large_table_write_error)
{
    make_dir();
    char path[128];
    snprintf(path, sizeof(path), "%s/limited.csv", dir);
    put_old(path);
    cr_expect_eq(write_past_limit(0, 12u << 20, fill_large_and_finish), 0);
    cr_expect_str_eq(slurp(path), "old\n");
    cr_expect_eq(count_entries(dir), 1);
}

/* The rows fill_and_finish writes, as one string. */
static char *expected_fill(void)
{
    static char *s;
    if (!s) {
        const char *row = "some text that fills the buffer\n";
        size_t n = strlen(row);
        s = malloc(n * 10000 + 1);
        for (int i = 0; i < 10000; i++)
            memcpy(s + n * (size_t)i, row, n);
        s[n * 10000] = '\0';
    }
    return s;
}

Test(writer, symlink_keeps_the_link_and_replaces_its_target)
{
    make_dir();
    char sub[128], target[160], link1[128], link2[128], dangling[128], gone[160];
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    snprintf(target, sizeof(target), "%s/sub/t.csv", dir);
    snprintf(link1, sizeof(link1), "%s/l1", dir);
    snprintf(link2, sizeof(link2), "%s/l2", dir);
    snprintf(dangling, sizeof(dangling), "%s/d", dir);
    snprintf(gone, sizeof(gone), "%s/sub/new.csv", dir);
    cr_assert_eq(mkdir(sub, 0777), 0);
    FILE *f = fopen(target, "w");
    fputs("old\n", f);
    fclose(f);
    /* l2 -> l1 -> sub/t.csv (relative links, a chain of two) */
    cr_assert_eq(symlink("sub/t.csv", link1), 0);
    cr_assert_eq(symlink("l1", link2), 0);
    cr_assert_eq(symlink("sub/new.csv", dangling), 0);
    struct tp_out *o = NULL;
    struct tp_error err;
    cr_assert_eq(tp_out_open(&o, link2, 0, &err), 0, "%s", err.msg);
    cr_assert_eq(fill_and_finish(o, &err), 0, "%s", err.msg);
    cr_assert_eq(tp_out_publish(o, &err), 0, "%s", err.msg);
    tp_out_free(o);
    struct stat st;
    cr_assert_eq(lstat(link1, &st), 0);
    cr_expect(S_ISLNK(st.st_mode), "l1 is still a link");
    cr_assert_eq(lstat(link2, &st), 0);
    cr_expect(S_ISLNK(st.st_mode), "l2 is still a link");
    char *got = slurp_all(target);
    cr_expect_str_eq(got, expected_fill());
    free(got);
    /* a dangling link: its target is created */
    cr_assert_eq(tp_out_open(&o, dangling, 0, &err), 0, "%s", err.msg);
    cr_assert_eq(fill_and_finish(o, &err), 0, "%s", err.msg);
    cr_assert_eq(tp_out_publish(o, &err), 0, "%s", err.msg);
    tp_out_free(o);
    cr_assert_eq(lstat(dangling, &st), 0);
    cr_expect(S_ISLNK(st.st_mode));
    got = slurp_all(gone);
    cr_expect_str_eq(got, expected_fill());
    free(got);
    /* no temporary file anywhere: sub holds t.csv and new.csv */
    cr_expect_eq(count_entries(sub), 2);
    cr_expect_eq(count_entries(dir), 4);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(writer, fifo_is_written_straight_through)
{
    make_dir();
    char fifo[128];
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        /* the reader: everything it gets, into dir/got */
        char got[320];
        snprintf(got, sizeof(got), "cat %s >%s/got", fifo, dir);
        _exit(system(got) == 0 ? 0 : 1);
    }
    struct tp_out *o = NULL;
    struct tp_error err;
    cr_assert_eq(tp_out_open(&o, fifo, 0, &err), 0, "%s", err.msg);
    cr_assert_eq(fill_and_finish(o, &err), 0, "%s", err.msg);
    cr_assert_eq(tp_out_publish(o, &err), 0, "%s", err.msg);
    tp_out_free(o);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    struct stat sb;
    cr_assert_eq(lstat(fifo, &sb), 0);
    cr_expect(S_ISFIFO(sb.st_mode), "the FIFO is still a FIFO");
    char got[160];
    snprintf(got, sizeof(got), "%s/got", dir);
    char *s = slurp_all(got);
    cr_expect_str_eq(s, expected_fill());
    free(s);
    cr_expect_eq(count_entries(dir), 2); /* fifo, got: no temporary file */
    unlink(got);
    unlink(fifo);
    rmdir(dir);
}

Test(writer, a_folder_is_not_an_output_file)
{
    make_dir();
    struct tp_out *o = NULL;
    struct tp_error err;
    cr_expect_eq(tp_out_open(&o, dir, 0, &err), TP_EIO);
    cr_expect(strstr(err.msg, "is a folder") != NULL, "%s", err.msg);
    cr_expect_eq(count_entries(dir), 0);
    rmdir(dir);
}

static void put_file(const char *d, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", d, name);
    FILE *f = fopen(path, "w");
    cr_assert(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static char *read_in(const char *d, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", d, name);
    return slurp(path);
}

/* Write the set a.csv, b.csv, c.csv (each "NAME new\n") into dir, dropping
 * d.csv; returns what tp_outset_commit gave. */
static int write_set(struct tp_error *err)
{
    struct tp_outset *set = NULL;
    cr_assert_eq(tp_outset_open(&set, dir, err), 0, "%s", err->msg);
    const char *names[] = {"a.csv", "b.csv", "c.csv"};
    for (int i = 0; i < 3; i++) {
        struct tp_out *o = NULL;
        cr_assert_eq(tp_outset_add(set, &o, names[i], 0, err), 0, "%s", err->msg);
        tp_out_str(o, names[i]);
        tp_out_str(o, "new");
        tp_out_row_end(o);
    }
    cr_assert_eq(tp_outset_drop(set, "d.csv", err), 0);
    int rc = tp_outset_commit(set, err);
    tp_outset_free(set);
    return rc;
}

Test(writer, set_replaces_the_earlier_set_as_one_and_leaves_other_files)
{
    make_dir();
    put_file(dir, "a.csv", "a old\n");
    put_file(dir, "b.csv", "b old\n");
    put_file(dir, "d.csv", "d old\n");
    put_file(dir, "mine.txt", "user\n");
    struct tp_error err;
    cr_assert_eq(write_set(&err), 0, "%s", err.msg);
    cr_expect_str_eq(read_in(dir, "a.csv"), "a.csv,new\n");
    cr_expect_str_eq(read_in(dir, "b.csv"), "b.csv,new\n");
    cr_expect_str_eq(read_in(dir, "c.csv"), "c.csv,new\n");
    cr_expect_str_eq(read_in(dir, "mine.txt"), "user\n");
    /* a.csv b.csv c.csv mine.txt: d.csv went with the earlier set; no
     * staging folder, temporary file or lock file is left */
    cr_expect_eq(count_entries(dir), 4);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(writer, set_leaves_a_folder_at_a_dropped_name)
{
    make_dir();
    put_file(dir, "a.csv", "a old\n");
    /* d.csv, dropped by the new set, is a folder: not a file of an earlier
     * set, so it stays and the set goes in */
    char d[128];
    snprintf(d, sizeof(d), "%s/d.csv", dir);
    cr_assert_eq(mkdir(d, 0777), 0);
    put_file(d, "x", "inside\n");
    struct tp_error err;
    cr_assert_eq(write_set(&err), 0, "%s", err.msg);
    cr_expect_str_eq(read_in(dir, "a.csv"), "a.csv,new\n");
    cr_expect_str_eq(read_in(d, "x"), "inside\n");
    cr_expect_eq(count_entries(dir), 4); /* a b c d */
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(writer, set_rename_failure_keeps_the_whole_earlier_set)
{
    make_dir();
    put_file(dir, "a.csv", "a old\n");
    put_file(dir, "b.csv", "b old\n");
    put_file(dir, "d.csv", "d old\n");
    /* c.csv is a folder with a file in it: a and b are exchanged first, then
     * c fails, and a and b must be put back */
    char c[128];
    snprintf(c, sizeof(c), "%s/c.csv", dir);
    cr_assert_eq(mkdir(c, 0777), 0);
    put_file(c, "x", "inside\n");
    struct tp_error err;
    cr_expect_eq(write_set(&err), TP_EIO);
    cr_expect(strstr(err.msg, "c.csv") != NULL, "%s", err.msg);
    cr_expect_str_eq(read_in(dir, "a.csv"), "a old\n");
    cr_expect_str_eq(read_in(dir, "b.csv"), "b old\n");
    cr_expect_str_eq(read_in(dir, "d.csv"), "d old\n");
    cr_expect_str_eq(read_in(c, "x"), "inside\n");
    cr_expect_eq(count_entries(dir), 4); /* a b c d */
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(writer, stale_temporary_files_of_dead_runs_are_removed)
{
    make_dir();
    /* a pid that is no live process: a child that has been reaped */
    pid_t dead = fork();
    cr_assert(dead >= 0);
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    char name[128], folder[256];
    snprintf(name, sizeof(name), ".a.csv.tmp.%ld.Ab12Cd", (long)dead);
    put_file(dir, name, "litter\n");
    snprintf(name, sizeof(name), ".other.csv.tmp.%ld.Ab12Cd", (long)dead);
    put_file(dir, name, "litter\n");
    snprintf(name, sizeof(name), ".tempora.new.%ld.Ab12Cd", (long)dead);
    snprintf(folder, sizeof(folder), "%s/%s", dir, name);
    cr_assert_eq(mkdir(folder, 0777), 0);
    put_file(folder, "a.csv", "litter\n");
    /* a live run's file (this process), and names that only look alike */
    snprintf(name, sizeof(name), ".a.csv.tmp.%ld.Ab12Cd", (long)getpid());
    put_file(dir, name, "live\n");
    put_file(dir, ".a.csv.tmp.x", "user\n");
    put_file(dir, "a.csv.tmp.1.Ab12Cd", "user\n");
    /* one file: only the litter beside its own name goes */
    char path[160];
    snprintf(path, sizeof(path), "%s/a.csv", dir);
    struct tp_out *o = NULL;
    struct tp_error err;
    cr_assert_eq(tp_out_open(&o, path, 0, &err), 0, "%s", err.msg);
    tp_out_free(o);
    cr_expect_eq(count_entries(dir), 5);
    /* a set: every temporary file and staging folder of a dead run goes */
    cr_assert_eq(write_set(&err), 0, "%s", err.msg);
    cr_expect_eq(count_entries(dir), 6); /* a b c, live, two look-alikes */
    snprintf(path, sizeof(path), "%s/.a.csv.tmp.%ld.Ab12Cd", dir, (long)getpid());
    cr_expect_eq(access(path, F_OK), 0, "a live run's file is kept");
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(writer, missing_folder_is_an_error)
{
    struct tp_out *o = NULL;
    struct tp_error err;
    cr_expect_eq(tp_out_open(&o, "/nonexistent-folder-tp/x.csv", 0, &err), TP_EIO);
    cr_expect(strstr(err.msg, "/nonexistent-folder-tp/x.csv") != NULL);
}

/* Parts written apart (tp_out_open_mem, as the tfidf threads write them) and
 * appended in order give the file one writer would: a small part, one past
 * the memory a part keeps (the rest in a temporary file), an empty one. */
Test(writer, parts_appended_in_order)
{
    make_dir();
    char whole[128], joined[128];
    snprintf(whole, sizeof(whole), "%s/whole.csv", dir);
    snprintf(joined, sizeof(joined), "%s/joined.csv", dir);
    struct tp_error err;
    struct tp_out *w, *j, *part[3];
    cr_assert_eq(tp_out_open(&w, whole, 0, &err), 0);
    cr_assert_eq(tp_out_open(&j, joined, 0, &err), 0);
    size_t rows[3] = {10, 300000, 0};
    uint64_t v = 0;
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(tp_out_open_mem(&part[k], 0), 0);
        for (size_t r = 0; r < rows[k]; r++, v++) {
            struct tp_out *o[2] = {w, part[k]};
            for (int t = 0; t < 2; t++) {
                tp_out_u64(o[t], v);
                tp_out_str(o[t], "a, \"quoted\" cell");
                tp_out_double(o[t], (double)v / 7);
                tp_out_row_end(o[t]);
            }
        }
    }
    for (int k = 0; k < 3; k++) {
        tp_out_append(j, part[k]);
        tp_out_free(part[k]);
    }
    cr_assert_eq(tp_out_finish(w, &err), 0, "%s", err.msg);
    cr_assert_eq(tp_out_publish(w, &err), 0);
    cr_assert_eq(tp_out_finish(j, &err), 0, "%s", err.msg);
    cr_assert_eq(tp_out_publish(j, &err), 0);
    tp_out_free(w);
    tp_out_free(j);
    struct stat a, b;
    cr_assert_eq(stat(whole, &a), 0);
    cr_assert_eq(stat(joined, &b), 0);
    cr_assert_gt(a.st_size, 8 << 20, "the big part must be past what memory keeps");
    cr_assert_eq(a.st_size, b.st_size);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "cmp -s %s %s", whole, joined);
    cr_expect_eq(system(cmd), 0, "the joined parts differ from the whole");
    unlink(whole);
    unlink(joined);
    rmdir(dir);
}

/* A sink that digests what it is given: cells (kind, bytes) and row ends. */
struct digest {
    uint64_t h, n_cells, n_rows;
    int comma_seen; /* a number cell holding ',' (the --excel dialect leaked) */
};

static void digest_bytes(struct digest *d, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        d->h = (d->h ^ s[i]) * 1099511628211u;
}

static void digest_cell(void *ctx, const char *s, size_t len, enum tp_cell_kind kind)
{
    struct digest *d = ctx;
    unsigned char k = (unsigned char)kind;
    digest_bytes(d, &k, 1);
    digest_bytes(d, &len, sizeof(len));
    digest_bytes(d, s, len);
    if (kind == TP_CELL_NUMBER && memchr(s, ',', len))
        d->comma_seen = 1;
    d->n_cells++;
}

static void digest_row(void *ctx)
{
    struct digest *d = ctx;
    digest_bytes(d, "\n", 1);
    d->n_rows++;
}

/* Parts of a table with a sink keep cells, replayed when appended: the CSV
 * is the same bytes as one written whole (--excel too), and the sink sees
 * the same cells in the same order as a sink on the whole table. */
Test(writer, sinks_see_the_rows_of_parts_in_order)
{
    make_dir();
    char whole[128], joined[128];
    snprintf(whole, sizeof(whole), "%s/whole.csv", dir);
    snprintf(joined, sizeof(joined), "%s/joined.csv", dir);
    struct tp_error err;
    struct tp_out *w, *j, *part[3];
    struct digest dw = {14695981039346656037u, 0, 0, 0}, dj = dw;
    cr_assert_eq(tp_out_open(&w, whole, TP_OUT_EXCEL, &err), 0);
    cr_assert_eq(tp_out_open(&j, joined, TP_OUT_EXCEL, &err), 0);
    struct tp_cell_sink sw = {digest_cell, digest_row, &dw, 0, NULL},
                        sj = {digest_cell, digest_row, &dj, 0, NULL};
    cr_assert_eq(tp_out_add_sink(w, &sw), 0);
    cr_assert_eq(tp_out_add_sink(j, &sj), 0);
    cr_assert(tp_out_flags(j) & TP_OUT_CELL_LOG);
    tp_out_header(w, "n,text,x");
    tp_out_header(j, "n,text,x");
    size_t rows[3] = {10, 200000, 0};
    uint64_t v = 0;
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(tp_out_open_mem(&part[k], tp_out_flags(j)), 0);
        if (k == 3)
            tp_out_past_head(part[k]);
        for (size_t r = 0; r < rows[k]; r++, v++) {
            struct tp_out *o[2] = {w, part[k]};
            for (int t = 0; t < 2; t++) {
                tp_out_u64(o[t], v);
                tp_out_str(o[t], v % 3 ? "a; \"quoted\" cell" : "=formula");
                tp_out_double(o[t], v % 5 ? (double)v / 7 : NAN);
                tp_out_row_end(o[t]);
            }
        }
    }
    for (int k = 0; k < 3; k++) {
        tp_out_append(j, part[k]);
        tp_out_free(part[k]);
    }
    cr_assert_eq(tp_out_finish(w, &err), 0, "%s", err.msg);
    cr_assert_eq(tp_out_publish(w, &err), 0);
    cr_assert_eq(tp_out_finish(j, &err), 0, "%s", err.msg);
    cr_assert_eq(tp_out_publish(j, &err), 0);
    tp_out_free(w);
    tp_out_free(j);
    cr_expect_eq(dw.n_rows, 200011);
    cr_expect_eq(dj.n_rows, dw.n_rows);
    cr_expect_eq(dj.n_cells, dw.n_cells);
    cr_expect_eq(dj.h, dw.h, "the sinks saw different cells");
    cr_expect(!dw.comma_seen && !dj.comma_seen, "a sink got a decimal comma");
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "cmp -s %s %s", whole, joined);
    cr_expect_eq(system(cmd), 0, "the joined parts differ from the whole");
    unlink(whole);
    unlink(joined);
    rmdir(dir);
}

/* A sink that wants only the first rows (max_rows): digests the cells of its
 * first `keep` rows after the header and counts every row, given or skipped. */
struct head_digest {
    struct digest d;
    uint64_t keep, rows; /* rows seen so far, the header included */
};

static void head_cell(void *ctx, const char *s, size_t len, enum tp_cell_kind kind)
{
    struct head_digest *h = ctx;
    if (h->rows <= h->keep)
        digest_cell(&h->d, s, len, kind);
}

static void head_row(void *ctx)
{
    struct head_digest *h = ctx;
    h->rows++;
}

static void head_skip(void *ctx, uint64_t n)
{
    struct head_digest *h = ctx;
    h->rows += n;
}

/* A sink that wants only the head of a table: parts keep their CSV and the
 * cells of their first TP_SINK_HEAD_ROWS rows, so the sink still sees the
 * first rows of the whole table, in order, and the count of the rest. A part
 * known to come after TP_SINK_HEAD_ROWS rows (the last, after 10,700) keeps
 * no cells at all (tp_out_past_head), and the sink still counts its rows. */
Test(writer, a_head_sink_sees_the_first_rows_of_parts)
{
    make_dir();
    char whole[128], joined[128];
    snprintf(whole, sizeof(whole), "%s/whole.csv", dir);
    snprintf(joined, sizeof(joined), "%s/joined.csv", dir);
    struct tp_error err;
    struct tp_out *w, *j, *part[4];
    struct head_digest hw = {{14695981039346656037u, 0, 0, 0}, 3000, 0}, hj = hw;
    cr_assert_eq(tp_out_open(&w, whole, 0, &err), 0);
    cr_assert_eq(tp_out_open(&j, joined, 0, &err), 0);
    struct tp_cell_sink sw = {head_cell, head_row, &hw, 0, NULL},
                        sj = {head_cell, head_row, &hj, 3000, head_skip};
    cr_assert_eq(tp_out_add_sink(w, &sw), 0);
    cr_assert_eq(tp_out_add_sink(j, &sj), 0);
    cr_assert(tp_out_flags(j) & TP_OUT_CELL_HEAD);
    cr_assert(!(tp_out_flags(j) & TP_OUT_CELL_LOG));
    tp_out_header(w, "n,text");
    tp_out_header(j, "n,text");
    size_t rows[4] = {700, 1000, 9000, 50};
    uint64_t v = 0;
    for (int k = 0; k < 4; k++) {
        cr_assert_eq(tp_out_open_mem(&part[k], tp_out_flags(j)), 0);
        for (size_t r = 0; r < rows[k]; r++, v++) {
            struct tp_out *o[2] = {w, part[k]};
            for (int t = 0; t < 2; t++) {
                tp_out_u64(o[t], v);
                tp_out_str(o[t], "x,y");
                tp_out_row_end(o[t]);
            }
        }
    }
    for (int k = 0; k < 4; k++) {
        cr_expect_eq(tp_out_rows(part[k]), rows[k]);
        tp_out_append(j, part[k]);
        tp_out_free(part[k]);
    }
    cr_assert_eq(tp_out_finish(w, &err), 0, "%s", err.msg);
    cr_assert_eq(tp_out_finish(j, &err), 0, "%s", err.msg);
    cr_assert_eq(tp_out_publish(w, &err), 0);
    cr_assert_eq(tp_out_publish(j, &err), 0);
    tp_out_free(w);
    tp_out_free(j);
    cr_expect_eq(hw.rows, 10751);
    cr_expect_eq(hj.rows, hw.rows, "rows counted: %llu", (unsigned long long)hj.rows);
    cr_expect_eq(hj.d.n_cells, 2 * 3001);
    cr_expect_eq(hj.d.h, hw.d.h, "the head sinks saw different first rows");
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "cmp -s %s %s", whole, joined);
    cr_expect_eq(system(cmd), 0, "the joined parts differ from the whole");
    unlink(whole);
    unlink(joined);
    rmdir(dir);
}

/* Text cells of every kind: plain, empty, with the separator of either
 * dialect, edge spaces, quotes, line breaks, formula starts, long. */
static const char *const cell_texts[] = {
    "plain",
    "",
    "with,comma",
    "semi;colon",
    " edge",
    "edge ",
    "say \"hi\"",
    "two\nl",
    "=formula",
    "-x",
    "\r",
    "caf\xC3\xA9",
    "+1",
    "@at",
    "\ttab",
    "a\"",
    "0123456789012345678901234567890123456789",
    "0123456789012345678901234567890123456789012345678901234567890123456789,",
};
enum { N_TEXTS = sizeof(cell_texts) / sizeof(cell_texts[0]) };

/* Row i of the cells test: some texts, numbers and a double, written one
 * by one (cells NULL) or as recorded cells (pre: the first three, then a
 * part of the rest, whole rows through tp_out_cells_row). */
static void cells_row(struct tp_out *o, int i, int recorded)
{
    struct tp_cells pre = {0}, mid = {0}, tail = {0};
    const char *a = cell_texts[i % N_TEXTS], *b = cell_texts[(i * 7 + 3) % N_TEXTS];
    if (!recorded) {
        tp_out_str(o, a);
        tp_out_u64(o, (uint64_t)i);
        tp_out_str(o, b);
        tp_out_double(o, i / 7.0);
        tp_out_double(o, NAN);
        tp_out_number(o, "2.5", 3);
        tp_out_row_end(o);
        return;
    }
    tp_cells_clear(o, &pre);
    tp_cells_str(o, &pre, a);
    tp_cells_u64(o, &pre, (uint64_t)i);
    tp_cells_clear(o, &mid);
    tp_cells_text(o, &mid, b, strlen(b));
    tp_cells_clear(o, &tail);
    tp_cells_double(o, &tail, i / 7.0);
    tp_cells_double(o, &tail, NAN);
    tp_cells_number(o, &tail, "2.5", 3);
    if (i % 2) {
        const struct tp_cells *parts[] = {&pre, &mid, &tail};
        tp_out_cells_row(o, parts, 3);
    } else {
        tp_out_cells(o, &pre);
        tp_out_cells(o, &mid);
        tp_out_cells(o, &tail);
        tp_out_row_end(o);
    }
    tp_cells_release(&pre);
    tp_cells_release(&mid);
    tp_cells_release(&tail);
}

static char *write_cells_file(const char *name, int flags, int recorded, int rows)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct tp_out *o = NULL;
    struct tp_error err;
    cr_assert_eq(tp_out_open(&o, path, flags, &err), 0);
    for (int i = 0; i < rows; i++)
        cells_row(o, i, recorded);
    cr_assert_eq(tp_out_finish(o, &err), 0);
    cr_assert_eq(tp_out_publish(o, &err), 0);
    tp_out_free(o);
    return slurp_all(path);
}

/* Cells recorded once (tp_cells) and copied write the bytes that writing
 * them one by one writes, in both dialects and across many buffer fills;
 * quotes only where the cell needs them. */
Test(writer, recorded_cells_write_the_same_bytes)
{
    make_dir();
    for (int excel = 0; excel <= 1; excel++) {
        int flags = excel ? TP_OUT_EXCEL : 0;
        char *one = write_cells_file("one.csv", flags, 0, 12000);
        char *rec = write_cells_file("rec.csv", flags, 1, 12000);
        cr_assert(strlen(one) > (1 << 17), "more than one buffer");
        cr_expect_str_eq(one, rec, "excel=%d", excel);
        free(one);
        free(rec);
    }
    /* by hand: the first rows of both dialects */
    char *rec = write_cells_file("rec.csv", 0, 1, 3);
    cr_expect_str_eq(
        rec,
        "plain,0,semi;colon,0,,2.5\n"
        ",1,\"\r\",0.14285714285714285,,2.5\n"
        "\"with,comma\",2,\"0123456789012345678901234567890123456789012345678901234567890123456789,"
        "\",0.2857142857142857,,2.5\n");
    free(rec);
    rec = write_cells_file("rec.csv", TP_OUT_EXCEL, 1, 3);
    cr_expect_str_eq(
        rec, "\xEF\xBB\xBFplain;0;\"semi;colon\";0;;2,5\n"
             ";1;\"'\r\";0,14285714285714285;;2,5\n"
             "with,comma;2;0123456789012345678901234567890123456789012345678901234567890123456789,;"
             "0,2857142857142857;;2,5\n");
    free(rec);
}

struct cell_log {
    char b[1 << 16];
    size_t n;
};

static void log_sink_cell(void *ctx, const char *s, size_t len, enum tp_cell_kind kind)
{
    struct cell_log *l = ctx;
    l->n += (size_t)snprintf(l->b + l->n, sizeof(l->b) - l->n, "%c%zu:%.*s|",
                             kind == TP_CELL_NUMBER ? 'n' : 't', len, (int)len, s);
}

static void log_sink_row(void *ctx)
{
    struct cell_log *l = ctx;
    l->n += (size_t)snprintf(l->b + l->n, sizeof(l->b) - l->n, "\n");
}

/* A table with a sink (a workbook, the HTML report): recorded cells reach
 * it one by one, as written cells do, and the CSV is the same. */
Test(writer, recorded_cells_reach_a_sink_cell_by_cell)
{
    make_dir();
    static struct cell_log logs[2];
    char *csv[2];
    for (int recorded = 0; recorded <= 1; recorded++) {
        char path[128];
        snprintf(path, sizeof(path), "%s/s%d.csv", dir, recorded);
        struct tp_out *o = NULL;
        struct tp_error err;
        cr_assert_eq(tp_out_open(&o, path, 0, &err), 0);
        logs[recorded].n = 0;
        struct tp_cell_sink sink = {log_sink_cell, log_sink_row, &logs[recorded], 0, NULL};
        cr_assert_eq(tp_out_add_sink(o, &sink), 0);
        for (int i = 0; i < 40; i++)
            cells_row(o, i, recorded);
        cr_assert_eq(tp_out_finish(o, &err), 0);
        cr_assert_eq(tp_out_publish(o, &err), 0);
        tp_out_free(o);
        csv[recorded] = slurp_all(path);
    }
    cr_expect_str_eq(csv[0], csv[1]);
    cr_expect_eq(logs[0].n, logs[1].n);
    cr_expect_eq(memcmp(logs[0].b, logs[1].b, logs[0].n), 0);
    cr_expect(strstr(logs[1].b, "t5:plain|n1:0|t10:semi;colon|n1:0|n0:|n3:2.5|\n") != NULL);
    free(csv[0]);
    free(csv[1]);
}

/* A count in a row composed in place: its digits, as printf writes them,
 * on each side of every power of ten (where its length changes). */
Test(writer, row_count_digits_at_every_length)
{
    uint64_t p10 = 1;
    for (int k = 0; k < 20; k++, p10 *= 10) {
        const uint64_t vs[] = {p10 - 1, p10, p10 + 1, p10 * 2 - 1};
        for (size_t i = 0; i < 4; i++) {
            char got[TP_OUT_ROW_U64_MAX + 8], want[32];
            memset(got, 'x', sizeof(got));
            char *end = tp_out_row_u64(got, vs[i]);
            int n = snprintf(want, sizeof(want), "%llu", (unsigned long long)vs[i]);
            cr_assert_eq(end - got, n, "%llu", (unsigned long long)vs[i]);
            cr_assert_eq(memcmp(got, want, (size_t)n), 0, "%llu", (unsigned long long)vs[i]);
            cr_assert_eq(got[n], 'x', "%llu: a byte past its digits", (unsigned long long)vs[i]);
        }
    }
    char got[TP_OUT_ROW_U64_MAX + 1];
    char *end = tp_out_row_u64(got, UINT64_MAX);
    cr_assert_eq(end - got, TP_OUT_ROW_U64_MAX);
    cr_assert_eq(memcmp(got, "18446744073709551615", TP_OUT_ROW_U64_MAX), 0);
}

/* A row composed in place (tp_out_row_room, as tfidf writes its rows) is
 * the bytes of its cells written one by one; where o cannot take one so
 * (--excel, within a row, more than its buffer) there is no room. */
Test(writer, row_in_place_is_the_cells_bytes)
{
    char path[128];
    struct tp_out *o = open_table(path, "r.csv", 0);
    struct tp_error err;
    tp_out_header(o, "a,b,c,d");
    char *p = tp_out_row_room(o, 64);
    cr_assert_not_null(p);
    p = tp_out_row_text(o, p, "plain", 5);
    *p++ = ',';
    p = tp_out_row_text(o, p, "say \"hi\", x", 11);
    *p++ = ',';
    p = tp_out_row_u64(p, 7);
    *p++ = ',';
    p = tp_out_row_u64(p, 18446744073709551615ull);
    *p++ = '\n';
    tp_out_row_done(o, p);
    /* then a row of cells, as before */
    tp_out_str(o, "next");
    cr_expect_null(tp_out_row_room(o, 64)); /* within a row */
    tp_out_u64(o, 10);
    tp_out_row_end(o);
    cr_expect_null(tp_out_row_room(o, (size_t)1 << 20)); /* more than the buffer */
    /* rows past the buffer's end: drained before the room is given */
    for (int i = 0; i < 5000; i++) {
        p = tp_out_row_room(o, 40);
        cr_assert_not_null(p);
        p = tp_out_row_text(o, p, " edge", 5);
        *p++ = ',';
        p = tp_out_row_u64(p, (uint64_t)i);
        *p++ = '\n';
        tp_out_row_done(o, p);
    }
    cr_assert_eq(tp_out_finish(o, &err), 0);
    cr_assert_eq(tp_out_publish(o, &err), 0);
    tp_out_free(o);
    size_t n;
    char *got = slurp_len(path, &n);
    const char *head = "a,b,c,d\nplain,\"say \"\"hi\"\", x\",7,18446744073709551615\nnext,10\n";
    cr_assert(n > strlen(head));
    cr_expect_eq(memcmp(got, head, strlen(head)), 0);
    size_t at = strlen(head);
    for (int i = 0; i < 5000 && at < n; i++) {
        char want[32];
        int k = snprintf(want, sizeof(want), "\" edge\",%d\n", i);
        cr_assert_eq(memcmp(got + at, want, (size_t)k), 0, "row %d", i);
        at += (size_t)k;
    }
    cr_expect_eq(at, n);
    free(got);

    cr_assert_eq(tp_out_open(&o, path, TP_OUT_EXCEL, &err), 0);
    cr_expect_null(tp_out_row_room(o, 64)); /* --excel: ';' and decimal commas */
    tp_out_free(o);
}
