/*
 * cmd_merge.c - tempora merge: count states joined into one, documents in
 * argument order (so merging is associative: (A B) C = A (B C)).
 *
 * Every input must be a state counted with the same options as the first
 * (the error names the option that differs), and a document id may appear
 * only once; with --replace, a later appearance replaces the earlier one in
 * its place (tp_state_write_replaced, state_replace.c). The merged tables (terms, n-grams, pairs,
 * documents) are held in memory, as one run over the same text would hold them; the per-document
 * lists are read from the input files and written through to the output, never held whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "state.h"

struct ids {
    struct tp_table seen;
    uint32_t *file_of; /* by id of seen: the input it came from */
    size_t cap;
    const char *const *paths;
    size_t file;
    struct tp_error *err;
};

static int note_id(void *ctx, const char *id, size_t index)
{
    struct ids *s = ctx;
    int added = 0;
    (void)index;
    int64_t k = tp_table_intern(&s->seen, id, strlen(id), &added);
    if (k < 0)
        return tp_error_set(s->err, TP_ENOMEM, "out of memory");
    if (!added)
        return tp_error_set(s->err, TP_EDATA,
                            "document '%.300s' is in %s and again in %s: a document may be "
                            "merged once",
                            id, s->paths[s->file_of[k]], s->paths[s->file]);
    if ((size_t)k >= s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        while (cap <= (size_t)k)
            cap *= 2;
        uint32_t *p = realloc(s->file_of, cap * sizeof(*p));
        if (!p)
            return tp_error_set(s->err, TP_ENOMEM, "out of memory");
        s->file_of = p;
        s->cap = cap;
    }
    s->file_of[k] = (uint32_t)s->file;
    return 0;
}

int cli_merge_states(struct cli *cli, const char *const *in, size_t n, const char *output,
                     struct tp_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!tp_state_detect(in[i]))
            return tp_error_set(err, TP_EPARSE, "%s: not a tempora count state%s", in[i],
                                strcmp(in[i], "-") ? ""
                                                   : " (merge reads files, not standard input)");
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
    struct ids ids = {.paths = in, .err = err};
    struct tp_run run;
    tp_run_init(&run, &o, cli_warn, cli, NULL, NULL);
    run.lang = h.lang;
    run.extra_langs = h.extra_langs;
    if (tp_table_init(&run.stop) || tp_table_init(&ids.seen)) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < h.n_stop; i++)
        if (tp_table_intern(&run.stop, h.stop[i], strlen(h.stop[i]), NULL) < 0) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
    for (ids.file = 0; !cli->replace && ids.file < n; ids.file++)
        if ((rc = tp_state_each_id(in[ids.file], note_id, &ids, err)))
            goto out;
    struct tp_count_opts co = {.spill = 1, .ngram = h.ngram, .window = h.window};
    if ((rc = tp_run_start_counting(&run, &co, err)))
        goto out;
    for (size_t i = 0; i < n; i++)
        if ((rc = tp_state_load(&run, in[i], 0, NULL, err)))
            goto out;
    if (cli->replace) {
        size_t n_replaced;
        rc = tp_state_write_replaced(&run, output, &n_replaced, err);
        if (!rc && n_replaced && !cli->o.quiet)
            fprintf(stderr,
                    "tempora: merge --replace: %zu document%s replaced; %s keeps no pairs and no "
                    "exact first occurrences (colloc, summary and analyze need the text counted "
                    "again)\n",
                    n_replaced, n_replaced == 1 ? "" : "s", output);
    } else {
        rc = tp_state_write(&run, output, err);
    }
out:
    tp_table_release(&ids.seen);
    free(ids.file_of);
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
