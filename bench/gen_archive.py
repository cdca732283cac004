#!/usr/bin/env python3
"""Write a news archive for timing the readers: N dated documents (default
200,000) made of Italian prose, the same texts in up to four forms:

    OUT.jsonl   one JSON object a line: "id", "date" (YYYY-MM-DD, 2000-2025),
                "title" (a field no one asks for) and "text"
    OUT.csv     id,date,text (RFC 4180, texts quoted)
    OUT.txt     the texts alone, one after another with a blank line between
    OUT.d/      one file a document: NNNNNNN.txt starting with "date: YYYY-MM-DD"

A document is a run of consecutive lines of SOURCE (the Italian text bench/run.sh
builds as bench/data/it.txt from fortunes-it and the Italian Debian manuals)
from a random place, 200 to 2,500 bytes long (about 1.2 KB on average, as a news
article's body), its line breaks kept (escaped as \\n in JSON). The seed is
fixed: the same arguments give the same files.

    python3 bench/gen_archive.py SOURCE OUT [N] [FORMATS]

FORMATS is a comma list of jsonl, csv, txt, dir (default jsonl,txt).
"""
import csv
import datetime
import json
import os
import random
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    source, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200000
    formats = (sys.argv[4] if len(sys.argv) > 4 else "jsonl,txt").split(",")
    with open(source, encoding="utf-8", errors="replace") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    if not lines:
        sys.exit("gen_archive.py: %s has no text" % source)
    rng = random.Random(20261205)
    start = datetime.date(2000, 1, 1)
    days = (datetime.date(2026, 1, 1) - start).days

    jf = open(out + ".jsonl", "w", encoding="utf-8") if "jsonl" in formats else None
    cf = open(out + ".csv", "w", encoding="utf-8", newline="") if "csv" in formats else None
    tf = open(out + ".txt", "w", encoding="utf-8") if "txt" in formats else None
    cw = csv.writer(cf, quoting=csv.QUOTE_MINIMAL, lineterminator="\n") if cf else None
    if cw:
        cw.writerow(["id", "date", "text"])
    folder = out + ".d" if "dir" in formats else None
    if folder:
        os.makedirs(folder, exist_ok=True)

    for i in range(n):
        want = rng.randint(200, 2500)
        k = rng.randrange(len(lines))
        parts, size = [], 0
        while size < want:
            parts.append(lines[k])
            size += len(lines[k].encode("utf-8")) + 1
            k = (k + 1) % len(lines)
        text = "\n".join(parts)
        date = (start + datetime.timedelta(days=rng.randrange(days))).isoformat()
        doc_id = "a%07d" % i
        title = " ".join(parts[0].split()[:8])
        if jf:
            jf.write(json.dumps({"id": doc_id, "date": date, "title": title, "text": text},
                                ensure_ascii=False) + "\n")
        if cw:
            cw.writerow([doc_id, date, text])
        if tf:
            tf.write(text + "\n\n")
        if folder:
            with open(os.path.join(folder, doc_id + ".txt"), "w", encoding="utf-8") as df:
                df.write("date: %s\n%s\n" % (date, text))
    for f in (jf, cf, tf):
        if f:
            f.close()


if __name__ == "__main__":
    main()
