/*
 * fuzz_doclang.c - libFuzzer target: the per-document language scan of
 * --lang auto (struct tp_doclang, src/doclang.c). The first input byte picks
 * the corpus's language and how the rest is cut into pieces; the rest is one
 * document. Invariants: no crash or sanitizer report; the scan fed in pieces
 * (tp_doclang_feed, 64 bytes at a time) and the scan a byte at a time (the
 * definition) count the same words with the same hits and decide the same
 * language; and that language is the one a plain reading of the definition
 * gives (the whole window of 60 words or 4096 bytes read, no early stop:
 * words are runs of ASCII letters, digits and bytes >= 0x80, ASCII lowered;
 * at least 50 of them, the list with the most hits, ties to the corpus's
 * language, then the first; otherwise the corpus's).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"
#include "stopwords.h"
#include "table.h"
#include "tokenizer.h"

static struct tp_run run;
static struct tp_tokenizer *tk;
static struct tp_doclang fast, slow; /* made once: their tables are the lists' */

static int no_token(void *ctx, const char *tok, size_t len, uint32_t seg)
{
    (void)ctx;
    (void)tok;
    (void)len;
    (void)seg;
    return 0;
}

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
    if (tp_tokenizer_new(&tk, &to, no_token, NULL) || tp_doclang_init(&fast, &run, tk) ||
        tp_doclang_init(&slow, &run, tk))
        abort();
}

/* The definition, read plainly. */
static enum tp_lang reference(const uint8_t *p, size_t n, enum tp_lang corpus)
{
    size_t end = n < TP_LANG_DOC_BYTES ? n : TP_LANG_DOC_BYTES, words = 0, wl = 0;
    uint64_t hits[TP_N_AUTO] = {0};
    char word[TP_LANG_WORD_MAX];
    for (size_t i = 0; i <= end && words < TP_LANG_DOC_WORDS; i++) {
        int c = i < end ? p[i] : -1;
        if (c >= 0 && ((unsigned)((c | 32) - 'a') < 26 || (unsigned)(c - '0') < 10 || c >= 0x80)) {
            if (wl < sizeof(word))
                word[wl] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            wl++;
            continue;
        }
        if (wl) {
            words++;
            int64_t id = wl <= TP_LANG_WORD_MAX ? tp_table_find(&run.lang_words, word, wl) : -1;
            for (size_t l = 0; id >= 0 && l < TP_N_AUTO; l++)
                hits[l] += run.lang_words.terms[id].flags >> l & 1;
        }
        wl = 0;
    }
    if (words < TP_LANG_DOC_MIN)
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
    if (!tk)
        setup();
    if (size < 1)
        return 0;
    run.lang = tp_auto_langs[data[0] % TP_N_AUTO];
    size_t piece = (size_t)(data[0] / TP_N_AUTO) * 7 % 97; /* 0: whole */
    data++;
    size--;
    /* fed in pieces, as a reader does */
    tp_doclang_begin(&fast, 0);
    for (size_t i = 0; i < size;) {
        size_t k = piece && size - i > piece ? piece : size - i;
        if (tp_doclang_feed(&fast, (const char *)data + i, k))
            abort();
        i += k;
    }
    if (tp_doclang_settle(&fast))
        abort();
    /* a byte at a time, as tp_doclang_feed decides when to stop */
    tp_doclang_begin(&slow, 0);
    size_t seen = 0;
    for (size_t i = 0; i < size && slow.holding; i++) {
        size_t done = tp_doclang_scan_for_test(&slow, (const char *)data + i, 1, 1);
        seen++;
        if (seen >= TP_LANG_DOC_BYTES || done < 1 || slow.stopped)
            tp_doclang_settle(&slow);
    }
    tp_doclang_settle(&slow);
    if (fast.n_words != slow.n_words || memcmp(fast.hits, slow.hits, sizeof(fast.hits)) ||
        fast.lang != slow.lang || fast.lang != reference(data, size, run.lang))
        abort();
    return 0;
}
