/*
 * cmd_summary.c - tempora summary: corpus statistics (summary.csv).
 */
#include "cli.h"
#include "report.h"

int cmd_summary(struct cli *cli, struct tp_error *err)
{
    struct tp_count_opts co = {.spill = cli->o.group_by != NULL}; /* groups: from the spill */
    return cli_count_and_write(cli, &co, tp_report_summary, err);
}
