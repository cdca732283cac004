/*
 * input/meta.c - the --meta sidecar: a CSV (gzip allowed) with columns id
 * and date whose dates win over the documents' own (see
 * tp_in_settle_date in input/common.c, which looks them up).
 *
 * Where it sits: called once by tp_reader_new (reader.c); reads the file
 * with input/csv.c's row walk, so the same CSV rules and messages apply.
 * Core data structure: r->meta, an array of struct meta_entry (id, the date
 * cell trimmed, its line) sorted by id with only the last row of a repeated
 * id kept, searched by binary search.
 */
#include <errno.h>
#include <stdio.h>

#include "input.h"

static int meta_cmp(const void *a, const void *b)
{
    const struct meta_entry *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c != 0)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* p[0..n) trimmed of blanks and decoded as enc, as *s, *len (valid until
 * the next decoding); 0, or -1 out of memory. */
static int trim_utf8(struct run *run, enum tp_encoding enc, const char *p, size_t n, const char **s,
                     size_t *len)
{
    while (n > 0 && is_blank((unsigned char)*p)) {
        p++;
        n--;
    }
    while (n > 0 && is_blank((unsigned char)p[n - 1]))
        n--;
    if (tp_in_to_utf8(run, enc, p, n, &run->r->dec, s, len) < 0)
        return -1;
    if (!*s) /* a cell the row did not have: no buffer yet */
        *s = "";
    return 0;
}

/* p[0..n) trimmed of blanks and decoded as enc, in a string the caller
 * frees; NULL out of memory. */
static char *dup_utf8(struct run *run, enum tp_encoding enc, const char *p, size_t n)
{
    const char *s;
    size_t len;
    char *copy;

    if (trim_utf8(run, enc, p, n, &s, &len))
        return NULL;
    copy = malloc(len + 1);
    if (copy) {
        if (len > 0)
            memcpy(copy, s, len);
        copy[len] = '\0';
    }
    return copy;
}

static size_t gval_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (size_t)(h ^ h >> 29);
}

/* The reader's one string for the --group-by value s[0..len) (no NUL in
 * it), made on its first row: an archive's rows repeat a few values, and a
 * string a row was a malloc a row. NULL out of memory. */
static const char *intern_gval(struct tp_reader *r, const char *s, size_t len)
{
    if (2 * (r->meta_gv_n + 1) > r->meta_gv_cap) {
        size_t cap = r->meta_gv_cap ? 2 * r->meta_gv_cap : 64;
        char **t = calloc(cap, sizeof(*t));
        if (!t)
            return NULL;
        for (size_t i = 0; i < r->meta_gv_cap; i++) {
            char *v = r->meta_gvals[i];
            if (!v)
                continue;
            size_t j = gval_hash(v, strlen(v)) & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = v;
        }
        free(r->meta_gvals);
        r->meta_gvals = t;
        r->meta_gv_cap = cap;
    }
    size_t j = gval_hash(s, len) & (r->meta_gv_cap - 1);
    for (char *v; (v = r->meta_gvals[j]); j = (j + 1) & (r->meta_gv_cap - 1))
        if (strncmp(v, s, len) == 0 && v[len] == '\0') /* (s holds no NUL) */
            return v;
    char *v = malloc(len + 1);
    if (!v)
        return NULL;
    memcpy(v, s, len);
    v[len] = '\0';
    r->meta_gvals[j] = v;
    r->meta_gv_n++;
    return v;
}

/* A row of --meta: an entry (rows without an id are passed over). */
static int meta_row(struct csv_walk *w)
{
    struct tp_reader *r = w->run->r;
    struct buf *cell = r->cell;
    struct meta_entry *m;
    enum tp_encoding enc;

    if (!w->have[COL_ID] || all_blank((unsigned char *)cell[COL_ID].p, cell[COL_ID].len))
        return 0;
    if (r->n_meta == r->cap_meta) {
        size_t cap = r->cap_meta ? r->cap_meta * 2 : 64;
        m = realloc(r->meta, cap * sizeof(*m));
        if (!m)
            return nomem(w->run->err);
        r->meta = m;
        r->cap_meta = cap;
    }
    enc = tp_in_pick_encoding(r, tp_encoding_is_utf8(cell[COL_ID].p, cell[COL_ID].len) &&
                                     tp_encoding_is_utf8(cell[COL_DATE].p, cell[COL_DATE].len) &&
                                     tp_encoding_is_utf8(cell[COL_GROUP].p, cell[COL_GROUP].len));
    m = &r->meta[r->n_meta];
    m->id = dup_utf8(w->run, enc, cell[COL_ID].p, cell[COL_ID].len);
    m->value = dup_utf8(w->run, enc, cell[COL_DATE].p, w->have[COL_DATE] ? cell[COL_DATE].len : 0);
    m->group = NULL;
    m->group_len = 0;
    if (w->col[COL_GROUP] >= 0) {
        const char *g;
        if (trim_utf8(w->run, enc, cell[COL_GROUP].p, w->have[COL_GROUP] ? cell[COL_GROUP].len : 0,
                      &g, &m->group_len) == 0) {
            m->group_len = strnlen(g, m->group_len); /* a value ends at a NUL, as it did */
            m->group = intern_gval(r, g, m->group_len);
        }
    }
    m->line = w->row_line;
    m->order = r->n_meta;
    if (!m->id || !m->value || (w->col[COL_GROUP] >= 0 && !m->group)) {
        free(m->id);
        free(m->value);
        return nomem(w->run->err);
    }
    r->n_meta++;
    return 0;
}

/* For a repeated id the last row wins (counted in meta_repeats, the CLI
 * warns). */
int tp_in_load_meta(struct tp_reader *r, struct tp_error *err)
{
    static struct tp_sink no_sink;
    struct run run;
    struct csv_walk w;
    size_t k = 0;
    int rc;

    memset(&run, 0, sizeof(run));
    run.r = r;
    run.sink = &no_sink;
    run.err = err;
    run.path = r->o->meta_path;
    errno = 0;
    run.gz = gzopen(run.path, "rb");
    if (!run.gz)
        return tp_error_set(err, errno ? TP_EIO : TP_ENOMEM, "%s: %s", run.path,
                            errno ? strerror(errno) : "out of memory");
    memset(&w, 0, sizeof(w));
    w.run = &run;
    w.row = meta_row;
    w.want[COL_ID] = "id";
    w.want[COL_DATE] = "date";
    w.required[COL_ID] = w.required[COL_DATE] = 1;
    w.why[COL_ID] = w.why[COL_DATE] = " (--meta)";
    /* --group-by FIELD: a column of --meta when it has one (else the inputs') */
    if (r->o->group_by && strcmp(r->o->group_by, "dir") != 0)
        w.want[COL_GROUP] = r->o->group_by;
    rc = tp_in_csv_walk(&w);
    r->meta_group = w.col[COL_GROUP] >= 0;
    gzclose(run.gz);
    if (rc < 0)
        return rc;
    if (r->n_meta > 1)
        qsort(r->meta, r->n_meta, sizeof(*r->meta), meta_cmp);
    int repeat = 0; /* meta[i] repeats the id of meta[i - 1] */
    for (size_t i = 0; i < r->n_meta; i++) {
        int next_same = i + 1 < r->n_meta && strcmp(r->meta[i].id, r->meta[i + 1].id) == 0;
        if (next_same) {
            /* rows of one id are in file order: note the repeat on the
             * earliest line, with the line of the id's first row */
            unsigned long line = r->meta[i + 1].line;
            if (!repeat && (!r->meta_repeat_id || line < r->meta_repeat_line)) {
                free(r->meta_repeat_id);
                r->meta_repeat_id = r->meta[i].id;
                r->meta_repeat_line = line;
                r->meta_repeat_first = r->meta[i].line;
                r->meta[i].id = NULL;
            }
            r->meta_repeats++;
            free(r->meta[i].id);
            free(r->meta[i].value);
        } else {
            r->meta[k++] = r->meta[i];
        }
        repeat = next_same;
    }
    r->n_meta = k;
    return 0;
}
