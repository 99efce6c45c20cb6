"""GAN training steps: alternate D steps and G steps, backpropagating by hand.
How it works and what its diagnostics mean: docs/training.md.

One D step (D learns to tell real from fake), for a separable objective:
    x_fake = G([z, y])                                  # no backward into G
    real_out = D([x_real, y_real]);  D.backward(dL/d real_out)   # grads accumulate in D
    fake_out = D([x_fake, y]);       D.backward(dL/d fake_out)
    (+ the objective's penalty), d_opt.step(), objective.after_d_step(D) (weight clipping)
Real and fake go through D separately (not concatenated) so that BatchNorm in
D sees batches of one kind, as in DCGAN. An objective whose loss couples the
halves (objective.separable False) gets both outputs first, from d_loss(real_out,
fake_out) both gradients, and then each half's backward (the real half's forward
is run again, since D keeps one forward's cache).

One G step (G learns to fool D):
    fake_out = D([G([z, y]), y]) with D frozen          # D's backward computes only dx
    dx_fake = D.backward(dL/d fake_out)[:, :C];  G.backward(dx_fake);  g_opt.step()
With one D step per G step the G step reuses the D step's fake batch (G's
forward pass is kept for it), as PyTorch's DCGAN example does; with several
critic steps it draws a fresh one. The MMD matching network has no D: its G
step descends MMD^2(G(z), x_real) directly. ``[a, y]`` is the conditional
input (minigan.gan.conditioning) when ``n_classes`` > 0.

Running the steps (progress, flushes, checkpoints, Ctrl-C): minigan/gan/loop.py.
"""
from __future__ import annotations

from typing import Callable

from .. import backend as B
from ..checks import integer
from ..nn import Module, frozen
from ..optim import Optimizer
from .conditioning import one_hot, strip_labels, with_labels
from .diagnostics import History, grad_norm, spread
from .loop import TrainingDiverged, TrainingInterrupted, TrainingLoop
from .objectives import Objective


class GANTrainer(TrainingLoop):
    """Trains generator ``G`` against discriminator ``D`` (None for the MMD matching network).

    sample_real(n)  -> a batch of real data on the models' backend, or (data, labels)
    sample_noise(n) -> a batch of generator inputs (the latent codes)
    objective       -> a minigan.gan.objectives.Objective
    d_steps         -> D updates per G update (default: the objective's, e.g. 5 for WGAN)
    n_classes       -> > 0 for a conditional GAN: labels enter G and D (conditioning.py);
                       fake labels are drawn uniformly from ``label_rng``
    checkpoint_path -> where ``checkpoint_every`` steps (and save()) write a checkpoint
    state           -> {name: object with state_dict()/load_state_dict()}: random
                       generators and data streams saved with checkpoints, so a resumed
                       run continues their streams
    ema             -> an EMA of G, updated after every G step and saved with checkpoints
    """

    def __init__(self, G: Module, D: Module | None, objective: Objective, g_opt: Optimizer,
                 d_opt: Optimizer | None, sample_real: Callable, sample_noise: Callable,
                 batch_size: int = 64, d_steps: int | None = None, n_classes: int = 0,
                 label_rng=None, checkpoint_path: str | None = None, checkpoint_every: int = 0,
                 meta: dict | None = None, check_every: int = 100, flush_seconds: float = 1.0,
                 grad_norms: bool = True, state: dict | None = None, ema=None,
                 log: Callable | None = None, penalty_rng=None):
        where = "GANTrainer"
        if not isinstance(objective, Objective):
            raise TypeError(f"{where}: objective must be a minigan.gan Objective, got "
                            f"{type(objective).__name__} (use get_objective(name))")
        if not isinstance(G, Module):
            raise TypeError(f"{where}: G must be a Module, got {type(G).__name__}")
        if not isinstance(g_opt, Optimizer):
            raise TypeError(f"{where}: g_opt must be an optimizer, got {type(g_opt).__name__}")
        if objective.needs_discriminator:
            if not isinstance(D, Module):
                raise TypeError(f"{where}: D must be a Module for the {objective.name} objective, "
                                f"got {type(D).__name__}")
            if not isinstance(d_opt, Optimizer):
                raise TypeError(f"{where}: d_opt must be an optimizer, got {type(d_opt).__name__}")
        for name, fn in (("sample_real", sample_real), ("sample_noise", sample_noise)):
            if not callable(fn):
                raise TypeError(f"{where}: {name} must be a function of the batch size")
        self.batch_size = integer(where, "batch_size", batch_size, minimum=1)
        if d_steps is None:
            d_steps = objective.defaults.get("n_critic", 1) if objective.needs_discriminator else 0
        self.d_steps = integer(where, "d_steps", d_steps, minimum=1 if objective.needs_discriminator else 0)
        self.n_classes = integer(where, "n_classes", n_classes, minimum=0)
        self.G, self.D, self.objective = G, D, objective
        self.g_opt, self.d_opt = g_opt, d_opt
        self.sample_real, self.sample_noise = sample_real, sample_noise
        self.label_rng = label_rng if label_rng is not None else (B.default_rng() if n_classes else None)
        # the interpolation weights of a gradient penalty
        self.penalty_rng = penalty_rng if penalty_rng is not None else B.default_rng()
        if D is not None:
            objective.check_critic(D)
        self._init_loop(where, checkpoint_path, checkpoint_every, meta, check_every,
                        flush_seconds, grad_norms, state, ema, log)
        self._fake = None                 # the D step's fake batch, kept for the G step
        self._real_in = None              # the D step's real input, for a g_uses_real objective
        self._real_spread = None

    # ------------------------------------------------------------ batches
    def _real_batch(self):
        out = self.sample_real(self.batch_size)
        x, y = out if isinstance(out, tuple) else (out, None)
        if self.n_classes and y is None:
            raise ValueError("GANTrainer: a conditional GAN (n_classes > 0) needs sample_real to "
                             "return (data, labels)")
        return x, (one_hot(y, self.n_classes, x.dtype) if self.n_classes else None)

    def _fake_batch(self, keep_for_g: bool, onehot=None):
        """G's samples for fresh noise (and labels: drawn, or ``onehot``); ``keep_for_g``
        runs G unfrozen so that the G step can backpropagate through this forward pass."""
        z = self.sample_noise(self.batch_size)
        oh = None
        if self.n_classes:
            if onehot is None:
                labels = self.label_rng.integers(0, self.n_classes, size=self.batch_size)
                onehot = one_hot(labels, self.n_classes, z.dtype)
            oh = onehot.astype(z.dtype, copy=False)
            z = with_labels(z, oh)
        if keep_for_g:
            return self.G.forward(z), oh
        with frozen(self.G):
            return self.G.forward(z), oh

    def _d_input(self, x, oh):
        return with_labels(x, oh) if oh is not None else x

    def _real_input(self):
        if self._real_in is not None:
            return self._real_in
        return self._d_input(*self._real_batch())

    # ------------------------------------------------------------ one update each
    def d_step(self, keep_fake: bool = False) -> dict:
        """One D update; returns its diagnostics as device scalars."""
        obj, D = self.objective, self.D
        x_real, oh_real = self._real_batch()
        # with a gradient penalty the fakes take the real labels, so that interpolates of
        # real and fake samples have one label each
        same = oh_real if (obj.penalty is not None and oh_real is not None) else None
        x_fake, oh_fake = self._fake_batch(keep_for_g=keep_fake, onehot=same)
        self._fake = (x_fake, oh_fake) if keep_fake else None
        self.d_opt.zero_grad()
        # D's inputs are data here: no input gradient (as PyTorch skips it for tensors that
        # do not require grad) - one GEMM and a col2im less per backward.
        real_in, fake_in = self._d_input(x_real, oh_real), self._d_input(x_fake, oh_fake)
        row = {}
        if obj.separable:
            # D's loss is a real term plus a fake term, so each half is backpropagated
            # right after its own forward (D keeps one forward's cache).
            out_r = D.forward(real_in)
            loss_r, grad_r = obj.d_real(out_r)
            D.backward(grad_r, need_dx=False)
            out_f = D.forward(fake_in)
            loss_f, grad_f = obj.d_fake(out_f)
            D.backward(grad_f, need_dx=False)
            loss = loss_r + loss_f
            row.update(d_real=loss_r, d_fake=loss_f)
        else:
            # The loss couples the halves: both outputs first, then each half's backward;
            # the real half is run forward again for its cache (a batch-norm D sees the
            # real batch twice in its running statistics).
            out_r = D.forward(real_in)
            out_f = D.forward(fake_in)
            loss, grad_r, grad_f = obj.d_loss(out_r, out_f)
            D.backward(grad_f, need_dx=False)
            D.forward(real_in)
            D.backward(grad_r, need_dx=False)
        self._real_in = real_in if obj.g_uses_real else None
        if obj.penalty is not None:
            loss = loss + obj.penalty(self, x_real, x_fake, oh_real, oh_fake)
        self.d_opt.step()
        obj.after_d_step(D)
        row["d_loss"] = loss
        if obj.threshold is not None:
            row["acc_real"] = (out_r > obj.threshold).mean()
            row["acc_fake"] = (out_f < obj.threshold).mean()
        if obj.critic:
            row["wasserstein"] = out_r.mean() - out_f.mean()
        if self.grad_norms:
            row["d_grad_norm"] = grad_norm(D, self.d_opt)
        self._real_spread = spread(x_real)
        return row

    def g_step(self) -> dict:
        """One G update; returns its diagnostics as device scalars."""
        if not self.objective.needs_discriminator:
            return self._g_step_direct()
        if self._fake is not None:
            (x_fake, oh), self._fake = self._fake, None
        else:
            x_fake, oh = self._fake_batch(keep_for_g=True)
        self.g_opt.zero_grad()
        with frozen(self.D):
            # G's loss may read D (as updated) on the D step's real batch (a fresh one before
            # any D step); no gradient flows there
            real_out = self.D.forward(self._real_input()) if self.objective.g_uses_real else None
            fake_out = self.D.forward(self._d_input(x_fake, oh))
            loss, d_out = self.objective.g_loss(fake_out, real_out)
            dx = self.D.backward(d_out)
        self.G.backward(strip_labels(dx, x_fake.shape[1]) if oh is not None else dx)
        self.g_opt.step()
        if self.ema is not None:
            self.ema.update()
        row = {"g_loss": loss}
        if self.grad_norms:
            row["g_grad_norm"] = grad_norm(self.G, self.g_opt)
        if self._real_spread is not None:
            row["diversity"] = spread(x_fake) / self._real_spread
        return row

    def _g_step_direct(self) -> dict:
        """The matching network's step: G descends MMD^2 between its batch and a real one."""
        x_real, oh_real = self._real_batch()
        x_fake, oh = self._fake_batch(keep_for_g=True)
        self.g_opt.zero_grad()
        loss, dx = self.objective.sample_loss(x_fake, x_real, oh, oh_real)
        self.G.backward(dx)
        self.g_opt.step()
        if self.ema is not None:
            self.ema.update()
        row = {"g_loss": loss, "diversity": spread(x_fake) / spread(x_real)}
        if self.grad_norms:
            row["g_grad_norm"] = grad_norm(self.G, self.g_opt)
        return row

    def iteration(self) -> dict:
        """``d_steps`` D updates then one G update; the diagnostics of the last of each."""
        row = {}
        for _ in range(self.d_steps):
            row.update(self.d_step(keep_fake=(self.d_steps == 1)))
        row.update(self.g_step())
        return row


__all__ = ["GANTrainer", "TrainingDiverged", "TrainingInterrupted", "History", "grad_norm"]
