/*
 * report_keyness.c - keyness.csv: what distinguishes the target documents
 * (side 0, or a period) from the reference (side 1, or the other dated
 * documents), their counts summed from the spill.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "group.h"
#include "report_int.h"
#include "stats.h"
#include "timeline.h"

/* The side of document d: ctx is the array of sides (-1: neither). */
static int side_of(const void *ctx, size_t d)
{
    return ((const int8_t *)ctx)[d];
}

/* The id of the group named name (option opt names it in the error). */
static int find_group(const struct tp_run *run, const char *name, const char *opt, int64_t *id,
                      struct tp_error *err)
{
    const struct tp_counts *c = tp_corpus_counts_const(run->corpus);
    size_t n = tp_corpus_n_groups(run->corpus), at = 0;
    uint32_t *order = malloc(n * sizeof(*order));
    uint64_t *docs = calloc(n, sizeof(*docs));
    if (!order || !docs) {
        free(order);
        free(docs);
        return tp_report_oom(err);
    }
    for (size_t d = 0; d < c->n_docs; d++)
        docs[c->docs[d].group]++;
    *id = tp_group_find(run->corpus, name, strlen(name));
    if (*id >= 0 && docs[*id]) {
        free(order);
        free(docs);
        return 0;
    }
    /* name the groups there are (the first of them), by name */
    char list[512] = "";
    tp_group_order(run->corpus, order, NULL);
    for (size_t i = 0; i < n && at + 4 < sizeof(list); i++) {
        if (!docs[order[i]])
            continue;
        size_t len;
        const char *g = tp_corpus_group_name(run->corpus, order[i], &len);
        int w = snprintf(list + at, sizeof(list) - at, "%s'%.*s'", at ? ", " : "",
                         (int)(len > 80 ? 80 : len), g);
        at = w < 0 ? at : at + (size_t)w < sizeof(list) ? at + (size_t)w : sizeof(list) - 1;
    }
    free(order);
    free(docs);
    return tp_error_set(err, TP_EDATA, "%s '%s': no document is in that group (--group-by %s: %s)",
                        opt, name, run->o->group_by, list);
}

int tp_report_keyness(struct tp_run *run, struct tp_out *out, struct tp_error *err)
{
    const struct tp_opts *o = run->o;
    struct tp_counts *c = tp_corpus_counts(run->corpus);
    struct tp_ids ids; /* terms, or n-grams with --ngram */
    if (tp_report_ids(c, &ids))
        return tp_report_oom(err);
    size_t V = ids.n ? ids.n : 1;
    uint64_t *a = calloc(V, sizeof(*a)), *b = calloc(V, sizeof(*b));
    int8_t *side = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*side));
    struct row *rows = malloc(V * sizeof(*rows));
    uint32_t *tid = NULL;
    double *p = NULL, *q = NULL;
    struct tp_keyness *kn = NULL;
    uint64_t N1 = 0, N2 = 0;
    int rc = 0;
    if (!a || !b || !side || !rows) {
        rc = tp_report_oom(err);
        goto out;
    }
    enum tp_period kind = TP_PERIOD_AUTO;
    int64_t pidx = 0;
    if (o->period_label && tp_period_parse(o->period_label, &kind, &pidx) != 0) {
        rc = tp_error_set(err, TP_EUSAGE,
                          "--period '%s' is not a period (2025, 2025-Q1, 2025-01, 2025-W04 or "
                          "2025-01-31)",
                          o->period_label);
        goto out;
    }
    int64_t tg = -1, rg = -1; /* keyness between groups (--target-group, --group) */
    if (o->target_group &&
        (rc = find_group(run, o->target_group, o->reference_group ? "--target-group" : "--group",
                         &tg, err)))
        goto out;
    if (o->reference_group &&
        (rc = find_group(run, o->reference_group, "--reference-group", &rg, err)))
        goto out;
    for (size_t d = 0; d < c->n_docs; d++) {
        const struct tp_date *dt = &c->docs[d].date;
        if (o->target_group)
            side[d] = c->docs[d].group == (uint64_t)tg             ? 0
                      : rg < 0 || c->docs[d].group == (uint64_t)rg ? 1
                                                                   : -1;
        else if (!o->period_label)
            side[d] = (int8_t)c->docs[d].side;
        else if (dt->prec == TP_PREC_NONE || dt->prec < tp_period_precision(kind))
            side[d] = -1;
        else
            side[d] = tp_period_index(dt, kind) == pidx ? 0 : 1;
        if (side[d] == 0)
            N1 += c->docs[d].n_tokens;
        else if (side[d] == 1)
            N2 += c->docs[d].n_tokens;
    }
    if (!N1 || !N2) {
        const char *which = !N1 ? "target" : "reference";
        if (o->target_group)
            rc = tp_error_set(err, TP_EDATA,
                              !N1       ? "keyness: group '%s' has no tokens"
                              : rg >= 0 ? "keyness: group '%s' has no tokens"
                                        : "keyness: no document outside group '%s' has tokens",
                              !N1 || rg < 0 ? o->target_group : o->reference_group);
        else if (o->period_label)
            rc = tp_error_set(err, TP_EUSAGE,
                              !N1 ? "keyness: period %s has no dated document with tokens"
                                  : "keyness: no dated document with tokens outside period %s",
                              o->period_label);
        else
            rc = tp_error_set(err, TP_EUSAGE, "keyness: the %s side has no tokens", which);
        goto out;
    }
    uint64_t *sums[2] = {a, b};
    if ((rc = tp_report_sum_ids(c, ids.k, side_of, side, sums, err)))
        goto out;
    size_t n_rows = 0;
    for (size_t i = 0; i < ids.n; i++)
        if ((a[i] || b[i]) && tp_ids_reportable(&ids, (uint32_t)i))
            rows[n_rows++] = (struct row){0, ids.terms[i].bytes, ids.terms[i].len, (uint32_t)i};
    kn = malloc((n_rows ? n_rows : 1) * sizeof(*kn));
    p = malloc((n_rows ? n_rows : 1) * sizeof(*p));
    q = malloc((n_rows ? n_rows : 1) * sizeof(*q));
    tid = malloc((n_rows ? n_rows : 1) * sizeof(*tid));
    if (!kn || !p || !q || !tid) {
        rc = tp_report_oom(err);
        goto out;
    }
    for (size_t r = 0; r < n_rows; r++) {
        uint32_t id = rows[r].id;
        tp_keyness_compute(a[id], b[id], N1, N2, &kn[r]);
        p[r] = kn[r].p_value;
        rows[r].key = kn[r].log_likelihood;
        tid[r] = id;
        rows[r].id = (uint32_t)r; /* from here: the index into kn, q and tid */
    }
    if (tp_bh_qvalues(p, n_rows, q)) {
        rc = tp_report_oom(err);
        goto out;
    }
    size_t n_out = tp_rows_top(rows, n_rows, tp_report_limit(o->top, n_rows));
    tp_out_header(out, "rank,term,count_target,count_reference,per_million_target,"
                       "per_million_reference,log_likelihood,p_value,log10_p,q_value,log_ratio,"
                       "percent_diff,direction");
    for (size_t i = 0; i < n_out; i++) {
        size_t r = rows[i].id;
        uint32_t id = tid[r];
        const struct tp_keyness *k = &kn[r];
        tp_out_u64(out, i + 1);
        tp_out_text(out, rows[i].name, rows[i].name_len);
        tp_out_u64(out, a[id]);
        tp_out_u64(out, b[id]);
        tp_out_double(out, k->per_million_target);
        tp_out_double(out, k->per_million_reference);
        tp_out_double(out, k->log_likelihood);
        tp_out_double(out, k->p_value);
        tp_out_double(out, k->log10_p);
        tp_out_double(out, q[r]);
        tp_out_double(out, k->log_ratio);
        tp_out_double(out, k->percent_diff);
        tp_out_str(out, k->target ? "target" : "reference");
        tp_out_row_end(out);
    }
out:
    tp_report_ids_release(&ids);
    free(a);
    free(b);
    free(side);
    free(rows);
    free(tid);
    free(kn);
    free(p);
    free(q);
    return rc;
}
