/*
 * state.h - count states (.tpc files): a corpus's counts written once and
 * read back as an input (state_write.c, state_read.c, state_load.c; the format is
 * docs/state-format.md).
 *
 * A state holds everything the tables need (the term table with totals,
 * document frequencies and first occurrences, the documents with id, date
 * and length, every document's (term, count) list, the pairs of the
 * --window, the n-grams of --ngram with their lists, the reader statistics)
 * and the options that shaped counting. A state read as an input becomes a
 * corpus part merged into the run's corpus in argument order
 * (tp_corpus_merge), so the tables are those of one run over the same
 * inputs. Per-document lists are not read into memory: the run reads them
 * from the state file itself, as it reads its own spill.
 */
#ifndef TP_STATE_H
#define TP_STATE_H

#include <stdint.h>

#include "pipeline.h"

/* The first 8 bytes of every state. */
#define TP_STATE_MAGIC "\x89TPC\r\n\x1a\n"
#define TP_STATE_VERSION 2u

/* What a state no longer holds exactly, once `merge --replace` took a
 * document out (docs/state-format.md): its pairs (a document's pairs cannot
 * be taken out of the pair table), and its first occurrences and reader
 * statistics (Heaps' law and the summary's reader counts). The bits are
 * kept by every later merge or count of such a state; colloc, summary and
 * analyze refuse it. */
enum { TP_STATE_LOST_PAIRS = 1u, TP_STATE_LOST_FIRST = 2u };

/* Whether path is a state: a regular file that begins with the magic
 * (whatever its name). */
int tp_state_detect(const char *path);

/* What a state says about the options it was counted with, read before
 * counting starts (the run then takes a state's language, stopwords and
 * token settings when no text input decides them). */
struct tp_state_head {
    enum tp_lang lang;
    unsigned extra_langs;
    int keep_case, nfkc, split_hyphens, min_length, encoding;
    unsigned window, ngram;
    char **stop; /* the stopword list, n_stop words (NUL-terminated) */
    size_t n_stop;
    unsigned lost; /* TP_STATE_LOST_* (0 in a version 1 state) */
};

/* Read the options of the state at path. Returns 0, or TP_EIO / TP_EPARSE
 * naming the file (truncated, damaged, foreign, newer). */
int tp_state_head_read(const char *path, struct tp_state_head *h, struct tp_error *err);
void tp_state_head_release(struct tp_state_head *h);

/* Read the state at path into the run's corpus, after what it holds (its
 * documents get side). The options that shaped counting must be the run's:
 * a difference is TP_EUSAGE naming the option. A listed timeline term of
 * several words cannot be counted from a state (TP_EUSAGE naming --terms).
 * skip: not used, NULL (merge --replace drops documents from the loaded
 * corpus instead: tp_state_write_replaced). Returns 0 or a negative TP_E*
 * naming the file. */
int tp_state_load(struct tp_run *run, const char *path, int side, const uint8_t *skip,
                  struct tp_error *err);

/* The document ids of the state at path, in order, through fn (merge's
 * check for ids given twice). fn returns 0 to go on, else that code is
 * returned. */
typedef int tp_state_id_fn(void *ctx, const char *id, size_t index);
int tp_state_each_id(const char *path, tp_state_id_fn *fn, void *ctx, struct tp_error *err);

/* Write the run's corpus as a state to path (atomically; "-": standard
 * output). Returns 0 or a negative TP_E*. */
int tp_state_write(struct tp_run *run, const char *path, struct tp_error *err);

/* One counter's per-document lists left where they were counted, in its
 * spill files (tempora-mpi's hand-over between two ranks of one node: the
 * state is written without them and the receiver reads them from those
 * files). By file: its descriptor and its ids' map to the state's ids (terms,
 * or n-grams); by document, in order: its file, offset and record length. */
struct tp_state_lists {
    size_t n_files;
    int *fd;
    uint32_t **map; /* by file: map_n ids */
    size_t *map_n;
    size_t n_docs;
    uint64_t *offs;
    uint32_t *lens;
    uint16_t *file_of;
};
void tp_state_lists_release(struct tp_state_lists *l);

/* tp_state_write without an fsync (a file handed over at once, then
 * removed) and, when lists is not NULL, without the per-document lists
 * (empty USPL and GSPL sections): lists[0] (terms) and lists[1] (n-grams, none without --ngram)
 * describe them in the run's spill files (flushed), whose descriptors stay the run's, with maps
 * allocated for the caller (tp_state_lists_release, which leaves fd to the caller). The run must be
 * kept open while another process reads them. Returns 0 or a negative TP_E*. */
int tp_state_write_handover(struct tp_run *run, const char *path, struct tp_state_lists lists[2],
                            struct tp_error *err);

/* tp_state_load of a state tp_state_write_handover wrote, its lists read
 * from lists[0] and lists[1]'s files (descriptors of this process, taken
 * over: closed by the run, or here on failure). Not with listed timeline
 * terms (TP_EINTERNAL: they are counted from the lists' bytes). */
int tp_state_load_handover(struct tp_run *run, const char *path, struct tp_state_lists lists[2],
                           struct tp_error *err);

/* tempora merge: the states at paths[0..n) joined, in argument order, into
 * a state written to output, as streams (state_merge.c): what is held is the
 * merged vocabulary and n-grams and a hash a document, not the inputs. The
 * run gives the options (set up from the first state, counting started, no
 * document counted): every state must have been counted with them (TP_EDATA
 * naming the option), and a document id given twice is TP_EDATA naming it
 * and both states. The same state as tp_state_load of each then
 * tp_state_write. Returns 0 or a negative TP_E* naming the file. */
int tp_state_merge(struct tp_run *run, const char *const *paths, size_t n, const char *output,
                   struct tp_error *err);

/* merge --replace: the states already loaded into the run's corpus (in
 * argument order), each document id kept once, where it first appeared,
 * with the counts of its last appearance; then the terms' and n-grams'
 * totals, document frequencies and first-seen order counted again from the
 * documents' lists, and written as a state to path. When a document was
 * replaced, the state keeps no pairs and only approximate first
 * occurrences (TP_STATE_LOST_*). *n_replaced: documents replaced. Returns 0
 * or a negative TP_E*. */
int tp_state_write_replaced(struct tp_run *run, const char *path, size_t *n_replaced,
                            struct tp_error *err);

#endif
