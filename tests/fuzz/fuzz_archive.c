/*
 * fuzz_archive.c - libFuzzer target: archives and compressed files read
 * through libarchive (src/input/archive.c), with the members read through
 * the same dispatch as files.
 *
 * Byte 0 picks the file's name (.zip, .tar, .tar.gz, .tar.zst, .txt.zst,
 * .txt.xz, .txt.bz2), --date-from-name, --skip-errors and --encoding; the
 * rest is the file. --max-doc-bytes is 4 KiB so a decompression bomb stops
 * early (a member past it, or the whole past 1000 times its size plus the
 * cap). Invariants: no crash, hang or sanitizer report; the reader's contract
 * as the checking sink sees it (balanced documents, valid UTF-8, calendar
 * dates); an error always names the file (the archive, or ARCHIVE:member);
 * a member's document id starts with "ARCHIVE:"; reading twice gives the
 * same documents and message.
 */
#include "fuzz_common.h"

static const char *const names[] = {"in.zip",     "in.tar",    "in.tar.gz",  "in.tar.zst",
                                    "in.txt.zst", "in.txt.xz", "in.txt.bz2", "in.zip"};

struct id_sink {
    struct fz_sink s;
    const char *prefix;
    int bad_id;
};

static int id_begin(void *ctx, const struct tp_doc *d, struct tp_error *err)
{
    struct id_sink *k = ctx;
    size_t n = strlen(k->prefix);
    if (strncmp(d->id, k->prefix, n) != 0)
        k->bad_id = 1;
    return fz_begin(&k->s, d, err);
}

static int id_text(void *ctx, const char *buf, size_t len, struct tp_error *err)
{
    return fz_text(&((struct id_sink *)ctx)->s, buf, len, err);
}

static int id_end(void *ctx, struct tp_error *err)
{
    return fz_end(&((struct id_sink *)ctx)->s, err);
}

/* Read path under o; the status, with the digest in k. */
static int read_once(const char *path, const struct tp_opts *o, struct id_sink *k,
                     struct tp_error *err)
{
    struct tp_reader *r = NULL;
    fz_sink_reset(&k->s);
    k->bad_id = 0;
    int rc = tp_reader_new(&r, &path, 1, o, NULL, NULL, err);
    if (rc == 0) {
        struct tp_sink sink = {k, id_begin, id_text, id_end, NULL};
        rc = tp_reader_run(r, &sink, NULL, NULL, err);
        if (rc == 0)
            FZ_CHECK(!k->s.in_doc && tp_reader_stats(r)->n_documents == k->s.n_docs);
    }
    tp_reader_free(r);
    FZ_CHECK(rc <= 0);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum tp_encoding encs[] = {TP_ENC_AUTO, TP_ENC_UTF8, TP_ENC_LATIN1, TP_ENC_CP1252};
    if (size < 1 || size > 1 << 14)
        return 0;
    const char *name = names[data[0] & 7];
    const char *path = fz_path(name);
    fz_write(path, data + 1, size - 1);
    struct tp_opts o = TP_OPTS_INIT;
    o.date_from_name = (data[0] >> 3) & 1;
    o.skip_errors = (data[0] >> 4) & 1;
    o.encoding = encs[(data[0] >> 5) & 3];
    o.max_doc_bytes = 4096;

    struct id_sink k = {0};
    char prefix[600];
    int member = strstr(name, ".zip") || strstr(name, ".tar");
    snprintf(prefix, sizeof(prefix), "%s%s", path, member ? ":" : "");
    k.prefix = prefix;
    k.s.skip_ids = 0;
    struct tp_error err, err2;
    int rc = read_once(path, &o, &k, &err);
    size_t pl = strlen(path);
    if (rc) {
        if (strncmp(err.msg, path, pl) != 0)
            fprintf(stderr, "unexpected message: %s\n", err.msg);
        FZ_CHECK(strncmp(err.msg, path, pl) == 0);
    } else if (!member) {
        FZ_CHECK(k.s.n_docs <= 1); /* a compressed text file: one document, id PATH */
    }
    FZ_CHECK(!k.bad_id);
    uint64_t h = k.s.h, n_docs = k.s.n_docs;
    int rc2 = read_once(path, &o, &k, &err2);
    FZ_CHECK(rc2 == rc && k.s.h == h && k.s.n_docs == n_docs);
    if (rc)
        FZ_CHECK(strcmp(err.msg, err2.msg) == 0);
    fz_sink_reset(&k.s);
    return 0;
}
