/*
 * cmd_merge.c - tempora merge: count states joined into one, documents in
 * argument order (so merging is associative: (A B) C = A (B C)).
 *
 * Every input must be a state counted with the same options as the first
 * (the error names the option that differs), and a document id may appear
 * only once; with --replace, a later appearance replaces the earlier one in
 * its place (tp_state_write_replaced, state_replace.c). A merge without
 * --replace is a k-way merge of the states as streams (tp_state_merge,
 * state_merge.c): the merged vocabulary and n-grams are held, not the
 * inputs' pairs, documents or lists. With --replace the states are loaded
 * (terms, n-grams, pairs and documents in memory; the lists stay in the
 * files) and written again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "state.h"

int cli_merge_states(struct cli *cli, const char *const *in, size_t n, const char *output,
                     struct tp_error *err)
{
    for (size_t i = 0; i < n; i++) {
        /* a file that is not there or cannot be read says so, not that it
         * is no state */
        if (strcmp(in[i], "-") && access(in[i], R_OK) != 0)
            return tp_error_set(err, TP_EIO, "%s: %s", in[i], strerror(errno));
        if (!tp_state_detect(in[i]))
            return tp_error_set(err, TP_EPARSE, "%s: not a tempora count state%s", in[i],
                                strcmp(in[i], "-") ? ""
                                                   : " (merge reads files, not standard input)");
    }
    /* the first state's options are the merge's */
    struct tp_state_head h;
    int rc = tp_state_head_read(in[0], &h, err);
    if (rc)
        return rc;
    struct tp_opts o = cli->o;
    o.lang = h.lang;
    o.keep_case = h.keep_case;
    o.nfkc = h.nfkc;
    o.split_hyphens = h.split_hyphens;
    o.min_length = h.min_length;
    o.encoding = (enum tp_encoding)h.encoding;
    struct tp_run run;
    tp_run_init(&run, &o, cli_warn, cli, NULL, NULL);
    run.lang = h.lang;
    run.extra_langs = h.extra_langs;
    if (tp_table_init(&run.stop)) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < h.n_stop; i++)
        if (tp_table_intern(&run.stop, h.stop[i], strlen(h.stop[i]), NULL) < 0) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
    struct tp_count_opts co = {.spill = 1, .ngram = h.ngram, .window = h.window};
    if ((rc = tp_run_start_counting(&run, &co, err)))
        goto out;
    if (!cli->replace) { /* streams: the inputs are not held (state_merge.c) */
        rc = tp_state_merge(&run, in, n, output, err);
        goto out;
    }
    /* --replace: the states loaded (their lists stay in their files), then
     * the documents kept once (state_replace.c) */
    for (size_t i = 0; i < n; i++)
        if ((rc = tp_state_load(&run, in[i], 0, NULL, err)))
            goto out;
    size_t n_replaced;
    rc = tp_state_write_replaced(&run, output, &n_replaced, err);
    if (!rc && n_replaced && !cli->o.quiet)
        fprintf(stderr,
                "tempora: merge --replace: %zu document%s replaced; %s keeps no pairs and no "
                "exact first occurrences (colloc, summary and analyze need the text counted "
                "again)\n",
                n_replaced, n_replaced == 1 ? "" : "s", output);
out:
    tp_state_head_release(&h);
    tp_run_release(&run);
    return rc;
}

int cmd_merge(struct cli *cli, struct tp_error *err)
{
    if (!cli->o.output || !strcmp(cli->o.output, "-"))
        return tp_error_set(err, TP_EUSAGE, "merge: -o FILE.tpc is needed");
    if (cli->n_inputs == 0)
        return tp_error_set(err, TP_EUSAGE, "merge: name the count states to merge");
    if (cli->shard_n)
        return tp_error_set(err, TP_EUSAGE, "--shard: not an option of 'tempora merge'");
    return cli_merge_states(cli, cli->inputs, cli->n_inputs, cli->o.output, err);
}
