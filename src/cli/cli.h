/*
 * cli.h - what the command-line front end shares: the parsed invocation, the
 * command table entries, and helpers every command uses (readers, counting,
 * output files, progress, the manifest). Only this layer prints or exits.
 */
#ifndef TP_CLI_H
#define TP_CLI_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "pipeline.h"
#include "reader.h"
#include "table.h"
#include "tempora.h"
#include "writer.h"
#include "xlsx.h"

struct cli {
    const char *cmd;
    struct tp_opts o;
    const char *const *inputs;
    size_t n_inputs;
    const char **target, **reference;
    size_t n_target, n_reference;
    int argc;
    char **argv;
    time_t start_time;
    double t0;
    int show_progress;
    double last_progress;
    int progress_drawn;
    uint64_t n_warnings;
    struct tp_table warned;   /* warnings already given */
    char *terms;              /* repeated --terms joined (o.terms), freed by main */
    const char **terms_files; /* o.terms_files, freed by main */
    const char **name_roots;  /* o.name_roots: every INPUT, --target, --reference; freed by main */
    /* the first reader that loaded --meta: later readers borrow it (a FIFO is
     * read once); whoever frees that reader clears this */
    const struct tp_reader *meta_lender;
    unsigned shard_i, shard_n; /* --shard I/N (shard_n 0: none) */
    int replace;               /* merge --replace */
    int group_alone;           /* --group A: o.target_group against every other group */
};

struct cli_command {
    const char *name;
    int (*run)(struct cli *cli, struct tp_error *err);
    const char *summary;
    const char *usage; /* the command's own options, for CMD --help */
    unsigned takes;    /* CLI_T_* bits: the report options it uses; any other is a usage error */
};

/* Options only some commands use (every command takes the input, token and
 * output options of common_usage). */
enum {
    CLI_T_NGRAM = 1u << 0,
    CLI_T_TOP = 1u << 1,
    CLI_T_MIN_COUNT = 1u << 2,
    CLI_T_MEASURE = 1u << 3,
    CLI_T_WINDOW = 1u << 4, /* --window, --max-pair-memory */
    CLI_T_FISHER = 1u << 5,
    CLI_T_TFIDF = 1u << 6, /* --tf, --idf, --norm */
    CLI_T_TERMS = 1u << 7,
    CLI_T_WIDE = 1u << 8,
    CLI_T_PERIOD = 1u << 9,
    CLI_T_REPORTED = 1u << 10, /* --min-length, --stopwords, --no-stopwords: what rows show */
    CLI_T_SIDES = 1u << 11,    /* --target A... --reference B... (together, inputs after them) */
    /* --period P names the period compared with the rest (keyness), not a unit;
     * without it --target and --reference are required */
    CLI_T_PERIOD_LABEL = 1u << 12,
    CLI_T_XLSX = 1u << 13, /* --xlsx: analyze's workbook */
    /* --group-by FIELD (freq, tfidf, timeline, summary, keyness, analyze) */
    CLI_T_GROUP_BY = 1u << 20,
    /* --target-group A --reference-group B, or --group A (keyness, analyze) */
    CLI_T_GROUP_SIDES = 1u << 21,
    CLI_T_KWIC = 1u << 16,     /* --context, --sample, --seed */
    CLI_T_GROUPING = 1u << 17, /* --stem, --lemmas: counted words mapped to groups */
    /* every report option in its plain sense (analyze) */
    CLI_T_ALL_REPORTS = (1u << 12) - 1,
    CLI_T_REPLACE = 1u << 14, /* merge --replace */
};

/* The command named name in the command table (commands.c), or NULL. */
const struct cli_command *cli_command_find(const char *name);
/* `tempora --help`: every command's summary and the common options. */
void cli_usage_main(FILE *f);
/* `tempora COMMAND --help`: the command's usage and the common options. */
void cli_usage_cmd(FILE *f, const struct cli_command *c);

/* Option words, indexed by the enum values of tempora.h (commands.c). */
extern const char *const cli_encoding_names[];
extern const char *const cli_format_names[];
extern const char *const cli_measure_names[];
extern const char *const cli_tf_names[];
extern const char *const cli_idf_names[];
extern const char *const cli_norm_names[];

/* --terms LIST and --terms-file FILE: every --terms adds its list, every
 * --terms-file its file (o.terms, o.terms_files). Returns 0 or TP_EUSAGE (an
 * empty list) / TP_ENOMEM. */
int cli_add_terms(struct cli *cli, const char *list, struct tp_error *err);
int cli_add_terms_file(struct cli *cli, const char *path, struct tp_error *err);

/* Exit statuses. */
enum { CLI_OK = 0, CLI_ERROR = 1, CLI_USAGE = 2 };

double cli_now(void);

/* Warning callback: "tempora: warning: MSG" on stderr unless --quiet. */
void cli_warn(void *ctx, const char *msg);

/* Progress callback (bytes, documents, MB/s, ETA) when enabled. */
void cli_progress(void *ctx, uint64_t done, uint64_t total, uint64_t docs);

/* Clear the progress line, if one was drawn. */
void cli_progress_end(struct cli *cli);

/* Open a reader over inputs (n may be 0 for standard input). */
int cli_reader(struct cli *cli, const char *const *inputs, size_t n, struct tp_reader **r,
               struct tp_error *err);
/* Free a reader cli_reader made (it lends --meta no more). */
void cli_reader_free(struct cli *cli, struct tp_reader *r);

/* The common job: open readers for the inputs, set up the run (language,
 * stopwords), start counting with co, count every document. For keyness with
 * --target/--reference the two sides are counted as sides 0 and 1. */
int cli_count(struct cli *cli, struct tp_run *run, const struct tp_count_opts *co,
              struct tp_error *err);

/* Write one table to o->output (or standard output) with fn, whole or not at
 * all. */
typedef int cli_table_fn(struct tp_run *run, struct tp_out *out, struct tp_error *err);
int cli_write_table(struct cli *cli, struct tp_run *run, cli_table_fn *fn, struct tp_error *err);

/* Open a one-table command's output: -o FILE.xlsx (any case) is a workbook
 * with one sheet named after the table (*x set; the cells go there only),
 * anything else the CSV table (*x NULL). Returns 0 or the error. */
int cli_open_table(struct cli *cli, struct tp_out **out, struct tp_xlsx **x, struct tp_error *err);

/* Close what cli_open_table opened: when rc (the table's writing) is 0, the
 * workbook is written and the file finished and renamed into place; either
 * way everything is freed (an unfinished file removed). Returns rc or the
 * first error of closing. */
int cli_close_table(struct tp_out *out, struct tp_xlsx *x, int rc, struct tp_error *err);

/* What a one-table command does: cli_count with co, then cli_write_table with
 * fn; the run is released either way. Returns 0 or the first error. */
int cli_count_and_write(struct cli *cli, const struct tp_count_opts *co, cli_table_fn *fn,
                        struct tp_error *err);

/* manifest.csv rows for run. */
int cli_write_manifest(struct cli *cli, struct tp_run *run, struct tp_out *out,
                       struct tp_error *err);

int cmd_analyze(struct cli *cli, struct tp_error *err);
int cmd_freq(struct cli *cli, struct tp_error *err);
int cmd_tfidf(struct cli *cli, struct tp_error *err);
int cmd_colloc(struct cli *cli, struct tp_error *err);
int cmd_timeline(struct cli *cli, struct tp_error *err);
int cmd_keyness(struct cli *cli, struct tp_error *err);
int cmd_summary(struct cli *cli, struct tp_error *err);
int cmd_tokens(struct cli *cli, struct tp_error *err);
int cmd_count(struct cli *cli, struct tp_error *err);
int cmd_merge(struct cli *cli, struct tp_error *err);

/* Merge the count states in[0..n) into output (tempora merge, and the MPI
 * reduction). Returns 0 or a negative TP_E*. */
int cli_merge_states(struct cli *cli, const char *const *in, size_t n, const char *output,
                     struct tp_error *err);

/* When set (tempora-mpi), cli_count calls it instead of counting here: it
 * counts this process's share and leaves in run what one process counting
 * everything would (or does not return, on a process that writes nothing). */
extern int (*cli_count_hook)(struct cli *cli, struct tp_run *run, const struct tp_count_opts *co,
                             struct tp_error *err);

/* When set (tempora-mpi), called with --shard once this process knows the
 * bytes of its share, before it counts (it may set o.threads). */
extern void (*cli_share_hook)(struct cli *cli, uint64_t share_bytes);

/* cli_count without the hook: what one process counts. */
int cli_count_here(struct cli *cli, struct tp_run *run, const struct tp_count_opts *co,
                   struct tp_error *err);
int cmd_trends(struct cli *cli, struct tp_error *err);
int cmd_kwic(struct cli *cli, struct tp_error *err);

#endif
