"""The GAN training loop: alternate D steps and G steps, backpropagating by hand.

One D step (D learns to tell real from fake):
    x_fake = G(z)                                   # no backward into G
    real_out = D(x_real);  D.backward(dL/d real_out)   # grads accumulate in D
    fake_out = D(x_fake);  D.backward(dL/d fake_out)
    d_opt.step()
Real and fake go through D separately (not concatenated) so that BatchNorm in
D sees batches of one kind, as in DCGAN.

One G step (G learns to fool D):
    fake_out = D(G(z)) with D frozen               # D's backward computes only dx
    dx_fake = D.backward(dL/d fake_out);  G.backward(dx_fake);  g_opt.step()

No step waits for the device: losses stay on it and are fetched in batches
(:meth:`GANTrainer.flush`, one transfer every ``check_every`` steps or
``flush_seconds``). Non-finite losses found there stop training with
:class:`TrainingDiverged`, which names the first bad step; checkpoints are
written only right after a clean flush, so the last one stays good.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

from .. import backend as B
from ..nn.module import Module, frozen
from .checkpoint import save_checkpoint


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; ``step`` and ``checkpoint`` say where and what is kept."""

    def __init__(self, message, step, checkpoint=None):
        super().__init__(message)
        self.step = step
        self.checkpoint = checkpoint


@dataclass
class History:
    """Losses per step (floats), for plots and metrics."""
    step: list = field(default_factory=list)
    d_loss: list = field(default_factory=list)
    g_loss: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"step": self.step, "d_loss": self.d_loss, "g_loss": self.g_loss}


class GANTrainer:
    """Trains generator ``G`` against discriminator ``D``.

    sample_real(n)  -> a batch of real data on the models' backend
    sample_noise(n) -> a batch of generator inputs
    objective       -> minigan.gan.objectives.Objective
    d_steps         -> D updates per G update
    checkpoint_path -> where ``checkpoint_every`` steps write an atomic checkpoint
    """

    def __init__(self, G: Module, D: Module, objective, g_opt, d_opt,
                 sample_real: Callable, sample_noise: Callable, batch_size: int = 64,
                 d_steps: int = 1, checkpoint_path: str | None = None,
                 checkpoint_every: int = 0, meta: dict | None = None, check_every: int = 100,
                 flush_seconds: float = 1.0):
        if batch_size <= 0 or d_steps <= 0:
            raise ValueError(f"GANTrainer: batch_size and d_steps must be positive, "
                             f"got batch_size={batch_size}, d_steps={d_steps}")
        self.G, self.D, self.objective = G, D, objective
        self.g_opt, self.d_opt = g_opt, d_opt
        self.sample_real, self.sample_noise = sample_real, sample_noise
        self.batch_size, self.d_steps = batch_size, d_steps
        self.checkpoint_path, self.checkpoint_every = checkpoint_path, checkpoint_every
        self.meta = meta or {}
        self.step = 0
        self.history = History()
        self.last_checkpoint: str | None = None
        self.seconds = 0.0
        if check_every <= 0:
            raise ValueError(f"GANTrainer: check_every must be positive, got {check_every}")
        self.check_every, self.flush_seconds = int(check_every), float(flush_seconds)
        self._pending: list = []      # (step, d_loss, g_loss) still on the device
        self._bar = None

    # ------------------------------------------------------------ one update each
    def d_step(self):
        n = self.batch_size
        x_real = self.sample_real(n)
        x_fake = self.G.forward(self.sample_noise(n))
        self.d_opt.zero_grad()
        # D's loss is a sum of a real term and a fake term, so each half is
        # backpropagated right after its own forward (D keeps one forward's cache).
        loss_real, d_real = self.objective.d_real(self.D.forward(x_real))
        self.D.backward(d_real)
        loss_fake, d_fake = self.objective.d_fake(self.D.forward(x_fake))
        self.D.backward(d_fake)
        self.d_opt.step()
        return loss_real + loss_fake

    def g_step(self):
        n = self.batch_size
        self.g_opt.zero_grad()
        x_fake = self.G.forward(self.sample_noise(n))
        with frozen(self.D):
            fake_out = self.D.forward(x_fake)
            loss, d_fake = self.objective.g_loss(fake_out)
            dx_fake = self.D.backward(d_fake)
        self.G.backward(dx_fake)
        self.g_opt.step()
        return loss

    # ------------------------------------------------------------ the loop
    def train(self, steps: int, progress: bool = True, desc: str = "training",
              callback: Callable | None = None, callback_every: int = 0) -> History:
        """Run ``steps`` G updates (each preceded by ``d_steps`` D updates).

        The losses of each step stay on the device; every ``check_every`` steps (or
        ``flush_seconds``, whichever comes first), before each checkpoint and at the
        end they are fetched in one transfer (:meth:`flush`), checked for NaN/Inf
        and added to the history. So a step never waits for the GPU, and a
        checkpoint is only written when every step before it was finite.
        """
        from tqdm.auto import tqdm

        start = time.perf_counter()
        self._bar = tqdm(total=steps, desc=desc, disable=not progress, dynamic_ncols=True,
                         mininterval=0.25)
        self._last_flush = start
        end = self.step + steps
        try:
            for _ in range(steps):
                for _ in range(self.d_steps):
                    d_loss = self.d_step()
                g_loss = self.g_step()
                self.step += 1
                self._pending.append((self.step, d_loss, g_loss))
                self._bar.update(1)
                if (len(self._pending) >= self.check_every or self.step == end or
                        time.perf_counter() - self._last_flush >= self.flush_seconds):
                    self.flush()
                if self.checkpoint_every and self.checkpoint_path and self.step % self.checkpoint_every == 0:
                    self.flush()
                    self.save()
                if callback is not None and callback_every and self.step % callback_every == 0:
                    callback(self)
            self.flush()
        finally:
            self._bar.close()
            self._bar = None
            self.seconds += time.perf_counter() - start
        return self.history

    def flush(self) -> None:
        """Fetch the losses of the steps since the last flush (one device->host transfer),
        check them and append them to the history. Raises :class:`TrainingDiverged` naming
        the first step with a NaN or infinite loss."""
        pending, self._pending = self._pending, []
        self._last_flush = time.perf_counter()
        if not pending:
            return
        xp = B.array_module(pending[0][1])
        values = B.to_numpy(xp.stack([v for _, d, g in pending for v in (d, g)]))
        values = values.astype(float).reshape(len(pending), 2)
        for (step, _, _), (d_val, g_val) in zip(pending, values.tolist()):
            if not (math.isfinite(d_val) and math.isfinite(g_val)):
                kept = (f"the last good checkpoint {self.last_checkpoint!r} is kept"
                        if self.last_checkpoint else "no checkpoint had been written")
                raise TrainingDiverged(
                    f"training diverged at step {step}: D loss {d_val}, G loss {g_val} "
                    f"(non-finite); {kept}", step, self.last_checkpoint)
            self.history.step.append(step)
            self.history.d_loss.append(d_val)
            self.history.g_loss.append(g_val)
        if self._bar is not None:
            self._bar.set_postfix(D=f"{values[-1, 0]:.3f}", G=f"{values[-1, 1]:.3f}",
                                  refresh=False)

    def save(self, path: str | None = None) -> str:
        """Write a checkpoint of G, D and both optimizers (atomically)."""
        path = path or self.checkpoint_path
        if path is None:
            raise ValueError("GANTrainer.save: no checkpoint path given")
        self.last_checkpoint = save_checkpoint(
            path, {"G": self.G, "D": self.D}, {"G": self.g_opt, "D": self.d_opt},
            step=self.step, meta=self.meta)
        return self.last_checkpoint


__all__ = ["GANTrainer", "TrainingDiverged", "History"]
