/*
 * counts.c - a corpus's life and the counting of each token (see counts.h).
 *
 * A token is counted by one rule, count_id(): one more in its document
 * (touching the document's list at its first occurrence there), the term
 * marked seen at its first occurrence in the corpus, and, when n-grams,
 * pairs or listed terms are counted, its segment's adjacency (the ring of
 * the last tokens) fed to count_context(), or to queue_pairs() alone when
 * only pairs are. Two callers reach it: tp_corpus_token, a token at a time,
 * and tp_corpus_tokens16, the batched hot path the tokenizer feeds, which
 * first looks up the batch's term ids with their cache misses overlapped.
 *
 * Two variants beside count_id do the same for a whole batch faster, in
 * tp_corpus_tokens16, each only in the case it names and each giving what
 * count_id would (test_counts.c counts random documents both ways and
 * compares every table):
 *   counts only (no n-grams, pairs nor listed terms): tp_count_touch in a
 *     loop, the touched list's room reserved for the batch;
 *   adjacent pairs only (colloc's --window 1): count_adjacent, the ring of
 *     one kept in locals.
 * Where the batch's terms were all seen before (marked in the lookup loop),
 * first_in_doc's corpus bookkeeping cannot apply, which is what lets them
 * skip it. A change to what counting a token means goes into count_id and
 * both variants. merge.c's count_across counts the tokens that span a cut
 * document by the same rules, from the ring and the continuing part's head.
 *
 * Protocol (1), taking a document back, is here: tp_corpus_undo_begin and
 * tp_corpus_undo_end (counts.h says who calls them and in which order).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "counts_int.h"
#include "group.h"

/* n-gram keys and the ring hold at most TP_KEY_MAX ids on the stack */
_Static_assert(TP_KEY_MAX >= 2 && TP_KEY_MAX <= 32, "TP_KEY_MAX out of range");

int tp_corpus_init(struct tp_corpus *c, const struct tp_count_opts *o, struct tp_error *err)
{
    int rc;
    memset(c, 0, sizeof(*c));
    c->r.o = *o;
    if (o->ngram > TP_KEY_MAX)
        return tp_error_set(err, TP_EUSAGE, "n-grams of %u words: at most %d", o->ngram,
                            TP_KEY_MAX);
    if (o->window > TP_WINDOW_MAX)
        return tp_error_set(err, TP_EUSAGE, "a pair window of %u tokens: at most %d", o->window,
                            TP_WINDOW_MAX);
    if (tp_table_init(&c->r.terms))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    if ((rc = tp_counter_init(&c->r.uni, o->spill, err)))
        return rc;
    if (o->ngram > 1) {
        if (tp_tuples_init(&c->r.ngrams, o->ngram))
            return tp_error_set(err, TP_ENOMEM, "out of memory");
        c->r.ngrams.max_items = (size_t)(o->max_ngram_bytes / tp_tuples_item_bytes(o->ngram));
        if ((rc = tp_counter_init(&c->r.ng, o->spill, err)))
            return rc;
    }
    if (o->window > 0 && tp_pairs_init(&c->r.pairs))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    c->r.pairs.max_slots = (size_t)(o->max_pair_bytes / sizeof(struct tp_pair_slot));
    unsigned r = o->window;
    if (o->ngram > r + 1)
        r = o->ngram - 1;
    c->ring_cap = tp_ring_size(r);
    c->ring = calloc(c->ring_cap, sizeof(uint32_t));
    if (!c->ring)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    c->lang = o->doc_lang;
    return 0;
}

int tp_corpus_new(struct tp_corpus **c, const struct tp_count_opts *o, struct tp_error *err)
{
    *c = NULL;
    struct tp_corpus *p = malloc(sizeof(*p));
    if (!p)
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    int rc = tp_corpus_init(p, o, err);
    if (rc)
        tp_corpus_free(p);
    else
        *c = p;
    return rc;
}

void tp_corpus_free(struct tp_corpus *c)
{
    if (!c)
        return;
    tp_corpus_release(c);
    free(c);
}

struct tp_counts *tp_corpus_counts(struct tp_corpus *c)
{
    return &c->r;
}

void tp_corpus_drop_lists(struct tp_corpus *c)
{
    tp_counter_close_files(&c->r.uni);
    tp_counter_close_files(&c->r.ng);
    c->r.uni.spill = c->r.ng.spill = NULL;
}

const struct tp_counts *tp_corpus_counts_const(const struct tp_corpus *c)
{
    static const struct tp_counts none;
    return c ? &c->r : &none;
}

int tp_corpus_empty(const struct tp_corpus *c)
{
    return c->r.n_docs == 0 && !c->in_doc && c->r.n_tokens == 0 && c->r.terms.n == 0 &&
           c->r.n_match == 0 && c->r.n_out_of_range == 0;
}

int tp_corpus_in_doc(const struct tp_corpus *c)
{
    return c->in_doc;
}

int tp_corpus_reads_segments(const struct tp_corpus *c)
{
    return c->r.o.ngram > 1 || c->r.o.window > 0 || c->r.n_match;
}

/* Whether a term's bytes are a stopword twin's: a word and a 0xFF byte,
 * which no token has (tokens are UTF-8). */
static inline int twin_bytes(const char *s, size_t len)
{
    return len > 1 && (unsigned char)s[len - 1] == 0xFF;
}

/* The languages whose lists have the word s[0..len) (an elided "l'" matches
 * "l"), as bits (1 << lang): o.stop_lang's flags. */
static unsigned stop_langs(const struct tp_corpus *c, const char *s, size_t len)
{
    if (len > 1 && s[len - 1] == '\'')
        len--;
    int64_t w = tp_table_find(c->r.o.stop_lang, s, len);
    return w >= 0 ? c->r.o.stop_lang->terms[w].flags & 0xFF : 0;
}

/* Every language's bit, and the corpus's lists' (TP_LANG_AUTO): a word with
 * all of them is a stopword everywhere. */
enum {
    ALL_LANGS = (1u << TP_LANG_AUTO) | (1u << TP_LANG_IT) | (1u << TP_LANG_FR) |
                (1u << TP_LANG_EN) | (1u << TP_LANG_ES) | (1u << TP_LANG_DE) | (1u << TP_LANG_PT)
};

/* Whether a corpus counting with the lists stop_lang gives the word
 * s[0..len) a stopword twin (split_added): on some list, not on all. */
int tp_counts_word_has_twin(const struct tp_table *stop_lang, const char *s, size_t len)
{
    if (!stop_lang || twin_bytes(s, len))
        return 0;
    if (len > 1 && s[len - 1] == '\'')
        len--;
    int64_t w = tp_table_find(stop_lang, s, len);
    unsigned m = w >= 0 ? stop_lang->terms[w].flags & 0xFF : 0;
    return m && (m & ALL_LANGS) != ALL_LANGS;
}

/* Flags of a new term: stopword (an elided "l'" matches "l"; with
 * stop_lang, a word on every list, or a twin), too short. */
static uint32_t term_flags(const struct tp_corpus *c, const char *s, size_t len)
{
    uint32_t f = 0;
    if (twin_bytes(s, len)) {
        f |= TP_TERM_STOP;
    } else if (c->r.o.stop_lang) {
        if ((stop_langs(c, s, len) & ALL_LANGS) == ALL_LANGS)
            f |= TP_TERM_STOP;
    } else if (c->r.o.stop) {
        size_t l = len;
        if (l > 1 && s[l - 1] == '\'')
            l--;
        if (tp_table_find(c->r.o.stop, s, l) >= 0)
            f |= TP_TERM_STOP;
    }
    if (c->r.o.min_length) {
        size_t cps = 0;
        for (size_t i = 0; i < len; i++)
            cps += ((unsigned char)s[i] & 0xC0) != 0x80;
        if (cps < c->r.o.min_length)
            f |= TP_TERM_SHORT;
    }
    return f;
}

/* What a token of id counts as in a document whose language has the bit cls
 * (doc_ids): its twin when the language lists the word, else the word
 * itself; TP_LMAP_LATE when that needs doc_ids' slow path (the twin not
 * counted yet, or a listed word's first count as itself). */
static inline uint32_t lmap_entry(const struct tp_corpus *c, uint32_t id, unsigned cls)
{
    unsigned sm = c->smask[id];
    if (sm & cls)
        return c->twin[id] ? c->twin[id] - 1 : TP_LMAP_LATE;
    return sm && !(sm & TP_SPLIT_SEEN) ? TP_LMAP_LATE : id;
}

/* id's entry in every language's map made so far, after its smask or twin
 * changed. */
static void lmap_fix(struct tp_corpus *c, uint32_t id)
{
    for (unsigned l = 0; l <= TP_LANG_NONE; l++)
        if (c->lmap[l])
            c->lmap[l][id] = lmap_entry(c, id, 1u << l);
}

/* The map of the open document's language, made on its first document. */
static const uint32_t *lmap_cur(struct tp_corpus *c)
{
    unsigned l = c->lang;
    if (c->lmap[l])
        return c->lmap[l];
    uint32_t *m = malloc((c->split_cap ? c->split_cap : 1) * sizeof(*m));
    if (!m)
        return NULL;
    for (size_t id = 0; id < c->r.terms.n; id++)
        m[id] = lmap_entry(c, (uint32_t)id, 1u << l);
    return c->lmap[l] = m;
}

/* o.stop_lang: a new term's languages, twin and word (counts.h). */
static int split_added(struct tp_corpus *c, int64_t id, const char *s, size_t len)
{
    if ((size_t)id >= c->split_cap) {
        size_t cap = c->split_cap ? 2 * c->split_cap : 1024;
        while (cap <= (size_t)id)
            cap *= 2;
        if (TP_GROW(c->smask, c->split_cap, cap, 1) || TP_GROW(c->twin, c->split_cap, cap, 1) ||
            TP_GROW(c->r.twin_base, c->split_cap, cap, 1))
            return TP_ENOMEM;
        for (unsigned l = 0; l <= TP_LANG_NONE; l++)
            if (c->lmap[l] && TP_GROW(c->lmap[l], c->split_cap, cap, 0))
                return TP_ENOMEM;
        c->split_cap = cap;
    }
    int twin = twin_bytes(s, len);
    int64_t base = twin ? tp_table_find(&c->r.terms, s, len - 1) : id;
    c->r.twin_base[id] = (uint32_t)(base >= 0 ? base : id);
    /* a word on every list is flagged a stopword itself: no twin */
    unsigned m = twin ? 0 : stop_langs(c, s, len);
    c->smask[id] = (uint8_t)((m & ALL_LANGS) == ALL_LANGS ? 0 : m & ALL_LANGS);
    c->twin[id] = 0;
    lmap_fix(c, (uint32_t)id);
    if (!c->smask[id])
        return 0;
    /* a word on some list: its twin now (twin[id] is set when the twin is
     * first counted, doc_ids) */
    char stack[256];
    char *b = len < sizeof(stack) ? stack : malloc(len + 1);
    if (!b)
        return TP_ENOMEM;
    memcpy(b, s, len);
    b[len] = (char)0xFF;
    int64_t tw = tp_corpus_intern(c, b, len + 1);
    if (b != stack)
        free(b);
    return tw < 0 ? TP_ENOMEM : 0;
}

/* Whether a token of term id counts as its stopword twin in the open
 * document (o.stop_lang): then the word is not seen by it (the twin is). */
static inline int as_twin(const struct tp_corpus *c, uint32_t id)
{
    return c->smask && (c->smask[id] & 1u << c->lang);
}

/* A term just added to the table: its flags, room in the per-id arrays. */
static int64_t term_added(struct tp_corpus *c, int64_t id, const char *s, size_t len)
{
    uint32_t f = term_flags(c, s, len);
    c->r.terms.terms[id].flags = f;
    if ((size_t)id >= c->r.uni.cap && tp_counter_reserve(&c->r.uni, (size_t)id + 1))
        return TP_ENOMEM;
    if ((size_t)id >= c->lone_cap) {
        size_t cap = c->lone_cap ? 2 * c->lone_cap : 1024;
        while (cap <= (size_t)id)
            cap *= 2;
        if (TP_GROW(c->lone, c->lone_cap, cap, 1))
            return TP_ENOMEM;
        c->lone_cap = cap;
    }
    c->lone[id] = (f & (TP_TERM_STOP | TP_TERM_SHORT)) != 0;
    if (c->r.o.stop_lang && split_added(c, id, s, len))
        return TP_ENOMEM;
    c->r.n_unseen++;
    c->n_unseen_split += tp_split_term(c, (uint32_t)id);
    return id;
}

int64_t tp_corpus_intern(struct tp_corpus *c, const char *s, size_t len)
{
    /* a twin comes right after its word, as when counted (merges and count
     * states give the same order) */
    if (c->r.o.stop_lang && twin_bytes(s, len) && tp_table_find(&c->r.terms, s, len - 1) < 0 &&
        tp_corpus_intern(c, s, len - 1) < 0)
        return TP_ENOMEM;
    int added;
    int64_t id = tp_table_intern(&c->r.terms, s, len, &added);
    if (id >= 0 && added)
        return term_added(c, id, s, len);
    return id;
}

/* A document's adjacency state as it begins: no tokens before, segment 0,
 * not the continuation of another part. */
static void doc_state_reset(struct tp_corpus *c)
{
    c->ring_len = 0;
    c->cur_seg = 0;
    c->continues = 0;
    c->brk_after = 0;
    c->head_n = 0;
    c->head_open = 0;
}

void tp_corpus_set_lang(struct tp_corpus *c, enum tp_lang lang)
{
    c->lang = lang;
}

void tp_corpus_set_doc_lang(struct tp_corpus *c, enum tp_lang lang)
{
    c->r.docs[c->r.n_docs].lang = (uint8_t)lang;
}

/* doc_ids for a token of a word whose twin was not counted yet: the twin
 * (made with the word, split_added), seen now, as token `index`. */
static __attribute__((noinline)) int64_t first_twin(struct tp_corpus *c, uint32_t id,
                                                    uint64_t index)
{
    const struct tp_term *t = &c->r.terms.terms[id];
    char stack[256];
    char *b = t->len < sizeof(stack) ? stack : malloc(t->len + 1);
    if (!b)
        return TP_ENOMEM;
    memcpy(b, t->bytes, t->len);
    b[t->len] = (char)0xFF;
    int64_t tw = tp_corpus_intern(c, b, t->len + 1);
    if (b != stack)
        free(b);
    if (tw < 0)
        return TP_ENOMEM;
    if (!(c->r.terms.terms[tw].flags & TP_TERM_SEEN))
        tp_corpus_mark_seen(c, (uint32_t)tw, index);
    c->twin[id] = (uint32_t)tw + 1;
    lmap_fix(c, id);
    return tw;
}

/* o.stop_lang: the ids the n tokens ids[0..n) count as in the open
 * document (the first counted as token `index`): a word's stopword twin when
 * the document's language lists it, else the word; one load from the
 * language's map (lmap), picked without a branch, as a token is a stopword or
 * not at random. A twin's first count, or a listed word's first count as
 * itself (the map's TP_LMAP_LATE), takes the slow path, which keeps the maps
 * in step. Returns 0 or TP_ENOMEM. */
static inline int doc_ids(struct tp_corpus *c, uint32_t *ids, size_t n, uint64_t index)
{
    const uint32_t *map = lmap_cur(c);
    if (!map)
        return TP_ENOMEM;
    uint32_t late = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = ids[i], t = map[id];
        uint32_t m = -(uint32_t)(t == TP_LMAP_LATE);
        ids[i] = (t & ~m) | (id & m);
        late |= m;
    }
    /* a token still marked: its word's state changes here (and a later token
     * of the same word in the batch then reads the map as it now is; a
     * token already mapped reads itself, as a twin and an unlisted word do) */
    for (size_t i = 0; late && i < n; i++) {
        uint32_t id = ids[i];
        if (map[id] != TP_LMAP_LATE) {
            ids[i] = map[id];
        } else if (c->smask[id] & 1u << c->lang) {
            int64_t tw = first_twin(c, id, index + i);
            if (tw < 0)
                return TP_ENOMEM;
            ids[i] = (uint32_t)tw;
        } else {
            if (!(c->r.terms.terms[id].flags & TP_TERM_SEEN))
                tp_corpus_mark_seen(c, id, index + i);
            c->smask[id] |= TP_SPLIT_SEEN;
            lmap_fix(c, id);
        }
        map = c->lmap[c->lang]; /* first_twin may have grown the maps */
    }
    return 0;
}

int tp_corpus_reserve_docs(struct tp_corpus *c, size_t n)
{
    if (n <= c->docs_cap - c->r.n_docs)
        return 0;
    size_t cap = c->r.n_docs + n;
    if (TP_GROW(c->r.docs, c->docs_cap, cap, 0))
        return TP_ENOMEM;
    c->docs_cap = cap;
    return 0;
}

int tp_corpus_begin(struct tp_corpus *c, const char *id, const struct tp_date *date, int side)
{
    if (c->r.n_docs == c->docs_cap) {
        size_t cap = c->docs_cap ? 2 * c->docs_cap : 256;
        if (TP_GROW(c->r.docs, c->docs_cap, cap, 0))
            return TP_ENOMEM;
        c->docs_cap = cap;
    }
    struct tp_docrec *d = &c->r.docs[c->r.n_docs];
    memset(d, 0, sizeof(*d));
    d->id = tp_arena_strndup(&c->arena, id, strlen(id));
    if (!d->id)
        return TP_ENOMEM;
    d->date = *date;
    d->side = (uint8_t)side;
    c->doc_start = c->r.n_tokens;
    c->context = tp_corpus_reads_segments(c);
    c->pairs_only = c->r.o.ngram <= 1 && c->r.n_match == 0;
    doc_state_reset(c);
    c->in_doc = 1;
    return 0;
}

__attribute__((noinline)) int tp_corpus_flush_pairs(struct tp_corpus *c)
{
    int rc = 0;
    if (c->negate)
        tp_pairs_sub_keys(&c->r.pairs, c->pend, c->n_pend);
    else
        rc = tp_pairs_add_keys(&c->r.pairs, c->pend, c->n_pend);
    c->n_pend = 0;
    if (rc == TP_EDATA)
        c->r.pairs_full = 1;
    return rc;
}

/* Queue the pairs (w1 earlier, w2 = id) within the window, those of two
 * reportable words only: a key is written for every w1 and kept by moving
 * the end of the queue, so a stopword costs no branch. */
static inline int queue_pairs(struct tp_corpus *c, uint32_t id)
{
    unsigned lim = c->r.o.window < c->ring_len ? c->r.o.window : c->ring_len;
    if (c->n_pend + lim > TP_PAIR_QUEUE && tp_corpus_flush_pairs(c))
        return TP_ENOMEM;
    unsigned keep = !c->lone[id];
    for (unsigned d = 1; d <= lim; d++) {
        uint32_t w1 = tp_ring_back(c, d);
        c->pend[c->n_pend] = tp_pair_key(w1, id);
        c->n_pend += keep & !c->lone[w1];
    }
    return 0;
}

static int count_context(struct tp_corpus *c, uint32_t id)
{
    /* n-grams ending here */
    unsigned n = c->r.o.ngram;
    if (n > 1 && c->ring_len >= n - 1) {
        uint32_t key[TP_KEY_MAX];
        for (unsigned i = 0; i < n - 1; i++)
            key[i] = tp_ring_back(c, n - 1 - i);
        key[n - 1] = id;
        int64_t g = tp_tuples_intern(&c->r.ngrams, key);
        c->r.ngrams_full |= g == TP_EDATA;
        if (g < 0 || ((size_t)g >= c->r.ng.cap && tp_counter_reserve(&c->r.ng, (size_t)g + 1)) ||
            tp_counter_add(&c->r.ng, (uint32_t)g))
            return TP_ENOMEM;
    }
    if (queue_pairs(c, id))
        return TP_ENOMEM;
    /* listed timeline terms ending here */
    unsigned ends = tp_match_ends_of(c, id);
    if (ends) {
        uint32_t rev[TP_KEY_MAX];
        unsigned longest = 32 - (unsigned)__builtin_clz(ends);
        if (longest > c->ring_len + 1)
            longest = c->ring_len + 1;
        rev[0] = id;
        for (unsigned b = 1; b < longest; b++)
            rev[b] = tp_ring_back(c, b);
        tp_match_count(c, rev, longest, ends);
    }
    return 0;
}

/* The first occurrence of id in the current document: the touched list, and
 * the term's first occurrence in the corpus when it is new to the text. A
 * term counted as soon as it is added is marked then; only terms added
 * otherwise (--terms, merges) can be unseen here. */
static inline int first_in_doc(struct tp_corpus *c, uint32_t id)
{
    if (tp_counter_touch(&c->r.uni, id))
        return TP_ENOMEM;
    if (c->r.n_unseen && !(c->r.terms.terms[id].flags & TP_TERM_SEEN))
        tp_corpus_mark_seen(c, id, c->r.n_tokens);
    return 0;
}

/* Count the token id. A term already counted in this document was seen
 * before, so the first-occurrence bookkeeping waits for a document's first
 * occurrence and the common case is one increment. */
static inline int count_id(struct tp_corpus *c, uint32_t id, uint32_t seg)
{
    if (c->r.uni.doc[id]++ == 0 && first_in_doc(c, id))
        return TP_ENOMEM;
    c->r.n_tokens++;
    if (c->context) {
        if (seg != c->cur_seg) {
            c->cur_seg = seg;
            c->ring_len = 0;
            c->head_open = 0;
        }
        if (c->head_open) {
            c->head[c->head_n++] = id;
            c->head_open = c->head_n < c->ring_cap;
        }
        /* the common case (colloc: pairs only) inline */
        if (c->pairs_only ? queue_pairs(c, id) : count_context(c, id))
            return TP_ENOMEM;
        tp_ring_push(c, id);
    }
    return 0;
}

int tp_corpus_token(struct tp_corpus *c, const char *tok, size_t len, uint32_t seg)
{
    int added;
    int64_t id = tp_table_intern(&c->r.terms, tok, len, &added);
    if (id >= 0 && added) {
        id = term_added(c, id, tok, len);
        if (id >= 0 && !as_twin(c, (uint32_t)id))
            tp_corpus_mark_seen(c, (uint32_t)id, c->r.n_tokens);
    }
    if (id < 0)
        return TP_ENOMEM;
    uint32_t u = (uint32_t)id;
    if (c->r.o.stop_lang && doc_ids(c, &u, 1, c->r.n_tokens))
        return TP_ENOMEM;
    return count_id(c, u, seg);
}

/* count_id for n (at most TP_CORPUS_BATCH) tokens when only adjacent pairs
 * are counted (colloc's default), every term of the batch seen: the state a
 * token changes is kept in locals, and neither a segment's start nor a term's
 * first occurrence in its document takes a branch. Each token's pair with the
 * token before is queued, and kept when both are in one segment and both are
 * reportable. */
static int count_adjacent(struct tp_corpus *c, const uint32_t *ids, const uint32_t *seg, size_t n)
{
    struct tp_counter *k = &c->r.uni;
    if (tp_counter_touched_reserve(k, k->n_touched + n) ||
        (c->n_pend + n > TP_PAIR_QUEUE && tp_corpus_flush_pairs(c)))
        return TP_ENOMEM;
    uint64_t *doc = k->doc, *pend = c->pend;
    uint32_t *touched = k->touched;
    const uint8_t *lone = c->lone;
    size_t nt = k->n_touched, np = c->n_pend;
    uint32_t cur = c->cur_seg, prev = c->ring[0];
    unsigned have = c->ring_len > 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = ids[i];
        nt = tp_count_touch(doc, touched, nt, id);
        pend[np] = tp_pair_key(prev, id);
        np += (seg[i] == cur) & have & !(lone[prev] | lone[id]);
        prev = id;
        cur = seg[i];
        have = 1;
    }
    k->n_touched = nt;
    c->n_pend = np;
    c->r.n_tokens += n;
    if (n) {
        /* the ring of one: the last token, in its segment */
        c->ring[0] = prev;
        c->ring_pos = 0;
        c->ring_len = 1;
        c->cur_seg = cur;
    }
    return 0;
}

/* Term tables with fewer slots than this (16 bytes each: 1 MiB) are probed
 * without fetching ahead. */
enum { SMALL_TABLE = 1 << 16 };

/* The ids of a batch's tokens tok/len[0..n) into ids, terms new to the
 * table added and marked seen (tp_corpus_tokens16). Hash everything and
 * fetch the home slots, then probe (in order: ids are given in first-seen
 * order) and fetch the counters. A table that fits in the core's cache (of a
 * vocabulary of a few ten thousand terms) is probed as each token is hashed:
 * there is no miss to hide. Inlined with ahead a constant, so neither loop
 * tests it. */
static inline __attribute__((always_inline)) int intern_batch(struct tp_corpus *c, const char *tok,
                                                              const uint8_t *len, size_t n,
                                                              uint32_t *ids, const int ahead)
{
    uint64_t w0[TP_CORPUS_BATCH], w1[TP_CORPUS_BATCH], h[TP_CORPUS_BATCH];
    for (size_t i = 0; ahead && i < n; i++) {
        memcpy(&w0[i], tok + 16 * i, 8);
        memcpy(&w1[i], tok + 16 * i + 8, 8);
        h[i] = tp_hash_words(w0[i], w1[i], len[i]);
        __builtin_prefetch(&c->r.terms.slots[h[i] & c->r.terms.mask]);
    }
    /* Whether a term may be in the table but not yet in the text (--terms,
     * or left by a document taken back), other than those on a stopword
     * list or twins (n_unseen_split): asked again after each term marked
     * seen or added, the only steps of the batch that change either count. */
    int maybe_unseen = c->r.n_unseen > c->n_unseen_split;
    for (size_t i = 0; i < n; i++) {
        int added;
        if (!ahead) {
            memcpy(&w0[i], tok + 16 * i, 8);
            memcpy(&w1[i], tok + 16 * i + 8, 8);
            h[i] = tp_hash_words(w0[i], w1[i], len[i]);
        }
        int64_t id =
            tp_table_intern_words(&c->r.terms, tok + 16 * i, len[i], w0[i], w1[i], h[i], &added);
        if (id >= 0 && added) {
            id = term_added(c, id, tok + 16 * i, len[i]);
            /* token i of the batch is counted after the i before it */
            if (id >= 0 && !as_twin(c, (uint32_t)id))
                tp_corpus_mark_seen(c, (uint32_t)id, c->r.n_tokens + i);
            maybe_unseen = c->r.n_unseen > c->n_unseen_split;
        } else if (maybe_unseen && id >= 0 && !(c->r.terms.terms[id].flags & TP_TERM_SEEN) &&
                   !as_twin(c, (uint32_t)id)) {
            /* a term in the table but not in the text so far: seen here, so
             * that the counting can take every term as seen */
            tp_corpus_mark_seen(c, (uint32_t)id, c->r.n_tokens + i);
            maybe_unseen = c->r.n_unseen > c->n_unseen_split;
        }
        if (id < 0)
            return TP_ENOMEM;
        ids[i] = (uint32_t)id;
        __builtin_prefetch(&c->r.uni.doc[id], 1);
    }
    return 0;
}

int tp_corpus_tokens16(struct tp_corpus *c, const char *tok, const uint8_t *len,
                       const uint32_t *seg, size_t n)
{
    if (!TP_TABLE_WORDS || n > TP_CORPUS_BATCH) {
        for (size_t i = 0; i < n; i++)
            if (tp_corpus_token(c, tok + 16 * i, len[i], seg[i]))
                return TP_ENOMEM;
        return 0;
    }
    uint32_t ids[TP_CORPUS_BATCH];
    if (c->r.terms.mask >= SMALL_TABLE ? intern_batch(c, tok, len, n, ids, 1)
                                       : intern_batch(c, tok, len, n, ids, 0))
        return TP_ENOMEM;
    if (c->r.o.stop_lang && doc_ids(c, ids, n, c->r.n_tokens))
        return TP_ENOMEM;
    if (!c->context) {
        /* Only counts (every term is seen by now): with room for the whole batch
         * in the touched list, a document's first occurrence of a term is
         * appended by moving the list's end, with no branch to mispredict on
         * the many tokens that are a term's first in their document. */
        struct tp_counter *k = &c->r.uni;
        if (tp_counter_touched_reserve(k, k->n_touched + n))
            return TP_ENOMEM;
        uint64_t *doc = k->doc;
        uint32_t *touched = k->touched;
        size_t nt = k->n_touched;
        for (size_t i = 0; i < n; i++)
            nt = tp_count_touch(doc, touched, nt, ids[i]);
        k->n_touched = nt;
        c->r.n_tokens += n;
        return 0;
    }
    if (c->pairs_only && c->r.o.window == 1 && c->ring_cap == 1 && !c->head_open)
        return count_adjacent(c, ids, seg, n);
    for (size_t i = 0; i < n; i++)
        if (count_id(c, ids[i], seg[i]))
            return TP_ENOMEM;
    return 0;
}

int tp_corpus_undo_begin(struct tp_corpus *c)
{
    if (tp_corpus_flush_pairs(c))
        return TP_ENOMEM;
    c->negate = 1;
    /* tokens and adjacency as tp_corpus_begin (and tp_corpus_continue) left them */
    c->r.n_tokens = c->doc_start;
    c->ring_len = 0;
    c->cur_seg = 0;
    c->head_n = 0;
    c->head_open = c->continues;
    return 0;
}

/* Forget the open document's counts of k (doc[] over its touched list). */
static void counter_forget(struct tp_counter *k)
{
    for (size_t i = 0; i < k->n_touched; i++)
        k->doc[k->touched[i]] = 0;
    k->n_touched = 0;
}

int tp_corpus_undo_end(struct tp_corpus *c)
{
    if (tp_corpus_flush_pairs(c))
        return TP_ENOMEM;
    c->negate = 0;
    /* terms first seen in the document are unseen again */
    for (size_t i = 0; i < c->r.uni.n_touched; i++) {
        uint32_t id = c->r.uni.touched[i];
        struct tp_term *t = &c->r.terms.terms[id];
        if ((t->flags & TP_TERM_SEEN) && c->r.uni.first[id] >= c->doc_start) {
            t->flags &= ~TP_TERM_SEEN;
            c->r.n_types--;
            c->r.n_unseen++;
            c->n_unseen_split += tp_split_term(c, id);
            /* doc_ids sees it again at its next count */
            if (c->smask && c->r.twin_base[id] != id) {
                c->twin[c->r.twin_base[id]] = 0;
                lmap_fix(c, c->r.twin_base[id]);
            } else if (c->smask) {
                c->smask[id] &= (uint8_t)~TP_SPLIT_SEEN;
                lmap_fix(c, id);
            }
        }
    }
    counter_forget(&c->r.uni);
    if (c->r.o.ngram > 1)
        counter_forget(&c->r.ng);
    for (size_t i = 0; i < c->match_n_touched; i++)
        c->match_doc[c->match_touched[i]] = 0;
    c->match_n_touched = 0;
    c->r.n_tokens = c->doc_start;
    doc_state_reset(c);
    c->in_doc = 0;
    return 0;
}

int tp_corpus_end(struct tp_corpus *c, struct tp_error *err)
{
    int rc;
    struct tp_docrec *d = &c->r.docs[c->r.n_docs];
    d->n_tokens = c->r.n_tokens - c->doc_start;
    if (tp_corpus_flush_pairs(c))
        return tp_corpus_oom(c, err);
    /* --group-by: the document's counts summed by group first (group.h) */
    if (c->r.o.group_sums &&
        (tp_gsum_add_doc(&c->r.uni, c->r.terms.n, d->group) ||
         (c->r.o.ngram > 1 && tp_gsum_add_doc(&c->r.ng, c->r.ngrams.n_items, d->group))))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    if ((rc = tp_counter_end(&c->r.uni, err)))
        return rc;
    if (c->r.o.ngram > 1 && (rc = tp_counter_end(&c->r.ng, err)))
        return rc;
    /* listed terms are summed by date and group (group.h) */
    if (tp_match_end_doc(c, tp_match_key(&d->date) | (uint64_t)d->group << 32))
        return tp_error_set(err, TP_ENOMEM, "out of memory");
    c->r.n_docs++;
    c->in_doc = 0;
    return 0;
}

void tp_corpus_release(struct tp_corpus *c)
{
    tp_gsum_release(&c->r.uni.gsum);
    tp_gsum_release(&c->r.ng.gsum);
    tp_counter_release(&c->r.uni);
    tp_counter_release(&c->r.ng);
    tp_table_release(&c->r.terms);
    if (c->r.groups.slots)
        tp_table_release(&c->r.groups);
    tp_tuples_release(&c->r.ngrams);
    tp_pairs_release(&c->r.pairs);
    tp_match_release(c);
    free(c->ring);
    free(c->lone);
    free(c->smask);
    free(c->twin);
    for (unsigned l = 0; l <= TP_LANG_NONE; l++)
        free(c->lmap[l]);
    free(c->r.twin_base);
    free(c->head);
    free(c->r.docs);
    tp_arena_release(&c->arena);
    memset(c, 0, sizeof(*c));
}

int tp_counts_heaps(const struct tp_counts *c, uint64_t n[TP_HEAPS_MAX], uint64_t v[TP_HEAPS_MAX],
                    size_t *n_out)
{
    /* bucket b holds the terms first seen at index f with f < 2^b but not
     * f < 2^(b-1): the terms a checkpoint n = 2^b adds */
    uint64_t bucket[65] = {0}, words = 0;
    /* a stopword twin is its word: the word's first occurrence is the
     * earlier of the two (o.stop_lang) */
    uint64_t *f = c->twin_base ? malloc((c->terms.n ? c->terms.n : 1) * sizeof(*f)) : NULL;
    if (c->twin_base && !f)
        return TP_ENOMEM;
    for (size_t i = 0; f && i < c->terms.n; i++)
        f[i] = c->terms.terms[i].flags & TP_TERM_SEEN ? c->uni.first[i] : UINT64_MAX;
    for (size_t i = 0; f && i < c->terms.n; i++)
        if (c->twin_base[i] != i && f[i] != UINT64_MAX) {
            uint32_t b = c->twin_base[i];
            f[b] = f[i] < f[b] ? f[i] : f[b];
            f[i] = UINT64_MAX;
        }
    for (size_t i = 0; i < c->terms.n; i++) {
        uint64_t fi = f ? f[i] : c->uni.first[i];
        if (f ? fi == UINT64_MAX : !(c->terms.terms[i].flags & TP_TERM_SEEN))
            continue;
        words++;
        bucket[fi ? 64 - __builtin_clzll(fi) : 0]++;
    }
    free(f);
    size_t k = 0;
    uint64_t seen = 0;
    for (unsigned b = 0; b < 64 && ((uint64_t)1 << b) <= c->n_tokens; b++) {
        seen += bucket[b];
        n[k] = (uint64_t)1 << b;
        v[k] = seen;
        k++;
    }
    if (c->n_tokens && n[k - 1] != c->n_tokens) {
        n[k] = c->n_tokens;
        v[k] = c->twin_base ? words : c->n_types;
        k++;
    }
    *n_out = k;
    return 0;
}

/* A table that reached its cap: "WHAT: the TABLE table (--OPT V) would grow
 * past M MiB (--CAP) after N distinct ITEMS; lower --OPT, or raise --CAP ...". */
static int table_full(struct tp_error *err, const char *what, const char *table, const char *opt,
                      unsigned v, uint64_t cap_bytes, const char *cap, size_t n, const char *items)
{
    return tp_error_set(err, TP_EDATA,
                        "%s: the %s table (--%s %u) would grow past %llu MiB (--%s) after %zu "
                        "distinct %s; lower --%s, or raise --%s if the machine has the memory",
                        what, table, opt, v, (unsigned long long)(cap_bytes >> 20), cap, n, items,
                        opt, cap);
}

int tp_corpus_oom(const struct tp_corpus *c, struct tp_error *err)
{
    if (c->r.ngrams_full)
        return table_full(err, "n-grams", "n-gram", "ngram", c->r.o.ngram, c->r.o.max_ngram_bytes,
                          "max-ngram-memory", c->r.ngrams.n_items, "n-grams");
    if (c->r.pairs_full)
        return table_full(err, "collocation pairs", "pair", "window", c->r.o.window,
                          c->r.o.max_pair_bytes, "max-pair-memory", c->r.pairs.n, "pairs");
    return tp_error_set(err, TP_ENOMEM,
                        "out of memory while counting (%zu terms, %zu n-grams, %zu pairs so "
                        "far): lower --ngram or --window (or --max-pair-memory, to stop sooner "
                        "with a message), or count fewer inputs at a time",
                        c->r.terms.n, c->r.o.ngram > 1 ? c->r.ngrams.n_items : 0, c->r.pairs.n);
}