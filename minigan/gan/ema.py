"""Exponential moving average of a model's parameters (Polyak averaging for GANs).

GAN training oscillates around an equilibrium rather than settling in it;
averaging the generator's weights over the last few hundred steps lands much
closer to the centre of the oscillation than any single iterate (Yazici et al.,
"The unusual effectiveness of averaging in GAN training", 2019).

    ema = EMA(G, decay=0.995)
    ... after every g_opt.step(): ema.update()
    with ema.applied():            # G temporarily holds the averaged weights
        samples = G(z)

theta_avg <- decay * theta_avg + (1 - decay) * theta. Buffers (BatchNorm's running
statistics) are not averaged: they follow the model.
"""
from __future__ import annotations

from contextlib import contextmanager

from ..backend import array_module
from ..checks import real
from ..nn.module import Module


class EMA:
    def __init__(self, model: Module, decay: float = 0.999):
        self.model, self.decay = model, real("EMA", "decay", decay, lo=0.0, hi=1.0, hi_open=True)
        self.shadow = [p.data.copy() for p in model.parameters()]

    def update(self) -> None:
        d = self.decay
        for avg, p in zip(self.shadow, self.model.parameters()):
            avg *= d
            avg += (1.0 - d) * p.data

    def state_dict(self) -> dict:
        names = [n for n, _ in self.model.named_parameters()]
        return dict(zip(names, (a.copy() for a in self.shadow)))

    def load_state_dict(self, state: dict) -> None:
        """Take the averages of the parameters ``state`` names (an explicit transfer onto
        the model's device); the others keep theirs."""
        for avg, (name, _) in zip(self.shadow, self.model.named_parameters()):
            if name in state:
                avg[...] = array_module(avg).asarray(state[name], dtype=avg.dtype)

    @contextmanager
    def applied(self):
        """Swap the averaged weights into the model for the duration of the block."""
        params = self.model.parameters()
        saved = [p.data for p in params]
        for p, avg in zip(params, self.shadow):
            p.data = avg.copy()
        try:
            yield self.model
        finally:
            for p, data in zip(params, saved):
                p.data = data
