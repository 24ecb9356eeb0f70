#!/usr/bin/env python3
"""Generate Apple Mail stores (~/Library/Mail trees) for mailsave's demo
and tests, in every layout mailsave reads.  Everything is made here from
scratch: no byte comes from a real mailbox or a third-party fixture.

    make-applemail.py DEST                 the demo store (samples/applemail)
    make-applemail.py --scenario NAME DEST one test scenario

Scenarios (each writes DEST/Library/Mail/..., DEST/expected.tsv listing
every message that must come out exactly once, and DEST/oracle/<n>.eml
with the complete original of every partial message):

    demo    (and v10, the same with the Envelope Index in WAL mode)
            V10 store: PersistenceInfo.plist, a stale V9 copy, three
            accounts (IMAP, Gmail, On My Mac) named by Accounts4.sqlite,
            nested and NFD-named mailboxes, two store folders in one
            mailbox, fan-out folders, a partition-only store, partial
            messages (base64, quoted-printable, 7bit, .emlxpart sidecar,
            message/rfc822 payload, a bundle directory, a localized and an
            NFC/NFD file name, one payload missing), N.emlx beside
            N.partial.emlx, Gmail labels and read/flagged state in the
            Envelope Index (WAL mode with uncheckpointed rows).
    fanout  ids 0..999 plus 1000, 9999, 10000, 123456, 1000000.
    v2      V2 layout: IMAP-/POP-/EWS- account folders, Mailboxes/.
    mail2   Mail 2-4 layout: Messages/ directly in .mbox/.imapmbox,
            children in sibling folders, Mailboxes/, .emlxpart sidecars.
    damaged emlx framing edge cases (count too large, too small, CRLF
            count line, no plist, binary plist, no count line, junk).
    bench   BENCH_COUNT (default 50,000) messages, about 2 GB, 20 %
            partial: for the benchmark, no expected.tsv.

expected.tsv columns: message-id, folder, flags (comma-separated names:
seen answered flagged deleted draft), date-received, keywords, sections
whose payload is missing (the X-Mailsave-Incomplete value).

    make-applemail.py --check EXPORT mbox|eml|maildir EXPECTED.tsv [ORACLE]

reads an export back with Python's email and mailbox modules and checks
that every expected message is there exactly once, in its folder, with
its flags, received date (mbox From_ line) and labels (X-Keywords), and
that each rebuilt partial message has the parts of its original (ORACLE
directory): same content types, same decoded payloads.
"""

import base64
import hashlib
import io
import os
import quopri
import re
import shutil
import sqlite3
import sys
import unicodedata
import uuid
import zipfile

T0 = 1700000000  # 2023-11-14T22:13:20Z

FLAG_BITS = {
    'seen': 1 << 0, 'deleted': 1 << 1, 'answered': 1 << 2,
    'flagged': 1 << 4, 'draft': 1 << 6, 'forwarded': 1 << 8,
    'junk': 1 << 24, 'notjunk': 1 << 25,
}


def uid(name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, 'mailsave:' + name)).upper()


def fan(n):
    """Data/<fan> components: digits of n // 1000, reversed."""
    if n < 1000:
        return []
    return list(reversed(str(n // 1000)))


def plist_xml(d):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
           '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n',
           '<plist version="1.0">\n<dict>\n']
    for k in sorted(d):
        v = d[k]
        out.append('\t<key>%s</key>\n' % esc(k))
        if isinstance(v, bool):
            out.append('\t<%s/>\n' % ('true' if v else 'false'))
        elif isinstance(v, int):
            out.append('\t<integer>%d</integer>\n' % v)
        elif isinstance(v, float):
            out.append('\t<real>%r</real>\n' % v)
        elif isinstance(v, list):
            out.append('\t<array>\n')
            for x in v:
                out.append('\t\t<integer>%d</integer>\n' % x)
            out.append('\t</array>\n')
        else:
            out.append('\t<string>%s</string>\n' % esc(v))
    out.append('</dict>\n</plist>\n')
    return ''.join(out).encode()


def esc(s):
    return (s.replace('&', '&amp;').replace('<', '&lt;')
            .replace('>', '&gt;'))


def flags_value(names, extra=0):
    v = (1 << 33) | (3 << 16) | extra  # bit 33 as modern Mail sets it
    for n in names:
        v |= FLAG_BITS[n]
    return v


def emlx(payload, plist, count=None, line=None):
    """The .emlx bytes: count line, payload, plist trailer."""
    if line is None:
        line = ('%-10d\n' % (len(payload) if count is None else count))
    head = line.encode() if isinstance(line, str) else line
    return head + payload + (plist if plist is not None else b'')


class Store:
    """Writes files below DEST and keeps the expectations."""

    def __init__(self, dest):
        self.dest = dest
        self.expected = []
        self.oracles = {}
        self.env = []      # Envelope Index rows
        self.n = 0

    def path(self, *parts):
        p = os.path.join(self.dest, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def write(self, data, *parts):
        with open(self.path(*parts), 'wb') as f:
            f.write(data)

    def mkdir(self, *parts):
        os.makedirs(os.path.join(self.dest, *parts), exist_ok=True)

    def expect(self, mid, folder, flags, date, keywords='', missing=''):
        self.expected.append((mid, unicodedata.normalize('NFC', folder),
                              ','.join(sorted(flags)), str(date),
                              keywords, missing))

    def finish(self):
        with open(os.path.join(self.dest, 'expected.tsv'), 'w',
                  encoding='utf-8') as f:
            for row in sorted(self.expected):
                f.write('\t'.join(row) + '\n')
        if self.oracles:
            os.makedirs(os.path.join(self.dest, 'oracle'), exist_ok=True)
            for n, data in sorted(self.oracles.items()):
                self.write(data, 'oracle', '%s.eml' % n)


def headers(tag, n, subject, date, extra=()):
    from email.utils import formatdate
    h = ['Return-Path: <alice@example.org>',
         'From: Alice Example <alice@example.org>',
         'To: Jane Doe <jane@example.com>',
         'Subject: %s' % subject,
         'Date: %s' % formatdate(date),
         'Message-ID: <%s-%d@mailsave.test>' % (tag, n),
         'MIME-Version: 1.0']
    h.extend(extra)
    return h


def simple_message(tag, n, subject, date, body=None, extra=()):
    body = body if body is not None else (
        'Hello Jane,\n\nthis is message %d (%s).\nFrom here on, a line '
        'that starts with From.\n\n-- \nAlice\n' % (n, subject))
    h = headers(tag, n, subject, date, list(extra) +
                ['Content-Type: text/plain; charset=utf-8',
                 'Content-Transfer-Encoding: 8bit'])
    return ('\n'.join(h) + '\n\n' + body).encode()


# --- multipart messages with detachable parts --------------------------

class Leaf:
    def __init__(self, ctype, data, cte='7bit', filename=None,
                 disp='attachment', stub=False, payload='file',
                 disk_name=None, also_under=None, params='',
                 only_under=None):
        self.ctype, self.data, self.cte = ctype, data, cte
        self.filename, self.disp, self.stub = filename, disp, stub
        self.payload, self.disk_name = payload, disk_name
        self.also_under, self.params = also_under, params
        self.only_under = only_under


class Multi:
    def __init__(self, subtype, children):
        self.subtype, self.children = subtype, children


def encode_body(leaf):
    d = leaf.data
    if leaf.cte == 'base64':
        return base64.encodebytes(d).rstrip(b'\n')
    if leaf.cte == 'quoted-printable':
        return quopri.encodestring(d).rstrip(b'\n') if not d.endswith(
            b'\n') else quopri.encodestring(d)
    return d


def leaf_headers(leaf, marker):
    h = ['Content-Transfer-Encoding: %s' % leaf.cte]
    if leaf.filename is not None and leaf.disp:
        h.append('Content-Disposition: %s;' % leaf.disp)
        h.append('\tfilename%s' % leaf.filename_param())
    ct = 'Content-Type: %s' % leaf.ctype
    if leaf.filename is not None:
        ct += ';\n\tname%s' % leaf.filename_param()
    if leaf.params:
        ct += ';\n\t' + leaf.params
    h.append(ct)
    if marker is not None:
        h.append('X-Apple-Content-Length: %d' % marker)
    return h


def filename_param(self):
    name = self.filename
    if all(ord(c) < 128 for c in name) and ' ' not in name:
        return '=%s' % name
    from urllib.parse import quote
    return "*=utf-8''%s" % quote(name.encode('utf-8'), safe='')


Leaf.filename_param = filename_param


def render(node, section, boundary_seed, payloads):
    """Return (full, skeleton) bytes of the body of node (no top header
    for the root multipart: the caller writes its Content-Type)."""
    if isinstance(node, Multi):
        b = 'Apple-Mail=_%s' % uid(boundary_seed + section)
        full, skel = [], []
        for i, c in enumerate(node.children, 1):
            sec = ('%s.%d' % (section, i)) if section else str(i)
            f, s = render_part(c, sec, boundary_seed, payloads)
            full.append(b'--' + b.encode() + b'\n' + f)
            skel.append(b'--' + b.encode() + b'\n' + s)
        full.append(b'--' + b.encode() + b'--\n')
        skel.append(b'--' + b.encode() + b'--\n')
        return b, b''.join(full), b''.join(skel)
    raise ValueError


def render_part(node, sec, seed, payloads):
    if isinstance(node, Multi):
        b, f, s = render(node, sec, seed, payloads)
        h = ('Content-Type: multipart/%s;\n\tboundary="%s"\n\n' %
             (node.subtype, b)).encode()
        return h + b'\n' + f + b'\n', h + b'\n' + s + b'\n'
    body = encode_body(node)
    full = ('\n'.join(leaf_headers(node, None)) + '\n\n').encode() + body
    if not body.endswith(b'\n'):
        full += b'\n'
    if not node.stub:
        return full + b'\n', full + b'\n'
    skel = ('\n'.join(leaf_headers(node, len(body))) + '\n\n\n').encode()
    payloads.append((sec, node, body))
    return full + b'\n', skel


def partial_message(tag, n, subject, date, tree):
    """(full message, skeleton, payload list) for a multipart tree."""
    payloads = []
    b, f, s = render(tree, '', '%s-%d' % (tag, n), payloads)
    h = headers(tag, n, subject, date, [
        'Content-Type: multipart/%s;\n boundary="%s"' % (tree.subtype, b)])
    top = ('\n'.join(h) + '\n\n').encode()
    return top + f, top + s, payloads


def place_payloads(st, msgdir, n, payloads):
    """Write each stub's payload where Mail keeps it."""
    attdir = os.path.join(os.path.dirname(msgdir), 'Attachments', str(n))
    for sec, leaf, body in payloads:
        kind = leaf.payload
        if kind == 'missing':
            continue
        if kind == 'emlxpart':
            st.write(body, msgdir, '%d.%s.emlxpart' % (n, sec))
            continue
        name = leaf.disk_name or leaf.filename or 'Attachment'
        if kind == 'dir':
            base = os.path.join(attdir, sec, name)
            for rel, data in sorted(leaf.tree.items()):
                st.write(data, base, rel)
            continue
        st.write(leaf.data, attdir, leaf.only_under or sec, name)
        if leaf.also_under:
            st.write(leaf.data, attdir, leaf.also_under, name)


def zip_tree(top, tree):
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, 'w') as z:
        for rel, data in sorted(tree.items()):
            z.writestr(zipfile.ZipInfo('%s/%s' % (top, rel),
                                       (2023, 11, 14, 22, 13, 20)), data)
    return bio.getvalue()


def fake_pdf(seed, size):
    out = b'%PDF-1.4\n'
    h = hashlib.sha256(seed.encode()).digest()
    while len(out) < size:
        h = hashlib.sha256(h).digest()
        out += h
    return out[:size]


LOREM = ('Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed '
         'do eiusmod tempor incididunt ut labore et dolore magna aliqua. '
         'Grüße aus Tübingen = 100 %. \n')


def text_attachment():
    lines = []
    for i in range(40):
        lines.append('%02d %s' % (i, LOREM.strip()))
    lines.append('trailing blanks   ')
    lines.append('\ttab line\t')
    lines.append('From the start of a line')
    return ('\n'.join(lines) + '\n').encode()


# --- the Envelope Index and Accounts4 -----------------------------------

def write_envelope_index(path, mailboxes, rows, labels, wal=False,
                         schema='v10'):
    """mailboxes: {rowid: url}; rows: list of dicts; labels: [(msg, box)]"""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    for sfx in ('', '-wal', '-shm'):
        if os.path.exists(path + sfx):
            os.unlink(path + sfx)
    tmp = path + '.gen'
    for sfx in ('', '-wal', '-shm'):
        if os.path.exists(tmp + sfx):
            os.unlink(tmp + sfx)
    db = sqlite3.connect(tmp)
    if schema == 'v10':
        db.executescript('''
CREATE TABLE messages (ROWID INTEGER PRIMARY KEY AUTOINCREMENT,
 message_id INTEGER NOT NULL DEFAULT 0, global_message_id INTEGER NOT NULL,
 remote_id INTEGER, sender INTEGER, subject_prefix TEXT, subject INTEGER
 NOT NULL, date_sent INTEGER, date_received INTEGER, mailbox INTEGER NOT
 NULL, remote_mailbox INTEGER, flags INTEGER NOT NULL DEFAULT 0, read
 INTEGER NOT NULL DEFAULT 0, flagged INTEGER NOT NULL DEFAULT 0, deleted
 INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0,
 conversation_id INTEGER NOT NULL DEFAULT 0, flag_color INTEGER);
CREATE TABLE mailboxes (ROWID INTEGER PRIMARY KEY, url TEXT NOT NULL,
 total_count INTEGER NOT NULL DEFAULT 0, source INTEGER);
CREATE TABLE labels (message_id INTEGER, mailbox_id INTEGER,
 PRIMARY KEY(message_id, mailbox_id)) WITHOUT ROWID;
CREATE TABLE subjects (ROWID INTEGER PRIMARY KEY, subject TEXT NOT NULL);
''')
    else:  # Tiger-era: flags only
        db.executescript('''
CREATE TABLE messages (ROWID INTEGER PRIMARY KEY, message_id, remote_id,
 sender, subject, date_received INTEGER, mailbox INTEGER, flags INTEGER,
 read, flagged);
CREATE TABLE mailboxes (ROWID INTEGER PRIMARY KEY, url UNIQUE);
''')
    for rid, url in sorted(mailboxes.items()):
        db.execute('INSERT INTO mailboxes (ROWID, url) VALUES (?, ?)',
                   (rid, url))
    for r in rows:
        if schema == 'v10':
            db.execute('INSERT INTO messages (ROWID, global_message_id, '
                       'subject, date_received, mailbox, flags, read, '
                       'flagged, deleted) VALUES (?,?,?,?,?,?,?,?,?)',
                       (r['id'], r['id'], 1, r['date'], r['box'],
                        r['flags'], r['read'], r['flagged'],
                        r.get('deleted', 0)))
        else:
            db.execute('INSERT INTO messages (ROWID, date_received, '
                       'mailbox, flags, read, flagged) VALUES '
                       '(?,?,?,?,?,?)', (r['id'], r['date'], r['box'],
                                         r['flags'], r['read'],
                                         r['flagged']))
    for m, b in labels:
        db.execute('INSERT INTO labels VALUES (?, ?)', (m, b))
    db.commit()
    if wal:
        # Leave the last rows in the WAL only: copy while it is open.
        db.execute('PRAGMA journal_mode=WAL')
        db.execute('PRAGMA wal_autocheckpoint=0')
        db.execute('UPDATE messages SET read = read')  # touch
        late = [r for r in rows if r.get('late')]
        for r in late:
            db.execute('UPDATE messages SET read=?, flagged=? WHERE '
                       'ROWID=?', (r['late_read'], r['late_flagged'],
                                   r['id']))
        db.commit()
        for sfx in ('', '-wal', '-shm'):
            if os.path.exists(tmp + sfx):
                shutil.copyfile(tmp + sfx, path + sfx)
        db.close()
        for sfx in ('', '-wal', '-shm'):
            if os.path.exists(tmp + sfx):
                os.unlink(tmp + sfx)
        return
    db.close()
    os.replace(tmp, path)


def write_accounts4(path, accounts):
    """accounts: list of (pk, identifier, username, description, parent)"""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.unlink(path)
    db = sqlite3.connect(path)
    db.execute('CREATE TABLE ZACCOUNT (Z_PK INTEGER PRIMARY KEY, '
               'ZIDENTIFIER VARCHAR, ZUSERNAME VARCHAR, '
               'ZACCOUNTDESCRIPTION VARCHAR, ZPARENTACCOUNT INTEGER)')
    for a in accounts:
        db.execute('INSERT INTO ZACCOUNT VALUES (?,?,?,?,?)', a)
    db.commit()
    db.close()


# --- scenarios ----------------------------------------------------------

def put_emlx(st, msgdir, n, payload, plist, name=None, **kw):
    st.write(emlx(payload, plist, **kw), msgdir,
             name or ('%d.emlx' % n))


def scenario_demo(st, wal=True):
    tag = 'demo'
    mail = ['Library', 'Mail']
    v10 = mail + ['V10']
    st.write(plist_xml({'LastUsedVersionDirectoryName': 'V10'}),
             *mail, 'PersistenceInfo.plist')
    work, gmail, local = uid('acct-work'), uid('acct-gmail'), uid('acct-local')
    write_accounts4(os.path.join(st.dest, 'Library', 'Accounts',
                                 'Accounts4.sqlite'), [
        (1, uid('parent-work'), 'jane@work.example', 'Work', None),
        (2, work, '', '', 1),
        (3, gmail, 'jane.doe@gmail.com', 'Google', None),
        (4, local, '', 'On My Mac', None),
    ])
    boxes = {}       # Envelope Index mailboxes
    rows, labels = [], []

    def box_url(acct, path):
        from urllib.parse import quote
        return 'imap://%s/%s' % (acct, quote(path, safe='/&'))

    def box_id(acct, path):
        url = box_url(acct, path)
        for k, v in boxes.items():
            if v == url:
                return k
        k = len(boxes) + 1
        boxes[k] = url
        return k

    def msg(acct, label, boxpath, boxdirs, store, n, subject, flags,
            env=None, kw='', body=None, extra=()):
        date = T0 + n * 60
        data = simple_message(tag, n, subject, date, body, extra)
        msgdir = v10 + [acct] + boxdirs + [store, 'Data'] + fan(n) + \
            ['Messages']
        put_emlx(st, os.path.join(*msgdir), n, data, plist_xml({
            'date-received': date, 'date-last-viewed': 0,
            'flags': flags_value(flags), 'remote-id': str(5000 + n),
            'conversation-id': n}))
        eflags = flags if env in (None, 'none') else env
        if env != 'none':
            rows.append({'id': n, 'date': date,
                         'box': box_id(acct, boxpath),
                         'flags': flags_value(eflags),
                         'read': int('seen' in eflags),
                         'flagged': int('flagged' in eflags),
                         'deleted': int('deleted' in eflags)})
        st.expect('<%s-%d@mailsave.test>' % (tag, n), label + '/' +
                  boxpath, [f for f in eflags if f in (
                      'seen', 'answered', 'flagged', 'deleted', 'draft')],
                  date, kw)
        return msgdir

    s1, s2 = uid('store-inbox-1'), uid('store-inbox-2')
    # Work account: INBOX with two store folders and fan-out folders.
    msg(work, 'Work', 'INBOX', ['INBOX.mbox'], s1, 1, 'Welcome', ['seen'])
    msg(work, 'Work', 'INBOX', ['INBOX.mbox'], s1, 2,
        'Read and flagged in Mail (Envelope Index wins)', [],
        env=['seen', 'flagged'])
    msg(work, 'Work', 'INBOX', ['INBOX.mbox'], s1, 1000,
        'In Data/1/Messages', ['seen', 'answered'])
    msg(work, 'Work', 'INBOX', ['INBOX.mbox'], s1, 123456,
        'In Data/3/2/1/Messages', ['seen', 'flagged'])
    msg(work, 'Work', 'INBOX', ['INBOX.mbox'], s2, 7,
        'In a second store folder', ['seen'])
    msg(work, 'Work', 'INBOX', ['INBOX.mbox'], s1, 8,
        'No row in the Envelope Index (orphan)', ['seen', 'answered'],
        env='none')
    st.write(plist_xml({'MailboxID': 'INBOX'}), *v10, work, 'INBOX.mbox',
             'Info.plist')
    st.write(b'\0\0\0\1Bud1', *v10, work, 'INBOX.mbox', '.DS_Store')
    st.write(plist_xml({'version': 1}), *v10, work, '.mboxCache.plist')
    # Nested mailboxes and names with spaces and NFD accents.
    msg(work, 'Work', 'Archive/2024', ['Archive.mbox', '2024.mbox'],
        uid('s-2024'), 10, 'Nested mailbox', ['seen'])
    msg(work, 'Work', 'Archive', ['Archive.mbox'], uid('s-arch'), 11,
        'Parent of a nested mailbox', ['seen', 'deleted'])
    nfd = unicodedata.normalize('NFD', 'Kvätton')
    msg(work, 'Work', 'Kvätton', [nfd + '.mbox'], uid('s-kv'), 12,
        'Mailbox name stored NFD', [])
    msg(work, 'Work', 'Sent Messages', ['Sent Messages.mbox'],
        uid('s-sent'), 13, 'A sent message', ['seen'],
        extra=['Bcc: boss@work.example', 'X-Smtp-Server: smtp.work.example'])
    msg(work, 'Work', 'Drafts', ['Drafts.mbox'], uid('s-drafts'), 14,
        'A draft', ['seen', 'draft'])
    # A smart mailbox list and the Envelope Index live in MailData.
    st.write(plist_xml({'smart': 'none'}), *v10, 'MailData',
             'SyncedSmartMailboxes.plist')

    # Partial messages in the Work INBOX.
    tree = Multi('alternative', [
        Leaf('text/plain; charset=us-ascii', b'See the attachments.\n'),
        Multi('mixed', [
            Leaf('text/html; charset=us-ascii',
                 b'<html><body>See the attachments.</body></html>\n'),
            Leaf('text/plain', b'Short text.\n', cte='7bit',
                 filename='short.txt', stub=True),
            Leaf('application/pdf', fake_pdf('report', 6000),
                 cte='base64', filename='report.pdf', stub=True),
            Leaf('text/plain; charset=utf-8', text_attachment(),
                 cte='quoted-printable', filename='notes.txt', stub=True),
            Leaf('image/png', fake_pdf('png', 5000), cte='base64',
                 filename=None, disp='inline', stub=True,
                 disk_name='Mail-Anhang.png'),
            Leaf('application/pdf', fake_pdf('tue', 4000), cte='base64',
                 filename=unicodedata.normalize('NFD', 'Tübingen.pdf'),
                 stub=True, disk_name='Tübingen.pdf'),
        ]),
    ])
    add_partial(st, tag, v10 + [work, 'INBOX.mbox', s1, 'Data'], 20,
                'Partial: base64, QP, 7bit, localized and NFD names',
                tree, ['seen'], 'Work/INBOX', rows, box_id(work, 'INBOX'))

    inner = simple_message('demo-inner', 1, 'The forwarded message',
                           T0 - 86400)
    tree2 = Multi('mixed', [
        Leaf('text/plain', b'Forwarding a message and a bundle.\n'),
        Leaf('message/rfc822', inner, cte='7bit', filename='fwd.eml',
             stub=True),
        Leaf('application/zip', None, cte='base64',
             filename='Notes.rtfd.zip', stub=True, payload='dir',
             disk_name='Notes.rtfd', params='x-mac-auto-archive=yes'),
        Leaf('application/octet-stream', fake_pdf('side', 3000),
             cte='base64', filename='sidecar.bin', stub=True,
             payload='emlxpart'),
    ])
    bundle = {'TXT.rtf': b'{\\rtf1\\ansi Hello from a bundle}\n',
              'image.tiff': fake_pdf('tiff', 2000)}
    tree2.children[2].tree = bundle
    tree2.children[2].data = zip_tree('Notes.rtfd', bundle)
    add_partial(st, tag, v10 + [work, 'INBOX.mbox', s1, 'Data'], 21,
                'Partial: message/rfc822, bundle directory, .emlxpart',
                tree2, ['seen', 'answered'], 'Work/INBOX', rows,
                box_id(work, 'INBOX'))

    tree3 = Multi('mixed', [
        Leaf('text/plain', b'The attachment was never downloaded.\n'),
        Leaf('application/pdf', fake_pdf('gone', 2000), cte='base64',
             filename='gone.pdf', stub=True, payload='missing'),
    ])
    add_partial(st, tag, v10 + [work, 'INBOX.mbox', s1, 'Data'], 22,
                'Partial: payload missing', tree3, [], 'Work/INBOX', rows,
                box_id(work, 'INBOX'))

    # Same payload filed under "2" and "2.2" (Mail does this).
    tree4 = Multi('mixed', [
        Leaf('text/plain', b'One payload, two section folders.\n'),
        Leaf('application/pdf', fake_pdf('twice', 2500), cte='base64',
             filename='twice.pdf', stub=True, also_under='2.2'),
    ])
    add_partial(st, tag, v10 + [work, 'INBOX.mbox', s1, 'Data'], 23,
                'Partial: payload under two sections', tree4, ['seen'],
                'Work/INBOX', rows, box_id(work, 'INBOX'))

    # Payload filed only under a related section ("2.2" for "2").
    tree5 = Multi('mixed', [
        Leaf('text/plain', b'Payload under a neighbouring section.\n'),
        Leaf('application/pdf', fake_pdf('moved', 1500), cte='base64',
             filename='moved.pdf', stub=True, only_under='2.2'),
    ])
    add_partial(st, tag, v10 + [work, 'INBOX.mbox', s1, 'Data'], 25,
                'Partial: payload under a related section', tree5,
                ['seen'], 'Work/INBOX', rows, box_id(work, 'INBOX'))

    # N.emlx and N.partial.emlx side by side: N.emlx wins, once.
    full, skel, payloads = partial_message(tag, 24, 'Both files', T0 +
                                           24 * 60, tree3)
    d = os.path.join(*(v10 + [work, 'INBOX.mbox', s1, 'Data', 'Messages']))
    pl = plist_xml({'date-received': T0 + 24 * 60,
                    'flags': flags_value(['seen'])})
    put_emlx(st, d, 24, full, pl)
    put_emlx(st, d, 24, skel, pl, name='24.partial.emlx')
    rows.append({'id': 24, 'date': T0 + 24 * 60,
                 'box': box_id(work, 'INBOX'),
                 'flags': flags_value(['seen']), 'read': 1, 'flagged': 0})
    st.expect('<%s-24@mailsave.test>' % tag, 'Work/INBOX', ['seen'],
              T0 + 24 * 60)
    st.oracles['%s-24' % tag] = full

    # Gmail: every file in [Gmail]/All Mail, labels in the index.
    gs = uid('s-gmail')
    all_mail = ['[Gmail].mbox', 'All Mail.mbox']
    box_id(gmail, 'INBOX')
    box_id(gmail, 'Work Stuff')
    msg(gmail, 'Google', '[Gmail]/All Mail', all_mail, gs, 30,
        'Gmail message in INBOX and Work Stuff', ['seen'],
        kw='INBOX Work_Stuff')
    labels.append((30, box_id(gmail, 'INBOX')))
    labels.append((30, box_id(gmail, 'Work Stuff')))
    msg(gmail, 'Google', '[Gmail]/All Mail', all_mail, gs, 31,
        'Gmail message, archived', ['seen', 'flagged'])
    st.write(plist_xml({'MailboxID': 'INBOX'}), *v10, gmail, 'INBOX.mbox',
             'Info.plist')

    # On My Mac: a partition-only store (no Data/Messages).
    msg(local, 'On My Mac', 'Projects', ['Projects.mbox'], uid('s-proj'),
        1001, 'Partition-only store', ['seen'])
    msg(local, 'On My Mac', 'Projects', ['Projects.mbox'], uid('s-proj'),
        2002, 'Partition-only store, second', [])

    # Late changes only in the WAL: message 1 becomes flagged.
    for r in rows:
        if r['id'] == 1:
            r.update(late=True, late_read=1, late_flagged=1)
    if wal:
        for e in list(st.expected):
            if e[0] == '<%s-1@mailsave.test>' % tag:
                st.expected.remove(e)
                st.expected.append((e[0], e[1], 'flagged,seen', e[3], e[4], e[5]))
    write_envelope_index(os.path.join(st.dest, *v10, 'MailData',
                                      'Envelope Index'),
                         boxes, rows, labels, wal=wal)

    # A stale V9 copy of the Work INBOX: never exported.
    old = mail + ['V9', work, 'INBOX.mbox', s1, 'Data', 'Messages']
    put_emlx(st, os.path.join(*old), 1,
             simple_message('stale', 1, 'Stale V9 copy', T0), plist_xml(
                 {'flags': flags_value(['seen'])}))
    # Foreign files and folders that hold no messages.
    st.write(b'not a message\n', *v10, work, 'INBOX.mbox', s1, 'Data',
             'Messages', 'notes.txt')
    st.write(b'plugin data\n', *mail, 'Bundles', 'Plugin.mailbundle',
             'Info.plist')


def add_partial(st, tag, data_dir, n, subject, tree, flags, folder, rows,
                boxid):
    date = T0 + n * 60
    full, skel, payloads = partial_message(tag, n, subject, date, tree)
    msgdir = os.path.join(*(data_dir + fan(n) + ['Messages']))
    put_emlx(st, msgdir, n, skel, plist_xml({
        'date-received': date, 'flags': flags_value(flags),
        'remote-id': str(9000 + n)}), name='%d.partial.emlx' % n)
    place_payloads(st, msgdir, n, payloads)
    st.oracles['%s-%d' % (tag, n)] = full
    rows.append({'id': n, 'date': date, 'box': boxid,
                 'flags': flags_value(flags), 'read': int('seen' in flags),
                 'flagged': int('flagged' in flags)})
    missing = ' '.join(sec for sec, leaf, body in payloads
                       if leaf.payload == 'missing')
    st.expect('<%s-%d@mailsave.test>' % (tag, n), folder,
              [f for f in flags if f != 'forwarded'], date, '', missing)


def scenario_fanout(st):
    tag = 'fan'
    acct = uid('fan-acct')
    base = ['Library', 'Mail', 'V10', acct, 'INBOX.mbox', uid('fan-s'),
            'Data']
    ids = list(range(0, 1000)) + [1000, 9999, 10000, 123456, 1000000]
    for n in ids:
        date = T0 + n
        d = os.path.join(*(base + fan(n) + ['Messages']))
        put_emlx(st, d, n, simple_message(tag, n, 'Fan %d' % n, date,
                                          body='Message %d.\n' % n),
                 plist_xml({'date-received': date,
                            'flags': flags_value(['seen'])}))
        st.expect('<%s-%d@mailsave.test>' % (tag, n), acct + '/INBOX',
                  ['seen'], date)


def scenario_v2(st):
    tag = 'v2'
    v2 = ['Library', 'Mail', 'V2']
    accts = [('IMAP-jane@imap.example.com', 'INBOX'),
             ('POP-jane@pop.example.com', 'INBOX'),
             ('EWS-jane@ews.example.com', 'Inbox'),
             ('Mailboxes', 'Local Archive')]
    n = 100
    for acct, box in accts:
        label = 'On My Mac' if acct == 'Mailboxes' else acct
        for k in range(3):
            n += 1
            date = T0 + n * 60
            if acct.startswith('POP') and k == 2:
                # Mavericks before Mail 7: Messages/ directly inside.
                d = v2 + [acct, box + '.mbox', 'Messages']
            else:
                d = v2 + [acct, box + '.mbox', uid(acct), 'Data'] + \
                    fan(n) + ['Messages']
            put_emlx(st, os.path.join(*d), n,
                     simple_message(tag, n, '%s %d' % (acct, k), date),
                     plist_xml({'date-received': float(date),
                                'flags': flags_value(['seen', 'answered'])
                                }))
            st.expect('<%s-%d@mailsave.test>' % (tag, n), label + '/' +
                      box, ['seen', 'answered'], date)
    # Nested child inside the IMAP INBOX.
    n += 1
    d = v2 + ['IMAP-jane@imap.example.com', 'INBOX.mbox', 'Clients.mbox',
              uid('v2-c'), 'Data', 'Messages']
    put_emlx(st, os.path.join(*d), n,
             simple_message(tag, n, 'Nested', T0), plist_xml(
                 {'date-received': T0, 'flags': flags_value([])}))
    st.expect('<%s-%d@mailsave.test>' % (tag, n),
              'IMAP-jane@imap.example.com/INBOX/Clients', [], T0)
    # Stale Mail 2-4 folders beside V2: never exported.
    d = ['Library', 'Mail', 'IMAP-jane@imap.example.com', 'INBOX.imapmbox',
         'Messages']
    put_emlx(st, os.path.join(*d), 1,
             simple_message('stale', 2, 'Stale Tiger copy', T0),
             plist_xml({'flags': 1}))


def scenario_mail2(st):
    tag = 'mail2'
    root = ['Library', 'Mail']
    n = 200
    layout = [
        ('IMAP-jane@imap.example.com', ['INBOX.imapmbox'], 'INBOX'),
        ('IMAP-jane@imap.example.com', ['Work.imapmbox'], 'Work'),
        ('IMAP-jane@imap.example.com', ['Work', 'Clients.imapmbox'],
         'Work/Clients'),
        ('IMAP-jane@imap.example.com', ['Work', 'Clients', 'Acme.imapmbox'],
         'Work/Clients/Acme'),
        ('POP-jane@pop.example.com', ['INBOX.mbox'], 'INBOX'),
        ('Mailboxes', ['Family.mbox'], 'Family'),
        ('Mailboxes', ['Family', 'Photos.mbox'], 'Family/Photos'),
    ]
    for acct, dirs, disp in layout:
        label = 'On My Mac' if acct == 'Mailboxes' else acct
        for k in range(2):
            n += 1
            date = T0 + n * 60
            d = root + [acct] + dirs + ['Messages']
            put_emlx(st, os.path.join(*d), n,
                     simple_message(tag, n, '%s %d' % (disp, k), date),
                     plist_xml({'date-received': date,
                                'flags': flags_value(['seen']),
                                'original-mailbox': 'imap://jane@imap.'
                                'example.com/' + disp,
                                'sender': 'Alice <alice@example.org>',
                                'subject': 'A & B <c>'}))
            st.expect('<%s-%d@mailsave.test>' % (tag, n), label + '/' +
                      disp, ['seen'], date)
    # A Tiger-era partial with a .emlxpart sidecar.
    tree = Multi('mixed', [
        Leaf('text/plain', b'Sidecar era.\n'),
        Leaf('application/octet-stream', fake_pdf('tiger', 1800),
             cte='base64', filename='old.bin', stub=True,
             payload='emlxpart'),
    ])
    n += 1
    date = T0 + n * 60
    full, skel, payloads = partial_message(tag, n, 'Tiger partial', date,
                                           tree)
    msgdir = os.path.join(*(root + ['IMAP-jane@imap.example.com',
                                    'INBOX.imapmbox', 'Messages']))
    put_emlx(st, msgdir, n, skel, plist_xml({'date-received': date,
                                             'flags': 1}),
             name='%d.partial.emlx' % n)
    place_payloads(st, msgdir, n, payloads)
    st.oracles['%s-%d' % (tag, n)] = full
    st.expect('<%s-%d@mailsave.test>' % (tag, n),
              'IMAP-jane@imap.example.com/INBOX', ['seen'], date)
    write_envelope_index(os.path.join(st.dest, *root, 'Envelope Index'),
                         {1: 'imap://jane@imap.example.com/INBOX'},
                         [{'id': 201, 'date': T0 + 201 * 60, 'box': 1,
                           'flags': flags_value(['seen', 'flagged']),
                           'read': 1, 'flagged': 1}], [], schema='tiger')
    st.expected = [e if e[0] != '<mail2-201@mailsave.test>' else
                   (e[0], e[1], 'flagged,seen', e[3], e[4], e[5])
                   for e in st.expected]
    st.write(plist_xml({'smart': 1}), *root, 'SmartMailboxes.plist')


def scenario_damaged(st):
    tag = 'dmg'
    d = os.path.join('Library', 'Mail', 'V10', uid('dmg-acct'),
                     'INBOX.mbox', uid('dmg-s'), 'Data', 'Messages')
    good_pl = plist_xml({'date-received': T0, 'flags': flags_value(
        ['seen', 'flagged'])})
    cases = [
        ('count too large', dict(count=None, delta=+500, pl=True)),
        ('count too small', dict(delta=-40, pl=True)),
        ('CRLF count line', dict(line='crlf', pl=True)),
        ('count with leading spaces', dict(line='lead', pl=True)),
        ('no plist', dict(pl=False)),
        ('binary plist', dict(pl='binary')),
        ('no count line', dict(line='none', pl=True)),
        ('junk after message', dict(pl='junk')),
        ('unterminated last line', dict(pl=True, cut=True)),
        ('CRLF message', dict(pl=True, crlf=True)),
    ]
    n = 300
    for name, c in cases:
        n += 1
        date = T0
        body = ('Case: %s\n' % name)
        msg = simple_message(tag, n, name, date, body=body)
        if c.get('cut'):
            msg = msg.rstrip(b'\n')
        if c.get('crlf'):
            msg = msg.replace(b'\n', b'\r\n')
        pl = {True: good_pl, False: None, 'binary': b'bplist00\x00\x01',
              'junk': b'JUNK JUNK JUNK\n'}[c['pl']]
        count = len(msg) + c.get('delta', 0)
        line = c.get('line')
        if line == 'crlf':
            line = '%-10d\r\n' % count
        elif line == 'lead':
            line = '   %d\n' % count
        elif line == 'none':
            line = b''
        put_emlx(st, d, n, msg, pl, count=count, line=line)
        st.oracles['%s-%d' % (tag, n)] = msg
        flags = ['seen', 'flagged'] if c['pl'] is True else []
        st.expect('<%s-%d@mailsave.test>' % (tag, n),
                  uid('dmg-acct') + '/INBOX', flags, date)
    # Not an emlx at all: skipped with a named error.
    st.write(b'this is not an emlx\n', d, '399.emlx')
    st.write(b'', d, '398.emlx')


# --- checking an export against expected.tsv -----------------------------

STATUS_LETTERS = {'R': 'seen', 'A': 'answered', 'F': 'flagged',
                  'D': 'deleted', 'T': 'draft'}
MAILDIR_LETTERS = {'S': 'seen', 'R': 'answered', 'F': 'flagged',
                   'T': 'deleted', 'D': 'draft'}


def safe_component(c, maildir=False):
    """What mailsave's path_component() keeps of a plain folder name."""
    c = unicodedata.normalize('NFC', c)
    if maildir:
        c = c.replace('.', '_')
    return c


def read_export(dest, fmt):
    """[(message-id, folder, set of flags or None, message, from_line)]"""
    import email
    import mailbox
    out = []
    if fmt == 'mbox':
        for dirpath, dirs, files in os.walk(dest):
            dirs[:] = [d for d in dirs if not d.startswith('.')]
            for f in files:
                if not f.endswith('.mbox'):
                    continue
                p = os.path.join(dirpath, f)
                folder = os.path.relpath(p, dest)[:-5]
                for m in mailbox.mbox(p):
                    # Python's mailbox reads Status and X-Status ...
                    fl = {STATUS_LETTERS[c] for c in m.get_flags()
                          if c in STATUS_LETTERS}
                    # ... but not mboxrd quoting: undo it here.
                    raw = re.sub(rb'(?m)^>(>*From )', rb'\1', m.as_bytes())
                    out.append((m['Message-ID'], folder, fl,
                                email.message_from_bytes(raw),
                                m.get_from()))
    elif fmt == 'maildir':
        for dirpath, dirs, files in os.walk(dest):
            dirs[:] = [d for d in dirs if d != '.mailsave']
            if os.path.basename(dirpath) != 'cur':
                continue
            box = os.path.relpath(os.path.dirname(dirpath), dest)
            folder = 'INBOX' if box == '.' else box[1:].replace('.', '/')
            for f in files:
                info = f.split(':2,', 1)[1] if ':2,' in f else ''
                fl = {MAILDIR_LETTERS[c] for c in info
                      if c in MAILDIR_LETTERS}
                with open(os.path.join(dirpath, f), 'rb') as fh:
                    m = email.message_from_bytes(fh.read())
                out.append((m['Message-ID'], folder, fl, m, None))
    else:
        for dirpath, dirs, files in os.walk(dest):
            dirs[:] = [d for d in dirs if not d.startswith('.')]
            for f in files:
                if not f.endswith('.eml'):
                    continue
                with open(os.path.join(dirpath, f), 'rb') as fh:
                    m = email.message_from_bytes(fh.read())
                out.append((m['Message-ID'], os.path.relpath(dirpath, dest),
                            None, m, None))
    return out


def leaves(msg):
    res = []
    for p in msg.walk():
        if p.is_multipart():
            continue
        if p.get_content_type() == 'message/rfc822':
            continue
        data = p.get_payload(decode=True) or b''
        if p.get_content_maintype() == 'text':
            data = data.replace(b'\r\n', b'\n')
        if p.get_content_type() == 'application/zip':
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                data = sorted((i.filename, z.read(i)) for i in z.infolist()
                              if not i.is_dir())
        res.append((p.get_content_type(), data))
    return res


def check(dest, fmt, expected_path, oracle_dir=None):
    import email
    import time
    errors = []
    exp = {}
    with open(expected_path, encoding='utf-8') as f:
        for line in f:
            cols = line.rstrip('\n').split('\t')
            while len(cols) < 6:
                cols.append('')
            exp[cols[0]] = cols
    got = read_export(dest, fmt)
    seen = {}
    for mid, folder, fl, m, frm in got:
        seen.setdefault(mid, []).append((folder, fl, m, frm))
    for mid, cols in sorted(exp.items()):
        if mid not in seen:
            errors.append('%s: missing' % mid)
            continue
        if len(seen[mid]) != 1:
            errors.append('%s: exported %d times' % (mid, len(seen[mid])))
        folder, fl, m, frm = seen[mid][0]
        want = cols[1]
        if fmt == 'maildir':
            want = '/'.join(safe_component(c, True) for c in want.split('/'))
            if want == 'INBOX':
                want = 'INBOX'
        if unicodedata.normalize('NFC', folder) != want:
            errors.append('%s: folder %r, expected %r' % (mid, folder, want))
        if fl is not None:
            wf = set(x for x in cols[2].split(',') if x)
            if fl != wf:
                errors.append('%s: flags %s, expected %s' %
                              (mid, sorted(fl), sorted(wf)))
        if frm is not None and cols[3] not in ('', '0'):
            d = time.strftime('%a %b %e %H:%M:%S %Y',
                              time.gmtime(int(cols[3])))
            if not frm.endswith(d):
                errors.append('%s: From_ line %r, expected date %r' %
                              (mid, frm, d))
        if cols[4] and fmt == 'mbox':
            kw = (m.get('X-Keywords') or '').replace(',', ' ').split()
            if sorted(kw) != sorted(cols[4].split()):
                errors.append('%s: keywords %r, expected %r' %
                              (mid, kw, cols[4]))
        inc = (m.get('X-Mailsave-Incomplete') or '').strip()
        if inc != cols[5]:
            errors.append('%s: X-Mailsave-Incomplete %r, expected %r' %
                          (mid, inc, cols[5]))
    for mid in seen:
        if mid not in exp:
            errors.append('%s: not expected (%s)' % (mid, seen[mid][0][0]))
    if oracle_dir:
        for f in sorted(os.listdir(oracle_dir)):
            with open(os.path.join(oracle_dir, f), 'rb') as fh:
                orig = email.message_from_bytes(fh.read())
            mid = orig['Message-ID']
            if mid not in seen:
                continue
            m = seen[mid][0][2]
            a, b = leaves(m), leaves(orig)
            missing = exp.get(mid, [''] * 6)[5]
            if len(a) != len(b):
                errors.append('%s: %d parts, original has %d' %
                              (mid, len(a), len(b)))
                continue
            for i, (x, y) in enumerate(zip(a, b)):
                if x[0] != y[0]:
                    errors.append('%s: part %d is %s, original %s' %
                                  (mid, i, x[0], y[0]))
                elif (x[1] != y[1] and not missing and not (
                        fmt == 'mbox' and i == len(a) - 1 and
                        isinstance(x[1], bytes) and
                        x[1].rstrip(b'\n') == y[1].rstrip(b'\n'))):
                    # (an mbox writer ends every message with a newline)
                    errors.append('%s: part %d (%s) differs from the '
                                  'original' % (mid, i, x[0]))
    for e in errors:
        print(e)
    print('%d expected, %d exported, %d problems' %
          (len(exp), len(got), len(errors)))
    return 1 if errors else 0


def scenario_bench(st, count=50000):
    """A big V10 store for the benchmark: COUNT messages (about 40 KB on
    average, 2 GB for 50,000), 20 % partial with their payloads on disk,
    in 10 mailboxes; no expectations written (too big to check)."""
    import random
    rnd = random.Random(42)
    acct = uid('bench-acct')
    tag = 'bench'
    for n in range(1, count + 1):
        box = 'Box%d' % (n % 10)
        data_dir = ['Library', 'Mail', 'V10', acct, box + '.mbox',
                    uid('bench-' + box), 'Data']
        msgdir = os.path.join(*(data_dir + fan(n) + ['Messages']))
        date = T0 + n * 60
        r = rnd.random()
        pl = plist_xml({'date-received': date,
                        'flags': flags_value(['seen'] if n % 3 else [])})
        if r < 0.2:
            size = rnd.choice([20, 50, 100, 300]) * 1024
            tree = Multi('mixed', [
                Leaf('text/plain', (LOREM * 20).encode()),
                Leaf('application/octet-stream', os.urandom(size),
                     cte='base64', filename='file%d.bin' % n, stub=True),
            ])
            full, skel, payloads = partial_message(tag, n, 'Bench %d' % n,
                                                   date, tree)
            put_emlx(st, msgdir, n, skel, pl, name='%d.partial.emlx' % n)
            place_payloads(st, msgdir, n, payloads)
        elif r < 0.3:
            size = rnd.choice([50, 100, 200]) * 1024
            tree = Multi('mixed', [
                Leaf('text/plain', (LOREM * 20).encode()),
                Leaf('application/octet-stream', os.urandom(size),
                     cte='base64', filename='file%d.bin' % n),
            ])
            full, skel, payloads = partial_message(tag, n, 'Bench %d' % n,
                                                   date, tree)
            put_emlx(st, msgdir, n, full, pl)
        else:
            body = LOREM * rnd.randint(5, 60)
            put_emlx(st, msgdir, n, simple_message(tag, n, 'Bench %d' % n,
                                                   date, body=body), pl)


DEMO_README = """\
# A demo Apple Mail store

Made by `samples/make-applemail.py samples/applemail` (never edit by hand:
change the script and run it again).  Nothing here comes from a real
mailbox.

    mailsave list   --from samples/applemail/Library/Mail
    mailsave export --from samples/applemail/Library/Mail --to mbox -o demo

What it holds (Mail on macOS 13+, a `V10` store):

- `Library/Mail/PersistenceInfo.plist` naming `V10`, and a stale `V9`
  copy that must not be exported again;
- three accounts, named by `Library/Accounts/Accounts4.sqlite`: "Work"
  (IMAP), "Google" (Gmail: every file in `[Gmail]/All Mail`, labels in
  the Envelope Index) and "On My Mac";
- nested mailboxes (`Archive/2024`), a mailbox whose name is stored
  NFD (`Kvätton`), names with spaces, two store folders in one mailbox,
  fan-out folders (`Data/1/Messages`, `Data/3/2/1/Messages`) and a
  partition-only store;
- partial messages: base64, quoted-printable and 7bit payloads, a
  `.emlxpart` sidecar, an attached e-mail, a bundle folder that comes
  back zipped, localized and NFC/NFD file names, a payload filed under
  two section numbers and one under a neighbouring one, and one whose
  payload is missing (exported with `X-Mailsave-Incomplete: 2`);
- `24.emlx` beside `24.partial.emlx` (the whole one is exported, once);
- `MailData/Envelope Index` with read/flagged state that differs from
  the .emlx files (the index wins) and a message without a row.

`expected.tsv` lists every message that must come out (Message-ID,
folder, flags, received date, labels, missing sections) and `oracle/`
holds the complete originals of the partial messages;
`make-applemail.py --check EXPORT FORMAT expected.tsv oracle` compares an
export with them.
"""


SCENARIOS = {
    'demo': scenario_demo, 'v10': scenario_demo, 'fanout': scenario_fanout, 'v2': scenario_v2,
    'mail2': scenario_mail2, 'damaged': scenario_damaged,
    'bench': scenario_bench,
}


def main(argv):
    scen = 'demo'
    args = list(argv)
    if args and args[0] == '--check':
        # --check EXPORT FORMAT EXPECTED.tsv [ORACLE_DIR]
        if len(args) not in (4, 5):
            sys.stderr.write('usage: make-applemail.py --check EXPORT '
                             'mbox|eml|maildir EXPECTED.tsv [ORACLE]\n')
            return 2
        return check(args[1], args[2], args[3],
                     args[4] if len(args) == 5 else None)
    if len(args) >= 2 and args[0] == '--scenario':
        scen = args[1]
        args = args[2:]
    if len(args) != 1 or scen not in SCENARIOS:
        sys.stderr.write('usage: make-applemail.py [--scenario %s] DEST\n'
                         % '|'.join(sorted(SCENARIOS)))
        return 2
    dest = args[0]
    if os.path.exists(os.path.join(dest, 'Library')):
        shutil.rmtree(os.path.join(dest, 'Library'))
    if os.path.exists(os.path.join(dest, 'oracle')):
        shutil.rmtree(os.path.join(dest, 'oracle'))
    os.makedirs(dest, exist_ok=True)
    st = Store(dest)
    if scen == 'bench':
        scenario_bench(st, int(os.environ.get('BENCH_COUNT', '50000')))
        return 0
    if scen == 'demo':
        scenario_demo(st, wal=False)
        with open(os.path.join(dest, 'README.md'), 'w') as f:
            f.write(DEMO_README)
    elif scen == 'v10':
        scenario_demo(st, wal=True)
    else:
        SCENARIOS[scen](st)
    st.finish()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
