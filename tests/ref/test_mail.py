"""Mail and HTML against an independent Python reading of docs/inputs.md ("Mail",
"HTML", "Charsets"), written with the standard library: email (parsing MIME,
quoted-printable, base64, RFC 2047 subjects, Date), mailbox (writing the mbox),
html.parser (the visible text of a page) and the token rules of test_tokens.

A seeded generator writes an mbox of 300 messages of every structure the docs
name (plain, multipart/alternative, attachments, forwarded messages, HTML only,
nested mixed/alternative) in utf-8, iso-8859-1, windows-1252 and koi8-r, sent as
8bit, quoted-printable or base64, with dates in offsets from -12:00 to +14:00,
and the same messages as .eml files; then compares, message by message, the
tokens and where segments break, the date (the day in the sender's offset) and
attachments_skipped.
"""
import datetime
import email
import email.policy
import mailbox
import os
import random
import unittest
from email.message import EmailMessage
from html.parser import HTMLParser

import common as c
from test_tokens import tokenize, tempora_pairs

WORDS = ["river", "budget", "council", "school", "energy", "winter", "harbour", "market",
         "café", "naïve", "déjà", "über", "señor", "crème", "façade", "résumé"]
RU = ["тест", "город", "зима", "рынок"]

CP1252_NAMES = {"iso-8859-1", "latin1", "windows-1252"}


def decode_part(part):
    """The text of a leaf part by the docs' charset rules."""
    raw = part.get_payload(decode=True) or b""
    cs = (part.get_content_charset() or "").lower()
    if cs in CP1252_NAMES:
        return raw.decode("cp1252", errors="replace")
    if cs in ("", "utf-8", "us-ascii"):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")
    return raw.decode(cs, errors="replace")


BLOCKS = set("p div br li h1 h2 h3 h4 h5 h6 td th tr section article header footer blockquote "
             "pre table ul ol dl dt dd hr figure figcaption main aside form address caption "
             "details summary fieldset legend center option textarea body html tbody thead "
             "tfoot title".split())
DROPPED = set("script style nav noscript template head iframe object embed svg math canvas "
              "audio video".split())


class Visible(HTMLParser):
    """The visible text of a page by docs/inputs.md "HTML" (for the simple pages
    generated here: title, drops, block breaks, blanks collapsed)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title, self.body, self.stack, self.in_title = [], [], [], False

    def brk(self):
        self.body.append("\n\n")

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.in_title = True
        if tag in DROPPED:
            self.stack.append(tag)
        if tag in BLOCKS:
            self.brk()

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        if tag in BLOCKS:
            self.brk()

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        elif not self.stack:
            self.body.append(data)

    def text(self):
        def collapse(s):
            return " ".join(s.split())
        parts = [collapse("".join(self.title))] if self.title else []
        cur = []
        for piece in self.body + ["\n\n"]:
            if piece == "\n\n":
                parts.append(collapse("".join(cur)))
                cur = []
            else:
                cur.append(piece)
        return "\n\n".join(p for p in parts if p)


def leaves(part, alt=None, out=None):
    """[(leaf, nearest multipart/alternative ancestor)]; message/rfc822 is a leaf."""
    out = [] if out is None else out
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        if part.get_content_subtype() == "alternative":
            alt = part
        for p in part.get_payload():
            leaves(p, alt, out)
    else:
        out.append((part, alt))
    return out


def expected(msg):
    """(text, date 'YYYY-MM-DD' or '', attachments skipped) of a parsed message."""
    ls = leaves(msg)

    def text_leaf(p, sub):
        return (p.get_content_type() == "text/" + sub
                and (p.get_content_disposition() or "inline") != "attachment")
    body = next((x for x in ls if text_leaf(x[0], "plain")), None)
    html = False
    if body is None:
        body = next((x for x in ls if text_leaf(x[0], "html")), None)
        html = body is not None
    skipped = sum(1 for x in ls
                  if body is None or (x is not body and (body[1] is None or x[1] is not body[1])))
    text = str(msg["subject"] or "") + "\n\n"
    if body is not None:
        t = decode_part(body[0])
        if html:
            v = Visible()
            v.feed(t)
            v.close()
            t = v.text()
        text += t
    d = msg["date"]
    date = d.datetime.strftime("%Y-%m-%d") if d is not None and d.datetime else ""
    return text, date, skipped


def sentence(rnd, cyrillic=False):
    pool = RU if cyrillic else WORDS
    s = " ".join(rnd.choice(pool) for _ in range(rnd.randint(3, 9)))
    return s + rnd.choice([".", ",", "", "!", " \u201cquoted\u201d"]) if not cyrillic else s + "."


def make_message(rnd, i):
    cs = rnd.choice(["utf-8", "iso-8859-1", "windows-1252", "koi8-r"])
    cte = rnd.choice(["8bit", "quoted-printable", "base64"])
    cyr = cs == "koi8-r"
    body = "\n".join(sentence(rnd, cyr) for _ in range(rnd.randint(1, 4))) + "\n"
    if cs == "iso-8859-1":
        body = body.replace("\u201c", '"').replace("\u201d", '"')
    m = EmailMessage(policy=email.policy.SMTP)
    m["From"] = f"Sender {i} <s{i}@example.org>"
    m["To"] = "list@example.org"
    m["Subject"] = sentence(rnd, cyr)
    off = datetime.timezone(datetime.timedelta(minutes=rnd.randrange(-12 * 60, 14 * 60 + 1, 30)))
    when = datetime.datetime(rnd.randint(1995, 2025), rnd.randint(1, 12), rnd.randint(1, 28),
                             rnd.randint(0, 23), rnd.randint(0, 59), tzinfo=off)
    m["Date"] = email.utils.format_datetime(when)
    if rnd.random() < 0.8:
        m["Message-ID"] = f"<msg{i}@example.org>"
    kind = rnd.choice(["plain", "alt", "attach", "html", "forward", "nested"])
    html = "<html><head><title>%s</title><style>p {x}</style></head><body><p>%s</p>" \
           "<script>skip()</script><div>%s <b>bold</b></div></body></html>" % (
               sentence(rnd, cyr), sentence(rnd, cyr), sentence(rnd, cyr))
    if cs == "iso-8859-1":
        html = html.replace("\u201c", '"').replace("\u201d", '"')
    if kind == "html":
        m.set_content(html, subtype="html", charset=cs, cte=cte)
    else:
        m.set_content(body, charset=cs, cte=cte)
    if kind in ("alt", "nested"):
        m.add_alternative(html, subtype="html", charset="utf-8")
    if kind in ("attach", "nested"):
        m.add_attachment(bytes(rnd.randrange(256) for _ in range(64)), maintype="application",
                         subtype="octet-stream", filename="x.bin")
        if rnd.random() < 0.5:
            m.add_attachment("an attached text file\n", filename="notes.txt")
    if kind == "forward":
        inner = EmailMessage()
        inner["Subject"] = "inner subject"
        inner.set_content("forwarded words never counted\n")
        m.add_attachment(inner)
    return m


class TestMailReference(unittest.TestCase):
    def setUp(self):
        self.dir = c.tmpdir()
        rnd = random.Random(14)
        self.msgs = [make_message(rnd, i) for i in range(300)]
        self.mbox = os.path.join(self.dir, "box.mbox")
        box = mailbox.mbox(self.mbox)
        for m in self.msgs:
            box.add(m)
        box.flush()
        box.close()
        self.emls = os.path.join(self.dir, "eml")
        os.mkdir(self.emls)
        for i, m in enumerate(self.msgs):
            with open(os.path.join(self.emls, "m%03d.eml" % i), "wb") as f:
                f.write(m.as_bytes(policy=email.policy.SMTP))

    def tearDown(self):
        c.rmtree(self.dir)

    def reference(self, path):
        """[(id, text, date, skipped)] read back with the standard library."""
        out = []
        if path.endswith(".mbox"):
            for n, m in enumerate(mailbox.mbox(path, factory=None), 1):
                parsed = email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
                mid = (parsed["message-id"] or "").strip("<> ") or "%s:%d" % (path, n)
                out.append((mid, *expected(parsed)))
        else:
            for name in sorted(os.listdir(path)):
                p = os.path.join(path, name)
                with open(p, "rb") as f:
                    parsed = email.message_from_binary_file(f, policy=email.policy.default)
                mid = (parsed["message-id"] or "").strip("<> ") or p
                out.append((mid, *expected(parsed)))
        return out

    def check(self, path):
        ref = self.reference(path)
        got = tempora_pairs(c.tokens(path, "--lang", "en"))
        self.assertEqual(len(ref), 300)
        for mid, text, _date, _sk in ref:
            want = tokenize(text, "en")
            self.assertEqual(got.get(mid, []), want, mid)
        tf = c.table("tfidf", path, "--lang", "en", "--no-stopwords", "--top", "1")
        dates = {r["doc_id"]: r["date"] for r in tf}
        for mid, _text, date, _sk in ref:
            if mid in dates:
                self.assertEqual(dates[mid], date, mid)
        self.assertGreater(len(dates), 250)
        summ = {r["metric"]: r["value"] for r in c.table("summary", path, "--lang", "en")}
        self.assertEqual(int(summ["documents"]), 300)
        self.assertEqual(int(summ["attachments_skipped"]), sum(r[3] for r in ref))
        self.assertEqual(int(summ["dated_documents"]), 300)

    def test_mbox(self):
        self.check(self.mbox)

    def test_eml_files(self):
        self.check(self.emls)


if __name__ == "__main__":
    unittest.main()
