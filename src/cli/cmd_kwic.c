/*
 * cmd_kwic.c - tempora kwic: every occurrence of the listed terms in its
 * context (doc_id,date,position,left,match,right).
 */
#include "cli.h"
#include "kwic.h"

int cmd_kwic(struct cli *cli, struct tp_error *err)
{
    struct tp_run run;
    struct tp_reader *r = NULL;
    struct tp_out *out = NULL;
    struct tp_count_opts co = {0};
    struct tp_kwic_opts ko = {(unsigned)cli->o.kwic_context, (uint64_t)cli->o.kwic_sample,
                              cli->o.kwic_seed};
    int rc;
    tp_run_init(&run, &cli->o, cli_warn, cli, cli_progress, cli);
    if (!cli->o.terms && !cli->o.n_terms_files) {
        rc = tp_error_set(err, TP_EUSAGE, "kwic needs --terms a,b,... or --terms-file FILE");
        goto out;
    }
    run.kwic_patterns = 1; /* 'crisi idric*': several words, patterns among them */
    if ((rc = cli_reader(cli, cli->inputs, cli->n_inputs, &r, err)) ||
        (rc = tp_run_setup(&run, &r, 1, err)) || (rc = tp_run_start_counting(&run, &co, err)))
        goto out;
    if ((rc = tp_out_open(&out, cli->o.output, cli->o.excel ? TP_OUT_EXCEL : 0, err)))
        goto out;
    if ((rc = tp_kwic_run(&run, r, &ko, out, err)) == 0 && (rc = tp_out_finish(out, err)) == 0)
        rc = tp_out_publish(out, err);
out:
    cli_progress_end(cli);
    tp_out_free(out);
    cli_reader_free(cli, r);
    tp_run_release(&run);
    return rc;
}
