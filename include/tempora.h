/*
 * tempora.h - the one public header of tempora, a statistical corpus analyzer.
 *
 * The pipeline: reader (inputs -> documents) -> tokenizer (bytes -> tokens and
 * adjacency breaks) -> counters (term ids in an intern table) -> stats and
 * timelines (GSL) -> writer (CSV). This header holds what every stage shares:
 * version macros, status codes, the error record and the option structure the
 * command line fills in (TP_OPTS_INIT gives the documented defaults).
 *
 * Copyright (C) 2026 the tempora authors. GPL-3.0-or-later.
 */
#ifndef TEMPORA_H
#define TEMPORA_H

#include <stddef.h>
#include <stdint.h>

#define TP_VERSION_MAJOR 0
#define TP_VERSION_MINOR 1
#define TP_VERSION_PATCH 0
#define TP_VERSION_STRING "0.1.0"

/* Every fallible function returns 0 or one of these (negative). */
enum tp_status {
    TP_OK = 0,
    TP_ENOMEM = -1,   /* out of memory */
    TP_EIO = -2,      /* an input or output file cannot be read or written */
    TP_EPARSE = -3,   /* malformed input data: CSV, JSON, a date under --strict */
    TP_EUSAGE = -4,   /* a bad option or argument: exit status 2 */
    TP_EDATA = -5,    /* the data cannot give the requested result */
    TP_EINTERNAL = -6 /* a library call failed where it should not */
};

/* A sink may return this (positive) to stop a stream early without error. */
#define TP_STOP 1

/* The error record every fallible function fills in. msg is one line, without
 * the "tempora: " prefix, usually "FILE:LINE: what is wrong". */
struct tp_error {
    int code;
    char msg[1024];
};

/* Fill err (if not NULL) with code and a printf-formatted message; returns code,
 * so "return tp_error_set(err, TP_EIO, "%s: %s", path, strerror(errno));"
 * reports and fails in one line. */
int tp_error_set(struct tp_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Warnings (bad dates, skipped inputs) go through this callback; the library
 * never prints. msg is borrowed for the duration of the call. */
typedef void tp_warn_fn(void *ctx, const char *msg);

enum tp_encoding { TP_ENC_AUTO, TP_ENC_UTF8, TP_ENC_LATIN1, TP_ENC_CP1252 };

/* Input formats (--format): auto decides by file name, then by content. */
enum tp_format {
    TP_FMT_AUTO,
    TP_FMT_TEXT,
    TP_FMT_CSV,
    TP_FMT_JSONL,
    TP_FMT_JSON,
    TP_FMT_MAIL,
    TP_FMT_MBOX,
    TP_FMT_HTML
};

/* Tokenizer language profiles. Only the apostrophe rule and the stopword list
 * depend on the language. */
enum tp_lang {
    TP_LANG_AUTO,
    TP_LANG_IT,
    TP_LANG_FR,
    TP_LANG_EN,
    TP_LANG_ES,
    TP_LANG_DE,
    TP_LANG_PT,
    TP_LANG_NONE /* no stopword list, words kept whole */
};

/* Timeline periods, coarse to fine. */
enum tp_period {
    TP_PERIOD_AUTO,
    TP_PERIOD_YEAR,
    TP_PERIOD_QUARTER,
    TP_PERIOD_MONTH,
    TP_PERIOD_WEEK,
    TP_PERIOD_DAY
};

enum tp_tf { TP_TF_RAW, TP_TF_LOG, TP_TF_BOOL };
enum tp_idf { TP_IDF_SMOOTH, TP_IDF_PLAIN, TP_IDF_NONE };
enum tp_norm { TP_NORM_L2, TP_NORM_L1, TP_NORM_NONE };

/* Association measures collocations can be sorted by (--measure). */
enum tp_measure {
    TP_M_LOG_LIKELIHOOD,
    TP_M_PMI,
    TP_M_T_SCORE,
    TP_M_Z_SCORE,
    TP_M_CHI2,
    TP_M_DICE,
    TP_M_LOG_DICE,
    TP_M_MI3,
    TP_M_COUNT
};

/* Memory caps: the longest document piece held whole (a line, a CSV field,
 * a JSONL object) and the largest pair table (--window), in MiB. */
#define TP_MAX_DOC_BYTES ((uint64_t)256 << 20)
#define TP_MAX_PAIR_MIB 2048
#define TP_MAX_NGRAM_MIB 2048

/* Every option a command can take. Strings are borrowed from argv. */
struct tp_opts {
    /* inputs and documents */
    int doc_per_line;
    const char *text_col;
    const char *date_col;
    const char *id_col; /* NULL: "id" when that column exists, else PATH:ROW */
    enum tp_encoding encoding;
    enum tp_format format; /* --format: TP_FMT_AUTO by name, then content */
    const char *meta_path;
    int date_from_name;
    /* --date-from-name looks at folders below these (the INPUT arguments,
     * for the readers of the files found in them); NULL: the file name only */
    const char *const *name_roots;
    size_t n_name_roots;
    int strict;
    int skip_errors;
    int date_col_given;     /* --date-col named on the command line: the CSV column must exist */
    uint64_t max_doc_bytes; /* longest line, CSV field or JSONL object held whole */
    enum tp_lang lang;
    int keep_case;
    int nfkc;
    int split_hyphens;
    const char *stopwords_path;
    int no_stopwords;
    int min_length;
    int stem;                /* --stem: words counted by their Snowball stem */
    const char *lemmas_path; /* --lemmas FILE: forms counted as their lemma */
    /* --from / --to: keep documents whose date (its first day) is in
     * [date_from, date_to], as YYYYMMDD numbers (0: no bound) */
    long date_from, date_to;
    /* reports */
    int ngram;
    long top; /* -1: the command's default */
    long min_count;
    int min_count_given; /* --min-count named (trends' default is 10, not 3) */
    enum tp_measure measure;
    int window;
    uint64_t max_pair_mib;  /* the pair table (--window) stops past this many MiB */
    uint64_t max_ngram_mib; /* the n-gram table (--ngram) stops past this many MiB */
    int fisher;
    enum tp_tf tf;
    enum tp_idf idf;
    enum tp_norm norm;
    const char *terms; /* comma-separated (repeated --terms joined by commas), NULL: none */
    const char *const
        *terms_files;     /* --terms-file: one term a line; with terms, listed after them */
    size_t n_terms_files; /* no terms and no files: the top K */
    int wide;
    enum tp_period period;
    const char *period_label; /* keyness --period P */
    /* --group-by FIELD: a --meta column, CSV column, JSONL field or "dir" (NULL: no groups) */
    const char *group_by;
    const char *target_group;    /* keyness --target-group A, or --group A (A against the rest) */
    const char *reference_group; /* keyness --reference-group B (NULL with --group) */
    int freq_listed_only;        /* freq: rows of the listed terms (and patterns' matches) only */
    /* kwic */
    int kwic_context;   /* --context K: tokens each side */
    long kwic_sample;   /* --sample N: a seeded random sample of N rows (0: every row) */
    uint64_t kwic_seed; /* --seed S */
    /* output and run */
    const char *output;
    int excel;
    int xlsx; /* analyze: also tempora.xlsx */
    int progress;
    int quiet;
    int threads; /* 0: all cores */
};

#define TP_OPTS_INIT                                                                               \
    {                                                                                              \
        .text_col = "text", .date_col = "date", .encoding = TP_ENC_AUTO, .lang = TP_LANG_AUTO,     \
        .ngram = 1, .top = -1, .min_count = 3, .measure = TP_M_LOG_LIKELIHOOD, .window = 1,        \
        .max_doc_bytes = TP_MAX_DOC_BYTES, .max_pair_mib = TP_MAX_PAIR_MIB,                        \
        .max_ngram_mib = TP_MAX_NGRAM_MIB, .tf = TP_TF_RAW, .idf = TP_IDF_SMOOTH,                  \
        .norm = TP_NORM_L2, .period = TP_PERIOD_AUTO, .kwic_context = 8,                           \
    }

#endif
