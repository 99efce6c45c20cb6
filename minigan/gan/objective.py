"""The Objective contract: what an objective gives the trainer, the presets and the report.
The objectives themselves, and the reasons for the contract: objectives.py.
"""
from __future__ import annotations

import math

from ..backend import array_module

LN2 = math.log(2.0)


class Objective:
    name = "objective"
    critic = False               # outputs are critic scores: mean(real) - mean(fake) is tracked
    threshold: float | None = 0.0
    needs_discriminator = True
    penalty = None               # WGAN-GP's gradient penalty plugs in here (a callable)
    nonnegative_d_loss = False   # D's loss is >= 0 and 0 means D has won (logistic, LSGAN, hinge)
    separable = True             # D's loss = d_real(real_out) + d_fake(fake_out)
    g_uses_real = False          # g_loss(fake_out, real_out)
    critic_batchnorm = True      # D may contain batch norm (not with a per-sample penalty)
    reports_mmd = False          # the report measures MMD^2 of the samples (the MMD network)
    equilibrium: dict | None = None   # {"d_loss", "g_loss"} where D cannot tell real from fake
    config_fields: tuple = ()    # constructor arguments read from a preset's Config (same names)
    # the optimizer for D and G and the D steps per G step used with this objective (the
    # introducing paper's where it gave them; otherwise DCGAN's Adam(2e-4, (0.5, 0.999)))
    defaults = dict(optimizer="adam", lr=2e-4, betas=(0.5, 0.999), n_critic=1)
    # how the game picture (minigan/gan/game.py) reads D's output as "realness": the
    # colour's label, the value meaning "cannot tell" (None: a critic's level is arbitrary)
    # and fixed colour limits (None: each picture spans its own values)
    reading_label = "critic D(x)"
    reading_centre: float | None = None
    reading_limits: tuple | None = None

    @classmethod
    def from_config(cls, cfg) -> "Objective":
        """The objective with the settings a preset's Config holds for it."""
        return cls(**{f: getattr(cfg, f) for f in cls.config_fields})

    def d_real(self, real_out):
        raise NotImplementedError(f"{self.name}: D's loss does not split into halves; use d_loss")

    def d_fake(self, fake_out):
        raise NotImplementedError(f"{self.name}: D's loss does not split into halves; use d_loss")

    def g_loss(self, fake_out, real_out=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def d_loss(self, real_out, fake_out):
        """The whole D loss: (loss, dL/d real_out, dL/d fake_out) - for a separable objective
        the sum of its halves (no cross term: each half depends on one batch only)."""
        lr, dr = self.d_real(real_out)
        lf, df = self.d_fake(fake_out)
        return array_module(lr).asarray(lr + lf), dr, df

    def reading(self, out, fake_out):
        """D's raw outputs ``out`` (N, 1) as the game picture colours them, (N, 1); ``fake_out``
        (D on a batch of fakes) is there for readings relative to it. Here: the raw score."""
        return out

    def after_d_step(self, D) -> None:
        """Called after every D update (WGAN clips D's weights here)."""

    def check_critic(self, D) -> None:
        """Raise ValueError when ``D`` cannot be trained with this objective (a penalty on
        per-sample input gradients: batch norm, or a layer without a second-order pass)."""
        if not self.critic_batchnorm:
            from .penalty import check_critic
            check_critic(D)

    def config(self) -> dict:
        """The objective's own settings, for checkpoints and metrics."""
        return {"name": self.name}

    def __repr__(self) -> str:
        extra = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "name")
        return f"{type(self).__name__}({extra})"
