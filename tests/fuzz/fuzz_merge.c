/*
 * fuzz_merge.c - libFuzzer target, differential: the corpus merge.
 *
 * The input is a list of documents separated by 0x01 bytes, each sent to
 * corpus A or B by the low bit of its first byte; the first two bytes pick the
 * counting options (per-document lists, n-grams, pair window, stopwords,
 * minimum length, listed terms). Counting A's documents then B's on one
 * corpus must give exactly what counting them on A and B and merging B into A
 * gives: terms, totals, document frequencies, first occurrences (Heaps'
 * checkpoints), documents, n-grams, pairs, listed terms and every document's
 * list. Optionally A's last document is cut after a line feed and goes on in
 * B (suspended in A, continued in B), as a file counted in parts is. The
 * whole corpus may count tokens in batches (tp_corpus_tokens16), the others
 * one at a time.
 */
#include "fuzz_common.h"
#include "stopwords.h"

static const char *const match_terms[][2] = {
    {"la", NULL}, {"casa", NULL}, {"la", "casa"}, {"di", "la"}};

struct span {
    const char *p;
    size_t n;
    int side;
};

static struct tp_corpus *setup(const struct tp_count_opts *o, unsigned n_match)
{
    struct tp_error err;
    struct tp_corpus *c = NULL;
    FZ_CHECK(tp_corpus_new(&c, o, &err) == 0);
    for (unsigned m = 0; m < n_match; m++) {
        size_t lens[2] = {strlen(match_terms[m][0]),
                          match_terms[m][1] ? strlen(match_terms[m][1]) : 0};
        FZ_CHECK(tp_corpus_add_match(c, match_terms[m], lens, match_terms[m][1] ? 2 : 1) == 0);
    }
    return c;
}

struct counter {
    struct tp_corpus *c;
    struct tp_tokenizer *tk;
};

static int on_token(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    struct counter *k = ctx;
    FZ_CHECK(tp_corpus_token(k->c, tok, len, seg) == 0);
    return 0;
}

static int on_batch(void *ctx, const struct tp_token_batch *b)
{
    struct counter *k = ctx;
    FZ_CHECK(tp_corpus_tokens16(k->c, b->tok, b->len, b->seg, b->n) == 0);
    return 0;
}

/* One tokenizer for every document (reset or continued at each), as the
 * pipeline's counting sink has one for its reader; tk[1] gives tokens of up
 * to 16 bytes in batches (tp_corpus_tokens16), as the pipeline counts them. */
static struct tp_tokenizer *tk[2];

/* Count text as (part of) a document of c. how: 0 whole, 1 the first part
 * (suspended), 2 a later part (continued, suspended too: closed after the
 * merge, as the parts of a file are). */
static void count_doc(struct tp_corpus *c, const struct tp_tokenizer_opts *to, int batch,
                      const char *id, const char *p, size_t n, int how)
{
    static struct tp_tokenizer_opts cur[2];
    static struct counter k;
    struct tp_error err;
    struct tp_date none = {0, 0, 0, TP_PREC_NONE};
    if (!tk[batch] || memcmp(&cur[batch], to, sizeof(*to)) != 0) {
        tp_tokenizer_free(tk[batch]);
        FZ_CHECK(tp_tokenizer_new(&tk[batch], to, on_token, &k) == 0);
        if (batch)
            tp_tokenizer_set_batch(tk[batch], on_batch);
        cur[batch] = *to;
    }
    k.c = c;
    k.tk = tk[batch];
    FZ_CHECK(tp_corpus_begin(c, id, &none, 0) == 0);
    if (how == 2) {
        tp_tokenizer_continue(k.tk);
        FZ_CHECK(tp_corpus_continue(c) == 0);
    } else
        tp_tokenizer_reset(k.tk);
    FZ_CHECK(tp_tokenizer_feed(k.tk, p, n) == 0);
    FZ_CHECK(tp_tokenizer_finish(k.tk) == 0);
    if (how)
        FZ_CHECK(tp_corpus_suspend(c, tp_tokenizer_break_pending(k.tk)) == 0);
    else
        FZ_CHECK(tp_corpus_end(c, &err) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 1 << 16)
        return 0;
    static struct tp_table stop;
    if (!stop.slots) {
        FZ_CHECK(tp_table_init(&stop) == 0);
        FZ_CHECK(tp_stopwords_add_builtin(&stop, TP_LANG_IT, 0) == 0);
    }
    struct tp_count_opts o = {0};
    o.spill = data[0] & 1;
    o.ngram = ((data[0] >> 1) & 3) + 1;
    o.window = (data[0] >> 3) & 7;
    if (o.window == 7)
        o.window = 70; /* beyond the 64 of the pairs-only path */
    o.stop = (data[0] >> 6) & 1 ? &stop : NULL;
    int batch = data[0] >> 7; /* the whole corpus counts in batches */
    o.min_length = (data[1] & 3);
    unsigned n_match = (data[1] >> 2) % 5;
    int cut = (data[1] >> 5) & 1;
    struct tp_tokenizer_opts to = {0};
    to.elide = (data[1] >> 6) & 1;
    to.apocope = to.elide;
    to.split_hyphens = (data[1] >> 7) & 1;
    const char *text = (const char *)data + 2;
    size_t len = size - 2;

    /* the documents and their sides */
    struct span *docs = malloc((len + 1) * sizeof(*docs));
    FZ_CHECK(docs != NULL);
    size_t nd = 0;
    for (size_t i = 0, s = 0; i <= len; i++)
        if (i == len || text[i] == '\x01') {
            docs[nd].p = text + s;
            docs[nd].n = i - s;
            docs[nd].side = i > s && (text[s] & 1);
            nd++;
            s = i + 1;
        }

    /* the last document of A may be cut after a line feed, its tail going
     * on at the start of B */
    size_t last_a = nd;
    for (size_t d = 0; d < nd; d++)
        if (!docs[d].side)
            last_a = d;
    size_t head = 0;
    if (cut && last_a < nd) {
        const char *nl = memchr(docs[last_a].p, '\n', docs[last_a].n);
        if (nl)
            head = (size_t)(nl + 1 - docs[last_a].p);
        else
            cut = 0;
    } else
        cut = 0;

    struct tp_error err;
    char id[32];
    struct tp_corpus *whole = setup(&o, n_match), *a = setup(&o, n_match), *b = setup(&o, n_match);
    for (int side = 0; side < 2; side++)
        for (size_t d = 0; d < nd; d++)
            if (docs[d].side == side) {
                snprintf(id, sizeof(id), "d%zu", d);
                count_doc(whole, &to, batch, id, docs[d].p, docs[d].n, 0);
            }
    /* A: its documents; the cut one suspended after its head */
    for (size_t d = 0; d < nd; d++)
        if (!docs[d].side) {
            snprintf(id, sizeof(id), "d%zu", d);
            count_doc(a, &to, 0, id, docs[d].p, cut && d == last_a ? head : docs[d].n,
                      cut && d == last_a);
        }
    /* T: the cut document's tail, merged and closed; then B's own */
    if (cut) {
        struct tp_corpus *t = setup(&o, n_match);
        snprintf(id, sizeof(id), "d%zu", last_a);
        count_doc(t, &to, 0, id, docs[last_a].p + head, docs[last_a].n - head, 2);
        FZ_CHECK(tp_corpus_merge(a, t, &err) == 0);
        FZ_CHECK(tp_corpus_in_doc(a));
        FZ_CHECK(tp_corpus_end(a, &err) == 0);
        tp_corpus_free(t);
    }
    for (size_t d = 0; d < nd; d++)
        if (docs[d].side) {
            snprintf(id, sizeof(id), "d%zu", d);
            count_doc(b, &to, 0, id, docs[d].p, docs[d].n, 0);
        }
    if (tp_corpus_merge(a, b, &err))
        fprintf(stderr, "%s\n", err.msg), abort();
    FZ_CHECK(!tp_corpus_in_doc(a));
    FZ_CHECK(fz_corpus_digest(a) == fz_corpus_digest(whole));
    tp_corpus_free(whole);
    tp_corpus_free(a);
    tp_corpus_free(b);
    free(docs);
    return 0;
}
