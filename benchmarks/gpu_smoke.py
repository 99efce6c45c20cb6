"""The GPU smoke test, in one line, for whoever has an NVIDIA GPU:

    pip install -e ".[gpu,test]" && python -m benchmarks.gpu_smoke

It runs, in order, and writes everything it prints to ``gpu_smoke/report.txt``:

1. ``minigan info``                       - CuPy, the GPU, the CUDA runtime, or why not
2. ``python -m pytest -m gpu``            - every backend-parametrised test on CuPy
3. ``minigan train gaussian1d --backend cupy --steps 1000``  - a short training run
4. ``python -m benchmarks.layers --backend cupy``             - the conv layers' step times
5. ``python -m benchmarks.gan_step --backend cupy``           - whole GAN iterations

Options: ``--backend fakecupy`` rehearses the whole script on the CPU fake of
CuPy (``tests/fakecupy``; the test step then runs the fake's half of the suite,
``-k fakecupy``), ``--quick`` shortens every step, ``--skip-tests`` leaves out step 2.
Exit status 0 when every step passed. Send the report (and the GPU's name) with
your results; docs/backends.md says what only a real GPU can show.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _with_fake(code: str, backend: str) -> list:
    """A python -c command that registers the fake first when rehearsing on it."""
    pre = "from tests import fakecupy; fakecupy.install(); " if backend == "fakecupy" else ""
    return [sys.executable, "-c", pre + code]


def steps(backend: str, quick: bool, skip_tests: bool, out: str) -> list:
    train_steps = "100" if quick else "1000"
    cli = ("import sys; from minigan.cli import main; sys.exit(main({argv!r}))")
    plan = [("minigan info", _with_fake(cli.format(argv=["info"]), backend))]
    if not skip_tests:
        select = ["-m", "gpu"] if backend == "cupy" else ["-k", backend]
        plan.append((f"pytest {' '.join(select)}",
                     [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *select]))
    plan.append((f"minigan train gaussian1d --backend {backend} --steps {train_steps}",
                 _with_fake(cli.format(argv=["train", "gaussian1d", "--backend", backend,
                                             "--steps", train_steps, "--quiet",
                                             "--out", os.path.join(out, "gaussian1d")]), backend)))
    layer_args = ["--repeats", "2", "--block", "3", "--warmup", "1"] if quick else []
    plan.append((f"benchmarks.layers --backend {backend}",
                 [sys.executable, "-m", "benchmarks.layers", "--backend", backend, "--no-naive",
                  *layer_args]))
    if os.path.exists(os.path.join(ROOT, "benchmarks", "gan_step.py")):
        gan_args = ["--blocks", "2", "--block", "3", "--no-sweep"] if quick else []
        plan.append((f"benchmarks.gan_step --backend {backend}",
                     [sys.executable, "-m", "benchmarks.gan_step", "--backend", backend,
                      *gan_args]))
    return plan


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--backend", default="cupy", choices=["cupy", "fakecupy"])
    p.add_argument("--quick", action="store_true", help="shorter runs of every step")
    p.add_argument("--skip-tests", action="store_true", help="leave out the pytest step")
    p.add_argument("--out", default="gpu_smoke", help="folder for the report and the run")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    report_path = os.path.join(args.out, "report.txt")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    failed = []
    with open(report_path, "w") as report:
        def say(text):
            print(text)
            report.write(text + "\n")
            report.flush()
        for title, cmd in steps(args.backend, args.quick, args.skip_tests, args.out):
            say(f"\n=== {title}")
            t0 = time.perf_counter()
            r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
            say((r.stdout + r.stderr).rstrip())
            say(f"--- exit {r.returncode} in {time.perf_counter() - t0:.1f} s")
            if r.returncode != 0:
                failed.append(title)
        say(f"\n{'FAILED: ' + ', '.join(failed) if failed else 'all steps passed'}")
    print(f"report: {report_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
