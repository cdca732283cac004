/*
 * xlsx_zip.c - rows deflated as they come, and the zip they are spliced into
 * (see xlsx_zip.h).
 *
 * Deflate streams concatenate: a stream that ends with a sync flush (an
 * empty stored block, byte aligned, none of its blocks final) may be followed
 * by the blocks of another compressor, which refer to nothing before them.
 * So a sheet's entry is its head as stored blocks, the rows' stream as
 * ISA-L made it while the table was written, and its tail as stored blocks,
 * the last marked final; its CRC-32 is the three CRCs combined.
 *
 * ISA-L is loaded when a workbook is first written (dynlib.h), as
 * libxlsxwriter is: no other output uses it.
 */
#include <errno.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "dynlib.h"
#include "outpath.h"
#include "xlsx_zip.h"

#define ISAL_API(X) X(isal_deflate_init) X(isal_deflate) X(crc32_gzip_refl)

static struct {
    ISAL_API(TP_DYN_SLOT)
} isal;

static const char *const isal_names[] = {ISAL_API(TP_DYN_NAME)};

static struct tp_dynlib libisal =
    TP_DYNLIB_INIT(TP_SONAME_ISAL, "workbook output (.xlsx)", isal_names, &isal, NULL);

int tp_xrows_need(const char *path, struct tp_error *err)
{
    return tp_dynlib_need(&libisal, path, err);
}

enum {
    IN_CAP = 1 << 18,  /* XML gathered before it is deflated */
    OUT_CAP = 1 << 18, /* deflated bytes written at a time */
};

struct tp_xrows {
    struct isal_zstream z;
    uint8_t *level_buf;
    char *in;
    size_t in_len, in_cap;
    uint8_t *out;
    FILE *f;
    int err;
    uint32_t crc;       /* of the XML */
    uint64_t raw, zlen; /* bytes of XML, of deflate */
};

int tp_xrows_new(struct tp_xrows **rp, const char *tmpdir)
{
    struct tp_xrows *r = calloc(1, sizeof(*r));
    if (!r)
        return ENOMEM;
    r->in_cap = IN_CAP;
    r->in = malloc(r->in_cap);
    r->out = malloc(OUT_CAP);
    r->level_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
    if (!r->in || !r->out || !r->level_buf) {
        tp_xrows_free(r);
        return ENOMEM;
    }
    const char *dir = tmpdir && *tmpdir ? tmpdir : "/tmp";
    char *p = tp_outpath_join(dir, strlen(dir), "tempora-xlsx-rows.XXXXXX");
    if (!p) {
        tp_xrows_free(r);
        return ENOMEM;
    }
    int fd = mkstemp(p);
    int e = errno;
    if (fd >= 0)
        unlink(p); /* nothing left behind, whatever happens next */
    free(p);
    if (fd < 0 || !(r->f = fdopen(fd, "w+b"))) {
        e = fd < 0 ? e : errno;
        if (fd >= 0)
            close(fd);
        tp_xrows_free(r);
        return e ? e : EIO;
    }
    isal.isal_deflate_init(&r->z);
    r->z.level = 1;
    r->z.level_buf = r->level_buf;
    r->z.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
    r->z.gzip_flag = IGZIP_DEFLATE;
    *rp = r;
    return 0;
}

/* Deflate the pending XML with flush (NO_FLUSH or SYNC_FLUSH). */
static int drain(struct tp_xrows *r, int flush)
{
    if (r->err)
        return r->err;
    r->crc = isal.crc32_gzip_refl(r->crc, (const unsigned char *)r->in, r->in_len);
    r->raw += r->in_len;
    r->z.next_in = (uint8_t *)r->in;
    r->z.avail_in = (uint32_t)r->in_len;
    r->z.flush = flush;
    r->z.end_of_stream = 0;
    do {
        r->z.next_out = r->out;
        r->z.avail_out = OUT_CAP;
        if (isal.isal_deflate(&r->z) != COMP_OK)
            return r->err = EIO;
        size_t n = OUT_CAP - r->z.avail_out;
        if (n && fwrite(r->out, 1, n, r->f) != n)
            return r->err = errno ? errno : EIO;
        r->zlen += n;
    } while (r->z.avail_in || r->z.avail_out == 0);
    r->in_len = 0;
    return 0;
}

char *tp_xrows_reserve(struct tp_xrows *r, size_t n)
{
    if (r->err)
        return NULL;
    if (r->in_len + n > r->in_cap) {
        if (r->in_len && drain(r, NO_FLUSH) != 0)
            return NULL;
        if (n > r->in_cap) {
            char *b = realloc(r->in, n);
            if (!b) {
                r->err = ENOMEM;
                return NULL;
            }
            r->in = b;
            r->in_cap = n;
        }
    }
    return r->in + r->in_len;
}

void tp_xrows_commit(struct tp_xrows *r, size_t n)
{
    r->in_len += n;
}

int tp_xrows_finish(struct tp_xrows *r)
{
    if (drain(r, SYNC_FLUSH) != 0)
        return r->err;
    errno = 0;
    if (fflush(r->f) != 0 || ferror(r->f))
        return r->err = errno ? errno : EIO;
    return 0;
}

int tp_xrows_error(const struct tp_xrows *r)
{
    return r->err;
}

uint64_t tp_xrows_len(const struct tp_xrows *r)
{
    return r->raw + r->in_len;
}

void tp_xrows_free(struct tp_xrows *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    free(r->in);
    free(r->out);
    free(r->level_buf);
    free(r);
}

/* ---- the zip ---- */

static uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned char *wr16(unsigned char *p, uint64_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    return p + 2;
}

static unsigned char *wr32(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + 4;
}

static unsigned char *wr64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + 8;
}

/* One entry of the source's central directory, and what it becomes. */
struct entry {
    const unsigned char *cd; /* its central directory record in the source */
    const char *name;
    uint16_t name_len, flags, method, time, date;
    uint32_t ext_attr;
    uint32_t crc;
    uint64_t csize, usize;
    const unsigned char *data; /* its compressed bytes in the source */
    uint64_t offset;           /* of its local header in the new file */
};

struct zout {
    FILE *f;
    uint64_t at;
    int err;
};

static void put(struct zout *z, const void *p, size_t n)
{
    if (z->err || !n)
        return;
    if (fwrite(p, 1, n, z->f) != n)
        z->err = errno ? errno : EIO;
    z->at += n;
}

/* p[0..n) as stored deflate blocks, the last one final when final. */
static void put_stored(struct zout *z, const char *p, size_t n, int final)
{
    do {
        size_t k = n < 65535 ? n : 65535;
        unsigned char h[5];
        h[0] = final && k == n;
        wr16(h + 1, k);
        wr16(h + 3, ~k & 0xFFFF);
        put(z, h, sizeof(h));
        put(z, p, k);
        p += k;
        n -= k;
    } while (n);
}

static int big(uint64_t v)
{
    return v >= 0xFFFFFFFFu;
}

static void put_local(struct zout *z, const struct entry *e, int zip64)
{
    unsigned char h[30 + 20], *p = h;
    int x = zip64 || big(e->usize) || big(e->csize);
    p = wr32(p, 0x04034b50);
    p = wr16(p, x ? 45 : 20);
    p = wr16(p, e->flags);
    p = wr16(p, e->method);
    p = wr16(p, e->time);
    p = wr16(p, e->date);
    p = wr32(p, e->crc);
    p = wr32(p, x ? 0xFFFFFFFFu : e->csize);
    p = wr32(p, x ? 0xFFFFFFFFu : e->usize);
    p = wr16(p, e->name_len);
    p = wr16(p, x ? 20 : 0);
    put(z, h, 30);
    put(z, e->name, e->name_len);
    if (x) {
        p = h;
        p = wr16(p, 0x0001);
        p = wr16(p, 16);
        p = wr64(p, e->usize);
        p = wr64(p, e->csize);
        put(z, h, (size_t)(p - h));
    }
}

static void put_central(struct zout *z, const struct entry *e, int zip64)
{
    unsigned char h[46], x[4 + 24], *p = h, *q = x + 4;
    int bu = zip64 || big(e->usize), bc = zip64 || big(e->csize), bo = zip64 || big(e->offset);
    if (bu)
        q = wr64(q, e->usize);
    if (bc)
        q = wr64(q, e->csize);
    if (bo)
        q = wr64(q, e->offset);
    size_t x_len = q == x + 4 ? 0 : (size_t)(q - x);
    wr16(x, 0x0001);
    wr16(x + 2, x_len ? x_len - 4 : 0);
    p = wr32(p, 0x02014b50);
    p = wr16(p, rd16(e->cd + 4)); /* version made by, as the source says */
    p = wr16(p, x_len ? 45 : 20);
    p = wr16(p, e->flags);
    p = wr16(p, e->method);
    p = wr16(p, e->time);
    p = wr16(p, e->date);
    p = wr32(p, e->crc);
    p = wr32(p, bc ? 0xFFFFFFFFu : e->csize);
    p = wr32(p, bu ? 0xFFFFFFFFu : e->usize);
    p = wr16(p, e->name_len);
    p = wr16(p, x_len);
    p = wr16(p, 0); /* comment */
    p = wr16(p, 0); /* disk */
    p = wr16(p, rd16(e->cd + 36));
    p = wr32(p, e->ext_attr);
    p = wr32(p, bo ? 0xFFFFFFFFu : e->offset);
    put(z, h, sizeof(h));
    put(z, e->name, e->name_len);
    put(z, x, x_len);
}

/* Inflate a raw deflate stream of a sheet's head-only XML. NULL on error. */
static char *inflate_all(const unsigned char *p, uint64_t n, uint64_t usize, size_t *len)
{
    if (usize > (64u << 20)) /* a sheet without its rows is small */
        return NULL;
    char *out = malloc(usize + 1);
    if (!out)
        return NULL;
    z_stream s;
    memset(&s, 0, sizeof(s));
    if (inflateInit2(&s, -15) != Z_OK) {
        free(out);
        return NULL;
    }
    s.next_in = (Bytef *)(uintptr_t)p;
    s.avail_in = (uInt)n;
    s.next_out = (Bytef *)out;
    s.avail_out = (uInt)usize;
    int rc = inflate(&s, Z_FINISH);
    inflateEnd(&s);
    if (rc != Z_STREAM_END || s.total_out != usize) {
        free(out);
        return NULL;
    }
    out[usize] = '\0';
    *len = (size_t)usize;
    return out;
}

/* Write entry e of the source with splice s: returns 0 or an errno value. */
static int put_spliced(struct zout *z, struct entry *e, const struct tp_xsplice *s, int zip64)
{
    size_t xml_len;
    char *xml = e->method == 8 ? inflate_all(e->data, e->csize, e->usize, &xml_len) : NULL;
    if (!xml)
        return EINVAL;
    char *tail = strstr(xml, "</sheetData>");
    char *dim = strstr(xml, "<dimension ref=\"");
    char *dim_end = dim ? strchr(dim + 16, '"') : NULL;
    if (!tail || !dim_end || dim_end > tail) {
        free(xml);
        return EINVAL;
    }
    /* the head: up to the range, the new range, then up to </sheetData> */
    size_t h1 = (size_t)(dim + 16 - xml), dl = strlen(s->dim), h2 = (size_t)(tail - dim_end);
    size_t head_len = h1 + dl + h2, tail_len = xml_len - (size_t)(tail - xml);
    char *head = malloc(head_len);
    if (!head) {
        free(xml);
        return ENOMEM;
    }
    memcpy(head, xml, h1);
    memcpy(head + h1, s->dim, dl);
    memcpy(head + h1 + dl, dim_end, h2);
    struct tp_xrows *r = s->rows;
    uint64_t blocks_head = (head_len + 65534) / 65535, blocks_tail = (tail_len + 65534) / 65535;
    if (!blocks_tail)
        blocks_tail = 1;
    if (!blocks_head && head_len)
        blocks_head = 1;
    e->usize = head_len + r->raw + tail_len;
    e->csize = head_len + 5 * blocks_head + r->zlen + tail_len + 5 * blocks_tail;
    uLong crc = crc32(0, (const Bytef *)head, (uInt)head_len);
    crc = crc32_combine(crc, r->crc, (z_off_t)r->raw);
    crc = crc32_combine(crc, crc32(0, (const Bytef *)tail, (uInt)tail_len), (z_off_t)tail_len);
    e->crc = (uint32_t)crc;
    e->offset = z->at;
    put_local(z, e, zip64);
    if (head_len)
        put_stored(z, head, head_len, 0);
    free(head);
    /* the rows, as deflated */
    int err = 0;
    if (fseeko(r->f, 0, SEEK_SET) != 0)
        err = errno ? errno : EIO;
    uint64_t left = r->zlen;
    while (!err && left && !z->err) {
        size_t k = left < OUT_CAP ? (size_t)left : OUT_CAP;
        if (fread(r->out, 1, k, r->f) != k) {
            err = ferror(r->f) && errno ? errno : EIO;
            break;
        }
        put(z, r->out, k);
        left -= k;
    }
    if (!err)
        put_stored(z, tail, tail_len, 1);
    free(xml);
    return err ? err : z->err;
}

int tp_xzip_rewrite(const char *path, const struct tp_xsplice *splice, size_t n_splice,
                    int force_zip64, const char **failed_entry)
{
    *failed_entry = NULL;
    /* the source, whole (libxlsxwriter's file holds no rows: it is small) */
    FILE *in = fopen(path, "rb");
    if (!in)
        return errno ? errno : EIO;
    unsigned char *src = NULL;
    size_t len = 0, cap = 0;
    int err = 0;
    for (;;) {
        if (len == cap) {
            size_t c = cap ? cap * 2 : 1 << 16;
            unsigned char *b = realloc(src, c);
            if (!b) {
                err = ENOMEM;
                break;
            }
            src = b;
            cap = c;
        }
        size_t k = fread(src + len, 1, cap - len, in);
        len += k;
        if (k == 0) {
            if (ferror(in))
                err = errno ? errno : EIO;
            break;
        }
    }
    fclose(in);
    struct entry *es = NULL;
    size_t n_es = 0;
    /* the end of central directory record */
    const unsigned char *eocd = NULL;
    for (size_t i = len >= 22 ? len - 22 : 0; !err && len >= 22 && i + 65557 >= len; i--) {
        if (rd32(src + i) == 0x06054b50) {
            eocd = src + i;
            break;
        }
        if (!i)
            break;
    }
    if (!err && !eocd)
        err = EINVAL;
    if (!err) {
        uint32_t n = rd16(eocd + 10), cd_size = rd32(eocd + 12), cd_off = rd32(eocd + 16);
        if ((uint64_t)cd_off + cd_size > len || !(es = calloc(n ? n : 1, sizeof(*es))))
            err = cd_off + (uint64_t)cd_size > len ? EINVAL : ENOMEM;
        const unsigned char *p = src + cd_off, *end = src + cd_off + cd_size;
        for (uint32_t i = 0; !err && i < n; i++) {
            if (p + 46 > end || rd32(p) != 0x02014b50) {
                err = EINVAL;
                break;
            }
            struct entry *e = &es[n_es++];
            e->cd = p;
            e->flags = rd16(p + 8) & (uint16_t)~0x0008; /* sizes are in the header */
            e->method = rd16(p + 10);
            e->time = rd16(p + 12);
            e->date = rd16(p + 14);
            e->crc = rd32(p + 16);
            e->csize = rd32(p + 20);
            e->usize = rd32(p + 24);
            e->name_len = rd16(p + 28);
            e->ext_attr = rd32(p + 38);
            uint32_t loc = rd32(p + 42);
            e->name = (const char *)p + 46;
            size_t rec = 46 + (size_t)e->name_len + rd16(p + 30) + rd16(p + 32);
            if (p + rec > end || big(e->csize) || big(e->usize) || (uint64_t)loc + 30 > len) {
                err = EINVAL;
                break;
            }
            uint64_t data = (uint64_t)loc + 30 + rd16(src + loc + 26) + rd16(src + loc + 28);
            if (rd32(src + loc) != 0x04034b50 || data + e->csize > len) {
                err = EINVAL;
                break;
            }
            e->data = src + data;
            p += rec;
        }
    }
    /* the new file over the old one (the source is in memory) */
    struct zout z = {NULL, 0, 0};
    if (!err && !(z.f = fopen(path, "wb")))
        err = errno ? errno : EIO;
    char *vbuf = NULL;
    if (!err && (vbuf = malloc(1 << 20)))
        setvbuf(z.f, vbuf, _IOFBF, 1 << 20);
    for (size_t i = 0; !err && i < n_es; i++) {
        struct entry *e = &es[i];
        const struct tp_xsplice *s = NULL;
        for (size_t j = 0; j < n_splice; j++)
            if (strlen(splice[j].entry) == e->name_len &&
                !memcmp(splice[j].entry, e->name, e->name_len))
                s = &splice[j];
        if (s) {
            err = put_spliced(&z, e, s, force_zip64);
        } else {
            e->offset = z.at;
            put_local(&z, e, force_zip64);
            put(&z, e->data, e->csize);
            err = z.err;
        }
        if (err)
            *failed_entry = s ? s->entry : NULL;
    }
    if (!err) {
        uint64_t cd_off = z.at;
        int zip64 = force_zip64 || n_es >= 0xFFFF || big(cd_off);
        for (size_t i = 0; i < n_es; i++) {
            put_central(&z, &es[i], force_zip64);
            zip64 |= big(es[i].offset) || big(es[i].csize) || big(es[i].usize);
        }
        uint64_t cd_size = z.at - cd_off;
        zip64 |= big(cd_size);
        unsigned char h[56 + 20 + 22], *p = h;
        if (zip64) {
            uint64_t at = z.at;
            p = wr32(p, 0x06064b50);
            p = wr64(p, 44);
            p = wr16(p, 45);
            p = wr16(p, 45);
            p = wr32(p, 0);
            p = wr32(p, 0);
            p = wr64(p, n_es);
            p = wr64(p, n_es);
            p = wr64(p, cd_size);
            p = wr64(p, cd_off);
            p = wr32(p, 0x07064b50);
            p = wr32(p, 0);
            p = wr64(p, at);
            p = wr32(p, 1);
        }
        p = wr32(p, 0x06054b50);
        p = wr16(p, 0);
        p = wr16(p, 0);
        p = wr16(p, n_es >= 0xFFFF ? 0xFFFF : n_es);
        p = wr16(p, n_es >= 0xFFFF ? 0xFFFF : n_es);
        p = wr32(p, big(cd_size) ? 0xFFFFFFFFu : cd_size);
        p = wr32(p, big(cd_off) ? 0xFFFFFFFFu : cd_off);
        p = wr16(p, 0);
        put(&z, h, (size_t)(p - h));
        err = z.err;
    }
    if (z.f) {
        errno = 0;
        if (fclose(z.f) != 0 && !err)
            err = errno ? errno : EIO;
    }
    free(vbuf);
    free(es);
    free(src);
    return err;
}
