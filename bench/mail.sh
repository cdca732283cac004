#!/bin/sh
# bench/mail.sh - is a mail archive (an mbox, parsed with GMime) read at least
# half as fast as the same texts as plain files?
#
#   sh bench/mail.sh              100,000 messages, best of 3 runs each
#   sh bench/mail.sh --runs N     best of N
#   sh bench/mail.sh --smoke      2,000 messages, one run, target not judged
#   N=20000 sh bench/mail.sh      another size
#
# bench/gen_mail.py (seeded) writes N messages (SMTP and MIME headers, about
# 100 words of text each, one in ten quoted-printable) as one mbox, and the same
# texts (Subject, blank line, body: what tempora counts of a message) as N plain
# files, into bench/data/mail/ (git-ignored, reused). Timed, wall seconds (best
# of the runs, bench/timecmd.py): `tempora freq` on the mbox and on the folder
# of plain files (all cores, or THREADS=N). The two frequency tables must be the
# same bytes (the same texts counted). Target, printed PASS/FAIL: the mbox is
# read at no less than 0.5 times the plain files' speed (ratio = plain seconds /
# mbox seconds).
#
# Exit status: 1 when tempora fails or the tables differ; a missed target
# prints FAIL but does not change the exit status.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

TEMPORA=${TEMPORA:-build/release/tempora}
PY=${PY:-/usr/bin/python3}
N=${N:-100000}
RUNS=3
SMOKE=0
DATA=bench/data/mail
THREAD_OPT=${THREADS:+--threads $THREADS}

while [ $# -gt 0 ]; do
    case $1 in
    --runs) shift; RUNS=${1:-3} ;;
    --smoke) SMOKE=1; RUNS=1; N=2000; DATA=bench/data/mail-smoke ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/mail.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

if [ ! -s "$DATA/archive.mbox" ] || [ "$(cat "$DATA/n" 2>/dev/null)" != "$N" ]; then
    rm -rf "$DATA"
    mkdir -p "$DATA" || exit 1
    echo "mail: generating $N messages into $DATA"
    "$PY" bench/gen_mail.py "$N" "$DATA" || exit 1
    echo "$N" >"$DATA/n"
fi

best() { # best NAME CMD...: best wall seconds of RUNS runs into $BEST, stdout in $DATA/NAME.csv
    _name=$1
    shift
    BEST=
    _i=0
    while [ "$_i" -lt "$RUNS" ]; do
        "$PY" bench/timecmd.py "$DATA/$_name.times" "$DATA/$_name.csv" "$@" || {
            echo "mail: $_name: tempora failed" >&2
            exit 1
        }
        _t=$(cut -d' ' -f1 "$DATA/$_name.times")
        if [ -z "$BEST" ] || [ "$("$PY" -c "print(int($_t < $BEST))")" = 1 ]; then BEST=$_t; fi
        _i=$((_i + 1))
    done
}

# shellcheck disable=SC2086
best mbox "$TEMPORA" freq --quiet --top 1000 $THREAD_OPT --lang none "$DATA/archive.mbox"
T_MBOX=$BEST
# shellcheck disable=SC2086
best plain "$TEMPORA" freq --quiet --top 1000 $THREAD_OPT --lang none "$DATA/plain"
T_PLAIN=$BEST
if ! cmp -s "$DATA/mbox.csv" "$DATA/plain.csv"; then
    echo "mail: the mbox and the plain files give different frequency tables" >&2
    diff "$DATA/mbox.csv" "$DATA/plain.csv" | head -n 10 >&2
    exit 1
fi
BYTES=$(du -sb "$DATA/archive.mbox" | cut -f1)
RATIO=$("$PY" -c "print('%.2f' % ($T_PLAIN / $T_MBOX))")
echo "mail: $N messages; mbox $((BYTES / 1048576)) MiB in ${T_MBOX}s, plain files in ${T_PLAIN}s"
if [ "$SMOKE" = 1 ]; then
    echo "mail: speed ratio (plain s / mbox s) $RATIO (smoke: not judged)"
elif [ "$("$PY" -c "print(int($RATIO >= 0.5))")" = 1 ]; then
    echo "mail: speed ratio (plain s / mbox s) $RATIO >= 0.5: PASS"
else
    echo "mail: speed ratio (plain s / mbox s) $RATIO < 0.5: FAIL"
fi
