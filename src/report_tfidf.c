/*
 * report_tfidf.c - tfidf.csv: the top terms of each document by TF-IDF.
 * idf comes from the document frequencies, so the spill is read after
 * counting, in blocks of documents on several threads, rows written in
 * document order.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "stats.h"
#include "xlsx.h"

/* The tf weight of a count (--tf). */
static double tf_weight(enum tp_tf tf, uint64_t count)
{
    return tf == TP_TF_LOG ? 1 + log((double)count) : tf == TP_TF_BOOL ? 1 : (double)count;
}

/* Whether the tf column of a count is the count as an integer (what
 * tp_out_double writes for a whole number below 10^15, without a double). */
static int tf_as_count(enum tp_tf tf, uint64_t count)
{
    return tf == TP_TF_RAW && count < 1000000000000000ull;
}

/* The tf column of a count. */
static void out_tf(struct tp_out *out, enum tp_tf tf, uint64_t count)
{
    if (tf_as_count(tf, count))
        tp_out_u64(out, count);
    else
        tp_out_double(out, tf_weight(tf, count));
}

/* What every document's TF-IDF rows need, shared read-only by the threads. */
struct tfidf_ctx {
    const struct tp_opts *o;
    const struct tp_counts *c;
    const double *idf; /* by term id */
    /* by term id, what weighing needs of it in one array (tfidf_weigh_top):
     * its idf when it may be reported, -idf when it is too short (weighed
     * into the norm, not reported), 0 for a stopword (neither) */
    const double *code;
    size_t top;
    const struct tp_groups *gs; /* --group-by: a first column group, groups by name */
    const struct tp_ids *ids;   /* terms, or n-grams */
};

/* idf values as written, by document frequency modulo the cache's size (a
 * term's idf is a function of its df): the rows of a document's top are of
 * rare terms, whose few small dfs keep their idf formatted once instead of
 * once a row. */
enum { IDF_CACHE = 4096 };
struct idf_text {
    uint64_t df1; /* df + 1; 0 = empty */
    uint8_t len;
    char s[27];
};

/* --group-by: a row kept to be written once every document is done (the
 * rows go out group by group, and a row kept this way is a third of its
 * text: less memory to touch than the text of every group held apart). */
struct trow {
    uint32_t id;  /* term (or n-gram) id */
    uint32_t doc; /* document index */
    uint64_t count;
    double tfidf;
};

/* Scratch of one thread: a document's rows and weights. */
struct tfidf_scratch {
    struct row *rows;
    double *w;
    size_t cap;
    struct idf_text *idf_cache; /* IDF_CACHE entries, or NULL */
    struct tp_cells pre;        /* the document's id and date, rendered once for its rows */
    struct trow *kept;          /* --group-by: the rows of the thread's documents, in order */
    size_t n_kept, kept_cap;
    uint64_t n_written; /* rows written or kept so far */
    int keep;           /* keep the rows (as under --group-by) instead of writing them */
};

/* The idf of term id, whose document frequency is df, as written: from
 * s's cache, or formatted into buf (40 bytes) when it has none or the text
 * is too long for it; its length in *n. */
static const char *idf_text(const double *idf, uint32_t id, uint64_t df, struct tfidf_scratch *s,
                            char *buf, size_t *n)
{
    if (!s->idf_cache && !(s->idf_cache = calloc(IDF_CACHE, sizeof(*s->idf_cache)))) {
        *n = tp_format_double(idf[id], buf);
        return buf;
    }
    struct idf_text *e = &s->idf_cache[df % IDF_CACHE];
    if (e->df1 != df + 1) {
        *n = tp_format_double(idf[id], buf);
        if (*n >= sizeof(e->s))
            return buf;
        memcpy(e->s, buf, *n);
        e->len = (uint8_t)*n;
        e->df1 = df + 1;
    }
    *n = e->len;
    return e->s;
}

/* The idf of term id, whose document frequency is df. */
static void out_idf(struct tp_out *out, const double *idf, uint32_t id, uint64_t df,
                    struct tfidf_scratch *s)
{
    char buf[40];
    size_t n;
    const char *t = idf_text(idf, id, df, s, buf, &n);
    tp_out_number(out, t, n);
}

/* Ids of a document's list between a term's record asked for and used: a
 * news article's terms are most of them rare, their idf a miss (16 against
 * 8: tfidf --threads 1 on the 200,000-article archive, 3 sets of 7 to 9
 * interleaved runs, minimum 1-4% lower; the KJV's chapters the same). */
enum { TFIDF_AHEAD = 16 };

/* The largest --top that tfidf_weigh_top serves. */
enum { TOP_FAST = 32 };

/* The weights of ids/cnt[0..n) into w; returns the sum tfidf_weigh_top
 * normalizes with (of w^2, or |w|), and best[0..k) (zeros on entry) gets the
 * k largest positive weights, in order. A weight enters best without a
 * branch on where: each slot keeps the larger of itself and the smaller of
 * the slot before and the weight, which shifts the slots past the weight's
 * place and leaves the others. Inlined with tf and l2 known, so the loop
 * reads neither. */
static inline __attribute__((always_inline)) double
weigh_into(enum tp_tf tf, int l2, const double *code, const struct tp_term *terms,
           const uint32_t *ids, const uint64_t *cnt, size_t n, double *w, double *best, size_t k)
{
    double norm = 0;
    for (size_t j = 0; j < n; j++) {
        if (j + TFIDF_AHEAD < n)
            __builtin_prefetch(&code[ids[j + TFIDF_AHEAD]]);
        double wj = tf_weight(tf, cnt[j]) * code[ids[j]];
        w[j] = wj;
        norm += l2 ? wj * wj : fabs(wj);
        if (wj > best[k - 1]) {
            /* likely a row: its name will be read once the weighing is done */
            __builtin_prefetch(&terms[ids[j]]);
            for (size_t i = k - 1; i > 0; i--) {
                double m = best[i - 1] < wj ? best[i - 1] : wj;
                best[i] = best[i] > m ? best[i] : m;
            }
            best[0] = best[0] > wj ? best[0] : wj;
        }
    }
    return norm;
}

/* Weigh a document's list ids/cnt[0..n) and put its top rows first in
 * s->rows; returns how many (tfidf_weigh_all's rows, found with less work).
 *
 * A row's key is w / norm, and a division rounded to nearest never orders
 * two weights the other way round, so the top rows are among the best by
 * weight: the k-th best weight wk is found while weighing (an insertion
 * into k doubles, which most terms fail at once), and only the rows whose
 * weight is at least wk (1 - 2^-48) are divided and ranked by key and name.
 * Two weights whose quotients are equal differ by at most about 2^-52 of
 * themselves, so every row left out has a key below that of the k rows of
 * weight wk or more: the first k by key and name are the same. Terms that
 * cannot be in the top are never divided, and their names never read.
 *
 * x->code makes the loops free of branches a term's kind would mispredict:
 * a stopword weighs 0, which adds nothing to the norm (a sum of w^2 or |w|,
 * so the same sum to the bit), and a short term weighs -w, which adds w^2 or
 * |w| as a positive w would; only positive weights may be reported. */
static size_t tfidf_weigh_top(const struct tfidf_ctx *x, const uint32_t *ids, const uint64_t *cnt,
                              size_t n, struct tfidf_scratch *s)
{
    const struct tp_opts *o = x->o;
    double *w = s->w;
    double best[TOP_FAST] = {0}; /* the k best positive weights so far, in order; 0: none */
    size_t k = x->top;
    double norm = o->tf == TP_TF_RAW && o->norm == TP_NORM_L2
                      ? weigh_into(TP_TF_RAW, 1, x->code, x->ids->terms, ids, cnt, n, w, best, k)
                      : weigh_into(o->tf, o->norm == TP_NORM_L2, x->code, x->ids->terms, ids, cnt,
                                   n, w, best, k);
    norm = o->norm == TP_NORM_L2 ? sqrt(norm) : o->norm == TP_NORM_L1 ? norm : 1;
    /* (fewer than k positive weights: every one; a term of a document has
     * an idf of at least 1, so a reported term's weight is never 0) */
    double least = best[k - 1] == 0 ? 0x1p-1074 : best[k - 1] * (1 - 0x1p-48);
    const struct tp_term *terms = x->ids->terms;
    struct row *rows = s->rows;
    size_t m = 0;
    for (size_t j = 0; j < n; j++) {
        rows[m].id = (uint32_t)j;
        m += w[j] >= least;
    }
    /* (their term records were asked for as their weights entered the top) */
    for (size_t r = 0; r < m; r++) {
        size_t j = rows[r].id;
        const struct tp_term *t = &terms[ids[j]];
        /* the names' misses overlapped, not one at a time as rows are written */
        __builtin_prefetch(t->bytes);
        rows[r] = (struct row){w[j] / norm, t->bytes, t->len, (uint32_t)j};
    }
    return tp_rows_top(rows, m, tp_report_limit((long)k, m));
}

/* Weigh a document's list ids/cnt[0..n), every row's key, and put its top
 * rows first in s->rows; returns how many. */
static size_t tfidf_weigh_all(const struct tfidf_ctx *x, const uint32_t *ids, const uint64_t *cnt,
                              size_t n, struct tfidf_scratch *s)
{
    const struct tp_opts *o = x->o;
    struct row *rows = s->rows;
    double *w = s->w;
    double norm = 0;
    size_t n_rows = 0;
    const struct tp_term *terms = x->ids->terms;
    for (size_t j = 0; j < n; j++) {
        /* a document's ids are spread over the vocabulary: ask for the
         * records of a later one while this one is weighed */
        if (j + TFIDF_AHEAD < n) {
            __builtin_prefetch(&terms[ids[j + TFIDF_AHEAD]]);
            __builtin_prefetch(&x->idf[ids[j + TFIDF_AHEAD]]);
        }
        const struct tp_term *t = &terms[ids[j]];
        if (t->flags & TP_TERM_STOP)
            continue;
        w[j] = tf_weight(o->tf, cnt[j]) * x->idf[ids[j]];
        norm += o->norm == TP_NORM_L2 ? w[j] * w[j] : fabs(w[j]);
        if (!(t->flags & TP_TERM_SHORT)) {
            /* ties in weight are ordered by name: the rare terms that make
             * a document's top often tie */
            __builtin_prefetch(t->bytes);
            rows[n_rows++] = (struct row){0, t->bytes, t->len, (uint32_t)j};
        }
    }
    norm = o->norm == TP_NORM_L2 ? sqrt(norm) : o->norm == TP_NORM_L1 ? norm : 1;
    for (size_t r = 0; r < n_rows; r++)
        rows[r].key = norm > 0 ? w[rows[r].id] / norm : 0;
    return tp_rows_top(rows, n_rows, tp_report_limit((long)x->top, n_rows));
}

/* The most bytes of a row tfidf_doc composes in place: the document's
 * cells pre, the term's name of name_len bytes, three counts, three numbers
 * of tp_format_double (40 bytes with its NUL), separators and '\n'. */
static size_t tfidf_row_max(const struct tp_cells *pre, size_t name_len)
{
    return pre->len + tp_out_row_text_max(name_len) + 4 * TP_OUT_ROW_U64_MAX + 3 * 40 + 8;
}

/* The rows of document d, whose list is ids/cnt[0..n), written to out. */
static int tfidf_doc(const struct tfidf_ctx *x, size_t d, const uint32_t *ids, const uint64_t *cnt,
                     size_t n, struct tfidf_scratch *s, struct tp_out *out, struct tp_error *err)
{
    const struct tp_counts *c = x->c;
    if (n > s->cap) {
        free(s->rows);
        free(s->w);
        s->rows = malloc(n * sizeof(*s->rows));
        s->w = malloc(n * sizeof(*s->w));
        s->cap = n;
        if (!s->rows || !s->w) {
            s->cap = 0;
            return tp_report_oom(err);
        }
    }
    struct row *rows = s->rows;
    size_t n_out =
        x->code ? tfidf_weigh_top(x, ids, cnt, n, s) : tfidf_weigh_all(x, ids, cnt, n, s);
    for (size_t r = 0; r < n_out; r++) /* what the rows will write */
        __builtin_prefetch(&x->ids->k->df[ids[rows[r].id]]);
    if (x->gs || s->keep) {
        /* kept, written by tfidf_write_kept (or tfidf_write_run) */
        if (s->n_kept + n_out > s->kept_cap) {
            size_t cap = s->kept_cap ? 2 * s->kept_cap : 4096;
            while (cap < s->n_kept + n_out)
                cap *= 2;
            struct trow *k = realloc(s->kept, cap * sizeof(*k));
            if (!k)
                return tp_report_oom(err);
            s->kept = k;
            s->kept_cap = cap;
        }
        for (size_t r = 0; r < n_out; r++)
            s->kept[s->n_kept++] =
                (struct trow){ids[rows[r].id], (uint32_t)d, cnt[rows[r].id], rows[r].key};
        s->n_written += n_out;
        return 0;
    }
    char date[TP_DATE_LABEL_MAX];
    tp_date_label(&c->docs[d].date, date);
    tp_cells_clear(out, &s->pre);
    tp_cells_str(out, &s->pre, c->docs[d].id);
    tp_cells_str(out, &s->pre, date);
    for (size_t r = 0; r < n_out; r++) {
        size_t j = rows[r].id;
        uint64_t df = x->ids->k->df[ids[j]];
        /* the row in place, where out writes plain CSV (tp_out_row_room) */
        char *p = s->pre.csv && !s->pre.failed
                      ? tp_out_row_room(out, tfidf_row_max(&s->pre, rows[r].name_len))
                      : NULL; /* (cells that failed: tp_out_cells makes it a write error) */
        if (p) {
            p = (char *)memcpy(p, s->pre.b, s->pre.len) + s->pre.len;
            *p++ = ',';
            p = tp_out_row_u64(p, r + 1);
            *p++ = ',';
            p = tp_out_row_text(out, p, rows[r].name, rows[r].name_len);
            *p++ = ',';
            p = tp_out_row_u64(p, cnt[j]);
            *p++ = ',';
            if (tf_as_count(x->o->tf, cnt[j]))
                p = tp_out_row_u64(p, cnt[j]);
            else
                p += tp_format_double(tf_weight(x->o->tf, cnt[j]), p);
            *p++ = ',';
            p = tp_out_row_u64(p, df);
            *p++ = ',';
            char buf[40];
            size_t idf_len;
            const char *t = idf_text(x->idf, ids[j], df, s, buf, &idf_len);
            p = (char *)memcpy(p, t, idf_len) + idf_len;
            *p++ = ',';
            p += tp_format_double(rows[r].key, p);
            *p++ = '\n';
            tp_out_row_done(out, p);
            continue;
        }
        tp_out_cells(out, &s->pre);
        tp_out_u64(out, r + 1);
        tp_out_text(out, rows[r].name, rows[r].name_len);
        tp_out_u64(out, cnt[j]);
        out_tf(out, x->o->tf, cnt[j]);
        tp_out_u64(out, df);
        out_idf(out, x->idf, ids[j], df, s);
        tp_out_double(out, rows[r].key);
        tp_out_row_end(out);
    }
    s->n_written += n_out;
    return 0;
}

/* Documents a thread loads from the spill at a time. */
enum { TFIDF_BLOCK = 1024 };

/* Rows written so far by one thread, on a cache line of its own. */
struct tfidf_done {
    _Atomic uint64_t rows;
    char pad[64 - sizeof(uint64_t)];
};

/* Documents [d0, d1) read from the spill on a thread, rows into out.
 *
 * When a sink of the table takes every row (the workbook), a part written on
 * another thread would keep cells, not CSV, for the main thread to replay
 * through the table and its sinks (tp_out_flags: TP_OUT_CELL_LOG), a pass
 * over every cell. The workbook takes only the table's first rows (to
 * tp_xlsx_sheet_rows(), smaller in tests), so such a thread keeps its rows
 * as records (struct trow, as --group-by does) only while they may be among
 * those, and the main thread writes them through the table (tfidf_write_run);
 * the rest go to a part of CSV and the head of cells other sinks read
 * (TP_OUT_CELL_HEAD), whose rows reach the sinks as a count. A row is surely
 * past the cut when the rows this thread made before it plus those the
 * threads of earlier documents have made so far (a count that only grows)
 * reach it: where a thread's rows switch depends on timing, the table and
 * the sinks' cells do not. */
struct tfidf_part {
    const struct tfidf_ctx *x;
    size_t d0, d1;
    struct tp_out *out;      /* (unused under --group-by: rows kept in s.kept) */
    struct tp_out *tail;     /* NULL, or the part for the rows surely past the cut */
                             /* (the rows before them are kept in s.kept) */
    uint64_t cut;            /* rows a sink takes at most */
    struct tfidf_done *done; /* by thread: rows written so far */
    unsigned t;              /* this thread's index */
    struct tp_spill_reader sr;
    struct tfidf_scratch s;
    int rc;
    struct tp_error err;
};

static void *tfidf_part_main(void *arg)
{
    struct tfidf_part *p = arg;
    struct tp_out *out = p->out;
    uint64_t rows = 0;
    p->s.keep = p->tail != NULL;
    for (size_t b = p->d0; b < p->d1 && !p->rc; b += TFIDF_BLOCK) {
        size_t e = p->d1 - b > TFIDF_BLOCK ? b + TFIDF_BLOCK : p->d1;
        p->rc = tp_spill_load(p->x->ids->k, b, e, &p->sr, &p->err);
        for (size_t d = b; d < e && !p->rc; d++) {
            p->rc = tp_spill_next(&p->sr, &p->err);
            if (p->rc)
                break;
            if (p->tail && out != p->tail) {
                uint64_t before = rows;
                for (unsigned u = 0; u < p->t; u++)
                    before += atomic_load_explicit(&p->done[u].rows, memory_order_relaxed);
                if (before >= p->cut) {
                    out = p->tail;
                    p->s.keep = 0;
                }
            }
            p->rc = tfidf_doc(p->x, d, p->sr.ids, p->sr.counts, p->sr.n, &p->s, out, &p->err);
            if (p->done && p->s.n_written != rows) {
                rows = p->s.n_written;
                atomic_store_explicit(&p->done[p->t].rows, rows, memory_order_relaxed);
            }
        }
    }
    return NULL;
}

/* The rows part p kept (its first documents' rows, in order), written to
 * out as tfidf_doc writes them. */
static void tfidf_write_run(const struct tfidf_ctx *x, struct tfidf_part *p, struct tp_out *out)
{
    const struct tp_counts *c = x->c;
    char date[TP_DATE_LABEL_MAX];
    size_t rank = 0;
    for (size_t r = 0; r < p->s.n_kept; r++) {
        const struct trow *row = &p->s.kept[r];
        const struct tp_term *term = &x->ids->terms[row->id];
        if (r == 0 || row->doc != p->s.kept[r - 1].doc) {
            tp_date_label(&c->docs[row->doc].date, date);
            rank = 0;
        }
        tp_out_str(out, c->docs[row->doc].id);
        tp_out_str(out, date);
        tp_out_u64(out, ++rank);
        tp_out_text(out, term->bytes, term->len);
        tp_out_u64(out, row->count);
        uint64_t df = x->ids->k->df[row->id];
        out_tf(out, x->o->tf, row->count);
        tp_out_u64(out, df);
        out_idf(out, x->idf, row->id, df, &p->s);
        tp_out_double(out, row->tfidf);
        tp_out_row_end(out);
    }
}

/* Documents in group order a unit of tfidf_write_kept's rows holds. */
enum { KEPT_UNIT = 2048 };

/* What tfidf_write_kept's units share: a unit is the documents order[u *
 * KEPT_UNIT ..), each with its rows first[d] .. first[d + 1] among the
 * parts' kept rows (part t's from part_base[t]). */
struct kept_units {
    const struct tfidf_ctx *x;
    const size_t *first;
    const uint32_t *order;
    const struct trow *const *part_of;
    const size_t *part_base;
    size_t n_parts, n;
    struct tfidf_scratch *s; /* by thread: its idf cache */
};

static int kept_unit(void *arg, unsigned th, size_t u, struct tp_out *out, struct tp_error *err)
{
    const struct kept_units *k = arg;
    const struct tfidf_ctx *x = k->x;
    const struct tp_counts *c = x->c;
    size_t t = 0, end = (u + 1) * KEPT_UNIT < k->n ? (u + 1) * KEPT_UNIT : k->n;
    (void)err;
    for (size_t i = u * KEPT_UNIT; i < end; i++) {
        size_t d = k->order[i];
        if (k->first[d] == k->first[d + 1])
            continue;
        const struct tp_term *g = &c->groups.terms[c->docs[d].group];
        char date[TP_DATE_LABEL_MAX];
        tp_date_label(&c->docs[d].date, date);
        for (size_t r = k->first[d], rank = 1; r < k->first[d + 1]; r++, rank++) {
            while (r >= k->part_base[t + 1])
                t++;
            while (r < k->part_base[t])
                t--;
            const struct trow *row = &k->part_of[t][r - k->part_base[t]];
            const struct tp_term *term = &x->ids->terms[row->id];
            tp_out_text(out, g->bytes, g->len);
            tp_out_str(out, c->docs[d].id);
            tp_out_str(out, date);
            tp_out_u64(out, rank);
            tp_out_text(out, term->bytes, term->len);
            tp_out_u64(out, row->count);
            uint64_t df = x->ids->k->df[row->id];
            out_tf(out, x->o->tf, row->count);
            tp_out_u64(out, df);
            out_idf(out, x->idf, row->id, df, &k->s[th]);
            tp_out_double(out, row->tfidf);
            tp_out_row_end(out);
        }
    }
    return 0;
}

/* --group-by: the kept rows of the parts p[0..n_parts) (each a run of
 * documents, in order) written group by group (by name), each group's in
 * document order, with the cells tfidf_doc writes without groups, in units
 * on as many threads as parts (kept_unit). Returns 0 or a negative TP_E*. */
static int tfidf_write_kept(const struct tfidf_ctx *x, const struct tfidf_part *p, size_t n_parts,
                            struct tp_out *out, struct tp_error *err)
{
    const struct tp_counts *c = x->c;
    size_t n = c->n_docs, G = x->gs->n;
    /* by document: its first kept row (an index over the parts in order) */
    size_t *first = malloc((n + 1) * sizeof(*first));
    uint32_t *order = malloc((n ? n : 1) * sizeof(*order));
    size_t *at = calloc(G + 1, sizeof(*at));
    const struct trow **part_of = malloc((n_parts ? n_parts : 1) * sizeof(*part_of));
    size_t *part_base = malloc((n_parts + 1) * sizeof(*part_base));
    int rc = 0;
    if (!first || !order || !at || !part_of || !part_base) {
        rc = tp_report_oom(err);
        goto out;
    }
    size_t total = 0;
    for (size_t t = 0; t < n_parts; t++) {
        part_of[t] = p[t].s.kept;
        part_base[t] = total;
        total += p[t].s.n_kept;
    }
    part_base[n_parts] = total;
    for (size_t d = 0; d <= n; d++)
        first[d] = total;
    for (size_t t = n_parts; t-- > 0;)
        for (size_t r = p[t].s.n_kept; r-- > 0;)
            first[p[t].s.kept[r].doc] = part_base[t] + r;
    /* documents without rows begin where the next one does */
    for (size_t d = n; d-- > 0;)
        if (first[d] > first[d + 1])
            first[d] = first[d + 1];
    for (size_t d = 0; d < n; d++)
        at[x->gs->rank[c->docs[d].group] + 1]++;
    for (size_t g = 0; g < G; g++)
        at[g + 1] += at[g];
    for (size_t d = 0; d < n; d++)
        order[at[x->gs->rank[c->docs[d].group]]++] = (uint32_t)d;
    struct kept_units k = {x, first, order, part_of, part_base, n_parts, n, NULL};
    unsigned threads = (unsigned)n_parts; /* the threads that kept the rows */
    if (!(k.s = calloc(threads ? threads : 1, sizeof(*k.s)))) {
        rc = tp_report_oom(err);
        goto out;
    }
    rc = tp_report_units(out, (n + KEPT_UNIT - 1) / KEPT_UNIT, threads, kept_unit, &k, err);
    for (unsigned i = 0; i < threads; i++) {
        free(k.s[i].idf_cache);
        tp_cells_release(&k.s[i].pre);
    }
    free(k.s);
out:
    free(first);
    free(order);
    free(at);
    free(part_of);
    free(part_base);
    return rc;
}

/* What the units of the plain table share (tfidf_units): a unit is the
 * documents [u * TFIDF_BLOCK, (u + 1) * TFIDF_BLOCK), read and weighed on the
 * thread that takes it, with that thread's spill reader and scratch. */
struct doc_units {
    const struct tfidf_ctx *x;
    size_t n_docs;
    struct tp_spill_reader *sr; /* by thread */
    struct tfidf_scratch *s;    /* by thread */
};

static int doc_unit(void *arg, unsigned th, size_t u, struct tp_out *out, struct tp_error *err)
{
    struct doc_units *k = arg;
    size_t b = u * TFIDF_BLOCK, e = b + TFIDF_BLOCK < k->n_docs ? b + TFIDF_BLOCK : k->n_docs;
    struct tp_spill_reader *sr = &k->sr[th];
    int rc = tp_spill_load(k->x->ids->k, b, e, sr, err);
    for (size_t d = b; d < e && !rc; d++)
        if (!(rc = tp_spill_next(sr, err)))
            rc = tfidf_doc(k->x, d, sr->ids, sr->counts, sr->n, &k->s[th], out, err);
    return rc;
}

/* The plain table (no groups, no sink that takes every cell) on n_threads
 * threads, a unit of documents at a time (tp_report_units): each unit's
 * rows go into a memory part that is used again once appended, so no thread
 * writes more than a few units' rows to memory, nothing is copied twice, and
 * the threads share the documents and the writing as they come free. */
static int tfidf_units(const struct tfidf_ctx *x, unsigned n_threads, struct tp_out *out,
                       struct tp_error *err)
{
    struct doc_units k = {x, x->c->n_docs, calloc(n_threads, sizeof(*k.sr)),
                          calloc(n_threads, sizeof(*k.s))};
    int rc = !k.sr || !k.s ? tp_report_oom(err)
                           : tp_report_units(out, (k.n_docs + TFIDF_BLOCK - 1) / TFIDF_BLOCK,
                                             n_threads, doc_unit, &k, err);
    for (unsigned t = 0; t < n_threads && k.sr && k.s; t++) {
        tp_spill_reader_release(&k.sr[t]);
        free(k.s[t].rows);
        free(k.s[t].w);
        free(k.s[t].idf_cache);
        tp_cells_release(&k.s[t].pre);
    }
    free(k.sr);
    free(k.s);
    return rc;
}

/* Every document's rows on n_threads threads. The plain table goes by units
 * (tfidf_units). Under --group-by, or with a sink that takes cells (the
 * workbook), each thread takes a contiguous run of documents with about as
 * many bytes of lists as the others: this thread writes the first run
 * straight to out, the others keep their rows (or write them into parts)
 * for out in order once all are done. */
static int tfidf_rows(const struct tfidf_ctx *x, unsigned n_threads, struct tp_out *out,
                      struct tp_error *err)
{
    if (n_threads > 1 && !x->gs && !(tp_out_flags(out) & TP_OUT_CELL_LOG))
        return tfidf_units(x, n_threads, out, err);
    struct tfidf_part *p = calloc(n_threads, sizeof(*p));
    /* a sink takes every row: that is the workbook (the report's keeps a
     * head), whose sheet ends at its cut, so the rows past it need no cells;
     * a sink that needs every cell of every row would need this to change */
    int split = n_threads > 1 && !x->gs && (tp_out_flags(out) & TP_OUT_CELL_LOG);
    struct tfidf_done *done = split ? aligned_alloc(64, n_threads * sizeof(*done)) : NULL;
    int rc = 0;
    if (!p || (split && !done)) {
        rc = tp_report_oom(err);
        goto done;
    }
    size_t bound[TP_MAX_THREADS + 1];
    tp_report_doc_runs(x->ids->k, x->c->n_docs, n_threads, bound);
    for (unsigned t = 0; t < n_threads; t++) {
        p[t].x = x;
        p[t].d0 = bound[t];
        p[t].d1 = bound[t + 1];
        p[t].t = t;
        if (split) {
            atomic_init(&done[t].rows, 0);
            p[t].done = done;
            p[t].cut = tp_xlsx_sheet_rows() - 1;
        }
        if (t == 0 || x->gs) /* --group-by: rows kept, not written */
            p[t].out = out;
        else if (split ? tp_out_open_mem(&p[t].tail,
                                         (tp_out_flags(out) & ~TP_OUT_CELL_LOG) | TP_OUT_CELL_HEAD)
                       : tp_out_open_mem(&p[t].out, tp_out_flags(out))) {
            rc = tp_report_oom(err);
            goto done;
        }
    }
    tp_report_run_parts(tfidf_part_main, p, sizeof(*p), n_threads);
    for (unsigned t = 0; t < n_threads && !rc; t++) {
        if (p[t].rc) {
            *err = p[t].err;
            rc = p[t].rc;
        } else if (t > 0 && p[t].tail) {
            tfidf_write_run(x, &p[t], out);
            tp_out_append(out, p[t].tail);
        } else if (t > 0 && !x->gs) {
            tp_out_append(out, p[t].out);
        }
    }
    if (x->gs && !rc)
        rc = tfidf_write_kept(x, p, n_threads, out, err);
done:
    for (unsigned t = 0; p && t < n_threads; t++) {
        if (t > 0 && p[t].out != out)
            tp_out_free(p[t].out);
        tp_out_free(p[t].tail);
        free(p[t].s.kept);
        tp_spill_reader_release(&p[t].sr);
        free(p[t].s.rows);
        free(p[t].s.w);
        free(p[t].s.idf_cache);
        tp_cells_release(&p[t].s.pre);
    }
    free(p);
    free(done);
    return rc;
}

int tp_report_tfidf(struct tp_run *run, struct tp_out *out, struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    struct tp_ids ids; /* terms, or n-grams with --ngram */
    double D = (double)c->n_docs;
    int rc;
    if (tp_report_ids(c, &ids))
        return tp_report_oom(err);
    struct tp_counter *k = ids.k;
    /* idf depends on the term only: once per term, not per occurrence */
    double *idf = malloc((ids.n ? ids.n : 1) * sizeof(*idf));
    if (!idf) {
        tp_report_ids_release(&ids);
        return tp_report_oom(err);
    }
    for (size_t i = 0; i < ids.n; i++) {
        double df = (double)k->df[i];
        idf[i] = !df                       ? 0
                 : o->idf == TP_IDF_SMOOTH ? log((1 + D) / (1 + df)) + 1
                 : o->idf == TP_IDF_PLAIN  ? log(D / df) + 1
                                           : 1;
    }
    size_t top = o->top >= 0 ? (size_t)o->top : 10;
    /* (a top of more rows is ranked by key over every row) */
    double *code = top >= 1 && top <= TOP_FAST ? malloc((ids.n ? ids.n : 1) * sizeof(*code)) : NULL;
    for (size_t i = 0; code && i < ids.n; i++)
        code[i] = ids.terms[i].flags & TP_TERM_STOP    ? 0
                  : ids.terms[i].flags & TP_TERM_SHORT ? -idf[i]
                                                       : idf[i];
    struct tp_groups gs = {0};
    if (o->group_by && (rc = tp_report_groups(run, &gs, err))) {
        free(code);
        free(idf);
        tp_report_ids_release(&ids);
        return rc;
    }
    struct tfidf_ctx x = {o, c, idf, code, top, o->group_by ? &gs : NULL, &ids};
    /* the blocks are read with pread: what stdio holds goes to the file first */
    if ((rc = tp_counter_rewind(k, err)) == 0) {
        tp_out_header(out, o->group_by ? "group,doc_id,date,rank,term,count,tf,df,idf,tfidf"
                                       : "doc_id,date,rank,term,count,tf,df,idf,tfidf");
        unsigned threads = c->n_docs >= 2 * TFIDF_BLOCK ? tp_run_threads(run) : 1;
        rc = tfidf_rows(&x, threads, out, err);
    }
    tp_groups_release(&gs);
    free(code);
    free(idf);
    tp_report_ids_release(&ids);
    return rc;
}
