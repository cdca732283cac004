/*
 * cmd_colloc.c - tempora colloc: collocations (collocations.csv).
 */
#include "cli.h"
#include "report.h"

int cmd_colloc(struct cli *cli, struct tp_error *err)
{
    struct tp_run run;
    struct tp_count_opts co = {.window = (unsigned)cli->o.window};
    int rc = cli_count(cli, &run, &co, err);
    if (rc == 0)
        rc = cli_write_table(cli, &run, tp_report_colloc, err);
    tp_run_release(&run);
    return rc;
}
