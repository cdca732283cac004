/*
 * state_load.c - a count state loaded into a run (tp_state_load, state.h).
 *
 * tp_state_load reads the file with state_read.c's section reader, checks
 * the options it was counted with against the run's (check_opts, the
 * options as state_write.c records them), builds a corpus (the run's
 * counting options and listed terms) from the state's tables and
 * documents, points its counters' spill at the state file itself
 * (per-document lists are scanned once, to check them and to find each
 * document's record, and read again by the reports as any spill), and
 * merges it into the run's corpus, so a state is one more corpus part in
 * argument order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counts_int.h"
#include "state_int.h"

/* --- the state's options against the run's ------------------------------ */

/* The state's counting options against the run's: TP_EDATA naming the first
 * that differs. */
int tp_state_check_opts(const struct tp_run *run, const struct tp_state_hdr *h, const char *path,
                        struct tp_error *err)
{
    struct tp_state_opt o[TP_STATE_N_OPTS];
    size_t n = tp_state_run_opts(run, o);
    for (size_t i = 0; i < n; i++) {
        const char *want = o[i].text ? o[i].text : o[i].val, *have = tp_state_hdr_opt(h, o[i].key);
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

/* --- loading a state into a run ------------------------------------------- */

/* Scan a spill section: each document's record (8-byte header: encoded
 * length, entries; then id/count varints) is checked and its place noted
 * in k. n_ids: ids must be below it; check_tokens: each document's counts
 * must sum to its token count (1; its term list) or to at most that (2; its
 * n-gram list: an n-gram starts at a token), or are not summed (0). sc:
 * the listed terms counted from the lists, may be NULL. */
struct scan_ctx {
    struct tp_corpus *c;
    const uint32_t *map;
};

static int scan_list(const unsigned char *p, size_t len, uint32_t n, uint64_t n_ids, uint64_t *sum,
                     struct scan_ctx *sc, const struct tp_docrec *doc)
{
    if (len < (size_t)n * 5)
        return -1;
    if (n == 0) { /* an empty document's list: p may be NULL */
        *sum = 0;
        return len == 0 ? 0 : -1;
    }
    const unsigned char *cb = p + (size_t)n * 4, *q = cb + n, *end = p + len;
    *sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = tp_state_le32(p + (size_t)i * 4);
        uint64_t v = cb[i];
        if (id >= n_ids || v == 0)
            return -1;
        if (v == TP_STATE_SPILL_BIG) {
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
            if (x > UINT64_MAX - TP_STATE_SPILL_BIG)
                return -1;
            v = TP_STATE_SPILL_BIG + x;
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

int tp_state_check_list(const unsigned char *p, size_t len, uint32_t n, uint64_t n_ids,
                        uint64_t *sum)
{
    return scan_list(p, len, n, n_ids, sum, NULL, NULL);
}

static int scan_spill(struct tp_state_rd *r, struct tp_counter *k, const struct tp_docrec *docs,
                      size_t n_docs, uint64_t n_ids, int check_tokens, struct scan_ctx *sc)
{
    unsigned char *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    if (k && tp_counter_reserve_docs(k, n_docs))
        return tp_error_set(r->err, TP_ENOMEM, "out of memory");
    for (size_t d = 0; d < n_docs; d++) {
        unsigned char hdr[8];
        uint64_t off = tp_state_rd_offset(r);
        if ((rc = tp_state_rd_get(r, hdr, 8)))
            break;
        uint32_t len = tp_state_le32(hdr), n = tp_state_le32(hdr + 4);
        if ((uint64_t)n * 5 > len || len > (uint64_t)n * 15 || len > r->left) {
            rc = tp_state_rd_fail(r, "a document's list is damaged");
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
        if ((rc = tp_state_rd_get(r, buf, len)))
            break;
        uint64_t sum;
        if (scan_list(buf, len, n, n_ids, &sum, sc, &docs[d]) ||
            (check_tokens == 1 && sum != docs[d].n_tokens) ||
            (check_tokens == 2 && sum > docs[d].n_tokens)) {
            rc = tp_state_rd_fail(r, "a document's list is damaged");
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

/* Make the files of l the spill of counter k (tempora-mpi's hand-over, no
 * lists in the state): each file's ids through its map then smap (the
 * state's n_s ids -> k's), its documents' places as l gives them. The
 * descriptors taken over are set to -1 in l. */
static int adopt_lists(struct tp_counter *k, struct tp_state_lists *l, const uint32_t *smap,
                       size_t n_s, size_t n_docs, const char *path, struct tp_error *err)
{
    if (l->n_files == 0 || l->n_files > UINT16_MAX || l->n_docs != n_docs)
        return tp_error_set(err, TP_EINTERNAL,
                            "%s: the per-document lists handed over do not match", path);
    for (size_t d = 0; d < n_docs; d++)
        if (l->file_of[d] >= l->n_files)
            return tp_error_set(err, TP_EINTERNAL,
                                "%s: the per-document lists handed over do not match", path);
    struct tp_spill_file *files = calloc(l->n_files, sizeof(*files));
    if (!files || tp_counter_reserve_docs(k, n_docs)) {
        free(files);
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < l->n_files && !rc; i++) {
        size_t n = l->map_n[i];
        uint32_t *m = malloc((n ? n : 1) * sizeof(*m));
        if (!m) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            break;
        }
        /* an id no list holds (a listed term never seen) maps anywhere */
        for (size_t x = 0; x < n; x++)
            m[x] = l->map[i][x] < n_s ? smap[l->map[i][x]] : 0;
        FILE *f = fdopen(l->fd[i], "rb");
        if (!f) {
            free(m);
            rc = tp_error_set(err, TP_EIO, "%s: per-document lists: %s", path, strerror(errno));
            break;
        }
        l->fd[i] = -1;
        files[i] = (struct tp_spill_file){f, NULL, m, n};
    }
    if (rc) {
        for (size_t i = 0; i < l->n_files; i++) {
            if (files[i].f)
                fclose(files[i].f);
            free(files[i].map);
        }
        free(files);
        return rc;
    }
    tp_counter_close_files(k);
    k->files = files;
    k->n_files = l->n_files;
    k->spill = files[0].f;
    k->spill_bytes = 0;
    if (n_docs) {
        memcpy(k->offs, l->offs, n_docs * sizeof(*k->offs));
        memcpy(k->lens, l->lens, n_docs * sizeof(*k->lens));
        memcpy(k->file_of, l->file_of, n_docs * sizeof(*k->file_of));
    }
    k->n_offs = n_docs;
    return 0;
}

int tp_state_get_date(const unsigned char *b, struct tp_date *d)
{
    uint32_t year = tp_state_le32(b);
    unsigned month = b[4], day = b[5], prec = b[6];
    if (prec == TP_PREC_NONE ? year || month || day : prec > TP_PREC_DAY || year < 1 || year > 9999)
        return -1;
    if (prec >= TP_PREC_MONTH ? month < 1 || month > 12 : month != 0)
        return -1;
    if (prec >= TP_PREC_DAY ? day < 1 || day > 31 : day != 0)
        return -1;
    *d = (struct tp_date){(int16_t)year, (int8_t)month, (int8_t)day, (uint8_t)prec};
    return 0;
}

/* Read the state r (its head h already read) into corpus c. */
static int load_body(struct tp_state_rd *r, const struct tp_state_hdr *h, struct tp_corpus *c,
                     int side, const struct tp_run *run, struct tp_state_lists *lists,
                     uint32_t **map_out)
{
    const struct tp_state_stats *s = &h->st;
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
    if (!tp_state_parse_uint(tp_state_hdr_opt(h, "ngram"), TP_KEY_MAX, &v))
        st_ng = (unsigned)v;
    if (!tp_state_parse_uint(tp_state_hdr_opt(h, "window"), TP_WINDOW_MAX, &v))
        st_w = (unsigned)v;

    /* terms */
    if ((rc = tp_state_sec_expect(r, "TERM")))
        return rc;
    if (n_terms > r->left / 8)
        return tp_state_rd_fail(r, "more terms than the section holds (damaged)");
    uint64_t n_seen_before = c->r.n_types;
    for (size_t i = 0; i < n_terms; i++) {
        uint32_t len;
        uint64_t first, total, df;
        if ((rc = tp_state_rd_term(r, s, &str, &len, &first, &total, &df)))
            goto out;
        int64_t id = tp_corpus_intern(c, str, len);
        free(str);
        str = NULL;
        if (id < 0) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        if (c->r.terms.terms[id].flags & TP_TERM_SEEN) {
            rc = tp_state_rd_fail(r, "a term given twice (damaged)");
            goto out;
        }
        tp_corpus_mark_seen(c, (uint32_t)id, first);
        c->r.uni.total[id] = total;
        c->r.uni.df[id] = df;
        map[i] = (uint32_t)id;
    }
    (void)n_seen_before;
    if ((rc = tp_state_sec_end(r)))
        goto out;

    /* n-grams */
    if ((rc = tp_state_sec_expect(r, "NGRM")))
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
            rc = tp_state_rd_fail(r, "more n-grams than the section holds (damaged)");
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
                if ((rc = tp_state_rd_var(r, &w)))
                    goto out;
                if (w >= n_terms) {
                    rc = tp_state_rd_fail(r, "an n-gram of unknown terms (damaged)");
                    goto out;
                }
                key[i] = map[w];
            }
            if ((rc = tp_state_rd_var(r, &total)) || (rc = tp_state_rd_var(r, &df)))
                goto out;
            int64_t id = tp_tuples_intern(&c->r.ngrams, key);
            if (id < 0) {
                c->r.ngrams_full |= id == TP_EDATA;
                rc = tp_corpus_oom(c, err);
                goto out;
            }
            if ((size_t)id != g || !df || df > total || total > s->n_tokens) {
                rc = tp_state_rd_fail(r,
                                      "an n-gram given twice or with impossible counts (damaged)");
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
        if ((rc = tp_state_sec_end(r)))
            goto out;
    } else if ((rc = tp_state_sec_skip(r))) {
        goto out;
    }

    /* pairs */
    if ((rc = tp_state_sec_expect(r, "PAIR")))
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
            rc = tp_state_rd_fail(r, "more pairs than the section holds (damaged)");
            goto out;
        }
        for (uint64_t p = 0; p < s->n_pairs; p++) {
            uint64_t w1, w2, n;
            if ((rc = tp_state_rd_var(r, &w1)) || (rc = tp_state_rd_var(r, &w2)) ||
                (rc = tp_state_rd_var(r, &n)))
                goto out;
            if (w1 >= n_terms || w2 >= n_terms || !n) {
                rc = tp_state_rd_fail(r, "a pair of unknown terms (damaged)");
                goto out;
            }
            int prc = tp_pairs_add(&c->r.pairs, map[(uint32_t)w1], map[(uint32_t)w2], n);
            if (prc) {
                c->r.pairs_full |= prc == TP_EDATA;
                rc = tp_corpus_oom(c, err);
                goto out;
            }
        }
        if ((rc = tp_state_sec_end(r)))
            goto out;
    } else if ((rc = tp_state_sec_skip(r))) {
        goto out;
    }

    /* documents */
    if ((rc = tp_state_sec_expect(r, "DOCS")))
        goto out;
    if (s->n_docs > r->left / 20) {
        rc = tp_state_rd_fail(r, "more documents than the section holds (damaged)");
        goto out;
    }
    uint64_t tokens = 0;
    if (tp_corpus_reserve_docs(c, (size_t)s->n_docs)) {
        rc = tp_error_set(err, TP_ENOMEM, "out of memory");
        goto out;
    }
    for (uint64_t d = 0; d < s->n_docs; d++) {
        uint32_t len;
        unsigned char b[16];
        struct tp_date dt;
        uint64_t nt;
        if ((rc = tp_state_rd_doc(r, s, &tokens, &str, &len, b, &dt, &nt)))
            goto out;
        if (tp_corpus_begin(c, str, &dt, side)) {
            rc = tp_error_set(err, TP_ENOMEM, "out of memory");
            goto out;
        }
        free(str);
        str = NULL;
        tp_corpus_set_doc_lang(c, (enum tp_lang)b[7]);
        c->r.docs[c->r.n_docs].n_tokens = nt;
        c->r.n_docs++;
        c->in_doc = 0;
    }
    if (tokens != s->n_tokens) {
        rc = tp_state_rd_fail(r, "document lengths do not add up (damaged)");
        goto out;
    }
    c->r.n_tokens = s->n_tokens;
    if ((rc = tp_state_sec_end(r)))
        goto out;

    /* per-document lists: terms, then n-grams */
    if ((rc = tp_state_sec_expect(r, "USPL")))
        goto out;
    struct scan_ctx sc = {c, map};
    if (lists) { /* handed over: the lists are where they were counted */
        if (c->r.n_match) {
            rc = tp_error_set(err, TP_EINTERNAL, "%s: listed terms need the lists' bytes", r->path);
            goto out;
        }
        if ((rc = tp_state_sec_end(r)) ||
            (run->count_opts.spill &&
             (rc = adopt_lists(&c->r.uni, &lists[0], map, n_terms, c->r.n_docs, r->path, err))))
            goto out;
    } else if (run->count_opts.spill || c->r.n_match) {
        if ((rc = scan_spill(r, run->count_opts.spill ? &c->r.uni : NULL, c->r.docs, c->r.n_docs,
                             n_terms, 1, c->r.n_match ? &sc : NULL)) ||
            (rc = tp_state_sec_end(r)))
            goto out;
        if (run->count_opts.spill) {
            if ((rc = adopt_file(&c->r.uni, r->path, map, n_terms, err)))
                goto out;
            *map_out = NULL; /* the counter owns it */
        }
    } else if ((rc = tp_state_sec_skip(r))) {
        goto out;
    }
    if ((rc = tp_state_sec_expect(r, "GSPL")))
        goto out;
    if (lists && ng && run->count_opts.spill) {
        if ((rc = tp_state_sec_end(r)) ||
            (rc = adopt_lists(&c->r.ng, &lists[1], gmap, s->n_ngrams, c->r.n_docs, r->path, err)))
            goto out;
    } else if (lists) {
        if ((rc = tp_state_sec_end(r)))
            goto out;
    } else if (ng && run->count_opts.spill) {
        if ((rc = scan_spill(r, &c->r.ng, c->r.docs, c->r.n_docs, s->n_ngrams, 2, NULL)) ||
            (rc = tp_state_sec_end(r)))
            goto out;
        if ((rc = adopt_file(&c->r.ng, r->path, gmap, s->n_ngrams, err)))
            goto out;
        gmap = NULL;
    } else if ((rc = tp_state_sec_skip(r))) {
        goto out;
    }
    if ((rc = tp_state_sec_expect(r, "END ")) || (rc = tp_state_sec_end(r)))
        goto out;
    if (r->at != r->size) {
        r->tag[0] = '\0';
        rc = tp_state_rd_fail(r, "bytes after its end");
        goto out;
    }
    c->r.pairs_full |= s->pairs_full != 0;
    c->r.ngrams_full |= s->ngrams_full != 0;
out:
    free(str);
    free(gmap);
    return rc;
}

static int load(struct tp_run *run, const char *path, int side, struct tp_state_lists *lists,
                struct tp_error *err)
{
    struct tp_state_rd r;
    struct tp_state_hdr h = {0};
    struct tp_corpus *c = NULL;
    uint32_t *map = NULL;
    struct tp_counts *dst = tp_corpus_counts(run->corpus);
    int rc = tp_state_rd_open(&r, path, err);
    if (rc || (rc = tp_state_rd_head(&r, &h)) || (rc = tp_state_check_opts(run, &h, path, err)))
        goto out;
    if ((rc = tp_corpus_new(&c, &run->count_opts, err)))
        goto out;
    /* the run's listed terms, in its order: single words are counted from
     * the documents' lists */
    for (size_t m = 0; m < dst->n_match; m++) {
        const char *toks[TP_KEY_MAX];
        size_t lens[TP_KEY_MAX];
        unsigned n = dst->match_len[m];
        if (dst->match_prefix && dst->match_prefix[m]) {
            /* a pattern: its terms are found in the lists at report time */
            if (tp_corpus_add_prefix(c, dst->match_prefix[m], strlen(dst->match_prefix[m])) < 0) {
                rc = tp_error_set(err, TP_ENOMEM, "out of memory");
                goto out;
            }
            continue;
        }
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
    if ((rc = load_body(&r, &h, c, side, run, lists, &map)))
        goto out;
    if ((rc = tp_corpus_merge(run->corpus, c, err)))
        goto out;
    dst->pairs_full |= c->r.pairs_full;
    dst->ngrams_full |= c->r.ngrams_full;
    run->state_lost |= h.lost;
    const struct tp_state_stats *s = &h.st;
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
    tp_state_hdr_free(&h);
    tp_state_rd_close(&r);
    return rc;
}

int tp_state_load(struct tp_run *run, const char *path, int side, const uint8_t *skip,
                  struct tp_error *err)
{
    (void)skip;
    return load(run, path, side, NULL, err);
}

int tp_state_load_handover(struct tp_run *run, const char *path, struct tp_state_lists lists[2],
                           struct tp_error *err)
{
    int rc = load(run, path, 0, lists, err);
    for (int j = 0; j < 2; j++)
        for (size_t i = 0; lists[j].fd && i < lists[j].n_files; i++)
            if (lists[j].fd[i] >= 0) {
                close(lists[j].fd[i]);
                lists[j].fd[i] = -1;
            }
    return rc;
}
