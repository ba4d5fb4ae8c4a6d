"""Load test of the Gradio app on loopback: concurrent gradio_client users, latency, errors and memory growth.

    python benchmarks/load_test.py                          # 20 users x 10 requests, checkpoints/ and the examples
    python benchmarks/load_test.py --users 4 --requests 3   # a quick check
    python benchmarks/load_test.py --users 20 --requests 25 # 500 requests: the memory-growth criterion

What it does (bounded in count and in time, never leaves this machine):
1. starts ``python app.py --host 127.0.0.1 --port P --checkpoints DIR --examples DIR`` as a subprocess (Gradio
   analytics off) and waits for it to answer;
2. reads its resident memory (psutil when installed, else ``/proc/PID/status`` VmRSS): at start;
3. warm-up: one request per model (loads every model, fills the feature caches); memory again;
4. ``--users`` threads, each with its own ``gradio_client.Client``, make ``--requests`` ``/retrieve`` calls each:
   example clips and queries from ``examples.json`` in turn, models rotating among those offered;
5. memory is sampled every ``--sample-s`` seconds (peak) and at every 100 completed requests; at the end the
   growth since the warm-up must stay under ``--max-growth-mb`` (default 100 MB);
6. a hard wall-clock cap (``--max-seconds``, default 600): no request starts after it, each running one is given
   what is left, and the app is stopped (terminate, then kill) whatever happens.

Prints one JSON object (also written to ``--out`` when given); exits 0 when there were no errors and the growth
was under the limit, 1 otherwise, 2 when the app could not be started.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from anywhere: the library lives beside this folder

from benchmarks.report_output import emit_report  # noqa: E402
from vlanet_core.bench.app_memory import stop_process, wait_until_up  # noqa: E402

HOST = "127.0.0.1"  # loopback only, on purpose: this script must never load anything but a local app
HIDDEN_MODELS = {"clip-zeroshot"}  # needs CLIP weights; offered by the app only once they load


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--requests", type=int, default=10, help="requests per client (default 10)")
    parser.add_argument("--checkpoints", default=str(REPO / "checkpoints"), help="folder of checkpoint folders")
    parser.add_argument("--examples", default=str(REPO / "assets" / "examples"), help="folder with examples.json")
    parser.add_argument("--models", default="", help="comma-separated model names (default: every checkpoint)")
    parser.add_argument("--port", type=int, default=0, help="port for the app (default: a free one)")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="hard wall-clock cap for the whole run")
    parser.add_argument("--startup-seconds", type=float, default=180.0, help="how long to wait for the app")
    parser.add_argument("--max-growth-mb", type=float, default=100.0, help="allowed memory growth after warm-up")
    parser.add_argument("--sample-s", type=float, default=1.0, help="seconds between memory samples")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--out", default="", help="also write the JSON report here")
    args = parser.parse_args(argv)
    if args.users < 1 or args.requests < 1 or args.users * args.requests > 10_000:
        parser.error("--users and --requests must be >= 1, and at most 10,000 requests in all")
    return args


# ---- the app process -------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` in MB (psutil if installed, else /proc), None when it cannot be read."""
    try:
        import psutil  # type: ignore[import-not-found]

        return psutil.Process(pid).memory_info().rss / 2**20
    except ImportError:
        pass
    except Exception:  # noqa: BLE001 - the process is gone
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024  # kB -> MB
    except OSError:
        return None
    return None


def start_app(args: argparse.Namespace, port: int, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    command = [
        sys.executable,
        str(REPO / "app.py"),
        "--host",
        HOST,
        "--port",
        str(port),
        "--checkpoints",
        args.checkpoints,
        "--examples",
        args.examples,
    ]
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process in stop_app
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log_file = log  # type: ignore[attr-defined]
    return process


def stop_app(process: subprocess.Popen) -> None:
    stop_process(process)
    process.log_file.close()  # type: ignore[attr-defined]


# ---- the work --------------------------------------------------------------------------------------------------
def load_work(args: argparse.Namespace) -> tuple[list[tuple[Path, str]], list[str]]:
    """(clip, query) pairs from examples.json and the model names to rotate among."""
    folder = Path(args.examples)
    raw = json.loads((folder / "examples.json").read_text())
    entries = raw.get("examples", []) if isinstance(raw, dict) else raw
    pairs = [
        (folder / e["file"], e["query"])
        for e in entries
        if isinstance(e, dict) and isinstance(e.get("file"), str) and isinstance(e.get("query"), str)
    ]
    pairs = [(clip, query) for clip, query in pairs if clip.is_file()]
    if args.models:
        models = [m.strip() for m in args.models.split(",") if m.strip()]
    else:
        root = Path(args.checkpoints)
        models = sorted(p.name for p in root.iterdir() if (p / "config.json").is_file()) if root.is_dir() else []
        models = [m for m in models if m not in HIDDEN_MODELS]
    return pairs, models


class Recorder:
    """Thread-safe latencies, errors and memory milestones."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.milestones: dict[int, float | None] = {}
        self.peak = 0.0

    def done(self, latency: float | None, error: str | None) -> None:
        with self.lock:
            if error is None:
                self.latencies.append(latency or 0.0)
            else:
                self.errors.append(error)
            count = len(self.latencies) + len(self.errors)
        if count % 100 == 0:
            self.milestones[count] = rss_mb(self.pid)

    def sample(self) -> None:
        value = rss_mb(self.pid)
        if value is not None:
            with self.lock:
                self.peak = max(self.peak, value)


def one_request(client: Any, clip: Path, query: str, model: str, top_k: int, deadline: float) -> None:
    from gradio_client import handle_file

    job = client.submit(handle_file(str(clip)), query, model, top_k, api_name="/retrieve")
    result = job.result(timeout=max(1.0, deadline - time.monotonic()))
    if not result or not result[3].get("pred_relevant_windows"):
        raise RuntimeError("empty result")


def user(index: int, url: str, args, pairs, models, recorder: Recorder, deadline: float, downloads: Path) -> None:
    from gradio_client import Client

    try:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=str(downloads))
    except Exception as err:  # noqa: BLE001 - a client that cannot connect counts its requests as errors
        for _ in range(args.requests):
            recorder.done(None, f"connect: {type(err).__name__}: {str(err)[:160]}")
        return
    for i in range(args.requests):
        if time.monotonic() >= deadline:
            return
        clip, query = pairs[(index + i) % len(pairs)]
        model = models[(index * args.requests + i) % len(models)]
        started = time.perf_counter()
        try:
            one_request(client, clip, query, model, args.top_k, deadline)
            recorder.done(time.perf_counter() - started, None)
        except Exception as err:  # noqa: BLE001 - every failure is counted and a few are shown
            recorder.done(None, f"{model}: {type(err).__name__}: {str(err)[:160]}")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def run(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    t0 = time.monotonic()
    deadline = t0 + args.max_seconds
    pairs, models = load_work(args)
    report: dict[str, Any] = {"users": args.users, "requests_per_user": args.requests, "models": models}
    if not pairs or not models:
        report["error"] = "no example clips or no models to test"
        return report, 2
    port = args.port or free_port()
    url = f"http://{HOST}:{port}/"
    work = Path(tempfile.mkdtemp(prefix="vmr-load-"))
    process = start_app(args, port, work / "app.log")
    stop_sampling = threading.Event()
    try:
        if not wait_until_up(process, url, min(deadline, t0 + args.startup_seconds)):
            report["error"] = f"the app did not start; log: {(work / 'app.log').read_text()[-2000:]}"
            return report, 2
        recorder = Recorder(process.pid)
        rss_start = rss_mb(process.pid)
        report["startup_s"] = round(time.monotonic() - t0, 2)

        warm = Recorder(process.pid)
        for i, model in enumerate(models):  # load every model and fill the caches before measuring
            user_args = argparse.Namespace(**{**vars(args), "requests": 1})
            user(i, url, user_args, pairs[i % len(pairs) :] + pairs, [model], warm, deadline, work / "downloads")
        rss_warm = rss_mb(process.pid)

        def sampler() -> None:
            while not stop_sampling.wait(args.sample_s):
                recorder.sample()

        threading.Thread(target=sampler, daemon=True).start()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.users) as pool:
            futures = [
                pool.submit(user, i, url, args, pairs, models, recorder, deadline, work / "downloads")
                for i in range(args.users)
            ]
            for future in futures:
                future.result()  # each user stops at the deadline and bounds its requests by it
        elapsed = time.monotonic() - started
        stop_sampling.set()
        time.sleep(0.5)  # let the app drop per-request garbage before the last reading
        rss_end = rss_mb(process.pid)
        done = len(recorder.latencies) + len(recorder.errors)
        growth = None if rss_end is None or rss_warm is None else rss_end - rss_warm
        lat = recorder.latencies
        report.update(
            {
                "completed": done,
                "planned": args.users * args.requests,
                "succeeded": len(lat),
                "errors": len(recorder.errors),
                "error_rate": round(len(recorder.errors) / done, 4) if done else None,
                "error_samples": sorted(set(recorder.errors))[:5],
                "warmup_errors": warm.errors[:5],
                "latency_s": {
                    "p50": _round(percentile(lat, 0.50)),
                    "p95": _round(percentile(lat, 0.95)),
                    "mean": _round(statistics.fmean(lat) if lat else None),
                    "max": _round(max(lat) if lat else None),
                },
                "throughput_rps": round(len(lat) / elapsed, 3) if elapsed > 0 else None,
                "rss_mb": {
                    "start": _round(rss_start, 1),
                    "after_warmup": _round(rss_warm, 1),
                    "end": _round(rss_end, 1),
                    "peak": _round(max(recorder.peak, rss_end or 0.0), 1),
                    "at_requests": {str(k): _round(v, 1) for k, v in sorted(recorder.milestones.items())},
                },
                "rss_growth_mb": _round(growth, 1),
                "growth_ok": growth is not None and growth < args.max_growth_mb,
                "timed_out": time.monotonic() >= deadline,
                "app_still_running": process.poll() is None,
            }
        )
        ok = report["errors"] == 0 and not warm.errors and report["growth_ok"] and not report["timed_out"]
        return report, 0 if ok else 1
    finally:
        stop_sampling.set()
        stop_app(process)
        report["wall_s"] = round(time.monotonic() - t0, 2)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report, code = run(args)
    emit_report(report, args.out)
    return code


if __name__ == "__main__":
    sys.exit(main())
