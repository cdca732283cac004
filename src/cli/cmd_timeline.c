/*
 * cmd_timeline.c - tempora timeline: term frequency per period (timeline.csv).
 */
#include "cli.h"
#include "report.h"

static int timeline_only(struct tp_run *run, struct tp_out *out, struct tp_error *err)
{
    return tp_report_timeline(run, out, NULL, NULL, err);
}

int cmd_timeline(struct cli *cli, struct tp_error *err)
{
    struct tp_count_opts co = {.spill = 1, .ngram = (unsigned)cli->o.ngram};
    return cli_count_and_write(cli, &co, timeline_only, err);
}
