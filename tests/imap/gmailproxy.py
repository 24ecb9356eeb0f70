#!/usr/bin/env python3
"""A loopback IMAP proxy that makes the test Dovecot look like Gmail.

usage: gmailproxy.py TARGET_PORT PORT_FILE USER PASS

Listens on 127.0.0.1 (a free port, written to PORT_FILE once listening)
and forwards every connection, in plain text, to Dovecot's IMAP port
127.0.0.1:TARGET_PORT (the client must use --tls=none).  On the way:

  * X-GM-EXT-1 is added to every CAPABILITY list;
  * a FETCH that asks for X-GM-MSGID or X-GM-LABELS asks Dovecot for
    BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT)] instead, and each
    answer gets "X-GM-MSGID n" (from a hash of those header fields, so
    a message has the same id in every folder) and, when asked for,
    "X-GM-LABELS (...)" in Gmail's own syntax: a bare \\Inbox, \\Sent and
    \\Important (for messages in Work), other folders by name in modified
    UTF-7, quoted when they hold a space.

Labels come from the account itself: at each new connection the proxy
lists every folder of USER (imaptool.py's code, over TLS) and notes
where each message is.  The all-mail folder is the one named in
GMAIL_ALL below; Spam and Trash are not labels.
"""
import hashlib
import os
import re
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imaptool  # noqa: E402

GMAIL_ALL = "[Gmail]/Alle Nachrichten"
FIELDS = b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT)]"
ANSWER = re.compile(rb"BODY\[HEADER\.FIELDS \(MESSAGE-ID SUBJECT\)\] "
                    rb"\{(\d+)\}\r\n")
SYSTEM = {"INBOX": "\\Inbox", "[Gmail]/Sent Mail": "\\Sent"}


def key_of(header):
    return hashlib.sha1(header).hexdigest()


def label_map(user, password):
    """key of the header fields -> the labels of the message."""
    m = imaptool.connect(user, password)
    labels = {}
    for raw, disp in imaptool.folders(m):
        typ, data = m.select(imaptool.quote(raw), readonly=True)
        assert typ == "OK", data
        typ, data = m.uid("FETCH", "1:*", "(" + FIELDS.decode() + ")")
        for item in data:
            if not isinstance(item, tuple):
                continue
            k = key_of(item[1])
            labels.setdefault(k, [])
            if disp == GMAIL_ALL or disp.startswith("[Gmail]/Spam"):
                continue
            label = SYSTEM.get(disp)
            if label is None:
                label = imaptool.mutf7_encode(disp)
                if " " in label:
                    label = imaptool.quote(label)
            labels[k].append(label)
            if disp == "Work" and "\\Important" not in labels[k]:
                labels[k].append("\\Important")
    m.logout()
    return labels


class Conn:
    def __init__(self, client, labels, target):
        self.c = client
        self.s = socket.create_connection(("127.0.0.1", target))
        self.labels = labels
        self.want_labels = False

    @staticmethod
    def read_response(f):
        """One line of the server with its literals, as bytes."""
        out = b""
        while True:
            line = f.readline()
            if not line:
                return out or None
            out += line
            mm = re.search(rb"\{(\d+)\}\r\n$", line)
            if not mm:
                return out
            out += f.read(int(mm.group(1)))

    def rewrite(self, data):
        if b"CAPABILITY" in data and b"X-GM-EXT-1" not in data:
            data = data.replace(b"IMAP4rev1", b"IMAP4rev1 X-GM-EXT-1", 1)
        mm = ANSWER.search(data)
        if mm and b" FETCH " in data:
            n = int(mm.group(1))
            header = data[mm.end():mm.end() + n]
            k = key_of(header)
            item = b"X-GM-MSGID %d" % int(k[:15], 16)
            if self.want_labels:
                item += b" X-GM-LABELS (" + " ".join(
                    self.labels.get(k, [])).encode() + b")"
            data = data[:mm.start()] + item + data[mm.end() + n:]
        return data

    def server_to_client(self):
        f = self.s.makefile("rb")
        try:
            while True:
                data = self.read_response(f)
                if data is None:
                    break
                self.c.sendall(self.rewrite(data))
        except OSError:
            pass
        self.close()

    def client_to_server(self):
        f = self.c.makefile("rb")
        try:
            while True:
                line = f.readline()
                if not line:
                    break
                up = line.upper()
                if b"FETCH" in up and (b"X-GM-MSGID" in up or
                                       b"X-GM-LABELS" in up):
                    self.want_labels = b"X-GM-LABELS" in up
                    line = re.sub(rb"(?i) ?X-GM-LABELS", b"", line)
                    line = re.sub(rb"(?i)X-GM-MSGID", FIELDS, line)
                    if FIELDS not in line:
                        line = line.replace(b"(", b"(" + FIELDS + b" ", 1)
                self.s.sendall(line)
                mm = re.search(rb"\{(\d+)\+?\}\r\n$", line)
                if mm:
                    self.s.sendall(f.read(int(mm.group(1))))
        except OSError:
            pass
        self.close()

    def close(self):
        for x in (self.c, self.s):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main(argv):
    target, port_file, user, password = int(argv[1]), argv[2], argv[3], \
        argv[4]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    while True:
        client, _ = ls.accept()
        conn = Conn(client, label_map(user, password), target)
        for fn in (conn.server_to_client, conn.client_to_server):
            threading.Thread(target=fn, daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
