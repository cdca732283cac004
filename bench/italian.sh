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
