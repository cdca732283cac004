/*
 * cmd_tokens.c - tempora tokens: the token stream as CSV rows doc_id,seg,token
 * (stopwords included), written as the documents stream by.
 */
#include "cli.h"

struct tokens_ctx {
    struct tp_out *out;
    struct tp_tokenizer *tk;
    const char *doc_id;   /* borrowed from the reader during the document */
    struct tp_doclang dl; /* --lang auto: each document's language (as when counting) */
    const struct tp_opts *o;
    int skip; /* out of --from/--to */
};

static int on_token(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    struct tokens_ctx *t = ctx;
    if (t->dl.deciding) {
        /* --lang auto: the document's first tokens decide its language
         * before they are written (or it is tokenized again) */
        int v = tp_doclang_token(&t->dl, tok, len);
        if (v != TP_DL_COUNT)
            return v == TP_DL_AGAIN;
    }
    tp_out_str(t->out, t->doc_id);
    tp_out_u64(t->out, seg);
    tp_out_text(t->out, tok, len);
    tp_out_row_end(t->out);
    return 0;
}

static int on_begin(void *ctx, const struct tp_doc *doc, struct tp_error *err)
{
    struct tokens_ctx *t = ctx;
    (void)err;
    t->doc_id = doc->id;
    t->skip = !tp_date_in_range(t->o, &doc->date);
    tp_tokenizer_reset(t->tk);
    tp_doclang_begin(&t->dl, doc->part ? doc->part : doc->divisible); /* as counted */
    return 0;
}

static int on_text(void *ctx, const char *buf, size_t len, struct tp_error *err)
{
    struct tokens_ctx *t = ctx;
    if (t->skip)
        return 0;
    if (tp_doclang_feed(&t->dl, buf, len))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    return 0;
}

static int on_end(void *ctx, struct tp_error *err)
{
    struct tokens_ctx *t = ctx;
    if (t->skip)
        return 0;
    if (tp_doclang_finish(&t->dl))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    return 0;
}

int cmd_tokens(struct cli *cli, struct tp_error *err)
{
    struct tp_run run;
    struct tp_reader *r = NULL;
    struct tokens_ctx t = {0};
    struct tp_xlsx *x = NULL;
    int rc;
    if (cli->shard_n) /* a token stream has no counts to merge */
        return tp_error_set(err, TP_EUSAGE, "--shard: not an option of 'tempora tokens'");
    t.o = &cli->o;
    tp_run_init(&run, &cli->o, cli_warn, cli, cli_progress, cli);
    if ((rc = cli_reader(cli, cli->inputs, cli->n_inputs, &r, err)))
        goto out;
    if ((rc = tp_run_setup(&run, &r, 1, err)))
        goto out;
    if ((rc = cli_open_table(cli, &t.out, &x, err)))
        goto out;
    if (tp_tokenizer_new(&t.tk, &run.tok_opts, on_token, &t) ||
        tp_doclang_init(&t.dl, &run, t.tk)) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    tp_out_header(t.out, "doc_id,seg,token");
    struct tp_sink sink = {&t, on_begin, on_text, on_end, NULL};
    rc = tp_reader_run(r, &sink, cli_progress, cli, err);
out:
    tp_doclang_release(&t.dl);
    tp_tokenizer_free(t.tk);
    rc = cli_close_table(t.out, x, rc, err);
    cli_reader_free(cli, r);
    tp_run_release(&run);
    return rc;
}
