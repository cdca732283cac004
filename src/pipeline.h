/*
 * pipeline.h - one run of tempora: readers -> tokenizer -> counters.
 *
 * A run owns the effective settings (the language picked by --lang auto, the
 * stopword set), the corpus counts and the reader statistics; the report_*.c files turn it
 * into tables. The language is chosen before counting, from a sample of the
 * inputs (the first TP_LANG_SAMPLE bytes of text), because the apostrophe rule
 * changes the tokens themselves.
 *
 * pipeline.c sets a run up (language, stopwords, listed terms); run_count.c
 * counts (tp_run_count: the counting sink and its threads).
 */
#ifndef TP_PIPELINE_H
#define TP_PIPELINE_H

#include <stdint.h>

#include "counts.h"
#include "reader.h"
#include "tempora.h"
#include "tokenizer.h"

#define TP_LANG_SAMPLE (1u << 20)

/* A one-document text file is counted in parts on several threads from
 * TP_DIVIDE_MIN bytes (reader.h), each part at least TP_DIVIDE_PART bytes
 * (past any date header). */
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
    /* --lang auto with a count state among the inputs: the state's language
     * and extra stopword lists, not a sample's (set before tp_run_setup) */
    int preset;
    enum tp_lang preset_lang;
    unsigned preset_extra;
    /* --lang auto: a language for each document (tp_doclang) */
    int per_doc_lang;
    struct tp_table lang_words; /* every auto language's stopwords; flags: bit i, language i */
    /* --group-by dir: the INPUT folders of the reader being counted */
    const char *const *group_dirs;
    size_t n_group_dirs;
    struct tp_stem *stem; /* --stem / --lemmas: tokens mapped before counting (NULL: none) */
    /* the text of each --terms-file, read once */
    char **terms_text;
    size_t *terms_size;
    /* count states read into the run: what they no longer hold exactly
     * (TP_STATE_LOST_* of state.h, after merge --replace), kept when the run
     * writes a state */
    unsigned state_lost;
    /* a corpus that mixes languages (extra_langs, with stopword lists):
     * each document's own stopwords, the words of every language's list with
     * their languages (tp_count_opts.stop_lang); no slots: one list (stop) */
    struct tp_table stop_lang;
    /* kwic: terms of several words some of which are prefix patterns
     * (`crisi idric*`), set before tp_run_start_counting (kwic_patterns)
     * and registered here, not in the corpus */
    int kwic_patterns;
    struct tp_kwic_pattern *kpat;
    size_t n_kpat;
};

/* A kwic term of n consecutive tokens: word[i] (as tokenized; mapped to its
 * group under --stem / --lemmas unless a prefix), prefix[i]: a pattern. */
struct tp_kwic_pattern {
    unsigned n;
    char *word[16];
    size_t len[16];
    uint8_t prefix[16];
};

/* --lang auto, per document, when the sample shows that the corpus mixes
 * languages (run->extra_langs: another language's own words are at least 1%
 * of the sample's tokens): a document's language is decided from its first
 * TP_LANG_DOC_WORDS tokens, as the tokenizer gives them with the corpus's
 * profile, among those it completes in the document's first
 * TP_LANG_DOC_BYTES bytes (when the document is longer; all of them when it
 * is not): the language whose stopwords are most of them (an elided head
 * "l'" looked up as "l", as the sample's tokens are); a document with fewer
 * than TP_LANG_DOC_MIN tokens there, or no stopword, takes the corpus's
 * language (run->lang), and so does a document counted in parts
 * (tp_doc.part). No token of a document is counted before its language is
 * known, and its text is held until then; a document decided for another
 * language, or whose tokens came to the counting callbacks before the
 * decision (a token over 16 bytes, the document's end, the window's), is
 * tokenized again from its start with its language's profile. The
 * language sets the tokenizer's apostrophe rules (elision for it and fr,
 * apocope for it). */
#define TP_LANG_DOC_BYTES 4096
#define TP_LANG_DOC_MIN 50
#define TP_LANG_DOC_WORDS 60

/* What the counting callbacks do with the tokens given them while a
 * document's language is being decided (tp_doclang_batch, _token). */
enum {
    TP_DL_COUNT, /* count them: decided for the corpus's language, none held before */
    TP_DL_HELD,  /* not counted: the decision waits for more tokens */
    TP_DL_AGAIN  /* not counted: return non-zero, the document is tokenized again */
};

/* --lang auto's stopword lists (a table whose flags hold bit i for each
 * tp_auto_langs[i] listing the word) made for looking up tokens of up to 16
 * bytes (the sample's and each document's, pipeline_int.h): a filter of
 * TP_LANGLOOK_FILTER_BITS bits, one set for each entry's hash, and an
 * open-addressing table, slot i at slots[2i], slots[2i + 1]: the entry's two
 * zero-padded little-endian words, the lists it is on in the top byte of the
 * second; empty slots zero, and one more empty slot past them (mask + 1),
 * read for a word the filter stops. filter is NULL when an entry has 16
 * bytes or more: then the table is looked up. */
struct tp_langlook {
    uint64_t *filter, *slots;
    size_t mask;
};
#define TP_LANGLOOK_FILTER_BITS (1u << 15) /* 4 KiB: stays in cache between documents */

/* lk made from words (doclang.c). 0 or TP_ENOMEM. */
int tp_langlook_build(struct tp_langlook *lk, const struct tp_table *words);
void tp_langlook_release(struct tp_langlook *lk);

struct tp_doclang {
    const struct tp_run *run;
    struct tp_tokenizer *tk; /* the document's tokenizer (the caller's) */
    int active;              /* the run decides per document */
    int keep_case;           /* --case keep: ASCII capitals lowered to look tokens up */
    int deciding;            /* the document's language is not known yet */
    int held_tokens;         /* some token came to the callbacks uncounted */
    int closing;             /* a flush or the document's end: decide on what it gives */
    int again;               /* decided: the document is to be tokenized again */
    uint64_t n_words;        /* tokens looked at */
    char *buf;               /* the text held back */
    size_t len, cap;
    enum tp_lang lang;  /* the document's (the corpus's while deciding) */
    size_t max_len;     /* the longest stopword: longer tokens are not looked up */
    uint64_t hits[6];   /* tokens on list i, once decided */
    uint64_t packed;    /* while deciding: list i's hits in bits 10i..10i+9 */
    uint64_t hit_words; /* tokens on some list */
    /* the stopwords of run->lang_words (built by tp_doclang_init; filter
       NULL: looked up in run->lang_words instead) */
    struct tp_langlook look;
    int nolook;  /* the language with the most hits is final: tokens only counted */
    int stopped; /* the decision cannot change */
};

/* Set dl up for the documents fed to tk (NULL fields when the run does not
 * decide per document: then feeding goes straight to tk). 0 or TP_ENOMEM. */
int tp_doclang_init(struct tp_doclang *dl, const struct tp_run *run, struct tp_tokenizer *tk);
/* A document begins (after tk was reset); part as tp_doc.part. */
void tp_doclang_begin(struct tp_doclang *dl, int part);
/* The document's next text, fed to tk (and held while deciding). Returns as
 * tp_tokenizer_feed. */
int tp_doclang_feed(struct tp_doclang *dl, const char *buf, size_t len);
/* While dl->deciding, the counting callbacks give their tokens here first:
 * a batch, or one token (over 16 bytes); TP_DL_*. */
int tp_doclang_batch(struct tp_doclang *dl, const struct tp_token_batch *b);
int tp_doclang_token(struct tp_doclang *dl, const char *tok, size_t len);
/* The document is taken back: decided now, and tk flushed
 * (tp_tokenizer_flush). */
int tp_doclang_settle(struct tp_doclang *dl);
/* The document ends: tp_tokenizer_finish, decided by then. */
int tp_doclang_finish(struct tp_doclang *dl);
void tp_doclang_release(struct tp_doclang *dl);

/* Prepare a run with options o (borrowed). warn and progress may be NULL. */
void tp_run_init(struct tp_run *run, const struct tp_opts *o, tp_warn_fn *warn, void *warn_ctx,
                 tp_progress_fn *progress, void *progress_ctx);

/* Pick the language (o->lang, or from a sample of readers[0..n) under auto),
 * build the stopword set and the tokenizer options. Returns 0 or a TP_E*. */
int tp_run_setup(struct tp_run *run, struct tp_reader *const *readers, size_t n,
                 struct tp_error *err);

/* run's file count, --progress total and input_bytes from readers[0..n)
 * (tp_run_setup's; a --shard share sets them again for its own readers).
 * Files listed without sizes are estimated in the progress total and added
 * to input_bytes as they are read (tp_run_count). */
void tp_run_set_sizes(struct tp_run *run, struct tp_reader *const *readers, size_t n);

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

/* The same for a --threads value (<= 0: one per core this process may run
 * on), before any run is set up: at least 1, at most TP_MAX_THREADS. */
unsigned tp_threads_for(long threads);

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
