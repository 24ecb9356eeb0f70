#!/usr/bin/env python3
"""A loopback TCP proxy that cuts connections, for the fault tests.

usage: cutproxy.py TARGET_PORT PORT_FILE CUT[,CUT...]

Listens on 127.0.0.1 (a free port, written to PORT_FILE once listening)
and forwards every connection to 127.0.0.1:TARGET_PORT.  The i-th
connection is closed abruptly after CUT[i] bytes went from the server to
the client; 0 means never; connections after the last CUT use 0.  A CUT
of dN drip-feeds instead: after N bytes, one byte every 0.2 s.  Each
accepted connection is logged on stdout ("conn N cut at M").
"""
import socket
import sys
import threading


def drip(src, dst, after, state):
    """Forward everything up to AFTER bytes, then one byte every 0.2 s."""
    import time
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            for i in range(len(data)):
                if state["n"] >= after:
                    time.sleep(0.2)
                dst.sendall(data[i:i + 1])
                state["n"] += 1
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def pump(src, dst, limit, state):
    try:
        while True:
            want = 65536
            if limit:
                want = min(want, limit - state["n"])
                if want <= 0:
                    break
            data = src.recv(want)
            if not data:
                break
            dst.sendall(data)
            state["n"] += len(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def main():
    target = int(sys.argv[1])
    cuts = [x for x in sys.argv[3].split(",") if x != ""]
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write("%d\n" % lsock.getsockname()[1])
    import os
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    n = 0
    while True:
        client, _ = lsock.accept()
        server = socket.create_connection(("127.0.0.1", target))
        cut = cuts[n] if n < len(cuts) else "0"
        print("conn %d cut at %s" % (n, cut), flush=True)
        n += 1
        down = {"n": 0}
        if cut.startswith("d"):
            threading.Thread(target=drip, args=(server, client,
                             int(cut[1:]), down), daemon=True).start()
        else:
            threading.Thread(target=pump, args=(server, client, int(cut),
                             down), daemon=True).start()
        threading.Thread(target=pump, args=(client, server, 0, {"n": 0}),
                         daemon=True).start()


if __name__ == "__main__":
    main()
