"""Diagnostics of a GAN run: the per-step history, and warnings for the known failure modes.

Every step the trainer records (as device scalars, fetched in batches):

    d_loss, d_real, d_fake     D's loss and its halves on the real and the fake batch
    g_loss                     G's loss (MMD^2 for the matching network)
    acc_real, acc_fake         share of the real batch D calls real, of the fake batch it calls fake
    d_grad_norm, g_grad_norm   |dL/dtheta| over all of D's (G's) parameters
    wasserstein                mean D(real) - mean D(fake): a critic's distance estimate
    diversity                  spread of the fake batch / spread of the real batch
                               (mean over features of the std across the batch)
    cycle, identity            the CycleGAN's cycle and identity losses (L1, before their weights)

:func:`check` reads the recent history (on the host, at each flush) and returns
the warnings that newly apply; each kind is raised once per run, naming the step
at which it was detected (the end of the window it describes). What each means and
what to do: docs/training.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .. import backend as B

COLUMNS = ("step", "d_loss", "d_real", "d_fake", "g_loss", "acc_real", "acc_fake",
           "d_grad_norm", "g_grad_norm", "wasserstein", "diversity", "cycle", "identity")
WINDOW = 100
WARMUP = 200      # no warnings before this step: every GAN starts far from balance


@dataclass
class History:
    """The per-step diagnostics, one list per column (floats; NaN where not defined)."""
    columns: dict = field(default_factory=lambda: {c: [] for c in COLUMNS})

    def __getattr__(self, name):
        cols = self.__dict__.get("columns", {})
        if name in cols:
            return cols[name]
        raise AttributeError(name)

    def append(self, row: dict) -> None:
        for c in COLUMNS:
            self.columns[c].append(row.get(c, math.nan))

    def __len__(self) -> int:
        return len(self.columns["step"])

    def as_dict(self) -> dict:
        return {c: list(v) for c, v in self.columns.items()}

    def to_csv(self, path) -> str:
        with open(path, "w") as f:
            f.write(",".join(COLUMNS) + "\n")
            for i in range(len(self)):
                vals = []
                for c in COLUMNS:
                    v = self.columns[c][i]
                    vals.append(str(int(v)) if c == "step" else
                                ("" if v != v else repr(float(v))))
                f.write(",".join(vals) + "\n")
        return str(path)

    def load(self, columns: dict) -> None:
        """Replace the history by ``columns`` (lists or arrays per column), e.g. from a checkpoint."""
        self.columns = {c: [float(v) if c != "step" else int(v) for v in columns.get(c, [])]
                        for c in COLUMNS}
        n = len(self.columns["step"])
        for c in COLUMNS:
            if len(self.columns[c]) != n:
                self.columns[c] = [math.nan] * n


def _mean(values) -> float:
    vals = [v for v in values if v == v]
    return sum(vals) / len(vals) if vals else math.nan


@dataclass(frozen=True)
class Warning_:
    step: int
    kind: str
    message: str

    def as_dict(self) -> dict:
        return {"step": self.step, "kind": self.kind, "message": self.message}


def check(history: History, objective, already: set, window: int = WINDOW) -> list:
    """New warnings (kinds not in ``already``) from the last ``window`` steps of ``history``."""
    n = len(history)
    if n < max(10, window // 2) or history.columns["step"][-1] < WARMUP:
        return []
    cols = history.columns
    recent = slice(max(0, n - window), n)
    step = int(cols["step"][-1])          # where the condition was detected
    found = []

    def warn(kind, message):
        if kind not in already:
            found.append(Warning_(step, kind, message))

    if objective.needs_discriminator and getattr(objective, "nonnegative_d_loss", False):
        d = _mean(cols["d_loss"][recent])
        if d < 0.01:
            warn("d_loss_zero",
                 f"D's loss has collapsed to ~0 (mean {d:.2g} over the last {n - recent.start} "
                 f"steps): D separates real from fake perfectly, so it stops learning and G's "
                 f"gradient vanishes (minimax) or tells it little; weaken D (lower its learning "
                 f"rate, fewer units, fewer D steps) or use the non-saturating loss")
    logistic = objective.needs_discriminator and not objective.critic
    if logistic:
        half = (n - recent.start) // 2
        f1 = _mean(cols["d_fake"][recent.start:recent.start + half])
        f2 = _mean(cols["d_fake"][recent.start + half:n])
        if f2 > 2.0 and f2 > 1.5 * f1:
            warn("d_fake_rising",
                 f"D's loss on fakes is rising without bound ({f1:.3g} -> {f2:.3g}): G fools D "
                 f"more and more, D has stopped learning (too low a learning rate, or G far "
                 f"stronger); balance their learning rates or steps")
    if objective.needs_discriminator and objective.threshold is not None:
        ar, af = _mean(cols["acc_real"][recent]), _mean(cols["acc_fake"][recent])
        if ar > 0.97 and af < 0.03:
            warn("d_all_real",
                 f"D calls everything real (accuracy {ar:.0%} on real, {af:.0%} on fake): "
                 f"G's samples pass as real or D has collapsed; check D's learning rate")
        if ar < 0.03 and af > 0.97:
            warn("d_all_fake",
                 f"D calls everything fake (accuracy {ar:.0%} on real, {af:.0%} on fake): "
                 f"D has collapsed to one answer; lower its learning rate")
    div = _mean(cols["diversity"][recent])
    if div < 0.1:
        warn("mode_collapse",
             f"sample diversity has collapsed: the generated batch spreads {div:.1%} as much "
             f"as the real batch (mode collapse); try a lower learning rate, the non-saturating "
             f"or Wasserstein-GP objective, packing (--pack) or the MMD matching network")
    return found


# ---------------------------------------------------------------- per-step quantities (on device)

def grad_norm(module, optimizer=None):
    """|dL/dtheta| over every parameter of ``module`` as a 0-d device array (no sync); one
    dot product of the optimizer's flat gradient when it holds exactly these parameters."""
    flat = optimizer.flat_grad() if optimizer is not None else None
    if flat is not None and len(optimizer.params) == len(module.parameters()):
        xp = B.array_module(flat)
        return xp.sqrt(xp.vdot(flat, flat))
    total = None
    for p in module.parameters():
        g = p.grad.reshape(-1)
        s = B.array_module(g).vdot(g, g)
        total = s if total is None else total + s
    return None if total is None else B.array_module(total).sqrt(total)


def spread(x):
    """Mean over features of the standard deviation across the batch (0-d, on device)."""
    return x.reshape(x.shape[0], -1).std(axis=0).mean()
