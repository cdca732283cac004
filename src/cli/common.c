/*
 * common.c - helpers every command uses: diagnostics, progress, readers and
 * counting, single-table output, the manifest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dates.h"
#include "group.h"
#include "report.h"
#include "split.h"
#include "state.h"
#include "stopwords.h"

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_warn(void *ctx, const char *msg)
{
    struct cli *cli = ctx;
    /* The same event can be seen twice (the --lang sample pass and, with
     * threads, the counting pass read the same documents): say it once. */
    if (!cli->warned.slots && tp_table_init(&cli->warned) != 0)
        return;
    int added = 0;
    if (tp_table_intern(&cli->warned, msg, strlen(msg), &added) >= 0 && !added)
        return;
    cli->n_warnings++;
    if (cli->o.quiet)
        return;
    cli_progress_end(cli);
    fprintf(stderr, "tempora: warning: %s\n", msg);
}

void cli_progress(void *ctx, uint64_t done, uint64_t total, uint64_t docs)
{
    struct cli *cli = ctx;
    if (!cli->show_progress)
        return;
    double now = cli_now();
    if (now - cli->last_progress < 0.16)
        return;
    cli->last_progress = now;
    double secs = now - cli->t0;
    double mbs = secs > 0 ? (double)done / 1e6 / secs : 0;
    char eta[32] = "";
    if (total && done && done < total && mbs > 0)
        snprintf(eta, sizeof(eta), ", ETA %.0fs", (double)(total - done) / 1e6 / mbs);
    char of[32] = ""; /* no total: standard input */
    if (total)
        snprintf(of, sizeof(of), "/%.1f", total / 1e6);
    fprintf(stderr, "\r\033[Ktempora: %.1f%s MB, %llu documents, %.1f MB/s%s", done / 1e6, of,
            (unsigned long long)docs, mbs, eta);
    fflush(stderr);
    cli->progress_drawn = 1;
}

void cli_progress_end(struct cli *cli)
{
    if (cli->progress_drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        cli->progress_drawn = 0;
    }
}

int cli_reader(struct cli *cli, const char *const *inputs, size_t n, struct tp_reader **r,
               struct tp_error *err)
{
    /* --date-from-name looks at the folders below the INPUT arguments, also
     * in the readers of a parallel run (which are handed file paths) */
    if (!cli->name_roots) {
        size_t k = 0, all = cli->n_inputs + cli->n_target + cli->n_reference;
        cli->name_roots = malloc((all ? all : 1) * sizeof(*cli->name_roots));
        if (!cli->name_roots)
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        for (size_t i = 0; i < cli->n_inputs; i++)
            cli->name_roots[k++] = cli->inputs[i];
        for (size_t i = 0; i < cli->n_target; i++)
            cli->name_roots[k++] = cli->target[i];
        for (size_t i = 0; i < cli->n_reference; i++)
            cli->name_roots[k++] = cli->reference[i];
        cli->o.name_roots = cli->name_roots;
        cli->o.n_name_roots = k;
    }
    int rc = tp_reader_new_sharing(r, inputs, n, cli->meta_lender, &cli->o, cli_warn, cli, err);
    if (rc == 0 && cli->o.meta_path && !cli->meta_lender)
        cli->meta_lender = *r;
    return rc;
}

/* A reader cli_reader made is freed: it lends --meta no more. */
void cli_reader_free(struct cli *cli, struct tp_reader *r)
{
    if (r && r == cli->meta_lender)
        cli->meta_lender = NULL;
    tp_reader_free(r);
}

/* --meta rows whose id names no document are most often a path written
 * differently (./a.txt for a.txt): say so, once, with the first of them. */
static void warn_unmatched_meta(struct cli *cli, struct tp_run *run, const struct tp_reader *r)
{
    struct tp_table ids;
    const struct tp_counts *c = tp_corpus_counts_const(run->corpus);
    if (tp_table_init(&ids) != 0)
        return;
    for (size_t d = 0; d < c->n_docs; d++)
        if (tp_table_intern(&ids, c->docs[d].id, strlen(c->docs[d].id), NULL) < 0)
            goto out;
    size_t n_bad = 0;
    unsigned long first_line = 0, line;
    const char *first = NULL, *id;
    for (size_t i = 0; (id = tp_reader_meta_id(r, i, &line)) != NULL; i++) {
        if (tp_table_find(&ids, id, strlen(id)) >= 0)
            continue;
        n_bad++;
        if (!first || line < first_line) {
            first = id;
            first_line = line;
        }
    }
    if (n_bad) {
        char msg[1024], more[64] = "";
        if (n_bad > 1)
            snprintf(more, sizeof(more), " and %zu more", n_bad - 1);
        snprintf(msg, sizeof(msg),
                 "%s:%lu: --meta id '%.200s'%s match%s no document (ids are compared byte for "
                 "byte with document ids such as '%.200s')",
                 cli->o.meta_path, first_line, first, more, n_bad > 1 ? "" : "es",
                 c->n_docs ? c->docs[0].id : "");
        cli_warn(cli, msg);
    }
out:
    tp_table_release(&ids);
}

/* An id on several --meta rows: the last row wins, which is what a file of
 * corrections appended at the end wants, but a repeat is as often a mistake:
 * say so, once. */
static void warn_repeated_meta(struct cli *cli, const struct tp_reader *r)
{
    const char *id;
    unsigned long line, first;
    size_t n = tp_reader_meta_repeats(r, &id, &line, &first);
    if (!n)
        return;
    char msg[1024], more[64] = "";
    if (n > 1)
        snprintf(more, sizeof(more), " (%zu repeated rows in all)", n);
    snprintf(msg, sizeof(msg),
             "%s:%lu: --meta id '%.200s' given again (first on line %lu): the last row wins%s",
             cli->o.meta_path, line, id ? id : "", first, more);
    cli_warn(cli, msg);
}

/* One input of a run, in argument order: a run of text inputs read by one
 * reader, or a count state. */
struct part {
    int side;
    const char *state;    /* a state's path, or NULL: ... */
    struct tp_reader *rd; /* ... a reader of text inputs */
};

/* A piece of --shard I/N: a whole file, or the lines of a file of one
 * document a line whose first byte is in [start, start + len). */
struct piece {
    char *path;
    int whole;
    uint64_t start, len;
    unsigned long line; /* the first line's number (1-based) */
};

/* The pieces of --shard I/N: the expanded files (folders walked, in the
 * order a run reads them), laid end to end, are cut into N shares of equal
 * bytes. A file of one document a line (uncompressed --doc-per-line text,
 * JSONL) is cut at line starts: a line goes to the share its first byte is
 * in; any other file goes whole to the share its middle byte is in. *all:
 * a reader of every share (for --lang auto's sample). A CSV of one
 * document a row (ids in a column) is cut at row starts: quote parity from
 * the file's start, so a quoted field's line feed is never a cut. */
static int shard_inputs(struct cli *cli, const char *const *in, size_t n, struct piece **pieces,
                        size_t *n_pieces, struct tp_reader **all_out, struct tp_error *err)
{
    __extension__ typedef unsigned __int128 u128;
    struct tp_reader *all = NULL;
    int rc = cli_reader(cli, in, n, &all, err);
    *all_out = all;
    if (rc)
        return rc;
    size_t nf;
    const char *const *files = tp_reader_files(all, &nf);
    uint64_t *size = calloc(nf ? nf : 1, sizeof(*size)), total = 0;
    *pieces = calloc(nf ? nf : 1, sizeof(**pieces));
    *n_pieces = 0;
    if (!size || !*pieces) {
        free(size);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nf; i++) {
        struct stat st;
        if (strcmp(files[i], "-") == 0) {
            free(size);
            return tp_error_set(err, TP_EUSAGE, "--shard: standard input cannot be shared out");
        }
        size[i] = stat(files[i], &st) == 0 ? (uint64_t)st.st_size : 0;
        total += size[i];
    }
    unsigned N = cli->shard_n, I = cli->shard_i - 1;
    uint64_t lo = (uint64_t)((u128)total * I / N), hi = (uint64_t)((u128)total * (I + 1) / N);
    uint64_t at = 0;
    for (size_t i = 0; i < nf && !rc; at += size[i], i++) {
        struct piece pc = {0};
        if (tp_reader_splittable(all, i) && size[i]) {
            /* this share's bytes of the file: [a, b) */
            uint64_t a = lo > at ? lo - at : 0, b = hi > at ? hi - at : 0;
            if (a >= size[i] || b == 0)
                continue;
            if (b > size[i])
                b = size[i];
            /* a CSV of one document a row is cut at row starts: line
             * feeds outside quoted fields */
            int csv = tp_reader_splittable(all, i) == 2;
            int other;
            int fd = tp_open_listed(files[i], &other);
            if (other) {
                rc = tp_error_set(err, TP_EIO, "%s: %s", files[i], tp_not_regular_why);
                break;
            }
            FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
            if (!f && fd >= 0)
                close(fd);
            uint64_t s = 0, e;
            unsigned long line = 1;
            if (!f || tp_split_next_start(f, size[i], csv, a, &s, &line) != 0) {
                rc = tp_error_set(err, TP_EIO, "%s: cannot read it", files[i]);
                if (f)
                    fclose(f);
                break;
            }
            pc.line = line;
            /* the end needs no line number: the first line start at or
             * after b is found from b - 1 (a CSV's quote parity, from s) */
            e = csv || s > b - 1 ? s : b - 1;
            rc = tp_split_next_start(f, size[i], csv, b, &e, &line) != 0
                     ? tp_error_set(err, TP_EIO, "%s: cannot read it", files[i])
                     : 0;
            fclose(f);
            if (rc || e <= s)
                continue;
            pc.whole = s == 0 && e == size[i];
            pc.start = s;
            pc.len = e - s;
        } else {
            /* the share of the file's middle byte (share 1 when all are empty) */
            u128 mid = (u128)(at + size[i] / 2) * N;
            unsigned share = total ? (unsigned)(mid / total) : 0;
            if ((share < N ? share : N - 1) != I)
                continue;
            pc.whole = 1;
        }
        if (!(pc.path = strdup(files[i])))
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        else
            (*pieces)[(*n_pieces)++] = pc;
    }
    free(size);
    return rc;
}

/* A state merged with --replace keeps no pairs and no exact first
 * occurrences or reader statistics (state.h, TP_STATE_LOST_*): the tables
 * made of them are refused, naming the state (exit 1). */
static int state_lost_check(const struct cli *cli, const char *path, struct tp_error *err)
{
    int pairs = !strcmp(cli->cmd, "colloc") || !strcmp(cli->cmd, "analyze");
    int first = !strcmp(cli->cmd, "summary") || !strcmp(cli->cmd, "analyze");
    if (!pairs && !first)
        return 0;
    struct tp_state_head h;
    int rc = tp_state_head_read(path, &h, err);
    if (rc)
        return rc;
    unsigned lost = h.lost;
    tp_state_head_release(&h);
    if (pairs && (lost & TP_STATE_LOST_PAIRS))
        return tp_error_set(err, TP_EDATA,
                            "%s: merged with --replace, it keeps no pairs (a replaced document's "
                            "pairs cannot be taken out): tempora %s needs the text counted "
                            "again",
                            path, cli->cmd);
    if (first && (lost & TP_STATE_LOST_FIRST))
        return tp_error_set(err, TP_EDATA,
                            "%s: merged with --replace, it keeps no exact first occurrences "
                            "and reader statistics (Heaps' law, invalid_utf8, ...): tempora %s "
                            "needs the text counted again",
                            path, cli->cmd);
    return 0;
}

/* The first option a count state cannot serve, or NULL: states keep
 * neither document groups, nor the forms behind stems and lemmas, and their
 * documents are not filtered by date. */
static const char *state_unkept_option(const struct tp_opts *o)
{
    return o->group_by      ? "--group-by"
           : o->stem        ? "--stem"
           : o->lemmas_path ? "--lemmas"
           : o->date_from   ? "--from"
           : o->date_to     ? "--to"
                            : NULL;
}

int (*cli_count_hook)(struct cli *cli, struct tp_run *run, const struct tp_count_opts *co,
                      struct tp_error *err);
void (*cli_share_hook)(struct cli *cli, uint64_t share_bytes);

/* --group-by FIELD names something only a document can show (a CSV column,
 * a JSONL field): when it is not a --meta column and no document has a
 * value, FIELD is most likely misspelt. */
static int check_group_field(struct cli *cli, struct tp_run *run, const struct tp_reader *r,
                             struct tp_error *err)
{
    if (tp_reader_group_found(r) || tp_corpus_n_groups(run->corpus) > 1)
        return 0;
    return tp_error_set(err, TP_EDATA,
                        "--group-by %s: no document has a value for it (FIELD is a --meta "
                        "column, a CSV column, a JSONL field, or dir)",
                        cli->o.group_by);
}

int cli_count(struct cli *cli, struct tp_run *run, const struct tp_count_opts *co,
              struct tp_error *err)
{
    if (cli_count_hook)
        return cli_count_hook(cli, run, co, err);
    return cli_count_here(cli, run, co, err);
}

int cli_count_here(struct cli *cli, struct tp_run *run, const struct tp_count_opts *co,
                   struct tp_error *err)
{
    struct part *parts = NULL;
    size_t n_parts = 0, n_readers = 0;
    struct tp_reader **readers = NULL;
    struct piece *pieces = NULL;
    size_t n_pieces = 0;
    struct tp_reader *all = NULL; /* --shard: a reader of every share */
    int rc = 0;
    tp_run_init(run, &cli->o, cli_warn, cli, cli_progress, cli);
    const char *const *lists[2] = {cli->inputs, NULL};
    size_t counts[2] = {cli->n_inputs, 0};
    if (cli->n_target || cli->n_reference) {
        lists[0] = cli->target;
        counts[0] = cli->n_target;
        lists[1] = cli->reference;
        counts[1] = cli->n_reference;
    }
    size_t cap = counts[0] + counts[1] + 2;
    parts = calloc(cap, sizeof(*parts));
    readers = calloc(cap, sizeof(*readers));
    if (!parts || !readers) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    for (int side = 0; side < 2 && lists[side]; side++) {
        const char *const *in = lists[side];
        size_t n = counts[side];
        if (n == 0) { /* standard input */
            parts[n_parts].side = side;
            if ((rc = cli_reader(cli, in, 0, &parts[n_parts].rd, err)))
                goto out;
            readers[n_readers++] = parts[n_parts++].rd;
            continue;
        }
        if (cli->shard_n) {
            for (size_t i = 0; i < n; i++)
                if (tp_state_detect(in[i])) {
                    rc = tp_error_set(err, TP_EUSAGE,
                                      "--shard: '%s' is a count state (shares are of text "
                                      "inputs; merge states with 'tempora merge')",
                                      in[i]);
                    goto out;
                }
            if ((rc = shard_inputs(cli, in, n, &pieces, &n_pieces, &all, err)))
                goto out;
            struct part *np = realloc(parts, (n_parts + n_pieces + 2) * sizeof(*parts));
            struct tp_reader **nr =
                np ? realloc(readers, (n_parts + n_pieces + 2) * sizeof(*readers)) : NULL;
            if (np)
                parts = np;
            if (nr)
                readers = nr;
            if (!np || !nr) {
                rc = tp_error_set(err, TP_ENOMEM, "out of memory");
                goto out;
            }
            /* runs of whole files: one reader each; a file's lines: one each */
            size_t first_piece = n_readers;
            for (size_t i = 0, j; i < n_pieces; i = j) {
                struct part *pt = &parts[n_parts];
                memset(pt, 0, sizeof(*pt));
                pt->side = side;
                if (!pieces[i].whole) {
                    j = i + 1;
                    rc = tp_reader_new_range(&pt->rd, pieces[i].path, pieces[i].start,
                                             pieces[i].len, pieces[i].line, cli->meta_lender,
                                             &cli->o, cli_warn, cli, err);
                } else {
                    const char **paths = malloc(n_pieces * sizeof(*paths));
                    if (!paths) {
                        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
                        goto out;
                    }
                    for (j = i; j < n_pieces && pieces[j].whole; j++)
                        paths[j - i] = pieces[j].path;
                    /* the reader keeps the strings (pieces), not the array */
                    rc = cli_reader(cli, paths, j - i, &pt->rd, err);
                    free(paths);
                }
                if (rc)
                    goto out;
                /* --group-by dir: the folders named, not the files of the share */
                tp_reader_share_dirs(pt->rd, all);
                readers[n_readers++] = parts[n_parts++].rd;
            }
            /* inputs skipped while listing: every share lists them, share 1
             * counts them (its first piece's reader; none when it is empty) */
            if (cli->shard_i == 1 && n_readers > first_piece)
                tp_reader_add_skipped(readers[first_piece], all);
            continue;
        }
        for (size_t i = 0, j; i < n; i = j) {
            parts[n_parts].side = side;
            if (tp_state_detect(in[i])) {
                const char *opt = state_unkept_option(&cli->o);
                if (opt) {
                    rc = tp_error_set(err, TP_EUSAGE,
                                      "%s: a count state does not keep what %s needs (read the "
                                      "text inputs instead)",
                                      in[i], opt);
                    goto out;
                }
                if ((rc = state_lost_check(cli, in[i], err)))
                    goto out;
                parts[n_parts++].state = in[i];
                j = i + 1;
                continue;
            }
            for (j = i + 1; j < n && !tp_state_detect(in[j]); j++)
                ;
            if ((rc = cli_reader(cli, in + i, j - i, &parts[n_parts].rd, err)))
                goto out;
            readers[n_readers++] = parts[n_parts++].rd;
        }
    }
    /* --lang auto: a state's language decides when there is one */
    for (size_t i = 0; i < n_parts && cli->o.lang == TP_LANG_AUTO; i++)
        if (parts[i].state) {
            struct tp_state_head h;
            if ((rc = tp_state_head_read(parts[i].state, &h, err)))
                goto out;
            run->preset = 1;
            run->preset_lang = h.lang;
            run->preset_extra = h.extra_langs;
            tp_state_head_release(&h);
            break;
        }
    if (all) {
        if ((rc = tp_run_setup(run, &all, 1, err)))
            goto out;
        /* the sizes of this share only */
        tp_run_set_sizes(run, readers, n_readers);
        if (cli_share_hook)
            cli_share_hook(cli, run->bytes_total);
    } else if ((rc = tp_run_setup(run, readers, n_readers, err))) {
        goto out;
    }
    if ((rc = tp_run_start_counting(run, co, err)))
        goto out;
    for (size_t i = 0; i < n_parts; i++) {
        if (parts[i].state)
            rc = tp_state_load(run, parts[i].state, parts[i].side, NULL, err);
        else
            rc = tp_run_count(run, parts[i].rd, parts[i].side, err);
        if (rc)
            goto out;
    }
    if ((rc = tp_run_counted(run, err)))
        goto out;
    if (cli->o.group_by && n_readers && (rc = check_group_field(cli, run, readers[0], err)))
        goto out;
    if (cli->o.meta_path && n_readers && !cli->shard_n) { /* a share lacks others' ids */
        warn_repeated_meta(cli, readers[0]);
        warn_unmatched_meta(cli, run, readers[0]);
    }
out:
    for (size_t i = 0; i < n_readers; i++)
        cli_reader_free(cli, readers[i]);
    cli_reader_free(cli, all);
    for (size_t i = 0; i < n_pieces; i++)
        free(pieces[i].path);
    free(pieces);
    free(parts);
    free(readers);
    cli_progress_end(cli);
    return rc;
}

/* -o FILE.xlsx (any case): a workbook instead of CSV. */
static int wants_xlsx(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    return n > 5 && strcasecmp(path + n - 5, ".xlsx") == 0;
}

int cli_open_table(struct cli *cli, struct tp_out **out, struct tp_xlsx **x, struct tp_error *err)
{
    *x = NULL;
    if (!wants_xlsx(cli->o.output))
        return tp_out_open(out, cli->o.output, cli->o.excel ? TP_OUT_EXCEL : 0, err);
    int rc = tp_out_open(out, cli->o.output, TP_OUT_RAW | TP_OUT_NO_CSV, err);
    if (rc)
        return rc;
    /* the sheet is named after the table */
    const char *sheet = strcmp(cli->cmd, "colloc") == 0 ? "collocations" : cli->cmd;
    if ((rc = tp_xlsx_new(x, *out, err)) == 0 && (rc = tp_xlsx_add(*x, sheet, *out, err)) == 0)
        return 0;
    tp_xlsx_free(*x);
    *x = NULL;
    tp_out_free(*out);
    *out = NULL;
    return rc;
}

int cli_close_table(struct tp_out *out, struct tp_xlsx *x, int rc, struct tp_error *err)
{
    if (!rc && x)
        rc = tp_xlsx_close(x, err);
    if (!rc && out && (rc = tp_out_finish(out, err)) == 0)
        rc = tp_out_publish(out, err);
    tp_xlsx_free(x);
    tp_out_free(out);
    return rc;
}

int cli_write_table(struct cli *cli, struct tp_run *run, cli_table_fn *fn, struct tp_error *err)
{
    struct tp_out *out;
    struct tp_xlsx *x;
    int rc = cli_open_table(cli, &out, &x, err);
    if (rc)
        return rc;
    return cli_close_table(out, x, fn(run, out, err), err);
}

int cli_count_and_write(struct cli *cli, const struct tp_count_opts *co, cli_table_fn *fn,
                        struct tp_error *err)
{
    struct tp_run run;
    int rc = cli_count(cli, &run, co, err);
    if (rc == 0)
        rc = cli_write_table(cli, &run, fn, err);
    tp_run_release(&run);
    return rc;
}

int cli_add_terms(struct cli *cli, const char *list, struct tp_error *err)
{
    if (!*list)
        return tp_error_set(err, TP_EUSAGE, "--terms: the list is empty");
    size_t have = cli->terms ? strlen(cli->terms) : 0, len = strlen(list);
    char *p = realloc(cli->terms, have + 1 + len + 1);
    if (!p)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    if (have)
        p[have++] = ',';
    memcpy(p + have, list, len + 1);
    cli->terms = p;
    cli->o.terms = p;
    return 0;
}

int cli_add_terms_file(struct cli *cli, const char *path, struct tp_error *err)
{
    size_t n = cli->o.n_terms_files;
    const char **p = realloc(cli->terms_files, (n + 1) * sizeof(*p));
    if (!p)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    p[n] = path;
    cli->terms_files = p;
    cli->o.terms_files = p;
    cli->o.n_terms_files = n + 1;
    return 0;
}

static void kv(struct tp_out *out, const char *k, const char *v)
{
    tp_out_str(out, k);
    tp_out_str(out, v ? v : "");
    tp_out_row_end(out);
}

static void kv_u64(struct tp_out *out, const char *k, uint64_t v)
{
    tp_out_str(out, k);
    tp_out_u64(out, v);
    tp_out_row_end(out);
}

static const char *yes(int b)
{
    return b ? "yes" : "no";
}

/* A --from/--to bound (YYYYMMDD, 0: none) as an ISO date; a month's end
 * (kept as day 31) as its real last day. */
static void range_date(long v, char *buf, size_t cap)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    long y = v / 10000, m = v / 100 % 100, d = v % 100;
    if (!v) {
        buf[0] = '\0';
        return;
    }
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    long last = days[m - 1] + (m == 2 && leap);
    snprintf(buf, cap, "%04ld-%02ld-%02ld", y, m, d > last ? last : d);
}

int cli_write_manifest(struct cli *cli, struct tp_run *run, struct tp_out *out,
                       struct tp_error *err)
{
    const struct tp_opts *o = &cli->o;
    char buf[64];
    size_t len = 0;
    for (int i = 0; i < cli->argc; i++)
        len += strlen(cli->argv[i]) * 4 + 3;
    char *cmdline = malloc(len + 1), *p = cmdline;
    if (!cmdline)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    /* shell-quoted so the line can be pasted back */
    for (int i = 0; i < cli->argc; i++) {
        const char *a = cli->argv[i];
        int plain = *a != '\0';
        for (const char *q = a; *q && plain; q++)
            plain =
                strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@",
                       *q) != NULL;
        if (i)
            *p++ = ' ';
        if (plain) {
            p += sprintf(p, "%s", a);
            continue;
        }
        *p++ = '\'';
        for (const char *q = a; *q; q++) {
            if (*q == '\'')
                p += sprintf(p, "'\\''");
            else
                *p++ = *q;
        }
        *p++ = '\'';
    }
    *p = '\0';
    struct tp_period_info pi;
    struct tp_error ignored;
    if (tp_period_info(run, &pi, &ignored) != 0)
        pi.kind = o->period;
    tp_out_header(out, "key,value");
    kv(out, "tempora_version", TP_VERSION_STRING);
    kv(out, "command", cli->cmd);
    kv(out, "command_line", cmdline);
    free(cmdline);
    char cwd[4096];
    kv(out, "working_directory", getcwd(cwd, sizeof(cwd)) ? cwd : "");
    kv(out, "lang", tp_lang_name(run->lang));
    kv(out, "lang_requested", tp_lang_name(o->lang));
    kv_u64(out, "lang_sample_stopword_hits", run->lang_hits);
    /* --lang auto decides per document: how many got each language */
    kv(out, "lang_per_document", yes(run->per_doc_lang));
    /* the run's documents by the language they were counted in (their
     * records', which a count state keeps) */
    uint64_t by_lang[TP_LANG_NONE + 1] = {0};
    const struct tp_counts *c = tp_corpus_counts_const(run->corpus);
    for (size_t d = 0; run->per_doc_lang && d < c->n_docs; d++)
        by_lang[c->docs[d].lang]++;
    for (unsigned k = 1; k <= TP_LANG_NONE + 1; k++) {
        /* the languages, then (TP_LANG_AUTO) the documents of a state that
         * recorded none: an earlier tempora's */
        unsigned l = k % (TP_LANG_NONE + 1);
        if (by_lang[l]) {
            char key[64];
            snprintf(key, sizeof(key), "documents_lang_%s",
                     l == TP_LANG_AUTO ? "unrecorded" : tp_lang_name((enum tp_lang)l));
            kv_u64(out, key, by_lang[l]);
        }
    }
    kv(out, "encoding", cli_encoding_names[o->encoding]);
    kv(out, "format", cli_format_names[o->format]);
    kv(out, "doc_per_line", yes(o->doc_per_line));
    kv(out, "text_col", o->text_col);
    kv(out, "date_col", o->date_col);
    kv(out, "id_col", o->id_col ? o->id_col : "id if present, else PATH:ROW");
    kv(out, "meta", o->meta_path);
    kv(out, "date_from_name", yes(o->date_from_name));
    kv_u64(out, "max_doc_bytes", o->max_doc_bytes ? o->max_doc_bytes : TP_MAX_DOC_BYTES);
    kv(out, "strict", yes(o->strict));
    kv(out, "skip_errors", yes(o->skip_errors));
    kv(out, "case", o->keep_case ? "keep" : "fold");
    kv(out, "normalize", o->nfkc ? "nfkc" : "nfc");
    kv(out, "split_hyphens", yes(o->split_hyphens));
    char lists[64] = "";
    if (!o->no_stopwords) {
        snprintf(lists, sizeof(lists), "%s", tp_lang_name(run->lang));
        for (unsigned l = 0; l < 32; l++)
            if (run->extra_langs & (1u << l)) {
                size_t at = strlen(lists);
                snprintf(lists + at, sizeof(lists) - at, " %s", tp_lang_name((enum tp_lang)l));
            }
    }
    kv(out, "stopwords", o->no_stopwords ? "none" : lists);
    kv(out, "stopwords_file", o->stopwords_path);
    kv_u64(out, "stopword_list_size", run->stop.n);
    kv_u64(out, "min_length", (uint64_t)o->min_length);
    range_date(o->date_from, buf, sizeof(buf));
    kv(out, "from", buf);
    range_date(o->date_to, buf, sizeof(buf));
    kv(out, "to", buf);
    kv_u64(out, "out_of_range", tp_corpus_counts_const(run->corpus)->n_out_of_range);
    kv(out, "stem", yes(o->stem));
    kv(out, "lemmas", o->lemmas_path);
    kv_u64(out, "ngram", (uint64_t)o->ngram);
    snprintf(buf, sizeof(buf), "%ld", o->top);
    kv(out, "top", o->top >= 0 ? buf : "command default (tfidf 10, colloc 1000, timeline 20)");
    kv_u64(out, "min_count", (uint64_t)o->min_count);
    kv(out, "measure", cli_measure_names[o->measure]);
    kv_u64(out, "window", (uint64_t)o->window);
    kv_u64(out, "max_pair_memory_mib", o->max_pair_mib ? o->max_pair_mib : TP_MAX_PAIR_MIB);
    kv_u64(out, "max_ngram_memory_mib", o->max_ngram_mib ? o->max_ngram_mib : TP_MAX_NGRAM_MIB);
    kv(out, "fisher", yes(o->fisher));
    kv(out, "tf", cli_tf_names[o->tf]);
    kv(out, "idf", cli_idf_names[o->idf]);
    kv(out, "norm", cli_norm_names[o->norm]);
    kv(out, "terms", o->terms);
    for (size_t i = 0; i < o->n_terms_files; i++)
        kv(out, "terms_file", o->terms_files[i]);
    kv_u64(out, "terms_listed", tp_corpus_counts_const(run->corpus)->n_match);
    kv(out, "wide", yes(o->wide));
    kv(out, "period", pi.kind == TP_PERIOD_AUTO ? "" : tp_period_name(pi.kind));
    kv(out, "period_requested", o->period == TP_PERIOD_AUTO ? "auto" : tp_period_name(o->period));
    kv(out, "group_by", o->group_by);
    if (o->group_by) {
        const struct tp_counts *gc = tp_corpus_counts_const(run->corpus);
        size_t n = tp_corpus_n_groups(run->corpus), used = 0;
        uint8_t *seen = calloc(n, 1);
        for (size_t d = 0; seen && d < gc->n_docs; d++)
            if (!seen[gc->docs[d].group]) {
                seen[gc->docs[d].group] = 1;
                used++;
            }
        free(seen);
        kv_u64(out, "groups", used);
    }
    kv(out, "target_group", o->target_group);
    kv(out, "reference_group",
       o->target_group && !o->reference_group ? "every other group" : o->reference_group);
    kv(out, "excel", yes(o->excel));
    kv(out, "xlsx", yes(o->xlsx));
    kv_u64(out, "threads_requested", (uint64_t)o->threads);
    kv_u64(out, "threads_used", run->threads_used);
    kv_u64(out, "inputs", run->n_files);
    kv_u64(out, "input_bytes", run->input_bytes);
    kv_u64(out, "bytes_read", run->rs.bytes);
    kv_u64(out, "documents", tp_corpus_counts_const(run->corpus)->n_docs);
    kv_u64(out, "tokens", tp_corpus_counts_const(run->corpus)->n_tokens);
    kv_u64(out, "warnings", cli->n_warnings);
    struct tm tm;
    char when[64];
    gmtime_r(&cli->start_time, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    kv(out, "start_time", when);
    tp_out_str(out, "seconds");
    tp_out_double(out, (double)(long long)((cli_now() - cli->t0) * 1000) / 1000);
    tp_out_row_end(out);
    return 0;
}
