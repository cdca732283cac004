/*
 * cmd_colloc.c - tempora colloc: collocations (collocations.csv).
 */
#include "cli.h"
#include "report.h"

int cmd_colloc(struct cli *cli, struct tp_error *err)
{
    struct tp_count_opts co = {.window = (unsigned)cli->o.window};
    return cli_count_and_write(cli, &co, tp_report_colloc, err);
}
