/*
 * pipeline_int.h - what pipeline.c, doclang.c and run_count.c share beyond
 * pipeline.h. Nothing else includes it.
 */
#ifndef TP_PIPELINE_INT_H
#define TP_PIPELINE_INT_H

#include "pipeline.h"

/* A new corpus counted with the run's settings, listed terms registered
 * (pipeline.c): the run's first corpus and each worker's. */
int tp_run_corpus_new(struct tp_run *run, struct tp_corpus **corpus, struct tp_error *err);

/* The languages --lang auto tells apart, in the order a tie is broken
 * (pipeline.c; doclang.c decides each document among them). */
enum { TP_N_AUTO = 6 };
extern const enum tp_lang tp_auto_langs[TP_N_AUTO];

#endif
