/*
 * state_read.c - reading a count state file (state.h; the byte layout is
 * docs/state-format.md): the section reader, the head, and the calls that
 * read a state without loading it (tp_state_detect, tp_state_head_read,
 * tp_state_each_id). state_load.c builds a corpus with these calls;
 * state_write.c writes the file; state_int.h is what the three share.
 *
 * A file is the magic, a version, then sections: a tag, flags (bit 0: a
 * reader that does not know the tag must refuse the file), the payload's
 * length, the payload and its XXH3-64. Every number is little-endian. A
 * reader checks every length against what is left and every id against the
 * table it indexes before it uses it, so a damaged file is an error naming
 * it, never a crash; the checksums catch what still parses. struct
 * tp_state_rd reads the current section's payload a block at a time,
 * hashing each block as it is read; struct tp_state_hdr is what the OPTS,
 * STAT and STOP sections say.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <xxhash.h>

#include "state_int.h"
#include "stopwords.h"

enum { RD_BLOCK = 1 << 16 };

int tp_state_rd_fail(struct tp_state_rd *r, const char *what)
{
    if (r->tag[0])
        return tp_error_set(r->err, TP_EPARSE, "%s: not a usable count state: %s (section %s)",
                            r->path, what, r->tag);
    return tp_error_set(r->err, TP_EPARSE, "%s: not a usable count state: %s", r->path, what);
}

static int rd_raw(struct tp_state_rd *r, void *p, size_t n)
{
    if (n && fread(p, 1, n, r->f) != n) {
        if (ferror(r->f))
            return tp_error_set(r->err, TP_EIO, "%s: %s", r->path, strerror(errno));
        return tp_state_rd_fail(r, "truncated");
    }
    r->at += n;
    return 0;
}

/* n payload bytes of the current section (hashed as blocks are read). */
int tp_state_rd_get(struct tp_state_rd *r, void *p, size_t n)
{
    if (n > r->left)
        return tp_state_rd_fail(r, "a record runs past its section (damaged)");
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
int tp_state_rd_var(struct tp_state_rd *r, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0;; shift += 7) {
        unsigned char b;
        int rc = tp_state_rd_get(r, &b, 1);
        if (rc)
            return rc;
        if (shift > 63 || (shift == 63 && (b & 0x7e)))
            return tp_state_rd_fail(r, "a number too long (damaged)");
        *v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            return 0;
    }
}

/* The file offset of the next payload byte to be used. */
uint64_t tp_state_rd_offset(const struct tp_state_rd *r)
{
    return r->sec_start + (r->sec_len - r->left);
}

static int rd_u32(struct tp_state_rd *r, uint32_t *v)
{
    unsigned char b[4];
    int rc = tp_state_rd_get(r, b, 4);
    *v = rc ? 0 : tp_state_le32(b);
    return rc;
}

static int rd_u64(struct tp_state_rd *r, uint64_t *v)
{
    unsigned char b[8];
    int rc = tp_state_rd_get(r, b, 8);
    *v = rc ? 0 : tp_state_le64(b);
    return rc;
}

/* A string of at most max bytes (u32 length, bytes), NUL-terminated into a
 * buffer the caller frees. */
int tp_state_rd_str(struct tp_state_rd *r, size_t max, char **s, uint32_t *len)
{
    int rc = rd_u32(r, len);
    if (rc)
        return rc;
    if (*len > max || *len > r->left)
        return tp_state_rd_fail(r, "a string longer than its section (damaged)");
    if (!(*s = malloc(*len + 1)))
        return tp_error_set(r->err, TP_ENOMEM, "out of memory");
    if ((rc = tp_state_rd_get(r, *s, *len))) {
        free(*s);
        *s = NULL;
        return rc;
    }
    (*s)[*len] = '\0';
    return 0;
}

int tp_state_rd_term(struct tp_state_rd *r, const struct tp_state_stats *s, char **str,
                     uint32_t *len, uint64_t *first, uint64_t *total, uint64_t *df)
{
    int rc;
    *str = NULL;
    if ((rc = tp_state_rd_str(r, TP_STATE_MAX_TERM_BYTES, str, len)) ||
        (rc = tp_state_rd_var(r, first)) || (rc = tp_state_rd_var(r, total)) ||
        (rc = tp_state_rd_var(r, df)))
        goto fail;
    if (!*len || *first >= s->n_tokens || !*df || *df > *total || *total > s->n_tokens ||
        *df > s->n_docs) {
        rc = tp_state_rd_fail(r, "a term with impossible counts (damaged)");
        goto fail;
    }
    return 0;
fail:
    free(*str);
    *str = NULL;
    return rc;
}

int tp_state_rd_doc(struct tp_state_rd *r, const struct tp_state_stats *s, uint64_t *tokens,
                    char **str, uint32_t *len, unsigned char b[16], struct tp_date *date,
                    uint64_t *n_tokens)
{
    int rc;
    *str = NULL;
    if ((rc = tp_state_rd_str(r, TP_STATE_MAX_ID_BYTES, str, len)) ||
        (rc = tp_state_rd_get(r, b, 16)))
        goto fail;
    *n_tokens = tp_state_le64(b + 8);
    if (strlen(*str) != *len || tp_state_get_date(b, date) || b[7] > TP_LANG_NONE ||
        *n_tokens > s->n_tokens - *tokens) {
        rc = tp_state_rd_fail(r, "a document record is damaged");
        goto fail;
    }
    *tokens += *n_tokens;
    return 0;
fail:
    free(*str);
    *str = NULL;
    return rc;
}

/* The next section's header. */
static int sec_next(struct tp_state_rd *r)
{
    unsigned char b[16];
    r->tag[0] = '\0';
    int rc = rd_raw(r, b, 16);
    if (rc)
        return rc;
    memcpy(r->tag, b, 4);
    r->tag[4] = '\0';
    r->flags = tp_state_le32(b + 4);
    r->left = tp_state_le64(b + 8);
    if (r->left > r->size || r->at + r->left + 8 > r->size)
        return tp_state_rd_fail(r, "truncated");
    r->sec_start = r->at;
    r->sec_len = r->unread = r->left;
    r->bpos = r->blen = 0;
    XXH3_64bits_reset(r->h);
    return 0;
}

/* The end of the current section: all of it read, its checksum right. */
int tp_state_sec_end(struct tp_state_rd *r)
{
    unsigned char b[8];
    if (r->left)
        return tp_state_rd_fail(r, "bytes left over in a section (damaged)");
    int rc = rd_raw(r, b, 8);
    if (rc)
        return rc;
#ifndef TP_STATE_FUZZ /* the fuzz target reaches the parsers behind a mutated section */
    if (tp_state_le64(b) != XXH3_64bits_digest(r->h))
        return tp_state_rd_fail(r, "checksum mismatch (damaged)");
#endif
    return 0;
}

/* Pass over the current section's payload: read and its checksum checked
 * (verify; a section this run does not use is still checked, so a damaged
 * file is refused whatever the command), or only sought past. */
int tp_state_sec_skip_how(struct tp_state_rd *r, int verify)
{
    if (verify) {
        unsigned char buf[1 << 16];
        while (r->left) {
            size_t n = r->left < sizeof(buf) ? (size_t)r->left : sizeof(buf);
            int rc = tp_state_rd_get(r, buf, n);
            if (rc)
                return rc;
        }
        return tp_state_sec_end(r);
    }
    if (fseeko(r->f, (off_t)(r->left + 8), SEEK_CUR) != 0)
        return tp_error_set(r->err, TP_EIO, "%s: %s", r->path, strerror(errno));
    r->at += r->left + 8;
    r->left = 0;
    return 0;
}

int tp_state_sec_skip(struct tp_state_rd *r)
{
    return tp_state_sec_skip_how(r, 1);
}

/* Expect section tag next (optional sections of other tags are skipped). */
int tp_state_sec_expect(struct tp_state_rd *r, const char *tag)
{
    for (;;) {
        int rc = sec_next(r);
        if (rc)
            return rc;
        if (memcmp(r->tag, tag, 4) == 0)
            return 0;
        if (r->flags & TP_STATE_REQUIRED) {
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
        if ((rc = tp_state_sec_skip_how(r, 0)))
            return rc;
    }
}

int tp_state_rd_open(struct tp_state_rd *r, const char *path, struct tp_error *err)
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
        return tp_state_rd_fail(r, "truncated");
    r->at = 16;
    uint32_t version = tp_state_le32(b + 8);
    if (version > TP_STATE_VERSION)
        return tp_error_set(err, TP_EPARSE,
                            "%s: written by a newer tempora (format version %u; this version "
                            "reads up to %u)",
                            path, version, TP_STATE_VERSION);
    if (version == 0)
        return tp_error_set(err, TP_EPARSE, "%s: not a usable count state: version 0", path);
    r->version = version;
    return 0;
}

void tp_state_rd_close(struct tp_state_rd *r)
{
    if (r->f)
        fclose(r->f);
    XXH3_freeState(r->h);
    free(r->buf);
}

int tp_state_detect(const char *path)
{
    /* a state is a regular file: anything else (a FIFO, a terminal, a
     * process substitution) is never opened here, since a read would take
     * bytes the counting reader needs, and the open of a FIFO would wait for
     * its writer */
    struct stat st;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char b[8];
    int is = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, b, 8) == 8 &&
             memcmp(b, TP_STATE_MAGIC, 8) == 0;
    close(fd);
    return is;
}

/* --- the head: options, statistics, stopwords ------------------------------ */

void tp_state_hdr_free(struct tp_state_hdr *h)
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

const char *tp_state_hdr_opt(const struct tp_state_hdr *h, const char *key)
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

int tp_state_rd_head(struct tp_state_rd *r, struct tp_state_hdr *h)
{
    int rc;
    uint32_t n, len;
    memset(h, 0, sizeof(*h));
    if ((rc = tp_state_sec_expect(r, "OPTS")) || (rc = rd_u32(r, &n)))
        return rc;
    if (n > 4096)
        return tp_state_rd_fail(r, "too many options (damaged)");
    if (!(h->kv = calloc(n ? n : 1, sizeof(*h->kv))))
        return tp_error_set(r->err, TP_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        uint32_t req;
        if ((rc = rd_u32(r, &req)) ||
            (rc = tp_state_rd_str(r, TP_STATE_MAX_OPT_BYTES, &h->kv[i].key, &len)))
            return rc;
        h->n_kv = i + 1;
        if ((rc = tp_state_rd_str(r, TP_STATE_MAX_OPT_BYTES, &h->kv[i].val, &len)))
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
    if ((rc = tp_state_sec_end(r)) || (rc = tp_state_sec_expect(r, "STAT")))
        return rc;
    uint64_t *st = (uint64_t *)&h->st;
    _Static_assert(sizeof(struct tp_state_stats) == TP_STATE_N_STAT * sizeof(uint64_t),
                   "stat record");
    for (int i = 0; i < TP_STATE_N_STAT; i++)
        if ((rc = rd_u64(r, &st[i])))
            return rc;
    /* version 2: what the state no longer holds exactly (merge --replace) */
    if (r->version >= 2) {
        uint64_t lost;
        if ((rc = rd_u64(r, &lost)))
            return rc;
        if (lost & ~(uint64_t)(TP_STATE_LOST_PAIRS | TP_STATE_LOST_FIRST))
            return tp_error_set(r->err, TP_EPARSE,
                                "%s: written by a newer tempora (it says it lost counts this "
                                "version does not know of)",
                                r->path);
        h->lost = (unsigned)lost;
    }
    /* later versions may append statistics */
    while (r->left >= 8) {
        uint64_t v;
        if ((rc = rd_u64(r, &v)))
            return rc;
    }
    if ((rc = tp_state_sec_end(r)) || (rc = tp_state_sec_expect(r, "STOP")) || (rc = rd_u32(r, &n)))
        return rc;
    if (n > r->left / 4)
        return tp_state_rd_fail(r, "too many stopwords (damaged)");
    if (!(h->stop = calloc(n ? n : 1, sizeof(*h->stop))))
        return tp_error_set(r->err, TP_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = tp_state_rd_str(r, TP_STATE_MAX_TERM_BYTES, &h->stop[i], &len)))
            return rc;
        h->n_stop = i + 1;
    }
    if ((rc = tp_state_sec_end(r)))
        return rc;
    const struct tp_state_stats *s = &h->st;
    /* what the sections can hold at most (a term takes 8 bytes or more, a
     * document 20, an n-gram 4, a pair 3): nothing is allocated past it */
    if (s->n_terms > UINT32_MAX || s->n_ngrams > UINT32_MAX || s->lang > 31 ||
        s->n_terms > s->n_tokens || s->n_terms > r->size / 8 || s->n_docs > r->size / 20 ||
        s->n_ngrams > r->size / 4 || s->n_pairs > r->size / 3)
        return tp_state_rd_fail(r, "impossible totals (damaged)");
    return 0;
}

int tp_state_parse_uint(const char *s, unsigned long max, unsigned long *v)
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
    struct tp_state_rd r;
    struct tp_state_hdr h = {0};
    memset(out, 0, sizeof(*out));
    int rc = tp_state_rd_open(&r, path, err);
    if (!rc)
        rc = tp_state_rd_head(&r, &h);
    unsigned long v;
    if (!rc) {
        const char *lang = tp_state_hdr_opt(&h, "lang");
        if (!lang || tp_lang_from_name(lang, &out->lang) != 0)
            rc = tp_error_set(err, TP_EPARSE, "%s: not a usable count state: no language", path);
        out->extra_langs = (unsigned)h.st.extra_langs;
        const char *c = tp_state_hdr_opt(&h, "case"), *nz = tp_state_hdr_opt(&h, "normalize"),
                   *sh = tp_state_hdr_opt(&h, "split_hyphens");
        out->keep_case = c && strcmp(c, "keep") == 0;
        out->nfkc = nz && strcmp(nz, "nfkc") == 0;
        out->split_hyphens = sh && strcmp(sh, "yes") == 0;
        out->min_length =
            tp_state_parse_uint(tp_state_hdr_opt(&h, "min_length"), 1000, &v) ? 0 : (int)v;
        out->window = tp_state_parse_uint(tp_state_hdr_opt(&h, "window"), TP_WINDOW_MAX, &v)
                          ? 0
                          : (unsigned)v;
        out->ngram =
            tp_state_parse_uint(tp_state_hdr_opt(&h, "ngram"), TP_KEY_MAX, &v) ? 1 : (unsigned)v;
        out->encoding = 0;
        const char *enc = tp_state_hdr_opt(&h, "encoding");
        static const char *const encs[] = {"auto", "utf-8", "latin-1", "cp1252"};
        for (int i = 0; enc && i < 4; i++)
            if (strcmp(enc, encs[i]) == 0)
                out->encoding = i;
        out->lost = h.lost;
        if (!rc) {
            out->stop = h.stop;
            out->n_stop = h.n_stop;
            h.stop = NULL;
            h.n_stop = 0;
        }
    }
    tp_state_hdr_free(&h);
    tp_state_rd_close(&r);
    return rc;
}

void tp_state_head_release(struct tp_state_head *h)
{
    for (size_t i = 0; i < h->n_stop; i++)
        free(h->stop[i]);
    free(h->stop);
    memset(h, 0, sizeof(*h));
}

int tp_state_each_id(const char *path, tp_state_id_fn *fn, void *ctx, struct tp_error *err)
{
    struct tp_state_rd r;
    struct tp_state_hdr h = {0};
    char *str = NULL;
    int rc = tp_state_rd_open(&r, path, err);
    if (rc || (rc = tp_state_rd_head(&r, &h)))
        goto out;
    const char *tags[] = {"TERM", "NGRM", "PAIR"};
    for (int i = 0; i < 3; i++)
        if ((rc = tp_state_sec_expect(&r, tags[i])) || (rc = tp_state_sec_skip_how(&r, 0)))
            goto out;
    if ((rc = tp_state_sec_expect(&r, "DOCS")))
        goto out;
    for (uint64_t d = 0; d < h.st.n_docs; d++) {
        uint32_t len;
        unsigned char b[16];
        if ((rc = tp_state_rd_str(&r, TP_STATE_MAX_ID_BYTES, &str, &len)) ||
            (rc = tp_state_rd_get(&r, b, 16)))
            goto out;
        if ((rc = fn(ctx, str, (size_t)d)))
            goto out;
        free(str);
        str = NULL;
    }
    rc = tp_state_sec_end(&r);
out:
    free(str);
    tp_state_hdr_free(&h);
    tp_state_rd_close(&r);
    return rc;
}
