/*
 * cmd_trends.c - tempora trends: the trend of every eligible term, with
 * Benjamini-Hochberg q-values (trends.csv's columns plus q_value).
 */
#include "cli.h"
#include "report.h"

int cmd_trends(struct cli *cli, struct tp_error *err)
{
    struct tp_count_opts co = {.spill = 1, .ngram = (unsigned)cli->o.ngram};
    return cli_count_and_write(cli, &co, tp_report_trends_all, err);
}
