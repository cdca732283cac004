# bench/italian.sh - sourced by bench/run.sh and bench/archive.sh (from the
# repository root): the Italian text both benchmarks read.

# Italian prose ($1): the fortunes-it files without their % separators, then the
# plain-text Italian Debian manuals (debian-reference, maint-guide, FAQ) and the
# reStructuredText sources of the developers' reference. Fails if nothing was found.
build_it() {
    : > "$1.tmp" || return 1
    for f in $(dpkg -L fortunes-it 2>/dev/null | grep '/fortunes/it/' | grep -v '\.dat$' | sort); do
        [ -f "$f" ] && [ ! -L "$f" ] && grep -v '^%$' "$f" >> "$1.tmp"
    done
    for p in debian-reference-it maint-guide-it debian-faq-it; do
        for f in $(dpkg -L "$p" 2>/dev/null | grep '\.it\.txt\.gz$' | sort); do
            gzip -dc "$f" >> "$1.tmp"
        done
    done
    for f in $(dpkg -L developers-reference-it 2>/dev/null | grep '/it/_sources/.*\.rst\.txt$' | sort); do
        cat "$f" >> "$1.tmp"
    done
    [ -s "$1.tmp" ] && mv "$1.tmp" "$1"
}

# need_it NAME: set IT to the Italian text the archive benchmarks read, built
# when missing (under SMOKE=1: the small smoke text, or a SKIP line and exit 0
# when there is none); exit 1 when it cannot be built. NAME names the bench.
need_it() {
    IT=bench/data/it.txt
    if [ "$SMOKE" = 1 ]; then
        [ -s "$IT" ] || IT=bench/data/smoke-it.txt
        [ -s "$IT" ] || { echo "$1: SKIP (no Italian text: fortunes-it not installed)"; exit 0; }
    elif [ ! -s "$IT" ]; then
        sh tests/install-deps.sh fortunes-it debian-reference-it maint-guide-it debian-faq-it \
            developers-reference-it >/dev/null 2>&1 || true
        build_it "$IT" || { echo "bench/$1.sh: no Italian text (fortunes-it)" >&2; exit 1; }
    fi
}
