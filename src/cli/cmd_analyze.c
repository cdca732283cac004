/*
 * cmd_analyze.c - tempora analyze: every table of one run into a folder.
 *
 * The tables are written into a staging folder inside the output folder and
 * exchanged with the earlier set only after every one of them is complete
 * (tp_outset), so a failed or interrupted run leaves the previous results as
 * they were, and concurrent runs into one folder take turns.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chart.h"
#include "cli.h"
#include "report.h"
#include "report_html.h"
#include "xlsx.h"

enum {
    F_FREQ,
    F_TFIDF,
    F_COLLOC,
    F_TIMELINE,
    F_TRENDS,
    F_SVG,
    F_SUMMARY,
    F_KEYNESS,
    F_MANIFEST,
    F_HTML,
    F_XLSX,
    N_FILES
};

static const char *const names[N_FILES] = {
    "freq.csv",     "tfidf.csv",    "collocations.csv", "timeline.csv",
    "trends.csv",   "timeline.svg", "summary.csv",      "keyness.csv",
    "manifest.csv", "report.html",  "tempora.xlsx",
};

/* Each table's sheet in tempora.xlsx and its part of report.html: the name,
 * the rows the report keeps (the top of a ranked table; the timeline's
 * first 100 terms), NULL for files that are no table. */
static const struct {
    const char *name;
    size_t html_rows, html_terms;
} tables[N_FILES] = {
    [F_FREQ] = {"freq", 100, 0},           [F_TFIDF] = {"tfidf", 3000, 0},
    [F_COLLOC] = {"collocations", 100, 0}, [F_TIMELINE] = {"timeline", 200000, 100},
    [F_TRENDS] = {"trends", 1000, 0},      [F_SUMMARY] = {"summary", 1000, 0},
    [F_KEYNESS] = {"keyness", 100, 0},     [F_MANIFEST] = {"manifest", 1000, 0},
};

/* Hang the workbook's sheets (x, when --xlsx) and the report's tables on
 * the tables' outputs, before a cell is written. */
static int add_sinks(struct tp_out **out, struct tp_xlsx *x, struct tp_html *h,
                     struct tp_error *err)
{
    int rc = 0;
    for (int i = 0; i < N_FILES && !rc; i++) {
        if (!tables[i].name || !out[i])
            continue;
        if (x && (rc = tp_xlsx_add(x, tables[i].name, out[i], err)))
            break;
        rc = tp_html_add(h, tables[i].name, out[i], tables[i].html_rows, tables[i].html_terms, err);
    }
    return rc;
}

/* mkdir -p */
static int make_dir(const char *path, struct tp_error *err)
{
    char *p = strdup(path);
    int rc = 0;
    if (!p)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    for (char *s = p + 1;; s++) {
        char c = *s;
        if (c == '/' || c == '\0') {
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                rc = tp_error_set(err, TP_EIO, "%s: cannot create folder: %s", p, strerror(errno));
                break;
            }
            *s = c;
        }
        if (c == '\0')
            break;
    }
    free(p);
    struct stat st;
    if (!rc && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)))
        rc = tp_error_set(err, TP_EIO, "%s: not a folder", path);
    return rc;
}

static void *drop_lists(void *corpus)
{
    tp_corpus_drop_lists(corpus);
    return NULL;
}

int cmd_analyze(struct cli *cli, struct tp_error *err)
{
    struct tp_run run;
    struct tp_outset *set = NULL;
    struct tp_out *out[N_FILES] = {0};
    struct tp_xlsx *x = NULL;
    struct tp_html *html = NULL;
    pthread_t dropper;
    int dropping = 0;
    const char *dir = cli->o.output ? cli->o.output : "out";
    int keyness = cli->n_target || cli->n_reference || cli->o.target_group;
    struct tp_count_opts co = {.spill = 1,
                               .ngram = (unsigned)cli->o.ngram,
                               .window = (unsigned)cli->o.window,
                               .group_sums = cli->o.group_by != NULL};
    int rc = cli_count(cli, &run, &co, err);
    if (rc)
        goto out;
    if ((rc = make_dir(dir, err)) || (rc = tp_outset_open(&set, dir, err)))
        goto out;
    for (int i = 0; i < N_FILES; i++) {
        int flags = i == F_SVG || i == F_HTML || i == F_XLSX ? TP_OUT_RAW
                    : cli->o.excel                           ? TP_OUT_EXCEL
                                                             : 0;
        /* a keyness table (or workbook) of an earlier run goes with the earlier set */
        rc = (i == F_KEYNESS && !keyness) || (i == F_XLSX && !cli->o.xlsx)
                 ? tp_outset_drop(set, names[i], err)
                 : tp_outset_add(set, &out[i], names[i], flags, err);
        if (rc)
            goto out;
    }
    if ((cli->o.xlsx && (rc = tp_xlsx_new(&x, out[F_XLSX], err))) ||
        (tp_html_new(&html) != 0 && (rc = tp_error_set(err, TP_ENOMEM, "out of memory"))) ||
        (rc = add_sinks(out, x, html, err)))
        goto out;
    /* a large table is synced to the disk while the next ones are computed
     * (tp_out_sync_start; tfidf.csv of a million documents takes 0.1 to
     * 0.5 s), which also ends its direct writes and frees their buffers */
    if ((rc = tp_report_freq(&run, out[F_FREQ], err)))
        goto out;
    tp_out_sync_start(out[F_FREQ]);
    if ((rc = tp_report_tfidf(&run, out[F_TFIDF], err)))
        goto out;
    tp_out_sync_start(out[F_TFIDF]);
    if ((rc = tp_report_colloc(&run, out[F_COLLOC], err)))
        goto out;
    tp_out_sync_start(out[F_COLLOC]);
    rc = tp_report_timeline(&run, out[F_TIMELINE], out[F_TRENDS], out[F_SVG], err);
    if (!rc) {
        tp_out_sync_start(out[F_TIMELINE]);
        tp_out_sync_start(out[F_TRENDS]);
    }
    if (rc == TP_EDATA) {
        /* No dates: the timeline tables are empty, not missing, so no stale
         * table from an earlier run is left looking current. */
        cli_warn(cli, err->msg);
        static const char timeline_cols[] = "group,period,period_start,term,count,"
                                            "period_tokens,per_million,ci_low,ci_high,docs";
        static const char trends_cols[] =
            "group,term,periods,total,slope_per_period,tau,mk_z,p_value,direction";
        size_t skip = cli->o.group_by ? 0 : strlen("group,"); /* --group-by: its column */
        tp_out_header(out[F_TIMELINE], timeline_cols + skip);
        tp_out_header(out[F_TRENDS], trends_cols + skip);
        rc = tp_chart_svg(tp_out_file(out[F_SVG]), NULL, 0, NULL, 0,
                          "No dated documents: no timeline", err);
    }
    if (rc)
        goto out;
    if (keyness && (rc = tp_report_keyness(&run, out[F_KEYNESS], err)))
        goto out;
    if ((rc = tp_report_summary(&run, out[F_SUMMARY], err)))
        goto out;
    /* the last table that reads the per-document lists is done: their
     * temporary files (half a gigabyte for a million documents) are closed,
     * and their pages freed, while the report and the commit are written */
    dropping = pthread_create(&dropper, NULL, drop_lists, run.corpus) == 0;
    if ((rc = cli_write_manifest(cli, &run, out[F_MANIFEST], err)))
        goto out;
    if ((rc = tp_html_write(html, tp_out_file(out[F_HTML]), err)) ||
        (x && (rc = tp_xlsx_close(x, err))))
        goto out;
    rc = tp_outset_commit(set, err);
out:
    if (dropping)
        pthread_join(dropper, NULL);
    tp_xlsx_free(x);
    tp_html_free(html);
    tp_outset_free(set); /* with the tables it owns */
    tp_run_release(&run);
    return rc;
}
