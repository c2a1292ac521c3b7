#!/usr/bin/env python3
"""An independent peer for examples/event_loop.c, written with Python's own
socket module: Python's client against `event_loop --serve`, then
`event_loop --connect` against Python's server. Exits 0 when both agree
byte for byte and every connection ends in order."""
import socket
import subprocess
import sys
import threading

PROGRAM = sys.argv[1]
COUNT, SIZE = 5, 300000


def pattern(n):
    return bytes(ord('a') + i % 23 for i in range(n))


def python_client(port):
    data = pattern(SIZE)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = bytearray()
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    if bytes(got) != data:
        sys.exit(f"python client: echo differs ({len(got)} of {SIZE} bytes)")


def against_our_server():
    server = subprocess.Popen([PROGRAM, "--serve", str(COUNT)],
                              stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline().split()
    if len(line) != 2 or line[0] != "port":
        sys.exit(f"unexpected first line from the server: {line}")
    for _ in range(COUNT):
        python_client(int(line[1]))
    out, _ = server.communicate(timeout=30)
    print("server:", out.strip())
    if server.returncode != 0:
        sys.exit(f"event_loop --serve exited {server.returncode}")


def python_server(listener, count):
    for _ in range(count):
        conn, _ = listener.accept()
        with conn:
            got = bytearray()
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                got += chunk
            conn.sendall(got)


def against_python_server():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(COUNT)
    port = listener.getsockname()[1]
    thread = threading.Thread(target=python_server, args=(listener, COUNT))
    thread.start()
    client = subprocess.run([PROGRAM, "--connect", f"127.0.0.1:{port}",
                             str(COUNT), str(SIZE)], capture_output=True,
                            text=True, timeout=60)
    thread.join(timeout=30)
    listener.close()
    print("client:", client.stdout.strip(), client.stderr.strip())
    if client.returncode != 0:
        sys.exit(f"event_loop --connect exited {client.returncode}")


against_our_server()
against_python_server()
print("python3 and event_loop agree")
