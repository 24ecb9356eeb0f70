#!/usr/bin/env python3
"""Generate mailsave's own sample corpus (samples/README.md describes it).

Everything here is synthetic: names, addresses and texts are made up, and
nothing is copied from third-party fixtures.  The output is deterministic
(fixed dates, fixed identifiers, no clock, no randomness), so running the
script again must leave `git status` clean.  Python 3 standard library only.

Usage: python3 samples/make-samples.py [OUTDIR]   (default: this directory)
"""

import base64
import datetime
import os
import shutil
import struct
import sys
import unicodedata
import zlib

# Subtrees this script owns and rewrites from scratch on every run.
GENERATED = ("mbox", "mbox-tree", "apple-export", "maildir", "eml")

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def utc(y, mo, d, h, mi, s):
    return datetime.datetime(y, mo, d, h, mi, s, tzinfo=datetime.timezone.utc)


def from_line(sender, when, zero_pad=False, eol=b"\n"):
    """An mbox From_ line: asctime (space-padded day) or Apple's %d form."""
    t = when.astimezone(datetime.timezone.utc) if not zero_pad else when
    day = "%02d" % t.day if zero_pad else "%2d" % t.day
    s = "From %s %s %s %s %02d:%02d:%02d %d" % (
        sender, WEEKDAYS[t.weekday()], MONTHS[t.month - 1], day,
        t.hour, t.minute, t.second, t.year)
    return s.encode("ascii") + eol


def rfc_date(when, offset_minutes):
    """An RFC 5322 Date: value for `when` shown in the given zone."""
    tz = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
    t = when.astimezone(tz)
    sign = "+" if offset_minutes >= 0 else "-"
    off = abs(offset_minutes)
    return "%s, %02d %s %d %02d:%02d:%02d %s%02d%02d" % (
        WEEKDAYS[t.weekday()], t.day, MONTHS[t.month - 1], t.year,
        t.hour, t.minute, t.second, sign, off // 60, off % 60)


def message(headers, body, eol=b"\n", final_newline=True):
    """Header list of (name, value) plus body -> bytes.

    A value may contain "\\n" followed by whitespace: that is a folded
    header, written as separate physical lines.  `body` is str (encoded as
    UTF-8) or bytes (kept as is); its lines are joined with `eol`.
    """
    out = []
    for name, value in headers:
        out.append(("%s: %s" % (name, value)).encode("utf-8"))
    head = eol.join(out) + eol + eol
    if isinstance(body, str):
        body = body.encode("utf-8")
    lines = body.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    data = head + eol.join(lines)
    if final_newline:
        data += eol
    return data


def mboxrd_quote(data):
    """Prepend '>' to every line matching ^>*From  (the mboxrd rule)."""
    out = []
    for line in data.split(b"\n"):
        if line.lstrip(b">").startswith(b"From "):
            line = b">" + line
        out.append(line)
    return b"\n".join(out)


def received(by, frm, ip, when, qid):
    return ("from %s (%s [%s])\n\tby %s (Postfix) with ESMTPS id %s\n"
            "\tfor <mailbox@example.org>; %s" % (
                frm, frm, ip, by, qid, rfc_date(when, 60)))


def png_chart():
    """A 24x24 RGB gradient PNG, stored (level 0) so its bytes never depend
    on the zlib version."""
    w = h = 24
    raw = b"".join(
        b"\x00" + b"".join(bytes((x * 10, y * 10, 128)) for x in range(w))
        for y in range(h))

    def chunk(kind, payload):
        c = struct.pack(">I", len(payload)) + kind + payload
        return c + struct.pack(">I", zlib.crc32(kind + payload) & 0xffffffff)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b""))


def b64_lines(data):
    return base64.encodebytes(data).decode("ascii")


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def nfc(s):
    return unicodedata.normalize("NFC", s)


# --------------------------------------------------------------------------
# samples/mbox/inbox.mbox: the mboxrd edge cases, one message each.

def inbox_messages():
    """Yield (from_sender, when, bytes, eol, zero_pad) for inbox.mbox."""
    # 1. Folded Received: and Subject:, body starting with a "From " line,
    #    read.
    t = utc(2024, 1, 2, 9, 30, 0)
    yield ("alice@example.org", t, message([
        ("Return-Path", "<alice@example.org>"),
        ("Received", received("mx.example.org", "mail.example.com",
                              "192.0.2.10", t, "4T3kQ81Zz9z1")),
        ("Received", received("mail.example.com", "laptop.example.com",
                              "198.51.100.7", t, "4T3kQ7Yw2Xz2")),
        ("Date", rfc_date(t, 60)),
        ("From", "Alice Example <alice@example.org>"),
        ("To", "Team <team@example.org>"),
        ("Subject", "Quarterly planning meeting: agenda, room booking\n"
                    " and the catering question"),
        ("Message-ID", "<20240102093000.1001@example.org>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii"),
        ("Content-Transfer-Encoding", "7bit"),
        ("Status", "RO"),
    ], "From the desk of Alice: the planning meeting moves to Thursday.\n"
       "\n"
       "Agenda:\n"
       "  1. Budget\n"
       "  2. Room booking\n"
       "\n"
       "From now on we meet in room 4.12.\n"
       "\n"
       "Alice\n"), b"\n", False)

    # 2. A reply quoting lines that begin with ">From " and ">>From ":
    #    stored as ">>From " and ">>>From ".  Read and answered.
    t = utc(2024, 1, 2, 11, 5, 42)
    yield ("bob@example.com", t, message([
        ("Return-Path", "<bob@example.com>"),
        ("Received", received("mx.example.org", "mail.example.com",
                              "192.0.2.11", t, "4T3kT01Abz9z")),
        ("Date", rfc_date(t, -300)),
        ("From", "Bob Sample <bob@example.com>"),
        ("To", "Alice Example <alice@example.org>"),
        ("Subject", "Re: Quarterly planning meeting: agenda, room booking\n"
                    " and the catering question"),
        ("Message-ID", "<CAB0b-2024-0001@mail.example.com>"),
        ("In-Reply-To", "<20240102093000.1001@example.org>"),
        ("References", "<20240102093000.1001@example.org>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii"),
        ("Status", "RO"),
        ("X-Status", "A"),
    ], "Thursday works for me.\n"
       "\n"
       "Alice wrote:\n"
       ">From the desk of Alice: the planning meeting moves to Thursday.\n"
       ">\n"
       ">>From an older thread: catering is on us this time.\n"
       "\n"
       "Bob\n"), b"\n", False)

    # 3. Latin-1 8-bit body (raw bytes >= 0x80), encoded-word headers,
    #    unread.
    t = utc(2024, 1, 15, 7, 12, 3)
    body = ("Hallo Alice,\n"
            "\n"
            "viele Grüße aus Köln! Das Café am Dom hat wieder geöffnet,\n"
            "und der Kaffee kostet immer noch 3,50 (Größe M, süß).\n"
            "Ça va?  Ñandú, façade, naïve, Ærø -- ±½ °C.\n"
            "\n"
            "Jürgen\n")
    yield ("juergen@example.de", t, message([
        ("Return-Path", "<juergen@example.de>"),
        ("Received", received("mx.example.org", "smtp.example.de",
                              "203.0.113.5", t, "4T9xC21LkRz4")),
        ("Date", rfc_date(t, 60)),
        ("From", "=?iso-8859-1?Q?J=FCrgen_M=FCller?= <juergen@example.de>"),
        ("To", "alice@example.org"),
        ("Subject", "=?iso-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?="),
        ("Message-ID", "<5f1e.20240115071203@smtp.example.de>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=iso-8859-1"),
        ("Content-Transfer-Encoding", "8bit"),
        ("Status", "O"),
    ], body.encode("iso-8859-1")), b"\n", False)

    # 4. multipart/mixed with a base64 PNG attachment; read and flagged.
    t = utc(2024, 2, 1, 16, 45, 0)
    boundary = "=_mailsave_sample_0004"
    body = ("This is a multi-part message in MIME format.\n"
            "\n"
            "--%s\n"
            "Content-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 7bit\n"
            "\n"
            "The chart for the board is attached.\n"
            "\n"
            "Carol\n"
            "\n"
            "--%s\n"
            "Content-Type: image/png; name=\"chart.png\"\n"
            "Content-Disposition: attachment; filename=\"chart.png\"\n"
            "Content-Transfer-Encoding: base64\n"
            "\n"
            "%s"
            "--%s--\n") % (boundary, boundary, b64_lines(png_chart()),
                           boundary)
    yield ("carol@example.com", t, message([
        ("Return-Path", "<carol@example.com>"),
        ("Received", received("mx.example.org", "mail.example.com",
                              "192.0.2.12", t, "4TQ9m51Hh0z7")),
        ("Date", rfc_date(t, 0)),
        ("From", "Carol Writer <carol@example.com>"),
        ("To", "Alice Example <alice@example.org>"),
        ("Subject", "Board chart (attachment)"),
        ("Message-ID", "<chart-0004@mail.example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "multipart/mixed;\n boundary=\"%s\"" % boundary),
        ("Status", "RO"),
        ("X-Status", "F"),
    ], body), b"\n", False)

    # 5. CRLF line endings throughout (From_ line and separator too), the
    #    way current Thunderbird writes them; read.
    t = utc(2024, 2, 10, 20, 0, 1)
    yield ("dave@example.net", t, message([
        ("Return-Path", "<dave@example.net>"),
        ("Received", received("mx.example.org", "relay.example.net",
                              "198.51.100.20", t, "4TWq8Z0Abcz1")),
        ("Date", rfc_date(t, 60)),
        ("From", "Dave Tester <dave@example.net>"),
        ("To", "alice@example.org"),
        ("Subject", "Written on Windows (CRLF)"),
        ("Message-ID", "<crlf.20240210200001@relay.example.net>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii; format=flowed"),
        ("Status", "RO"),
    ], "Every line of this message ends in CR LF.\n"
       "\n"
       "From a Windows machine, with love.\n"
       "\n"
       "Dave\n"), b"\r\n", False)

    # 6. A draft (X-Status: T); "Fromage" and "From:" lines need no quoting.
    t = utc(2024, 2, 14, 8, 0, 0)
    yield ("alice@example.org", t, message([
        ("Date", rfc_date(t, 60)),
        ("From", "Alice Example <alice@example.org>"),
        ("To", "Bob Sample <bob@example.com>"),
        ("Subject", "Draft: shopping list"),
        ("Message-ID", "<draft-0006@example.org>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii"),
        ("Status", "RO"),
        ("X-Status", "T"),
    ], "Fromage (comté, brie)\n"
       "From: the market, not the supermarket\n"
       "From\n"
       " From the bakery: bread\n"), b"\n", False)

    # 7. multipart/alternative, quoted-printable; marked deleted (D).
    t = utc(2024, 2, 20, 12, 30, 0)
    boundary = "=_mailsave_sample_0007"
    body = ("--%s\n"
            "Content-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: quoted-printable\n"
            "\n"
            "Your weekly digest: 3 new posts.=20\n"
            "Unsubscribe: https://lists.example.com/u/alice\n"
            "\n"
            "--%s\n"
            "Content-Type: text/html; charset=utf-8\n"
            "Content-Transfer-Encoding: quoted-printable\n"
            "\n"
            "<html><body><p>Your weekly digest: <b>3 new posts</b>.</p>=\n"
            "<p><a href=3D\"https://lists.example.com/u/alice\">Unsubscribe</a>=\n"
            "</p></body></html>\n"
            "\n"
            "--%s--\n") % (boundary, boundary, boundary)
    yield ("digest@lists.example.com", t, message([
        ("Return-Path", "<bounce-7@lists.example.com>"),
        ("Received", received("mx.example.org", "lists.example.com",
                              "192.0.2.99", t, "4TZ1k90Qq4z3")),
        ("Date", rfc_date(t, 0)),
        ("From", "Example Digest <digest@lists.example.com>"),
        ("To", "alice@example.org"),
        ("Subject", "Weekly digest"),
        ("Message-ID", "<digest-2024-08@lists.example.com>"),
        ("List-Id", "Example digest <digest.lists.example.com>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "multipart/alternative;\n\tboundary=\"%s\"" %
         boundary),
        ("Status", "RO"),
        ("X-Status", "D"),
    ], body), b"\n", False)

    # 8. The last message: zero-padded From_ day, read, answered and
    #    flagged, and no final newline at all.
    t = utc(2024, 3, 1, 18, 45, 10)
    yield ("dana@example.net", t, message([
        ("Return-Path", "<dana@example.net>"),
        ("Received", received("mx.example.org", "mail.example.net",
                              "203.0.113.77", t, "4Tn2bC5Xyzz8")),
        ("Date", rfc_date(t, 60)),
        ("From", "Dana Last <dana@example.net>"),
        ("To", "alice@example.org"),
        ("Subject", "No newline at the end"),
        ("Message-ID", "<eof-0008@mail.example.net>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii"),
        ("Status", "RO"),
        ("X-Status", "AF"),
    ], "This message is the last one in the file and its last line has\n"
       "no line terminator.\n"
       "\n"
       "Cheers, Dana", final_newline=False), b"\n", True)


def make_inbox(outdir):
    data = b""
    for sender, when, msg, eol, zero_pad in inbox_messages():
        if eol == b"\r\n":
            quoted = mboxrd_quote(msg.replace(b"\r\n", b"\n"))
            quoted = quoted.replace(b"\n", b"\r\n")
        else:
            quoted = mboxrd_quote(msg)
        data += from_line(sender, when, zero_pad, eol) + quoted
        if quoted.endswith(eol):
            data += eol		# the separating blank line
    write(os.path.join(outdir, "mbox", "inbox.mbox"), data)


# --------------------------------------------------------------------------
# Simple plain-text messages for the folder trees.

def simple(n, frm, to, subject, when, body, offset=60, extra=(),
           charset="us-ascii", cte=None, msgid_domain="example.org"):
    headers = [
        ("Return-Path", "<%s>" % frm.split("<")[-1].rstrip(">")),
        ("Date", rfc_date(when, offset)),
        ("From", frm),
        ("To", to),
        ("Subject", subject),
        ("Message-ID", "<sample-%04d@%s>" % (n, msgid_domain)),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=%s" % charset),
    ]
    if cte:
        headers.append(("Content-Transfer-Encoding", cte))
    headers.extend(extra)
    return message(headers, body)


def mbox_file(msgs, zero_pad=False):
    """Join (sender, when, bytes) into an mboxrd file.

    Apple's "Export Mailbox" appends exactly one "\\n" after every message,
    even when the message already ends in a blank line.
    """
    out = b""
    for sender, when, msg in msgs:
        out += from_line(sender, when, zero_pad) + mboxrd_quote(msg)
        out += b"\n"
    return out


def make_mbox_tree(outdir):
    root = os.path.join(outdir, "mbox-tree")
    a = "Alice Example <alice@example.org>"
    b = "Bob Sample <bob@example.com>"
    c = "Carol Writer <carol@example.com>"

    inbox = [
        ("bob@example.com", utc(2024, 4, 2, 8, 0, 0), simple(
            101, b, a, "Lunch on Friday?", utc(2024, 4, 2, 8, 0, 0),
            "Shall we try the new place on Friday?\n\nBob\n",
            extra=[("Status", "O")])),
        ("carol@example.com", utc(2024, 4, 3, 9, 15, 0), simple(
            102, c, a, "Minutes of the board meeting",
            utc(2024, 4, 3, 9, 15, 0),
            "Minutes are in the shared folder.\n\n"
            "From page 3 on it is mostly budget.\n\nCarol\n",
            extra=[("Status", "RO")])),
        ("bob@example.com", utc(2024, 4, 4, 17, 30, 0), simple(
            103, b, a, "Re: Lunch on Friday?", utc(2024, 4, 4, 17, 30, 0),
            "Great, 12:30 then.\n",
            extra=[("In-Reply-To", "<sample-0101@example.org>"),
                   ("Status", "RO"), ("X-Status", "AF")])),
    ]
    write(os.path.join(root, "INBOX.mbox"), mbox_file(inbox))

    archive = [
        ("alice@example.org", utc(2024, 1, 5, 10, 0, 0), simple(
            111, a, b, "Happy new year", utc(2024, 1, 5, 10, 0, 0),
            "All the best for 2024!\n", extra=[("Status", "RO")])),
        ("bob@example.com", utc(2024, 6, 30, 23, 59, 59), simple(
            112, b, a, "Half-year report", utc(2024, 6, 30, 23, 59, 59),
            "The half-year report is done.\n",
            extra=[("Status", "RO"), ("X-Status", "A")])),
    ]
    write(os.path.join(root, "Archive", "2024.mbox"), mbox_file(archive))
    # An empty (0-byte) mailbox: a folder with no messages.
    write(os.path.join(root, "Archive", "Leer.mbox"), b"")

    projekte = [
        ("juergen@example.de", utc(2024, 5, 6, 7, 45, 0), simple(
            121, "=?utf-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>",
            a, "=?utf-8?Q?=C3=9Cbersicht_=C3=BCber_alle_Projekte?=",
            utc(2024, 5, 6, 7, 45, 0),
            "Hier die Übersicht über alle laufenden Projekte:\n\n"
            "  • Straßenbahn-Ausschreibung\n  • Größenänderung Büro\n",
            charset="utf-8", cte="8bit", msgid_domain="example.de",
            extra=[("Status", "RO")])),
        ("alice@example.org", utc(2024, 5, 7, 12, 0, 0), simple(
            122, a, "=?utf-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>",
            "Re: =?utf-8?Q?=C3=9Cbersicht_=C3=BCber_alle_Projekte?=",
            utc(2024, 5, 7, 12, 0, 0),
            "Danke, Jürgen!\n", charset="utf-8", cte="8bit",
            extra=[("Status", "RO"), ("X-Status", "A")])),
    ]
    write(os.path.join(root, "Projekte", nfc("Übersicht.mbox")),
          mbox_file(projekte))

    kunden = [
        ("sales@acme.example", utc(2024, 7, 1, 9, 0, 0), simple(
            131, "Acme Sales <sales@acme.example>", a,
            "Order #4711 confirmed", utc(2024, 7, 1, 9, 0, 0),
            "Your order #4711 has been confirmed.\n",
            msgid_domain="acme.example", extra=[("Status", "O")])),
    ]
    write(os.path.join(root, "Projekte", "Kunden", "Acme.mbox"),
          mbox_file(kunden))

    body_ja = "こんにちは、アリスさん。\n来週の会議の資料を送ります。\n\n山田\n"
    nihongo = [
        ("yamada@example.jp", utc(2024, 8, 8, 1, 2, 3), message([
            ("Return-Path", "<yamada@example.jp>"),
            ("Date", rfc_date(utc(2024, 8, 8, 1, 2, 3), 540)),
            ("From", "=?UTF-8?B?5bGx55Sw?= <yamada@example.jp>"),
            ("To", a),
            ("Subject", "=?UTF-8?B?5p2l6YCx44Gu5Lya6K2w?="),
            ("Message-ID", "<sample-0141@example.jp>"),
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=UTF-8"),
            ("Content-Transfer-Encoding", "base64"),
            ("Status", "RO"),
        ], b64_lines(body_ja.encode("utf-8")))),
    ]
    write(os.path.join(root, nfc("日本語.mbox")), mbox_file(nihongo))


# --------------------------------------------------------------------------
# An Apple Mail "Export Mailbox..." bundle, with one child mailbox.

INFO_PLIST = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>MailboxName</key>
	<string>%s</string>
</dict>
</plist>
"""


def make_apple_export(outdir):
    root = os.path.join(outdir, "apple-export")
    a = "Alice Example <alice@example.org>"
    c = "Carol Writer <carol@example.com>"
    e = "Erin Client <erin@client.example>"
    # Apple writes the From_ date in the exporting machine's local time with
    # a zero-padded day and no zone; these are CET wall-clock times.
    work = [
        ("carol@example.com", utc(2024, 3, 4, 9, 5, 0), simple(
            201, c, a, "Sprint review notes", utc(2024, 3, 4, 8, 5, 0),
            "Notes from the sprint review:\n\n"
            "From the demo: the export works.\n"
            ">From the audience: what about Apple Mail?\n\nCarol\n",
            msgid_domain="example.com")),
        ("alice@example.org", utc(2024, 3, 5, 14, 20, 33), simple(
            202, a, c, "Re: Sprint review notes", utc(2024, 3, 5, 13, 20, 33),
            "Thanks, Carol.  This body ends with a blank line.\n\n",
            msgid_domain="example.org")),
        ("carol@example.com", utc(2024, 3, 7, 7, 1, 9), simple(
            203, c, a, "Office closed on Friday", utc(2024, 3, 7, 6, 1, 9),
            "The office is closed on Friday.\n", msgid_domain="example.com")),
    ]
    write(os.path.join(root, "Work.mbox", "mbox"),
          mbox_file(work, zero_pad=True))
    write(os.path.join(root, "Work.mbox", "Info.plist"),
          (INFO_PLIST % "Work").encode("utf-8"))

    clients = [
        ("erin@client.example", utc(2024, 3, 8, 10, 0, 0), simple(
            211, e, a, "Contract renewal", utc(2024, 3, 8, 9, 0, 0),
            "Please find our renewal terms below.\n",
            msgid_domain="client.example")),
        ("alice@example.org", utc(2024, 3, 9, 11, 30, 0), simple(
            212, a, e, "Re: Contract renewal", utc(2024, 3, 9, 10, 30, 0),
            "Looks good, signed copy follows.\n",
            msgid_domain="example.org")),
    ]
    write(os.path.join(root, "Work", "Clients.mbox", "mbox"),
          mbox_file(clients, zero_pad=True))
    write(os.path.join(root, "Work", "Clients.mbox", "Info.plist"),
          (INFO_PLIST % "Work/Clients").encode("utf-8"))


# --------------------------------------------------------------------------
# A Maildir++ tree.

def make_maildir(outdir):
    root = os.path.join(outdir, "maildir")
    a = "Alice Example <alice@example.org>"
    b = "Bob Sample <bob@example.com>"
    c = "Carol Writer <carol@example.com>"

    def put(folder, sub, name, data):
        write(os.path.join(root, folder, sub, name), data)

    def uniq(n, when):
        return "%d.M%dP4242Q%d.mailhost" % (int(when.timestamp()), 300 + n, n)

    inbox = [
        ("S", b, "Seen message", "A message that has been read.\n"),
        ("FS", c, "Flagged and seen", "Important: flagged for follow-up.\n"),
        ("RS", b, "Replied to", "This one got an answer.\n"),
        ("", c, "In cur, no flags",
         "Seen by a client (moved to cur/) but not read.\n"),
        ("DS", a, "A draft in the inbox", "Unfinished draft.\n"),
        ("Sa", b, "Seen, with keyword a",
         "Keyword letter a (dovecot-keywords: projectx).\n"),
    ]
    for i, (flags, frm, subj, body) in enumerate(inbox, 1):
        t = utc(2024, 1, 10 + i, 10, 0, 0)
        put("", "cur", "%s:2,%s" % (uniq(i, t), flags),
            simple(300 + i, frm, a, subj, t, body))
    t = utc(2024, 1, 20, 6, 30, 0)
    put("", "new", uniq(7, t),
        simple(307, c, a, "Brand new", t,
               "Delivered to new/, never seen by a client.\n"))
    put("", "tmp", ".keep", b"")
    write(os.path.join(root, "dovecot-keywords"), b"0 projectx\n")

    sent = [("S", "Sent: meeting notes"), ("RS", "Sent: answered later")]
    for i, (flags, subj) in enumerate(sent, 11):
        t = utc(2024, 2, i, 15, 0, 0)
        put(".Sent", "cur", "%s:2,%s" % (uniq(i, t), flags),
            simple(300 + i, a, b, subj, t, "Sent by Alice.\n"))

    arch = [("S", "Old news"), ("FS", "Old but flagged")]
    for i, (flags, subj) in enumerate(arch, 21):
        t = utc(2023, 11, i - 10, 9, 0, 0)
        put(".Archive.2023", "cur", "%s:2,%s" % (uniq(i, t), flags),
            simple(300 + i, b, a, subj, t, "From the 2023 archive.\n"))

    drafts = nfc(".Entwürfe")
    t = utc(2024, 3, 3, 21, 0, 0)
    put(drafts, "cur", "%s:2,DS" % uniq(31, t),
        simple(331, a, "=?utf-8?Q?J=C3=BCrgen?= <juergen@example.de>",
               "=?utf-8?Q?Entwurf:_Gr=C3=BC=C3=9Fe?=", t,
               "Liebe Grüße, noch nicht fertig.\n", charset="utf-8",
               cte="8bit"))

    # Every new/ holds a message (git keeps no empty directory, and not
    # every reader skips dot files in new/: Python's mailbox.Maildir does
    # not); only tmp/ gets an empty ".keep", which no reader opens.
    news = [(".Sent", a, b, "Sent copy, still in new/"),
            (".Archive.2023", b, a, "Archived without being read"),
            (drafts, a, b, "Entwurf in new/")]
    for i, (folder, frm, to, subj) in enumerate(news, 41):
        t = utc(2024, 4, i - 30, 8, 0, 0)
        put(folder, "new", uniq(i, t),
            simple(300 + i, frm, to, subj, t, "A message in new/.\n"))
        write(os.path.join(root, folder, "maildirfolder"), b"")
        put(folder, "tmp", ".keep", b"")


# --------------------------------------------------------------------------
# A folder tree of .eml files.

def make_eml(outdir):
    root = os.path.join(outdir, "eml")
    a = "Alice Example <alice@example.org>"
    b = "Bob Sample <bob@example.com>"
    c = "Carol Writer <carol@example.com>"

    t = utc(2024, 9, 2, 8, 0, 0)
    write(os.path.join(root, "Inbox", "2024-09-02 Welcome.eml"),
          simple(401, b, a, "Welcome aboard", t,
                 "Welcome to the team, Alice.\n\nFrom all of us, Bob\n"))
    t = utc(2024, 9, 3, 9, 30, 0)
    write(os.path.join(root, "Inbox", "2024-09-03 Windows.eml"),
          simple(402, c, a, "Saved on Windows (CRLF)", t,
                 "This .eml file uses CR LF line endings.\n").replace(
                     b"\n", b"\r\n"))
    t = utc(2024, 9, 4, 17, 0, 0)
    write(os.path.join(root, "Inbox", "2024-09-04 Umlaute.eml"),
          simple(403, "=?utf-8?Q?J=C3=BCrgen?= <juergen@example.de>", a,
                 "=?utf-8?Q?Sch=C3=B6ne_Gr=C3=BC=C3=9Fe?=", t,
                 "Schöne Grüße aus München.\n", charset="utf-8",
                 cte="8bit"))
    t = utc(2024, 10, 1, 12, 0, 0)
    write(os.path.join(root, "Projects", nfc("Angebot für Kunde.eml")),
          simple(411, a, "Erin Client <erin@client.example>",
                 "Offer", t, "Our offer is attached in spirit.\n"))
    t = utc(2024, 10, 2, 12, 0, 0)
    write(os.path.join(root, "Projects", "status-report.eml"),
          simple(412, c, a, "Status report", t,
                 "All projects are on track.\n"))


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.dirname(os.path.abspath(__file__))
    for sub in GENERATED:
        shutil.rmtree(os.path.join(outdir, sub), ignore_errors=True)
    make_inbox(outdir)
    make_mbox_tree(outdir)
    make_apple_export(outdir)
    make_maildir(outdir)
    make_eml(outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
