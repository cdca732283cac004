/*
 * common.c - helpers every command uses: diagnostics, progress, readers and
 * counting, single-table output, the manifest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dates.h"
#include "report.h"
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
    fprintf(stderr, "\r\033[Ktempora: %.1f/%.1f MB, %llu documents, %.1f MB/s%s", done / 1e6,
            total / 1e6, (unsigned long long)docs, mbs, eta);
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
    return tp_reader_new(r, inputs, n, &cli->o, cli_warn, cli, err);
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

int cli_count(struct cli *cli, struct tp_run *run, const struct tp_count_opts *co,
              struct tp_error *err)
{
    struct tp_reader *readers[2] = {NULL, NULL};
    size_t n = 0;
    int rc;
    tp_run_init(run, &cli->o, cli_warn, cli, cli_progress, cli);
    if (cli->n_target || cli->n_reference) {
        if ((rc = cli_reader(cli, cli->target, cli->n_target, &readers[0], err)))
            goto out;
        n = 1;
        if ((rc = cli_reader(cli, cli->reference, cli->n_reference, &readers[1], err)))
            goto out;
        n = 2;
    } else {
        if ((rc = cli_reader(cli, cli->inputs, cli->n_inputs, &readers[0], err)))
            goto out;
        n = 1;
    }
    if ((rc = tp_run_setup(run, readers, n, err)))
        goto out;
    if ((rc = tp_run_start_counting(run, co, err)))
        goto out;
    for (size_t i = 0; i < n; i++)
        if ((rc = tp_run_count(run, readers[i], (int)i, err)))
            goto out;
    if ((rc = tp_run_counted(run, err)))
        goto out;
    if (cli->o.meta_path) {
        warn_repeated_meta(cli, readers[0]);
        warn_unmatched_meta(cli, run, readers[0]);
    }
out:
    for (size_t i = 0; i < n; i++)
        tp_reader_free(readers[i]);
    cli_progress_end(cli);
    return rc;
}

int cli_write_table(struct cli *cli, struct tp_run *run, cli_table_fn *fn, struct tp_error *err)
{
    struct tp_out *out;
    int rc = tp_out_open(&out, cli->o.output, cli->o.excel ? TP_OUT_EXCEL : 0, err);
    if (rc)
        return rc;
    if ((rc = fn(run, out, err)) == 0 && (rc = tp_out_finish(out, err)) == 0)
        rc = tp_out_publish(out, err);
    tp_out_free(out);
    return rc;
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
    kv(out, "encoding", cli_encoding_names[o->encoding]);
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
    kv(out, "excel", yes(o->excel));
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
