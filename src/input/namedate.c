/*
 * input/namedate.c - the date a document's path holds (--date-from-name):
 * which part of the path is looked at. The rules for reading a date out of
 * path components are tp_date_from_path (dates.c).
 *
 * Only what the user's corpus is made of is looked at: the folders below the
 * INPUT argument the file was found in (so /home/me/2019-backup/corpus does
 * not date every document 2019), then for an archive member the archive's
 * own name and the member's folders, then the file name. A file named on the
 * command line gives its name only. The INPUT arguments come in
 * tp_opts.name_roots, so the readers of a parallel run (which are handed
 * file paths) see the same roots as the reader that walked the folders.
 *
 * Where it sits: called by tp_in_settle_date (input/common.c) for a document
 * that has no date of its own. The last path worked out is kept in the
 * reader (r->name_path, r->name_date): the rows of one CSV file share it.
 */
#include "input.h"

/* Where the looked-at part of path[0..n) starts: after the longest INPUT
 * argument that is a folder holding it, else at its last component. */
static size_t root_skip(const struct tp_opts *o, const char *path, size_t n)
{
    size_t best = 0;
    int found = 0;
    for (size_t i = 0; i < o->n_name_roots; i++) {
        const char *root = o->name_roots[i];
        size_t k = strlen(root);
        while (k > 1 && root[k - 1] == '/')
            k--;
        if (k == 0 || k > n || memcmp(path, root, k) != 0)
            continue;
        size_t skip = root[k - 1] == '/' ? k : k + 1;
        if (skip > n || (root[k - 1] != '/' && path[k] != '/'))
            continue;
        if (!found || skip > best) {
            best = skip;
            found = 1;
        }
    }
    if (found)
        return best;
    while (n > 0 && path[n - 1] != '/')
        n--;
    return n;
}

void tp_in_name_date(struct run *run, const char *path, struct tp_date *out)
{
    struct tp_reader *r = run->r;
    size_t n = strlen(path), file_len = n;

    if (path == run->path && run->member_at > 0)
        file_len = run->member_at - 1; /* "ARCHIVE:member" */
    size_t skip = root_skip(r->o, path, file_len);
    /* the looked-at part, with an archive's ':' as a folder separator */
    char stack[512], *p = stack;
    size_t need = n - skip + 1;
    if (r->name_path.p && r->name_path.len == n && memcmp(r->name_path.p, path, n) == 0) {
        *out = r->name_date;
        return;
    }
    if (need > sizeof(stack) && !(p = malloc(need))) {
        out->prec = TP_PREC_NONE; /* out of memory: no date rather than a failed run */
        out->year = out->month = out->day = 0;
        return;
    }
    memcpy(p, path + skip, n - skip);
    p[n - skip] = '\0';
    if (file_len < n && file_len >= skip)
        p[file_len - skip] = '/';
    tp_date_from_path(p, out);
    if (p != stack)
        free(p);
    r->name_path.len = 0;
    if (buf_add(&r->name_path, path, n) == 0)
        r->name_date = *out;
}
