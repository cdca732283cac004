/*
 * cmd_keyness.c - tempora keyness: keyness of a target against a reference (keyness.csv).
 */
#include "cli.h"
#include "report.h"

int cmd_keyness(struct cli *cli, struct tp_error *err)
{
    struct tp_count_opts co = {.spill = 1, .ngram = (unsigned)cli->o.ngram};
    return cli_count_and_write(cli, &co, tp_report_keyness, err);
}
