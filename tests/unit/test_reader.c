/*
 * test_reader.c - unit tests for src/reader.c (and the decoding in
 * src/encoding.c): directory walks, CSV, JSONL, gzip, encodings, ids, dates
 * from headers, --meta and file names, errors and --skip-errors.
 *
 * Each test builds its inputs in its own mkdtemp folder (Criterion runs tests
 * in parallel forked workers) and collects the documents with a sink. The
 * expected decodings were checked with Python (/usr/bin/python3):
 * b"caff\xe8 \x93citt\xe0\x94".decode("cp1252") == "caffè “città”" and
 * .decode("utf-8", "replace") has 4 U+FFFD.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "encoding.h"
#include "reader.h"

/* ---- helpers ------------------------------------------------------------- */

#define MAX_DOCS 64
#define MAX_WARN 16

struct cdoc {
    char *id, *path;
    unsigned long line;
    struct tp_date date;
    enum tp_encoding encoding;
    char *text;
    size_t len;
    int ended;
};

struct collect {
    struct cdoc docs[MAX_DOCS];
    size_t n;
    char warns[MAX_WARN][1024];
    size_t n_warn;
    size_t stop_at; /* begin returns TP_STOP for document stop_at (1-based) */
    int bad_chunk;  /* a text chunk was not valid UTF-8 on its own */
    size_t n_chunks;
};

static int c_begin(void *ctx, const struct tp_doc *doc, struct tp_error *err)
{
    struct collect *c = ctx;
    (void)err;
    if (c->stop_at && c->n + 1 == c->stop_at)
        return TP_STOP;
    cr_assert_lt(c->n, MAX_DOCS);
    struct cdoc *d = &c->docs[c->n++];
    memset(d, 0, sizeof(*d));
    d->id = strdup(doc->id);
    d->path = strdup(doc->path);
    d->line = doc->line;
    d->date = doc->date;
    d->encoding = doc->encoding;
    d->text = calloc(1, 1);
    return 0;
}

static int c_text(void *ctx, const char *buf, size_t len, struct tp_error *err)
{
    struct collect *c = ctx;
    struct cdoc *d = &c->docs[c->n - 1];
    (void)err;
    cr_assert_gt(len, 0, "empty text chunk");
    if (!tp_encoding_is_utf8(buf, len))
        c->bad_chunk = 1;
    c->n_chunks++;
    d->text = realloc(d->text, d->len + len + 1);
    memcpy(d->text + d->len, buf, len);
    d->len += len;
    d->text[d->len] = '\0';
    return 0;
}

static int c_end(void *ctx, struct tp_error *err)
{
    struct collect *c = ctx;
    (void)err;
    c->docs[c->n - 1].ended = 1;
    return 0;
}

static void c_warn(void *ctx, const char *msg)
{
    struct collect *c = ctx;
    if (c->n_warn < MAX_WARN)
        snprintf(c->warns[c->n_warn++], sizeof(c->warns[0]), "%s", msg);
}

static void collect_release(struct collect *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->docs[i].id);
        free(c->docs[i].path);
        free(c->docs[i].text);
    }
    c->n = 0;
    c->n_chunks = 0;
}

/* Read inputs into c; returns the first failing status (new or run). */
static int read_all(const char *const *inputs, size_t n, const struct tp_opts *o, struct collect *c,
                    struct tp_error *err, struct tp_reader_stats *st)
{
    struct tp_reader *r;
    struct tp_sink sink = {c, c_begin, c_text, c_end, NULL};
    int rc = tp_reader_new(&r, inputs, n, o, c_warn, c, err);
    if (rc < 0)
        return rc;
    rc = tp_reader_run(r, &sink, NULL, NULL, err);
    if (st)
        *st = *tp_reader_stats(r);
    tp_reader_free(r);
    return rc;
}

static char *tmp_dir(void)
{
    char *d = strdup("/tmp/tp_reader_XXXXXX");
    cr_assert_not_null(mkdtemp(d));
    return d;
}

static char *path_in(const char *dir, const char *rel)
{
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, rel);
    return p;
}

/* Write bytes to dir/rel, creating the folders on the way. */
static char *put(const char *dir, const char *rel, const void *data, size_t len)
{
    char *p = path_in(dir, rel);
    for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f, "%s: %s", p, strerror(errno));
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    return p;
}

static char *puts_file(const char *dir, const char *rel, const char *text)
{
    return put(dir, rel, text, strlen(text));
}

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *child = path_in(path, e->d_name);
            rm_rf(child);
            free(child);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static struct tp_opts default_opts(void)
{
    struct tp_opts o = TP_OPTS_INIT;
    return o;
}

/* ---- directories ---------------------------------------------------------- */

Test(reader, walk_order_hidden_and_ids)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    struct tp_reader_stats st = {0};

    free(puts_file(dir, "corpus/b.txt", "bi"));
    free(puts_file(dir, "corpus/a.txt", "a"));
    free(puts_file(dir, "corpus/a-b.txt", "ab"));
    free(puts_file(dir, "corpus/a/x.txt", "ax"));
    free(puts_file(dir, "corpus/.hidden.txt", "hidden"));
    free(puts_file(dir, "corpus/.git/y.txt", "hidden too"));
    free(puts_file(dir, "corpus/it/z.txt", "zeta"));
    char *empty = path_in(dir, "corpus/empty");
    mkdir(empty, 0755);
    free(empty);

    /* A trailing slash must not give "corpus//a.txt". */
    char *input = path_in(dir, "corpus/");
    const char *inputs[] = {input};
    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, &st), 0, "%s", err.msg);

    /* Bytewise by whole path: '-' (0x2D) < '.' (0x2E) < '/' (0x2F). */
    static const char *const order[] = {"a-b.txt", "a.txt", "a/x.txt", "b.txt", "it/z.txt"};
    static const char *const texts[] = {"ab", "a", "ax", "bi", "zeta"};
    cr_assert_eq(c.n, 5);
    for (size_t i = 0; i < 5; i++) {
        char want[512];
        snprintf(want, sizeof(want), "%s/corpus/%s", dir, order[i]);
        cr_assert_str_eq(c.docs[i].id, want);
        cr_assert_str_eq(c.docs[i].path, want);
        cr_assert_str_eq(c.docs[i].text, texts[i]);
        cr_assert_eq(c.docs[i].line, 1);
        cr_assert_eq(c.docs[i].date.prec, TP_PREC_NONE);
        cr_assert(c.docs[i].ended);
    }
    cr_assert_eq(st.n_inputs, 5);
    cr_assert_eq(st.n_documents, 5);
    cr_assert_eq(st.bytes, 2 + 1 + 2 + 2 + 4);

    /* The expanded list, in the same order. */
    struct tp_reader *r;
    cr_assert_eq(tp_reader_new(&r, inputs, 1, &o, NULL, NULL, &err), 0);
    size_t n;
    const char *const *files = tp_reader_files(r, &n);
    cr_assert_eq(n, 5);
    cr_assert(strstr(files[2], "/corpus/a/x.txt") != NULL);
    cr_assert_eq(tp_reader_total_bytes(r), 11);
    tp_reader_free(r);

    collect_release(&c);
    rm_rf(dir);
    free(input);
    free(dir);
}

Test(reader, missing_input_and_skip_errors)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    struct tp_reader_stats st = {0};
    char *good = puts_file(dir, "good.txt", "testo");
    char *missing = path_in(dir, "missing.txt");
    const char *inputs[] = {missing, good};
    char want[600];

    cr_assert_eq(read_all(inputs, 2, &o, &c, &err, NULL), TP_EIO);
    snprintf(want, sizeof(want), "%s: No such file or directory", missing);
    cr_assert_str_eq(err.msg, want);
    cr_assert_eq(c.n, 0);

    o.skip_errors = 1;
    cr_assert_eq(read_all(inputs, 2, &o, &c, &err, &st), 0, "%s", err.msg);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(st.skipped_inputs, 1);
    cr_assert_eq(c.n_warn, 1);
    cr_assert(strstr(c.warns[0], missing) != NULL);
    cr_assert(strstr(c.warns[0], "No such file or directory") != NULL);

    collect_release(&c);
    rm_rf(dir);
    free(good);
    free(missing);
    free(dir);
}

/* A dangling symbolic link inside a walked folder is an unreadable file (the
 * tests run as root, where chmod 000 would not stop a read). */
Test(reader, unreadable_file_in_directory)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    struct tp_reader_stats st = {0};
    char *ok = puts_file(dir, "in/ok.txt", "ok");
    char *link = path_in(dir, "in/broken.txt");
    char *input = path_in(dir, "in");
    const char *inputs[] = {input};

    cr_assert_eq(symlink("/nonexistent/target", link), 0);
    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, NULL), TP_EIO);
    cr_assert(strstr(err.msg, "broken.txt: No such file or directory") != NULL, "%s", err.msg);

    o.skip_errors = 1;
    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, &st), 0, "%s", err.msg);
    cr_assert_eq(c.n, 1);
    cr_assert_str_eq(c.docs[0].text, "ok");
    cr_assert_eq(st.skipped_inputs, 1);
    cr_assert_eq(st.n_inputs, 1);

    collect_release(&c);
    rm_rf(dir);
    free(ok);
    free(link);
    free(input);
    free(dir);
}

/* ---- CSV ------------------------------------------------------------------ */

Test(reader, csv_bom_quotes_newlines_crlf)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    /* line 1: header with a BOM; lines 2-3: row 1 with a quoted newline;
     * line 4: row 2 with an empty date. */
    char *p = puts_file(dir, "t.csv",
                        "\xEF\xBB\xBFid,text,date\r\n"
                        "n1,\"hello\r\nworld, \"\"quoted\"\"\",2025-01-05\r\n"
                        "n2,plain,\r\n");
    const char *inputs[] = {p};

    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, NULL), 0, "%s", err.msg);
    cr_assert_eq(c.n, 2);
    cr_assert_str_eq(c.docs[0].id, "n1");
    cr_assert_str_eq(c.docs[0].text, "hello\r\nworld, \"quoted\"");
    cr_assert_eq(c.docs[0].line, 2);
    cr_assert_eq(c.docs[0].date.prec, TP_PREC_DAY);
    cr_assert_eq(c.docs[0].date.day, 5);
    cr_assert_str_eq(c.docs[1].id, "n2");
    cr_assert_str_eq(c.docs[1].text, "plain");
    cr_assert_eq(c.docs[1].line, 4);
    cr_assert_eq(c.docs[1].date.prec, TP_PREC_NONE); /* empty cell: undated, no warning */
    cr_assert_eq(c.n_warn, 0);

    collect_release(&c);
    rm_rf(dir);
    free(p);
    free(dir);
}

Test(reader, csv_row_ids_and_columns)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    /* No id column: ids are PATH:ROW with ROW the data row (not the line). */
    char *p = puts_file(dir, "t.csv", "body,when\n\"a\nb\",2024\n\nsecond,2024-02\n");
    const char *inputs[] = {p};
    char want[600];

    o.text_col = "body";
    o.date_col = "when";
    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, NULL), 0, "%s", err.msg);
    cr_assert_eq(c.n, 2);
    snprintf(want, sizeof(want), "%s:1", p);
    cr_assert_str_eq(c.docs[0].id, want);
    cr_assert_eq(c.docs[0].date.prec, TP_PREC_YEAR);
    snprintf(want, sizeof(want), "%s:2", p);
    cr_assert_str_eq(c.docs[1].id, want);
    cr_assert_eq(c.docs[1].line, 5); /* lines: header, a, b, blank, second */
    cr_assert_eq(c.docs[1].date.prec, TP_PREC_MONTH);
    collect_release(&c);

    /* --id-col names a column that is not there. */
    o.id_col = "key";
    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, NULL), TP_EPARSE);
    cr_assert(strstr(err.msg, "\"key\"") != NULL, "%s", err.msg);
    collect_release(&c);

    /* Only a header: no documents. */
    char *h = puts_file(dir, "h.csv", "id,text\n");
    const char *hin[] = {h};
    o = default_opts();
    cr_assert_eq(read_all(hin, 1, &o, &c, &err, NULL), 0, "%s", err.msg);
    cr_assert_eq(c.n, 0);

    rm_rf(dir);
    free(h);
    free(p);
    free(dir);
}

Test(reader, csv_stray_quote_names_file_and_line)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    /* line 1 header, lines 2-3 a quoted field over two lines, line 4 the
     * stray quote in ab"c. */
    char *p = puts_file(dir, "bad.csv", "id,text\r\n1,\"multi\r\nline\"\r\n2,ab\"c\r\n3,x\r\n");
    const char *inputs[] = {p};
    char want[600];

    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, NULL), TP_EPARSE);
    snprintf(want, sizeof(want), "%s:4: ", p);
    cr_assert(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    cr_assert(strstr(err.msg, "quote") != NULL, "%s", err.msg);
    cr_assert_eq(c.n, 1); /* the row before the error was read */
    collect_release(&c);

    /* An unterminated quote opened on line 3 runs to the end of the file. */
    char *u = puts_file(dir, "unterminated.csv", "id,text\n1,ok\n2,\"never closed\nmore\n");
    const char *uin[] = {u};
    cr_assert_eq(read_all(uin, 1, &o, &c, &err, NULL), TP_EPARSE);
    snprintf(want, sizeof(want), "%s:3: unterminated quoted field", u);
    cr_assert_str_eq(err.msg, want);

    collect_release(&c);
    rm_rf(dir);
    free(u);
    free(p);
    free(dir);
}

Test(reader, csv_missing_text_column)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    char *p = puts_file(dir, "nt.csv", "id,body\n1,x\n");
    const char *inputs[] = {p};

    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, NULL), TP_EPARSE);
    cr_assert(strstr(err.msg, p) != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "\"text\"") != NULL, "%s", err.msg);
    cr_assert_eq(c.n, 0);

    rm_rf(dir);
    free(p);
    free(dir);
}

/* ---- JSONL ------------------------------------------------------------------ */

Test(reader, jsonl_valid_then_invalid)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    char *p = puts_file(dir, "d.jsonl",
                        "{\"id\":\"a\",\"text\":\"uno \\u00e8\",\"date\":\"2025-02\"}\n"
                        "\n"
                        "{\"id\":7,\"text\":\"due\",\"date\":\"2025-02-03T08:00:00Z\"}\r\n"
                        "{\"text\":\"tre\"}\n"
                        "{\"text\": \"quattro\"\n");
    const char *inputs[] = {p};
    char want[600];

    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, NULL), TP_EPARSE);
    snprintf(want, sizeof(want), "%s:5: invalid JSON: ", p);
    cr_assert(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    cr_assert_eq(c.n, 3);
    cr_assert_str_eq(c.docs[0].id, "a");
    cr_assert_str_eq(c.docs[0].text, "uno \xC3\xA8");
    cr_assert_eq(c.docs[0].date.prec, TP_PREC_MONTH);
    cr_assert_str_eq(c.docs[1].id, "7");
    cr_assert_eq(c.docs[1].line, 3);
    cr_assert_eq(c.docs[1].date.day, 3);
    snprintf(want, sizeof(want), "%s:4", p);
    cr_assert_str_eq(c.docs[2].id, want);
    collect_release(&c);

    char *m = puts_file(dir, "m.jsonl", "{\"text\":\"ok\"}\n{\"body\":\"no text\"}\n");
    const char *min[] = {m};
    cr_assert_eq(read_all(min, 1, &o, &c, &err, NULL), TP_EPARSE);
    snprintf(want, sizeof(want), "%s:2: ", m);
    cr_assert(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);

    collect_release(&c);
    rm_rf(dir);
    free(m);
    free(p);
    free(dir);
}

/* ---- gzip ------------------------------------------------------------------ */

static char *put_gz(const char *dir, const char *rel, const char *text)
{
    char *p = path_in(dir, rel);
    gzFile gz = gzopen(p, "wb");
    cr_assert_not_null(gz);
    cr_assert_eq(gzwrite(gz, text, (unsigned)strlen(text)), (int)strlen(text));
    cr_assert_eq(gzclose(gz), Z_OK);
    return p;
}

Test(reader, gzip_text_and_csv)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    struct tp_reader_stats st = {0};
    char *t = put_gz(dir, "a.txt.gz", "date 2025-03 testo compresso\n");
    char *v = put_gz(dir, "b.CSV.gz", "id,text\nx,riga\n");
    const char *inputs[] = {t, v};

    cr_assert_eq(read_all(inputs, 2, &o, &c, &err, &st), 0, "%s", err.msg);
    cr_assert_eq(c.n, 2);
    cr_assert_str_eq(c.docs[0].id, t);
    cr_assert_str_eq(c.docs[0].text, "testo compresso\n");
    cr_assert_eq(c.docs[0].date.prec, TP_PREC_MONTH);
    cr_assert_eq(c.docs[0].date.month, 3);
    cr_assert_str_eq(c.docs[1].id, "x");
    cr_assert_str_eq(c.docs[1].text, "riga");
    /* Decompressed sizes: 29 + 15 bytes. */
    cr_assert_eq(st.bytes, 29 + 15);
    collect_release(&c);

    /* A truncated gzip file is an error, not a short document. */
    FILE *f = fopen(t, "rb");
    char raw[256];
    size_t n = fread(raw, 1, sizeof(raw), f);
    fclose(f);
    char *cut = put(dir, "cut.txt.gz", raw, n - 10);
    const char *cin[] = {cut};
    cr_assert_lt(read_all(cin, 1, &o, &c, &err, NULL), 0);
    cr_assert(strstr(err.msg, cut) != NULL, "%s", err.msg);

    collect_release(&c);
    rm_rf(dir);
    free(cut);
    free(t);
    free(v);
    free(dir);
}

/* ---- encodings ------------------------------------------------------------- */

static const char cp1252_bytes[] = "caff\xe8 \x93\x63itt\xe0\x94";

Test(reader, cp1252_under_auto)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    struct tp_reader_stats st = {0};
    char *p = puts_file(dir, "old.txt", cp1252_bytes);
    char *u = puts_file(dir, "new.txt", "gi\xC3\xA0");
    const char *inputs[] = {p, u};

    cr_assert_eq(read_all(inputs, 2, &o, &c, &err, &st), 0, "%s", err.msg);
    cr_assert_eq(c.n, 2);
    /* "caffè “città”" */
    cr_assert_str_eq(c.docs[0].text, "caff\xC3\xA8 \xE2\x80\x9C\x63itt\xC3\xA0\xE2\x80\x9D");
    cr_assert_eq(c.docs[0].encoding, TP_ENC_CP1252);
    cr_assert_eq(c.docs[1].encoding, TP_ENC_UTF8);
    cr_assert_str_eq(c.docs[1].text, "gi\xC3\xA0");
    cr_assert_eq(st.cp1252_documents, 1);
    cr_assert_eq(st.invalid_utf8, 0);

    collect_release(&c);
    rm_rf(dir);
    free(p);
    free(u);
    free(dir);
}

Test(reader, cp1252_bytes_under_utf8_and_latin1)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    struct tp_reader_stats st = {0};
    char *p = puts_file(dir, "old.txt", cp1252_bytes);
    const char *inputs[] = {p};

    o.encoding = TP_ENC_UTF8;
    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, &st), 0, "%s", err.msg);
    /* e8 before a space, a lone 93, e0 whose next byte 94 cannot follow it,
     * then 94 itself: four replacements (Python agrees). */
    cr_assert_str_eq(c.docs[0].text,
                     "caff\xEF\xBF\xBD \xEF\xBF\xBD\x63itt\xEF\xBF\xBD\xEF\xBF\xBD");
    cr_assert_eq(c.docs[0].encoding, TP_ENC_UTF8);
    cr_assert_eq(st.invalid_utf8, 4);
    cr_assert_eq(st.cp1252_documents, 0);
    collect_release(&c);

    /* Latin-1: 0x93 and 0x94 are the C1 controls U+0093, U+0094. */
    o.encoding = TP_ENC_LATIN1;
    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, &st), 0, "%s", err.msg);
    cr_assert_str_eq(c.docs[0].text, "caff\xC3\xA8 \xC2\x93\x63itt\xC3\xA0\xC2\x94");
    cr_assert_eq(c.docs[0].encoding, TP_ENC_LATIN1);
    collect_release(&c);

    /* CP1252's undefined bytes become C1 controls; 0x80 is the euro sign. */
    char *q = put(dir, "undef.txt", "\x80\x81\x8d\x8f\x90\x9d", 6);
    const char *qin[] = {q};
    o.encoding = TP_ENC_CP1252;
    cr_assert_eq(read_all(qin, 1, &o, &c, &err, &st), 0, "%s", err.msg);
    cr_assert_str_eq(c.docs[0].text, "\xE2\x82\xAC\xC2\x81\xC2\x8D\xC2\x8F\xC2\x90\xC2\x9D");
    cr_assert_eq(st.cp1252_documents, 0); /* only counted under auto */

    collect_release(&c);
    rm_rf(dir);
    free(q);
    free(p);
    free(dir);
}

/* A document longer than the in-memory limit, with multi-byte characters
 * across every chunk boundary, read as UTF-8 and then (one byte changed) as
 * CP1252. Every text chunk must be valid UTF-8 on its own. */
Test(reader, long_document_streams_in_valid_chunks)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    struct tp_reader_stats st = {0};
    size_t reps = 700000; /* 700000 x "aè€" (1+2+3 bytes) = 4.2 MB */
    size_t n = reps * 6;
    char *data = malloc(n + 1);

    for (size_t i = 0; i < reps; i++)
        memcpy(data + i * 6, "a\xC3\xA8\xE2\x82\xAC", 6);
    char *p = put(dir, "big.txt", data, n);
    const char *inputs[] = {p};

    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, &st), 0, "%s", err.msg);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.docs[0].len, n);
    cr_assert(memcmp(c.docs[0].text, data, n) == 0);
    cr_assert_not(c.bad_chunk);
    cr_assert_gt(c.n_chunks, 4);
    cr_assert_eq(st.bytes, n);
    cr_assert_eq(c.docs[0].encoding, TP_ENC_UTF8);
    collect_release(&c);

    /* One stray byte near the end makes the whole document CP1252: each
     * byte becomes a character ("a" 1 byte, C3 A8 -> "Ã¨" 2+2 bytes, E2 82
     * AC -> "â‚¬" 2+3+2 bytes), so 6 input bytes give 12 output bytes; the
     * stray 0xFF becomes "ÿ" (2 bytes) instead of the 'a' it replaces. */
    data[n - 6] = '\xFF';
    free(put(dir, "big.txt", data, n));
    c.bad_chunk = 0;
    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, &st), 0, "%s", err.msg);
    cr_assert_eq(c.docs[0].encoding, TP_ENC_CP1252);
    cr_assert_eq(c.docs[0].len, reps * 12 + 1);
    cr_assert(memcmp(c.docs[0].text, "a\xC3\x83\xC2\xA8\xC3\xA2\xE2\x80\x9A\xC2\xAC", 12) == 0);
    cr_assert_not(c.bad_chunk);
    cr_assert_eq(st.cp1252_documents, 1);
    cr_assert_eq(st.bytes, n); /* the checking pass is not counted twice */

    collect_release(&c);
    rm_rf(dir);
    free(data);
    free(p);
    free(dir);
}

/* ---- documents and dates ---------------------------------------------------- */

Test(reader, doc_per_line_ids_and_headers)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    char *p = puts_file(dir, "lines.txt",
                        "\xEF\xBB\xBFuno\n\n   \t\ndate 2025-01-02 due\r\nDate of birth\ntre");
    const char *inputs[] = {p};
    char want[600];

    o.doc_per_line = 1;
    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, NULL), 0, "%s", err.msg);
    cr_assert_eq(c.n, 4);
    static const unsigned long lines[] = {1, 4, 5, 6};
    static const char *const texts[] = {"uno", "due", "Date of birth", "tre"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(want, sizeof(want), "%s:%lu", p, lines[i]);
        cr_assert_str_eq(c.docs[i].id, want);
        cr_assert_str_eq(c.docs[i].path, p);
        cr_assert_eq(c.docs[i].line, lines[i]);
        cr_assert_str_eq(c.docs[i].text, texts[i]);
    }
    cr_assert_eq(c.docs[1].date.prec, TP_PREC_DAY);
    cr_assert_eq(c.docs[0].date.prec, TP_PREC_NONE);
    cr_assert_eq(c.docs[2].date.prec, TP_PREC_NONE);

    collect_release(&c);
    rm_rf(dir);
    free(p);
    free(dir);
}

Test(reader, empty_file_and_bom)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    char *e = puts_file(dir, "empty.txt", "");
    char *b = puts_file(dir, "bom.txt",
                        "\xEF\xBB\xBF"
                        "date 2024 testo");
    char *t = puts_file(dir, "bom2.txt",
                        "\xEF\xBB\xBF"
                        "ciao");
    const char *inputs[] = {e, b, t};

    cr_assert_eq(read_all(inputs, 3, &o, &c, &err, NULL), 0, "%s", err.msg);
    cr_assert_eq(c.n, 3);
    cr_assert_str_eq(c.docs[2].text, "ciao"); /* the BOM is not text */
    cr_assert_eq(c.docs[0].len, 0);
    cr_assert(c.docs[0].ended);
    cr_assert_str_eq(c.docs[1].text, "testo");
    cr_assert_eq(c.docs[1].date.prec, TP_PREC_YEAR);

    collect_release(&c);
    rm_rf(dir);
    free(e);
    free(b);
    free(t);
    free(dir);
}

Test(reader, front_matter_file)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    char *p = puts_file(dir, "post.md",
                        "---\ntitle: Prova\ndate: \"2025-01-05T10:00:00Z\"\n---\n"
                        "Corpo del testo.\n");
    const char *inputs[] = {p};

    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, NULL), 0, "%s", err.msg);
    cr_assert_eq(c.n, 1);
    cr_assert_str_eq(c.docs[0].text, "Corpo del testo.\n");
    cr_assert_eq(c.docs[0].date.prec, TP_PREC_DAY);
    cr_assert_eq(c.docs[0].date.day, 5);

    collect_release(&c);
    rm_rf(dir);
    free(p);
    free(dir);
}

Test(reader, bad_header_warns_or_fails_under_strict)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    struct tp_reader_stats st = {0};
    char *p = puts_file(dir, "x.txt", "\n\ndate 2025-13 testo");
    const char *inputs[] = {p};
    char want[600];

    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, &st), 0, "%s", err.msg);
    cr_assert_eq(c.n, 1);
    cr_assert_str_eq(c.docs[0].text, "testo"); /* a bad header is still stripped */
    cr_assert_eq(c.docs[0].date.prec, TP_PREC_NONE);
    cr_assert_eq(st.bad_dates, 1);
    cr_assert_eq(c.n_warn, 1);
    snprintf(want, sizeof(want), "%s:3: unparsable date '2025-13' (document left undated)", p);
    cr_assert_str_eq(c.warns[0], want);
    collect_release(&c);

    /* Read twice by one reader (a sampling pass, then the real one): counted
     * in both runs, warned once. */
    struct tp_reader *r;
    struct tp_sink sink = {&c, c_begin, c_text, c_end, NULL};
    c.n_warn = 0;
    cr_assert_eq(tp_reader_new(&r, inputs, 1, &o, c_warn, &c, &err), 0);
    cr_assert_eq(tp_reader_run(r, &sink, NULL, NULL, &err), 0);
    cr_assert_eq(tp_reader_run(r, &sink, NULL, NULL, &err), 0);
    cr_assert_eq(tp_reader_stats(r)->bad_dates, 1);
    cr_assert_eq(c.n_warn, 1);
    cr_assert_eq(c.n, 2);
    tp_reader_free(r);
    collect_release(&c);

    o.strict = 1;
    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, NULL), TP_EPARSE);
    snprintf(want, sizeof(want), "%s:3: unparsable date '2025-13'", p);
    cr_assert_str_eq(err.msg, want);
    cr_assert_eq(c.n, 0);

    collect_release(&c);
    rm_rf(dir);
    free(p);
    free(dir);
}

Test(reader, csv_bad_date_cell)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    struct tp_reader_stats st = {0};
    char *p = puts_file(dir, "d.csv", "id,text,date\na,x,2025-01-05\nb,y,ieri\n");
    const char *inputs[] = {p};
    char want[600];

    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, &st), 0, "%s", err.msg);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(c.docs[1].date.prec, TP_PREC_NONE);
    cr_assert_eq(st.bad_dates, 1);
    snprintf(want, sizeof(want), "%s:3: unparsable date 'ieri' (document left undated)", p);
    cr_assert_str_eq(c.warns[0], want);

    collect_release(&c);
    rm_rf(dir);
    free(p);
    free(dir);
}

Test(reader, meta_overrides_header)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    struct tp_reader_stats st = {0};
    char *a = puts_file(dir, "a.txt", "date 2025-01 testo a");
    char *b = puts_file(dir, "b.txt", "date 2025-01 testo b");
    char *d = puts_file(dir, "2023-07-01_d.txt", "testo d");
    char meta[4096];
    snprintf(meta, sizeof(meta), "id,date,source\n%s,2024-06-30,x\n%s,,y\n%s,2024-13,z\n", a, b, d);
    char *m = puts_file(dir, "meta.csv", meta);
    const char *inputs[] = {a, b, d};

    o.meta_path = m;
    o.date_from_name = 1;
    cr_assert_eq(read_all(inputs, 3, &o, &c, &err, &st), 0, "%s", err.msg);
    cr_assert_eq(c.n, 3);
    /* --meta wins over the header, which is still removed from the text. */
    cr_assert_eq(c.docs[0].date.prec, TP_PREC_DAY);
    cr_assert_eq(c.docs[0].date.year, 2024);
    cr_assert_eq(c.docs[0].date.day, 30);
    cr_assert_str_eq(c.docs[0].text, "testo a");
    /* An empty meta date says nothing: the header applies. */
    cr_assert_eq(c.docs[1].date.prec, TP_PREC_MONTH);
    cr_assert_eq(c.docs[1].date.year, 2025);
    /* A bad meta date: warned with the meta file's line, undated (the file
     * name's date is not used instead). */
    cr_assert_eq(c.docs[2].date.prec, TP_PREC_NONE);
    cr_assert_eq(st.bad_dates, 1);
    char want[600];
    snprintf(want, sizeof(want), "%s:4: unparsable date '2024-13' (document left undated)", m);
    cr_assert_str_eq(c.warns[0], want);
    collect_release(&c);

    /* A meta file without a date column is an error. */
    char *bad = puts_file(dir, "bad.csv", "id,when\nx,2024\n");
    o.meta_path = bad;
    cr_assert_eq(read_all(inputs, 3, &o, &c, &err, NULL), TP_EPARSE);
    cr_assert(strstr(err.msg, "\"date\"") != NULL, "%s", err.msg);

    rm_rf(dir);
    free(bad);
    free(a);
    free(b);
    free(d);
    free(m);
    free(dir);
}

Test(reader, date_from_name)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    char *p = puts_file(dir, "2024-03-15_note.txt", "testo");
    char *q = puts_file(dir, "2024-04_mese.txt", "date 2020 testo");
    const char *inputs[] = {p, q};

    cr_assert_eq(read_all(inputs, 2, &o, &c, &err, NULL), 0, "%s", err.msg);
    cr_assert_eq(c.docs[0].date.prec, TP_PREC_NONE); /* only with --date-from-name */
    collect_release(&c);

    o.date_from_name = 1;
    cr_assert_eq(read_all(inputs, 2, &o, &c, &err, NULL), 0, "%s", err.msg);
    cr_assert_eq(c.docs[0].date.prec, TP_PREC_DAY);
    cr_assert(c.docs[0].date.year == 2024 && c.docs[0].date.month == 3 && c.docs[0].date.day == 15);
    /* The header wins over the name. */
    cr_assert_eq(c.docs[1].date.prec, TP_PREC_YEAR);
    cr_assert_eq(c.docs[1].date.year, 2020);

    collect_release(&c);
    rm_rf(dir);
    free(p);
    free(q);
    free(dir);
}

/* ---- runs ------------------------------------------------------------------- */

static int stop_text(void *ctx, const char *buf, size_t len, struct tp_error *err)
{
    (void)ctx;
    (void)buf;
    (void)len;
    (void)err;
    return TP_STOP;
}

static int fail_begin(void *ctx, const struct tp_doc *doc, struct tp_error *err)
{
    (void)ctx;
    (void)doc;
    return tp_error_set(err, TP_EDATA, "sink says no");
}

Test(reader, sink_stop_and_error)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    struct tp_reader_stats st = {0};
    char *p = puts_file(dir, "d.csv", "text\nuno\ndue\ntre\n");
    const char *inputs[] = {p};

    c.stop_at = 2;
    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, &st), 0, "%s", err.msg);
    cr_assert_eq(c.n, 1);
    collect_release(&c);

    struct tp_reader *r;
    struct tp_sink stop = {&c, c_begin, stop_text, c_end, NULL};
    cr_assert_eq(tp_reader_new(&r, inputs, 1, &o, NULL, NULL, &err), 0);
    cr_assert_eq(tp_reader_run(r, &stop, NULL, NULL, &err), 0);
    cr_assert_eq(c.n, 1);
    cr_assert_not(c.docs[0].ended); /* no more callbacks after TP_STOP */
    collect_release(&c);

    struct tp_sink fail = {&c, fail_begin, c_text, c_end, NULL};
    cr_assert_eq(tp_reader_run(r, &fail, NULL, NULL, &err), TP_EDATA);
    cr_assert_str_eq(err.msg, "sink says no");
    tp_reader_free(r);

    rm_rf(dir);
    free(p);
    free(dir);
}

struct prog {
    uint64_t last_done, total;
    int calls;
};

static void on_progress(void *ctx, uint64_t done, uint64_t total, uint64_t n_docs)
{
    struct prog *pg = ctx;
    (void)n_docs;
    cr_assert_geq(done, pg->last_done);
    pg->last_done = done;
    pg->total = total;
    pg->calls++;
}

Test(reader, stdin_runs_twice_and_progress)
{
    char *dir = tmp_dir();
    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    struct tp_sink sink = {&c, c_begin, c_text, c_end, NULL};
    struct tp_reader *r;
    char *p = puts_file(dir, "in.txt", "date 2025-01 dallo stdin");
    char *f = puts_file(dir, "f.txt", "file");
    struct prog pg = {0, 0, 0};

    cr_assert_not_null(freopen(p, "rb", stdin));
    cr_assert_eq(tp_reader_new(&r, NULL, 0, &o, NULL, NULL, &err), 0, "%s", err.msg);
    for (int run = 0; run < 2; run++) {
        cr_assert_eq(tp_reader_run(r, &sink, NULL, NULL, &err), 0, "%s", err.msg);
        cr_assert_eq(c.n, 1);
        cr_assert_str_eq(c.docs[0].id, "-");
        cr_assert_str_eq(c.docs[0].text, "dallo stdin");
        cr_assert_eq(c.docs[0].date.month, 1);
        cr_assert_eq(tp_reader_stats(r)->n_documents, 1); /* reset at each run */
        collect_release(&c);
    }
    tp_reader_free(r);

    /* Progress over a regular file: total known, done reaches it. */
    const char *inputs[] = {f};
    cr_assert_eq(tp_reader_new(&r, inputs, 1, &o, NULL, NULL, &err), 0);
    cr_assert_eq(tp_reader_run(r, &sink, on_progress, &pg, &err), 0);
    cr_assert_gt(pg.calls, 0);
    cr_assert_eq(pg.total, 4);
    cr_assert_eq(pg.last_done, 4);
    tp_reader_free(r);

    collect_release(&c);
    rm_rf(dir);
    free(p);
    free(f);
    free(dir);
}

/* ---- the seed articles ---------------------------------------------------- */

Test(reader, seeds)
{
    const char *seeds = "../shared/seeds";
    struct stat sb;
    if (stat(seeds, &sb) < 0 || !S_ISDIR(sb.st_mode))
        cr_skip_test("no %s (run the tests from the repository root)", seeds);

    struct tp_opts o = default_opts();
    struct collect c = {0};
    struct tp_error err = {0};
    struct tp_reader_stats st = {0};
    const char *inputs[] = {seeds};
    int found000 = 0, found004 = 0;

    cr_assert_eq(read_all(inputs, 1, &o, &c, &err, &st), 0, "%s", err.msg);
    cr_assert_not(c.bad_chunk);
    for (size_t i = 0; i < c.n; i++) {
        const char *name = strrchr(c.docs[i].id, '/') + 1;
        cr_assert_eq(strncmp(c.docs[i].id, "../shared/seeds/", 16), 0, "%s", c.docs[i].id);
        cr_assert_eq(c.docs[i].encoding, TP_ENC_UTF8);
        if (strncmp(name, "000_", 4) == 0) {
            found000 = 1;
            cr_assert_eq(c.docs[i].date.prec, TP_PREC_MONTH);
            cr_assert_eq(c.docs[i].date.year, 2025);
            cr_assert_eq(c.docs[i].date.month, 1);
            cr_assert_eq(strncmp(c.docs[i].text, "Il presidente", 13), 0, "%.40s", c.docs[i].text);
        } else if (strncmp(name, "004_", 4) == 0) {
            found004 = 1;
            cr_assert_eq(c.docs[i].date.prec, TP_PREC_NONE);
            cr_assert_eq(strncmp(c.docs[i].text, "Vladimir Putin", 14), 0);
        }
    }
    cr_assert(found000 && found004);
    cr_assert_eq(st.bad_dates, 0);
    cr_assert_eq(st.cp1252_documents, 0);
    collect_release(&c);
}

/* ---- reading a file in parts (threads) ------------------------------------ */

/* Read path's bytes [start, start + len) from line first_line into c. */
static int read_range(const char *path, uint64_t start, uint64_t len, unsigned long first_line,
                      const struct tp_opts *o, struct collect *c, struct tp_error *err)
{
    struct tp_reader *r;
    struct tp_sink sink = {c, c_begin, c_text, c_end, NULL};
    int rc = tp_reader_new_range(&r, path, start, len, first_line, NULL, o, c_warn, c, err);
    if (rc < 0)
        return rc;
    rc = tp_reader_run(r, &sink, NULL, NULL, err);
    tp_reader_free(r);
    return rc;
}

Test(reader, parts_of_a_file_give_the_same_documents)
{
    char *dir = tmp_dir();
    /* lines 1..6, one blank (no document), the last without a newline */
    const char *text = "date 2024-01 uno\nsecondo rigo\n\nquarto\ncinque cinque\nsei";
    char *path = puts_file(dir, "lines.txt", text);
    struct tp_opts o = default_opts();
    o.doc_per_line = 1;
    struct tp_error err;
    struct collect whole = {0}, parts = {0};
    const char *in[] = {path};
    cr_assert_eq(read_all(in, 1, &o, &whole, &err, NULL), 0, "%s", err.msg);
    /* cut before line 4 ("quarto", byte 31) and before line 6 ("sei", 52) */
    cr_assert_eq(read_range(path, 0, 31, 1, &o, &parts, &err), 0, "%s", err.msg);
    cr_assert_eq(read_range(path, 31, 21, 4, &o, &parts, &err), 0, "%s", err.msg);
    cr_assert_eq(read_range(path, 52, 3, 6, &o, &parts, &err), 0, "%s", err.msg);
    cr_assert_eq(whole.n, 5);
    cr_assert_eq(parts.n, whole.n);
    for (size_t i = 0; i < whole.n; i++) {
        cr_expect_str_eq(parts.docs[i].id, whole.docs[i].id);
        cr_expect_eq(parts.docs[i].len, whole.docs[i].len);
        cr_expect(memcmp(parts.docs[i].text, whole.docs[i].text, whole.docs[i].len) == 0);
        cr_expect_eq(parts.docs[i].date.prec, whole.docs[i].date.prec);
    }
    char want[512];
    snprintf(want, sizeof(want), "%s:6", path);
    cr_expect_str_eq(parts.docs[4].id, want);
    collect_release(&whole);
    collect_release(&parts);
    free(path);
    rm_rf(dir);
    free(dir);
}

Test(reader, only_line_files_are_splittable)
{
    char *dir = tmp_dir();
    char *a = puts_file(dir, "a.txt", "x\n");
    char *b = puts_file(dir, "b.jsonl", "{\"text\":\"x\"}\n");
    char *c = puts_file(dir, "c.csv", "text\nx\n");
    struct tp_opts o = default_opts();
    struct tp_error err;
    struct tp_reader *r;
    const char *in[] = {a, b, c};
    cr_assert_eq(tp_reader_new(&r, in, 3, &o, NULL, NULL, &err), 0);
    cr_expect_eq(tp_reader_splittable(r, 0), 0); /* whole-file document */
    cr_expect_eq(tp_reader_splittable(r, 1), 1);
    cr_expect_eq(tp_reader_splittable(r, 2), 0); /* quoted fields may span lines */
    tp_reader_free(r);
    o.doc_per_line = 1;
    cr_assert_eq(tp_reader_new(&r, in, 3, &o, NULL, NULL, &err), 0);
    cr_expect_eq(tp_reader_splittable(r, 0), 1);
    tp_reader_free(r);
    free(a);
    free(b);
    free(c);
    rm_rf(dir);
    free(dir);
}

/* ---- taking a document back (tp_sink.undo) -------------------------------- */

/* A sink with undo that records what it is given: the text of the current
 * reading and, while taking back, the text given again. */
struct undoing {
    struct collect c;
    int undoing, n_undo0, n_undo1;
    char *again;
    size_t again_len;
};

static int u_text(void *ctx, const char *buf, size_t len, struct tp_error *err)
{
    struct undoing *u = ctx;
    if (!u->undoing)
        return c_text(&u->c, buf, len, err);
    /* text given again is cut at code point boundaries too */
    if (!tp_encoding_is_utf8(buf, len))
        u->c.bad_chunk = 1;
    u->again = realloc(u->again, u->again_len + len + 1);
    memcpy(u->again + u->again_len, buf, len);
    u->again_len += len;
    return 0;
}

static int u_undo(void *ctx, int done, struct tp_error *err)
{
    struct undoing *u = ctx;
    (void)err;
    cr_assert_eq(u->undoing, done, "undo(%d) out of turn", done);
    u->undoing = !done;
    if (done) {
        u->n_undo1++;
        /* the text given again is the text given before, byte for byte */
        struct cdoc *d = &u->c.docs[u->c.n - 1];
        cr_assert_eq(u->again_len, d->len);
        cr_assert(memcmp(u->again, d->text, d->len) == 0);
        cr_assert_eq(d->ended, 0);
        u->again_len = 0;
        /* the sink forgets the document */
        free(d->id);
        free(d->path);
        free(d->text);
        u->c.n--;
    } else {
        u->n_undo0++;
    }
    return 0;
}

static int u_begin(void *ctx, const struct tp_doc *doc, struct tp_error *err)
{
    struct undoing *u = ctx;
    cr_assert_eq(u->undoing, 0);
    return c_begin(&u->c, doc, err);
}

static int u_end(void *ctx, struct tp_error *err)
{
    struct undoing *u = ctx;
    return c_end(&u->c, err);
}

/* A document of about 1 MB (four chunks) with a header, whose one CP1252
 * byte comes near the end: a sink with undo gets its first chunks, takes
 * them back (given the same text again, cut at code point boundaries), then
 * gets the whole document as CP1252, header and date read once; a document
 * of one chunk, or whose bad byte is in the first chunk, is never taken back;
 * a sink without undo never is; the statistics count each document and byte
 * once. */
Test(reader, a_document_not_utf8_after_all_is_taken_back)
{
    char *dir = tmp_dir();
    size_t n = 0, cap = 1100000;
    char *text = malloc(cap + 64);
    n += (size_t)snprintf(text, cap, "date 2025-04-07 testo ");
    while (n < cap - 100)
        n += (size_t)snprintf(text + n, cap - n, "caff\xc3\xa8 riga %zu\n", n);
    memcpy(text + n, "perch\xe9\n", 7);
    n += 7;
    char *late = put(dir, "late.txt", text, n);
    char *early = put(dir, "early.txt", "\xe9 e poi", 7);
    /* three-byte characters across four chunks (256 KiB is not a multiple
     * of 3): every chunk but the last ends inside one */
    size_t hn = 0;
    char *hangul = malloc(1000000);
    while (hn < 999000)
        hn += (size_t)snprintf(hangul + hn, 1000000 - hn, "\xed\x95\x9c");
    hangul[hn++] = (char)0x97;
    char *han = put(dir, "han.txt", hangul, hn);
    struct tp_opts o = default_opts();
    struct tp_error err;
    struct tp_reader *r;
    const char *in[] = {early, late, han};
    struct undoing u;
    memset(&u, 0, sizeof(u));
    struct tp_sink sink = {&u, u_begin, u_text, u_end, u_undo};
    cr_assert_eq(tp_reader_new(&r, in, 3, &o, c_warn, &u.c, &err), 0);
    cr_assert_eq(tp_reader_run(r, &sink, NULL, NULL, &err), 0, "%s", err.msg);
    const struct tp_reader_stats *st = tp_reader_stats(r);
    cr_expect_eq(u.n_undo0, 2);
    cr_expect_eq(u.n_undo1, 2);
    cr_expect_eq(u.c.bad_chunk, 0, "a piece of text was cut inside a character");
    cr_assert_eq(u.c.n, 3);
    cr_expect_eq(u.c.docs[2].encoding, TP_ENC_CP1252);
    /* ED 95 9C in CP1252: í • œ */
    cr_expect(strncmp(u.c.docs[2].text, "\xc3\xad\xe2\x80\xa2\xc5\x93", 7) == 0);
    cr_expect_eq(u.c.docs[0].encoding, TP_ENC_CP1252);
    cr_expect_str_eq(u.c.docs[0].text, "\xc3\xa9 e poi");
    struct cdoc *d = &u.c.docs[1];
    cr_expect_eq(d->encoding, TP_ENC_CP1252);
    cr_expect_eq(d->ended, 1);
    cr_expect_eq(d->date.year, 2025);
    cr_expect_eq(d->date.day, 7);
    /* "testo caffè ..." read as CP1252: è's two bytes are two characters */
    static const char start[] = "testo caff\xc3\x83\xc2\xa8 riga";
    cr_expect(strncmp(d->text, start, sizeof(start) - 1) == 0, "%.30s", d->text);
    cr_expect(strstr(d->text, "perch\xc3\xa9\n") != NULL);
    cr_expect_eq(st->n_documents, 3);
    cr_expect_eq(st->cp1252_documents, 3);
    cr_expect_eq(st->bytes, n + 7 + hn);
    tp_reader_free(r);
    /* without undo: the document is checked whole first, never taken back */
    struct collect c;
    memset(&c, 0, sizeof(c));
    cr_assert_eq(read_all(in + 1, 1, &o, &c, &err, NULL), 0, "%s", err.msg);
    cr_assert_eq(c.n, 1);
    cr_expect_eq(c.docs[0].encoding, TP_ENC_CP1252);
    cr_expect_str_eq(c.docs[0].text, d->text);
    collect_release(&c);
    for (size_t i = 0; i < u.c.n; i++) {
        free(u.c.docs[i].id);
        free(u.c.docs[i].path);
        free(u.c.docs[i].text);
    }
    free(u.again);
    free(text);
    free(hangul);
    free(han);
    free(late);
    free(early);
    free(dir);
}

/* ---- a file that changes while read ------------------------------------------- */

struct shrinking {
    const char *path;
    int begun;
};

static int shrink_begin(void *ctx, const struct tp_doc *doc, struct tp_error *err)
{
    struct shrinking *s = ctx;
    (void)doc;
    (void)err;
    /* the file loses its end after its first chunk was read */
    if (!s->begun++)
        cr_assert_eq(truncate(s->path, 300000), 0);
    return 0;
}

static int shrink_text(void *ctx, const char *buf, size_t len, struct tp_error *err)
{
    (void)ctx;
    (void)buf;
    (void)len;
    (void)err;
    return 0;
}

Test(reader, a_file_that_shrinks_while_read_is_an_error)
{
    char *dir = tmp_dir();
    size_t n = 1000000;
    char *text = malloc(n);
    for (size_t i = 0; i < n; i++)
        text[i] = i % 10 == 9 ? '\n' : 'a';
    char *path = put(dir, "big.txt", text, n);
    struct tp_opts o = default_opts();
    struct tp_error err = {0};
    struct tp_reader *r;
    const char *in[] = {path};
    struct shrinking s = {path, 0};
    struct tp_sink sink = {&s, shrink_begin, shrink_text, NULL, NULL};
    cr_assert_eq(tp_reader_new(&r, in, 1, &o, NULL, NULL, &err), 0);
    int rc = tp_reader_run(r, &sink, NULL, NULL, &err);
    cr_expect_eq(rc, TP_EIO);
    cr_expect(strstr(err.msg, "big.txt: file shrank while read (1000000 bytes when listed, "
                              "300000 now)") != NULL,
              "%s", err.msg);
    tp_reader_free(r);
    /* shrunk between listing and reading: the same */
    free(put(dir, "big.txt", text, n));
    cr_assert_eq(tp_reader_new(&r, in, 1, &o, NULL, NULL, &err), 0);
    cr_assert_eq(truncate(path, 10), 0);
    struct collect c = {0};
    struct tp_sink plain = {&c, c_begin, c_text, c_end, NULL};
    cr_expect_eq(tp_reader_run(r, &plain, NULL, NULL, &err), TP_EIO);
    cr_expect(strstr(err.msg, "(1000000 bytes when listed, 10 now)") != NULL, "%s", err.msg);
    tp_reader_free(r);
    collect_release(&c);
    rm_rf(dir);
    free(text);
    free(path);
    free(dir);
}

/* The bulk UTF-8 check (buffers of 256 bytes or more) finds the same
 * well-formed prefix as the walk character by character: Italian-like text
 * (ASCII with 2-, 3- and 4-byte letters), cut anywhere, with one byte broken
 * anywhere (an overlong, a surrogate, a stray continuation, a lead byte
 * without its tail, a byte never used), seeded. */
Test(reader, utf8_bulk_prefix_equals_walk)
{
    static const char *const pieces[] = {"la ",          "citt\xc3\xa0 ",    "perch\xc3\xa9 ",
                                         "\xe2\x80\x99", "\xf0\x9f\x98\x80", "e ",
                                         "\xe2\x82\xac", "sar\xc3\xa0"};
    static const unsigned char bad[] = {0xc0, 0xc1, 0x80, 0xbf, 0xed, 0xf5, 0xff, 0xe0, 0xf4, 0xc3};
    unsigned seed = 12345;
    unsigned char buf[2048];
    for (int round = 0; round < 3000; round++) {
        size_t n = 0;
        while (n < sizeof(buf) - 8) {
            seed = seed * 1103515245u + 12345u;
            const char *w = pieces[(seed >> 16) % 8];
            memcpy(buf + n, w, strlen(w));
            n += strlen(w);
        }
        seed = seed * 1103515245u + 12345u;
        size_t len = 256 + (seed >> 8) % (n - 256);
        if (round % 3) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % len] = bad[(seed >> 4) % sizeof(bad)];
        }
        cr_assert_eq(tp_encoding_valid_prefix(buf, len), tp_encoding_valid_prefix_scalar(buf, len),
                     "round %d, %zu bytes", round, len);
    }
}
