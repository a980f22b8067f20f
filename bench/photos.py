"""Benchmark: memory and time of report photos that are huge in pixels but small in bytes (issue 19 item 4).

    python bench/photos.py [--side 7999] [--count 4]

Each case runs in a fresh Python process that cleans `count` copies of one picture at once, as
`photos.store` does when members send them together; prints peak and settled RSS and seconds per
photo; the last line is one JSON object with the figures.
"""

import argparse
import json
import struct
import subprocess
import sys
import tempfile
import textwrap
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEASURE = textwrap.dedent("""
    import asyncio, json, sys, time
    from bot.services import photos

    def status_mb(field):
        # VmHWM is this process's own peak; getrusage's ru_maxrss would include the parent's (Linux
        # carries it over fork and exec), so a test run by a big pytest process would read pytest's size.
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024

    def rss_mb():
        return status_mb("VmRSS")

    async def main(paths):
        datas = [open(p, "rb").read() for p in paths]
        start, began = rss_mb(), time.perf_counter()
        outcomes = await asyncio.gather(*(photos.clean(d) for d in datas), return_exceptions=True)
        seconds = time.perf_counter() - began
        del datas
        print(json.dumps({
            "start": start, "peak": status_mb("VmHWM"), "after": rss_mb(),
            "seconds_per_photo": seconds / len(paths),
            "outcomes": [getattr(o, "reason", None) or f"{o.width}x{o.height}" for o in outcomes],
        }))

    asyncio.run(main(sys.argv[1:]))
""")


def big_png(path: Path, side: int) -> None:
    """A side² RGB PNG of horizontal bands, written row by row (a few hundred KB, never held whole)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer, body = zlib.compressobj(9), bytearray()
    for y in range(side):
        body += packer.compress(b"\x00" + bytes(((y // 50) % 256, 100, 200)) * side)
    body += packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", bytes(body)) + chunk(b"IEND", b""))


def big_jpeg(path: Path, side: int) -> None:
    """A side² JPEG, made in a process of its own (Pillow holds the whole image while encoding)."""
    code = f"from PIL import Image; Image.new('RGB', ({side}, {side}), (30, 120, 200)).save({str(path)!r}, quality=80)"
    subprocess.run([sys.executable, "-c", code], check=True)


def measure(paths: list[Path]) -> dict:
    """Clean the photos concurrently in a fresh interpreter: its RSS in MB (start, peak, after) and timing."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *map(str, paths)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    """Measure a PNG and a JPEG of `side`² pixels, `count` at once; print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=7999)
    parser.add_argument("--count", type=int, default=4)
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind, make in (("png", big_png), ("jpeg", big_jpeg)):
            path = Path(folder) / f"big.{kind}"
            make(path, args.side)
            results[kind] = figures = measure([path] * args.count)
            print(f"{args.count} × {args.side}² {kind.upper()} ({path.stat().st_size // 1024} KB) at once: peak RSS "
                  f"{figures['peak']:.0f} MB (start {figures['start']:.0f}, after {figures['after']:.0f}), "
                  f"{figures['seconds_per_photo']:.2f} s a photo, {figures['outcomes'][0]}")
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
