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
    struct tp_run run;
    struct tp_count_opts co = {.spill = 1};
    int rc = cli_count(cli, &run, &co, err);
    if (rc == 0)
        rc = cli_write_table(cli, &run, timeline_only, err);
    tp_run_release(&run);
    return rc;
}
