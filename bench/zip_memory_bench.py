"""Peak memory of ingesting a zip with one large member, as whole processes.

Usage:  python bench/zip_memory_bench.py [--mib 512]

A backoffice that zips a year of exports, or a hostile sender, can offer a zip
member of gigabytes. monitorbot unpacks each member to a temporary file in 1 MiB
chunks before it reads it, so its memory should not grow with the member. This
script builds a zip with a valid 323 beside one large member of incompressible
bytes (so it is not refused as a zip bomb), then measures, each as a fresh process:

* the reference, in the same run: `python -c` that reads that member whole, which
  is what reading a member into memory costs;
* `monitorbot ingest` of the zip into a new SQLite database (the large member is
  refused by name, the 323 is stored).

It prints each process's peak resident memory (ru_maxrss) and the ratio to the
member's size. Figures go in the issue notes, never in unit tests.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_SCRIPT = Path(sys.executable).with_name("monitorbot")
MONITORBOT = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "monitorbot.cli.app"]


def peak_mib(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Peak RSS (MiB) and seconds of one child process; waits for it alone."""
    started = time.perf_counter()
    process = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} faalde ({process.returncode}):\n{process.stderr}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_maxrss / 1024, seconds


def build_zip(folder: Path, mib: int) -> Path:
    sys.path.insert(0, str(REPO))
    from tests.messages import declaration_323

    path = folder / "levering.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", declaration_323(prestaties=[dict(bsn="999999990", ref="A")]))
        with archive.open("groot.csv", "w", force_zip64=True) as member:
            for _ in range(mib):
                member.write(os.urandom(1 << 20))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=512, help="size of the large member")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zip-bench-") as tmp:
        folder = Path(tmp)
        archive = build_zip(folder, args.mib)
        env = {
            **os.environ,
            "MONITORBOT_DATA_DIR": str(folder / "data"),
            "MONITORBOT_CONFIG_DIR": str(REPO / "config"),
            "MONITORBOT_PSEUDONYM_KEY": "bench-sleutel-van-voldoende-lengte",
        }
        env.pop("MONITORBOT_DATABASE_URL", None)
        # RUSAGE_CHILDREN keeps the largest child so far: the smaller process runs first.
        ingest, ingest_s = peak_mib([*MONITORBOT, "ingest", "--quiet", str(archive)], env)
        whole = (
            "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); d=z.read('groot.csv'); "
            "print(len(d))"
        )
        reference, reference_s = peak_mib([sys.executable, "-c", whole, str(archive)], env)
        print(f"lid van {args.mib} MiB (niet samen te persen), plus één geldige 323")
        print(f"{'proces':<40} {'piek RSS (MiB)':>15} {'÷ lid':>7} {'s':>7}")
        for name, mib, seconds in (
            ("referentie: lid in één keer lezen", reference, reference_s),
            ("monitorbot ingest (lid naar schijf)", ingest, ingest_s),
        ):
            print(f"{name:<40} {mib:>15.0f} {mib / args.mib:>7.2f} {seconds:>7.1f}")


if __name__ == "__main__":
    main()
