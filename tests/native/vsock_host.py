#!/usr/bin/env python3
"""The host side of the native vsock test (guests/vsock_guest.c), speaking
Firecracker's protocol to warden's virtio-vsock over Unix sockets.

  A: listens on UDS_5000 for the guest's connection, reads it to the end,
     answers with random bytes and closes.
  B: connects to UDS, writes "CONNECT 6000", reads "OK <port>", sends
     random bytes, shuts its sending side and reads the echo to the end.

Prints one line per fact ("host: A in BYTES FNV", ...) for vsock.sh to
compare with what the guest printed; every wait has a timeout."""
import os
import socket
import sys
import threading
import time

TIMEOUT = 40
A_REPLY = 150000
B_BYTES = 70000


def fnv(data, h=0xcbf29ce484222325):
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def say(*words):
    print("host:", *words, flush=True)


def read_all(s):
    chunks = []
    while True:
        b = s.recv(65536)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def side_a(listener):
    try:
        s, _ = listener.accept()
        s.settimeout(TIMEOUT)
        got = read_all(s)
        say("A in", len(got), hex(fnv(got)))
        reply = os.urandom(A_REPLY)
        s.sendall(reply)
        say("A out", len(reply), hex(fnv(reply)))
        s.close()
    except OSError as e:
        say("A error", e)


def connect_when_there(path):
    end = time.time() + TIMEOUT
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(TIMEOUT)
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.time() > end:
                raise
            time.sleep(0.05)


def read_line(s):
    line = b""
    while not line.endswith(b"\n") and len(line) < 32:
        b = s.recv(1)
        if not b:
            break
        line += b
    return line.decode(errors="replace").strip()


def side_b(uds):
    try:
        s = connect_when_there(uds)
        s.sendall(b"CONNECT 6000\n")
        line = read_line(s)
        say("B line", line)
        data = os.urandom(B_BYTES)

        def send():
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)

        t = threading.Thread(target=send)
        t.start()
        echo = read_all(s)
        t.join()
        say("B sent", len(data), hex(fnv(data)))
        say("B echo", len(echo), hex(fnv(echo)))
        s.close()
    except OSError as e:
        say("B error", e)


def main():
    uds = sys.argv[1]
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(uds + "_5000")
    listener.listen(4)
    listener.settimeout(TIMEOUT)
    say("listening")
    a = threading.Thread(target=side_a, args=(listener,))
    a.start()
    side_b(uds)
    a.join()
    listener.close()
    os.unlink(uds + "_5000")


if __name__ == "__main__":
    main()
