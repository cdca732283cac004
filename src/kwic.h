/*
 * kwic.h - keyword in context: every occurrence of the listed terms (--terms,
 * --terms-file: words, multi-word terms, prefix patterns `pre*`) with the
 * text around it as it stands in the document (original case and
 * punctuation, whitespace runs as one space).
 */
#ifndef TP_KWIC_H
#define TP_KWIC_H

#include <stdint.h>

#include "pipeline.h"
#include "writer.h"

struct tp_kwic_opts {
    unsigned context; /* tokens each side (--context, default 8) */
    uint64_t sample;  /* > 0: a seeded random sample of this many rows */
    uint64_t seed;    /* the sample's seed (--seed) */
};

/* Write doc_id,date,position,left,match,right (with --group-by, first the
 * document's group, settled by tp_group_of_doc) to out for every occurrence
 * of the listed terms of run->corpus (registered by tp_run_start_counting)
 * in the documents of r, in document order and, inside a document, by
 * position (the 0-based index of the match's first token), then by length.
 * Documents out of --from/--to are read past. With ko->sample, the rows whose
 * keyed hashes of (document index, position, length) are the sample
 * smallest, in the same order. Returns 0 or a negative TP_E* (err filled). */
int tp_kwic_run(struct tp_run *run, struct tp_reader *r, const struct tp_kwic_opts *ko,
                struct tp_out *out, struct tp_error *err);

#endif
