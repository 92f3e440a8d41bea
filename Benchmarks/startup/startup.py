#!/usr/bin/env python3
"""Start-up time of each server, measured from just before its exec: to the first `listening on`
line on its standard output (for the servers that print one; nginx prints none), and to the first
TCP connection its port accepts (for every server, so the peers compare on the same footing).

Each server starts REPS times, the servers interleaved round by round (a shared machine's slow
minute then hits every server alike), each on a free port of its own, pinned to CPU 0, and is
stopped with SIGTERM before the next starts. Prints one Markdown table row a server: medians with
min-max in milliseconds, and the median to the first connection as a ratio to the first server's.

    usage: startup.py REPS SPEC
SPEC has a line a server, its fields separated by tabs: the name; 1 if it prints a `listening on`
line, else 0; its command line, split at spaces, where "{port}" stands for the port to use; and,
for a server that reads a configuration file (nginx), the file to make it from, with "{port}"
replaced the same way, and the file to write it to before each start.
The times include launching the process (Python's spawn of `taskset`, which execs the server:
about 3 ms on the build machine, most of the C echo's figure), which overstates every server's
start-up alike.
"""
import os
import select
import socket
import statistics
import subprocess
import sys
import time

GIVE_UP_SECONDS = 10.0
POLL_SECONDS = 0.0002


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts_connection(port):
    with socket.socket() as client:
        try:
            client.connect(("127.0.0.1", port))
            return True
        except ConnectionRefusedError:
            return False


def read_spec(path):
    """The servers of SPEC: (name, argv template, prints_line, config template path, config path)."""
    servers = []
    with open(path) as spec_file:
        for line in spec_file:
            name, prints_line, command, *config = line.rstrip("\n").split("\t")
            template, config_path = config if config else (None, None)
            servers.append((name, command.split(" "), prints_line == "1", template, config_path))
    return servers


def start_once(argv_template, prints_line, config_template, config_path):
    """Starts the server once; returns (ms to the line or None, ms to the first connection)."""
    port = free_port()
    if config_template is not None:
        with open(config_template) as template, open(config_path, "w") as config_file:
            config_file.write(template.read().replace("{port}", str(port)))
    argv = ["taskset", "-c", "0"] + [part.replace("{port}", str(port)) for part in argv_template]
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    output = process.stdout.fileno()
    os.set_blocking(output, False)
    line_at = connected_at = None
    seen = b""
    try:
        while connected_at is None or (prints_line and line_at is None):
            now = time.perf_counter()
            if now - started > GIVE_UP_SECONDS or process.poll() is not None:
                sys.exit(f"startup.py: {argv_template[0]} did not start (exit status {process.poll()})")
            if connected_at is None and accepts_connection(port):
                connected_at = time.perf_counter()
            if prints_line and line_at is None:
                readable, _, _ = select.select([output], [], [], POLL_SECONDS)
                if readable:
                    seen += os.read(output, 4096)
                    if b"listening on" in seen:
                        line_at = time.perf_counter()
            else:
                time.sleep(POLL_SECONDS)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    to_ms = lambda instant: None if instant is None else (instant - started) * 1000
    return to_ms(line_at), to_ms(connected_at)


def summary(values):
    if not values:
        return "-"
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: startup.py REPS SPEC")
    repetitions = int(sys.argv[1])
    servers = read_spec(sys.argv[2])
    lines = {name: [] for name, *_ in servers}
    connections = {name: [] for name, *_ in servers}
    for _ in range(repetitions):
        for name, argv, prints_line, config_template, config_path in servers:
            line_ms, connection_ms = start_once(argv, prints_line, config_template, config_path)
            if line_ms is not None:
                lines[name].append(line_ms)
            connections[name].append(connection_ms)
    reference = statistics.median(connections[servers[0][0]])
    print(f"| server | to `listening on`, ms | to the first connection, ms | x {servers[0][0]} |")
    print("|---|---|---|---|")
    for name, *_ in servers:
        ratio = statistics.median(connections[name]) / reference
        print(f"| {name} | {summary(lines[name])} | {summary(connections[name])} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
