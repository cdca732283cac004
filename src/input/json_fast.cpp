/*
 * input/json_fast.cpp - a JSONL line's wanted fields with simdjson On-Demand
 * (input/json_fast.h says what is taken and what is left to jansson).
 *
 * jansson builds a tree of every line; here the line is walked once: the
 * wanted fields are kept, every other value is still read to its end (its
 * strings unescaped, numbers and literals parsed), because jansson rejects
 * a line for an error anywhere in it and this reader must not accept it.
 * Where simdjson is laxer than jansson (lone surrogates, which it writes as
 * bytes that are not UTF-8; a NUL in a key) the line is left to jansson.
 *
 * Each thread keeps one parser and one padded copy of the line: simdjson
 * reads up to SIMDJSON_PADDING bytes past the data.
 */
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

#include <simdjson.h>

#include "json_fast.h"

using namespace simdjson;

namespace
{

struct line_parser {
    ondemand::parser parser;
    char *buf = nullptr;
    size_t cap = 0;
    ~line_parser()
    {
        delete[] buf;
    }
};

thread_local line_parser tl;

// Set when a nothrow new[] of this thread came back empty (see below).
thread_local bool tl_new_failed;

} // namespace

// simdjson's On-Demand parser takes its string buffer with new (nothrow)[]
// and does not look at what it got: out of memory, iterate() succeeds and
// the first escaped string is written through a null pointer. The array
// forms of new and delete are replaced here, all four on malloc and free (a
// sanitizer checks that what new[] gave, delete[] frees), and the nothrow
// new[] notes a failure, so that a line parsed while one happened is left to
// jansson, which says out of memory when it is so. The parser asks for its
// buffer again at its next line.
void *operator new[](std::size_t n, const std::nothrow_t &) noexcept
{
    void *p = std::malloc(n ? n : 1);
    if (!p)
        tl_new_failed = true;
    return p;
}

void *operator new[](std::size_t n)
{
    void *p = std::malloc(n ? n : 1);
    if (!p)
        throw std::bad_alloc();
    return p;
}

void operator delete[](void *p) noexcept
{
    std::free(p);
}

void operator delete[](void *p, std::size_t) noexcept
{
    std::free(p);
}

void operator delete[](void *p, const std::nothrow_t &) noexcept
{
    std::free(p);
}

namespace
{

constexpr size_t fast_max = 1 << 20;

// An unescaped string jansson reads too: no lone surrogate. simdjson has
// checked the line is UTF-8, but writes a \u escape of a lone surrogate as
// ED A0..BF xx, which is not: only a string holding an ED byte is checked.
bool good_string(std::string_view s)
{
    return !std::memchr(s.data(), 0xED, s.size()) || validate_utf8(s.data(), s.size());
}

// Deeper than this the line is left to jansson, which refuses nesting past
// 2,048 levels (simdjson's On-Demand walk does not count them).
constexpr int max_depth = 1000;

// Read v (at nesting depth) to its end; false when it does not parse, or
// jansson would refuse it, or it nests deeper than max_depth.
bool skip_value(ondemand::value v, int depth)
{
    if (depth > max_depth)
        return false;
    ondemand::json_type t;
    if (v.type().get(t))
        return false;
    switch (t) {
    case ondemand::json_type::object: {
        ondemand::object o;
        if (v.get_object().get(o))
            return false;
        for (auto field : o) {
            std::string_view k;
            ondemand::value fv;
            if (field.unescaped_key().get(k) || !good_string(k) ||
                std::memchr(k.data(), 0, k.size()) || field.value().get(fv) ||
                !skip_value(fv, depth + 1))
                return false;
        }
        return true;
    }
    case ondemand::json_type::array: {
        ondemand::array a;
        if (v.get_array().get(a))
            return false;
        for (auto el : a) {
            ondemand::value ev;
            if (el.get(ev) || !skip_value(ev, depth + 1))
                return false;
        }
        return true;
    }
    case ondemand::json_type::string: {
        std::string_view s;
        return !v.get_string().get(s) && good_string(s);
    }
    case ondemand::json_type::number: {
        double d;
        return !v.get_double().get(d);
    }
    case ondemand::json_type::boolean: {
        bool b;
        return !v.get_bool().get(b);
    }
    case ondemand::json_type::null:
        return v.is_null();
    }
    return false;
}

// A wanted value into *f (an object, array or boolean as TP_JSON_OTHER,
// which leaves the line to jansson if no later duplicate key replaces it):
// false when jansson must decide at once (an integer of 19 digits or more,
// a value that does not parse).
bool take_value(ondemand::value v, tp_json_field *f)
{
    ondemand::json_type t;
    if (v.type().get(t))
        return false;
    switch (t) {
    case ondemand::json_type::string: {
        std::string_view s;
        if (v.get_string().get(s) || !good_string(s))
            return false;
        f->kind = TP_JSON_STRING;
        f->s = s.data();
        f->len = s.size();
        return true;
    }
    case ondemand::json_type::number: {
        // jansson reads a number without '.', 'e' or 'E' as an integer
        std::string_view raw = v.raw_json_token();
        raw = raw.substr(0, raw.find_first_not_of("0123456789+-.eE"));
        bool integer = raw.find_first_of(".eE") == std::string_view::npos;
        int len;
        if (integer) {
            // 19 digits or more: jansson may read it as a string of its
            // digits (lines.c, quote_big_ints), which it decides
            int64_t i;
            if (raw.size() - (raw[0] == '-') >= 19 || v.get_int64().get(i))
                return false;
            len = std::snprintf(f->num, sizeof(f->num), "%lld", (long long)i);
        } else {
            // simdjson checks the syntax; the value is strtod's, as in
            // jansson (simdjson rounds some long mantissas otherwise)
            double d;
            if (raw.size() >= sizeof(f->num) || v.get_double().get(d))
                return false;
            std::memcpy(f->num, raw.data(), raw.size());
            f->num[raw.size()] = '\0';
            d = std::strtod(f->num, nullptr);
            if (std::isinf(d))
                return false;
            len = std::snprintf(f->num, sizeof(f->num), "%.17g", d);
        }
        f->kind = TP_JSON_NUMBER;
        f->s = f->num;
        f->len = (size_t)len;
        return true;
    }
    case ondemand::json_type::null:
        if (!v.is_null())
            return false;
        f->kind = TP_JSON_NULL;
        f->s = nullptr;
        f->len = 0;
        return true;
    default:
        // an object, array or boolean: jansson says what it means, unless
        // a later duplicate key replaces it
        if (!skip_value(v, 2))
            return false;
        f->kind = TP_JSON_OTHER;
        f->s = nullptr;
        f->len = 0;
        return true;
    }
}

} // namespace

extern "C" int tp_json_fast_fields(const char *p, size_t n,
                                   const char *const keys[TP_JSON_N_FIELDS],
                                   struct tp_json_field f[TP_JSON_N_FIELDS])
{
    // simdjson's parser keeps buffers of several times the longest line it
    // read: longer lines, rare, go to jansson, whose cost per line is then
    // small beside the text's
    if (n > fast_max)
        return 0;
    try {
        line_parser &lp = tl;
        if (lp.cap < n + SIMDJSON_PADDING) {
            size_t cap = n + SIMDJSON_PADDING + n / 4;
            char *b = new char[cap];
            delete[] lp.buf;
            lp.buf = b;
            lp.cap = cap;
        }
        std::memcpy(lp.buf, p, n);
        std::memset(lp.buf + n, 0, SIMDJSON_PADDING);
        for (int i = 0; i < TP_JSON_N_FIELDS; i++) {
            f[i].kind = TP_JSON_ABSENT;
            f[i].s = nullptr;
            f[i].len = 0;
            f[i].value = nullptr;
        }

        ondemand::document doc;
        ondemand::object obj;
        tl_new_failed = false;
        if (lp.parser.iterate(lp.buf, n, lp.cap).get(doc) || tl_new_failed ||
            doc.get_object().get(obj))
            return 0;
        for (auto field : obj) {
            std::string_view k;
            ondemand::value v;
            if (field.unescaped_key().get(k) || !good_string(k) ||
                std::memchr(k.data(), 0, k.size()) || field.value().get(v))
                return 0;
            int first = -1; // a key may be wanted twice (--date-col text)
            for (int i = 0; i < TP_JSON_N_FIELDS; i++) {
                if (!keys[i] || k != keys[i])
                    continue;
                // the last of duplicate keys counts, as in jansson
                if (first < 0) {
                    if (!take_value(v, &f[i]))
                        return 0;
                    first = i;
                } else {
                    f[i] = f[first];
                    if (f[i].kind == TP_JSON_NUMBER)
                        f[i].s = f[i].num;
                }
            }
            if (first < 0 && !skip_value(v, 2))
                return 0;
        }
        for (int i = 0; i < TP_JSON_N_FIELDS; i++)
            if (f[i].kind == TP_JSON_OTHER)
                return 0;
        // nothing after the object (jansson's end-of-input check)
        const char *rest;
        return doc.current_location().get(rest) == OUT_OF_BOUNDS ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

extern "C" int tp_utf8_valid_simd(const char *p, size_t n)
{
    return simdjson::validate_utf8(p, n) ? 1 : 0;
}
