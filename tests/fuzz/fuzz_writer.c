/*
 * fuzz_writer.c - libFuzzer target: CSV tables written by writer.c, plain
 * and --excel, read back by a small strict RFC 4180 parser written here.
 *
 * The input's first byte picks the dialect; the rest is rows separated by
 * 0x1E, cells by 0x1F (any other byte, NUL included, is cell text). Each row
 * is written as its text cells followed by an integer, a signed integer and a
 * double made from the row's bytes. Invariants: the file parses back strictly
 * (a quoted field is followed by a separator or a line end; an unquoted one
 * holds no quote, CR, LF or separator and has no space at its edges); each
 * text cell reads back as written, with --excel a ' before a cell starting
 * with = + - @ tab or CR (as documented); --excel files start with a UTF-8
 * BOM and use ';' and a decimal comma; numbers read back to the same value
 * (NaN and infinities as empty cells); rows written to a memory part and
 * appended give the same bytes as rows written to the table directly.
 */
#include <errno.h>
#include <math.h>

#include "fuzz_common.h"
#include "writer.h"

struct cell {
    const char *p;
    size_t n;
};

static void write_rows(struct tp_out *o, const char *text, size_t len)
{
    size_t s = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\x1E' && text[i] != '\x1F')
            continue;
        tp_out_text(o, text + s, i - s);
        if (i == len || text[i] == '\x1E') {
            /* the row's numbers, from the row's bytes */
            uint64_t h = fz_fin(fz_mix(1, text, i));
            double d;
            memcpy(&d, &h, sizeof(d));
            tp_out_u64(o, h);
            tp_out_double(o, d);
            tp_out_row_end(o);
        }
        s = i + 1;
    }
}

/* Standard output, where a table named "-" goes, is a file of the target's
 * folder: the table is read back from it (no fsync, as for a named table). */
static void stdout_to_file(void)
{
    static int done;
    if (!done) {
        FZ_CHECK(freopen(fz_path("stdout.csv"), "w+b", stdout) != NULL);
        done = 1;
    }
    fflush(stdout);
    rewind(stdout);
    FZ_CHECK(ftruncate(fileno(stdout), 0) == 0);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    FZ_CHECK(f != NULL);
    size_t cap = 4096, len = 0;
    char *b = malloc(cap);
    FZ_CHECK(b != NULL);
    size_t k;
    while ((k = fread(b + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap) {
            cap *= 2;
            b = realloc(b, cap);
            FZ_CHECK(b != NULL);
        }
    }
    fclose(f);
    *n = len;
    return b;
}

static void write_file(const char *path, int flags, int via_part, const char *text, size_t len)
{
    struct tp_out *o, *part;
    struct tp_error err;
    FZ_CHECK(tp_out_open(&o, path, flags, &err) == 0);
    if (via_part) {
        FZ_CHECK(tp_out_open_mem(&part, flags) == 0);
        write_rows(part, text, len);
        tp_out_append(o, part);
        tp_out_free(part);
    } else
        write_rows(o, text, len);
    FZ_CHECK(tp_out_finish(o, &err) == 0);
    FZ_CHECK(tp_out_publish(o, &err) == 0);
    tp_out_free(o);
}

/* The next field of f[*at..n) (strict), unquoted into buf; sets *end_row
 * when a line end follows it. */
static size_t parse_field(const char *f, size_t n, size_t *at, char sep, char *buf, int *end_row)
{
    size_t i = *at, k = 0;
    if (i < n && f[i] == '"') {
        i++;
        for (;;) {
            FZ_CHECK(i < n); /* a quoted field is closed */
            if (f[i] == '"') {
                if (i + 1 < n && f[i + 1] == '"') {
                    buf[k++] = '"';
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            buf[k++] = f[i++];
        }
    } else {
        while (i < n && f[i] != sep && f[i] != '\n') {
            FZ_CHECK(f[i] != '"' && f[i] != '\r');
            buf[k++] = f[i++];
        }
        /* edge spaces are quoted */
        FZ_CHECK(k == 0 || (buf[0] != ' ' && buf[k - 1] != ' '));
    }
    FZ_CHECK(i < n); /* every row ends with a line feed */
    FZ_CHECK(f[i] == sep || f[i] == '\n');
    *end_row = f[i] == '\n';
    *at = i + 1;
    return k;
}

static void check_file(const char *f, size_t n, int excel, const char *text, size_t len)
{
    char sep = excel ? ';' : ',';
    size_t at = 0;
    if (excel) {
        FZ_CHECK(n >= 3 && memcmp(f, "\xEF\xBB\xBF", 3) == 0);
        at = 3;
    }
    char *buf = malloc(n + 1);
    FZ_CHECK(buf != NULL);
    size_t s = 0;
    int end_row;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\x1E' && text[i] != '\x1F')
            continue;
        const char *c = text + s;
        size_t cn = i - s;
        size_t k = parse_field(f, n, &at, sep, buf, &end_row);
        FZ_CHECK(!end_row);
        int prefix = excel && cn && strchr("=+-@\t\r", c[0]) != NULL;
        FZ_CHECK(k == cn + (size_t)prefix);
        FZ_CHECK(!prefix || buf[0] == '\'');
        FZ_CHECK(memcmp(buf + prefix, c, cn) == 0);
        if (i == len || text[i] == '\x1E') {
            uint64_t h = fz_fin(fz_mix(1, text, i));
            double d;
            memcpy(&d, &h, sizeof(d));
            k = parse_field(f, n, &at, sep, buf, &end_row);
            buf[k] = 0;
            FZ_CHECK(!end_row && k > 0);
            errno = 0;
            FZ_CHECK(strtoull(buf, NULL, 10) == h && errno == 0);
            k = parse_field(f, n, &at, sep, buf, &end_row);
            buf[k] = 0;
            FZ_CHECK(end_row);
            if (!isfinite(d)) {
                FZ_CHECK(k == 0);
            } else {
                FZ_CHECK(k > 0);
                FZ_CHECK(!excel || !memchr(buf, '.', k));
                for (size_t j = 0; j < k; j++)
                    if (buf[j] == ',')
                        buf[j] = '.';
                char *e;
                double back = strtod(buf, &e);
                FZ_CHECK(*e == 0 && back == d);
            }
        }
        s = i + 1;
    }
    FZ_CHECK(at == n);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16)
        return 0;
    int excel = data[0] & 1;
    int flags = excel ? TP_OUT_EXCEL : 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    /* a named table (renamed into place, synced: slow) one time in four,
     * standard output otherwise */
    int named = (data[0] & 6) == 6;
    const char *path = named ? fz_path("out.csv") : fz_path("stdout.csv");
    size_t n1, n2;
    if (!named)
        stdout_to_file();
    write_file(named ? path : "-", flags, 0, text, len);
    char *direct = slurp(path, &n1);
    check_file(direct, n1, excel, text, len);
    if (!named)
        stdout_to_file();
    write_file(named ? path : "-", flags, 1, text, len);
    char *parted = slurp(path, &n2);
    FZ_CHECK(n1 == n2 && memcmp(direct, parted, n1) == 0);
    free(direct);
    free(parted);
    return 0;
}
