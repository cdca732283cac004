/*
 * input/mail.c - mail: one message is one document, read with GMime 3. A
 * mail file (.eml, a maildir message) is one message; an mbox file holds
 * many, each one a document.
 *
 * Where it sits: called by reader.c's dispatch for a mail or mbox input
 * (input/format.c decides); uses input/common.c for bytes, the sink and
 * dates, input/charset.c for the parts' charsets and input/html.c for a
 * message whose text is HTML only.
 *
 * A message's document (docs/inputs.md, "Mail"):
 *   - id: its Message-ID (without < >), else the path (PATH:N in an mbox,
 *     N counting the file's messages from 1);
 *   - date: the Date: header, the calendar day in the sender's own offset
 *     (GMime's RFC 5322 parser, lenient about old forms); a Date: that does
 *     not parse, or a year before 1970 or after 2099, is an unparsable date
 *     (warning naming file and line of the header, undated; an error under
 *     --strict); no Date: leaves it undated;
 *   - text: the Subject, a blank line (so no pair spans them), then the
 *     body: the first text/plain part that is not an attachment, else the
 *     first text/html one (its visible text), decoded from quoted-printable
 *     or base64 and from its charset (input/charset.c). Every other part
 *     (attachments, forwarded messages, the other parts of a
 *     multipart/mixed) is not read and counted in attachments_skipped; the
 *     other alternatives of the chosen body's multipart/alternative are
 *     alternatives, not attachments.
 *   - fields for --group-by: from, to, list_id (header values, RFC 2047
 *     words decoded), in tp_doc.fields.
 *
 * mbox: a message starts at a line beginning `From ` that is the first line
 * of the file or comes after a blank line, and is followed by a header line
 * (`Name: value`); any other `From ` line (and `>From `, mboxrd or mboxo
 * quoting) is body text. Text before the first such line is a message of
 * its own unless blank. Each message is held whole, up to --max-doc-bytes.
 *
 * Core data structure: struct mbox, the message being gathered (its bytes
 * in `msg`, where its current line starts, a pending `From ` line that the
 * next line confirms or not).
 */
#include <strings.h>

#include <gmime/gmime.h>

#include "dynlib.h"
#include "input.h"

#define MAX_MIME_DEPTH 64          /* parts nested deeper are not looked into */
#define MAX_BOUNDARIES 200         /* more multipart declarations: the header only */
#define MAX_HEADER_LINE (64 << 10) /* header lines cut to this before GMime */

/* GMime and the glib functions it hands back, loaded on the first mail
 * (dynlib.h). GMIME_IS_PART and friends call into GObject's type system, so
 * the type checks are spelled out through the table too. */
#define MIME_API(X)                                                                                \
    X(g_mime_init)                                                                                 \
    X(g_mime_parser_new_with_stream)                                                               \
    X(g_mime_parser_construct_message)                                                             \
    X(g_mime_stream_mem_new)                                                                       \
    X(g_mime_stream_mem_new_with_buffer)                                                           \
    X(g_mime_stream_mem_get_byte_array)                                                            \
    X(g_mime_data_wrapper_write_to_stream)                                                         \
    X(g_mime_part_get_content)                                                                     \
    X(g_mime_multipart_get_count)                                                                  \
    X(g_mime_multipart_get_part)                                                                   \
    X(g_mime_object_get_content_type)                                                              \
    X(g_mime_object_get_content_type_parameter)                                                    \
    X(g_mime_object_get_content_disposition)                                                       \
    X(g_mime_object_get_header)                                                                    \
    X(g_mime_object_get_header_list)                                                               \
    X(g_mime_content_type_is_type)                                                                 \
    X(g_mime_content_disposition_is_attachment)                                                    \
    X(g_mime_header_list_get_header)                                                               \
    X(g_mime_header_get_raw_value)                                                                 \
    X(g_mime_message_get_date)                                                                     \
    X(g_mime_message_get_message_id)                                                               \
    X(g_mime_message_get_mime_part)                                                                \
    X(g_mime_utils_header_decode_text)                                                             \
    X(g_mime_multipart_get_type)                                                                   \
    X(g_mime_part_get_type)                                                                        \
    X(g_type_check_instance_is_a)                                                                  \
    X(g_object_unref)                                                                              \
    X(g_date_time_get_year)                                                                        \
    X(g_date_time_get_month)                                                                       \
    X(g_date_time_get_day_of_month)                                                                \
    X(g_string_new)                                                                                \
    X(g_string_append)                                                                             \
    X(g_string_free)                                                                               \
    X(g_strndup)                                                                                   \
    X(g_strchug)                                                                                   \
    X(g_strchomp)                                                                                  \
    X(g_utf8_make_valid)                                                                           \
    X(g_free)

static struct {
    MIME_API(TP_DYN_SLOT)
} gm;

static const char *const mime_names[] = {MIME_API(TP_DYN_NAME)};

static void mime_init(void)
{
    gm.g_mime_init();
}

static struct tp_dynlib mime =
    TP_DYNLIB_INIT(TP_SONAME_GMIME, "mail input", mime_names, &gm, mime_init);

/* o is an instance of GObject type t (GMIME_IS_PART and friends). */
static int is_a(void *o, GType t)
{
    return o && gm.g_type_check_instance_is_a((GTypeInstance *)o, t);
}

/* A leaf of the MIME tree, and its nearest multipart/alternative ancestor. */
struct leaf {
    GMimeObject *obj;
    GMimeObject *alt;
};

struct leaves {
    struct leaf *v;
    size_t n, cap;
};

static int add_leaf(struct leaves *l, GMimeObject *o, GMimeObject *alt)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct leaf *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return TP_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].obj = o;
    l->v[l->n].alt = alt;
    l->n++;
    return 0;
}

/* The leaves under o in document order; a forwarded message (message/rfc822)
 * is one leaf, not looked into. */
static int collect(GMimeObject *o, GMimeObject *alt, int depth, struct leaves *l)
{
    if (!o)
        return 0;
    if (is_a(o, gm.g_mime_multipart_get_type()) && depth < MAX_MIME_DEPTH) {
        GMimeMultipart *mp = (GMimeMultipart *)o;
        GMimeContentType *ct = gm.g_mime_object_get_content_type(o);
        if (ct && gm.g_mime_content_type_is_type(ct, "multipart", "alternative"))
            alt = o;
        int n = gm.g_mime_multipart_get_count(mp);
        for (int i = 0; i < n; i++)
            if (collect(gm.g_mime_multipart_get_part(mp, i), alt, depth + 1, l) < 0)
                return TP_ENOMEM;
        return 0;
    }
    return add_leaf(l, o, alt);
}

static int is_text(GMimeObject *o, const char *sub)
{
    if (!is_a(o, gm.g_mime_part_get_type()))
        return 0;
    GMimeContentType *ct = gm.g_mime_object_get_content_type(o);
    GMimeContentDisposition *cd = gm.g_mime_object_get_content_disposition(o);
    if (cd && gm.g_mime_content_disposition_is_attachment(cd))
        return 0;
    return ct && gm.g_mime_content_type_is_type(ct, "text", sub);
}

/* The messages of one input, and what they share. */
struct mail {
    struct run *run;
    int mbox;
    struct buf text, part, conv, html, value;
};

/* Warn about message n (0: the file is the message) starting on line. */
static void mail_warn(struct mail *m, unsigned long line, unsigned long n, const char *what)
{
    char msg[1400];
    if (n)
        snprintf(msg, sizeof(msg), "%s:%lu: message %lu: %s", m->run->id_path, line, n, what);
    else
        snprintf(msg, sizeof(msg), "%s:%lu: %s", m->run->id_path, line, what);
    tp_in_warn(m->run->r, msg);
}

/* Append s (UTF-8 or not: decoded as the guess when not) to m->text. */
static int add_header_text(struct mail *m, const char *s)
{
    const char *u;
    size_t ulen;
    if (!s)
        return 0;
    int rc = tp_in_to_utf8(m->run, tp_encoding_is_utf8(s, strlen(s)) ? TP_ENC_UTF8 : TP_ENC_CP1252,
                           s, strlen(s), &m->conv, &u, &ulen);
    if (rc == 0 && buf_add(&m->text, u, ulen) < 0)
        rc = nomem(m->run->err);
    return rc;
}

/* The decoded text of the body part o appended to m->text (*enc: CP1252
 * when it was guessed so). */
static int add_body(struct mail *m, GMimeObject *o, int html, unsigned long line, unsigned long n,
                    enum tp_encoding *enc)
{
    GMimeDataWrapper *w = gm.g_mime_part_get_content((GMimePart *)o);
    const char *u;
    size_t ulen;
    int rc;

    if (!w)
        return 0;
    GMimeStream *mem = gm.g_mime_stream_mem_new();
    if (!mem)
        return nomem(m->run->err);
    /* decodes quoted-printable and base64; what a cut base64 part holds */
    gm.g_mime_data_wrapper_write_to_stream(w, mem);
    GByteArray *ba = gm.g_mime_stream_mem_get_byte_array((GMimeStreamMem *)mem);
    const char *cs = gm.g_mime_object_get_content_type_parameter(o, "charset");
    rc = tp_in_charset_decode(m->run, cs, ba && ba->data ? (const char *)ba->data : "",
                              ba ? ba->len : 0, &m->conv, &u, &ulen, enc);
    if (rc == 1) {
        char what[200];
        snprintf(what, sizeof(what), "unknown charset '%.80s': read as %s", cs,
                 *enc == TP_ENC_CP1252 ? "CP1252 (not UTF-8)" : "UTF-8");
        mail_warn(m, line, n, what);
        rc = 0;
    }
    if (rc == 0 && html && (rc = tp_in_html_need(m->run->path, m->run->err)) == 0) {
        rc = tp_in_html_text(u, ulen, "UTF-8", &m->html, NULL, NULL, NULL);
        if (rc == TP_ENOMEM || rc == TP_EDATA)
            rc = nomem(m->run->err);
        u = m->html.p ? m->html.p : "";
        ulen = m->html.len;
        if (rc == 0 && !tp_encoding_is_utf8(u, ulen))
            rc = tp_in_to_utf8(m->run, TP_ENC_UTF8, m->html.p, m->html.len, &m->conv, &u, &ulen);
    }
    if (rc == 0 && buf_add(&m->text, u, ulen) < 0)
        rc = nomem(m->run->err);
    gm.g_object_unref(mem);
    return rc;
}

/* The line (from 1) of the Date: field in the header of p[0..len). */
static unsigned long date_line(const char *p, size_t len)
{
    unsigned long line = 1;
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr(p + at, '\n', len - at);
        size_t k = nl ? (size_t)(nl - (p + at)) : len - at;
        if (k == 0 || (k == 1 && p[at] == '\r'))
            break; /* the end of the header */
        if (k >= 5 && strncasecmp(p + at, "date:", 5) == 0)
            return line;
        if (!nl)
            break;
        at += k + 1;
        line++;
    }
    return 1;
}

/* The date of a message: found_date from its Date: header. */
static void message_date(GMimeMessage *msg, const char *p, size_t len, unsigned long first_line,
                         struct mail *m, struct found_date *fd)
{
    const char *raw = gm.g_mime_object_get_header((GMimeObject *)msg, "Date");
    memset(fd, 0, sizeof(*fd));
    fd->kind = TP_HDR_NONE;
    fd->where = m->run->path;
    if (!raw || all_blank((const unsigned char *)raw, strlen(raw)))
        return; /* no date, or an empty one: undated, nothing to warn about */
    fd->line = first_line + date_line(p, len) - 1;
    GDateTime *d = gm.g_mime_message_get_date(msg);
    int y = d ? gm.g_date_time_get_year(d) : 0;
    if (d && y >= 1970 && y <= 2099) {
        fd->kind = TP_HDR_DATE;
        fd->date.year = y;
        fd->date.month = gm.g_date_time_get_month(d);
        fd->date.day = gm.g_date_time_get_day_of_month(d);
        fd->date.prec = TP_PREC_DAY;
        return;
    }
    /* shown in the warning: the header as written (trimmed) */
    while (*raw == ' ' || *raw == '\t')
        raw++;
    m->value.len = 0;
    if (buf_add(&m->value, raw, strlen(raw)) < 0)
        return;
    while (m->value.len > 0 && is_blank((unsigned char)m->value.p[m->value.len - 1]))
        m->value.p[--m->value.len] = '\0';
    fd->kind = TP_HDR_BAD;
    fd->value = m->value.p;
    fd->value_len = m->value.len;
}

/* The length of the RFC 2047 encoded word `=?charset?X?text?=` at s, or 0. */
static size_t encoded_word(const char *s)
{
    if (s[0] != '=' || s[1] != '?')
        return 0;
    const char *q = strchr(s + 2, '?'); /* end of the charset */
    if (!q || !q[1] || q[2] != '?')
        return 0;
    const char *e = strstr(q + 3, "?=");
    if (!e || memchr(s, ' ', (size_t)(e - s)) || memchr(s, '\n', (size_t)(e - s)))
        return 0;
    return (size_t)(e + 2 - s);
}

/* raw with its RFC 2047 words decoded one by one (g_free'd by the caller).
 * GMime's own decoder joins adjacent words of one charset before decoding
 * them, and its base64 decoder stops at the first word's padding: "=?utf-8?
 * b?cnM=?= =?utf-8?b?w6k=?=" lost its second word. Each encoded word holds
 * whole characters (RFC 2047, 5), so each is decoded alone here; the blanks
 * between two encoded words are dropped, as the RFC says. */
static char *decode_words(const char *raw)
{
    GString *out = gm.g_string_new(NULL);
    const char *s = raw;
    int after_word = 0;
    while (*s) {
        size_t k = encoded_word(s);
        if (!k) {
            /* up to the next encoded word */
            const char *t = s + 1;
            while (*t && !encoded_word(t))
                t++;
            size_t n = (size_t)(t - s), b = 0;
            while (b < n && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n'))
                b++;
            if (!(after_word && b == n && *t)) {
                char *piece = gm.g_strndup(s, n);
                char *d = gm.g_mime_utils_header_decode_text(NULL, piece);
                /* keep the blanks GMime trims at the piece's ends */
                if (n && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n'))
                    gm.g_string_append(out, " ");
                gm.g_string_append(out, d ? d : "");
                if (n > 1 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
                    gm.g_string_append(out, " ");
                gm.g_free(d);
                gm.g_free(piece);
            }
            after_word = 0;
            s = t;
            continue;
        }
        char *word = gm.g_strndup(s, k);
        char *d = gm.g_mime_utils_header_decode_text(NULL, word);
        gm.g_string_append(out, d ? d : "");
        gm.g_free(d);
        gm.g_free(word);
        after_word = 1;
        s += k;
    }
    return gm.g_string_free(out, FALSE);
}

/* A header's value decoded (RFC 2047) and valid UTF-8, g_free'd by the
 * caller; NULL when absent. */
static char *header_value(GMimeObject *o, const char *name)
{
    GMimeHeaderList *hl = gm.g_mime_object_get_header_list(o);
    GMimeHeader *h = hl ? gm.g_mime_header_list_get_header(hl, name) : NULL;
    const char *raw = h ? gm.g_mime_header_get_raw_value(h) : NULL;
    if (!raw)
        return NULL;
    char *v = decode_words(raw);
    if (!v)
        return NULL;
    char *s = gm.g_strchomp(gm.g_strchug(v));
    if (!tp_encoding_is_utf8(s, strlen(s))) {
        char *fixed = gm.g_utf8_make_valid(s, -1);
        gm.g_free(v);
        return fixed;
    }
    if (s != v)
        memmove(v, s, strlen(s) + 1);
    return v;
}

/* GMime's parser grows a header field's buffer a little at a time and
 * checks each body line against every open multipart's boundary: a header
 * line of megabytes, or thousands of nested multiparts, would take minutes.
 * And it loses an RFC 2047 word folded onto a CRLF continuation line (a
 * Subject written by Windows mailers). Before GMime sees a message, header
 * lines longer than MAX_HEADER_LINE are cut there, the header's CR LF line
 * ends become LF, and a message declaring more than MAX_BOUNDARIES
 * boundaries is given only its header (Subject, Date). The text GMime gets
 * goes to m->part when it differs from p[0..len); returns 0 or a negative
 * TP_E*. */
static int guard(struct mail *m, const char *p, size_t len, unsigned long first_line,
                 unsigned long n, const char **out, size_t *out_len)
{
    size_t at = 0, head_end = len, boundaries = 0;
    int long_line = 0, crlf = 0;
    *out = p;
    *out_len = len;
    while (at < len) {
        const char *nl = memchr(p + at, '\n', len - at);
        size_t k = nl ? (size_t)(nl - (p + at)) : len - at;
        if (k == 0 || (k == 1 && p[at] == '\r')) {
            head_end = at;
            break;
        }
        long_line |= k > MAX_HEADER_LINE;
        crlf |= k > 0 && p[at + k - 1] == '\r';
        at += k + 1;
    }
    for (size_t i = 0; i + 9 <= len; i++) {
        const char *b = memchr(p + i, '=', len - i);
        if (!b)
            break;
        i = (size_t)(b - p);
        if (i >= 8 && strncasecmp(b - 8, "boundary", 8) == 0)
            boundaries++;
    }
    if (!long_line && !crlf && boundaries <= MAX_BOUNDARIES)
        return 0;
    m->part.len = 0;
    for (at = 0; at < head_end;) {
        const char *nl = memchr(p + at, '\n', head_end - at);
        size_t k = nl ? (size_t)(nl - (p + at)) : head_end - at;
        size_t keep = k > 0 && p[at + k - 1] == '\r' ? k - 1 : k;
        if (buf_add(&m->part, p + at, keep > MAX_HEADER_LINE ? MAX_HEADER_LINE : keep) < 0 ||
            buf_add(&m->part, "\n", 1) < 0)
            return nomem(m->run->err);
        at += k + 1;
    }
    if (boundaries <= MAX_BOUNDARIES) {
        if (buf_add(&m->part, p + head_end, len - head_end) < 0)
            return nomem(m->run->err);
    } else if (buf_add(&m->part, "\n", 1) < 0) {
        return nomem(m->run->err);
    }
    if (long_line)
        mail_warn(m, first_line, n, "header line longer than 64 KiB: cut there");
    if (boundaries > MAX_BOUNDARIES)
        mail_warn(m, first_line, n,
                  "more than 200 MIME boundaries declared: only its header is read (Subject, "
                  "Date)");
    *out = m->part.p;
    *out_len = m->part.len;
    return 0;
}

/* One message p[0..len), message n of an mbox (0: the whole input), its
 * first line first_line: parsed, and its document given to the sink. */
static int mail_doc(struct mail *m, const char *p, size_t len, unsigned long n,
                    unsigned long first_line)
{
    struct run *run = m->run;
    struct tp_reader *r = run->r;
    struct leaves leaves = {NULL, 0, 0};
    char *fields[3] = {NULL, NULL, NULL};
    struct tp_doc_field docf[3];
    struct found_date fd;
    struct tp_doc doc = {0};
    int rc = 0;

    if ((rc = guard(m, p, len, first_line, n, &p, &len)) < 0)
        return rc;
    GMimeStream *stream = gm.g_mime_stream_mem_new_with_buffer(p, len);
    GMimeParser *parser = stream ? gm.g_mime_parser_new_with_stream(stream) : NULL;
    GMimeMessage *msg = parser ? gm.g_mime_parser_construct_message(parser, NULL) : NULL;
    if (parser)
        gm.g_object_unref(parser);
    if (stream)
        gm.g_object_unref(stream);
    if (!msg) {
        mail_warn(m, first_line, n, "not a mail message (no header GMime can read): skipped");
        return 0;
    }

    m->text.len = 0;
    doc.encoding = TP_ENC_UTF8;
    char *subject = header_value((GMimeObject *)msg, "Subject");
    rc = add_header_text(m, subject);
    gm.g_free(subject);
    if (rc < 0)
        goto out;
    if (buf_add(&m->text, "\n\n", 2) < 0) {
        rc = nomem(run->err);
        goto out;
    }
    if (collect(gm.g_mime_message_get_mime_part(msg), NULL, 0, &leaves) < 0) {
        rc = nomem(run->err);
        goto out;
    }
    struct leaf *body = NULL;
    for (size_t i = 0; i < leaves.n && !body; i++)
        if (is_text(leaves.v[i].obj, "plain"))
            body = &leaves.v[i];
    int html = 0;
    for (size_t i = 0; i < leaves.n && !body; i++)
        if (is_text(leaves.v[i].obj, "html")) {
            body = &leaves.v[i];
            html = 1;
        }
    for (size_t i = 0; i < leaves.n; i++)
        if (!body || (&leaves.v[i] != body && (!body->alt || leaves.v[i].alt != body->alt)))
            r->stats.attachments_skipped++;
    if (body && (rc = add_body(m, body->obj, html, first_line, n, &doc.encoding)) < 0)
        goto out;

    const char *mid = gm.g_mime_message_get_message_id(msg);
    if (mid && *mid && tp_encoding_is_utf8(mid, strlen(mid))) {
        r->id.len = 0;
        if (buf_add(&r->id, mid, strlen(mid)) < 0) {
            rc = nomem(run->err);
            goto out;
        }
        doc.id = r->id.p;
    } else {
        doc.id = n ? tp_in_line_id(run, n) : run->id_path;
        if (!doc.id) {
            rc = nomem(run->err);
            goto out;
        }
    }
    message_date(msg, p, len, first_line, m, &fd);
    static const char *const names[3] = {"from", "to", "list_id"};
    static const char *const headers[3] = {"From", "To", "List-Id"};
    size_t nf = 0;
    for (int i = 0; i < 3; i++) {
        fields[i] = header_value((GMimeObject *)msg, headers[i]);
        if (fields[i]) {
            docf[nf].name = names[i];
            docf[nf].value = fields[i];
            nf++;
        }
    }
    doc.fields = docf;
    doc.n_fields = nf;
    doc.path = run->path;
    doc.line = first_line;
    rc = tp_in_emit_doc(run, &doc, &fd, m->text.p, m->text.len, 0);
out:
    for (int i = 0; i < 3; i++)
        gm.g_free(fields[i]);
    free(leaves.v);
    gm.g_object_unref(msg);
    return rc;
}

/* ---- mbox: messages split at `From ` lines ------------------------------- */

struct mbox {
    struct buf msg;           /* the message being gathered, its current line last */
    size_t line_start;        /* where that line starts in msg */
    unsigned long lineno;     /* its number */
    unsigned long msg_line;   /* the first line of the message's text */
    unsigned long n;          /* messages given so far */
    int from_started;         /* the message began with a `From ` line */
    int prev_blank;           /* the line before was blank (or none) */
    int pending;              /* the line before is a `From ` line after a blank */
    size_t pending_start;     /* where it starts in msg */
    unsigned long pending_no; /* and its number */
};

/* The message gathered in msg[0..end), if it is one. */
static int flush_message(struct mail *m, struct mbox *b, size_t end)
{
    if (!b->from_started && all_blank((const unsigned char *)b->msg.p, end))
        return 0;
    b->n++;
    return mail_doc(m, b->msg.p, end, b->n, b->msg_line);
}

/* The line msg[line_start..len) is complete: decide what it is. */
static int mbox_line(struct mail *m, struct mbox *b)
{
    const char *l = b->msg.p + b->line_start;
    size_t k = b->msg.len - b->line_start;
    size_t t = k;
    int rc;
    if (t > 0 && l[t - 1] == '\n')
        t--;
    if (t > 0 && l[t - 1] == '\r')
        t--;
    if (b->pending) {
        b->pending = 0;
        if (tp_in_is_header_line(l, t)) {
            /* the `From ` line starts a message: the one before ends there */
            if ((rc = flush_message(m, b, b->pending_start)) != 0)
                return rc;
            memmove(b->msg.p, l, k);
            b->msg.len = k;
            b->line_start = 0;
            b->msg_line = b->pending_no + 1;
            b->from_started = 1;
            l = b->msg.p;
        }
    }
    if (b->prev_blank && t >= 5 && memcmp(l, "From ", 5) == 0) {
        b->pending = 1;
        b->pending_start = b->line_start;
        b->pending_no = b->lineno;
        b->prev_blank = 0;
    } else {
        b->prev_blank = t == 0;
    }
    b->line_start = b->msg.len;
    b->lineno++;
    return 0;
}

static int read_mbox(struct mail *m)
{
    struct run *run = m->run;
    struct tp_reader *r = run->r;
    struct mbox b;
    size_t got;
    int rc = 0, eof = 0;

    memset(&b, 0, sizeof(b));
    b.lineno = 1;
    b.msg_line = 1;
    b.prev_blank = 1;
    while (!eof && rc == 0) {
        if ((rc = tp_in_read(run, r->raw, CHUNK, &got)) < 0)
            break;
        eof = got < CHUNK;
        const char *s = (const char *)r->raw;
        while (got > 0 && rc == 0) {
            const char *nl = memchr(s, '\n', got);
            size_t k = nl ? (size_t)(nl - s) + 1 : got;
            if ((uint64_t)b.msg.len + k > doc_cap(r)) {
                char w[32];
                rc = tp_error_set(run->err, TP_EPARSE,
                                  "%s:%lu: message %lu larger than %s (--max-doc-bytes): not "
                                  "read; raise --max-doc-bytes if it is meant",
                                  run->path, b.msg_line, b.n + 1,
                                  tp_in_size_words(doc_cap(r), w, sizeof(w)));
                break;
            }
            if (buf_add(&b.msg, s, k) < 0) {
                rc = tp_error_set(run->err, TP_ENOMEM,
                                  "%s:%lu: out of memory holding message %lu (lower "
                                  "--max-doc-bytes to stop sooner)",
                                  run->path, b.msg_line, b.n + 1);
                break;
            }
            s += k;
            got -= k;
            if (nl)
                rc = mbox_line(m, &b);
        }
    }
    if (rc == 0 && b.msg.len > b.line_start)
        rc = mbox_line(m, &b); /* a last line without '\n' */
    if (rc == 0)
        rc = flush_message(m, &b, b.msg.len);
    buf_release(&b.msg);
    return rc;
}

int tp_in_read_mail(struct run *run, int mbox)
{
    struct mail m;
    int rc = tp_dynlib_need(&mime, run->path, run->err);

    if (rc < 0)
        return rc;
    memset(&m, 0, sizeof(m));
    m.run = run;
    m.mbox = mbox;
    if (mbox) {
        rc = read_mbox(&m);
    } else {
        struct buf all = {0};
        rc = tp_in_read_whole(run, &all, "mail message");
        if (rc == 0)
            rc = mail_doc(&m, all.p ? all.p : "", all.len, 0, 1);
        buf_release(&all);
    }
    buf_release(&m.text);
    buf_release(&m.part);
    buf_release(&m.conv);
    buf_release(&m.html);
    buf_release(&m.value);
    return rc;
}
