/*
 * cmd_summary.c - tempora summary: corpus statistics (summary.csv).
 */
#include "cli.h"
#include "report.h"

int cmd_summary(struct cli *cli, struct tp_error *err)
{
    /* --group-by: the (group, term) counts are summed while counting, no spill */
    struct tp_count_opts co = {.group_sums = cli->o.group_by != NULL};
    return cli_count_and_write(cli, &co, tp_report_summary, err);
}
