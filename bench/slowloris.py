#!/usr/bin/env python3
"""Slowloris against methodical (issue 8, item 1).

    slowloris.py --binary target/release/methodical [--conns 1000] [--duration 60] ...

Starts the server on 127.0.0.1:PORT (default limits: header_timeout 10 s, 1,024
connections per address), then:

1. idle baseline: a normal client on 127.0.0.1 makes requests, each on a new connection
   (connect, GET /a.txt, read to the end), paced at --rate per second;
2. attack: --conns slowloris connections from 127.0.0.2, each sending one octet of a
   request head every --interval seconds (a connection the server ends, with its 408, is
   replaced at once, so the attack stays at full strength), while the same client goes on;
3. phases 1 and 2 alternate --rounds times (--baseline and --duration seconds in all), so
   other load on the machine weighs on both alike; RSS at the end, once the attack's
   connections are gone.

Prints the client's success rate, p50/p99 latency idle vs under attack, the server's RSS
before / during (peak) / after, and whether the issue's criteria hold: >= 99 % success and
p99 under attack < 2 x the idle p99. Exit status 1 when a criterion fails.

The attacker runs in its own process (its CPU time must not be the client's); with
--pin (the default when the machine has 2+ CPUs) the server runs on the last CPU and the
client and attacker on the others, as bench/static-vs-nginx.sh does.
"""
import argparse
import gc
import heapq
import multiprocessing as mp
import os
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import time

HEAD = b"GET /a.txt HTTP/1.1\r\nHost: bench\r\nUser-Agent: slowloris\r\n" + b"X-Slow: " + b"a" * 4000


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_ticks(pid):
    """(machine busy ticks, machine total ticks, server ticks) from /proc."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read().rsplit(")", 1)[1].split()
        server = int(stat[11]) + int(stat[12])
    except OSError:
        server = 0
    return sum(fields) - idle, sum(fields), server


def cpu_share(before, after, ncpu):
    """Machine busy % (all CPUs) and server CPU % (of one CPU) between two cpu_ticks()."""
    busy, total, server = (a - b for a, b in zip(after, before))
    hz = os.sysconf("SC_CLK_TCK")
    seconds = total / hz / ncpu if total else 1
    return (100.0 * busy / total if total else 0.0), 100.0 * server / hz / seconds


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(need, soft), hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def attacker(port, conns, interval, source, ready, stop, stats):
    """Keeps `conns` slow connections from `source` open until `stop` is set."""
    raise_nofile(conns + 64)
    sel = selectors.DefaultSelector()
    due = []  # heap of (next send time, serial, socket)
    sent = {}
    serial = 0
    opened = ended = failed = 0

    def open_one(offset):
        nonlocal serial, opened, failed
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((source, 0))
            s.settimeout(2)
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            failed += 1
            return
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        sent[s] = 0
        serial += 1
        opened += 1
        heapq.heappush(due, (time.monotonic() + offset, serial, s))

    def drop(s):
        nonlocal ended
        if s in sent:
            ended += 1
            del sent[s]
            sel.unregister(s)
            s.close()

    for i in range(conns):
        # Spread the first octets over one interval: a steady trickle, as a real attack.
        open_one(interval * i / conns)
    ready.set()
    samples = []
    next_sample = time.monotonic() + 1
    while not stop.is_set():
        now = time.monotonic()
        timeout = max(0.0, min(due[0][0] - now if due else 0.5, 0.5))
        for key, _ in sel.select(timeout):
            s = key.fileobj
            try:
                s.recv(65536)  # the 408, or the end
            except OSError:
                pass
            drop(s)
            open_one(0)
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, s = heapq.heappop(due)
            if s not in sent:
                continue  # already ended and replaced
            try:
                s.send(HEAD[sent[s] % len(HEAD):][:1])
                sent[s] += 1
                serial += 1
                heapq.heappush(due, (now + interval, serial, s))
            except BlockingIOError:
                serial += 1
                heapq.heappush(due, (now + interval, serial, s))
            except OSError:
                drop(s)
                open_one(0)
        if now >= next_sample:
            samples.append(len(sent))
            next_sample = now + 1
    stats["opened"] = opened
    stats["ended"] = ended
    stats["failed"] = failed
    stats["held_min"] = min(samples) if samples else len(sent)
    stats["held_avg"] = sum(samples) / len(samples) if samples else len(sent)
    for s in list(sent):
        s.close()


def one_request(port):
    """Latency of one request on a new connection, or None when it failed."""
    t0 = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            got = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
    except OSError:
        return None
    if not got.startswith(b"HTTP/1.1 200 ") or not got.endswith(b"x" * 64):
        return None
    return time.perf_counter() - t0


def run_client(port, seconds, rate, pid, rss_peak):
    """Paced requests for `seconds`; returns (latencies, failures, peak RSS)."""
    lat, failures = [], 0
    period = 1.0 / rate
    end = time.monotonic() + seconds
    next_at = time.monotonic()
    next_rss = 0
    while time.monotonic() < end:
        d = one_request(port)
        if d is None:
            failures += 1
        else:
            lat.append(d)
        now = time.monotonic()
        if now >= next_rss:
            rss_peak = max(rss_peak, rss_kib(pid))
            next_rss = now + 1
        next_at += period
        if next_at > now:
            time.sleep(next_at - now)
        else:
            next_at = now
    return lat, failures, rss_peak


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p * len(xs) + 0.5)) - 1))] if xs else float("nan")


def ms(x):
    return f"{x * 1000:.3f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--port", type=int, default=18540)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=5.0, help="seconds between two octets of one slow connection")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds under attack")
    ap.add_argument("--baseline", type=float, default=20.0, help="seconds of idle baseline")
    ap.add_argument("--rate", type=float, default=100.0, help="normal client requests per second")
    ap.add_argument("--rounds", type=int, default=3, help="idle and attack phases alternate this many times (the "
                    "durations are split), so load elsewhere on the machine weighs on both alike")
    ap.add_argument("--header-timeout", default=None, help='[limits] header_timeout, e.g. "10s" (server default when absent)')
    ap.add_argument("--pin", choices=["auto", "yes", "no"], default="auto")
    args = ap.parse_args()

    limit = raise_nofile(args.conns + 256)
    if limit < args.conns + 64:
        sys.exit(f"open-files limit {limit} is too low for {args.conns} connections (ulimit -n)")
    probe = socket.socket()
    # As the server binds: connections of an earlier run in TIME_WAIT do not make it taken.
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", args.port))
    except OSError:
        sys.exit(f"port {args.port} is taken; choose another with --port")
    finally:
        probe.close()

    work = tempfile.mkdtemp(prefix="slowloris-")
    os.makedirs(f"{work}/site")
    with open(f"{work}/site/a.txt", "wb") as f:
        f.write(b"x" * 1024)
    limits = f'[limits]\nheader_timeout = "{args.header_timeout}"\n' if args.header_timeout else ""
    with open(f"{work}/methodical.toml", "w") as f:
        f.write(f'{limits}[log]\nformat = "off"\n\n[[route]]\nprefix = "/"\nstatic = {{ root = "site" }}\n')

    cpus = sorted(os.sched_getaffinity(0))
    pin = args.pin == "yes" or (args.pin == "auto" and len(cpus) >= 2)
    cmd = [args.binary, "serve", "--config", f"{work}/methodical.toml", "--listen", f"127.0.0.1:{args.port}"]
    if pin:
        cmd = ["taskset", "-c", str(cpus[-1])] + cmd
        os.sched_setaffinity(0, cpus[:-1])
    log = open(f"{work}/server.log", "w")
    server = subprocess.Popen(cmd, stderr=log, env={**os.environ, "RUST_LOG": "warn"})
    try:
        for _ in range(100):
            with open(f"{work}/server.log") as f:
                started = "listening on" in f.read()
            if started or server.poll() is not None:
                break
            time.sleep(0.1)
        if not started:
            with open(f"{work}/server.log") as f:
                sys.exit(f"the server did not start: {f.read()}")
        pid = server.pid
        time.sleep(0.5)
        for _ in range(200):  # warm-up
            one_request(args.port)
        print(f"slowloris bench: {args.conns} connections from 127.0.0.2, one octet every {args.interval:g} s; "
              f"client {args.rate:g} req/s on new connections; header_timeout {args.header_timeout or 'default (10s)'}; "
              f"server pinned: {'CPU ' + str(cpus[-1]) if pin else 'no'}; open-files limit {limit}", flush=True)

        rss_before = rss_kib(pid)
        ncpu = os.cpu_count() or 1
        base, base_fail, attack, attack_fail = [], 0, [], 0
        rss_attack_start, rss_peak = 0, 0
        cpu = {"idle": [0.0, 0.0], "attack": [0.0, 0.0]}
        opened = ended = failed = 0
        held_min, held_avg = args.conns, []
        manager = mp.Manager()
        gc.disable()
        for r in range(args.rounds):
            t0 = cpu_ticks(pid)
            lat, fail, _ = run_client(args.port, args.baseline / args.rounds, args.rate, pid, 0)
            base += lat
            base_fail += fail
            machine, srv = cpu_share(t0, cpu_ticks(pid), ncpu)
            cpu["idle"][0] += machine / args.rounds
            cpu["idle"][1] += srv / args.rounds

            ready, stop = mp.Event(), mp.Event()
            stats = manager.dict()
            atk = mp.Process(target=attacker, args=(args.port, args.conns, args.interval, "127.0.0.2", ready, stop, stats))
            atk.start()
            ready.wait(60)
            time.sleep(min(2.0, args.interval))
            if r == 0:
                rss_attack_start = rss_kib(pid)
            t0 = cpu_ticks(pid)
            lat, fail, rss_peak = run_client(args.port, args.duration / args.rounds, args.rate, pid, max(rss_peak, rss_attack_start))
            attack += lat
            attack_fail += fail
            machine, srv = cpu_share(t0, cpu_ticks(pid), ncpu)
            cpu["attack"][0] += machine / args.rounds
            cpu["attack"][1] += srv / args.rounds
            stop.set()
            atk.join(30)
            opened += stats.get("opened", 0)
            ended += stats.get("ended", 0)
            failed += stats.get("failed", 0)
            held_min = min(held_min, stats.get("held_min", 0))
            held_avg.append(stats.get("held_avg", 0))
            time.sleep(2)
        gc.enable()
        rss_after = rss_kib(pid)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()

    total = len(attack) + attack_fail
    success = len(attack) / total if total else 0.0
    b99, a99 = pct(base, 0.99), pct(attack, 0.99)
    print(f"attack: {opened} slow connections opened, {ended} ended by the server (408 / header timeout), "
          f"{failed} connects failed; held min {held_min}, avg {sum(held_avg) / max(1, len(held_avg)):.0f}")
    print(f"client idle:         {len(base)}/{len(base) + base_fail} ok; p50 {ms(pct(base, 0.5))}, p99 {ms(b99)}, max {ms(max(base) if base else 0)}")
    print(f"client under attack: {len(attack)}/{total} ok ({success * 100:.2f} %); p50 {ms(pct(attack, 0.5))}, p99 {ms(a99)}, "
          f"max {ms(max(attack) if attack else 0)}; p99 ratio {a99 / b99:.2f}x")
    print(f"server RSS: before {rss_before / 1024:.1f} MiB, attack start {rss_attack_start / 1024:.1f} MiB, "
          f"peak during {rss_peak / 1024:.1f} MiB, after {rss_after / 1024:.1f} MiB")
    print(f"CPU: machine busy {cpu['idle'][0]:.0f} % idle phase / {cpu['attack'][0]:.0f} % attack phase (all CPUs); "
          f"server {cpu['idle'][1]:.1f} % / {cpu['attack'][1]:.1f} % of one CPU")
    ok_success = success >= 0.99
    ok_latency = a99 < 2 * b99
    print(f"criteria: success >= 99 %: {'PASS' if ok_success else 'FAIL'}; p99 under attack < 2 x idle p99: {'PASS' if ok_latency else 'FAIL'}")
    sys.exit(0 if ok_success and ok_latency else 1)


if __name__ == "__main__":
    main()
