/*
 * pipeline.h - one run of tempora: readers -> tokenizer -> counters.
 *
 * A run owns the effective settings (the language picked by --lang auto, the
 * stopword set), the corpus counts and the reader statistics; the report_*.c files turn it
 * into tables. The language is chosen before counting, from a sample of the
 * inputs (the first TP_LANG_SAMPLE bytes of text), because the apostrophe rule
 * changes the tokens themselves.
 */
#ifndef TP_PIPELINE_H
#define TP_PIPELINE_H

#include <stdint.h>

#include "counts.h"
#include "reader.h"
#include "tempora.h"
#include "tokenizer.h"

#define TP_LANG_SAMPLE (1u << 20)

/* A one-document text file is counted in parts on several threads from this
 * size, each part at least TP_DIVIDE_PART bytes (past any date header). */
#define TP_DIVIDE_MIN (4u << 20)
#define TP_DIVIDE_PART (1u << 20)

struct tp_run {
    const struct tp_opts *o;
    enum tp_lang lang;    /* effective language */
    uint64_t lang_hits;   /* stopword hits of the picked language in the sample */
    unsigned extra_langs; /* bit (1 << lang): further stopword lists a mixed corpus needs */
    struct tp_table stop; /* stopword set */
    struct tp_tokenizer_opts tok_opts;
    struct tp_corpus *corpus; /* NULL until tp_run_start_counting; read with tp_corpus_counts */
    struct tp_count_opts count_opts;
    unsigned threads_used;
    /* reader statistics, summed over every reader of the run */
    struct tp_reader_stats rs;
    uint64_t input_bytes; /* on disk */
    uint64_t n_files;
    uint64_t overlong;
    /* diagnostics */
    tp_warn_fn *warn;
    void *warn_ctx;
    tp_progress_fn *progress;
    void *progress_ctx;
    uint64_t bytes_before; /* progress: bytes of earlier readers */
    uint64_t bytes_total;
    struct tp_stem *stem; /* --stem / --lemmas: tokens mapped before counting (NULL: none) */
    /* the text of each --terms-file, read once */
    char **terms_text;
    size_t *terms_size;
};

/* Prepare a run with options o (borrowed). warn and progress may be NULL. */
void tp_run_init(struct tp_run *run, const struct tp_opts *o, tp_warn_fn *warn, void *warn_ctx,
                 tp_progress_fn *progress, void *progress_ctx);

/* Pick the language (o->lang, or from a sample of readers[0..n) under auto),
 * build the stopword set and the tokenizer options. Returns 0 or a TP_E*. */
int tp_run_setup(struct tp_run *run, struct tp_reader *const *readers, size_t n,
                 struct tp_error *err);

/* Initialize the counters (after tp_run_setup), registering the listed
 * timeline terms (o->terms, then the lines of each o->terms_files) as token
 * tuples, each once. Returns 0 or a TP_E*: TP_EUSAGE for a --terms entry
 * without a word or of more than 16, TP_EIO for a file that cannot be read,
 * TP_EPARSE for such a line of a file or a file without terms. */
int tp_run_start_counting(struct tp_run *run, const struct tp_count_opts *co, struct tp_error *err);

/* Count every document of reader r, marking its documents with side. With
 * o->threads > 1 (0: one per core) and several files, the files are counted on
 * that many threads and merged in order; a single large file of one document
 * per line, or of one document of TP_DIVIDE_MIN bytes or more, is cut after
 * line feeds and its parts counted on the threads. The result is the same. */
int tp_run_count(struct tp_run *run, struct tp_reader *r, int side, struct tp_error *err);

/* Threads the run uses: --threads, or one per core; at most TP_MAX_THREADS. */
unsigned tp_run_threads(const struct tp_run *run);

/* Tokenize one string (e.g. a --terms entry) with the run's tokenizer
 * settings: calls fn for each token. Returns 0 or a TP_E*. */
int tp_run_tokenize_string(struct tp_run *run, const char *s, size_t len, tp_token_fn *fn,
                           void *ctx);

/* Whether a document dated d is kept under --from/--to (o->date_from,
 * o->date_to): always without them; never when undated with them; else
 * when its first day is in the range. */
int tp_date_in_range(const struct tp_opts *o, const struct tp_date *d);

/* After the last tp_run_count: what counting leaves to the end (--stem:
 * each group named by its most frequent form). Returns 0 or a TP_E*. */
int tp_run_counted(struct tp_run *run, struct tp_error *err);

void tp_run_release(struct tp_run *run);

#endif
