/*
 * fuzz_lines.c - libFuzzer target, differential: one document per line, and
 * files read in ranged parts (tp_reader_new_range) on several counters.
 *
 * The first two bytes pick the file's kind (--doc-per-line text, JSONL, or
 * one plain text document that is divided), --encoding, the counting options
 * and where the file is cut; the rest is the file. The file is cut at up to
 * three line starts (for a divided document, past its BOM and date header,
 * as the pipeline's parts of at least 1 MiB are), each part is counted on a
 * corpus of its own and the corpora are merged in order, as the pipeline does
 * on several threads. Invariants: the same as counting the file whole on one
 * corpus: status and first message, warnings in order, reader statistics, and
 * every count (terms, documents and their ids and dates, n-grams, pairs,
 * per-document lists, Heaps' checkpoints). A whole --doc-per-line or JSONL
 * read that succeeds gives one document per line holding more than blanks
 * (none, and one skipped input, when a NUL byte in the first 8 KiB makes the
 * file binary).
 * Under --encoding auto a divided document with a part that is not UTF-8 is
 * counted whole again by the pipeline, so it is not compared. The whole and
 * the parts are each counted a token at a time or in batches
 * (tp_corpus_tokens16, as the pipeline does), so the two ways are compared
 * too.
 */
#include "dates.h"
#include "fuzz_common.h"

struct warns {
    uint64_t h;
    uint64_t n;
};

static void on_warn(void *ctx, const char *msg)
{
    struct warns *w = ctx;
    FZ_CHECK(msg && msg[0]);
    w->h = fz_mix(w->h, msg, strlen(msg));
    w->n++;
}

static void add_stats(struct tp_reader_stats *a, const struct tp_reader_stats *b)
{
    a->n_documents += b->n_documents;
    a->invalid_utf8 += b->invalid_utf8;
    a->cp1252_documents += b->cp1252_documents;
    a->bad_dates += b->bad_dates;
    a->bytes += b->bytes;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || size > 1 << 16)
        return 0;
    static const enum tp_encoding encs[] = {TP_ENC_AUTO, TP_ENC_UTF8, TP_ENC_CP1252, TP_ENC_AUTO};
    unsigned kind = data[0] % 3; /* 0 doc-per-line, 1 JSONL, 2 one divided document */
    struct tp_opts o = TP_OPTS_INIT;
    o.doc_per_line = kind == 0;
    o.encoding = encs[(data[0] >> 2) & 3];
    struct tp_count_opts co = {0};
    co.spill = (data[0] >> 4) & 1;
    co.ngram = ((data[0] >> 5) & 1) + 1;
    co.window = (data[0] >> 6) & 3;
    struct tp_tokenizer_opts to = {0};
    to.elide = to.apocope = data[1] & 1;
    unsigned n_cuts = ((data[1] >> 1) & 3);
    int batch_w = (data[1] >> 3) & 1, batch_p = (data[1] >> 4) & 1;
    const uint8_t *pick = data + 2; /* two bytes choose the cuts */
    const uint8_t *p = data + 4;
    size_t n = size - 4;
    const char *path = fz_path(kind == 1 ? "in.jsonl" : "in.txt");
    fz_write(path, p, n);

    /* the whole file on one corpus */
    struct tp_corpus *whole = NULL;
    struct tp_reader *r = NULL;
    struct tp_error err, e2;
    struct warns ww = {1, 0}, wp = {1, 0};
    struct tp_reader_stats sw = {0}, sp = {0}, one;
    FZ_CHECK(tp_corpus_new(&whole, &co, &err) == 0);
    FZ_CHECK(tp_reader_new(&r, &path, 1, &o, on_warn, &ww, &err) == 0);
    FZ_CHECK(kind == 2 ? tp_reader_divisible(r, 0) : tp_reader_splittable(r, 0));
    int rc_w = fz_count_reader(r, whole, &to, batch_w, &sw, &err);
    tp_reader_free(r);
    int binary = memchr(p, 0, n < 8192 ? n : 8192) != NULL; /* skipped (docs/inputs.md) */
    if (rc_w == 0 && binary)
        FZ_CHECK(sw.n_documents == 0 && sw.skipped_inputs == 1);
    else if (rc_w == 0 && kind < 2)
        FZ_CHECK(sw.n_documents == fz_nonblank_lines(p, n));

    /* the cuts: line starts, past the header of a divided document */
    size_t from = 1;
    if (kind == 2) {
        size_t bom = n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        struct tp_date d;
        size_t skip = 0;
        unsigned long line;
        const char *bad;
        size_t bad_len;
        tp_date_header((const char *)p + bom, n - bom, 1, &d, &skip, &line, &bad, &bad_len);
        from = bom + skip + 1;
    }
    size_t *starts = malloc((n + 2) * sizeof(*starts));
    FZ_CHECK(starts != NULL);
    size_t n_starts = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == '\n' && i + 1 >= from)
            starts[n_starts++] = i + 1;
    size_t cuts[5];
    size_t nc = 0;
    cuts[nc++] = 0;
    for (unsigned k = 0; k < n_cuts && n_starts; k++)
        cuts[nc++] = starts[(pick[k & 1] * 131u + k * 977u) % n_starts];
    qsort(cuts, nc, sizeof(cuts[0]), cmp_size);
    size_t m = 0;
    for (size_t i = 0; i < nc; i++)
        if (!m || cuts[i] != cuts[m - 1])
            cuts[m++] = cuts[i];
    nc = m;
    free(starts);

    /* each part on a corpus of its own, merged in order */
    struct tp_corpus *parts[4] = {NULL, NULL, NULL, NULL};
    int rc_p = 0, cp1252_part = 0;
    char msg_p[sizeof(err.msg)] = "";
    for (size_t k = 0; k < nc; k++) {
        size_t start = cuts[k], len = (k + 1 < nc ? cuts[k + 1] : n) - start;
        unsigned long line = 1;
        for (size_t i = 0; i < start; i++)
            line += p[i] == '\n';
        if (kind == 2)
            line = k == 0 ? 1 : 0; /* as the pipeline passes it */
        FZ_CHECK(tp_corpus_new(&parts[k], &co, &e2) == 0);
        FZ_CHECK(tp_reader_new_range(&r, path, start, len, line, NULL, &o, on_warn, &wp, &e2) == 0);
        memset(&one, 0, sizeof(one));
        int rc = fz_count_reader(r, parts[k], &to, batch_p, &one, &e2);
        tp_reader_free(r);
        add_stats(&sp, &one);
        cp1252_part |= one.cp1252_documents > 0;
        if (rc && !rc_p) {
            rc_p = rc;
            memcpy(msg_p, e2.msg, sizeof(msg_p));
        }
        if (rc_p)
            break; /* the first error ends the run; later parts' warnings are not shown */
        if (k > 0)
            FZ_CHECK(tp_corpus_merge(parts[0], parts[k], &e2) == 0);
    }
    if (kind == 2 && o.encoding == TP_ENC_AUTO && cp1252_part)
        goto out; /* the pipeline counts such a document again, whole */
    if ((rc_w != 0) != (rc_p != 0) || (rc_w && strcmp(err.msg, msg_p) != 0))
        fprintf(stderr, "whole: %d %s\nparts: %d %s\n", rc_w, rc_w ? err.msg : "", rc_p, msg_p);
    FZ_CHECK((rc_w != 0) == (rc_p != 0));
    if (rc_w) {
        FZ_CHECK(strcmp(err.msg, msg_p) == 0);
        FZ_CHECK(ww.n == wp.n && ww.h == wp.h);
        goto out;
    }
    if (kind == 2 && tp_corpus_in_doc(parts[0]))
        FZ_CHECK(tp_corpus_end(parts[0], &e2) == 0);
    FZ_CHECK(ww.n == wp.n && ww.h == wp.h);
    FZ_CHECK(sw.n_documents == sp.n_documents); /* a later part is no new document */
    FZ_CHECK(sw.invalid_utf8 == sp.invalid_utf8);
    FZ_CHECK(sw.bad_dates == sp.bad_dates);
    FZ_CHECK(sw.bytes == sp.bytes);
    if (kind < 2)
        FZ_CHECK(sw.cp1252_documents == sp.cp1252_documents);
    FZ_CHECK(fz_corpus_digest(whole) == fz_corpus_digest(parts[0]));
out:
    for (size_t k = 0; k < nc; k++)
        tp_corpus_free(parts[k]);
    tp_corpus_free(whole);
    return 0;
}
