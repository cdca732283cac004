/*
 * commands.c - the command table of the tempora program and its help texts.
 *
 * Where it sits: main.c finds the command named on the command line here
 * (cli_command_find), parses its options against the entry's CLI_T_* bits
 * and calls its run function, which lives in cmd_<name>.c. The table is
 * struct cli_command entries (cli.h): name, run function, the one-line
 * summary `tempora --help` lists, the command's own usage text for
 * `tempora COMMAND --help`, and the options it takes; common_usage is the
 * part every command's help shares. The option words indexed by the enums
 * of tempora.h (cli_*_names) are here too.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Option words, indexed by the enum values of tempora.h. */
const char *const cli_encoding_names[] = {"auto", "utf-8", "latin-1", "cp1252"};
const char *const cli_format_names[] = {"auto", "text", "csv",  "jsonl",
                                        "json", "mail", "mbox", "html"};
const char *const cli_measure_names[] = {"log_likelihood", "pmi",      "t_score", "z_score", "chi2",
                                         "dice",           "log_dice", "mi3",     "count"};
const char *const cli_tf_names[] = {"raw", "log", "bool"};
const char *const cli_idf_names[] = {"smooth", "plain", "none"};
const char *const cli_norm_names[] = {"l2", "l1", "none"};

static const struct cli_command commands[] = {
    {"analyze", cmd_analyze, "every table below into DIR (default ./out)",
     "[OPTIONS] [INPUT...] [-o DIR]\n"
     "  writes freq.csv tfidf.csv collocations.csv timeline.csv trends.csv timeline.svg\n"
     "  summary.csv manifest.csv (and keyness.csv with --target/--reference) into DIR\n"
     "  takes every option of freq, tfidf, colloc, timeline and keyness\n"
     "  also report.html (the tables in a browser: interactive timeline, offline)\n"
     "  --xlsx  also tempora.xlsx: one sheet per table (one-table commands: -o FILE.xlsx)\n"
     "  --group-by FIELD  a first column `group` in freq, tfidf, timeline, trends, summary\n"
     "    e.g. tempora analyze --meta corpus/.meta.csv --group-by section corpus -o out",
     CLI_T_ALL_REPORTS | CLI_T_XLSX | CLI_T_GROUP_BY | CLI_T_GROUP_SIDES | CLI_T_GROUPING},
    {"freq", cmd_freq, "frequency list (--ngram N for n-grams)",
     "[OPTIONS] [INPUT...] [-o FILE]\n"
     "  columns: rank,term,count,per_million,doc_freq,dp\n"
     "  --ngram N  n-grams of N adjacent tokens (1..8)   --top K  first K rows\n"
     "  --max-ngram-memory MIB (2048)  largest n-gram table before it stops with a message\n"
     "  --group-by FIELD  one list per group: group,rank,term,... (rates within the group)\n"
     "    e.g. tempora freq --group-by dir --top 5 corpus\n"
     "  --terms a,b,pre*  only these terms (n-grams with --ngram), and every term a pattern\n"
     "                    `pre*` matches: tempora freq corpus/ --terms 'energ*'\n"
     "  e.g. tempora freq corpus/it --stem --top 20;  tempora freq corpus/ --from 2025 --to "
     "2025-06",
     CLI_T_NGRAM | CLI_T_TOP | CLI_T_REPORTED | CLI_T_TERMS | CLI_T_GROUPING | CLI_T_GROUP_BY},
    {"tfidf", cmd_tfidf, "top TF-IDF terms per document",
     "[OPTIONS] [INPUT...] [-o FILE]\n"
     "  columns: doc_id,date,rank,term,count,tf,df,idf,tfidf\n"
     "  --top K (10)  --tf raw|log|bool  --idf smooth|plain|none  --norm l2|l1|none\n"
     "  --group-by FIELD  a first column group (documents ordered by group, then input)\n"
     "  --ngram N  n-grams of N adjacent tokens instead of words",
     CLI_T_TOP | CLI_T_TFIDF | CLI_T_REPORTED | CLI_T_NGRAM | CLI_T_GROUPING | CLI_T_GROUP_BY},
    {"colloc", cmd_colloc, "collocations with association measures",
     "[OPTIONS] [INPUT...] [-o FILE]\n"
     "  --min-count N (3)  --top K (1000)  --window K (1)  --fisher\n"
     "  --measure log_likelihood|pmi|t_score|z_score|chi2|dice|log_dice|mi3|count\n"
     "  --max-pair-memory MIB (2048)  largest pair table before it stops with a message",
     CLI_T_TOP | CLI_T_MIN_COUNT | CLI_T_MEASURE | CLI_T_WINDOW | CLI_T_FISHER | CLI_T_REPORTED |
         CLI_T_GROUPING},
    {"timeline", cmd_timeline, "term frequency per period (+ trends.csv with analyze)",
     "[OPTIONS] [INPUT...] [-o FILE]\n"
     "  --terms a,b,...  (multi-word terms allowed; repeat to add more)  --top K (20)  --wide\n"
     "  a term ending in * is a pattern: one series summing every term it begins\n"
     "  (tempora timeline corpus/ --terms 'energ*,inflazione' --period quarter)\n"
     "  --terms-file F  one term a line (UTF-8; blank lines and # comments skipped)\n"
     "  --period year|quarter|month|week|day (default: finest every dated document has)\n"
     "  --group-by FIELD  one series per term and group (group,period,...; --wide: a column\n"
     "    per group and term)  e.g. tempora timeline --group-by dir --terms energia corpus\n"
     "  --ngram N  the top K n-grams instead of words (listed terms may have several words)",
     CLI_T_TERMS | CLI_T_TOP | CLI_T_WIDE | CLI_T_PERIOD | CLI_T_REPORTED | CLI_T_GROUP_BY |
         CLI_T_NGRAM | CLI_T_GROUPING},
    {"keyness", cmd_keyness, "what distinguishes a target corpus from a reference",
     "[OPTIONS] --target A... --reference B... [-o FILE]\n"
     "       tempora keyness [OPTIONS] --period P [INPUT...]  (P against other dated documents)\n"
     "       tempora keyness [OPTIONS] --group-by FIELD --target-group A --reference-group B\n"
     "         [INPUT...]  (or --group A: group A against all other documents)\n"
     "         e.g. tempora keyness --group-by dir --group en corpus\n"
     "  --top K  first K rows (default all)   --ngram N  n-grams instead of words",
     CLI_T_TOP | CLI_T_PERIOD | CLI_T_PERIOD_LABEL | CLI_T_REPORTED | CLI_T_SIDES | CLI_T_GROUP_BY |
         CLI_T_GROUP_SIDES | CLI_T_NGRAM | CLI_T_GROUPING},
    {"summary", cmd_summary, "corpus statistics",
     "[OPTIONS] [INPUT...] [-o FILE]\n  --period P  the period of first_period, last_period\n"
     "  --group-by FIELD  group,metric,value: the metrics of each group's documents",
     CLI_T_PERIOD | CLI_T_GROUP_BY | CLI_T_GROUPING},
    {"tokens", cmd_tokens, "the token stream, as CSV (for checking and piping)",
     "[OPTIONS] [INPUT...] [-o FILE]\n  columns: doc_id,seg,token", 0},
    {"count", cmd_count, "count once into a state FILE.tpc that every command reads as an input",
     "[OPTIONS] INPUT... -o FILE.tpc\n"
     "  keeps what every table needs: pairs of --window K (1), n-grams of --ngram N (none);\n"
     "  then e.g. 'tempora freq FILE.tpc', or states and text mixed, in argument order\n"
     "  --shard I/N  only the I-th of N shares of the inputs (by bytes, whole files)",
     CLI_T_NGRAM | CLI_T_WINDOW | CLI_T_REPORTED},
    {"merge", cmd_merge, "join count states (documents in argument order) into one",
     "[--replace] A.tpc B.tpc... -o OUT.tpc\n"
     "  the states must be counted with the same options (the error names the one that\n"
     "  differs); a document id in two states is an error naming it\n"
     "  --replace   a later document with the same id replaces the earlier one, in its\n"
     "              place; the state then keeps no pairs and no exact first occurrences\n"
     "              (colloc, summary and analyze refuse it; docs/state-format.md)",
     CLI_T_REPLACE},
    {"kwic", cmd_kwic, "every occurrence in its context",
     "[OPTIONS] --terms a,b [INPUT...] [-o FILE]\n"
     "  columns: doc_id,date,position,left,match,right (position: the 0-based index of the\n"
     "  match's first token in the document; left, right: the text of the tokens around it\n"
     "  as written, whitespace runs as one space)\n"
     "  --terms a,b,pre*  words, multi-word terms, patterns   --terms-file F\n"
     "  --context K (8)  tokens each side   --sample N  a random sample of N rows,\n"
     "  reproducible: --seed S (0) picks another; the same for any --threads\n"
     "  --group-by FIELD  a first column group: the document's group (rows stay in\n"
     "    document order; --sample keeps the same rows)\n"
     "  --stem, --lemmas FILE  a listed word matches every form of its group (a pattern:\n"
     "    the words as written)\n"
     "  e.g. tempora kwic corpus/ --terms 'siccit*,crisi idrica' --context 5",
     CLI_T_TERMS | CLI_T_KWIC | CLI_T_GROUP_BY | CLI_T_GROUPING},
    {"trends", cmd_trends, "every term's trend: what is rising, what is falling",
     "[OPTIONS] [INPUT...] [-o FILE]\n"
     "  columns: term,periods,total,slope_per_period,tau,mk_z,p_value,direction,q_value\n"
     "  every non-stopword term with a total of at least --min-count N (10) in at least 3\n"
     "  periods; q_value: Benjamini-Hochberg over every tested term; sorted by p_value\n"
     "  --ngram N  n-grams instead of words   --top K  first K rows\n"
     "  --period year|quarter|month|week|day (default: finest every dated document has)\n"
     "  --group-by FIELD  one test per term and group (the group's documents alone): a first\n"
     "    column group; q_value over every tested (group, term) series; sorted by p_value,\n"
     "    then group, then term   e.g. tempora trends --group-by dir corpus/\n"
     "  e.g. tempora trends corpus/ --period quarter --min-count 5",
     CLI_T_NGRAM | CLI_T_TOP | CLI_T_MIN_COUNT | CLI_T_PERIOD | CLI_T_REPORTED | CLI_T_GROUPING |
         CLI_T_GROUP_BY},
};
enum { N_COMMANDS = sizeof(commands) / sizeof(commands[0]) };

static const char common_usage[] =
    "Inputs: files, directories (walked recursively, sorted, hidden entries skipped), or -\n"
    "  for standard input (.txt/.md/... one document; .csv and .jsonl one per row; .json\n"
    "  one per object; .eml, mbox and maildir messages one per message; .html/.htm pages\n"
    "  their visible text; .gz .zst .xz .bz2 ok; .zip .tar .tar.gz/.tgz .tar.xz .tar.zst\n"
    "  .tar.bz2 read member by member, id ARCHIVE:member).\n"
    "Common options:\n"
    "  -o, --output PATH      output file (a folder for analyze)\n"
    "  --doc-per-line         each non-empty line of a text file is a document\n"
    "  --text-col NAME        CSV/JSONL text column (text)\n"
    "  --date-col NAME        CSV/JSONL date column (date)\n"
    "  --id-col NAME          CSV/JSONL id column (id when present, else PATH:ROW)\n"
    "  --encoding E           auto|utf-8|latin-1|cp1252 (auto)\n"
    "  --format F             auto|text|csv|jsonl|json|mail|mbox|html (auto: by file name, then "
    "by\n"
    "                         content: mbox 'From ' line, mail headers, <html>)\n"
    "  --max-doc-bytes N      longest line, CSV field or JSONL object read whole (256M;\n"
    "                         K, M, G suffixes); a longer one is an error naming it\n"
    "  --meta FILE.csv        id,date columns: dates that win over headers\n"
    "  --group-by FIELD       groups: a --meta column, CSV column, JSONL field, or dir (an\n"
    "                         input's first-level sub-folder); no value: the group \"\"\n"
    "  --date-from-name       dates from paths: YYYY-MM-DD, YYYYMMDD, YYYY-MM, a year alone\n"
    "                         (1790_x.txt), folders below the INPUT (2024/01/15/x.txt)\n"
    "  --strict               an unparsable date is an error, not a warning\n"
    "  --skip-errors          warn about unreadable inputs and go on\n"
    "  --lang L               auto|it|fr|en|es|de|pt|none (auto: the corpus's from a sample;\n"
    "                         a mixed corpus: each document's from its first 60 words)\n"
    "  --case keep|fold       keep case instead of case folding (fold)\n"
    "  --normalize nfc|nfkc   Unicode normalization (nfc)\n"
    "  --split-hyphens        hyphens separate words\n"
    "  --stopwords FILE       more stopwords, one a line\n"
    "  --no-stopwords         no stopword list\n"
    "  --min-length N         leave tokens shorter than N out of reports\n"
    "  --period P             year|quarter|month|week|day (keyness: a period label)\n"
    "  --stem                 count words by their Snowball stem (the language's, or each\n"
    "                         document's under --lang auto); rows show each group's most\n"
    "                         frequent form (not tokens; kwic: matches every form)\n"
    "  --lemmas FILE          lines lemma<TAB>form1,form2,...: forms counted as the lemma\n"
    "  --from DATE, --to DATE only documents dated in range (inclusive; YYYY, YYYY-MM or\n"
    "                         YYYY-MM-DD: --to 2010 ends 2010-12-31); undated ones are left\n"
    "                         out (summary: out_of_range)\n"
    "  (--stopwords, --no-stopwords, --min-length: not summary or tokens; --period:\n"
    "  not freq, tfidf, colloc or tokens; an option a command does not use is an error)\n"
    "  --excel                BOM, ';' separator, decimal comma, formula-safe cells\n"
    "  -o FILE.xlsx           (one-table commands) a workbook instead of CSV\n"
    "  --threads N            worker threads (results are identical for any N)\n"
    "  --shard I/N            only the I-th of N byte-balanced shares of the inputs\n"
    "                         (whole files, in reading order): N jobs cover them once\n"
    "  --progress, --quiet    force progress on stderr / only errors on stderr\n"
    "Exit status: 0 success, 1 runtime error, 2 usage error.\n";

void cli_usage_main(FILE *f)
{
    fprintf(f, "usage: tempora COMMAND [OPTIONS] [INPUT...]\n\nCommands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n%s\nSee 'tempora COMMAND --help'. Version %s.\n", common_usage,
            TP_VERSION_STRING);
}

void cli_usage_cmd(FILE *f, const struct cli_command *c)
{
    fprintf(f, "usage: tempora %s %s\n  %s\n\n%s", c->name, c->usage, c->summary, common_usage);
}
const struct cli_command *cli_command_find(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}
