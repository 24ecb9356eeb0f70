#!/usr/bin/env python3
"""Interop checks for tests/e2e/09xx-interop-*.sh (Python 3 stdlib only).

Compares what mailsave wrote, as read by Python's `mailbox` module (a
reader we did not write), with what the source held, as parsed here
independently of mailsave.

  mboxcheck.py expect SOURCE
      Print "<Message-ID> <flags>" per source message, sorted.  SOURCE is an
      mboxrd file, a Maildir++ root, or a tree of mbox files, Apple export
      bundles (X.mbox/mbox) and .eml files.  Flags are mbox letters R A F D T
      (O is left out: it means "not new" and every writer adds it).
  mboxcheck.py read-mbox FILE|DIR
      The same listing for every message Python's mailbox.mbox finds in FILE
      or in every *.mbox under DIR.
  mboxcheck.py read-maildir DIR
      The same listing via mailbox.Maildir (root and every Maildir++
      subfolder, recursively).
  mboxcheck.py maildir-names DIR
      The same listing from the ":2,<info>" of every file name under DIR
      (our own parse of the names, for Maildir written by mailsave).
  mboxcheck.py compare-mbox SOURCE FILE|DIR [LETTERS]
      Check count, flags and bytes: each output message must equal its
      source message after unquoting one '>' from ^>+From lines (Python
      does not unquote), CRLF -> LF, dropping Status/X-Status/X-Keywords/
      X-UID/Content-Length/Lines headers, and adding a final newline if
      missing.  LETTERS limits the flags compared (mutt writes only R A F).
  mboxcheck.py compare-maildir SOURCE DIR [LETTERS] [--unquote]
      Like compare-mbox for a Maildir tree read from its file names (flags)
      and files (bytes); --unquote removes one '>' from ^>+From lines of
      the output first (for a Maildir copied from an mboxrd by mutt, which
      does not unquote).
  mboxcheck.py compare-files SOURCE DIR
      Check that the files under DIR (*.eml, or Maildir cur/ and new/) hold
      exactly the source messages, byte for byte after unquoting (mbox
      sources) but with line endings as in the source.
Exit status 0 when the check holds, 1 otherwise (with a diff on stderr).
"""

import mailbox
import os
import re
import sys

# Headers a writer may add or rewrite to carry flags and lengths (mutt's
# copy adds Content-Length and Lines); they are left out of comparisons.
FLAG_HEADERS = (b"status", b"x-status", b"x-keywords", b"x-uid",
                b"content-length", b"lines", b"x-imapbase")
MAILDIR_TO_MBOX = {"S": "R", "R": "A", "F": "F", "T": "D", "D": "T"}
QUOTED = re.compile(rb"^>+From ")


def split_head(data):
    """Return (header lines, rest) of a message; lines keep their ends."""
    lines = data.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line in (b"\n", b"\r\n"):
            return lines[:i], b"".join(lines[i:])
    return lines, b""


def header_values(data, name):
    head, _ = split_head(data)
    out = []
    for i, line in enumerate(head):
        if line[:1] in (b" ", b"\t"):
            continue
        k, sep, v = line.partition(b":")
        if sep and k.strip().lower() == name:
            # Unfold the continuation lines.
            for cont in head[i + 1:]:
                if cont[:1] not in (b" ", b"\t"):
                    break
                v += cont
            out.append(b" ".join(v.split()))
    return out


def msgid(data):
    v = header_values(data, b"message-id")
    return v[0].decode("ascii", "replace") if v else "(none)"


def status_flags(data):
    letters = ""
    for name in (b"status", b"x-status"):
        v = header_values(data, name)
        if v:
            letters += v[0].decode("ascii", "replace")
    return "".join(sorted(set(letters) & set("RAFDT")))


def unquote(data):
    return b"".join(line[1:] if QUOTED.match(line) else line
                    for line in data.splitlines(keepends=True))


def normalize(data):
    """Canonical form for comparing an mbox message with its source."""
    data = data.replace(b"\r\n", b"\n")
    head, rest = split_head(data)
    kept = []
    skipping = False
    for line in head:
        if line[:1] in (b" ", b"\t") and skipping:
            continue
        name = line.partition(b":")[0].strip().lower()
        skipping = name in FLAG_HEADERS or name.startswith(b"x-mozilla-")
        if not skipping:
            kept.append(line)
    data = b"".join(kept) + rest
    if not data.endswith(b"\n"):
        data += b"\n"
    return data


def parse_mboxrd(path):
    """Messages of an mboxrd file: list of (raw bytes, flags)."""
    with open(path, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    msgs = []
    cur = None
    prev_blank = True
    for line in lines:
        if line.startswith(b"From ") and prev_blank:
            if cur is not None:
                msgs.append(cur)
            cur = []
            prev_blank = False
            continue
        if cur is not None:
            cur.append(line)
        prev_blank = line in (b"\n", b"\r\n")
    if cur is not None:
        msgs.append(cur)
    out = []
    for i, m in enumerate(msgs):
        # The blank line before the next From_ line (or at EOF) belongs to
        # the mbox, not to the message.
        if m and m[-1] in (b"\n", b"\r\n"):
            m = m[:-1]
        raw = unquote(b"".join(m))
        out.append((raw, status_flags(raw)))
    return out


def maildir_files(root):
    """(path, info) of every message file of a Maildir++ tree."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        if os.path.basename(dirpath) not in ("cur", "new"):
            continue
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            info = name.split(":2,", 1)[1] if ":2," in name else ""
            found.append((os.path.join(dirpath, name), info))
    return found


def maildir_flags(info):
    return "".join(sorted(MAILDIR_TO_MBOX[c] for c in info
                          if c in MAILDIR_TO_MBOX))


def source_messages(src):
    """list of (raw bytes, flags) of a source: an mbox file, a Maildir++
    root, or a directory tree of mbox files, Apple export bundles
    (X.mbox/mbox) and .eml files."""
    if not os.path.isdir(src):
        return parse_mboxrd(src)
    if os.path.isdir(os.path.join(src, "cur")) or \
            os.path.isdir(os.path.join(src, "new")):
        out = []
        for path, info in maildir_files(src):
            with open(path, "rb") as f:
                out.append((f.read(), maildir_flags(info)))
        return out
    out = []
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if name.endswith(".mbox") or (
                    name == "mbox" and dirpath.endswith(".mbox")):
                out += parse_mboxrd(path)
            elif name.endswith(".eml"):
                with open(path, "rb") as f:
                    out.append((f.read(), ""))
    return out


def mbox_paths(target):
    if os.path.isfile(target):
        return [target]
    paths = []
    for dirpath, dirnames, filenames in os.walk(target):
        dirnames.sort()
        paths += [os.path.join(dirpath, n) for n in sorted(filenames)
                  if n.endswith(".mbox")]
    return paths


def python_mbox_messages(target):
    """list of (raw bytes, flags) as Python's mailbox.mbox reads them."""
    out = []
    for path in mbox_paths(target):
        box = mailbox.mbox(path, create=False)
        try:
            for key in box.iterkeys():
                msg = box.get_message(key)
                flags = "".join(sorted(set(msg.get_flags()) - {"O"}))
                out.append((box.get_bytes(key), flags))
        finally:
            box.close()
    return out


def python_maildir_messages(root):
    out = []

    def walk(md):
        for key in sorted(md.iterkeys()):
            msg = md.get_message(key)
            flags = maildir_flags(msg.get_flags())
            out.append((md.get_bytes(key), flags))
        for name in sorted(md.list_folders()):
            walk(md.get_folder(name))

    walk(mailbox.Maildir(root, factory=None, create=False))
    return out


def listing(msgs, letters="RAFDT"):
    out = []
    for raw, flags in msgs:
        flags = "".join(c for c in flags if c in letters)
        out.append("%s %s" % (msgid(raw), flags or "-"))
    return sorted(out)


def report(want, got, what):
    if want == got:
        return 0
    sys.stderr.write("%s differ:\n" % what)
    for line in sorted(set(want) - set(got)):
        sys.stderr.write("  missing/expected: %s\n" % line)
    for line in sorted(set(got) - set(want)):
        sys.stderr.write("  unexpected/got:   %s\n" % line)
    if len(want) != len(got):
        sys.stderr.write("  count: want %d, got %d\n" % (len(want), len(got)))
    return 1


def compare_bytes(src_msgs, out_msgs, norm):
    by_id = {}
    for raw, _ in src_msgs:
        by_id.setdefault(msgid(raw), []).append(norm(raw))
    bad = 0
    for raw, _ in out_msgs:
        mid = msgid(raw)
        got = norm(raw)
        cands = by_id.get(mid, [])
        if got in cands:
            cands.remove(got)
            continue
        bad += 1
        sys.stderr.write("bytes differ for %s\n" % mid)
        if cands:
            want = cands[0]
            wl, gl = want.splitlines(True), got.splitlines(True)
            for i in range(max(len(wl), len(gl))):
                w = wl[i] if i < len(wl) else b"(end)"
                g = gl[i] if i < len(gl) else b"(end)"
                if w != g:
                    sys.stderr.write("  line %d: want %r\n          got  %r\n"
                                     % (i + 1, w, g))
                    break
    return 1 if bad else 0


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cmd = argv[1]
    if cmd == "expect":
        print("\n".join(listing(source_messages(argv[2]))))
        return 0
    if cmd == "read-mbox":
        print("\n".join(listing(python_mbox_messages(argv[2]))))
        return 0
    if cmd == "read-maildir":
        print("\n".join(listing(python_maildir_messages(argv[2]))))
        return 0
    if cmd == "maildir-names":
        msgs = []
        for path, info in maildir_files(argv[2]):
            with open(path, "rb") as f:
                msgs.append((f.read(), maildir_flags(info)))
        print("\n".join(listing(msgs)))
        return 0
    if cmd == "compare-mbox" and len(argv) in (4, 5):
        letters = argv[4] if len(argv) == 5 else "RAFDT"
        src = source_messages(argv[2])
        out = python_mbox_messages(argv[3])
        r = report(listing(src, letters), listing(out, letters),
                   "message-ids and flags")
        return r | compare_bytes(src, [(unquote(raw), f) for raw, f in out],
                                 normalize)
    if cmd == "compare-maildir" and len(argv) >= 4:
        rest = argv[4:]
        unq = "--unquote" in rest
        rest = [a for a in rest if a != "--unquote"]
        letters = rest[0] if rest else "RAFDT"
        src = source_messages(argv[2])
        out = []
        for path, info in maildir_files(argv[3]):
            with open(path, "rb") as f:
                raw = f.read()
            out.append((unquote(raw) if unq else raw, maildir_flags(info)))
        r = report(listing(src, letters), listing(out, letters),
                   "message-ids and flags")
        return r | compare_bytes(src, out, normalize)
    if cmd == "compare-files" and len(argv) == 4:
        src = source_messages(argv[2])
        out = []
        for dirpath, dirnames, filenames in os.walk(argv[3]):
            in_md = os.path.basename(dirpath) in ("cur", "new")
            for name in filenames:
                if name.startswith("."):
                    continue
                if not in_md and not name.endswith(".eml"):
                    continue
                with open(os.path.join(dirpath, name), "rb") as f:
                    out.append((f.read(), ""))
        want = sorted(msgid(r) for r, _ in src)
        got = sorted(msgid(r) for r, _ in out)
        return report(want, got, "message-ids") | compare_bytes(
            src, out, lambda b: b)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
