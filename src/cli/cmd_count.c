/*
 * cmd_count.c - tempora count: the counts of the inputs into a count state
 * (.tpc), for any table later (state.h, docs/state-format.md).
 *
 * A state keeps the pairs of --window (default 1) and the n-grams of --ngram
 * (default none), so the tables read from it are those of one run with the
 * same options.
 */
#include <string.h>

#include "cli.h"
#include "state.h"

int cmd_count(struct cli *cli, struct tp_error *err)
{
    if (!cli->o.output || cli->o.output[0] == '\0' || !strcmp(cli->o.output, "-"))
        return tp_error_set(err, TP_EUSAGE,
                            "count: -o FILE.tpc is needed (a state is written "
                            "to a file, not to standard output)");
    struct tp_count_opts co = {
        .spill = 1, .ngram = (unsigned)cli->o.ngram, .window = (unsigned)cli->o.window};
    struct tp_run run;
    int rc = cli_count(cli, &run, &co, err);
    if (rc == 0)
        rc = tp_state_write(&run, cli->o.output, err);
    tp_run_release(&run);
    return rc;
}
