/*
 * cmd_summary.c - tempora summary: corpus statistics (summary.csv).
 */
#include "cli.h"
#include "report.h"

int cmd_summary(struct cli *cli, struct tp_error *err)
{
    struct tp_run run;
    struct tp_count_opts co = {.spill = 0};
    int rc = cli_count(cli, &run, &co, err);
    if (rc == 0)
        rc = cli_write_table(cli, &run, tp_report_summary, err);
    tp_run_release(&run);
    return rc;
}
