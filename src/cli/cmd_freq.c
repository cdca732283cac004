/*
 * cmd_freq.c - tempora freq: frequency list (freq.csv).
 */
#include "cli.h"
#include "report.h"

int cmd_freq(struct cli *cli, struct tp_error *err)
{
    struct tp_run run;
    struct tp_count_opts co = {.spill = 1, .ngram = (unsigned)cli->o.ngram};
    int rc = cli_count(cli, &run, &co, err);
    if (rc == 0)
        rc = cli_write_table(cli, &run, tp_report_freq, err);
    tp_run_release(&run);
    return rc;
}
