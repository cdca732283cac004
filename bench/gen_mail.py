"""Write N mail messages as one mbox and their texts as N plain files (bench/mail.sh).

Usage: gen_mail.py N OUT_DIR. Seeded: the same N gives the same bytes. Each
message has the headers a real archive has (Return-Path, Received, From, To,
Subject, Date, Message-ID, MIME-Version, Content-Type) and a text/plain body
of about 100 words drawn from a Zipf-like vocabulary, quoted-printable for
one message in ten. The plain file of a message holds what tempora counts of
it: the Subject, a blank line and the decoded body.
"""

import os
import quopri
import random
import sys


def qp_body(body):
    """Quoted-printable (soft breaks in lines over 76 characters)."""
    return quopri.encodestring(body.encode("utf-8")).decode("ascii")


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(20261205)
    syll = ["ta", "ri", "mo", "ne", "ca", "lu", "po", "se", "di", "va", "ro", "ge"]
    vocab = ["".join(rnd.choice(syll) for _ in range(rnd.randint(1, 4))) for _ in range(5000)]
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    plain = os.path.join(out, "plain")
    os.makedirs(plain, exist_ok=True)
    with open(os.path.join(out, "archive.mbox"), "w", encoding="utf-8") as mbox:
        for i in range(n):
            words = rnd.choices(vocab, weights, k=100)
            subject = " ".join(words[:5])
            lines = [" ".join(words[k:k + 12]) + "." for k in range(5, 100, 12)]
            body = "\n".join(lines) + "\n"
            day = 1 + i % 28
            month = 1 + (i // 28) % 12
            year = 2000 + (i // 336) % 25
            qp = i % 10 == 0
            mbox.write(
                f"From sender{i % 97}@example.org Mon Jan  1 00:00:00 2024\n"
                f"Return-Path: <sender{i % 97}@example.org>\n"
                f"Received: from mx{i % 7}.example.org by mail.example.org; "
                f"{day} Jan {year} 10:00:00 +0000\n"
                f"From: Sender {i % 97} <sender{i % 97}@example.org>\n"
                f"To: list@example.org\n"
                f"Subject: {subject}\n"
                f"Date: Mon, {day} {['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][month - 1]} {year} 10:{i % 60:02d}:00 +0100\n"
                f"Message-ID: <m{i}@example.org>\n"
                "MIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=utf-8\n")
            if qp:
                mbox.write("Content-Transfer-Encoding: quoted-printable\n\n")
                mbox.write(qp_body(body))
            else:
                mbox.write("\n" + body)
            mbox.write("\n")
            with open(os.path.join(plain, f"m{i:07d}.txt"), "w", encoding="utf-8") as f:
                f.write(subject + "\n\n" + body)


if __name__ == "__main__":
    main()
