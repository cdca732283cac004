/*
 * cmd_tfidf.c - tempora tfidf: top TF-IDF terms per document (tfidf.csv).
 */
#include "cli.h"
#include "report.h"

int cmd_tfidf(struct cli *cli, struct tp_error *err)
{
    struct tp_run run;
    struct tp_count_opts co = {.spill = 1};
    int rc = cli_count(cli, &run, &co, err);
    if (rc == 0)
        rc = cli_write_table(cli, &run, tp_report_tfidf, err);
    tp_run_release(&run);
    return rc;
}
