/*
 * fuzz_state.c - count states (.tpc) from bytes: reading the head, the
 * document ids and the whole state into a run, then every table that reads
 * the counts. Built with TP_STATE_FUZZ, which leaves the section checksums
 * unchecked so that mutated sections reach the parsers behind them (the CLI
 * cases hostile_state_* check the checksums). A state read without error
 * must hold what the tables can read: no crash, no sanitizer report, and
 * the totals agree with the documents. Then merge --replace of the state
 * with itself (every document given twice: each replaced by its second
 * appearance) is written and read back: it must hold the state's documents
 * once, and say that it lost its pairs and first occurrences.
 */
#include "fuzz_common.h"
#include "pipeline.h"
#include "report.h"
#include "state.h"
#include "writer.h"

/* tempora merge of the state at path alone (the streaming merge's
 * parsers on the mutated bytes): when it succeeds, what it wrote reads
 * back with as many documents and tokens as the state loaded with. */
static void merge_alone(const struct tp_opts *o, const struct tp_count_opts *co, const char *path,
                        int loaded, size_t n_docs, uint64_t n_tokens)
{
    struct tp_error err = {0, ""};
    struct tp_run run;
    const char *out = fz_path("merged.tpc");
    const char *in[1] = {path};
    tp_run_init(&run, o, NULL, NULL, NULL, NULL);
    int rc = tp_run_setup(&run, NULL, 0, &err);
    if (!rc)
        rc = tp_run_start_counting(&run, co, &err);
    if (!rc)
        rc = tp_state_merge(&run, in, 1, out, &err);
    tp_run_release(&run);
    if (rc || !loaded)
        return;
    tp_run_init(&run, o, NULL, NULL, NULL, NULL);
    FZ_CHECK(tp_run_setup(&run, NULL, 0, &err) == 0 && tp_run_start_counting(&run, co, &err) == 0);
    FZ_CHECK(tp_state_load(&run, out, 0, NULL, &err) == 0);
    const struct tp_counts *c = tp_corpus_counts_const(run.corpus);
    FZ_CHECK(c->n_docs == n_docs && c->n_tokens == n_tokens);
    tp_run_release(&run);
}

/* merge --replace of the state at path with itself, read back. */
static void replace_self(const struct tp_opts *o, const struct tp_count_opts *co, const char *path,
                         size_t n_docs, uint64_t n_tokens)
{
    struct tp_error err = {0, ""};
    struct tp_run run;
    const char *out = fz_path("replaced.tpc");
    size_t n_replaced = 0;
    tp_run_init(&run, o, NULL, NULL, NULL, NULL);
    int rc = tp_run_setup(&run, NULL, 0, &err);
    if (!rc)
        rc = tp_run_start_counting(&run, co, &err);
    if (!rc)
        rc = tp_state_load(&run, path, 0, NULL, &err);
    if (!rc)
        rc = tp_state_load(&run, path, 0, NULL, &err);
    if (!rc)
        rc = tp_state_write_replaced(&run, out, &n_replaced, &err);
    tp_run_release(&run);
    if (rc)
        return;
    /* the same id may be given twice in the state itself: at least its
     * second copy's documents are replaced */
    FZ_CHECK(n_replaced >= n_docs);
    struct tp_state_head h;
    FZ_CHECK(tp_state_head_read(out, &h, &err) == 0);
    FZ_CHECK(n_replaced == 0 || (h.lost & TP_STATE_LOST_FIRST));
    tp_state_head_release(&h);
    tp_run_init(&run, o, NULL, NULL, NULL, NULL);
    FZ_CHECK(tp_run_setup(&run, NULL, 0, &err) == 0 && tp_run_start_counting(&run, co, &err) == 0);
    FZ_CHECK(tp_state_load(&run, out, 0, NULL, &err) == 0);
    const struct tp_counts *c = tp_corpus_counts_const(run.corpus);
    FZ_CHECK(c->n_docs + n_replaced == 2 * n_docs);
    FZ_CHECK(c->n_tokens <= n_tokens);
    tp_run_release(&run);
}

static int count_id(void *ctx, const char *id, size_t index)
{
    FZ_CHECK(id != NULL);
    FZ_CHECK(index == *(size_t *)ctx);
    (*(size_t *)ctx)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_path("in.txt");
    fz_write(path, data, size);
    struct tp_error err = {0, ""};
    struct tp_state_head h;
    unsigned ngram = 1, window = 1;
    if (tp_state_head_read(path, &h, &err) == 0) {
        ngram = h.ngram;
        window = h.window;
        tp_state_head_release(&h);
    }
    size_t n_ids = 0;
    (void)tp_state_each_id(path, count_id, &n_ids, &err);
    struct tp_opts o = TP_OPTS_INIT;
    o.lang = TP_LANG_IT;
    o.no_stopwords = 1; /* the seeds are counted so: small enough for -max_len */
    o.threads = 1;
    o.quiet = 1;
    o.window = window ? (int)window : 1;
    o.ngram = (int)ngram;
    struct tp_run run;
    tp_run_init(&run, &o, NULL, NULL, NULL, NULL);
    struct tp_count_opts co = {.spill = 1, .ngram = ngram, .window = window};
    size_t n_docs = 0;
    uint64_t n_tokens = 0;
    int loaded = 0;
    if (tp_run_setup(&run, NULL, 0, &err) == 0 && tp_run_start_counting(&run, &co, &err) == 0 &&
        tp_state_load(&run, path, 0, NULL, &err) == 0) {
        const struct tp_counts *c = tp_corpus_counts_const(run.corpus);
        uint64_t sum = 0;
        for (size_t d = 0; d < c->n_docs; d++)
            sum += c->docs[d].n_tokens;
        FZ_CHECK(sum == c->n_tokens);
        FZ_CHECK(c->n_docs == n_ids);
        loaded = 1;
        n_docs = c->n_docs;
        n_tokens = c->n_tokens;
        struct tp_out *out = NULL;
        if (tp_out_open_mem(&out, 0) == 0) {
            (void)tp_report_freq(&run, out, &err);
            (void)tp_report_tfidf(&run, out, &err);
            (void)tp_report_colloc(&run, out, &err);
            (void)tp_report_summary(&run, out, &err);
            (void)tp_report_timeline(&run, out, NULL, NULL, &err);
            tp_out_free(out);
        }
    }
    tp_run_release(&run);
    merge_alone(&o, &co, path, loaded, n_docs, n_tokens);
    if (loaded && n_docs)
        replace_self(&o, &co, path, n_docs, n_tokens);
    return 0;
}
