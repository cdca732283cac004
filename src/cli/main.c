/*
 * main.c - the option parsing and the main of the tempora program.
 *
 * Every command shares one getopt_long option array (long_opts, the OPT_
 * values); which command takes which option is the CLI_T_* bits of its
 * entry in the command table (commands.c, with the help texts); each
 * command's run function lives in cmd_<name>.c. main maps results to exit statuses (0 ok,
 * 1 runtime error, 2 usage error) and checks that standard output was written
 * (ferror + fclose: how a full disk is caught; tests provoke it with a
 * size limit, RLIMIT_FSIZE, in their own folder).
 */
#include <errno.h>
#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dates.h"
#include "heap.h"
#include "stopwords.h"

enum {
    OPT_DOC_PER_LINE = 256,
    OPT_TEXT_COL,
    OPT_DATE_COL,
    OPT_ID_COL,
    OPT_ENCODING,
    OPT_META,
    OPT_DATE_FROM_NAME,
    OPT_STRICT,
    OPT_SKIP_ERRORS,
    OPT_LANG,
    OPT_CASE,
    OPT_NORMALIZE,
    OPT_SPLIT_HYPHENS,
    OPT_STOPWORDS,
    OPT_NO_STOPWORDS,
    OPT_MIN_LENGTH,
    OPT_NGRAM,
    OPT_TOP,
    OPT_MIN_COUNT,
    OPT_MEASURE,
    OPT_WINDOW,
    OPT_FISHER,
    OPT_TF,
    OPT_IDF,
    OPT_NORM,
    OPT_TERMS,
    OPT_TERMS_FILE,
    OPT_WIDE,
    OPT_PERIOD,
    OPT_EXCEL,
    OPT_PROGRESS,
    OPT_QUIET,
    OPT_THREADS,
    OPT_MAX_DOC_BYTES,
    OPT_MAX_PAIR_MEMORY,
    OPT_MAX_NGRAM_MEMORY,
    OPT_XLSX,
    OPT_FORMAT,
    OPT_SHARD,
    OPT_REPLACE,
    OPT_GROUP_BY,
    OPT_TARGET_GROUP,
    OPT_REFERENCE_GROUP,
    OPT_GROUP,
    OPT_FROM,
    OPT_TO,
    OPT_CONTEXT,
    OPT_SAMPLE,
    OPT_SEED,
    OPT_STEM,
    OPT_LEMMAS,
};

static const struct option long_opts[] = {
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {"doc-per-line", no_argument, NULL, OPT_DOC_PER_LINE},
    {"text-col", required_argument, NULL, OPT_TEXT_COL},
    {"date-col", required_argument, NULL, OPT_DATE_COL},
    {"id-col", required_argument, NULL, OPT_ID_COL},
    {"encoding", required_argument, NULL, OPT_ENCODING},
    {"meta", required_argument, NULL, OPT_META},
    {"date-from-name", no_argument, NULL, OPT_DATE_FROM_NAME},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"skip-errors", no_argument, NULL, OPT_SKIP_ERRORS},
    {"lang", required_argument, NULL, OPT_LANG},
    {"case", required_argument, NULL, OPT_CASE},
    {"normalize", required_argument, NULL, OPT_NORMALIZE},
    {"split-hyphens", no_argument, NULL, OPT_SPLIT_HYPHENS},
    {"stopwords", required_argument, NULL, OPT_STOPWORDS},
    {"no-stopwords", no_argument, NULL, OPT_NO_STOPWORDS},
    {"min-length", required_argument, NULL, OPT_MIN_LENGTH},
    {"ngram", required_argument, NULL, OPT_NGRAM},
    {"top", required_argument, NULL, OPT_TOP},
    {"min-count", required_argument, NULL, OPT_MIN_COUNT},
    {"measure", required_argument, NULL, OPT_MEASURE},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"fisher", no_argument, NULL, OPT_FISHER},
    {"tf", required_argument, NULL, OPT_TF},
    {"idf", required_argument, NULL, OPT_IDF},
    {"norm", required_argument, NULL, OPT_NORM},
    {"terms", required_argument, NULL, OPT_TERMS},
    {"terms-file", required_argument, NULL, OPT_TERMS_FILE},
    {"wide", no_argument, NULL, OPT_WIDE},
    {"period", required_argument, NULL, OPT_PERIOD},
    {"excel", no_argument, NULL, OPT_EXCEL},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"max-doc-bytes", required_argument, NULL, OPT_MAX_DOC_BYTES},
    {"max-pair-memory", required_argument, NULL, OPT_MAX_PAIR_MEMORY},
    {"max-ngram-memory", required_argument, NULL, OPT_MAX_NGRAM_MEMORY},
    {"xlsx", no_argument, NULL, OPT_XLSX},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"replace", no_argument, NULL, OPT_REPLACE},
    {"group-by", required_argument, NULL, OPT_GROUP_BY},
    {"target-group", required_argument, NULL, OPT_TARGET_GROUP},
    {"reference-group", required_argument, NULL, OPT_REFERENCE_GROUP},
    {"group", required_argument, NULL, OPT_GROUP},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"context", required_argument, NULL, OPT_CONTEXT},
    {"sample", required_argument, NULL, OPT_SAMPLE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"stem", no_argument, NULL, OPT_STEM},
    {"lemmas", required_argument, NULL, OPT_LEMMAS},
    {NULL, 0, NULL, 0},
};

/* The one checked number parser: a whole number in [min, max]. */
static int parse_long(const char *opt, const char *s, long min, long max, long *out,
                      struct tp_error *err)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > max)
        return tp_error_set(err, TP_EUSAGE, "--%s: '%s' is not a whole number from %ld to %ld", opt,
                            s, min, max);
    *out = (long)v;
    return 0;
}

/* Match s against words[0..n); returns the index or -1. */
static int pick(const char *s, const char *const *words, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, words[i]) == 0)
            return i;
    return -1;
}

/* A size in bytes: a whole number with an optional K, M or G (binary units),
 * from 1 KiB to 1 TiB. */
static int parse_size(const char *opt, const char *s, uint64_t *out, struct tp_error *err)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (errno || end == s || *end != '\0' || s[0] == '-' || v > (1ull << 40) >> shift ||
        v << shift < 1024)
        return tp_error_set(err, TP_EUSAGE,
                            "--%s: '%s' is not a size from 1K to 1024G (a number of bytes, or "
                            "with K, M or G)",
                            opt, s);
    *out = (uint64_t)v << shift;
    return 0;
}

/* The CLI_T_* bit of an option only some commands take (0: every command). */
static unsigned option_bit(int c)
{
    switch (c) {
    case OPT_NGRAM:
    case OPT_MAX_NGRAM_MEMORY:
        return CLI_T_NGRAM;
    case OPT_TOP:
        return CLI_T_TOP;
    case OPT_MIN_COUNT:
        return CLI_T_MIN_COUNT;
    case OPT_MEASURE:
        return CLI_T_MEASURE;
    case OPT_WINDOW:
    case OPT_MAX_PAIR_MEMORY:
        return CLI_T_WINDOW;
    case OPT_FISHER:
        return CLI_T_FISHER;
    case OPT_TF:
    case OPT_IDF:
    case OPT_NORM:
        return CLI_T_TFIDF;
    case OPT_TERMS:
    case OPT_TERMS_FILE:
        return CLI_T_TERMS;
    case OPT_WIDE:
        return CLI_T_WIDE;
    case OPT_CONTEXT:
    case OPT_SAMPLE:
    case OPT_SEED:
        return CLI_T_KWIC;
    case OPT_STEM:
    case OPT_LEMMAS:
        return CLI_T_GROUPING;
    case OPT_PERIOD:
        return CLI_T_PERIOD;
    case OPT_MIN_LENGTH:
    case OPT_STOPWORDS:
    case OPT_NO_STOPWORDS:
        return CLI_T_REPORTED;
    case OPT_XLSX:
        return CLI_T_XLSX;
    case OPT_REPLACE:
        return CLI_T_REPLACE;
    case OPT_GROUP_BY:
        return CLI_T_GROUP_BY;
    case OPT_TARGET_GROUP:
    case OPT_REFERENCE_GROUP:
    case OPT_GROUP:
        return CLI_T_GROUP_SIDES;
    default:
        return 0;
    }
}

static const char *option_name(int c)
{
    for (const struct option *op = long_opts; op->name; op++)
        if (op->val == c)
            return op->name;
    return "?";
}

/* "-" named more than once (in INPUTs, --target and --reference together)
 * would read standard input twice, the second time empty. */
static int stdin_twice(const struct cli *cli, struct tp_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < cli->n_inputs; i++)
        n += strcmp(cli->inputs[i], "-") == 0;
    for (size_t i = 0; i < cli->n_target; i++)
        n += strcmp(cli->target[i], "-") == 0;
    for (size_t i = 0; i < cli->n_reference; i++)
        n += strcmp(cli->reference[i], "-") == 0;
    if (n > 1)
        return tp_error_set(err, TP_EUSAGE,
                            "standard input ('-') is named %zu times: it can be read only once", n);
    return 0;
}

static int bad_choice(const char *opt, const char *s, const char *choices, struct tp_error *err)
{
    return tp_error_set(err, TP_EUSAGE, "--%s: '%s' is not one of %s", opt, s, choices);
}

/* Take "--target A B ... " and "--reference C D ..." out of argv (keyness): the
 * INPUTs after each, up to the next option. */
static int take_sides(struct cli *cli, int *argc, char **argv, struct tp_error *err)
{
    int w = 1;
    const char ***list = NULL;
    size_t *count = NULL;
    cli->target = calloc((size_t)*argc, sizeof(char *));
    cli->reference = calloc((size_t)*argc, sizeof(char *));
    if (!cli->target || !cli->reference)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--target") == 0 || strcmp(a, "--reference") == 0) {
            int t = a[2] == 't';
            list = t ? &cli->target : &cli->reference;
            count = t ? &cli->n_target : &cli->n_reference;
            continue;
        }
        if (list && (a[0] != '-' || strcmp(a, "-") == 0)) {
            (*list)[(*count)++] = a;
            continue;
        }
        list = NULL;
        argv[w++] = argv[i];
        /* an option's argument must not be taken for an input */
        if (a[0] == '-' && a[1] == '-' && !strchr(a, '=')) {
            for (const struct option *op = long_opts; op->name; op++)
                if (strcmp(a + 2, op->name) == 0 && op->has_arg == required_argument &&
                    i + 1 < *argc)
                    argv[w++] = argv[++i];
        } else if (strcmp(a, "-o") == 0 && i + 1 < *argc) {
            argv[w++] = argv[++i];
        }
    }
    *argc = w;
    argv[w] = NULL;
    return 0;
}

/* Options without rules of their own: each sets one field of struct tp_opts,
 * an int to 1 (flag_opts) or a string to its argument (text_opts). */
struct plain_opt {
    int opt;
    size_t at; /* offsetof the field */
};

static const struct plain_opt flag_opts[] = {
    {OPT_DOC_PER_LINE, offsetof(struct tp_opts, doc_per_line)},
    {OPT_DATE_FROM_NAME, offsetof(struct tp_opts, date_from_name)},
    {OPT_STRICT, offsetof(struct tp_opts, strict)},
    {OPT_SKIP_ERRORS, offsetof(struct tp_opts, skip_errors)},
    {OPT_SPLIT_HYPHENS, offsetof(struct tp_opts, split_hyphens)},
    {OPT_NO_STOPWORDS, offsetof(struct tp_opts, no_stopwords)},
    {OPT_FISHER, offsetof(struct tp_opts, fisher)},
    {OPT_WIDE, offsetof(struct tp_opts, wide)},
    {OPT_EXCEL, offsetof(struct tp_opts, excel)},
    {OPT_XLSX, offsetof(struct tp_opts, xlsx)},
    {OPT_PROGRESS, offsetof(struct tp_opts, progress)},
    {OPT_QUIET, offsetof(struct tp_opts, quiet)},
    {OPT_STEM, offsetof(struct tp_opts, stem)},
};

static const struct plain_opt text_opts[] = {
    {'o', offsetof(struct tp_opts, output)},
    {OPT_TEXT_COL, offsetof(struct tp_opts, text_col)},
    {OPT_ID_COL, offsetof(struct tp_opts, id_col)},
    {OPT_META, offsetof(struct tp_opts, meta_path)},
    {OPT_STOPWORDS, offsetof(struct tp_opts, stopwords_path)},
    {OPT_GROUP_BY, offsetof(struct tp_opts, group_by)},
    {OPT_TARGET_GROUP, offsetof(struct tp_opts, target_group)},
    {OPT_REFERENCE_GROUP, offsetof(struct tp_opts, reference_group)},
    {OPT_LEMMAS, offsetof(struct tp_opts, lemmas_path)},
};

/* Where the option c of flag_opts or text_opts (n entries) puts its value in
 * o, or NULL. */
static void *plain_field(struct tp_opts *o, const struct plain_opt *t, size_t n, int c)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].opt == c)
            return (char *)o + t[i].at;
    return NULL;
}

/* Options that name one of a list of words (the enum values of tempora.h). */
struct choice_opt {
    int opt;
    const char *name;
    const char *const *names;
    int n;
};

static const struct choice_opt choice_opts[] = {
    {OPT_MEASURE, "measure", cli_measure_names, 9},
    {OPT_TF, "tf", cli_tf_names, 3},
    {OPT_IDF, "idf", cli_idf_names, 3},
    {OPT_NORM, "norm", cli_norm_names, 3},
    {OPT_FORMAT, "format", cli_format_names, 8},
};

/* Options that take a whole number in a range, into an int field. */
static const struct int_opt {
    int opt;
    const char *name;
    long lo, hi;
    size_t at; /* offsetof the field */
} int_opts[] = {
    {OPT_MIN_LENGTH, "min-length", 0, 1000, offsetof(struct tp_opts, min_length)},
    {OPT_NGRAM, "ngram", 1, 8, offsetof(struct tp_opts, ngram)},
    {OPT_WINDOW, "window", 1, 100, offsetof(struct tp_opts, window)},
    {OPT_THREADS, "threads", 1, 1024, offsetof(struct tp_opts, threads)},
    {OPT_CONTEXT, "context", 0, 1000, offsetof(struct tp_opts, kwic_context)},
};

static const struct int_opt *int_opt_of(int c)
{
    for (size_t i = 0; i < sizeof(int_opts) / sizeof(int_opts[0]); i++)
        if (int_opts[i].opt == c)
            return &int_opts[i];
    return NULL;
}

static const struct choice_opt *choice_of(int c)
{
    for (size_t i = 0; i < sizeof(choice_opts) / sizeof(choice_opts[0]); i++)
        if (choice_opts[i].opt == c)
            return &choice_opts[i];
    return NULL;
}

/* "--NAME: 'S' is not one of A, B, C" for a choice option. */
static int bad_word(const struct choice_opt *ch, const char *s, struct tp_error *err)
{
    char list[256];
    size_t at = 0;
    for (int i = 0; i < ch->n && at < sizeof(list); i++)
        at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", i ? ", " : "", ch->names[i]);
    return bad_choice(ch->name, s, list, err);
}

/* --group-by's FIELD and the keyness groups (--target-group A
 * --reference-group B, or --group A against every other group). */
static int check_group_sides(struct cli *cli, const struct cli_command *cmd, struct tp_error *err)
{
    struct tp_opts *o = &cli->o;
    if (o->group_by && !*o->group_by)
        return tp_error_set(err, TP_EUSAGE, "--group-by: the FIELD is empty");
    if (!o->target_group && !o->reference_group)
        return 0;
    const char *which = cli->group_alone ? "--group" : "--target-group";
    if (cli->group_alone && o->reference_group)
        return tp_error_set(err, TP_EUSAGE,
                            "%s: give either --group A or --target-group A --reference-group B",
                            cmd->name);
    if (!o->target_group || (!cli->group_alone && !o->reference_group))
        return tp_error_set(err, TP_EUSAGE, "%s: --target-group and --reference-group go together",
                            cmd->name);
    if (!o->group_by)
        return tp_error_set(err, TP_EUSAGE, "%s: %s needs --group-by FIELD", cmd->name, which);
    if (cli->n_target || cli->n_reference || o->period_label)
        return tp_error_set(err, TP_EUSAGE,
                            "%s: %s compares groups: not with --target/--reference or --period",
                            cmd->name, which);
    if (o->reference_group && strcmp(o->target_group, o->reference_group) == 0)
        return tp_error_set(err, TP_EUSAGE,
                            "%s: --target-group and --reference-group name the same group '%s'",
                            cmd->name, o->target_group);
    return 0;
}

/* --from DATE / --to DATE (YYYY, YYYY-MM or YYYY-MM-DD) as a YYYYMMDD
 * number: the first day of DATE for --from, its last for --to (31 stands for
 * a month's last day: no date has a later one). */
static int parse_range_date(int from, const char *s, struct tp_opts *o, struct tp_error *err)
{
    struct tp_date d;
    if (tp_date_parse(s, strlen(s), &d) != 0)
        return tp_error_set(err, TP_EUSAGE, "--%s: '%s' is not a date YYYY, YYYY-MM or YYYY-MM-DD",
                            from ? "from" : "to", s);
    long key = (long)d.year * 10000 +
               (d.month ? d.month
                : from  ? 1
                        : 12) *
                   100 +
               (d.day  ? d.day
                : from ? 1
                       : 31);
    *(from ? &o->date_from : &o->date_to) = key;
    if (o->date_from && o->date_to && o->date_from > o->date_to)
        return tp_error_set(err, TP_EUSAGE, "--from is after --to: no document can be in range");
    return 0;
}

static int parse(struct cli *cli, const struct cli_command *cmd, int argc, char **argv,
                 struct tp_error *err)
{
    struct tp_opts *o = &cli->o;
    long v;
    int rc, c;
    const char *const *encodings = cli_encoding_names;
    if ((cmd->takes & CLI_T_SIDES) && (rc = take_sides(cli, &argc, argv, err)))
        return rc;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", long_opts, NULL)) != -1) {
        rc = 0;
        if (option_bit(c) & ~cmd->takes)
            return tp_error_set(err, TP_EUSAGE, "--%s: not an option of 'tempora %s'",
                                option_name(c), cmd->name);
        int *flag = plain_field(o, flag_opts, sizeof(flag_opts) / sizeof(flag_opts[0]), c);
        const char **text = plain_field(o, text_opts, sizeof(text_opts) / sizeof(text_opts[0]), c);
        const struct int_opt *io = int_opt_of(c);
        if (io) {
            if ((rc = parse_long(io->name, optarg, io->lo, io->hi, &v, err)))
                return rc;
            *(int *)(void *)((char *)o + io->at) = (int)v;
            continue;
        }
        const struct choice_opt *ch = choice_of(c);
        if (ch) {
            if ((v = pick(optarg, ch->names, ch->n)) < 0)
                return bad_word(ch, optarg, err);
            if (c == OPT_MEASURE)
                o->measure = (enum tp_measure)v;
            else if (c == OPT_TF)
                o->tf = (enum tp_tf)v;
            else if (c == OPT_IDF)
                o->idf = (enum tp_idf)v;
            else if (c == OPT_FORMAT)
                o->format = (enum tp_format)v;
            else
                o->norm = (enum tp_norm)v;
            continue;
        }
        if (flag || text) {
            if (flag)
                *flag = 1;
            else
                *text = optarg;
            continue;
        }
        switch (c) {
        case 'h':
            cli_usage_cmd(stdout, cmd);
            return 1;
        case OPT_DATE_COL:
            o->date_col = optarg;
            o->date_col_given = 1;
            break;
        case OPT_ENCODING:
            v = pick(optarg, encodings, 4);
            if (strcmp(optarg, "utf8") == 0)
                v = TP_ENC_UTF8;
            if (strcmp(optarg, "latin1") == 0 || strcmp(optarg, "iso-8859-1") == 0)
                v = TP_ENC_LATIN1;
            if (v < 0)
                return bad_choice("encoding", optarg, "auto, utf-8, latin-1, cp1252", err);
            o->encoding = (enum tp_encoding)v;
            break;
        case OPT_LANG:
            if (tp_lang_from_name(optarg, &o->lang) != 0)
                return bad_choice("lang", optarg, "auto, it, fr, en, es, de, pt, none", err);
            break;
        case OPT_CASE:
            if (strcmp(optarg, "keep") != 0 && strcmp(optarg, "fold") != 0)
                return bad_choice("case", optarg, "keep, fold", err);
            o->keep_case = optarg[0] == 'k';
            break;
        case OPT_NORMALIZE:
            if (strcmp(optarg, "nfc") != 0 && strcmp(optarg, "nfkc") != 0)
                return bad_choice("normalize", optarg, "nfc, nfkc", err);
            o->nfkc = optarg[2] == 'k';
            break;
        case OPT_TOP:
            rc = parse_long("top", optarg, 0, 1000000000L, &o->top, err);
            break;
        case OPT_MIN_COUNT:
            rc = parse_long("min-count", optarg, 1, 1000000000L, &o->min_count, err);
            o->min_count_given = 1;
            break;
        case OPT_TERMS:
            rc = cli_add_terms(cli, optarg, err);
            break;
        case OPT_TERMS_FILE:
            rc = cli_add_terms_file(cli, optarg, err);
            break;
        case OPT_PERIOD:
            if (cmd->takes & CLI_T_PERIOD_LABEL)
                o->period_label = optarg;
            else if (tp_period_from_name(optarg, &o->period) != 0)
                return bad_choice("period", optarg, "year, quarter, month, week, day", err);
            break;
        case OPT_GROUP:
            o->target_group = optarg;
            cli->group_alone = 1;
            break;
        case OPT_MAX_DOC_BYTES:
            rc = parse_size("max-doc-bytes", optarg, &o->max_doc_bytes, err);
            break;
        case OPT_MAX_PAIR_MEMORY:
            rc = parse_long("max-pair-memory", optarg, 1, 1048576, &v, err);
            o->max_pair_mib = (uint64_t)v;
            break;
        case OPT_MAX_NGRAM_MEMORY:
            rc = parse_long("max-ngram-memory", optarg, 1, 1048576, &v, err);
            o->max_ngram_mib = (uint64_t)v;
            break;
        case OPT_SHARD: {
            unsigned si, sn;
            char tail;
            if (sscanf(optarg, "%u/%u%c", &si, &sn, &tail) != 2 || sn < 1 || sn > 1000000 ||
                si < 1 || si > sn)
                return tp_error_set(err, TP_EUSAGE,
                                    "--shard: '%s' is not I/N with 1 <= I <= N (e.g. 2/8)", optarg);
            cli->shard_i = si;
            cli->shard_n = sn;
            break;
        }
        case OPT_REPLACE:
            cli->replace = 1;
            break;
        case OPT_SAMPLE:
            rc = parse_long("sample", optarg, 1, 1000000000L, &o->kwic_sample, err);
            break;
        case OPT_SEED:
            rc = parse_long("seed", optarg, 0, 2147483647L, &v, err);
            o->kwic_seed = (uint64_t)v;
            break;
        case OPT_FROM:
        case OPT_TO:
            rc = parse_range_date(c == OPT_FROM, optarg, o, err);
            break;
        case ':':
            return tp_error_set(err, TP_EUSAGE, "%s needs a value", argv[optind - 1]);
        default:
            return tp_error_set(err, TP_EUSAGE, "unknown option '%s'", argv[optind - 1]);
        }
        if (rc)
            return rc;
    }
    cli->inputs = (const char *const *)argv + optind;
    cli->n_inputs = (size_t)(argc - optind);
    if ((rc = stdin_twice(cli, err)))
        return rc;
    if ((rc = check_group_sides(cli, cmd, err)))
        return rc;
    if ((cmd->takes & CLI_T_PERIOD_LABEL) && o->target_group) {
        /* keyness between groups: the inputs are read as usual */
    } else if (cmd->takes & CLI_T_PERIOD_LABEL) {
        if ((cli->n_target || cli->n_reference) && o->period_label)
            return tp_error_set(err, TP_EUSAGE,
                                "%s: give either --target/--reference or --period, not both",
                                cmd->name);
        if (!o->period_label && (!cli->n_target || !cli->n_reference))
            return tp_error_set(err, TP_EUSAGE,
                                "%s needs --target INPUT... and --reference INPUT... (or "
                                "--period P)",
                                cmd->name);
        if (!o->period_label && cli->n_inputs)
            return tp_error_set(err, TP_EUSAGE,
                                "%s: inputs go after --target or --reference ('%s')", cmd->name,
                                cli->inputs[0]);
    } else if ((cmd->takes & CLI_T_SIDES) && (cli->n_target || cli->n_reference)) {
        if (!cli->n_target || !cli->n_reference)
            return tp_error_set(err, TP_EUSAGE,
                                "%s: --target and --reference go together (keyness.csv)",
                                cmd->name);
        if (cli->n_inputs)
            return tp_error_set(err, TP_EUSAGE,
                                "%s: with --target/--reference, inputs go after them ('%s')",
                                cmd->name, cli->inputs[0]);
    }
    if (cli->shard_n && cli->n_inputs == 0 && !(cli->n_target || cli->n_reference))
        return tp_error_set(err, TP_EUSAGE,
                            "--shard: standard input cannot be shared out (name the INPUTs)");
    if (cli->shard_n && (cli->n_target || cli->n_reference))
        return tp_error_set(err, TP_EUSAGE,
                            "--shard: not with --target/--reference (count each side's shares "
                            "apart)");
    int reads_stdin = cli->n_inputs == 0 && !(cli->n_target || cli->n_reference);
    if (reads_stdin && isatty(STDIN_FILENO))
        return tp_error_set(err, TP_EUSAGE,
                            "no INPUT given and standard input is a terminal (see 'tempora %s "
                            "--help')",
                            cmd->name);
    cli->show_progress = !o->quiet && (o->progress || isatty(STDERR_FILENO));
    return 0;
}

int main(int argc, char **argv)
{
    struct tp_error err = {0, ""};
    struct cli cli;
    int status = CLI_OK;
    gsl_set_error_handler_off();
    if (tp_out_install_signal_cleanup(&err) != 0) {
        fprintf(stderr, "tempora: %s\n", err.msg);
        return CLI_ERROR;
    }
    memset(&cli, 0, sizeof(cli));
    struct tp_opts defaults = TP_OPTS_INIT;
    cli.o = defaults;
    cli.argc = argc;
    cli.argv = argv;
    cli.start_time = time(NULL);
    cli.t0 = cli_now();

    if (argc < 2) {
        cli_usage_main(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        cli_usage_main(stdout);
        goto done;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("tempora %s\n", TP_VERSION_STRING);
        goto done;
    }
    const struct cli_command *cmd = cli_command_find(argv[1]);
    if (!cmd) {
        fprintf(stderr, "tempora: unknown command '%s'\n\n", argv[1]);
        cli_usage_main(stderr);
        return CLI_USAGE;
    }
    cli.cmd = cmd->name;
    /* Parse a copy: keyness rewrites its argv, the manifest wants the original. */
    char **args = calloc((size_t)argc + 1, sizeof(char *));
    if (!args) {
        fprintf(stderr, "tempora: out of memory\n");
        return CLI_ERROR;
    }
    for (int i = 1; i < argc; i++)
        args[i - 1] = argv[i];
    int rc = parse(&cli, cmd, argc - 1, args, &err);
    if (rc == 1) {
        rc = 0;
        goto out;
    }
    if (rc == 0)
        tp_heap_huge(tp_threads_for(cli.o.threads));
    if (rc == 0)
        rc = cmd->run(&cli, &err);
    cli_progress_end(&cli);
    if (rc == TP_ENOMEM && strcmp(err.msg, "out of memory") == 0)
        snprintf(err.msg, sizeof(err.msg),
                 "out of memory in 'tempora %s' (memory grows with the vocabulary, --ngram and "
                 "--window: lower them, or count fewer inputs at a time)",
                 cmd->name);
    if (rc < 0) {
        fprintf(stderr, "tempora: %s\n", err.msg);
        if (rc == TP_EUSAGE)
            fprintf(stderr, "(see 'tempora %s --help')\n", cmd->name);
        status = rc == TP_EUSAGE ? CLI_USAGE : CLI_ERROR;
    }
out:
    free(args);
    free(cli.target);
    free(cli.reference);
    free(cli.terms);
    free(cli.terms_files);
    free(cli.name_roots);
    if (cli.warned.slots)
        tp_table_release(&cli.warned);
done:;
    /* A table on standard output reported its own write error; anything else
     * written there (help, version) is checked here. */
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    if (fclose(stdout) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad && status == CLI_OK) {
        fprintf(stderr, "tempora: standard output: write failed: %s\n", strerror(e));
        return CLI_ERROR;
    }
    return status;
}
