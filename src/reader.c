/*
 * reader.c - inputs to documents: the reader's public side (reader.h) and
 * its run loop. See docs/inputs.md for what users see, docs/architecture.md
 * ("Inputs") for the map.
 *
 * First stage of the pipeline. tp_reader_new expands the INPUT list into a
 * list of files (input/walk.c) and loads --meta (input/meta.c); each
 * tp_reader_run reads every file in order: read_input opens it (plain files
 * with read(2), gzip files and copied streams through zlib), skips a binary
 * one, and dispatches by format to one reader per format, each of which
 * settles a document's encoding and date and streams its text as UTF-8 into
 * the sink:
 *
 *   input/text.c    a plain text file is one document (and its parts, read
 *                   by tp_reader_new_range; the CP1252 take-back protocol)
 *   input/lines.c   --doc-per-line text and JSONL: one document a line
 *   input/csv.c     one document a CSV row (libcsv)
 *   input/mail.c    one document a mail message (GMime): .eml, mbox, maildir
 *   input/html.c    an HTML page is one document (libxml2): its visible text
 *   input/format.c  which of them reads an input: --format, name, first bytes
 *   input/common.c  what they share: bytes, the sink, encodings, dates
 *
 * Core data structure: struct tp_reader (input/input.h), opaque to the rest
 * of the program, which reaches it only through reader.h. To add an input
 * format: a file input/FORMAT.c with a tp_in_read_FORMAT(struct run *), its
 * prototype in input/input.h, a value in enum format with its file names in
 * tp_in_format_of (input/common.c), and its case in read_input below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input/input.h"

/* Read one input: open it, look at its first bytes, hand it to the reader
 * of its format, check it was read whole, close it. Returns 0 (also for an
 * input skipped with a warning), TP_STOP or a negative TP_E*. */
static int read_input(struct run *run, struct input *in)
{
    struct tp_reader *r = run->r;
    enum format fmt = FMT_TEXT;
    int rc;

    run->path = in->path;
    if (!run->src && (rc = tp_in_input_kind(run, in)) != 0 && rc != 2) {
        const unsigned char *b;
        size_t len;
        if (r->ahead && tp_in_ahead_take(r, run->input, &b, &len)) /* an archive is never */
            tp_in_ahead_give_back(r, run->input);                  /* read ahead */
        return rc < 0 ? rc : tp_in_read_archive(run, in);          /* members: tp_in_read_input */
    }
    rc = run->src ? 0 : tp_in_open(run, in); /* an archive member is open already */
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if ((rc = tp_in_set_id_path(run)) == 0 && (rc = tp_in_peek(run)) == 1) {
        /* a binary file, as grep decides: a NUL in its first 8 KiB */
        if (!r->ranged || r->range_start == 0) {
            char msg[1200];
            r->stats.skipped_inputs++;
            snprintf(msg, sizeof(msg),
                     "%s: binary file (a NUL byte in its first 8 KiB; UTF-16 needs a byte order "
                     "mark): skipped",
                     run->id_path);
            tp_in_warn(r, msg);
        }
        rc = 0;
        goto close;
    }
    r->stats.n_inputs++;
    uint64_t docs_before = r->stats.n_documents;
    if (rc == 0)
        fmt = tp_in_format_choose(r, in->path, run->peek, run->peek_len);
    if (rc < 0)
        ; /* the peek failed: reported below like a failed read */
    else if (run->utf16 && fmt != FMT_HTML && (fmt != FMT_TEXT || r->o->doc_per_line))
        rc = tp_error_set(run->err, TP_EIO,
                          "%s: UTF-16 text (byte order mark %s): only plain text files are "
                          "decoded from UTF-16; convert it first (iconv -f UTF-16 -t UTF-8)",
                          run->path, run->utf16 == 1 ? "FF FE" : "FE FF");
    else if (fmt == FMT_HTML)
        rc = tp_in_read_html(run);
    else if (run->utf16)
        rc = tp_in_read_utf16(run);
    else if (fmt == FMT_CSV)
        rc = tp_in_read_csv(run);
    else if (fmt == FMT_MAIL || fmt == FMT_MBOX)
        rc = tp_in_read_mail(run, fmt == FMT_MBOX);
    else if (fmt == FMT_JSON)
        rc = tp_in_read_jsondoc(run);
    else if (fmt == FMT_JSONL || r->o->doc_per_line)
        rc = tp_in_read_lines(run, fmt);
    else
        rc = tp_in_read_text(run);
    if (rc == TP_ENOMEM && strcmp(run->err->msg, "out of memory") == 0) {
        char sz[32];
        rc = tp_error_set(run->err, TP_ENOMEM,
                          "%s: out of memory while reading it (a line, CSV field or JSONL object "
                          "is held whole, up to --max-doc-bytes %s: lower it to stop sooner)",
                          run->path, tp_in_size_words(doc_cap(r), sz, sizeof(sz)));
    }
    if (rc == 0)
        rc = tp_in_check_whole(run, in);
    if (rc == 0)
        rc = tp_in_check_gz_tail(run, in);
    if (rc == TP_EIO && r->o->skip_errors && r->stats.n_documents == docs_before) {
        /* A file that opens but cannot be read is skipped like one that does
         * not open, as long as none of it reached the sink. */
        r->stats.n_inputs--;
        tp_in_skip_input(run, run->err->msg, NULL);
        rc = 0;
    }
close:
    tp_in_close(run, in);
    return rc;
}

int tp_in_read_input(struct run *run, struct input *in)
{
    return read_input(run, in);
}

/* Runs over at least this many files read them ahead (input/ahead.c). */
enum { AHEAD_MIN = 8 };

/* ---- the interface (reader.h) --------------------------------------------- */

/* tp_reader_new, or with from: inputs first..first+n of from as listed
 * there (no path looked at again). With meta_from, --meta is meta_from's,
 * borrowed (it outlives this reader), not read again: a worker's reader
 * does not parse the file once more, and a --meta that is a FIFO is read
 * once. */
static int reader_new(struct tp_reader **out, const char *const *inputs, size_t n,
                      const struct tp_reader *from, size_t first, const struct tp_reader *meta_from,
                      const struct tp_opts *o, tp_warn_fn *warn, void *warn_ctx,
                      struct tp_error *err)
{
    struct tp_reader *r = calloc(1, sizeof(*r));
    int rc = 0;

    *out = NULL;
    if (!r)
        return nomem(err);
    r->o = o;
    r->warn = warn;
    r->warn_ctx = warn_ctx;
    r->raw = malloc(CHUNK);
    r->out = malloc(TP_DECODE_BOUND(CHUNK));
    r->pre = malloc(CHUNK);
    if (!r->raw || !r->out || !r->pre) {
        rc = nomem(err);
        goto out;
    }
    if (from) {
        r->slice = 1;
        for (size_t i = first; i < first + n && rc == 0; i++)
            rc = tp_in_add_listed(r, &from->in[i]) < 0 ? nomem(err) : 0;
    } else if (n == 0) {
        rc = tp_in_expand(r, "-", err);
    }
    for (size_t i = 0; !from && i < n && rc == 0; i++)
        rc = tp_in_expand(r, inputs[i], err);
    /* the one file of a large folder listed without sizes: its size says
     * whether it is cut into parts for the threads */
    struct stat st;
    if (rc == 0 && r->n_in == 1 && r->in[0].unsized && stat(r->in[0].path, &st) == 0 &&
        S_ISREG(st.st_mode)) {
        r->in[0].unsized = 0;
        r->n_unsized--;
        r->in[0].size = (uint64_t)st.st_size;
        r->total_bytes += r->in[0].size;
    }
    if (rc == 0 && o->meta_path && meta_from) {
        r->meta = meta_from->meta;
        r->n_meta = meta_from->n_meta;
        r->meta_group = meta_from->meta_group;
        r->meta_borrowed = 1;
    } else if (rc == 0 && o->meta_path) {
        rc = tp_in_load_meta(r, err);
    }
out:
    if (rc < 0) {
        tp_reader_free(r);
        return rc;
    }
    r->stats.skipped_inputs = r->skipped_new;
    *out = r;
    return 0;
}

int tp_reader_new(struct tp_reader **out, const char *const *inputs, size_t n,
                  const struct tp_opts *o, tp_warn_fn *warn, void *warn_ctx, struct tp_error *err)
{
    return reader_new(out, inputs, n, NULL, 0, NULL, o, warn, warn_ctx, err);
}

int tp_reader_new_sharing(struct tp_reader **out, const char *const *inputs, size_t n,
                          const struct tp_reader *meta_from, const struct tp_opts *o,
                          tp_warn_fn *warn, void *warn_ctx, struct tp_error *err)
{
    return reader_new(out, inputs, n, NULL, 0, meta_from, o, warn, warn_ctx, err);
}

int tp_reader_new_slice(struct tp_reader **out, const struct tp_reader *from, size_t first,
                        size_t n, tp_warn_fn *warn, void *warn_ctx, struct tp_error *err)
{
    for (size_t i = first; i < first + n; i++)
        if (from->in[i].stream)
            return reader_new(out, (const char *const *)from->paths + first, n, NULL, 0, from,
                              from->o, warn, warn_ctx, err);
    return reader_new(out, NULL, n, from, first, from, from->o, warn, warn_ctx, err);
}

int tp_reader_splittable(const struct tp_reader *r, size_t i)
{
    if (i >= r->n_in || r->in[i].stream)
        return 0;
    size_t n = strlen(r->in[i].path);
    if (tp_in_ends_with(r->in[i].path, n, ".gz") || tp_in_packed_kind(r->in[i].path, n))
        return 0;
    enum format f = tp_in_format_of_file(r, r->in[i].path);
    if (f == FMT_CSV)
        return tp_in_csv_ids_in_column(r, r->in[i].path) ? 2 : 0;
    return f == FMT_JSONL || (f == FMT_TEXT && r->o->doc_per_line);
}

void tp_reader_recounts(struct tp_reader *r)
{
    r->recounts = 1;
}

int tp_reader_whole_again(const struct tp_reader *r)
{
    return r->whole_again;
}

void tp_reader_sample(struct tp_reader *r, uint64_t bytes)
{
    r->check_limit = bytes;
}

int tp_reader_divisible(const struct tp_reader *r, size_t i)
{
    if (i >= r->n_in || r->in[i].stream || r->o->doc_per_line)
        return 0;
    size_t n = strlen(r->in[i].path);
    return !tp_in_ends_with(r->in[i].path, n, ".gz") && !tp_in_packed_kind(r->in[i].path, n) &&
           tp_in_format_of_file(r, r->in[i].path) == FMT_TEXT && !tp_in_starts_utf16(r->in[i].path);
}

int tp_reader_ranged(const struct tp_reader *r)
{
    return r->ranged;
}

int tp_reader_has_stream(const struct tp_reader *r)
{
    return r->has_stream;
}

int tp_reader_range(const struct tp_reader *r, uint64_t *start, uint64_t *len,
                    unsigned long *first_line)
{
    *start = r->range_start;
    *len = r->range_len;
    *first_line = r->range_line;
    return r->ranged;
}

int tp_reader_share_end(struct tp_reader *r, struct tp_range_end *e)
{
    if (r->ranged ? r->part != 0 : r->has_stream)
        return -1;
    r->range_end = e;
    return 0;
}

/* A reader of a list whose end may move (tp_reader_share_end): whether input
 * i is still its to read; then it is claimed. */
static int claim_input(struct tp_range_end *e, size_t i)
{
    pthread_mutex_lock(e->mu);
    int mine = i < e->end;
    if (mine)
        e->pos = i + 1;
    pthread_mutex_unlock(e->mu);
    return mine;
}

int tp_reader_new_range(struct tp_reader **out, const char *path, uint64_t start, uint64_t len,
                        unsigned long first_line, const struct tp_reader *meta_from,
                        const struct tp_opts *o, tp_warn_fn *warn, void *warn_ctx,
                        struct tp_error *err)
{
    int rc = reader_new(out, &path, 1, NULL, 0, meta_from, o, warn, warn_ctx, err);
    if (rc)
        return rc;
    struct tp_reader *r = *out;
    if (r->n_in == 1 && tp_reader_divisible(r, 0))
        r->part = start == 0 ? 1 : 2;
    else if (r->n_in != 1 || !tp_reader_splittable(r, 0)) {
        tp_reader_free(r);
        *out = NULL;
        return tp_error_set(err, TP_EINTERNAL, "%s: cannot be read in parts", path);
    }
    r->ranged = 1;
    r->range_start = start;
    r->range_len = len;
    r->range_line = first_line;
    r->in[0].size = len;
    r->total_bytes = len;
    return 0;
}

int tp_reader_run(struct tp_reader *r, struct tp_sink *sink, tp_progress_fn *progress,
                  void *progress_ctx, struct tp_error *err)
{
    struct run run;
    int rc = 0;

    memset(&r->stats, 0, sizeof(r->stats));
    r->stats.skipped_inputs = r->skipped_new;
    memset(&run, 0, sizeof(run));
    run.r = r;
    run.sink = sink;
    run.progress = progress;
    run.progress_ctx = progress_ctx;
    run.err = err;
    run.counting = 1;
    run.total = r->has_stream ? 0 : r->total_bytes;
    if (!r->ranged && r->n_in >= AHEAD_MIN)
        tp_in_ahead_start(r);
    for (size_t i = 0; i < r->n_in && rc == 0; i++) {
        if (r->range_end && !r->ranged && !claim_input(r->range_end, i))
            break;
        run.input = i;
        rc = read_input(&run, &r->in[i]);
    }
    tp_in_ahead_stop(r);
    return rc == TP_STOP ? 0 : rc;
}

const struct tp_reader_stats *tp_reader_stats(const struct tp_reader *r)
{
    return &r->stats;
}

const char *const *tp_reader_files(const struct tp_reader *r, size_t *n_files)
{
    *n_files = r->n_in;
    return (const char *const *)r->paths;
}

const char *tp_reader_meta_id(const struct tp_reader *r, size_t i, unsigned long *line)
{
    if (i >= r->n_meta)
        return NULL;
    *line = r->meta[i].line;
    return r->meta[i].id;
}

size_t tp_reader_meta_repeats(const struct tp_reader *r, const char **id, unsigned long *line,
                              unsigned long *first_line)
{
    *id = r->meta_repeat_id;
    *line = r->meta_repeat_line;
    *first_line = r->meta_repeat_first;
    return r->meta_repeats;
}

uint64_t tp_reader_skipped_at_expansion(const struct tp_reader *r)
{
    return r->skipped_new;
}

const char *const *tp_reader_dirs(const struct tp_reader *r, size_t *n)
{
    *n = r->n_dir_args;
    return (const char *const *)r->dir_args;
}

void tp_reader_add_skipped(struct tp_reader *r, const struct tp_reader *from)
{
    r->skipped_new += from->skipped_new;
}

void tp_reader_share_dirs(struct tp_reader *r, const struct tp_reader *from)
{
    for (size_t i = 0; i < r->n_dir_args && !r->dirs_borrowed; i++)
        free(r->dir_args[i]);
    if (!r->dirs_borrowed)
        free(r->dir_args);
    r->dir_args = from->dir_args;
    r->n_dir_args = from->n_dir_args;
    r->dirs_borrowed = 1;
}

int tp_reader_group_found(const struct tp_reader *r)
{
    return r->meta_group || (r->o->group_by && strcmp(r->o->group_by, "dir") == 0);
}

/* The mean size of the sampled files listed without sizes (walk.c); 4 KiB
 * when none was sampled. */
static uint64_t unsized_mean(const struct tp_reader *r)
{
    return r->n_sampled ? r->sampled_bytes / r->n_sampled : 4096;
}

uint64_t tp_reader_estimated_bytes(const struct tp_reader *r)
{
    return r->total_bytes + r->n_unsized * unsized_mean(r);
}

uint64_t tp_reader_file_weight(const struct tp_reader *r, size_t i)
{
    return i >= r->n_in ? 0 : r->in[i].unsized ? unsized_mean(r) + 1 : r->in[i].size;
}

uint64_t tp_reader_total_bytes(const struct tp_reader *r)
{
    return r->total_bytes;
}

void tp_reader_free(struct tp_reader *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_in; i++) {
        if (!r->slice && !r->in[i].pooled)
            free(r->in[i].path);
        if (r->in[i].copy)
            fclose(r->in[i].copy);
    }
    free(r->in);
    free(r->paths);
    for (size_t i = 0; i < r->n_pools; i++)
        free(r->pools[i]);
    free(r->pools);
    for (size_t i = 0; i < r->n_meta && !r->meta_borrowed; i++) {
        free(r->meta[i].id);
        free(r->meta[i].value);
    }
    if (!r->meta_borrowed)
        free(r->meta);
    for (size_t i = 0; i < r->meta_gv_cap && !r->meta_borrowed; i++)
        free(r->meta_gvals[i]);
    if (!r->meta_borrowed)
        free(r->meta_gvals);
    for (size_t i = 0; i < r->n_dir_args && !r->dirs_borrowed; i++)
        free(r->dir_args[i]);
    if (!r->dirs_borrowed)
        free(r->dir_args);
    free(r->meta_repeat_id);
    free(r->raw);
    free(r->pre);
    free(r->small);
    free(r->out);
    buf_release(&r->hdr);
    buf_release(&r->line);
    buf_release(&r->dec);
    buf_release(&r->id);
    buf_release(&r->date);
    buf_release(&r->group);
    buf_release(&r->idpath);
    buf_release(&r->jq);
    buf_release(&r->name_path);
    buf_release(&r->esc);
    for (int k = 0; k < N_COLS; k++)
        buf_release(&r->cell[k]);
    free(r);
}
