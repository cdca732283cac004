/*
 * report.h - the tables: counts and statistics of a finished run turned into
 * sorted rows and written through the writer. Row order never depends on
 * table order: rows are sorted by their value, ties by term bytewise.
 */
#ifndef TP_REPORT_H
#define TP_REPORT_H

#include "pipeline.h"
#include "writer.h"

/* freq.csv: rank,term,count,per_million,doc_freq,dp (n-grams when o->ngram > 1;
 * needs the spill). top < 0: every row. */
int tp_report_freq(struct tp_run *run, struct tp_out *out, struct tp_error *err);

/* tfidf.csv: doc_id,date,rank,term,count,tf,df,idf,tfidf (needs the spill). */
int tp_report_tfidf(struct tp_run *run, struct tp_out *out, struct tp_error *err);

/* collocations.csv (needs pair counts: window > 0). */
int tp_report_colloc(struct tp_run *run, struct tp_out *out, struct tp_error *err);

/* The timeline's period kind and document counts. */
struct tp_period_info {
    enum tp_period kind;    /* effective kind; TP_PERIOD_AUTO when nothing is dated */
    uint64_t n_dated;       /* documents with a date */
    uint64_t n_imprecise;   /* dated, but coarser than kind */
    int64_t first, last;    /* period indexes of the timeline documents */
    uint64_t n_in_timeline; /* documents placed in a period */
};

/* Work out the effective period (o->period, or the finest precision every
 * dated document has). Returns 0, or TP_EUSAGE when o->period is finer than
 * every document's date. */
int tp_period_info(const struct tp_run *run, struct tp_period_info *pi, struct tp_error *err);

/* timeline.csv (long, or wide with o->wide) and, when not NULL, trends.csv and
 * timeline.svg. Returns TP_EDATA when no document is dated. */
int tp_report_timeline(struct tp_run *run, struct tp_out *timeline, struct tp_out *trends,
                       struct tp_out *svg, struct tp_error *err);

/* tempora trends: trends.csv's columns plus q_value for every reportable
 * term (n-gram with --ngram) with a total of at least --min-count (10) in
 * at least 3 periods, sorted by p_value. Returns TP_EDATA when no document
 * is dated. */
int tp_report_trends_all(struct tp_run *run, struct tp_out *out, struct tp_error *err);

/* keyness.csv: documents of side 0 against side 1, or (o->period_label) the
 * documents of that period against every other dated document. */
int tp_report_keyness(struct tp_run *run, struct tp_out *out, struct tp_error *err);

/* summary.csv: metric,value. */
int tp_report_summary(struct tp_run *run, struct tp_out *out, struct tp_error *err);

#endif
