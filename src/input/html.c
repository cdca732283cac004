/*
 * input/html.c - an HTML page is one document: its visible text, read with
 * libxml2's HTML parser (recovering from any markup, never the network).
 *
 * Where it sits: called by reader.c's dispatch for an HTML input (.html,
 * .htm, or a file starting with <!doctype html / <html; input/format.c),
 * and by input/mail.c for a message whose only text is an HTML part. Uses
 * input/common.c (bytes, the sink, dates) and input/charset.c.
 *
 * What is text (docs/inputs.md, "HTML"): the <title>, then the text nodes
 * of the body, entities decoded by libxml2, runs of blanks collapsed to one
 * space (kept as they are inside <pre> and <textarea>). Dropped: comments,
 * <head> but its title, and the elements that show no text or only
 * navigation: script, style, nav, noscript, template, iframe, object, embed,
 * svg, math, canvas, audio, video, and any element with the `hidden`
 * attribute. Block elements (p, div, br, li, h1-h6, td, th, tr, table, ...)
 * break adjacency: a blank line is put before and after each, so no n-gram
 * or word pair spans them.
 *
 * Charset: the bytes are decoded to UTF-8 here before libxml2 sees them
 * (then parsed as UTF-8, so a <meta> cannot switch the encoding midway):
 * the charset of a <meta charset> or <meta http-equiv content="...;
 * charset=..."> in the first 4 KiB, else the project's guess (--encoding).
 *
 * Date: <meta property="article:published_time">, else the first <time
 * datetime> whose value is a date, else <meta name="date">, else <meta
 * name="dc.date"> (names and properties compared ignoring case); the value
 * is read like a CSV date cell (YYYY, YYYY-MM, YYYY-MM-DD, a timestamp
 * starting with one): the day as written.
 *
 * Core data structure: libxml2's tree, walked iteratively (parent and next
 * pointers, no recursion, so a deeply nested page needs no stack).
 */
#include <limits.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "dynlib.h"
#include "input.h"

/* libxml2, loaded on the first page (dynlib.h). xmlFree is a variable
 * holding a function, so its slot points at the variable. */
#define XML_API(X)                                                                                 \
    X(xmlInitParser)                                                                               \
    X(xmlSetGenericErrorFunc)                                                                      \
    X(htmlReadMemory)                                                                              \
    X(xmlFreeDoc)                                                                                  \
    X(xmlDocGetRootElement)                                                                        \
    X(xmlHasProp)                                                                                  \
    X(xmlGetProp)                                                                                  \
    X(xmlGetLineNo)                                                                                \
    X(xmlFree)

static struct {
    XML_API(TP_DYN_SLOT)
} xl;

static const char *const xml_names[] = {XML_API(TP_DYN_NAME)};

static void xml_init(void)
{
    xl.xmlInitParser();
}

static struct tp_dynlib xml =
    TP_DYNLIB_INIT(TP_SONAME_XML2, "HTML input", xml_names, &xl, xml_init);

int tp_in_html_need(const char *path, struct tp_error *err)
{
    return tp_dynlib_need(&xml, path, err);
}

static void xml_free(void *p)
{
    (*xl.xmlFree)(p);
}

static void no_messages(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static int name_is(const xmlNode *n, const char *const *names, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (strcasecmp((const char *)n->name, names[i]) == 0)
            return 1;
    return 0;
}

static const char *const dropped[] = {"script", "style",  "nav",    "noscript", "template",
                                      "head",   "iframe", "object", "embed",    "svg",
                                      "math",   "canvas", "audio",  "video"};
static const char *const blocks[] = {
    "p",       "div",        "br",      "li",         "h1",       "h2",      "h3",      "h4",
    "h5",      "h6",         "td",      "th",         "tr",       "section", "article", "header",
    "footer",  "blockquote", "pre",     "table",      "ul",       "ol",      "dl",      "dt",
    "dd",      "hr",         "figure",  "figcaption", "main",     "aside",   "form",    "address",
    "caption", "details",    "summary", "fieldset",   "legend",   "center",  "body",    "html",
    "tbody",   "thead",      "tfoot",   "option",     "textarea", "title"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int is_dropped(const xmlNode *n)
{
    return name_is(n, dropped, N_OF(dropped)) ||
           xl.xmlHasProp(n, (const xmlChar *)"hidden") != NULL;
}

static int is_block(const xmlNode *n)
{
    return name_is(n, blocks, N_OF(blocks));
}

/* A segment break: a blank line, unless the text is empty or has one. */
static int brk(struct buf *out)
{
    if (out->len == 0 ||
        (out->len >= 2 && out->p[out->len - 1] == '\n' && out->p[out->len - 2] == '\n'))
        return 0;
    return buf_add(out, "\n\n", 2);
}

static int in_pre(const xmlNode *n)
{
    for (; n; n = n->parent)
        if (n->type == XML_ELEMENT_NODE && n->name &&
            (strcasecmp((const char *)n->name, "pre") == 0 ||
             strcasecmp((const char *)n->name, "textarea") == 0))
            return 1;
    return 0;
}

/* Append a text node's text: blanks collapsed outside <pre>. */
static int add_text(struct buf *out, const xmlNode *n)
{
    const char *s = (const char *)n->content;
    if (!s)
        return 0;
    size_t k = strlen(s);
    if (in_pre(n))
        return buf_add(out, s, k);
    if (buf_reserve(out, k) < 0)
        return TP_ENOMEM;
    int at_break = out->len == 0 || out->p[out->len - 1] == '\n' || out->p[out->len - 1] == ' ';
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            if (!at_break)
                out->p[out->len++] = ' ';
            at_break = 1;
        } else {
            out->p[out->len++] = (char)c;
            at_break = 0;
        }
    }
    out->p[out->len] = '\0';
    return 0;
}

/* The text of every text node under n (the title). */
static int add_all_text(struct buf *out, const xmlNode *top)
{
    const xmlNode *n = top->children;
    while (n) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (add_text(out, n) < 0)
                return TP_ENOMEM;
        }
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            continue;
        }
        while (n && n != top && !n->next)
            n = n->parent;
        if (!n || n == top)
            break;
        n = n->next;
    }
    return 0;
}

/* The next node of a document-order walk after n, not below it; block
 * elements closed on the way up get their break. Stops (NULL) at top. */
static const xmlNode *walk_up(struct buf *out, const xmlNode *n, const xmlNode *top, int *rc)
{
    while (n && n != top && !n->next) {
        n = n->parent;
        if (n && n != top && n->type == XML_ELEMENT_NODE && is_block(n) && brk(out) < 0)
            *rc = TP_ENOMEM;
    }
    return !n || n == top ? NULL : n->next;
}

static int visible_text(const xmlDoc *doc, struct buf *out)
{
    const xmlNode *root = xl.xmlDocGetRootElement(doc);
    const xmlNode *n;
    int rc = 0;

    if (!root)
        return 0;
    /* the title first, then the body */
    for (n = root; n;) {
        if (n->type == XML_ELEMENT_NODE && strcasecmp((const char *)n->name, "title") == 0) {
            if (add_all_text(out, n) < 0 || brk(out) < 0)
                return TP_ENOMEM;
            break;
        }
        if (n->type == XML_ELEMENT_NODE && n->children &&
            strcasecmp((const char *)n->name, "body") != 0) {
            n = n->children;
            continue;
        }
        n = walk_up(&(struct buf){0}, n, root, &rc);
    }
    n = root;
    while (n && rc == 0) {
        if (n->type == XML_ELEMENT_NODE) {
            if (is_dropped(n)) {
                n = walk_up(out, n, root->parent, &rc);
                continue;
            }
            if (is_block(n) && brk(out) < 0)
                return TP_ENOMEM;
            if (n->children) {
                n = n->children;
                continue;
            }
            if (is_block(n) && brk(out) < 0)
                return TP_ENOMEM;
        } else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (add_text(out, n) < 0)
                return TP_ENOMEM;
        }
        n = walk_up(out, n, root->parent, &rc);
    }
    return rc;
}

/* The value of attribute name of n, or NULL (xmlFree it). */
static char *attr(const xmlNode *n, const char *name)
{
    return (char *)xl.xmlGetProp(n, (const xmlChar *)name);
}

enum { D_PUBLISHED, D_TIME, D_META_DATE, D_DC_DATE, N_DATE_SOURCES };

/* The date of the page from its four sources, in that order: the first
 * present decides (an unparsable one leaves the page undated, warned). */
static int page_date(const xmlDoc *doc, struct buf *value, struct found_date *fd, const char *where)
{
    const xmlNode *root = xl.xmlDocGetRootElement(doc), *n = root;
    char *found[N_DATE_SOURCES] = {NULL};
    long line[N_DATE_SOURCES] = {0};
    int rc = 0;

    while (n) {
        if (n->type == XML_ELEMENT_NODE) {
            int src = -1;
            char *v = NULL;
            if (strcasecmp((const char *)n->name, "meta") == 0) {
                char *prop = attr(n, "property"), *nm = attr(n, "name");
                if (prop && strcasecmp(prop, "article:published_time") == 0)
                    src = D_PUBLISHED;
                else if (nm && strcasecmp(nm, "date") == 0)
                    src = D_META_DATE;
                else if (nm && strcasecmp(nm, "dc.date") == 0)
                    src = D_DC_DATE;
                xml_free(prop);
                xml_free(nm);
                if (src >= 0 && !found[src])
                    v = attr(n, "content");
            } else if (strcasecmp((const char *)n->name, "time") == 0 && !found[D_TIME]) {
                struct tp_date d;
                v = attr(n, "datetime");
                src = D_TIME;
                /* a time of day alone is a valid datetime: only dates count */
                if (v && tp_date_parse_value(v, strlen(v), &d) != 0) {
                    xml_free(v);
                    v = NULL;
                }
            }
            if (v && src >= 0 && !found[src]) {
                found[src] = v;
                line[src] = xl.xmlGetLineNo(n);
                v = NULL;
            }
            xml_free(v);
        }
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            continue;
        }
        n = walk_up(&(struct buf){0}, n, root->parent, &rc);
    }
    memset(fd, 0, sizeof(*fd));
    fd->kind = TP_HDR_NONE;
    for (int i = 0; i < N_DATE_SOURCES; i++) {
        if (!found[i])
            continue;
        value->len = 0;
        if (buf_add(value, found[i], strlen(found[i])) < 0) {
            rc = TP_ENOMEM;
            break;
        }
        tp_in_cell_date(value->p, value->len, where, line[i] > 0 ? (unsigned long)line[i] : 1, fd);
        break;
    }
    for (int i = 0; i < N_DATE_SOURCES; i++)
        xml_free(found[i]);
    return rc;
}

int tp_in_html_text(const char *p, size_t n, const char *encoding, struct buf *out,
                    struct found_date *fd, const char *where, struct buf *date_value)
{
    int rc = 0;
    out->len = 0;
    if (fd) {
        memset(fd, 0, sizeof(*fd));
        fd->kind = TP_HDR_NONE;
    }
    if (n == 0)
        return buf_add(out, "", 0);
    if (n > INT_MAX)
        return TP_EDATA;
    if (tp_dynlib_need(&xml, NULL, NULL) < 0)
        return TP_EINTERNAL;
    xl.xmlSetGenericErrorFunc(NULL, no_messages);
    xmlDoc *doc = xl.htmlReadMemory(p, (int)n, NULL, encoding,
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                        HTML_PARSE_NONET | HTML_PARSE_COMPACT | XML_PARSE_HUGE);
    if (!doc)
        return buf_add(out, "", 0);
    rc = visible_text(doc, out);
    if (rc == 0 && fd)
        rc = page_date(doc, date_value, fd, where);
    xl.xmlFreeDoc(doc);
    if (rc == 0)
        rc = buf_add(out, "", 0);
    return rc;
}

/* The charset a <meta> declares in the first 4 KiB of p[0..n), into cs. */
static int meta_charset(const char *p, size_t n, char *cs, size_t cap)
{
    size_t lim = n < 4096 ? n : 4096;
    for (size_t i = 0; i + 5 < lim; i++) {
        if (p[i] != '<' || strncasecmp(p + i + 1, "meta", 4) != 0)
            continue;
        size_t end = i + 5;
        while (end < lim && p[end] != '>')
            end++;
        for (size_t j = i + 5; j + 7 < end; j++) {
            if (strncasecmp(p + j, "charset", 7) != 0)
                continue;
            size_t k = j + 7;
            while (k < end && (p[k] == ' ' || p[k] == '\t'))
                k++;
            if (k >= end || p[k] != '=')
                continue;
            k++;
            while (k < end && (p[k] == ' ' || p[k] == '\t' || p[k] == '"' || p[k] == '\''))
                k++;
            size_t m = 0;
            while (k < end && m + 1 < cap &&
                   ((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' && p[k] <= 'Z') ||
                    (p[k] >= '0' && p[k] <= '9') || p[k] == '-' || p[k] == '_' || p[k] == '.' ||
                    p[k] == ':'))
                cs[m++] = p[k++];
            cs[m] = '\0';
            return m > 0;
        }
    }
    return 0;
}

int tp_in_read_html(struct run *run)
{
    struct tp_reader *r = run->r;
    struct buf raw = {0}, text = {0}, conv = {0}, value = {0};
    struct found_date fd;
    struct tp_doc doc = {0};
    const char *u = NULL;
    size_t ulen = 0;
    char cs[64];
    int rc;

    if ((rc = tp_in_html_need(run->path, run->err)) < 0 ||
        (rc = tp_in_read_whole(run, &raw, "web page")) < 0)
        goto out;
    const char *p = raw.p ? raw.p : "";
    size_t n = raw.len;
    doc.encoding = TP_ENC_UTF8;
    if (run->utf16) {
        /* libxml2 reads the byte order mark */
        rc = tp_in_html_text(p, n, NULL, &text, &fd, run->path, &value);
    } else {
        if (has_bom(p, n)) {
            p += 3;
            n -= 3;
        }
        int declared = meta_charset(p, n, cs, sizeof(cs));
        rc = tp_in_charset_decode(run, declared ? cs : NULL, p, n, &conv, &u, &ulen, &doc.encoding);
        if (rc == 1) {
            char msg[1200];
            snprintf(msg, sizeof(msg), "%s: unknown charset '%s' in <meta>: read as %s",
                     run->id_path, cs,
                     doc.encoding == TP_ENC_CP1252 ? "CP1252 (not UTF-8)" : "the encoding guess");
            if (r->stats.n_documents + 1 > r->warned_docs)
                tp_in_warn(r, msg);
            rc = 0;
        }
        if (rc == 0)
            rc = tp_in_html_text(u, ulen, "UTF-8", &text, &fd, run->path, &value);
    }
    if (rc == TP_ENOMEM) {
        rc = nomem(run->err);
        goto out;
    }
    if (rc == TP_EDATA) {
        rc = tp_error_set(run->err, TP_EDATA, "%s: web page too large for the HTML parser (2 GiB)",
                          run->path);
        goto out;
    }
    if (rc < 0)
        goto out;
    doc.id = run->id_path;
    doc.path = run->path;
    doc.line = 1;
    /* libxml2 writes UTF-8; checked all the same (the sink's contract) */
    rc = tp_in_to_utf8(run, TP_ENC_UTF8, text.p, text.len, &conv, &u, &ulen);
    if (rc == 0)
        rc = tp_in_emit_doc(run, &doc, &fd, u, ulen, 0);
out:
    buf_release(&raw);
    buf_release(&text);
    buf_release(&conv);
    buf_release(&value);
    return rc;
}
