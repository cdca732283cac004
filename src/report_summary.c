/*
 * report_summary.c - summary.csv: corpus statistics (sizes, type/token
 * ratios, Zipf and Heaps fits).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "stats.h"
#include "stopwords.h"

static void metric_u64(struct tp_out *out, const char *name, uint64_t v)
{
    tp_out_str(out, name);
    tp_out_u64(out, v);
    tp_out_row_end(out);
}

static void metric_double(struct tp_out *out, const char *name, double v)
{
    tp_out_str(out, name);
    tp_out_double(out, v);
    tp_out_row_end(out);
}

static void metric_str(struct tp_out *out, const char *name, const char *v)
{
    tp_out_str(out, name);
    tp_out_str(out, v);
    tp_out_row_end(out);
}

static int u64_desc(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return (a < b) - (a > b);
}

/* Each group's counts together, fill[g + 1] of them from fill[g] (fill:
 * G + 1 zeros), into *counts (malloc'd), from the pairs of
 * tp_gterms_count. */
static int pair_counts(struct tp_counts *c, size_t G, struct tp_gterms *gt, uint64_t **counts,
                       uint64_t *fill, struct tp_error *err)
{
    int rc;
    uint32_t sg, sid;
    if ((rc = tp_gterms_count(c, &c->uni, gt, err)))
        return rc;
    if (!(*counts = malloc((gt->n ? gt->n : 1) * sizeof(**counts))))
        return tp_report_oom(err);
    /* a stopword twin's occurrences are its word's (counts.h, stop_lang):
     * moved to the word's pair, and the twin's left empty */
    for (size_t i = 0; c->twin_base && i <= gt->mask; i++)
        if (tp_gterms_slot(gt, i, &sg, &sid) && c->twin_base[sid] != sid) {
            size_t b = tp_gterms_find(gt, sg, c->twin_base[sid]);
            if (b != SIZE_MAX && gt->count[b]) {
                gt->count[b] += gt->count[i];
                gt->count[i] = 0;
            }
        }
    for (size_t i = 0; i <= gt->mask; i++)
        if (tp_gterms_slot(gt, i, &sg, &sid) && gt->count[i] && sg < G)
            fill[sg + 1]++;
    for (size_t g = 0; g < G; g++)
        fill[g + 1] += fill[g];
    for (size_t i = 0; i <= gt->mask; i++)
        if (tp_gterms_slot(gt, i, &sg, &sid) && gt->count[i] && sg < G)
            (*counts)[fill[sg]++] = gt->count[i];
    return 0;
}

/* The same from the dense sums made while counting (k->gsum: 32-bit cells
 * by term row), read in place: no (group x term) table of summary's own. A
 * stopword twin's cell counts as its word's when the word occurs in the
 * group (as pair_counts moves it). Returns 0 or TP_ENOMEM. */
static int dense_counts(const struct tp_counts *c, size_t G, uint64_t **counts, uint64_t *fill)
{
    const struct tp_gsum *s = &c->uni.gsum;
    size_t V = c->terms.n, rows = s->rows < V ? s->rows : V, cols = s->cols < G ? s->cols : G;
    const uint32_t *base = c->twin_base;
    /* twin[w]: the first twin of word w, twin[V + t] the next twin of its
     * word after t; UINT32_MAX for none */
    uint32_t *twin = NULL;
    if (base) {
        if (!(twin = malloc((2 * V + 1) * sizeof(*twin))))
            return TP_ENOMEM;
        memset(twin, 0xff, (2 * V + 1) * sizeof(*twin));
        for (size_t id = 0; id < V; id++)
            if (base[id] != id) {
                twin[V + id] = twin[base[id]];
                twin[base[id]] = (uint32_t)id;
            }
    }
    uint64_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t id = 0; id < rows; id++) {
            const uint32_t *row = s->cell + id * s->cols;
            for (size_t g = 0; g < cols; g++) {
                uint64_t v = row[g];
                if (!v)
                    continue;
                if (base && base[id] != id && base[id] < rows &&
                    s->cell[(size_t)base[id] * s->cols + g])
                    continue; /* counted with its word */
                for (uint32_t t = twin ? twin[id] : UINT32_MAX; t != UINT32_MAX; t = twin[V + t])
                    if (t < rows)
                        v += s->cell[(size_t)t * s->cols + g];
                if (pass)
                    (*counts)[fill[g]++] = v;
                else
                    fill[g + 1]++;
            }
        }
        if (pass)
            break;
        for (size_t g = 0; g < G; g++)
            fill[g + 1] += fill[g];
        n = fill[G];
        if (!(*counts = malloc((n ? n : 1) * sizeof(**counts)))) {
            free(twin);
            return TP_ENOMEM;
        }
    }
    free(twin);
    return 0;
}

/* --group-by: group,metric,value, the metrics of each group's documents
 * (groups by name; the period kind is the corpus's). Counts of the reading
 * itself (invalid_utf8, skipped_inputs, ...), Heaps' fit and the language
 * stay in the summary without --group-by. */
static int summary_grouped(struct tp_run *run, const struct tp_period_info *pi, struct tp_out *out,
                           struct tp_error *err)
{
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    struct tp_groups gs;
    struct tp_gterms gt = {0};
    uint64_t *counts = NULL, *fill = NULL, *dated = NULL, *impr = NULL;
    int64_t *first = NULL, *last = NULL;
    int rc;
    if ((rc = tp_report_groups(run, &gs, err)))
        return rc;
    size_t G = gs.n;
    fill = calloc(G + 1, sizeof(*fill));
    dated = calloc(G, sizeof(*dated));
    impr = calloc(G, sizeof(*impr));
    first = malloc(G * sizeof(*first));
    last = malloc(G * sizeof(*last));
    if (!fill || !dated || !impr || !first || !last) {
        rc = tp_report_oom(err);
        goto out;
    }
    if (c->o.group_sums && !c->uni.gsum.keys) {
        if (dense_counts(c, G, &counts, fill)) {
            rc = tp_report_oom(err);
            goto out;
        }
    } else if ((rc = pair_counts(c, G, &gt, &counts, fill, err))) {
        goto out;
    }
    /* fill[g] is now where group g + 1 begins: group g is [fill[g - 1], fill[g]) */
    enum tp_precision need = pi->n_dated ? tp_period_precision(pi->kind) : TP_PREC_NONE;
    for (size_t g = 0; g < G; g++)
        first[g] = last[g] = INT64_MIN;
    for (size_t d = 0; d < c->n_docs; d++) {
        const struct tp_date *dt = &c->docs[d].date;
        uint32_t g = c->docs[d].group;
        if (dt->prec == TP_PREC_NONE)
            continue;
        dated[g]++;
        if (dt->prec < need) {
            impr[g]++;
            continue;
        }
        int64_t idx = tp_period_index(dt, pi->kind);
        if (first[g] == INT64_MIN || idx < first[g])
            first[g] = idx;
        if (last[g] == INT64_MIN || idx > last[g])
            last[g] = idx;
    }
    tp_out_header(out, "group,metric,value");
    for (size_t r = 0; r < G; r++) {
        uint32_t g = gs.order[r];
        if (!gs.docs[g])
            continue;
        size_t from = g ? fill[g - 1] : 0, types = fill[g] - from;
        uint64_t hapax = 0, tokens = gs.tokens[g];
        for (size_t i = from; i < fill[g]; i++)
            hapax += counts[i] == 1;
        if (types > 1 && tp_sort_counts_desc(counts + from, types)) {
            rc = tp_report_oom(err);
            goto out;
        }
        char fp[24] = "", lp[24] = "";
        if (first[g] != INT64_MIN) {
            tp_period_label(first[g], pi->kind, fp, sizeof(fp));
            tp_period_label(last[g], pi->kind, lp, sizeof(lp));
        }
        double zipf;
        if (tp_zipf_exponent(counts + from, types, &zipf)) {
            rc = tp_report_oom(err);
            goto out;
        }
#define GROUP_CELL() tp_out_group(out, run, g)
        GROUP_CELL();
        metric_u64(out, "documents", gs.docs[g]);
        GROUP_CELL();
        metric_u64(out, "dated_documents", dated[g]);
        GROUP_CELL();
        metric_u64(out, "undated_documents", gs.docs[g] - dated[g]);
        GROUP_CELL();
        metric_u64(out, "imprecise_documents", impr[g]);
        GROUP_CELL();
        metric_u64(out, "tokens", tokens);
        GROUP_CELL();
        metric_u64(out, "types", types);
        GROUP_CELL();
        metric_double(out, "type_token_ratio", tokens ? (double)types / (double)tokens : NAN);
        GROUP_CELL();
        metric_u64(out, "hapax_legomena", hapax);
        GROUP_CELL();
        metric_double(out, "mean_document_tokens", (double)tokens / (double)gs.docs[g]);
        GROUP_CELL();
        metric_str(out, "period", pi->n_dated ? tp_period_name(pi->kind) : "");
        GROUP_CELL();
        metric_str(out, "first_period", fp);
        GROUP_CELL();
        metric_str(out, "last_period", lp);
        GROUP_CELL();
        metric_double(out, "zipf_exponent", zipf);
#undef GROUP_CELL
    }
out:
    free(counts);
    free(fill);
    free(dated);
    free(impr);
    free(first);
    free(last);
    tp_gterms_release(&gt);
    tp_groups_release(&gs);
    return rc;
}

int tp_report_summary(struct tp_run *run, struct tp_out *out, struct tp_error *err)
{
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    struct tp_period_info pi;
    int rc = tp_period_info(run, &pi, err);
    if (rc == TP_EUSAGE) {
        /* the summary still reports, with every dated document imprecise */
        pi.n_imprecise = pi.n_dated;
        pi.n_in_timeline = 0;
        rc = 0;
    }
    if (rc)
        return rc;
    if (run->o->group_by)
        return summary_grouped(run, &pi, out, err);
    uint64_t types = 0, hapax = 0;
    uint64_t *counts = malloc((c->terms.n ? c->terms.n : 1) * sizeof(*counts));
    if (!counts)
        return tp_report_oom(err);
    for (size_t i = 0; i < c->terms.n; i++)
        counts[i] = c->uni.total[i];
    /* a stopword twin's occurrences are its word's (counts.h, stop_lang) */
    for (size_t i = 0; c->twin_base && i < c->terms.n; i++)
        if (c->twin_base[i] != i) {
            counts[c->twin_base[i]] += counts[i];
            counts[i] = 0;
        }
    for (size_t i = 0; i < c->terms.n; i++)
        if (counts[i]) {
            counts[types++] = counts[i];
            hapax += counts[i] == 1;
        }
    if (types > 1)
        qsort(counts, types, sizeof(*counts), u64_desc);
    double zipf;
    rc = tp_zipf_exponent(counts, types, &zipf);
    free(counts);
    if (rc)
        return tp_report_oom(err);
    uint64_t hn[TP_HEAPS_MAX], hv[TP_HEAPS_MAX];
    size_t nh;
    double hk = NAN, hb = NAN;
    if (tp_counts_heaps(c, hn, hv, &nh) || (rc = tp_heaps_fit(hn, hv, nh, &hk, &hb)) < 0)
        return tp_report_oom(err);
    if (rc)
        hk = hb = NAN;

    char first[24] = "", last[24] = "";
    if (pi.n_in_timeline) {
        tp_period_label(pi.first, pi.kind, first, sizeof(first));
        tp_period_label(pi.last, pi.kind, last, sizeof(last));
    }
    tp_out_header(out, "metric,value");
    metric_u64(out, "documents", c->n_docs);
    metric_u64(out, "dated_documents", pi.n_dated);
    metric_u64(out, "undated_documents", c->n_docs - pi.n_dated);
    metric_u64(out, "imprecise_documents", pi.n_imprecise);
    if (run->o->date_from || run->o->date_to)
        metric_u64(out, "out_of_range", c->n_out_of_range);
    metric_u64(out, "tokens", c->n_tokens);
    metric_u64(out, "types", types);
    metric_double(out, "type_token_ratio", c->n_tokens ? (double)types / (double)c->n_tokens : NAN);
    metric_u64(out, "hapax_legomena", hapax);
    metric_double(out, "mean_document_tokens",
                  c->n_docs ? (double)c->n_tokens / (double)c->n_docs : NAN);
    metric_str(out, "period", pi.n_dated ? tp_period_name(pi.kind) : "");
    metric_str(out, "first_period", first);
    metric_str(out, "last_period", last);
    metric_u64(out, "invalid_utf8", run->rs.invalid_utf8);
    metric_u64(out, "cp1252_documents", run->rs.cp1252_documents);
    metric_u64(out, "skipped_inputs", run->rs.skipped_inputs);
    metric_u64(out, "unparsable_dates", run->rs.bad_dates);
    metric_u64(out, "attachments_skipped", run->rs.attachments_skipped);
    metric_u64(out, "overlong_tokens_dropped", run->overlong);
    metric_double(out, "zipf_exponent", zipf);
    metric_double(out, "heaps_k", hk);
    metric_double(out, "heaps_beta", hb);
    metric_str(out, "language", tp_lang_name(run->lang));
    return 0;
}
