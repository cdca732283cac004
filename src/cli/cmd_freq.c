/*
 * cmd_freq.c - tempora freq: frequency list (freq.csv).
 */
#include "cli.h"
#include "report.h"

int cmd_freq(struct cli *cli, struct tp_error *err)
{
    /* --terms: the rows of those terms (analyze's --terms are the timeline's) */
    cli->o.freq_listed_only = 1;
    struct tp_count_opts co = {.spill = 1, .ngram = (unsigned)cli->o.ngram};
    return cli_count_and_write(cli, &co, tp_report_freq, err);
}
