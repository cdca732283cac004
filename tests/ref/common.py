"""Helpers shared by the reference tests: run tempora, read its CSV."""
import csv
import io
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TEMPORA = os.environ.get("TEMPORA", os.path.join(ROOT, "build", "release", "tempora"))
SEEDS = os.path.normpath(os.path.join(ROOT, "..", "shared", "seeds"))
CORPUS = os.path.join(ROOT, "corpus")


def seeds_available():
    return os.path.isdir(SEEDS)


def run(*args, stdin=None, check=True):
    """Run tempora with args; returns (exit status, stdout text, stderr text)."""
    p = subprocess.run([TEMPORA, *args], input=stdin, capture_output=True)
    out, err = p.stdout.decode("utf-8"), p.stderr.decode("utf-8")
    if check and p.returncode != 0:
        raise AssertionError(f"tempora {' '.join(args)} exited {p.returncode}: {err}")
    return p.returncode, out, err


def table(*args, stdin=None):
    """Run a single-table command and return its rows as a list of dicts."""
    _, out, _ = run(*args, stdin=stdin)
    return list(csv.DictReader(io.StringIO(out)))


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# Options that shape only the reported rows: `tempora tokens` refuses them
# (its stream holds every token), so they are left out of its command line.
_ROW_ONLY = {"--no-stopwords": 0, "--stopwords": 1, "--min-length": 1}


def tokens(*inputs_and_opts):
    """tempora's own token stream as [(doc_id, seg, token)]."""
    args, i = [], 0
    while i < len(inputs_and_opts):
        a = inputs_and_opts[i]
        if a in _ROW_ONLY:
            i += 1 + _ROW_ONLY[a]
            continue
        args.append(a)
        i += 1
    rows = table("tokens", *args)
    return [(r["doc_id"], int(r["seg"]), r["token"]) for r in rows]


def tmpdir():
    return tempfile.mkdtemp(prefix="tempora-ref-")


def rel_close(a, b, rel=1e-9, abs_=1e-12):
    """a and b agree to a relative 1e-9 (or both tiny)."""
    a, b = float(a), float(b)
    if a == b:
        return True
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_)


# ---------------------------------------------------------------------------
# Independent helpers: everything below reads the raw files or tempora's token
# stream only, never one of tempora's report tables.

import math
import re
import shutil
import unicodedata
from collections import OrderedDict

STOPWORD_DIR = os.path.join(ROOT, "src", "stopwords")
STOPWORD_FILES = {"it": "italian", "en": "english", "fr": "french", "de": "german",
                  "es": "spanish", "pt": "portuguese"}


def stopword_set(lang):
    """The Snowball list of lang as SPEC ships it (one word a line), NFC + case-folded."""
    if lang in (None, "none"):
        return frozenset()
    path = os.path.join(STOPWORD_DIR, STOPWORD_FILES[lang] + ".stop")
    words = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            w = line.strip()
            if w:
                words.add(unicodedata.normalize("NFC", w).casefold())
    return frozenset(words)


def is_stop(tok, sw):
    """SPEC: a token is a stopword if it is in the list, or it is elided (final
    apostrophe) and the part before the apostrophe is in the list (l' -> l)."""
    return tok in sw or (tok.endswith("'") and tok[:-1] in sw)


def bkey(s):
    """Bytewise order key (UTF-8 bytes), as SPEC's ties are broken."""
    return s.encode("utf-8")


def doc_tokens(stream):
    """OrderedDict doc_id -> [token], in stream order (documents with no token are absent)."""
    d = OrderedDict()
    for doc, _seg, tok in stream:
        d.setdefault(doc, []).append(tok)
    return d


def segments(stream):
    """[[token, ...], ...]: maximal runs with the same (doc_id, seg), in order."""
    out, key = [], None
    for doc, seg, tok in stream:
        if (doc, seg) != key:
            out.append([])
            key = (doc, seg)
        out[-1].append(tok)
    return out


def doc_segments(stream):
    """OrderedDict doc_id -> [[token, ...] per segment]."""
    d, key = OrderedDict(), None
    for doc, seg, tok in stream:
        segs = d.setdefault(doc, [])
        if (doc, seg) != key:
            segs.append([])
            key = (doc, seg)
        segs[-1].append(tok)
    return d


def ngrams_of(segs, n):
    """n-grams of adjacent tokens inside each segment."""
    for s in segs:
        for i in range(len(s) - n + 1):
            yield tuple(s[i:i + n])


def walk_inputs(path):
    """SPEC's input walk: a file is itself; a directory is walked recursively,
    sorted by path, hidden entries skipped. Returns the document paths as tempora
    names them (path as given, joined with '/')."""
    if not os.path.isdir(path):
        return [path]
    out = []
    for name in sorted(os.listdir(path), key=bkey):
        if name.startswith("."):
            continue
        out.extend(walk_inputs(path.rstrip("/") + "/" + name))
    return out


_DATE_HEADER = re.compile(r"\A\s*date:?\s+(\d{4}(?:-\d{2}(?:-\d{2})?)?)(?=\s|\Z)", re.I)


def header_date(path):
    """The date of SPEC's 'date YYYY[-MM[-DD]]' header of a text file, or None."""
    with open(path, encoding="utf-8") as f:
        head = f.read(200)
    m = _DATE_HEADER.match(head)
    return m.group(1) if m else None


def ols(x, y):
    """Least-squares line (slope, intercept) via numpy.polyfit."""
    import numpy
    slope, intercept = numpy.polyfit(numpy.asarray(x, float), numpy.asarray(y, float), 1)
    return float(slope), float(intercept)


def write_files(folder, files):
    """Create folder/name with text for each (name, text); returns folder."""
    for name, text in files.items():
        p = os.path.join(folder, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
    return folder


def rmtree(folder):
    shutil.rmtree(folder, ignore_errors=True)


def bh(pvalues):
    """Benjamini-Hochberg adjusted q-values, same order as pvalues:
    q_(i) = min over j >= i of p_(j) * m / j, capped at 1."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    q = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        q[i] = running
    return q


def log10_chi2_sf_1(g2):
    """log10 of the chi-square(1) upper tail at g2, finite for huge g2:
    P(chi2_1 > g2) = P(|Z| > sqrt(g2)) = 2 * Phi(-sqrt(g2))."""
    from scipy.special import log_ndtr
    return (math.log(2.0) + float(log_ndtr(-math.sqrt(g2)))) / math.log(10.0)
