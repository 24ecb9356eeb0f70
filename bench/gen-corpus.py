#!/usr/bin/env python3
"""Write a large, deterministic mboxrd corpus for bench/run.sh.

Usage: gen-corpus.py OUT.mbox SIZE_MB [SEED]

The size mix imitates a real mailbox (numbers for SIZE_MB >= 600; smaller
corpora scale the big messages down):
  - ONE message of 200 MiB (a base64 attachment), placed in the middle;
  - five messages of about 20 MiB;
  - attachments of 100 KiB .. 5 MiB (log-uniform), about 25 % of the bytes;
  - everything else plain-text messages of 2 .. 50 KiB (log-uniform).
Bodies are slices of two pools made once from a seeded PRNG (text lines and
76-column base64 lines), so writing runs at disk speed.  The text pool holds
mboxrd-quoted ">From " and ">>From " lines, so readers unquote and writers
quote.  The same SIZE_MB and SEED always give the same bytes.
"""

import base64
import bisect
import random
import sys

MiB = 1 << 20
KiB = 1 << 10

WORDS = ("the message archive folder mailbox export backup server client "
         "meeting report budget project review invoice contract schedule "
         "please thanks regards attached below above draft final version "
         "update status question answer team office week month year today "
         "tomorrow yesterday morning evening quarter customer order number "
         "price offer delivery address phone agenda minutes notes summary "
         "and or but with for from into over under about after before "
         "is are was were be been will would could should may might must "
         "we you they it this that these those our your their a an of to in"
         ).split()

NAMES = ("Alice Example", "Bob Sample", "Carol Writer", "Dave Tester",
         "Erin Client", "Frank Ops", "Grace Hopper-Lee", "Heidi Admin")
DOMAINS = ("example.org", "example.com", "example.net", "mail.example.de")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EPOCH = 1577836800		# 2020-01-01 00:00:00 UTC


def civil(t):
    """Unix seconds -> (year, month, day, weekday, h, m, s), UTC, no tz db."""
    days, rem = divmod(t, 86400)
    h, rem = divmod(rem, 3600)
    mi, s = divmod(rem, 60)
    wd = (days + 3) % 7			# 1970-01-01 was a Thursday
    # Howard Hinnant's days_from_civil inverse.
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + (m <= 2), m, d, wd, h, mi, s)


def asctime(t):
    y, m, d, wd, h, mi, s = civil(t)
    return "%s %s %2d %02d:%02d:%02d %d" % (WEEKDAYS[wd], MONTHS[m - 1], d,
                                             h, mi, s, y)


def rfcdate(t):
    y, m, d, wd, h, mi, s = civil(t)
    return "%s, %02d %s %d %02d:%02d:%02d +0000" % (WEEKDAYS[wd], d,
                                                   MONTHS[m - 1], y, h, mi, s)


def make_text_pool(rng, size):
    """Text lines (LF) of 20..78 columns, some blank, rare quoted From."""
    lines = []
    n = 0
    words = WORDS
    while n < size:
        r = rng.random()
        if r < 0.08:
            line = ""
        elif r < 0.0805:
            line = ">From the archive: " + " ".join(rng.choices(words, k=6))
        elif r < 0.0807:
            line = ">>From an older quote: " + " ".join(rng.choices(words, k=5))
        elif r < 0.15:
            line = "> " + " ".join(rng.choices(words, k=rng.randint(4, 11)))
        else:
            line = " ".join(rng.choices(words, k=rng.randint(4, 13)))
        lines.append(line)
        n += len(line) + 1
    pool = ("\n".join(lines) + "\n").encode("ascii")
    starts = [0]
    pos = 0
    for line in lines:
        pos += len(line) + 1
        starts.append(pos)
    return pool, starts


def make_b64_pool(rng, raw_size):
    """76-column base64 lines of random bytes; length a multiple of 77."""
    raw_size -= raw_size % 57
    return base64.encodebytes(rng.randbytes(raw_size))


def header(rng, n, t, subject, ctype, extra=""):
    name = rng.choice(NAMES)
    user = name.split()[0].lower()
    dom = rng.choice(DOMAINS)
    to = rng.choice(NAMES)
    status = rng.random()
    flags = ""
    if status < 0.7:
        flags = "Status: RO\n"
        if status < 0.1:
            flags += "X-Status: A\n"
        elif status < 0.15:
            flags += "X-Status: F\n"
    elif status < 0.9:
        flags = "Status: O\n"
    fr = "From %s@%s %s\n" % (user, dom, asctime(t))
    return fr + (
        "Return-Path: <%s@%s>\n"
        "Received: from mail.%s (mail.%s [192.0.2.%d])\n"
        "\tby mx.example.org (Postfix) with ESMTPS id 4T%08X\n"
        "\tfor <alice@example.org>; %s\n"
        "Received: from [10.0.%d.%d] (unknown [198.51.100.%d])\n"
        "\tby mail.%s (Postfix) with ESMTPSA id 4S%08X;\n"
        "\t%s\n"
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s;\n"
        "\ts=sel2020; t=%d; bh=%s;\n"
        "\th=From:To:Subject:Date:Message-ID;\n"
        "\tb=%s\n"
        "Date: %s\n"
        "From: %s <%s@%s>\n"
        "To: %s <%s@example.org>\n"
        "Subject: %s\n"
        "Message-ID: <bench-%08d.%d@%s>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: %s\n"
        "%s%s\n") % (
            user, dom, dom, dom, n % 250 + 1, n, rfcdate(t),
            n % 256, n // 256 % 256, n % 250 + 1, dom, n * 7, rfcdate(t - 2),
            dom, t, base64.b64encode(n.to_bytes(32, "big")).decode(),
            base64.b64encode(n.to_bytes(96, "little")).decode(),
            rfcdate(t), name, user, dom, to, to.split()[0].lower(),
            subject, n, t, dom, ctype, extra, flags)


def plan(rng, total):
    """A list of ("text"|"att", size) summing to about total bytes."""
    items = []
    if total >= 600 * MiB:
        items.append(("att", 200 * MiB))
        items += [("att", rng.randint(19 * MiB, 21 * MiB)) for _ in range(5)]
    else:
        items.append(("att", total // 6))
        items += [("att", total // 60) for _ in range(2)]
    big = sum(s for _, s in items)
    budget = (total - big) // 3
    used = 0
    mids = []
    while used < budget:
        s = int(100 * KiB * (50 ** rng.random()))	# 100 KiB .. 5 MiB
        mids.append(("att", s))
        used += s
    left = total - big - used
    smalls = []
    while left > 0:
        s = int(2 * KiB * (25 ** rng.random()))		# 2 .. 50 KiB
        smalls.append(("text", s))
        left -= s
    rest = mids + smalls
    rng.shuffle(rest)
    # The huge message goes in the middle; the 20 MiB ones spread out.
    huge, others = items[0], items[1:]
    for i, it in enumerate(others):
        rest.insert((i + 1) * len(rest) // (len(others) + 1), it)
    rest.insert(len(rest) // 2, huge)
    return rest


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: gen-corpus.py OUT.mbox SIZE_MB [SEED]\n")
        return 2
    out, size_mb = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20240601
    rng = random.Random(seed)
    text, starts = make_text_pool(rng, 8 * MiB)
    b64 = make_b64_pool(rng, 6 * MiB)
    tmv, bmv = memoryview(text), memoryview(b64)
    nlines_b64 = len(b64) // 77
    items = plan(rng, size_mb * MiB)
    t = EPOCH
    written = 0
    counts = {"text": 0, "att": 0}
    with open(out, "wb", buffering=8 * MiB) as f:
        for n, (kind, size) in enumerate(items, 1):
            t += rng.randint(60, 7200)
            counts[kind] += 1
            if kind == "text":
                subject = "Re: weekly report %d" % n
                hdr = header(rng, n, t, subject,
                             "text/plain; charset=us-ascii")
                f.write(hdr.encode("ascii"))
                # Whole lines from a random point, about `size` bytes.
                i = rng.randrange(len(starts) - 1)
                a = starts[i]
                want = a + max(size - len(hdr), 200)
                if want > len(text):
                    i, a = 0, 0
                    want = max(size - len(hdr), 200)
                j = bisect.bisect_left(starts, want)
                b = starts[min(j, len(starts) - 1)]
                f.write(tmv[a:b])
                written += len(hdr) + (b - a)
            else:
                bnd = "=_bench_%08d" % n
                subject = "Files for the project (%d KiB)" % (size // KiB)
                hdr = header(rng, n, t, subject,
                             "multipart/mixed; boundary=\"%s\"" % bnd)
                intro = ("This is a multi-part message in MIME format.\n\n"
                         "--%s\nContent-Type: text/plain; charset=us-ascii\n\n"
                         "The files are attached.\n\n--%s\n"
                         "Content-Type: application/octet-stream; "
                         "name=\"file-%d.bin\"\n"
                         "Content-Disposition: attachment; "
                         "filename=\"file-%d.bin\"\n"
                         "Content-Transfer-Encoding: base64\n\n") % (
                             bnd, bnd, n, n)
                f.write((hdr + intro).encode("ascii"))
                lines = max(size // 77, 1)
                start = rng.randrange(nlines_b64)
                written += len(hdr) + len(intro) + lines * 77
                while lines > 0:
                    take = min(lines, nlines_b64 - start)
                    f.write(bmv[start * 77:(start + take) * 77])
                    lines -= take
                    start = 0
                tail = "--%s--\n" % bnd
                f.write(tail.encode("ascii"))
                written += len(tail)
            f.write(b"\n")			# the separating blank line
            written += 1
    sys.stderr.write("gen-corpus: %d messages (%d text, %d with attachments), "
                     "%.1f MiB\n" % (len(items), counts["text"],
                                     counts["att"], written / MiB))
    return 0


if __name__ == "__main__":
    sys.exit(main())
