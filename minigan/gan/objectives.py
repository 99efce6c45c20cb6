"""GAN objectives: what D and G minimise, as (loss, gradient w.r.t. D's output).
Math: docs/math/losses.md.

An objective turns the discriminator's raw outputs (logits) into losses. D's
loss is a sum of a term on real data and a term on fakes, so it comes in halves:

    d_real(real_out) -> (loss, dL/d real_out)
    d_fake(fake_out) -> (loss, dL/d fake_out)
    g_loss(fake_out) -> (loss, dL/d fake_out)

The trainer backpropagates those gradients through D (and, for G, on into G).
"""
from __future__ import annotations

from .. import losses


class Objective:
    name = "objective"

    def d_real(self, real_out):  # pragma: no cover - abstract
        raise NotImplementedError

    def d_fake(self, fake_out):  # pragma: no cover - abstract
        raise NotImplementedError

    def g_loss(self, fake_out):  # pragma: no cover - abstract
        raise NotImplementedError

    def d_loss(self, real_out, fake_out):
        """The whole D loss: (loss, dL/d real_out, dL/d fake_out)."""
        lr, dr = self.d_real(real_out)
        lf, df = self.d_fake(fake_out)
        return lr + lf, dr, df

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _LogisticD(Objective):
    """D is a logistic classifier: L_D = BCE(real, 1) + BCE(fake, 0)."""

    def d_real(self, real_out):
        return losses.bce_with_logits(real_out, 1.0)

    def d_fake(self, fake_out):
        return losses.bce_with_logits(fake_out, 0.0)


class Minimax(_LogisticD):
    """Goodfellow et al.'s original game: G minimises E[log(1 - D(G(z)))] ("saturating")."""
    name = "minimax"

    def g_loss(self, fake_out):
        return losses.minimax_generator_loss(fake_out)


class NonSaturating(_LogisticD):
    """The heuristic of the same paper: G maximises E[log D(G(z))] (strong gradients early on)."""
    name = "nonsaturating"

    def g_loss(self, fake_out):
        return losses.nonsaturating_generator_loss(fake_out)


OBJECTIVES = {cls.name: cls for cls in (Minimax, NonSaturating)}


def get_objective(name: str) -> Objective:
    try:
        return OBJECTIVES[name]()
    except KeyError:
        raise ValueError(f"unknown GAN objective {name!r}; choose one of {sorted(OBJECTIVES)}") from None
