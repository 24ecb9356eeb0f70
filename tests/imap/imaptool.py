#!/usr/bin/env python3
"""Seed the test Dovecot and check what mailsave exported from it.

This is the independent side of the IMAP tests: it talks to Dovecot with
Python's imaplib (over TLS, trusting the suite's CA), never with mailsave's
code.  The connection details come from the environment the tests source
from start.sh's env file (MAILSAVE_IMAPS_PORT, MAILSAVE_TEST_CA).

Commands (USER and PASS are an account in the passwd-file):
  wait-login USER PASS           wait until a new account can log in
  seed USER PASS                 the standard corpus (folders, flags,
                                 keywords, internal dates, odd bodies)
  append USER PASS FOLDER FLAGS DATE FILE   one message; prints its UID
  big USER PASS FOLDER MB        one MB-megabyte message; prints its size
  dump USER PASS OUT             the oracle: one line per message,
                                 folder<TAB>uid<TAB>flags<TAB>date<TAB>size<TAB>sha256
                                 (flags sorted, \\Recent left out)
  pop3-dump USER PASS OUT        the same from POP3 (poplib), INBOX only
  recreate USER PASS FOLDER      delete and create FOLDER again with the
                                 same messages (a new UIDVALIDITY)
  uidvalidity USER PASS FOLDER   print the folder's UIDVALIDITY
  gmail-seed USER PASS           a Gmail-like layout: every message in
                                 "[Gmail]/Alle Nachrichten" (\\All), the
                                 same bytes again in label folders, one
                                 message in [Gmail]/Spam only
  check-eml ORACLE DIR           DIR (eml export) holds exactly ORACLE
  check-maildir ORACLE DIR       DIR (maildir export) holds ORACLE, flags too
  create USER PASS FOLDER         create FOLDER (a display path)
  check-mbox ORACLE DIR          DIR (mbox export) holds ORACLE, flags and
                                 dates too, read with Python's mailbox
Folder names in the oracle are display paths: modified UTF-7 decoded
here, the hierarchy delimiter made '/'.
"""
import base64
import calendar
import email.utils
import hashlib
import imaplib
import mailbox
import os
import poplib
import random
import re
import ssl
import sys
import time

HOST = "127.0.0.1"


def connect(user, password):
    ctx = ssl.create_default_context(cafile=os.environ["MAILSAVE_TEST_CA"])
    m = imaplib.IMAP4_SSL(HOST, int(os.environ["MAILSAVE_IMAPS_PORT"]),
                          ssl_context=ctx)
    m.login(user, password)
    return m


# --- modified UTF-7 (RFC 3501 5.1.3), written here independently ---

def mutf7_encode(s):
    out, buf = [], []

    def flush():
        if buf:
            raw = "".join(buf).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=")
                       .replace("/", ",") + "-")
            buf.clear()
    for ch in s:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def mutf7_decode(s):
    def dec(m):
        body = m.group(1)
        if body == "":
            return "&"
        b = body.replace(",", "/")
        b += "=" * (-len(b) % 4)
        return base64.b64decode(b).decode("utf-16-be")
    return re.sub(r"&([^-]*)-", dec, s)


def quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


LIST_RE = re.compile(rb'\((?P<flags>[^)]*)\) (?P<delim>"[^"]*"|NIL) (?P<name>.*)')


def folders(m):
    """(raw name, display name) of every selectable folder."""
    typ, data = m.list('""', "*")
    assert typ == "OK", data
    result = []
    for item in data:
        if isinstance(item, tuple):      # a literal name
            head, name = item[0], item[1]
            mm = LIST_RE.match(head)
        else:
            mm = LIST_RE.match(item)
            name = mm.group("name")
            if name.startswith(b'"'):
                name = name[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
        flags = mm.group("flags").decode().lower()
        if "\\noselect" in flags or "\\nonexistent" in flags:
            continue
        delim = mm.group("delim")
        delim = None if delim == b"NIL" else delim[1:-1].decode()
        raw = name.decode()
        disp = mutf7_decode(raw)
        if delim:
            disp = "/".join(disp.split(delim))
        if disp.upper() == "INBOX":
            disp = "INBOX"
        result.append((raw, disp))
    return result


def imap_date(epoch):
    return imaplib.Time2Internaldate(epoch)


def append(m, folder_display, flags, epoch, data):
    raw = mutf7_encode(folder_display.replace("/", "."))
    typ, resp = m.append(quote(raw), flags or None,
                         imap_date(epoch) if epoch else None, data)
    assert typ == "OK", resp
    mm = re.search(rb"APPENDUID \d+ (\d+)", resp[0])
    return int(mm.group(1)) if mm else 0


def create(m, folder_display):
    raw = mutf7_encode(folder_display.replace("/", "."))
    typ, resp = m.create(quote(raw))
    assert typ == "OK" or b"exists" in resp[0], resp


def msg(subject, body, frm="Alice <alice@example.org>", extra=b"",
        date="Mon, 14 Sep 2020 10:00:00 +0200", crlf=True):
    head = ("From: %s\r\nTo: bob@example.org\r\nSubject: %s\r\nDate: %s\r\n"
            "Message-ID: <%s@mailsave.test>\r\n" %
            (frm, subject, date,
             hashlib.sha1(subject.encode() + body).hexdigest()[:16]))
    data = head.encode() + extra + b"\r\n" + body
    if not crlf:
        data = data.replace(b"\r\n", b"\n")
    return data


def corpus():
    """(folder, flags, internal date, bytes) of the standard corpus."""
    rnd = random.Random(3000)
    att = base64.encodebytes(bytes(rnd.getrandbits(8)
                                   for _ in range(100_000)))
    att = att.replace(b"\n", b"\r\n")
    multipart = (b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                 b"boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain"
                 b"\r\n\r\nSee the attachment.\r\n--b1\r\nContent-Type: "
                 b"application/octet-stream\r\nContent-Transfer-Encoding: "
                 b"base64\r\nContent-Disposition: attachment; "
                 b"filename=\"data.bin\"\r\n\r\n" + att + b"--b1--\r\n")
    d0 = 1600000000
    return [
        ("INBOX", "", d0, msg("plain", b"Hello Bob.\r\n")),
        ("INBOX", "\\Seen \\Answered", d0 + 3600,
         msg("=?UTF-8?Q?caf=C3=A9?=",
             "Un café, déjà vu, 日本語.\r\n".encode(),
             extra=b"Content-Type: text/plain; charset=utf-8\r\n"
                   b"Content-Transfer-Encoding: 8bit\r\n")),
        ("INBOX", "\\Flagged $Forwarded Project-X", d0 + 7200,
         msg("from lines", b"From the start\r\n>From quoted\r\n"
             b">>From twice\r\n\r\nFrom me again\r\n")),
        ("INBOX", "\\Draft", d0 + 10800,
         msg("no final newline", b"last line without CRLF")),
        ("INBOX", "$Junk", d0 + 14400, msg("attachment", multipart)),
        ("INBOX", "\\Deleted $NotJunk", d0 + 18000,
         msg("deleted", b"Marked deleted, not expunged.\r\n")),
        ("INBOX", "\\Seen", d0 + 21600,
         b"Subject: headers only\r\nFrom: x@example.org\r\n"),
        ("INBOX", "\\Seen $label1 $label2", 1262304000,
         msg("folded header", b"Body.\r\n",
             extra=b"X-Long: one\r\n two\r\n\tthree\r\n")),
        ("Archive/2024", "\\Seen", d0 - 86400, msg("archived 1", b"a1\r\n")),
        ("Archive/2024", "\\Seen \\Flagged", d0 - 2 * 86400,
         msg("archived 2", b"a2\r\n")),
        ("Archive/2023/Q1", "", 1672531200, msg("deep", b"deep\r\n")),
        ("Données/Été", "\\Answered", d0 + 100,
         msg("unicode folder", "Été\r\n".encode(),
             extra=b"Content-Type: text/plain; charset=utf-8\r\n")),
        ("日本語", "\\Seen", d0 + 200, msg("cjk folder", b"cjk\r\n")),
        ("Work & Play", "$Forwarded", d0 + 300,
         msg("ampersand folder", b"amp\r\n")),
    ]


def cmd_wait_login(user, password):
    """Dovecot re-reads the passwd-file at most once a second."""
    for _ in range(50):
        try:
            connect(user, password).logout()
            return
        except imaplib.IMAP4.error:
            time.sleep(0.1)
    connect(user, password).logout()


def cmd_seed(user, password):
    m = connect(user, password)
    for f in ("Archive/2024", "Archive/2023/Q1", "Données/Été", "日本語",
              "Work & Play", "Empty"):
        create(m, f)
    for folder, flags, date, data in corpus():
        append(m, folder, "(%s)" % flags if flags else None, date, data)
    m.logout()


def cmd_create(user, password, folder):
    m = connect(user, password)
    create(m, folder)
    m.logout()


def cmd_append(user, password, folder, flags, date, path):
    m = connect(user, password)
    with open(path, "rb") as f:
        data = f.read()
    uid = append(m, folder, "(%s)" % flags if flags else None,
                 int(date) if date else None, data)
    m.logout()
    print(uid)


def big_message(mb):
    """About MB megabytes: a text part and a base64 attachment."""
    rnd = random.Random(mb)
    head = msg("big message", b"", extra=b"MIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=\"bb\"\r\n")
    parts = [head, b"--bb\r\nContent-Type: text/plain\r\n\r\nBig.\r\n"
             b"From here on, data.\r\n--bb\r\nContent-Type: "
             b"application/octet-stream\r\nContent-Transfer-Encoding: "
             b"base64\r\n\r\n"]
    total = sum(len(p) for p in parts)
    line_raw = 57
    chunk = bytes(rnd.getrandbits(8) for _ in range(line_raw * 1024))
    while total < mb * 1024 * 1024:
        enc = base64.encodebytes(chunk).replace(b"\n", b"\r\n")
        parts.append(enc)
        total += len(enc)
        chunk = hashlib.sha512(chunk[:64]).digest() + chunk[64:]
    parts.append(b"--bb--\r\n")
    return b"".join(parts)


def cmd_big(user, password, folder, mb):
    data = big_message(int(mb))
    m = connect(user, password)
    append(m, folder, "(\\Seen)", 1500000000, data)
    m.logout()
    print(len(data))


FETCH_RE = re.compile(rb"UID (\d+)|FLAGS \(([^)]*)\)|INTERNALDATE \"([^\"]+)\"")


def parse_meta(line):
    uid = flags = date = None
    for mm in FETCH_RE.finditer(line):
        if mm.group(1):
            uid = int(mm.group(1))
        elif mm.group(2) is not None:
            flags = mm.group(2).decode()
        elif mm.group(3):
            date = int(time.mktime(imaplib.Internaldate2tuple(
                b'INTERNALDATE "' + mm.group(3) + b'"')))
    fl = sorted(f for f in flags.split() if f != "\\Recent")
    return uid, " ".join(fl), date


def cmd_dump(user, password, out):
    m = connect(user, password)
    lines = []
    for raw, disp in folders(m):
        typ, data = m.select(quote(raw), readonly=True)
        assert typ == "OK", data
        typ, data = m.uid("SEARCH", "ALL")
        uids = data[0].split()
        for u in uids:
            typ, data = m.uid("FETCH", u, "(UID FLAGS INTERNALDATE "
                              "BODY.PEEK[])")
            assert typ == "OK", data
            meta, body = data[0]
            uid, flags, date = parse_meta(meta)
            norm = normalise(strip_status(normalise(body)))
            lines.append("%s\t%d\t%s\t%d\t%d\t%s\t%s" % (
                disp, uid, flags, date, len(body),
                hashlib.sha256(body).hexdigest(),
                hashlib.sha256(norm).hexdigest()))
    m.logout()
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(sorted(lines)) + ("\n" if lines else ""))


def cmd_pop3_dump(user, password, out):
    """The POP3 oracle: what poplib RETRieves, as INBOX rows (no flags and
    no dates: POP3 has neither).  The session ends without QUIT, so the
    server changes nothing."""
    ctx = ssl.create_default_context(cafile=os.environ["MAILSAVE_TEST_CA"])
    p = poplib.POP3_SSL(HOST, int(os.environ["MAILSAVE_POP3S_PORT"]),
                        context=ctx)
    p.user(user)
    p.pass_(password)
    lines = []
    for n in range(1, len(p.list()[1]) + 1):
        body = b"\r\n".join(p.retr(n)[1]) + b"\r\n"
        lines.append("INBOX\t%d\t\t0\t%d\t%s\t%s" % (
            n, len(body), hashlib.sha256(body).hexdigest(),
            hashlib.sha256(normalise(strip_status(normalise(body))))
            .hexdigest()))
    p.sock.close()
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(sorted(lines)) + ("\n" if lines else ""))


def cmd_recreate(user, password, folder):
    m = connect(user, password)
    raw = quote(mutf7_encode(folder.replace("/", ".")))
    typ, data = m.select(raw, readonly=True)
    assert typ == "OK", data
    typ, data = m.uid("SEARCH", "ALL")
    saved = []
    for u in data[0].split():
        typ, data = m.uid("FETCH", u, "(FLAGS INTERNALDATE BODY.PEEK[])")
        meta, body = data[0]
        _, flags, date = parse_meta(meta)
        saved.append((flags, date, body))
    m.close()
    assert m.delete(raw)[0] == "OK"
    assert m.create(raw)[0] == "OK"
    for flags, date, body in saved:
        append(m, folder, "(%s)" % flags if flags else None, date, body)
    m.logout()


def cmd_uidvalidity(user, password, folder):
    m = connect(user, password)
    raw = quote(mutf7_encode(folder.replace("/", ".")))
    typ, data = m.status(raw, "(UIDVALIDITY)")
    m.logout()
    print(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1).decode())


def gmail_corpus():
    """(message, label folders) of the Gmail layout, and the Spam one."""
    def body(i, lines):
        return b"".join(b"Line %d of message %d, long enough to count.\r\n"
                        % (n, i) for n in range(lines))
    msgs = [msg("gmail %d" % i, body(i, 300 + 40 * i)) for i in range(1, 7)]
    msgs.append(b"From: nobody@example.org\r\nSubject: gmail 7, no "
                b"Message-ID\r\n\r\n" + body(7, 350))
    labels = [["INBOX", "Donn\u00e9es"], ["INBOX", "Work"], ["Work"],
              ["Work/Projects"], ["[Gmail]/Sent Mail"], ["Donn\u00e9es"],
              ["INBOX"]]
    spam = msg("spam", body(8, 200))
    return list(zip(msgs, labels)), spam


def cmd_gmail_seed(user, password):
    m = connect(user, password)
    for f in ("[Gmail]/Alle Nachrichten", "[Gmail]/Sent Mail",
              "[Gmail]/Spam", "Work", "Work/Projects", "Donn\u00e9es"):
        create(m, f)
    d0 = 1600000000
    corpus, spam = gmail_corpus()
    for i, (data, labels) in enumerate(corpus):
        flags = "(\\Seen)" if i % 2 == 0 else None
        for folder in ["[Gmail]/Alle Nachrichten"] + labels:
            append(m, folder, flags, d0 + 3600 * i, data)
    append(m, "[Gmail]/Spam", None, d0 - 3600, spam)
    m.logout()


# --- checks of an export against the oracle ---

def read_oracle(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            folder, uid, flags, date, size, sha, msha = \
                line.rstrip("\n").split("\t")
            rows.append(dict(folder=folder, uid=int(uid), flags=flags.split(),
                             date=int(date), size=int(size), sha=sha,
                             mbox_sha=msha))
    return rows


def report(problems):
    for p in problems:
        print("MISMATCH:", p)
    if problems:
        sys.exit(1)
    print("ok")


def compare_sets(oracle, found, what):
    """oracle, found: lists of (folder, sha, extra...) keys."""
    problems = []
    want = sorted(oracle)
    got = sorted(found)
    if want != got:
        for x in want:
            if x not in got:
                problems.append("%s: missing %r" % (what, x))
        for x in got:
            if x not in want:
                problems.append("%s: unexpected %r" % (what, x))
        if not problems:
            problems.append("%s: duplicates differ" % what)
    return problems


def walk_files(root, skip_dirs=(".mailsave",)):
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x not in skip_dirs]
        for f in files:
            yield d, f


def cmd_check_eml(oracle_path, root):
    oracle = read_oracle(oracle_path)
    found, dates = [], []
    for d, f in walk_files(root):
        if not f.endswith(".eml"):
            continue
        p = os.path.join(d, f)
        with open(p, "rb") as fh:
            sha = hashlib.sha256(fh.read()).hexdigest()
        found.append((os.path.relpath(d, root), sha))
        dates.append((os.path.relpath(d, root), sha,
                      int(os.stat(p).st_mtime)))
    problems = compare_sets([(r["folder"], r["sha"]) for r in oracle], found,
                            "eml")
    if not problems and all(r["date"] for r in oracle):
        problems += compare_sets(
            [(r["folder"], r["sha"], r["date"]) for r in oracle], dates,
            "eml mtime = INTERNALDATE")
    report(problems)


MAILDIR_FLAGS = {"S": "\\Seen", "R": "\\Answered", "F": "\\Flagged",
                 "T": "\\Deleted", "D": "\\Draft", "P": "$Forwarded"}


def system_flags(flags):
    return sorted(f for f in flags if f in MAILDIR_FLAGS.values())


def cmd_check_maildir(oracle_path, root):
    oracle = read_oracle(oracle_path)
    found = []
    for d, f in walk_files(root):
        rel = os.path.relpath(d, root)
        if os.path.basename(rel) != "cur":
            continue
        top = os.path.dirname(rel)
        if top in ("", "."):
            folder = "INBOX"
        else:
            assert top.startswith("."), top
            folder = "/".join(top[1:].split("."))
        with open(os.path.join(d, f), "rb") as fh:
            sha = hashlib.sha256(fh.read()).hexdigest()
        info = f.split(":2,", 1)[1] if ":2," in f else ""
        flags = sorted(MAILDIR_FLAGS[c] for c in info if c in MAILDIR_FLAGS)
        found.append((folder, sha, " ".join(flags)))
    report(compare_sets([(r["folder"], r["sha"],
                          " ".join(system_flags(r["flags"])))
                         for r in oracle], found, "maildir"))


def mbox_unquote(data):
    out = []
    for line in data.split(b"\n"):
        if re.match(rb">+From ", line):
            line = line[1:]
        out.append(line)
    return b"\n".join(out)


def strip_status(data):
    """Remove Status, X-Status, X-Keywords fields from the header."""
    end = data.find(b"\n\n")
    head, body = (data, b"") if end < 0 else (data[:end + 1], data[end + 1:])
    out, skip = [], False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and skip:
            continue
        skip = re.match(rb"(?i)(status|x-status|x-keywords):", line) is not None
        if not skip:
            out.append(line)
    return b"\n".join(out) + body


def normalise(data):
    """What an mbox round trip keeps: LF line ends, a final LF."""
    data = data.replace(b"\r\n", b"\n")
    if not data.endswith(b"\n"):
        data += b"\n"
    return data


def from_date(line):
    """Seconds of the asctime date in a From_ line ("addr Mon Sep 14 ...")."""
    words = line.split()[1:]
    return calendar.timegm(time.strptime(" ".join(words[:5]),
                                         "%a %b %d %H:%M:%S %Y"))


def cmd_check_mbox(oracle_path, root):
    """Bodies (LF, our flag fields left out), flags, keywords, dates."""
    want = []
    for r in read_oracle(oracle_path):
        flags = set(r["flags"])
        want.append((r["folder"], r["mbox_sha"], "\\Seen" in flags,
                     " ".join(system_flags([f for f in flags
                                            if f.startswith("\\")
                                            and f != "\\Seen"])),
                     " ".join(sorted(f for f in flags
                                     if not f.startswith("\\"))),
                     r["date"]))
    found = []
    for d, f in walk_files(root):
        if not f.endswith(".mbox"):
            continue
        folder = os.path.relpath(os.path.join(d, f[:-5]), root)
        box = mailbox.mbox(os.path.join(d, f), create=False)
        for key in box.iterkeys():
            data = normalise(mbox_unquote(box.get_bytes(key)))
            m = box.get_message(key)
            xstatus = m.get("X-Status", "")
            sysf = [name for c, name in (("A", "\\Answered"),
                                         ("F", "\\Flagged"),
                                         ("T", "\\Draft"),
                                         ("D", "\\Deleted"))
                    if c in xstatus]
            found.append((folder, hashlib.sha256(
                normalise(strip_status(data))).hexdigest(),
                "R" in m.get("Status", ""), " ".join(sorted(sysf)),
                " ".join(sorted(m.get("X-Keywords", "").split())),
                from_date(m.get_from())))
        box.close()
    report(compare_sets(want, found, "mbox"))


def main(argv):
    cmds = {
        "wait-login": (cmd_wait_login, 2),
        "seed": (cmd_seed, 2), "append": (cmd_append, 6),
        "create": (cmd_create, 3),
        "big": (cmd_big, 4), "dump": (cmd_dump, 3),
        "recreate": (cmd_recreate, 3), "pop3-dump": (cmd_pop3_dump, 3), "uidvalidity": (cmd_uidvalidity, 3),
        "gmail-seed": (cmd_gmail_seed, 2),
        "check-eml": (cmd_check_eml, 2),
        "check-maildir": (cmd_check_maildir, 2),
        "check-mbox": (cmd_check_mbox, 2),
    }
    if len(argv) < 2 or argv[1] not in cmds or \
            len(argv) - 2 != cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    cmds[argv[1]][0](*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
