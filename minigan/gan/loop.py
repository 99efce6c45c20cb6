"""Running training steps: the progress bar, batched fetching of the diagnostics, divergence,
checkpoints and Ctrl-C. How it works: docs/training.md.

No step waits for the device: losses and diagnostics stay on it and are
fetched in batches (:meth:`GANTrainer.flush`, one transfer every
``check_every`` steps or ``flush_seconds``). Non-finite losses found there stop
training with :class:`TrainingDiverged`, which names the first bad step;
checkpoints are written only right after a clean flush, so the last one stays
good. Ctrl-C (or :meth:`request_stop`) ends the current step, saves a
checkpoint and raises :class:`TrainingInterrupted`; :meth:`resume` continues
from a checkpoint (bit-identical on NumPy when every random source is
registered in ``state``).
"""
from __future__ import annotations

import math
import signal
import sys
import threading
import time
from typing import Callable

import numpy

from .. import backend as B
from ..checks import integer, real
from . import diagnostics
from .checkpoint import NonFiniteState, resume_run, save_run
from .diagnostics import COLUMNS, History


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; ``step`` and ``checkpoint`` say where and what is kept."""

    def __init__(self, message, step, checkpoint=None):
        super().__init__(message)
        self.step = step
        self.checkpoint = checkpoint


class TrainingInterrupted(RuntimeError):
    """Training was stopped (Ctrl-C or request_stop) after ``step``; ``checkpoint`` holds it."""

    def __init__(self, message, step, checkpoint=None):
        super().__init__(message)
        self.step = step
        self.checkpoint = checkpoint


class TrainingLoop:
    """What every trainer shares around its ``iteration()``: ``train``, ``flush``, ``save``,
    ``resume``. The subclass (GANTrainer) sets the attributes it reads (step, history,
    warnings, check_every, flush_seconds, checkpoint_every, checkpoint_path, log, ...)."""

    def _init_loop(self, where: str, checkpoint_path, checkpoint_every, meta, check_every,
                   flush_seconds, grad_norms, state, ema, log) -> None:
        """The run state every trainer keeps: settings, history, warnings, the pending
        diagnostics, checkpoints (called from the trainer's __init__)."""
        self.checkpoint_every = integer(where, "checkpoint_every", checkpoint_every, minimum=0)
        self.check_every = integer(where, "check_every", check_every, minimum=1)
        self.flush_seconds = real(where, "flush_seconds", flush_seconds, positive=True)
        self.checkpoint_path = checkpoint_path
        self.meta = meta or {}
        self.grad_norms = bool(grad_norms)
        self.state = dict(state or {})
        self.ema = ema
        self.log = log
        self.step = 0
        self.history = History()
        self.warnings: list = []           # dicts {step, kind, message}
        self.last_checkpoint: str | None = None
        self.seconds = 0.0
        self._pending: list = []          # (step, {column: device scalar})
        self._warned: set = set()
        self._bar = None
        self._stop = False
        self.extra_arrays: Callable | None = None   # () -> {name: array}, saved with checkpoints
        self.resumed_arrays: dict = {}              # the extra arrays of the resumed checkpoint

    # ------------------------------------------------------------ the loop
    def request_stop(self) -> None:
        """Stop after the current step: flush, save a checkpoint, raise TrainingInterrupted."""
        self._stop = True

    def train(self, steps: int, progress: bool = True, desc: str = "training",
              callback: Callable | None = None, callback_every: int = 0) -> History:
        """Run ``steps`` iterations (each ``d_steps`` D updates and one G update).

        ``callback(trainer)`` runs every ``callback_every`` steps, between steps (a
        place for schedules and snapshots; the history there is complete only up to
        the last flush: call ``trainer.flush()`` first if it needs every step).
        """
        steps = integer("GANTrainer.train", "steps", steps, minimum=0)
        callback_every = integer("GANTrainer.train", "callback_every", callback_every, minimum=0)
        from tqdm.auto import tqdm

        start = time.perf_counter()
        self._bar = tqdm(total=steps, desc=desc, disable=not progress, dynamic_ncols=True,
                         mininterval=0.25, file=sys.stderr)
        self._last_flush = start
        end = self.step + steps
        old_handler = self._install_sigint()
        try:
            while self.step < end:
                row = self.iteration()
                self.step += 1
                self._pending.append((self.step, row))
                self._bar.update(1)
                if (len(self._pending) >= self.check_every or self.step == end or
                        time.perf_counter() - self._last_flush >= self.flush_seconds):
                    self.flush()
                # the callback first: a schedule it sets is then part of the checkpoint
                if callback is not None and callback_every and self.step % callback_every == 0:
                    callback(self)
                if self.checkpoint_every and self.checkpoint_path and self.step % self.checkpoint_every == 0:
                    self.flush()
                    self.save()
                if self._stop:
                    self._stop = False
                    self.flush()
                    kept = self.save() if self.checkpoint_path else None
                    raise TrainingInterrupted(
                        f"training stopped at step {self.step}"
                        + (f"; checkpoint {kept!r} holds it" if kept else ""), self.step, kept)
            self.flush()
        finally:
            if old_handler is not None:
                signal.signal(signal.SIGINT, old_handler)
            self._bar.close()
            self._bar = None
            self.seconds += time.perf_counter() - start
        return self.history

    def _install_sigint(self):
        """Ctrl-C ends the current step cleanly (a second one stops at once)."""
        if threading.current_thread() is not threading.main_thread():
            return None

        def handler(signum, frame):
            if self._stop:
                raise KeyboardInterrupt
            self._stop = True
        return signal.signal(signal.SIGINT, handler)

    def flush(self) -> None:
        """Fetch the diagnostics of the steps since the last flush (one device->host
        transfer), check the losses, append to the history and raise new warnings.
        Raises :class:`TrainingDiverged` naming the first step with a NaN or infinite loss."""
        pending, self._pending = self._pending, []
        self._last_flush = time.perf_counter()
        if not pending:
            return
        keys = [c for c in COLUMNS[1:] if c in pending[0][1]]
        first = pending[0][1][keys[0]]
        xp = B.array_module(first)
        flat = xp.stack([xp.asarray(row[k]) for _, row in pending for k in keys])
        values = numpy.asarray(B.to_numpy(flat), dtype=numpy.float64).reshape(len(pending), len(keys))
        for (step, _), vals in zip(pending, values.tolist()):
            row = dict(zip(keys, vals))
            losses = {k: row[k] for k in ("d_loss", "g_loss") if k in row}
            if not all(math.isfinite(v) for v in losses.values()):
                kept = self._kept()
                shown = ", ".join(f"{k.replace('_loss', '').upper()} loss {v}" for k, v in losses.items())
                raise TrainingDiverged(f"training diverged at step {step}: {shown} (non-finite); "
                                       f"{kept}", step, self.last_checkpoint)
            row["step"] = step
            self.history.append(row)
        for w in diagnostics.check(self.history, self.objective, self._warned):
            self._warned.add(w.kind)
            self.warnings.append(w.as_dict())
            self._say(f"warning at step {w.step} ({w.kind}): {w.message}")
        if self._bar is not None:
            last = dict(zip(keys, values[-1]))
            post = {k: f"{last[k]:.3f}" for k in ("d_loss", "g_loss") if k in last}
            self._bar.set_postfix({k[0].upper(): v for k, v in post.items()}, refresh=False)

    def _kept(self) -> str:
        """What a divergence leaves behind, for its message."""
        return (f"the last good checkpoint {self.last_checkpoint!r} is kept"
                if self.last_checkpoint else "no checkpoint had been written")

    def _say(self, text: str) -> None:
        if self.log is not None:
            self.log(text)
        elif self._bar is not None:
            self._bar.write(f"minigan: {text}", file=sys.stderr)
        else:
            print(f"minigan: {text}", file=sys.stderr)

    # ------------------------------------------------------------ checkpoints
    def save(self, path: str | None = None) -> str:
        """Write a checkpoint of G, D, both optimizers, the history, the registered random
        states and the EMA (atomically; the layout: minigan/gan/checkpoint.py)."""
        path = path or self.checkpoint_path
        if path is None:
            raise ValueError("GANTrainer.save: no checkpoint path given")
        self.flush()
        try:
            self.last_checkpoint = save_run(self, path)
        except NonFiniteState as exc:
            kept = self._kept()
            raise TrainingDiverged(f"training diverged by step {self.step}: {exc}; {kept}",
                                   self.step, self.last_checkpoint) from None
        return self.last_checkpoint

    def resume(self, path) -> int:
        """Continue from a checkpoint written by :meth:`save`; returns its step."""
        run = resume_run(self, path)
        self._warned = {w["kind"] for w in self.warnings}
        self.resumed_arrays = run.user
        self.last_checkpoint = str(path)
        self._fake = None
        return self.step
