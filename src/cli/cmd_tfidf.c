/*
 * cmd_tfidf.c - tempora tfidf: top TF-IDF terms per document (tfidf.csv).
 */
#include "cli.h"
#include "report.h"

int cmd_tfidf(struct cli *cli, struct tp_error *err)
{
    struct tp_count_opts co = {.spill = 1, .ngram = (unsigned)cli->o.ngram};
    return cli_count_and_write(cli, &co, tp_report_tfidf, err);
}
