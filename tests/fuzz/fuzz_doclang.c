/*
 * fuzz_doclang.c - libFuzzer target: the per-document language of --lang
 * auto (struct tp_doclang, src/doclang.c). The first input byte picks the
 * corpus's language, how the rest is cut into pieces and whether tokens
 * come in batches (as the counting takes them) or one at a time (as
 * `tempora tokens` does); the rest is one document. Invariants: no crash or
 * sanitizer report; the language decided is the one a plain reading of the
 * definition gives (the document tokenized with the corpus's profile, its
 * first 60 tokens among those completed in its first 4096 bytes when it is
 * longer, looked up in every list with an elided "l'" as "l"; at least 50
 * of them, the list with the most hits, ties to the corpus's language, then
 * the first; otherwise the corpus's); and the tokens the callbacks count
 * are exactly the whole document's, tokenized with that language's
 * profile, none before the decision.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"
#include "stopwords.h"
#include "table.h"
#include "tokenizer.h"

#include "../unit/doclang_count.h"

static struct tp_run run;
static struct tp_tokenizer *tk_batch, *tk_one;
static struct tp_doclang dl_batch, dl_one; /* made once: their tables are the lists' */

static struct dl_rec counted_batch, counted_one;

static void setup(void)
{
    if (tp_table_init(&run.lang_words))
        abort();
    for (size_t i = 0; i < TP_N_AUTO; i++) {
        struct tp_table one;
        if (tp_table_init(&one) || tp_stopwords_add_builtin(&one, tp_auto_langs[i], 0))
            abort();
        for (size_t w = 0; w < one.n; w++) {
            int64_t id =
                tp_table_intern(&run.lang_words, one.terms[w].bytes, one.terms[w].len, NULL);
            if (id < 0)
                abort();
            run.lang_words.terms[id].flags |= 1u << i;
        }
        tp_table_release(&one);
    }
    run.per_doc_lang = 1;
    struct tp_tokenizer_opts to = {0};
    if (tp_tokenizer_new(&tk_batch, &to, dl_rec_token, &counted_batch) ||
        tp_tokenizer_new(&tk_one, &to, dl_rec_token, &counted_one) ||
        tp_doclang_init(&dl_batch, &run, tk_batch) || tp_doclang_init(&dl_one, &run, tk_one))
        abort();
    tp_tokenizer_set_batch(tk_batch, dl_rec_batch);
    counted_batch.dl = &dl_batch;
    counted_one.dl = &dl_one;
}

/* The definition, read plainly. */
static enum tp_lang reference(const uint8_t *p, size_t n, enum tp_lang corpus)
{
    static struct dl_rec r;
    if (dl_rec_plain((const char *)p, n, corpus, 1, &r))
        abort();
    uint64_t hits[TP_N_AUTO] = {0};
    size_t tokens = 0;
    for (size_t at = 0; at < r.len && tokens < TP_LANG_DOC_WORDS; tokens++) {
        const char *tok;
        size_t len;
        at = dl_rec_next(&r, at, &tok, &len);
        if (len > 1 && tok[len - 1] == '\'')
            len--;
        int64_t id = tp_table_find(&run.lang_words, tok, len);
        for (size_t l = 0; id >= 0 && l < TP_N_AUTO; l++)
            hits[l] += run.lang_words.terms[id].flags >> l & 1;
    }
    if (tokens < TP_LANG_DOC_MIN)
        return corpus;
    size_t best = TP_N_AUTO;
    for (size_t i = 0; i < TP_N_AUTO; i++)
        if (hits[i] && (best == TP_N_AUTO || hits[i] > hits[best] ||
                        (hits[i] == hits[best] && tp_auto_langs[i] == corpus)))
            best = i;
    return best < TP_N_AUTO ? tp_auto_langs[best] : corpus;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tk_batch)
        setup();
    if (size < 1)
        return 0;
    run.lang = tp_auto_langs[data[0] % TP_N_AUTO];
    int batch = data[0] / TP_N_AUTO % 2;
    size_t piece = (size_t)(data[0] / (2 * TP_N_AUTO)) * 7 % 97; /* 0: whole */
    data++;
    size--;
    struct tp_tokenizer *tk = batch ? tk_batch : tk_one;
    struct tp_doclang *dl = batch ? &dl_batch : &dl_one;
    struct dl_rec *counted = batch ? &counted_batch : &counted_one;
    /* fed in pieces, as a reader does */
    counted->len = 0;
    tp_tokenizer_reset(tk);
    tp_doclang_begin(dl, 0);
    for (size_t i = 0; i < size;) {
        size_t k = piece && size - i > piece ? piece : size - i;
        if (tp_doclang_feed(dl, (const char *)data + i, k))
            abort();
        i += k;
    }
    if (tp_doclang_finish(dl) || dl->deciding)
        abort();
    enum tp_lang want = reference(data, size, run.lang);
    if (dl->lang != want)
        abort();
    static struct dl_rec all;
    if (dl_rec_plain((const char *)data, size, want, 0, &all) || !dl_rec_same(&all, counted))
        abort();
    return 0;
}
