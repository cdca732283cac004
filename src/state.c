/*
 * state.c - count states: a corpus written to a .tpc file and read back as a
 * corpus part (state.h; the byte layout is docs/state-format.md).
 *
 * A file is the magic, a version, then sections: a tag, flags (bit 0: a
 * reader that does not know the tag must refuse the file), the payload's
 * length, the payload and its XXH3-64. Every number is little-endian. A
 * reader checks every length against what is left and every id against the
 * table it indexes before it uses it, so a damaged file is an error naming
 * it, never a crash; the checksums catch what still parses.
 *
 * Writing: the section lengths are patched in once a payload is written
 * (the output is a regular temporary file, tp_out). Terms never seen in the
 * text (listed terms only) are left out and ids renumbered densely.
 *
 * Reading: tp_state_load builds a corpus (the run's counting options and
 * listed terms) from the state's tables and documents, points its counters'
 * spill at the state file itself (per-document lists are scanned once, to
 * check them and to find each document's record, and read again by the
 * reports as any spill), and merges it into the run's corpus.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <xxhash.h>

#include "counts_int.h"
#include "state.h"
#include "stopwords.h"
#include "writer.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "count states are read with the spill's native records: a little-endian host is needed"
#endif

enum { SEC_REQUIRED = 1 };

/* Bounds a reader holds a file to before it allocates. */
enum { MAX_TERM_BYTES = 1 << 20, MAX_ID_BYTES = 1 << 20, MAX_OPT_BYTES = 1 << 16 };

/* --- reading --------------------------------------------------------------- */

struct rd {
    FILE *f;
    const char *path;
    struct tp_error *err;
    XXH3_state_t *h;
    uint64_t left;  /* payload bytes left in the current section */
    uint64_t size;  /* the file's size */
    char tag[5];    /* the current section */
    uint32_t flags; /* its flags */
    uint64_t at;    /* file offset of the next byte read from the file */
    /* the current section's payload: read (and hashed) a block at a time */
    uint64_t sec_start, sec_len; /* its file offset and length */
    uint64_t unread;             /* bytes not yet read from the file */
    unsigned char *buf;          /* a block read, bpos of blen bytes used */
    size_t bpos, blen;
};

enum { RD_BLOCK = 1 << 16 };

static int rd_fail(struct rd *r, const char *what)
{
    if (r->tag[0])
        return tp_error_set(r->err, TP_EPARSE, "%s: not a usable count state: %s (section %s)",
                            r->path, what, r->tag);
    return tp_error_set(r->err, TP_EPARSE, "%s: not a usable count state: %s", r->path, what);
}

static int rd_raw(struct rd *r, void *p, size_t n)
{
    if (n && fread(p, 1, n, r->f) != n) {
        if (ferror(r->f))
            return tp_error_set(r->err, TP_EIO, "%s: %s", r->path, strerror(errno));
        return rd_fail(r, "truncated");
    }
    r->at += n;
    return 0;
}

/* n payload bytes of the current section (hashed as blocks are read). */
static int rd_get(struct rd *r, void *p, size_t n)
{
    if (n > r->left)
        return rd_fail(r, "a record runs past its section (damaged)");
    r->left -= n;
    unsigned char *out = p;
    while (n) {
        if (r->bpos == r->blen) {
            size_t m = r->unread < RD_BLOCK ? (size_t)r->unread : RD_BLOCK;
            int rc = rd_raw(r, r->buf, m);
            if (rc)
                return rc;
            XXH3_64bits_update(r->h, r->buf, m);
            r->unread -= m;
            r->bpos = 0;
            r->blen = m;
        }
        size_t c = r->blen - r->bpos < n ? r->blen - r->bpos : n;
        memcpy(out, r->buf + r->bpos, c);
        r->bpos += c;
        out += c;
        n -= c;
    }
    return 0;
}

/* A varint (LEB128: 7 bits a byte, low first) of the current section. */
static int rd_var(struct rd *r, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0;; shift += 7) {
        unsigned char b;
        int rc = rd_get(r, &b, 1);
        if (rc)
            return rc;
        if (shift > 63 || (shift == 63 && (b & 0x7e)))
            return rd_fail(r, "a number too long (damaged)");
        *v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            return 0;
    }
}

/* The file offset of the next payload byte to be used. */
static uint64_t rd_offset(const struct rd *r)
{
    return r->sec_start + (r->sec_len - r->left);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int rd_u32(struct rd *r, uint32_t *v)
{
    unsigned char b[4];
    int rc = rd_get(r, b, 4);
    *v = rc ? 0 : le32(b);
    return rc;
}

static int rd_u64(struct rd *r, uint64_t *v)
{
    unsigned char b[8];
    int rc = rd_get(r, b, 8);
    *v = rc ? 0 : le64(b);
    return rc;
}

/* A string of at most max bytes (u32 length, bytes), NUL-terminated into a
 * buffer the caller frees. */
static int rd_str(struct rd *r, size_t max, char **s, uint32_t *len)
{
    int rc = rd_u32(r, len);
    if (rc)
        return rc;
    if (*len > max || *len > r->left)
        return rd_fail(r, "a string longer than its section (damaged)");
    if (!(*s = malloc(*len + 1)))
        return tp_error_set(r->err, TP_ENOMEM, "out of memory");
    if ((rc = rd_get(r, *s, *len))) {
        free(*s);
        *s = NULL;
        return rc;
    }
    (*s)[*len] = '\0';
    return 0;
}

/* The next section's header. */
static int sec_next(struct rd *r)
{
    unsigned char b[16];
    r->tag[0] = '\0';
    int rc = rd_raw(r, b, 16);
    if (rc)
        return rc;
    memcpy(r->tag, b, 4);
    r->tag[4] = '\0';
    r->flags = le32(b + 4);
    r->left = le64(b + 8);
    if (r->left > r->size || r->at + r->left + 8 > r->size)
        return rd_fail(r, "truncated");
    r->sec_start = r->at;
    r->sec_len = r->unread = r->left;
    r->bpos = r->blen = 0;
    XXH3_64bits_reset(r->h);
    return 0;
}

/* The end of the current section: all of it read, its checksum right. */
static int sec_end(struct rd *r)
{
    unsigned char b[8];
    if (r->left)
        return rd_fail(r, "bytes left over in a section (damaged)");
    int rc = rd_raw(r, b, 8);
    if (rc)
        return rc;
#ifndef TP_STATE_FUZZ /* the fuzz target reaches the parsers behind a mutated section */
    if (le64(b) != XXH3_64bits_digest(r->h))
        return rd_fail(r, "checksum mismatch (damaged)");
#endif
    return 0;
}

/* Pass over the current section's payload: read and its checksum checked
 * (verify; a section this run does not use is still checked, so a damaged
 * file is refused whatever the command), or only sought past. */
static int sec_skip_how(struct rd *r, int verify)
{
    if (verify) {
        unsigned char buf[1 << 16];
        while (r->left) {
            size_t n = r->left < sizeof(buf) ? (size_t)r->left : sizeof(buf);
            int rc = rd_get(r, buf, n);
            if (rc)
                return rc;
        }
        return sec_end(r);
    }
    if (fseeko(r->f, (off_t)(r->left + 8), SEEK_CUR) != 0)
        return tp_error_set(r->err, TP_EIO, "%s: %s", r->path, strerror(errno));
    r->at += r->left + 8;
    r->left = 0;
    return 0;
}

static int sec_skip(struct rd *r)
{
    return sec_skip_how(r, 1);
}

/* Expect section tag next (optional sections of other tags are skipped). */
static int sec_expect(struct rd *r, const char *tag)
{
    for (;;) {
        int rc = sec_next(r);
        if (rc)
            return rc;
        if (memcmp(r->tag, tag, 4) == 0)
            return 0;
        if (r->flags & SEC_REQUIRED) {
            char t[5];
            memcpy(t, r->tag, 5);
            r->tag[0] = '\0';
            for (int i = 0; i < 4; i++)
                if (t[i] < 0x20 || t[i] > 0x7e)
                    t[i] = '?';
            return tp_error_set(r->err, TP_EPARSE,
                                "%s: written by a newer tempora (a required section '%s' this "
                                "version does not know, where '%s' was expected)",
                                r->path, t, tag);
        }
        if ((rc = sec_skip_how(r, 0)))
            return rc;
    }
}

static int rd_open(struct rd *r, const char *path, struct tp_error *err)
{
    memset(r, 0, sizeof(*r));
    r->path = path;
    r->err = err;
    if (!(r->h = XXH3_createState()) || !(r->buf = malloc(RD_BLOCK)))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    if (!(r->f = fopen(path, "rb")))
        return tp_error_set(err, TP_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(r->f), &st) != 0 || !S_ISREG(st.st_mode))
        return tp_error_set(err, TP_EIO, "%s: not a regular file", path);
    r->size = (uint64_t)st.st_size;
    unsigned char b[16];
    size_t got = fread(b, 1, 16, r->f);
    if (got < 8 || memcmp(b, TP_STATE_MAGIC, 8) != 0)
        return tp_error_set(err, TP_EPARSE, "%s: not a tempora count state (no magic number)",
                            path);
    if (got < 16)
        return rd_fail(r, "truncated");
    r->at = 16;
    uint32_t version = le32(b + 8);
    if (version > TP_STATE_VERSION)
        return tp_error_set(err, TP_EPARSE,
                            "%s: written by a newer tempora (format version %u; this version "
                            "reads up to %u)",
                            path, version, TP_STATE_VERSION);
    if (version == 0)
        return tp_error_set(err, TP_EPARSE, "%s: not a usable count state: version 0", path);
    return 0;
}

static void rd_close(struct rd *r)
{
    if (r->f)
        fclose(r->f);
    XXH3_freeState(r->h);
    free(r->buf);
}

int tp_state_detect(const char *path)
{
    if (strcmp(path, "-") == 0)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    struct stat st;
    char b[8];
    int is = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && fread(b, 1, 8, f) == 8 &&
             memcmp(b, TP_STATE_MAGIC, 8) == 0;
    fclose(f);
    return is;
}

/* --- the head: options, statistics, stopwords ------------------------------ */

/* The options a state records, by key: counting options are compared with
 * the run's (the error names the option); the others are kept for the
 * record. */
struct opt_kv {
    char *key, *val;
};

struct stat_rec {
    uint64_t n_docs, n_tokens, n_terms, n_ngrams, n_pairs;
    uint64_t n_files, input_bytes, overlong;
    uint64_t rs[7];
    uint64_t pairs_full, ngrams_full, lang, extra_langs;
};
enum { N_STAT = 19 };

struct head {
    struct opt_kv *kv;
    size_t n_kv;
    struct stat_rec st;
    char **stop;
    size_t n_stop;
};

static void head_free(struct head *h)
{
    for (size_t i = 0; i < h->n_kv; i++) {
        free(h->kv[i].key);
        free(h->kv[i].val);
    }
    free(h->kv);
    for (size_t i = 0; i < h->n_stop; i++)
        free(h->stop[i]);
    free(h->stop);
    memset(h, 0, sizeof(*h));
}

static const char *head_opt(const struct head *h, const char *key)
{
    for (size_t i = 0; i < h->n_kv; i++)
        if (strcmp(h->kv[i].key, key) == 0)
            return h->kv[i].val;
    return NULL;
}

/* The keys this version knows: a required option of another key is from a
 * newer tempora (it shaped counting in a way this one cannot reproduce). */
static const char *const known_keys[] = {
    "lang",   "case",           "normalize",     "split_hyphens", "min_length", "encoding",
    "window", "ngram",          "doc_per_line",  "text_col",      "date_col",   "id_col",
    "meta",   "date_from_name", "max_doc_bytes", "stopwords",
};

static int rd_head(struct rd *r, struct head *h)
{
    int rc;
    uint32_t n, len;
    memset(h, 0, sizeof(*h));
    if ((rc = sec_expect(r, "OPTS")) || (rc = rd_u32(r, &n)))
        return rc;
    if (n > 4096)
        return rd_fail(r, "too many options (damaged)");
    if (!(h->kv = calloc(n ? n : 1, sizeof(*h->kv))))
        return tp_error_set(r->err, TP_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t req;
        if ((rc = rd_u32(r, &req)) || (rc = rd_str(r, MAX_OPT_BYTES, &h->kv[i].key, &len)))
            return rc;
        h->n_kv = i + 1;
        if ((rc = rd_str(r, MAX_OPT_BYTES, &h->kv[i].val, &len)))
            return rc;
        int known = 0;
        for (size_t k = 0; k < sizeof(known_keys) / sizeof(known_keys[0]); k++)
            known |= strcmp(known_keys[k], h->kv[i].key) == 0;
        if ((req & 1) && !known)
            return tp_error_set(r->err, TP_EPARSE,
                                "%s: written by a newer tempora (counted with an option this "
                                "version does not know: %.100s)",
                                r->path, h->kv[i].key);
    }
    if ((rc = sec_end(r)) || (rc = sec_expect(r, "STAT")))
        return rc;
    uint64_t *st = (uint64_t *)&h->st;
    _Static_assert(sizeof(struct stat_rec) == N_STAT * sizeof(uint64_t), "stat record");
    for (int i = 0; i < N_STAT; i++)
        if ((rc = rd_u64(r, &st[i])))
            return rc;
    /* later versions may append statistics */
    while (r->left >= 8) {
        uint64_t v;
        if ((rc = rd_u64(r, &v)))
            return rc;
    }
    if ((rc = sec_end(r)) || (rc = sec_expect(r, "STOP")) || (rc = rd_u32(r, &n)))
        return rc;
    if (n > r->left / 4)
        return rd_fail(r, "too many stopwords (damaged)");
    if (!(h->stop = calloc(n ? n : 1, sizeof(*h->stop))))
        return tp_error_set(r->err, TP_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = rd_str(r, MAX_TERM_BYTES, &h->stop[i], &len)))
            return rc;
        h->n_stop = i + 1;
    }
    if ((rc = sec_end(r)))
        return rc;
    const struct stat_rec *s = &h->st;
    /* what the sections can hold at most (a term takes 8 bytes or more, a
     * document 20, an n-gram 4, a pair 3): nothing is allocated past it */
    if (s->n_terms > UINT32_MAX || s->n_ngrams > UINT32_MAX || s->lang > 31 ||
        s->n_terms > s->n_tokens || s->n_terms > r->size / 8 || s->n_docs > r->size / 20 ||
        s->n_ngrams > r->size / 4 || s->n_pairs > r->size / 3)
        return rd_fail(r, "impossible totals (damaged)");
    return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    unsigned long x = strtoul(s, &end, 10);
    if (errno || *end || x > max)
        return -1;
    *v = x;
    return 0;
}

int tp_state_head_read(const char *path, struct tp_state_head *out, struct tp_error *err)
{
    struct rd r;
    struct head h = {0};
    memset(out, 0, sizeof(*out));
    int rc = rd_open(&r, path, err);
    if (!rc)
        rc = rd_head(&r, &h);
    unsigned long v;
    if (!rc) {
        const char *lang = head_opt(&h, "lang");
        if (!lang || tp_lang_from_name(lang, &out->lang) != 0)
            rc = tp_error_set(err, TP_EPARSE, "%s: not a usable count state: no language", path);
        out->extra_langs = (unsigned)h.st.extra_langs;
        const char *c = head_opt(&h, "case"), *nz = head_opt(&h, "normalize"),
                   *sh = head_opt(&h, "split_hyphens");
        out->keep_case = c && strcmp(c, "keep") == 0;
        out->nfkc = nz && strcmp(nz, "nfkc") == 0;
        out->split_hyphens = sh && strcmp(sh, "yes") == 0;
        out->min_length = parse_uint(head_opt(&h, "min_length"), 1000, &v) ? 0 : (int)v;
        out->window = parse_uint(head_opt(&h, "window"), TP_WINDOW_MAX, &v) ? 0 : (unsigned)v;
        out->ngram = parse_uint(head_opt(&h, "ngram"), TP_KEY_MAX, &v) ? 1 : (unsigned)v;
        out->encoding = 0;
        const char *enc = head_opt(&h, "encoding");
        static const char *const encs[] = {"auto", "utf-8", "latin-1", "cp1252"};
        for (int i = 0; enc && i < 4; i++)
            if (strcmp(enc, encs[i]) == 0)
                out->encoding = i;
        if (!rc) {
            out->stop = h.stop;
            out->n_stop = h.n_stop;
            h.stop = NULL;
            h.n_stop = 0;
        }
    }
    head_free(&h);
    rd_close(&r);
    return rc;
}

void tp_state_head_release(struct tp_state_head *h)
{
    for (size_t i = 0; i < h->n_stop; i++)
        free(h->stop[i]);
    free(h->stop);
    memset(h, 0, sizeof(*h));
}

/* --- the options of a run, as a state records them ------------------------ */

static const char *const enc_names[] = {"auto", "utf-8", "latin-1", "cp1252"};

/* One option: key, value, whether a reader must know it, the option it
 * comes from (for messages), whether it is compared. */
struct run_opt {
    const char *key;
    char val[64];
    const char *text; /* a long value (not copied), or NULL: val */
    int required;
    const char *option;
    int compared;
};

enum { N_RUN_OPTS = 16 };

static size_t run_opts(const struct tp_run *run, struct run_opt *o)
{
    const struct tp_opts *x = run->o;
    const struct tp_count_opts *co = &run->count_opts;
    size_t n = 0;
#define OPT(k, req, opt, cmp, ...)                                                                 \
    do {                                                                                           \
        o[n] = (struct run_opt){k, "", NULL, req, opt, cmp};                                       \
        snprintf(o[n].val, sizeof(o[n].val), __VA_ARGS__);                                         \
        n++;                                                                                       \
    } while (0)
    OPT("lang", 1, "--lang", 1, "%s", tp_lang_name(run->lang));
    OPT("case", 1, "--case", 1, "%s", x->keep_case ? "keep" : "fold");
    OPT("normalize", 1, "--normalize", 1, "%s", x->nfkc ? "nfkc" : "nfc");
    OPT("split_hyphens", 1, "--split-hyphens", 1, "%s", x->split_hyphens ? "yes" : "no");
    OPT("min_length", 1, "--min-length", 1, "%u", co->min_length);
    OPT("encoding", 1, "--encoding", 1, "%s", enc_names[x->encoding & 3]);
    OPT("window", 1, "--window", 0, "%u", co->window);
    OPT("ngram", 1, "--ngram", 0, "%u", co->ngram > 1 ? co->ngram : 1);
    OPT("doc_per_line", 0, "--doc-per-line", 0, "%s", x->doc_per_line ? "yes" : "no");
    OPT("text_col", 0, "--text-col", 0, "%s", "");
    o[n - 1].text = x->text_col ? x->text_col : "";
    OPT("date_col", 0, "--date-col", 0, "%s", "");
    o[n - 1].text = x->date_col ? x->date_col : "";
    OPT("id_col", 0, "--id-col", 0, "%s", "");
    o[n - 1].text = x->id_col ? x->id_col : "";
    OPT("meta", 0, "--meta", 0, "%s", "");
    o[n - 1].text = x->meta_path ? x->meta_path : "";
    OPT("date_from_name", 0, "--date-from-name", 0, "%s", x->date_from_name ? "yes" : "no");
    OPT("max_doc_bytes", 0, "--max-doc-bytes", 0, "%llu",
        (unsigned long long)(x->max_doc_bytes ? x->max_doc_bytes : TP_MAX_DOC_BYTES));
    /* the stopword list is compared word for word (STOP section) */
    OPT("stopwords", 1, "--stopwords", 0, "%zu", run->stop.n);
#undef OPT
    return n;
}

/* The state's counting options against the run's: TP_EDATA naming the first
 * that differs. */
static int check_opts(const struct tp_run *run, const struct head *h, const char *path,
                      struct tp_error *err)
{
    struct run_opt o[N_RUN_OPTS];
    size_t n = run_opts(run, o);
    for (size_t i = 0; i < n; i++) {
        const char *want = o[i].text ? o[i].text : o[i].val, *have = head_opt(h, o[i].key);
        int differs = !have || strcmp(have, want) != 0;
        if (strcmp(o[i].key, "window") == 0)
            differs = run->count_opts.window > 0 && differs;
        else if (strcmp(o[i].key, "ngram") == 0)
            differs = run->count_opts.ngram > 1 && differs;
        else if (!o[i].compared)
            differs = 0;
        if (differs)
            return tp_error_set(err, TP_EDATA,
                                "%s: counted with %s %s, this run has %s %s: count again with "
                                "the same %s",
                                path, o[i].option, have ? have : "(not recorded)", o[i].option,
                                want, o[i].option);
    }
    const struct tp_table *stop = &run->stop;
    int same = h->n_stop == stop->n;
    for (size_t i = 0; same && i < stop->n; i++)
        same = strlen(h->stop[i]) == stop->terms[i].len &&
               memcmp(h->stop[i], stop->terms[i].bytes, stop->terms[i].len) == 0;
    if (!same)
        return tp_error_set(err, TP_EDATA,
                            "%s: counted with another stopword list (%zu words, this run has "
                            "%zu): --stopwords, --no-stopwords and --lang must be those it was "
                            "counted with",
                            path, h->n_stop, stop->n);
    return 0;
}

/* A count of 255 or more in a spill record: 255, then the rest as a varint. */
enum { SPILL_BIG_COUNT = 255 };
/* --- loading a state into a run ------------------------------------------- */

/* Scan a spill section: each document's record (8-byte header: encoded
 * length, entries; then id/count varints) is checked and its place noted
 * in k. n_ids: ids must be below it; tokens (may be NULL): each document's
 * counts must sum to it. doc_fn: called with the decoded list (listed
 * terms), may be NULL. */
struct scan_ctx {
    struct tp_corpus *c;
    const uint32_t *map;
};

static int scan_list(const unsigned char *p, size_t len, uint32_t n, uint64_t n_ids, uint64_t *sum,
                     struct scan_ctx *sc, const struct tp_docrec *doc)
{
    if (len < (size_t)n * 5)
        return -1;
    const unsigned char *cb = p + (size_t)n * 4, *q = cb + n, *end = p + len;
    *sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = le32(p + (size_t)i * 4);
        uint64_t v = cb[i];
        if (id >= n_ids || v == 0)
            return -1;
        if (v == SPILL_BIG_COUNT) {
            uint64_t x = 0;
            unsigned shift = 0;
            for (;;) {
                if (q == end || shift > 63)
                    return -1;
                unsigned char b = *q++;
                x |= (uint64_t)(b & 0x7F) << shift;
                if (!(b & 0x80))
                    break;
                shift += 7;
            }
            if (x > UINT64_MAX - SPILL_BIG_COUNT)
                return -1;
            v = SPILL_BIG_COUNT + x;
        }
        if (v > UINT64_MAX - *sum)
            return -1;
        *sum += v;
        if (sc) {
            uint32_t s = sc->map[id];
            if (s < sc->c->match_end_n && sc->c->match_end[s].one) {
                uint32_t m = sc->c->match_end[s].one - 1;
                if (sc->c->match_doc[m] == 0)
                    sc->c->match_touched[sc->c->match_n_touched++] = m;
                sc->c->match_doc[m] += v;
            }
        }
    }
    (void)doc;
    return q == end ? 0 : -1;
}

static int scan_spill(struct rd *r, struct tp_counter *k, const struct tp_docrec *docs,
                      size_t n_docs, uint64_t n_ids, int check_tokens, struct scan_ctx *sc)
{
    unsigned char *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    if (k && tp_counter_reserve_docs(k, n_docs))
        return tp_error_set(r->err, TP_ENOMEM, "out of memory");
    for (size_t d = 0; d < n_docs; d++) {
        unsigned char hdr[8];
        uint64_t off = rd_offset(r);
        if ((rc = rd_get(r, hdr, 8)))
            break;
        uint32_t len = le32(hdr), n = le32(hdr + 4);
        if ((uint64_t)n * 5 > len || len > (uint64_t)n * 15 || len > r->left) {
            rc = rd_fail(r, "a document's list is damaged");
            break;
        }
        if (len > cap) {
            unsigned char *b = realloc(buf, len);
            if (!b) {
                rc = tp_error_set(r->err, TP_ENOMEM, "out of memory");
                break;
            }
            buf = b;
            cap = len;
        }
        if ((rc = rd_get(r, buf, len)))
            break;
        uint64_t sum;
        if (scan_list(buf, len, n, n_ids, &sum, sc, &docs[d]) ||
            (check_tokens && sum != docs[d].n_tokens)) {
            rc = rd_fail(r, "a document's list is damaged");
            break;
        }
        if (sc && sc->c->match_n_touched && tp_match_end_doc(sc->c, tp_match_key(&docs[d].date))) {
            rc = tp_error_set(r->err, TP_ENOMEM, "out of memory");
            break;
        }
        if (k) {
            k->offs[k->n_offs] = off;
            k->lens[k->n_offs] = 8 + len;
            k->file_of[k->n_offs] = 0;
            k->n_offs++;
        }
    }
    free(buf);
    return rc;
}

/* Make the state file the spill of counter k (ids through map, n_map). */
static int adopt_file(struct tp_counter *k, const char *path, uint32_t *map, size_t n_map,
                      struct tp_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return tp_error_set(err, TP_EIO, "%s: %s", path, strerror(errno));
    if (k->files[0].f)
        fclose(k->files[0].f);
    free(k->files[0].buf);
    free(k->files[0].map);
    k->files[0] = (struct tp_spill_file){f, NULL, map, n_map};
    k->spill = f;
    return 0;
}

static int check_date(const struct tp_date *d)
{
    if (d->prec == TP_PREC_NONE)
        return d->year == 0 && d->month == 0 && d->day == 0 ? 0 : -1;
    if ((int)d->prec < 0 || d->prec > TP_PREC_DAY || d->year < 1 || d->year > 9999)
        return -1;
    if (d->prec >= TP_PREC_MONTH ? d->month < 1 || d->month > 12 : d->month != 0)
        return -1;
    if (d->prec >= TP_PREC_DAY ? d->day < 1 || d->day > 31 : d->day != 0)
        return -1;
    return 0;
}

/* Read the state r (its head h already read) into corpus c. */
static int load_body(struct rd *r, const struct head *h, struct tp_corpus *c, int side,
                     const struct tp_run *run, uint32_t **map_out)
{
    const struct stat_rec *s = &h->st;
    struct tp_error *err = r->err;
    size_t n_terms = (size_t)s->n_terms;
    uint32_t *map = malloc((n_terms ? n_terms : 1) * sizeof(*map));
    uint32_t *gmap = NULL;
    char *str = NULL;
    int rc;
    *map_out = map;
    if (!map)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    unsigned ng = run->count_opts.ngram > 1 ? run->count_opts.ngram : 0;
    unsigned st_ng = 1, st_w = 0;
    unsigned long v;
    if (!parse_uint(head_opt(h, "ngram"), TP_KEY_MAX, &v))
        st_ng = (unsigned)v;
    if (!parse_uint(head_opt(h, "window"), TP_WINDOW_MAX, &v))
        st_w = (unsigned)v;

    /* terms */
    if ((rc = sec_expect(r, "TERM")))
        return rc;
    if (n_terms > r->left / 8)
        return rd_fail(r, "more terms than the section holds (damaged)");
    uint64_t n_seen_before = c->r.n_types;
    for (size_t i = 0; i < n_terms; i++) {
        uint32_t len;
        uint64_t first, total, df;
        if ((rc = rd_str(r, MAX_TERM_BYTES, &str, &len)) || (rc = rd_var(r, &first)) ||
            (rc = rd_var(r, &total)) || (rc = rd_var(r, &df)))
            goto out;
        if (!len || first >= s->n_tokens || !df || df > total || total > s->n_tokens ||
            df > s->n_docs) {
            rc = rd_fail(r, "a term with impossible counts (damaged)");
            goto out;
        }
        int64_t id = tp_corpus_intern(c, str, len);
        free(str);
        str = NULL;
        if (id < 0) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        if (c->r.terms.terms[id].flags & TP_TERM_SEEN) {
            rc = rd_fail(r, "a term given twice (damaged)");
            goto out;
        }
        tp_corpus_mark_seen(c, (uint32_t)id, first);
        c->r.uni.total[id] = total;
        c->r.uni.df[id] = df;
        map[i] = (uint32_t)id;
    }
    (void)n_seen_before;
    if ((rc = sec_end(r)))
        goto out;

    /* n-grams */
    if ((rc = sec_expect(r, "NGRM")))
        goto out;
    if (ng && st_ng != ng) {
        rc = tp_error_set(err, TP_EDATA,
                          "%s: counted with --ngram %u, this run has --ngram %u: count again with "
                          "the same --ngram",
                          r->path, st_ng, ng);
        goto out;
    }
    if (ng) {
        size_t n_g = (size_t)s->n_ngrams;
        if (n_g > r->left / (ng + 2)) {
            rc = rd_fail(r, "more n-grams than the section holds (damaged)");
            goto out;
        }
        if (!(gmap = malloc((n_g ? n_g : 1) * sizeof(*gmap)))) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t g = 0; g < n_g; g++) {
            uint32_t key[TP_KEY_MAX];
            uint64_t total, df, w;
            for (unsigned i = 0; i < ng; i++) {
                if ((rc = rd_var(r, &w)))
                    goto out;
                if (w >= n_terms) {
                    rc = rd_fail(r, "an n-gram of unknown terms (damaged)");
                    goto out;
                }
                key[i] = map[w];
            }
            if ((rc = rd_var(r, &total)) || (rc = rd_var(r, &df)))
                goto out;
            int64_t id = tp_tuples_intern(&c->r.ngrams, key);
            if (id < 0) {
                c->r.ngrams_full |= id == TP_EDATA;
                rc = tp_corpus_oom(c, err);
                goto out;
            }
            if ((size_t)id != g || !df || df > total || total > s->n_tokens) {
                rc = rd_fail(r, "an n-gram given twice or with impossible counts (damaged)");
                goto out;
            }
            if ((size_t)id >= c->r.ng.cap && tp_counter_reserve(&c->r.ng, (size_t)id + 1)) {
                rc = tp_error_set(err, TP_ENOMEM, "out of memory");
                goto out;
            }
            c->r.ng.total[id] = total;
            c->r.ng.df[id] = df;
            gmap[g] = (uint32_t)id;
        }
        if ((rc = sec_end(r)))
            goto out;
    } else if ((rc = sec_skip(r))) {
        goto out;
    }

    /* pairs */
    if ((rc = sec_expect(r, "PAIR")))
        goto out;
    if (run->count_opts.window) {
        if (st_w != run->count_opts.window) {
            rc = tp_error_set(err, TP_EDATA,
                              "%s: counted with --window %u, this run has --window %u: count "
                              "again with the same --window",
                              r->path, st_w, run->count_opts.window);
            goto out;
        }
        if (s->n_pairs > r->left / 3) {
            rc = rd_fail(r, "more pairs than the section holds (damaged)");
            goto out;
        }
        for (uint64_t p = 0; p < s->n_pairs; p++) {
            uint64_t w1, w2, n;
            if ((rc = rd_var(r, &w1)) || (rc = rd_var(r, &w2)) || (rc = rd_var(r, &n)))
                goto out;
            if (w1 >= n_terms || w2 >= n_terms || !n) {
                rc = rd_fail(r, "a pair of unknown terms (damaged)");
                goto out;
            }
            int prc = tp_pairs_add(&c->r.pairs, map[(uint32_t)w1], map[(uint32_t)w2], n);
            if (prc) {
                c->r.pairs_full |= prc == TP_EDATA;
                rc = tp_corpus_oom(c, err);
                goto out;
            }
        }
        if ((rc = sec_end(r)))
            goto out;
    } else if ((rc = sec_skip(r))) {
        goto out;
    }

    /* documents */
    if ((rc = sec_expect(r, "DOCS")))
        goto out;
    if (s->n_docs > r->left / 20) {
        rc = rd_fail(r, "more documents than the section holds (damaged)");
        goto out;
    }
    uint64_t tokens = 0;
    for (uint64_t d = 0; d < s->n_docs; d++) {
        uint32_t len;
        unsigned char b[16];
        if ((rc = rd_str(r, MAX_ID_BYTES, &str, &len)) || (rc = rd_get(r, b, 16)))
            goto out;
        struct tp_date dt = {(int)le32(b), b[4], b[5], (enum tp_precision)b[6]};
        uint64_t nt = le64(b + 8);
        if (strlen(str) != len || check_date(&dt) || nt > s->n_tokens - tokens) {
            rc = rd_fail(r, "a document record is damaged");
            goto out;
        }
        tokens += nt;
        if (tp_corpus_begin(c, str, &dt, side)) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        free(str);
        str = NULL;
        c->r.docs[c->r.n_docs].n_tokens = nt;
        c->r.n_docs++;
        c->in_doc = 0;
    }
    if (tokens != s->n_tokens) {
        rc = rd_fail(r, "document lengths do not add up (damaged)");
        goto out;
    }
    c->r.n_tokens = s->n_tokens;
    if ((rc = sec_end(r)))
        goto out;

    /* per-document lists: terms, then n-grams */
    if ((rc = sec_expect(r, "USPL")))
        goto out;
    struct scan_ctx sc = {c, map};
    if (run->count_opts.spill || c->r.n_match) {
        if ((rc = scan_spill(r, run->count_opts.spill ? &c->r.uni : NULL, c->r.docs, c->r.n_docs,
                             n_terms, 1, c->r.n_match ? &sc : NULL)) ||
            (rc = sec_end(r)))
            goto out;
        if (run->count_opts.spill) {
            if ((rc = adopt_file(&c->r.uni, r->path, map, n_terms, err)))
                goto out;
            *map_out = NULL; /* the counter owns it */
        }
    } else if ((rc = sec_skip(r))) {
        goto out;
    }
    if ((rc = sec_expect(r, "GSPL")))
        goto out;
    if (ng && run->count_opts.spill) {
        if ((rc = scan_spill(r, &c->r.ng, c->r.docs, c->r.n_docs, s->n_ngrams, 0, NULL)) ||
            (rc = sec_end(r)))
            goto out;
        if ((rc = adopt_file(&c->r.ng, r->path, gmap, s->n_ngrams, err)))
            goto out;
        gmap = NULL;
    } else if ((rc = sec_skip(r))) {
        goto out;
    }
    if ((rc = sec_expect(r, "END ")) || (rc = sec_end(r)))
        goto out;
    if (r->at != r->size) {
        r->tag[0] = '\0';
        rc = rd_fail(r, "bytes after its end");
        goto out;
    }
    c->r.pairs_full |= s->pairs_full != 0;
    c->r.ngrams_full |= s->ngrams_full != 0;
out:
    free(str);
    free(gmap);
    return rc;
}

int tp_state_load(struct tp_run *run, const char *path, int side, const uint8_t *skip,
                  struct tp_error *err)
{
    struct rd r;
    struct head h = {0};
    struct tp_corpus *c = NULL;
    uint32_t *map = NULL;
    struct tp_counts *dst = tp_corpus_counts(run->corpus);
    (void)skip;
    int rc = rd_open(&r, path, err);
    if (rc || (rc = rd_head(&r, &h)) || (rc = check_opts(run, &h, path, err)))
        goto out;
    if ((rc = tp_corpus_new(&c, &run->count_opts, err)))
        goto out;
    /* the run's listed terms, in its order: single words are counted from
     * the documents' lists */
    for (size_t m = 0; m < dst->n_match; m++) {
        const char *toks[TP_KEY_MAX];
        size_t lens[TP_KEY_MAX];
        unsigned n = dst->match_len[m];
        if (n > 1) {
            rc = tp_error_set(err, TP_EUSAGE,
                              "--terms: a term of %u words cannot be followed in a count state "
                              "(%s): its documents' lists hold single words; count the text "
                              "itself for it",
                              n, path);
            goto out;
        }
        for (unsigned i = 0; i < n; i++) {
            const struct tp_term *t = &dst->terms.terms[dst->match_ids[m][i]];
            toks[i] = t->bytes;
            lens[i] = t->len;
        }
        if (tp_corpus_add_match(c, toks, lens, n) < 0) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
    }
    if ((rc = load_body(&r, &h, c, side, run, &map)))
        goto out;
    if ((rc = tp_corpus_merge(run->corpus, c, err)))
        goto out;
    dst->pairs_full |= c->r.pairs_full;
    dst->ngrams_full |= c->r.ngrams_full;
    const struct stat_rec *s = &h.st;
    run->n_files += s->n_files;
    run->input_bytes += s->input_bytes;
    run->overlong += s->overlong;
    run->rs.n_inputs += s->rs[0];
    run->rs.bytes += s->rs[1];
    run->rs.n_documents += s->rs[2];
    run->rs.invalid_utf8 += s->rs[3];
    run->rs.cp1252_documents += s->rs[4];
    run->rs.skipped_inputs += s->rs[5];
    run->rs.bad_dates += s->rs[6];
out:
    free(map);
    tp_corpus_free(c);
    head_free(&h);
    rd_close(&r);
    return rc;
}

int tp_state_each_id(const char *path, tp_state_id_fn *fn, void *ctx, struct tp_error *err)
{
    struct rd r;
    struct head h = {0};
    char *str = NULL;
    int rc = rd_open(&r, path, err);
    if (rc || (rc = rd_head(&r, &h)))
        goto out;
    const char *tags[] = {"TERM", "NGRM", "PAIR"};
    for (int i = 0; i < 3; i++)
        if ((rc = sec_expect(&r, tags[i])) || (rc = sec_skip_how(&r, 0)))
            goto out;
    if ((rc = sec_expect(&r, "DOCS")))
        goto out;
    for (uint64_t d = 0; d < h.st.n_docs; d++) {
        uint32_t len;
        unsigned char b[16];
        if ((rc = rd_str(&r, MAX_ID_BYTES, &str, &len)) || (rc = rd_get(&r, b, 16)))
            goto out;
        if ((rc = fn(ctx, str, (size_t)d)))
            goto out;
        free(str);
        str = NULL;
    }
    rc = sec_end(&r);
out:
    free(str);
    head_free(&h);
    rd_close(&r);
    return rc;
}

/* --- writing ---------------------------------------------------------------- */

struct wr {
    FILE *f;
    XXH3_state_t *h;
    off_t start;
    int bad;
};

static void put(struct wr *w, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, w->f) != n)
        w->bad = 1;
    XXH3_64bits_update(w->h, p, n);
}

static void put32(struct wr *w, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(w, b, 4);
}

static void put64(struct wr *w, uint64_t v)
{
    put32(w, (uint32_t)v);
    put32(w, (uint32_t)(v >> 32));
}

static size_t put_varint(unsigned char *p, uint64_t v);

static void put_var(struct wr *w, uint64_t v)
{
    unsigned char b[10];
    size_t n = put_varint(b, v);
    put(w, b, n);
}

static void put_str(struct wr *w, const char *s, size_t len)
{
    put32(w, (uint32_t)len);
    put(w, s, len);
}

static void raw64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static void sec_open(struct wr *w, const char *tag, uint32_t flags)
{
    unsigned char b[16] = {0};
    memcpy(b, tag, 4);
    for (int i = 0; i < 4; i++)
        b[4 + i] = (unsigned char)(flags >> (8 * i));
    if (fwrite(b, 1, 16, w->f) != 16)
        w->bad = 1;
    w->start = ftello(w->f);
    if (w->start < 0)
        w->bad = 1;
    XXH3_64bits_reset(w->h);
}

static void sec_close(struct wr *w)
{
    off_t end = ftello(w->f);
    unsigned char b[8];
    if (end < 0 || w->bad) {
        w->bad = 1;
        return;
    }
    raw64(b, XXH3_64bits_digest(w->h));
    if (fwrite(b, 1, 8, w->f) != 8)
        w->bad = 1;
    raw64(b, (uint64_t)(end - w->start));
    if (fseeko(w->f, w->start - 8, SEEK_SET) != 0 || fwrite(b, 1, 8, w->f) != 8 ||
        fseeko(w->f, end + 8, SEEK_SET) != 0)
        w->bad = 1;
}

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

/* Every document's list of counter k, ids through map (NULL: as they are). */
static int write_spill(struct wr *w, struct tp_counter *k, size_t n_docs, const uint32_t *map,
                       struct tp_error *err)
{
    struct tp_spill_iter it;
    unsigned char *buf = NULL;
    size_t cap = 0;
    int rc;
    if ((rc = tp_spill_iter_init(&it, k, n_docs, err)))
        return rc;
    while ((rc = tp_spill_iter_next(&it, err)) > 0) {
        size_t need = 8 + it.n * 15;
        if (need > cap) {
            unsigned char *b = realloc(buf, need);
            if (!b) {
                free(buf);
                return tp_error_set(err, TP_ENOMEM, "out of memory");
            }
            buf = b;
            cap = need;
        }
        /* the spill's record (src/spill.c): ids as u32, a byte a count,
         * then count - 255 as a varint for each count of 255 or more */
        unsigned char *cb = buf + 8 + 4 * it.n;
        size_t at = 8 + 5 * it.n;
        for (size_t i = 0; i < it.n; i++) {
            uint32_t id = map ? map[it.ids[i]] : it.ids[i];
            for (int j = 0; j < 4; j++)
                buf[8 + 4 * i + (size_t)j] = (unsigned char)(id >> (8 * j));
            uint64_t c = it.counts[i];
            cb[i] = (unsigned char)(c < SPILL_BIG_COUNT ? c : SPILL_BIG_COUNT);
            if (c >= SPILL_BIG_COUNT)
                at += put_varint(buf + at, c - SPILL_BIG_COUNT);
        }
        uint32_t len = (uint32_t)(at - 8), n = (uint32_t)it.n;
        for (int i = 0; i < 4; i++) {
            buf[i] = (unsigned char)(len >> (8 * i));
            buf[4 + i] = (unsigned char)(n >> (8 * i));
        }
        put(w, buf, at);
    }
    free(buf);
    return rc;
}

static int cmp_pair(const void *a, const void *b)
{
    uint64_t x = ((const struct tp_pair_slot *)a)->key, y = ((const struct tp_pair_slot *)b)->key;
    return (x > y) - (x < y);
}

static int write_body(struct wr *w, struct tp_run *run, struct tp_error *err)
{
    struct tp_corpus *corpus = run->corpus;
    struct tp_counts *c = tp_corpus_counts(corpus);
    struct run_opt o[N_RUN_OPTS];
    size_t n_o = run_opts(run, o);
    uint32_t *map = malloc((c->terms.n ? c->terms.n : 1) * sizeof(*map));
    int rc = 0;
    if (!map)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    uint32_t n_seen = 0;
    for (size_t i = 0; i < c->terms.n; i++)
        map[i] = c->terms.terms[i].flags & TP_TERM_SEEN ? n_seen++ : UINT32_MAX;
    unsigned ng = c->o.ngram > 1 ? c->o.ngram : 0;

    sec_open(w, "OPTS", SEC_REQUIRED);
    put32(w, (uint32_t)n_o);
    for (size_t i = 0; i < n_o; i++) {
        const char *v = o[i].text ? o[i].text : o[i].val;
        put32(w, (uint32_t)o[i].required);
        put_str(w, o[i].key, strlen(o[i].key));
        put_str(w, v, strlen(v));
    }
    sec_close(w);

    sec_open(w, "STAT", SEC_REQUIRED);
    const struct tp_reader_stats *rs = &run->rs;
    uint64_t st[N_STAT] = {c->n_docs,
                           c->n_tokens,
                           n_seen,
                           ng ? c->ngrams.n_items : 0,
                           c->o.window && c->pairs.slots ? c->pairs.n : 0,
                           run->n_files,
                           run->input_bytes,
                           run->overlong,
                           rs->n_inputs,
                           rs->bytes,
                           rs->n_documents,
                           rs->invalid_utf8,
                           rs->cp1252_documents,
                           rs->skipped_inputs,
                           rs->bad_dates,
                           (uint64_t)c->pairs_full,
                           (uint64_t)c->ngrams_full,
                           (uint64_t)run->lang,
                           run->extra_langs};
    for (int i = 0; i < N_STAT; i++)
        put64(w, st[i]);
    sec_close(w);

    sec_open(w, "STOP", SEC_REQUIRED);
    put32(w, (uint32_t)run->stop.n);
    for (size_t i = 0; i < run->stop.n; i++)
        put_str(w, run->stop.terms[i].bytes, run->stop.terms[i].len);
    sec_close(w);

    sec_open(w, "TERM", SEC_REQUIRED);
    for (size_t i = 0; i < c->terms.n; i++) {
        if (map[i] == UINT32_MAX)
            continue;
        put_str(w, c->terms.terms[i].bytes, c->terms.terms[i].len);
        put_var(w, c->uni.first[i]);
        put_var(w, c->uni.total[i]);
        put_var(w, c->uni.df[i]);
    }
    sec_close(w);

    sec_open(w, "NGRM", SEC_REQUIRED);
    for (size_t g = 0; ng && g < c->ngrams.n_items; g++) {
        const uint32_t *k = tp_tuples_key(&c->ngrams, g);
        for (unsigned i = 0; i < ng; i++)
            put_var(w, map[k[i]]);
        put_var(w, c->ng.total[g]);
        put_var(w, c->ng.df[g]);
    }
    sec_close(w);

    /* pairs in key order (the table's order depends on its hash seed): the
     * same counts give the same bytes */
    sec_open(w, "PAIR", SEC_REQUIRED);
    size_t n_pairs = 0;
    struct tp_pair_slot *pairs = NULL;
    if (c->o.window && c->pairs.slots && c->pairs.n) {
        if (!(pairs = malloc(c->pairs.n * sizeof(*pairs)))) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t p = 0; p <= c->pairs.mask && n_pairs < c->pairs.n; p++) {
            const struct tp_pair_slot *sl = &c->pairs.slots[p];
            if (sl->key)
                pairs[n_pairs++] = (struct tp_pair_slot){
                    (uint64_t)map[tp_pair_w1(sl->key)] << 32 | map[tp_pair_w2(sl->key)], sl->count};
        }
        qsort(pairs, n_pairs, sizeof(*pairs), cmp_pair);
    }
    for (size_t p = 0; p < n_pairs; p++) {
        put_var(w, pairs[p].key >> 32);
        put_var(w, (uint32_t)pairs[p].key);
        put_var(w, pairs[p].count);
    }
    free(pairs);
    sec_close(w);

    sec_open(w, "DOCS", SEC_REQUIRED);
    for (size_t d = 0; d < c->n_docs; d++) {
        const struct tp_docrec *doc = &c->docs[d];
        unsigned char b[16] = {0};
        put_str(w, doc->id, strlen(doc->id));
        uint32_t y = (uint32_t)doc->date.year;
        for (int i = 0; i < 4; i++)
            b[i] = (unsigned char)(y >> (8 * i));
        b[4] = (unsigned char)doc->date.month;
        b[5] = (unsigned char)doc->date.day;
        b[6] = (unsigned char)doc->date.prec;
        raw64(b + 8, doc->n_tokens);
        put(w, b, 16);
    }
    sec_close(w);

    sec_open(w, "USPL", SEC_REQUIRED);
    if (c->n_docs && (rc = write_spill(w, &c->uni, c->n_docs, map, err)))
        goto out;
    sec_close(w);
    sec_open(w, "GSPL", SEC_REQUIRED);
    if (ng && c->n_docs && (rc = write_spill(w, &c->ng, c->n_docs, NULL, err)))
        goto out;
    sec_close(w);
    sec_open(w, "END ", SEC_REQUIRED);
    sec_close(w);
out:
    free(map);
    return rc;
}

int tp_state_write(struct tp_run *run, const char *path, struct tp_error *err)
{
    struct tp_out *out;
    struct wr w = {0};
    if (!tp_corpus_counts(run->corpus)->uni.spill)
        return tp_error_set(err, TP_EINTERNAL, "a count state needs the per-document counts");
    int rc = tp_out_open(&out, path, TP_OUT_RAW, err);
    if (rc)
        return rc;
    w.f = tp_out_file(out);
    if (!(w.h = XXH3_createState())) {
        tp_out_free(out);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    unsigned char head[16] = {0};
    memcpy(head, TP_STATE_MAGIC, 8);
    head[8] = (unsigned char)TP_STATE_VERSION;
    if (fwrite(head, 1, 16, w.f) != 16)
        w.bad = 1;
    rc = write_body(&w, run, err);
    if (!rc && w.bad)
        rc = tp_error_set(err, TP_EIO, "%s: cannot write the count state (%s)", path ? path : "-",
                          errno ? strerror(errno) : "not a seekable file");
    if (!rc && (rc = tp_out_finish(out, err)) == 0)
        rc = tp_out_publish(out, err);
    XXH3_freeState(w.h);
    tp_out_free(out);
    return rc;
}
