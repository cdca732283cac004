/*
 * input/text.c - one plain text file is one document: the byte order mark,
 * the date header (or front matter) in its first HEADER_BYTES, then its text
 * streamed to the sink in CHUNK-sized pieces, decoded as UTF-8, CP1252 or
 * Latin-1 (or from UTF-16 when the file starts with a UTF-16 BOM).
 *
 * Where it sits: called by reader.c's dispatch for a file that is neither CSV
 * nor JSONL (nor --doc-per-line); uses input/common.c to read bytes and reach
 * the sink. Core data structures: the struct run of the open input (its file
 * descriptor, plain_start/plain_off: where reading began and how far it got),
 * r->raw (one CHUNK of raw bytes, with `carry`: a UTF-8 sequence the chunk
 * cut short, moved to the front for the next read) and r->hdr (the first
 * decoded bytes, searched for a header before the document begins).
 *
 * How the encoding is chosen. --encoding utf-8, cp1252 and latin-1 decode as
 * told. Under auto a document is UTF-8 when every byte of it is, else
 * CP1252: a decision that needs all of its bytes. A plain file (read_plain)
 * is read a chunk at a time, each chunk checked as UTF-8 just before it goes
 * to the sink, while it is still in the cache: no second pass, no mapping. A
 * file that is not a regular uncompressed file, or not UTF-8 from its first
 * chunk, is decoded by read_decoded: held whole in memory up to SMALL_DOC,
 * and a longer one checked in a first pass, then rewound and read again.
 *
 * The take-back (undo) protocol, for a long plain file that turns out not to
 * be UTF-8 after the sink has counted part of it. Who calls what, in order:
 *   1. read_plain has given the sink begin() and the text of chunks 1..k-1;
 *      chunk k holds a byte that is not UTF-8 (next_checked: NOT_UTF8).
 *   2. undo_document calls sink->undo(ctx, 0). The counting sink
 *      (run_count.c, count_undo) flushes the tokens the tokenizer holds,
 *      calls the counters' undo begin (counts.c: back to the state the
 *      document began in) and resets the tokenizer (tp_tokenizer_continue
 *      for a later part of a split document).
 *   3. undo_document reads again, with pread, exactly the bytes given since
 *      begin() (offsets [text_from, done) from where reading began: past
 *      the BOM and the header) and passes them through sink->text() in
 *      order: the tokenizer emits the same tokens again, which take the
 *      document's pairs back out of the counters' pair table.
 *   4. undo_document calls sink->undo(ctx, 1): the sink flushes, the
 *      counters' undo end forgets the document as if begin() had never come
 *      (its counts, first occurrences and tokens) and the tokenizer is
 *      reset.
 *   5. read_plain restores the reader's statistics to what they were before
 *      the document, rewinds the file (rewind_plain) and returns NOT_UTF8;
 *      tp_in_read_text then reads the document once more through
 *      read_decoded as CP1252 (under utf-8: with U+FFFD replacements), from
 *      begin() to end(), and it is counted once.
 * A sink without undo, or a sampling run (tp_reader_sample), gets every
 * document checked whole before its first byte instead.
 *
 * Ranged reading, the reader's side (one large document split across
 * threads; run_count.c owns the cutting and the join). run_count.c cuts the
 * file after line feeds and gives each thread a reader from
 * tp_reader_new_range, with r->part 1 for the part at offset 0 and 2 for
 * every later one. Here a part is read like a whole file limited to its
 * bytes (run->limited, run->remaining), except that a later part has no BOM,
 * no header and no date: it begins with begin_later_part (tp_doc.part = 2,
 * the line it starts on), and the sink carries the tokenizer's state across
 * (run_count.c: tp_tokenizer_continue at begin, the counters suspended at
 * end, the parts merged in order and the document ended once). Under auto
 * each part chooses its own encoding; run_count.c sees a CP1252 part in
 * stats.cp1252_documents and counts the whole file again on one thread. A
 * file that starts with a UTF-16 BOM is never divided (tp_reader_divisible).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"

/* Begin a whole-file document once its first decoded bytes are in r->hdr. */
static int start_text_doc(struct run *run, enum tp_encoding enc, int eof)
{
    struct tp_reader *r = run->r;
    const char *head = r->hdr.p ? r->hdr.p : "";
    struct found_date fd;
    struct tp_doc doc = {0};
    size_t skip = tp_in_find_header(head, r->hdr.len, eof, run->path, 1, &fd);
    int rc;

    run->text_skip = skip;
    doc.id = run->id_path;
    doc.path = run->path;
    doc.line = 1;
    doc.encoding = enc;
    doc.part = r->part;
    const struct input *in = &r->in[run->input];
    uint64_t size = in->unsized ? run->open_size : in->size;
    doc.divisible = !r->part && size >= TP_DIVIDE_MIN && tp_reader_divisible(r, run->input);
    rc = tp_in_settle_date(run, doc.id, doc.path, &fd, &doc.date);
    if (rc == 0)
        rc = tp_in_doc_begin(run, &doc);
    if (rc == 0)
        rc = tp_in_doc_text(run, head + skip, r->hdr.len - skip);
    return rc;
}

/* Pass decoded text out[0..n) on: until the document has begun (*started),
 * it gathers in r->hdr, where the header is looked for once HEADER_BYTES are
 * there or the input ended (eof); then it goes straight to the sink. */
static int pass_decoded(struct run *run, enum tp_encoding enc, const char *out, size_t n, int eof,
                        int *started)
{
    struct tp_reader *r = run->r;
    if (*started)
        return tp_in_doc_text(run, out, n);
    if (buf_add(&r->hdr, out, n) < 0)
        return nomem(run->err);
    if (r->hdr.len < HEADER_BYTES && !eof)
        return 0;
    *started = 1;
    return start_text_doc(run, enc, eof);
}

/* Begin a part of a document after its first (tp_reader_new_range): the
 * middle of a document has no BOM, no header and no date of its own. */
static int begin_later_part(struct run *run, enum tp_encoding enc)
{
    struct tp_doc doc = {0};
    doc.id = run->id_path;
    doc.path = run->path;
    doc.line = run->r->range_line;
    doc.encoding = enc;
    doc.part = 2;
    return tp_in_doc_begin(run, &doc);
}

/* A code point boundary at or before i in valid UTF-8 p[0..n). */
static size_t cp_boundary(const unsigned char *p, size_t n, size_t i)
{
    while (i > 0 && i < n && (p[i] & 0xC0) == 0x80)
        i--;
    return i;
}

/* Past TP_STOP, which the sink's stop passes on. */
enum { NOT_PLAIN = TP_STOP + 1, NOT_UTF8 };

/* Back to where reading a plain file (or its range) began. */
static int rewind_plain(struct run *run)
{
    if (run->r->ranged && run->r->range_end) /* read once, front to back (tp_reader_share_end) */
        return tp_error_set(run->err, TP_EINTERNAL, "%s: a shared range read again", run->path);
    if (!run->pre && lseek(run->fd, (off_t)run->plain_start, SEEK_SET) < 0)
        return tp_error_set(run->err, TP_EIO, "%s: %s", run->path, strerror(errno));
    run->plain_off = 0;
    if (run->limited)
        run->remaining = run->r->range_len;
    return 0;
}

/* Bytes at the end of valid UTF-8 p[0..len) (len > 0) that begin a
 * sequence the end cuts short. */
static size_t cut_tail(const unsigned char *p, size_t len)
{
    size_t i = len - 1;
    while (i > 0 && len - i < 4 && (p[i] & 0xC0) == 0x80)
        i--;
    unsigned c = p[i];
    size_t need = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return need > len - i ? len - i : 0;
}

/* Read the next chunk of a plain file into r->raw after the *carry bytes
 * already there, and check it (unless a first pass checked the file:
 * `checked`): *n gets the bytes that are complete valid UTF-8, *carry the
 * bytes of a sequence the chunk cut short (moved to the front by the caller
 * once it is done with the *n), *eof whether the input ended. At most `limit`
 * bytes are taken when limit is not 0 (a sample). Returns 0, NOT_UTF8 or
 * < 0. */
static int next_checked(struct run *run, uint64_t done, uint64_t limit, int checked, size_t *n,
                        size_t *carry, int *eof)
{
    struct tp_reader *r = run->r;
    size_t got;
    *n = 0;
    int rc = tp_in_read(run, r->raw + *carry, CHUNK - *carry, &got);
    if (rc < 0)
        return rc;
    *eof = got < CHUNK - *carry;
    size_t len = *carry + got;
    *carry = 0;
    if (limit && done + len >= limit) {
        len = cp_boundary(r->raw, len, limit > done ? (size_t)(limit - done) : 0);
        *eof = 1;
    }
    if (checked) {
        *carry = *eof || !len ? 0 : cut_tail(r->raw, len);
        *n = len - *carry;
        return 0;
    }
    size_t v = tp_encoding_valid_prefix(r->raw, len);
    if (v < len && !*eof && tp_encoding_cut_short(r->raw + v, len - v))
        *carry = len - v;
    else if (v < len)
        return NOT_UTF8;
    *n = v;
    return 0;
}

/* The sink takes back the open document: undo(0), the text it was given
 * again (bytes [from, to) of the input since reading began, read with
 * pread), undo(1). */
static int undo_document(struct run *run, uint64_t from, uint64_t to)
{
    struct tp_reader *r = run->r;
    int rc = tp_in_sink_rc(run->sink->undo(run->sink->ctx, 0, run->err));
    while (rc == 0 && from < to) {
        size_t want = to - from < CHUNK ? (size_t)(to - from) : CHUNK, got = 0;
        if (run->pre) {
            /* read whole at open: the bytes are there */
            if (from + want > run->pre_len)
                return tp_error_set(run->err, TP_EIO, "%s: file shrank while read", run->path);
            memcpy(r->raw, run->pre + from, want);
            got = want;
        }
        while (got < want) {
            ssize_t k =
                pread(run->fd, r->raw + got, want - got, (off_t)(run->plain_start + from + got));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                return tp_error_set(run->err, TP_EIO, "%s: %s", run->path,
                                    k < 0 ? strerror(errno) : "file shrank while read");
            got += (size_t)k;
        }
        /* the bytes were checked: all that can fail is the last sequence,
         * cut short by the read, which the next piece then starts with */
        size_t e = from + want < to ? tp_encoding_valid_prefix(r->raw, want) : want;
        if (e == 0)
            return tp_error_set(run->err, TP_EIO, "%s: changed while read", run->path);
        rc = tp_in_doc_text(run, (const char *)r->raw, e);
        from += e;
    }
    return rc ? rc : tp_in_sink_rc(run->sink->undo(run->sink->ctx, 1, run->err));
}

/* A plain file (or its range) to be read as UTF-8, a chunk at a time with
 * read(2), each chunk checked just before it goes to the sink, while it is
 * still in the cache: no second pass over the bytes, no mapping.
 *
 * A document longer than a chunk goes to the sink before all of it is
 * checked. When a later chunk turns out not to be UTF-8, the sink takes the
 * document back (tp_sink.undo, given the text again) and the caller reads it
 * once more, as CP1252 under auto or with replacements under utf-8. A sink
 * without undo, or a sample, gets documents checked whole first.
 *
 * Returns NOT_PLAIN when it does not apply (not a regular file), NOT_UTF8
 * when a byte is not UTF-8 (the file is back at its start and the sink holds
 * nothing of the document), else 0, TP_STOP or < 0 as tp_in_read_text. */
static int read_plain(struct run *run)
{
    struct tp_reader *r = run->r;
    struct stat st;
    if (!run->plain || r->o->encoding == TP_ENC_LATIN1 || r->o->encoding == TP_ENC_CP1252 ||
        (!run->pre && (fstat(run->fd, &st) != 0 || !S_ISREG(st.st_mode))))
        return NOT_PLAIN;
    uint64_t limit = r->check_limit;
    size_t n, carry = 0;
    int eof = 0, rc, checked = !run->sink->undo || limit;
    if (checked) {
        /* checked whole first (a pass that counts in no statistics) */
        uint64_t done = 0;
        int counting = run->counting;
        run->counting = 0;
        rc = 0;
        while (!eof && rc == 0) {
            if ((rc = next_checked(run, done, limit, 0, &n, &carry, &eof)) != 0)
                break; /* n and carry say nothing after a failure */
            memmove(r->raw, r->raw + n, carry);
            done += n;
        }
        run->counting = counting;
        if (rc < 0)
            return rc;
        int back = rewind_plain(run);
        if (back || rc)
            return back ? back : rc;
        carry = 0;
        eof = 0;
    }
    struct tp_reader_stats before = r->stats;
    uint64_t done = 0, text_from = 0;
    int started = 0;
    rc = 0;
    while (rc == 0 && !eof) {
        if ((rc = next_checked(run, done, limit, checked, &n, &carry, &eof)) == NOT_UTF8) {
            if (started && (rc = undo_document(run, text_from, done)) != 0)
                return rc;
            r->stats = before;
            return (rc = rewind_plain(run)) == 0 ? NOT_UTF8 : rc;
        }
        if (rc < 0)
            return rc;
        size_t pos = 0;
        if (!started) {
            started = 1;
            if (r->part == 2) {
                rc = begin_later_part(run, TP_ENC_UTF8);
            } else {
                if (has_bom(r->raw, n))
                    pos = 3;
                /* the header is looked for in the first bytes, as when streaming */
                size_t h = cp_boundary(r->raw, n, pos + HEADER_BYTES < n ? pos + HEADER_BYTES : n);
                r->hdr.len = 0;
                if (buf_add(&r->hdr, r->raw + pos, h - pos) < 0)
                    return nomem(run->err);
                rc = start_text_doc(run, TP_ENC_UTF8, h == n && eof);
                text_from = pos + run->text_skip;
                pos = h;
            }
        }
        if (rc == 0)
            rc = tp_in_doc_text(run, (const char *)r->raw + pos, n - pos);
        memmove(r->raw, r->raw + n, carry);
        done += n;
    }
    return rc ? rc : tp_in_doc_end(run);
}

/* Under --encoding auto, before any of the document goes on: its first
 * SMALL_DOC bytes go to r->small. When that is all of it (*mem_len below
 * SMALL_DOC) the document is decoded from there; otherwise the rest is
 * checked in a first pass that counts in no statistics (up to the sample
 * limit) and the input rewound. *enc gets the encoding chosen. */
static int choose_encoding(struct run *run, enum tp_encoding *enc, size_t *mem_len)
{
    struct tp_reader *r = run->r;
    size_t n;
    int rc;

    if (!r->small && !(r->small = malloc(SMALL_DOC)))
        return nomem(run->err);
    run->counting = 0;
    rc = tp_in_read(run, r->small, SMALL_DOC, mem_len);
    run->counting = 1;
    if (rc < 0)
        return rc;
    if (*mem_len < SMALL_DOC) {
        /* All of it is here: check it and decode from memory. */
        r->stats.bytes += *mem_len;
        tp_in_progress(run);
        *enc = tp_in_pick_encoding(r, tp_encoding_is_utf8(r->small, *mem_len));
        return 0;
    }
    struct tp_decoder check;
    tp_decoder_init(&check, TP_ENC_AUTO);
    tp_decoder_feed(&check, r->small, *mem_len, 0, NULL);
    run->counting = 0;
    uint64_t checked = *mem_len;
    while (!check.bad && !(r->check_limit && checked >= r->check_limit)) {
        if ((rc = tp_in_read(run, r->raw, CHUNK, &n)) < 0)
            break;
        checked += n;
        tp_decoder_feed(&check, r->raw, n, n < CHUNK, NULL);
        if (n < CHUNK)
            break;
    }
    run->counting = 1;
    if (rc < 0)
        return rc;
    *enc = tp_in_pick_encoding(r, !check.bad);
    if (run->plain)
        return rewind_plain(run);
    if (run->src)
        return tp_in_src_rewind(run); /* input/archive.c */
    tp_in_inflate_stop(run);
    run->inflate_off = 0;
    return gzrewind(run->gz) < 0 ? tp_in_gz_failed(run) : 0;
}

/* The document decoded as enc (AUTO: chosen first, choose_encoding) and
 * streamed to the sink from begin() to end(): a stream, a .gz file, a plain
 * file read_plain gave back (NOT_PLAIN, NOT_UTF8), or any file under
 * --encoding cp1252 or latin-1. */
static int read_decoded(struct run *run, enum tp_encoding enc)
{
    struct tp_reader *r = run->r;
    struct tp_decoder dec;
    size_t mem_len = 0, mem_pos = 0, n;
    int from_mem = 0, first = 1, started = 0, eof = 0, rc = 0;

    if (enc == TP_ENC_AUTO) {
        if ((rc = choose_encoding(run, &enc, &mem_len)) != 0)
            return rc;
        from_mem = mem_len < SMALL_DOC;
    }
    tp_decoder_init(&dec, enc);
    /* Under auto, UTF-8 was chosen because every byte checked valid: the
     * decoding pass need not check again. */
    dec.trusted = r->o->encoding == TP_ENC_AUTO && enc == TP_ENC_UTF8 && !r->check_limit;
    r->hdr.len = 0;
    if (r->part == 2) {
        first = 0;
        started = 1;
        if ((rc = begin_later_part(run, enc)) != 0)
            return rc;
    }
    while (!eof) {
        const unsigned char *p;
        size_t o;
        if (from_mem) {
            n = mem_len - mem_pos < CHUNK ? mem_len - mem_pos : CHUNK;
            p = r->small + mem_pos;
            mem_pos += n;
            eof = mem_pos == mem_len;
        } else {
            rc = tp_in_read(run, r->raw, CHUNK, &n);
            if (rc < 0)
                return rc;
            p = r->raw;
            eof = n < CHUNK;
        }
        if (first && has_bom(p, n)) {
            p += 3;
            n -= 3;
        }
        first = 0;
        o = tp_decoder_feed(&dec, p, n, eof, r->out);
        if ((rc = pass_decoded(run, enc, r->out, o, eof, &started)) != 0)
            break;
    }
    r->stats.invalid_utf8 += dec.n_invalid;
    if (rc != 0)
        return rc;
    return tp_in_doc_end(run);
}

/* A plain text file that starts with a UTF-16 byte order mark, decoded to
 * UTF-8 as it streams (the BOM dropped). */
int tp_in_read_utf16(struct run *run)
{
    struct tp_reader *r = run->r;
    struct tp_utf16 dec;
    size_t n;
    int first = 1, started = 0, eof = 0, rc = 0;

    tp_utf16_init(&dec, run->utf16 == 2);
    r->hdr.len = 0;
    while (!eof) {
        rc = tp_in_read(run, r->raw, CHUNK, &n);
        if (rc < 0)
            return rc;
        eof = n < CHUNK;
        const unsigned char *p = r->raw;
        if (first && n >= 2) {
            p += 2;
            n -= 2;
        }
        first = 0;
        size_t o = tp_utf16_feed(&dec, p, n, eof, r->out);
        if ((rc = pass_decoded(run, TP_ENC_UTF8, r->out, o, eof, &started)) != 0)
            break;
    }
    r->stats.invalid_utf8 += dec.n_invalid;
    return rc ? rc : tp_in_doc_end(run);
}

int tp_in_read_text(struct run *run)
{
    enum tp_encoding enc = run->r->o->encoding;
    int rc = read_plain(run);
    if (rc <= 0 || rc == TP_STOP)
        return rc;
    if (rc == NOT_UTF8 && enc == TP_ENC_AUTO)
        enc = TP_ENC_CP1252; /* checked already: no second check pass */
    return read_decoded(run, enc);
}
