#!/bin/sh
# bench/run.sh - tempora's benchmark against the tools a user would otherwise reach for.
#
#   sh bench/run.sh            full run: build the texts, best of 3 rounds per tool, table, targets
#   sh bench/run.sh --smoke    CI check: ~200 KB slice, each command once, checks the CSV headers
#   sh bench/run.sh --runs N   full run with best of N rounds instead of 3
#
# Texts are built from Debian packages into bench/data/ (git-ignored): the KJV Bible
# (bible-kjv), Italian fortunes (fortunes-it) and the Italian Debian manuals.
# Every tool reads the same file and writes its result to a file, so nothing is
# skipped; the page cache is warmed before each group. Every command runs once a
# round (a tool and the one it is compared with next to each other), and its best
# round counts; one-thread commands run pinned to one CPU (PIN=K chooses it, PIN=
# none). Timings come from bench/timecmd.py (wall seconds to the millisecond, peak
# RSS in KiB via /usr/bin/time).
#
# Exit status: 1 when tempora itself fails or writes an empty table or a wrong header
# (and, in a full run, when the KJV text cannot be built), or when bench/flood.sh
# (hash flooding, run last) fails; missed speed targets are reported as FAIL lines
# but never change the exit status.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

TEMPORA=${TEMPORA:-build/release/tempora}
PY=${PY:-/usr/bin/python3}
DATA=bench/data
MODE=full
RUNS=3

while [ $# -gt 0 ]; do
    case $1 in
    --smoke) MODE=smoke; RUNS=1 ;;
    --runs) shift; RUNS=${1:-3} ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
case $RUNS in '' | *[!0-9]* | 0) echo "bench/run.sh: --runs needs a positive number" >&2; exit 2 ;; esac

# A smoke run keeps its outputs apart so it never overwrites a full run's results.
if [ "$MODE" = smoke ]; then SUFFIX=-smoke; else SUFFIX=; fi
OUT=$DATA/out$SUFFIX
RESULTS=$DATA/results$SUFFIX.tsv

# ONE: the prefix that pins a one-thread command to one CPU
. bench/pin.sh

HDR_FREQ='rank,term,count,per_million,doc_freq,dp'
HDR_COLLOC='rank,w1,w2,n12,n1,n2,N,expected,pmi,t_score,z_score,log_likelihood,chi2,p_value,log10_p,dice,log_dice,mi3'
HDR_TFIDF='doc_id,date,rank,term,count,tf,df,idf,tfidf'
HDR_TRENDS='term,periods,total,slope_per_period,tau,mk_z,p_value,direction'

TEMPORA_FAILED=0
mkdir -p "$OUT" || exit 1
: > "$RESULTS" || exit 1

say() { printf '%s\n' "$*"; }
warn() { printf 'bench: %s\n' "$*" >&2; }

# ---------------------------------------------------------------- texts

# True when the Debian package $1 is installed.
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Write the KJV as plain text, one verse per line without its reference ($1), and
# one chapter per line ($2). `bible -f` turns pretty-printing off: "Ge1:1 In the ...".
build_kjv() {
    command -v bible >/dev/null 2>&1 || return 1
    bible -f 'Gen1:1-Rev22:21' < /dev/null > "$DATA/kjv.raw.tmp" || return 1
    [ "$(wc -l < "$DATA/kjv.raw.tmp")" -gt 30000 ] || return 1
    sed 's/^[^ ]* //' "$DATA/kjv.raw.tmp" > "$1.tmp" &&
        awk '{ split($1, ref, ":"); sub(/^[^ ]* /, "")
               if (ref[1] != chap && NR > 1) printf "\n"
               printf "%s%s", (ref[1] == chap ? " " : ""), $0; chap = ref[1] }
             END { printf "\n" }' "$DATA/kjv.raw.tmp" > "$2.tmp" &&
        mv "$1.tmp" "$1" && mv "$2.tmp" "$2" || return 1
    rm -f "$DATA/kjv.raw.tmp"
}

# build_it OUT: the Italian prose (bench/italian.sh).
. bench/italian.sh

# Concatenate $1 $2 times into $3.
repeat_file() {
    i=0
    : > "$3.tmp" || return 1
    while [ "$i" -lt "$2" ]; do cat "$1" >> "$3.tmp" || return 1; i=$((i + 1)); done
    mv "$3.tmp" "$3"
}

# Deterministic English-like text for CI machines without bible-kjv: $2 lines of
# Zipf-ish words with punctuation into $1 (an LCG, so every run is the same).
generate_text() {
    awk -v lines="$2" 'BEGIN {
        n = split("the and of to that in he shall unto for i his a lord they be is him not " \
                  "them it with all thou thy was god which my me said but ye their have will " \
                  "thee from as are when this out were upon man by you israel king son up " \
                  "there hath then people came had house into her come one we children before " \
                  "your also day land men against shalt if let go hand us made went even no " \
                  "father over words mercy water light earth heaven city stone bread fire", w, " ")
        split(". , ; : ! ?", p, " "); seed = 42
        # Park-Miller: products stay below 2^53, so mawk and gawk agree.
        for (l = 0; l < lines; l++) {
            len = 12 + l % 20; s = ""
            for (k = 0; k < len; k++) {
                seed = (seed * 16807) % 2147483647
                r = seed / 2147483647; idx = int(n * r * r * r) + 1
                s = s (k ? " " : "") w[idx]
                if (k % 7 == 6 && k < len - 1) s = s p[(seed % 6) + 1]
            }
            print s "."
        }
    }' > "$1"
}

prepare_full() {
    if ! sh tests/install-deps.sh bible-kjv fortunes-it debian-reference-it maint-guide-it \
        debian-faq-it developers-reference-it time; then
        warn "could not install every package; going on with what is there"
    fi
    if [ ! -s "$DATA/kjv.txt" ] || [ ! -s "$DATA/kjv-chapters.txt" ]; then
        say "building $DATA/kjv.txt from bible-kjv"
        build_kjv "$DATA/kjv.txt" "$DATA/kjv-chapters.txt" || {
            warn "cannot render the KJV (is bible-kjv installed?)"; exit 1; }
    fi
    [ -s "$DATA/kjv10.txt" ] || repeat_file "$DATA/kjv.txt" 10 "$DATA/kjv10.txt" || exit 1
    [ -s "$DATA/kjv-chapters10.txt" ] ||
        repeat_file "$DATA/kjv-chapters.txt" 10 "$DATA/kjv-chapters10.txt" || exit 1
    if [ ! -s "$DATA/it.txt" ]; then
        say "building $DATA/it.txt from fortunes-it and the Italian Debian manuals"
        build_it "$DATA/it.txt" || warn "no Italian text available"
    fi
    if [ -s "$DATA/it.txt" ] && [ ! -s "$DATA/it20.txt" ]; then
        base=$(wc -c < "$DATA/it.txt")
        times=$(((20000000 + base / 2) / base))
        [ "$times" -ge 1 ] || times=1
        repeat_file "$DATA/it.txt" "$times" "$DATA/it20.txt" || exit 1
    fi
    FREQ_IN=$DATA/kjv10.txt
    TFIDF_IN=$DATA/kjv-chapters10.txt
    IT_IN=$DATA/it20.txt
}

# The smoke run installs nothing: it slices the KJV if bible-kjv is already there,
# else it generates text; Italian only when fortunes-it or a manual is installed.
prepare_smoke() {
    if [ -s "$DATA/kjv.txt" ] && [ -s "$DATA/kjv-chapters.txt" ] ||
        build_kjv "$DATA/kjv.txt" "$DATA/kjv-chapters.txt" 2>/dev/null; then
        head -n 1500 "$DATA/kjv.txt" > "$DATA/smoke.txt"
        head -n 60 "$DATA/kjv-chapters.txt" > "$DATA/smoke-chapters.txt"
    else
        say "bible-kjv not installed: smoke test on generated text"
        generate_text "$DATA/smoke.txt" 1500
        awk '{ printf "%s%s", (NR % 25 == 1 ? "" : " "), $0 } NR % 25 == 0 { printf "\n" }' \
            "$DATA/smoke.txt" > "$DATA/smoke-chapters.txt"
    fi
    IT_IN=
    if [ -s "$DATA/it.txt" ] || { have_pkg fortunes-it && build_it "$DATA/it.txt"; }; then
        head -n 4000 "$DATA/it.txt" > "$DATA/smoke-it.txt"
        IT_IN=$DATA/smoke-it.txt
    fi
    FREQ_IN=$DATA/smoke.txt
    TFIDF_IN=$DATA/smoke-chapters.txt
}

# ---------------------------------------------------------------- timing

# Run "$@" once with stdout to $1; sets T_SECS, T_RSS (KiB, 0 when unknown) and T_RC.
# bench/timecmd.py times to the millisecond (and takes the RSS from /usr/bin/time);
# without Python, /usr/bin/time alone (10 ms); without either, date(1) and no RSS.
time_once() {
    so=$1
    shift
    tf=$OUT/.time
    rm -f "$tf"
    if [ -x "$PY" ]; then
        "$PY" bench/timecmd.py "$tf" "$so" "$@"
        T_RC=$?
    elif [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%e %M' -o "$tf" "$@" > "$so"
        T_RC=$?
    else
        t0=$(date +%s%N)
        "$@" > "$so"
        T_RC=$?
        t1=$(date +%s%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f 0\n", (b - a) / 1e9 }' > "$tf"
    fi
    # On failure GNU time writes "Command exited with non-zero status" first.
    # shellcheck disable=SC2046 # split "SECONDS KIB" into two words on purpose
    set -- $(tail -n 1 "$tf" 2>/dev/null)
    T_SECS=${1:-0}
    T_RSS=${2:-0}
}

# measure KEY REF "LABEL" INPUT CMD...: best wall time and largest peak RSS of $RUNS runs,
# appended to $RESULTS as key, ref (the tempora row it is compared with, or -), label,
# input bytes, seconds, RSS KiB, status. Standard output goes to $OUT/KEY.stdout.
# Returns the command's last exit status.
measure() {
    key=$1 ref=$2 label=$3 input=$4
    shift 4
    best='' rss=0 r=0 rc=0
    while [ "$r" -lt "$RUNS" ]; do
        time_once "$OUT/$key.stdout" "$@"
        rc=$T_RC
        [ "$rc" -eq 0 ] || break
        if [ -z "$best" ] || awk -v a="$T_SECS" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$T_SECS
        fi
        [ "$T_RSS" -gt "$rss" ] && rss=$T_RSS
        r=$((r + 1))
    done
    bytes=$(wc -c < "$input")
    if [ "$rc" -eq 0 ]; then status=ok; else status="exit $rc"; best=0; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "$ref" "$label" "$bytes" "$best" "$rss" \
        "$status" >> "$RESULTS"
    printf '  %-40s %8ss %8s KiB  %s\n' "$label" "$best" "$rss" "$status"
    return "$rc"
}

skip() {
    printf '%s\t%s\t%s\t0\t0\t0\t%s\n' "$1" "$2" "$3" "$4" >> "$RESULTS"
    printf '  %-40s skipped: %s\n' "$3" "$4"
}

# Check that tempora wrote CSV $1 with header $2 and at least one row.
check_table() {
    if [ ! -s "$1" ]; then
        warn "FAIL: $1 is missing or empty"; TEMPORA_FAILED=1; return 1
    fi
    first=$(head -n 1 "$1" | tr -d '\r')
    if [ "$first" != "$2" ]; then
        warn "FAIL: $1 header is '$first', expected '$2'"; TEMPORA_FAILED=1; return 1
    fi
    if [ "$(head -n 2 "$1" | wc -l)" -lt 2 ]; then
        warn "FAIL: $1 has a header but no rows"; TEMPORA_FAILED=1; return 1
    fi
    return 0
}

# Run tempora through measure and check its table; KEY REF LABEL INPUT OUTFILE HEADER ARGS...
# (pinned with $ONE when ARGS ask for --threads 1)
tempora_run() {
    k=$1 rf=$2 lb=$3 inp=$4 of=$5 hd=$6
    shift 6
    rm -f "$of"
    case " $* " in *" --threads 1 "*) pre=$ONE ;; *) pre= ;; esac
    # shellcheck disable=SC2086 # $pre is a command's words or none
    if ! measure "$k" "$rf" "$lb" "$inp" $pre "$TEMPORA" "$@"; then
        warn "FAIL: tempora $* exited non-zero"; TEMPORA_FAILED=1; return 1
    fi
    check_table "$of" "$hd"
}

have_py() { [ -x "$PY" ] && "$PY" -c "import $1" 2>/dev/null; }

# py_peer KEY REF LABEL INPUT MODULE SCRIPT ARG...: the Python peer
# bench/SCRIPT ARG... through measure, on one CPU ($ONE), or skipped when
# MODULE is not installed.
py_peer() {
    pk=$1 pr=$2 pl=$3 pi=$4 pm=$5 ps=$6
    shift 6
    if have_py "$pm"; then
        # shellcheck disable=SC2086 # $ONE is a command's words or none
        measure "$pk" "$pr" "$pl" "$pi" $ONE "$PY" "bench/$ps" "$@" || warn "$ps failed"
    else
        skip "$pk" "$pr" "$pl" "$pm not installed (make deps)"
    fi
}

warm() { cat "$@" > /dev/null; }

# ---------------------------------------------------------------- report

# Print the results table (and a Markdown copy to $DATA/results.md), then the targets.
report() {
    awk -F '\t' -v md="$DATA/results$SUFFIX.md" '
    function mbs(b, s) { return s > 0 ? sprintf("%.1f", b / 1e6 / s) : "-" }
    function mib(k) { return k > 0 ? sprintf("%.1f", k / 1024) : "-" }
    { key[NR] = $1; ref[NR] = $2; label[NR] = $3; bytes[NR] = $4; secs[NR] = $5
      rss[NR] = $6; st[NR] = $7; row[$1] = NR }
    END {
        printf "\n%-34s %9s %9s %13s  %s\n", "tool", "seconds", "MB/s", "peak RSS MB", "vs tempora"
        print "| tool | seconds | MB/s | peak RSS MB | vs tempora |" > md
        print "|---|---:|---:|---:|---|" > md
        for (i = 1; i <= NR; i++) {
            if (st[i] != "ok") {
                printf "%-34s %9s %9s %13s  %s\n", label[i], "-", "-", "-", st[i]
                printf "| %s | - | - | - | %s |\n", label[i], st[i] > md
                continue
            }
            vs = "baseline"
            if (ref[i] != "-") {
                j = row[ref[i]]
                if (j == "" || st[j] != "ok" || secs[j] <= 0 || secs[i] <= 0) vs = "-"
                else if (secs[i] >= secs[j])
                    vs = sprintf("%.1fx slower than %s", secs[i] / secs[j], label[j])
                else vs = sprintf("%.1fx faster than %s", secs[j] / secs[i], label[j])
            }
            printf "%-34s %9.3f %9s %13s  %s\n", label[i], secs[i], mbs(bytes[i], secs[i]),
                mib(rss[i]), vs
            printf "| %s | %.3f | %s | %s | %s |\n", label[i], secs[i], mbs(bytes[i], secs[i]),
                mib(rss[i]), vs > md
        }
    }' "$RESULTS"
    [ "$MODE" = full ] || return 0
    say ""
    say "targets (reported, not asserted):"
    awk -F '\t' '
    { ok[$1] = ($7 == "ok" && $5 > 0); secs[$1] = $5; rss[$1] = $6; bytes[$1] = $4 }
    function line(cond, have, text) {
        if (!have) printf "SKIP  %s\n", text
        else printf "%s  %s\n", cond ? "PASS" : "FAIL", text
    }
    END {
        t = "t_freq1"
        line(ok[t] && bytes[t] / 1e6 / secs[t] >= 150, ok[t],
             sprintf("tempora freq --threads 1 >= 150 MB/s (%s MB/s)",
                     ok[t] ? sprintf("%.1f", bytes[t] / 1e6 / secs[t]) : "-"))
        line(2 * secs[t] <= secs["wc"], ok[t] && ok["wc"],
             sprintf("tempora freq --threads 1 >= 2x wc -w, English (%.2fx: %.3f s vs %.3f s)",
                     ok[t] && ok["wc"] ? secs["wc"] / secs[t] : 0, secs[t], secs["wc"]))
        t = "t_freq_it"
        line(1.6 * secs[t] <= secs["wc_it"], ok[t] && ok["wc_it"],
             sprintf("tempora freq --threads 1 >= 1.6x wc -w, Italian (%.2fx: %.3f s vs %.3f s)",
                     ok[t] && ok["wc_it"] ? secs["wc_it"] / secs[t] : 0, secs[t], secs["wc_it"]))
        t = "t_freq1"
        line(secs["counter"] / secs[t] >= 15, ok[t] && ok["counter"],
             sprintf("tempora freq >= 15x faster than Python Counter (%.1fx)",
                     ok[t] && ok["counter"] ? secs["counter"] / secs[t] : 0))
        worst = 0; which = ""
        split("t_freq1 t_freq t_freq_it", fk, " ")
        for (i = 1; i <= 3; i++) if (ok[fk[i]] && rss[fk[i]] > worst) { worst = rss[fk[i]]; which = fk[i] }
        line(worst > 0 && worst / 1024 < 64, worst > 0,
             sprintf("tempora freq peak RSS < 64 MB (largest: %.1f MB, %s)", worst / 1024, which))
        # colloc and tfidf: as a user runs them (all cores, the default), and
        # on one thread
        split("t_colloc_all t_colloc", ck, " ")
        cn[1] = "all cores"; cn[2] = "--threads 1"
        for (i = 1; i <= 2; i++)
            line(secs["nltk"] / secs[ck[i]] >= 100, ok[ck[i]] && ok["nltk"],
                 sprintf("tempora colloc (%s) >= 100x faster than NLTK (%.1fx)", cn[i],
                         ok[ck[i]] && ok["nltk"] ? secs["nltk"] / secs[ck[i]] : 0))
        split("t_tfidf_all t_tfidf", tk, " ")
        tw[1] = 20; tw[2] = 25
        for (i = 1; i <= 2; i++)
            line(secs["sk_tfidf"] / secs[tk[i]] >= tw[i], ok[tk[i]] && ok["sk_tfidf"],
                 sprintf("tempora tfidf (%s) >= %dx faster than sklearn TfidfVectorizer (%.1fx)",
                         cn[i], tw[i],
                         ok[tk[i]] && ok["sk_tfidf"] ? secs["sk_tfidf"] / secs[tk[i]] : 0))
        line(secs["t_an_day"] <= 1.5 * secs["t_an_year"], ok["t_an_day"] && ok["t_an_year"],
             sprintf("tempora analyze --period day <= 1.5x --period year, 30 years (%.2fx)",
                     ok["t_an_day"] && ok["t_an_year"] ? secs["t_an_day"] / secs["t_an_year"] : 0))
        for (i = 1; i <= 2; i++)
            line(rss[tk[i]] * 4 <= rss["sk_tfidf"], ok[tk[i]] && ok["sk_tfidf"],
                 sprintf("tempora tfidf (%s) peak RSS <= 1/4 of sklearn (%.1f MB vs %.1f MB)",
                         cn[i], rss[tk[i]] / 1024, rss["sk_tfidf"] / 1024))
    }' "$RESULTS"
}

# ---------------------------------------------------------------- main

if [ "$MODE" = full ]; then prepare_full; else prepare_smoke; fi

if [ ! -x "$TEMPORA" ]; then
    warn "tempora binary not found at $TEMPORA (build it with make, or set TEMPORA)"
    exit 1
fi

say "machine: $(nproc) cores, $(grep -m 1 'model name' /proc/cpuinfo | sed 's/.*: //')"
say "tempora: $("$TEMPORA" --version 2>/dev/null | head -n 1) ($TEMPORA)"
say "mode: $MODE, best of $RUNS round(s)${ONE:+; one-thread commands on CPU $PIN}; MB = 10^6 bytes, RSS MB = MiB"
say "inputs: $FREQ_IN ($(wc -c < "$FREQ_IN") bytes), $TFIDF_IN ($(wc -c < "$TFIDF_IN") bytes)${IT_IN:+, $IT_IN ($(wc -c < "$IT_IN") bytes)}"
say ""

# The measurements, once. They run in rounds (below): every command once a
# round, so that a drift of the machine's speed over minutes slows the
# commands compared alike; one-thread commands ($ONE) on one CPU.
# shellcheck disable=SC2086 # $ONE is a command's words or none
suite() {
    say "word frequencies on $FREQ_IN"
    warm "$FREQ_IN"
    tempora_run t_freq1 - "tempora freq --threads 1" "$FREQ_IN" "$OUT/freq1.csv" "$HDR_FREQ" \
        freq --threads 1 --quiet "$FREQ_IN" -o "$OUT/freq1.csv"
    tempora_run t_freq t_freq1 "tempora freq (all $(nproc) cores)" "$FREQ_IN" "$OUT/freq.csv" \
        "$HDR_FREQ" freq --quiet "$FREQ_IN" -o "$OUT/freq.csv"
    measure wc t_freq1 "wc -w (C.UTF-8)" "$FREQ_IN" \
        $ONE env LC_ALL=C.UTF-8 wc -w "$FREQ_IN" || warn "wc -w failed"
    if [ -x "$PY" ]; then
        measure counter t_freq1 "python Counter" "$FREQ_IN" \
            $ONE "$PY" bench/py_counter.py "$FREQ_IN" "$OUT/py_counter.csv" || warn "py_counter.py failed"
    else
        skip counter t_freq1 "python Counter" "$PY not found"
    fi
    py_peer sk_count t_freq1 "sklearn CountVectorizer" "$FREQ_IN" sklearn py_sklearn_count.py \
        "$FREQ_IN" "$OUT/py_sklearn_count.csv"

    say "collocations on $FREQ_IN"
    tempora_run t_colloc - "tempora colloc --threads 1" "$FREQ_IN" "$OUT/colloc.csv" "$HDR_COLLOC" \
        colloc --threads 1 --quiet "$FREQ_IN" -o "$OUT/colloc.csv"
    tempora_run t_colloc_all t_colloc "tempora colloc (all $(nproc) cores)" "$FREQ_IN" \
        "$OUT/colloc-all.csv" "$HDR_COLLOC" colloc --quiet "$FREQ_IN" -o "$OUT/colloc-all.csv"
    py_peer nltk t_colloc "NLTK BigramCollocationFinder" "$FREQ_IN" nltk py_nltk_colloc.py \
        "$FREQ_IN" "$OUT/py_nltk_colloc.csv"

    say "TF-IDF, one document per line, on $TFIDF_IN"
    warm "$TFIDF_IN"
    tempora_run t_tfidf - "tempora tfidf --threads 1" "$TFIDF_IN" "$OUT/tfidf.csv" "$HDR_TFIDF" \
        tfidf --threads 1 --quiet --doc-per-line --top 10 "$TFIDF_IN" -o "$OUT/tfidf.csv"
    tempora_run t_tfidf_all t_tfidf "tempora tfidf (all $(nproc) cores)" "$TFIDF_IN" \
        "$OUT/tfidf-all.csv" "$HDR_TFIDF" \
        tfidf --quiet --doc-per-line --top 10 "$TFIDF_IN" -o "$OUT/tfidf-all.csv"
    py_peer sk_tfidf t_tfidf "sklearn TfidfVectorizer" "$TFIDF_IN" sklearn py_sklearn_tfidf.py \
        "$TFIDF_IN" "$OUT/py_sklearn_tfidf.csv" 10

    if [ -n "$IT_IN" ]; then
        say "Italian word frequencies on $IT_IN"
        warm "$IT_IN"
        tempora_run t_freq_it - "tempora freq --threads 1 (Italian)" "$IT_IN" \
            "$OUT/freq-it.csv" "$HDR_FREQ" freq --threads 1 --quiet "$IT_IN" -o "$OUT/freq-it.csv"
        measure wc_it t_freq_it "wc -w (C.UTF-8, Italian)" "$IT_IN" \
            $ONE env LC_ALL=C.UTF-8 wc -w "$IT_IN" || warn "wc -w failed"
    else
        skip t_freq_it - "tempora freq --threads 1 (Italian)" "no Italian text"
        skip wc_it t_freq_it "wc -w (C.UTF-8, Italian)" "no Italian text"
    fi

    # Trends on a long daily timeline (bench/trends.sh does the same with CPU times):
    # 200,000 short documents over 30 years (a 2,000-document slice in a smoke run).
    DATED_IN=$DATA/dated30$SUFFIX.jsonl
    if [ "$MODE" = smoke ]; then DATED_N=2000; else DATED_N=200000; fi
    if [ ! -s "$DATED_IN" ] && [ -x "$PY" ]; then
        "$PY" bench/gen_dated.py "$DATED_IN.tmp" "$DATED_N" 30 && mv "$DATED_IN.tmp" "$DATED_IN"
    fi
    if [ -s "$DATED_IN" ]; then
        say "trends: analyze by year and by day on $DATED_IN (30 years)"
        warm "$DATED_IN"
        tempora_run t_an_year - "tempora analyze --period year" "$DATED_IN" \
            "$OUT/an-year/trends.csv" "$HDR_TRENDS" \
            analyze --quiet --lang none --period year "$DATED_IN" -o "$OUT/an-year"
        tempora_run t_an_day t_an_year "tempora analyze --period day" "$DATED_IN" \
            "$OUT/an-day/trends.csv" "$HDR_TRENDS" \
            analyze --quiet --lang none --period day "$DATED_IN" -o "$OUT/an-day"
    else
        skip t_an_year - "tempora analyze --period year" "no dated corpus ($PY not found)"
        skip t_an_day t_an_year "tempora analyze --period day" "no dated corpus ($PY not found)"
    fi
}

# RESULTS reduced to a line a command: its best seconds over the rounds, its
# largest peak RSS, and the first status other than ok.
best_of_rounds() {
    awk -F '\t' -v OFS='\t' '
    !($1 in n) { order[++k] = $1; n[$1] = 1; line[$1] = $0; secs[$1] = $5; rss[$1] = $6
                 st[$1] = $7; next }
    { if ($7 == "ok" && st[$1] == "ok" && $5 < secs[$1]) { secs[$1] = $5; line[$1] = $0 }
      if ($6 > rss[$1]) rss[$1] = $6
      if (st[$1] == "ok" && $7 != "ok") { st[$1] = $7; line[$1] = $0 } }
    END { for (i = 1; i <= k; i++) { key = order[i]; split(line[key], f, "\t")
          print f[1], f[2], f[3], f[4], st[key] == "ok" ? secs[key] : f[5], rss[key], st[key] } }
    ' "$RESULTS" > "$RESULTS.best" && mv "$RESULTS.best" "$RESULTS"
}

ROUNDS=$RUNS
RUNS=1
ROUND=1
while [ "$ROUND" -le "$ROUNDS" ]; do
    [ "$ROUNDS" -eq 1 ] || say "round $ROUND of $ROUNDS"
    suite
    ROUND=$((ROUND + 1))
done
RUNS=$ROUNDS
best_of_rounds

report
say ""
# Hash flooding (bench/flood.sh): crafted tokens must cost no more than twice
# random ones.
if [ "$MODE" = smoke ]; then FLOOD_ARGS=--smoke; else FLOOD_ARGS="--runs $RUNS"; fi
# shellcheck disable=SC2086 # FLOOD_ARGS is one or two words
TEMPORA=$TEMPORA PY=$PY sh bench/flood.sh $FLOOD_ARGS || TEMPORA_FAILED=1
say ""
# A news archive as JSONL (bench/archive.sh): freq against wc -w and plain text.
if [ "$MODE" = smoke ]; then ARCH_ARGS=--smoke; else ARCH_ARGS="--runs $RUNS"; fi
# shellcheck disable=SC2086 # ARCH_ARGS is one or two words
TEMPORA=$TEMPORA PY=$PY sh bench/archive.sh $ARCH_ARGS || TEMPORA_FAILED=1
say ""
# A mail archive (bench/mail.sh): an mbox against the same texts as plain files.
# shellcheck disable=SC2086 # ARCH_ARGS is one or two words
TEMPORA=$TEMPORA PY=$PY sh bench/mail.sh $ARCH_ARGS || TEMPORA_FAILED=1
say ""
if [ "$TEMPORA_FAILED" -ne 0 ]; then
    say "bench: tempora failed or wrote a bad table (see above)"
    exit 1
fi
say "bench: done ($MODE); tables in $OUT, results in $RESULTS and $DATA/results$SUFFIX.md"
exit 0
