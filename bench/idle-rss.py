#!/usr/bin/env python3
"""RSS of servers holding 1,000 idle keep-alive connections.

    idle-rss.py PORT_A PID_A [PORT_B PID_B ...]

For each server: opens 1,000 connections, sends one GET /1k.txt on each and reads the
answer, leaves them open and idle, then sums VmRSS of the server process and its direct
children (nginx master + workers). Prints RSS before and with the connections, in MiB.
"""
import os
import socket
import sys
import time

N = 1000


def rss_kib(pid):
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def hold(port):
    conns = []
    for _ in range(N):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /1k.txt HTTP/1.1\r\nHost: bench\r\n\r\n")
        conns.append(s)
    for s in conns:
        s.settimeout(5)
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    return conns


def main(args):
    rows = []
    for port, pid in zip(args[0::2], args[1::2]):
        port, pid = int(port), int(pid)
        before = rss_kib(pid)
        conns = hold(port)
        time.sleep(1)
        during = rss_kib(pid)
        rows.append((port, before, during))
        for s in conns:
            s.close()
        time.sleep(1)
    for port, before, during in rows:
        print(f"port {port}: RSS idle {before / 1024:.1f} MiB, with {N} keep-alive connections {during / 1024:.1f} MiB")
    if len(rows) == 2 and rows[1][2]:
        print(f"ratio A/B (with connections): {rows[0][2] / rows[1][2]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
