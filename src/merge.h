/*
 * merge.h - corpora counted apart joined into one, exactly (merge.c).
 *
 * Threads count whole documents, or parts of one large document, into
 * corpora of their own; tp_corpus_merge joins them in input order, and the
 * result is byte for byte what one thread counting everything would have:
 * term ids are remapped through the destination's table (so they stay in
 * first-seen order), totals, document frequencies and first occurrences
 * combined, pair and n-gram counts remapped, document records appended in
 * order, and spill files moved over with an id map instead of rewritten.
 *
 * Protocol (2), one document split across threads (run_count.c cuts a large
 * one-document file into parts after line feeds; part k is counted by worker
 * k into a corpus of its own):
 *   worker 0 (the first part):   tp_corpus_begin, tokens, then
 *                                tp_corpus_suspend(c, brk) instead of
 *                                tp_corpus_end: the document stays open;
 *   worker k > 0 (the others):   tp_corpus_begin, tp_corpus_continue (before
 *                                the first token), tokens, tp_corpus_suspend
 *                                (the last part too: every part is left open,
 *                                the reader's tp_doc.part says it is a part);
 *   the pipeline, in part order: tp_corpus_merge(run, part k) for every k;
 *                                a continuing part goes on with the open
 *                                document of the run's corpus: its first
 *                                tokens (kept while in segment 0, at most the
 *                                ring's length) are joined to the last tokens
 *                                of the run's open document (count_across)
 *                                for the n-grams, pairs and listed terms that
 *                                span the cut;
 *   then the pipeline:           tp_corpus_end(run) closes the document.
 * The tokenizer carries its own state across the cut the same way
 * (tp_tokenizer_continue), and brk says whether it saw a segment break right
 * at the cut, which ends adjacency there.
 *
 * If any part turns out not to be UTF-8, the pipeline drops the parts and
 * counts the file again on one thread (protocol (1), counts.h, does not span
 * corpora).
 */
#ifndef TP_MERGE_H
#define TP_MERGE_H

#include "counts.h"

/* Mark the document just begun as the continuation of a document whose
 * earlier part another corpus counts (it must be this corpus's only document,
 * before its first token). Its tokens in segment 0 continue that part's last
 * segment; tp_corpus_merge joins them. Returns 0 or TP_ENOMEM. */
int tp_corpus_continue(struct tp_corpus *c);

/* Stop counting the current document without closing it, because its text
 * goes on in another corpus (brk: the tokenizer saw a segment break after the
 * last token). The document stays open; merging this corpus leaves it open in
 * the destination, where a continuing corpus goes on with it and
 * tp_corpus_end closes it. Returns 0 or TP_ENOMEM. */
int tp_corpus_suspend(struct tp_corpus *c, int brk);

/* Merge src into dst exactly as if src's documents had been counted by dst
 * after its own (same options and listed terms required): term ids are
 * remapped through dst's table, totals, document frequencies and first
 * occurrences combined, pair and n-gram counts remapped, document records
 * appended in order. src's spill files move to dst as they are, with the map
 * from src's ids to dst's, so no list is rewritten: src keeps its counts but
 * no longer its per-document lists. Its documents' ids are not copied either:
 * the arena that holds them becomes dst's, so src's records may be read only
 * while dst lives (the callers free src right after). A suspended document of src stays open
 * in dst; a continuing src (tp_corpus_continue) goes on with dst's open
 * document, including the pairs, n-grams and listed terms that span the cut.
 * Returns 0 or a negative TP_E* (err filled). */
int tp_corpus_merge(struct tp_corpus *dst, const struct tp_corpus *src, struct tp_error *err);

#endif
