#!/usr/bin/env python3
"""Mixed load for the soak and leak checks: echo and HTTP clients against running servers.

Echo workers open connections, send random payloads in random chunks, check every byte that comes
back and the close after a half-close; some reset their connection mid-transfer. HTTP workers
fetch files from the docroot over keep-alive connections (whole files, ranges, HEAD, 404s,
Connection: close) and compare every body with the file on disk; some reset mid-download.

It prints one summary line per report interval (and RSS of the given PIDs), and exits 1 if any
byte was wrong or any server error was seen. Standard library only.
"""
import argparse, os, random, socket, struct, sys, threading, time

lock = threading.Lock()
stats = {"echo_ok": 0, "http_ok": 0, "resets": 0, "wrong_bytes": 0, "server_errors": 0}
failures = []


def count(key, n=1, failure=None):
    with lock:
        stats[key] += n
        if failure and len(failures) < 20:
            failures.append(failure)


def reset_close(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def echo_worker(host, port, stop, rng):
    while not stop.is_set():
        size = int(2 ** rng.uniform(0, 18))
        payload = rng.randbytes(size)
        try:
            sock = socket.create_connection((host, port), timeout=10)
        except OSError as error:
            count("server_errors", failure=f"echo connect: {error}")
            time.sleep(0.1)
            continue
        resets = rng.random() < 0.05
        received = bytearray()
        try:
            sent = 0
            while sent < size:
                chunk = payload[sent:sent + rng.randint(1, 65536)]
                sock.sendall(chunk)
                sent += len(chunk)
                if resets and sent > size // 2:
                    break
                while True:  # read what is already back, so neither side's buffers fill up
                    sock.setblocking(False)
                    try:
                        data = sock.recv(1 << 20)
                    except BlockingIOError:
                        break
                    finally:
                        sock.setblocking(True)
                        sock.settimeout(10)
                    if not data:
                        break
                    received += data
            if resets:
                reset_close(sock)
                count("resets")
                continue
            sock.shutdown(socket.SHUT_WR)
            while True:
                data = sock.recv(1 << 20)
                if not data:
                    break
                received += data
            if bytes(received) == payload:
                count("echo_ok")
            else:
                count("wrong_bytes", failure=f"echo: {len(received)} of {size} bytes, mismatch")
        except OSError as error:
            count("server_errors", failure=f"echo: {error}")
        finally:
            sock.close()


def read_response(sock, buffered, is_head):
    while b"\r\n\r\n" not in buffered:
        data = sock.recv(65536)
        if not data:
            raise OSError("closed before a response head")
        buffered += data
    head, _, rest = bytes(buffered).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    length = 0 if is_head or status == 304 else int(headers.get("content-length", "0"))
    body = bytearray(rest)
    while len(body) < length:
        data = sock.recv(1 << 20)
        if not data:
            raise OSError("closed mid-body")
        body += data
    return status, headers, bytes(body[:length]), bytearray(body[length:])


def http_worker(host, port, root, files, stop, rng):
    sock, buffered = None, bytearray()
    while not stop.is_set():
        if sock is None:
            try:
                sock = socket.create_connection((host, port), timeout=10)
                buffered = bytearray()
            except OSError as error:
                count("server_errors", failure=f"http connect: {error}")
                time.sleep(0.1)
                continue
        name = rng.choice(files)
        with open(os.path.join(root, name), "rb") as f:
            content = f.read()
        kind = rng.random()
        extra, expected_status, expected_body, method = "", 200, content, "GET"
        if kind < 0.15:
            start = rng.randrange(len(content))
            end = rng.randrange(start, len(content))
            extra = f"Range: bytes={start}-{end}\r\n"
            expected_status, expected_body = 206, content[start:end + 1]
        elif kind < 0.22:
            name, expected_status, expected_body = "missing-" + name, 404, None
        elif kind < 0.27:
            method, expected_body = "HEAD", b""
        elif kind < 0.32:
            extra = "Connection: close\r\n"
        try:
            sock.sendall(f"{method} /{name} HTTP/1.1\r\nHost: soak\r\n{extra}\r\n".encode())
            if rng.random() < 0.03 and method == "GET" and len(content) > 100_000:
                sock.recv(4096)
                reset_close(sock)
                sock = None
                count("resets")
                continue
            status, headers, body, buffered = read_response(sock, buffered, method == "HEAD")
            if status >= 500 or status != expected_status:
                count("server_errors", failure=f"http {method} /{name}: status {status}, expected {expected_status}")
            elif expected_body is not None and body != expected_body:
                count("wrong_bytes", failure=f"http {method} /{name} {extra.strip()}: body differs")
            else:
                count("http_ok")
            if headers.get("connection") == "close":
                sock.close()
                sock = None
        except OSError as error:
            count("server_errors", failure=f"http {method} /{name}: {error}")
            sock.close()
            sock = None


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--echo", action="append", default=[], help="HOST:PORT of an echo server")
    parser.add_argument("--http", help="HOST:PORT of the file server")
    parser.add_argument("--root", help="the file server's docroot (to check bodies)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=8, help="workers per server")
    parser.add_argument("--rss", action="append", default=[], help="PID whose RSS to report")
    parser.add_argument("--report-every", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=60, help="seconds before RSS flatness is judged")
    args = parser.parse_args()

    stop = threading.Event()
    threads = []
    seed = random.Random(2026)
    for address in args.echo:
        host, port = address.rsplit(":", 1)
        for _ in range(args.workers):
            threads.append(threading.Thread(target=echo_worker, args=(host, int(port), stop, random.Random(seed.random()))))
    if args.http:
        host, port = args.http.rsplit(":", 1)
        files = sorted(f for f in os.listdir(args.root) if os.path.isfile(os.path.join(args.root, f)))
        for _ in range(args.workers):
            threads.append(threading.Thread(target=http_worker, args=(host, int(port), args.root, files, stop, random.Random(seed.random()))))
    for thread in threads:
        thread.daemon = True
        thread.start()

    started = time.time()
    samples = {pid: [] for pid in args.rss}
    while time.time() - started < args.seconds:
        time.sleep(min(args.report_every, max(0.1, args.seconds - (time.time() - started))))
        elapsed = time.time() - started
        rss = {pid: rss_kib(pid) for pid in args.rss}
        for pid, value in rss.items():
            if value is not None and elapsed >= args.warmup:
                samples[pid].append(value)
        with lock:
            line = " ".join(f"{k}={v}" for k, v in stats.items())
        print(f"t={elapsed:5.0f}s {line} rss_kib={rss}", flush=True)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)

    flat = True
    for pid, values in samples.items():
        if len(values) >= 2:
            spread = (max(values) - min(values)) / min(values)
            flat = flat and spread <= 0.10
            print(f"rss pid {pid} after warm-up: min {min(values)} KiB, max {max(values)} KiB, spread {spread:.1%}")
    for failure in failures:
        print("failure:", failure)
    ok = stats["wrong_bytes"] == 0 and stats["server_errors"] == 0 and flat
    print("RESULT", "ok" if ok else "FAILED", " ".join(f"{k}={v}" for k, v in stats.items()))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
