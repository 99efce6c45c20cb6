"""CycleGAN (Zhu et al. 2017): unpaired translation between two domains A and B.
Math: docs/math/cyclegan.md. How it trains: docs/training.md ("CycleGAN").

Two generators, G: A -> B and F: B -> A, and two discriminators, D_B (is this a real b?)
and D_A. The least-squares GAN loss, as in the paper, plus the cycle loss and the
identity loss, both L1:

    L_G = mse(D_B(G(a)), 1) + mse(D_A(F(b)), 1)                               (adversarial)
        + lambda (|F(G(a)) - a|_1 + |G(F(b)) - b|_1)                          (cycle, lambda = 10)
        + lambda_idt lambda (|G(b) - b|_1 + |F(a) - a|_1)                     (identity, 0.5)
    L_D = 1/2 (mse(D(real), 1) + mse(D(pool(fake)), 0))   for D_A and D_B each

Each module keeps one forward's cache, and G runs three times per step (on a, on F(b) and
on b), so the generator step is ordered so that every forward is followed by its own
backward before the module runs again: a -> G -> F (the A cycle), backward; b -> F -> G
(the B cycle), backward; then the two identity passes. The discriminators see fakes from
an image pool of the last 50 (Shrivastava et al. 2017), so that they do not chase the
generators' latest outputs only.
"""
from __future__ import annotations

from typing import Callable

from .. import backend as B
from .. import losses, nn
from ..checks import integer, real
from ..nn import Module, frozen
from ..nn.tree import Tree
from ..optim import Optimizer
from .diagnostics import grad_norm
from .loop import TrainingLoop
from .objectives import LeastSquares


# ---------------------------------------------------------------- the networks

def _conv_in_relu(cin, cout, k, stride=1, padding=0):
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=padding), nn.InstanceNorm2d(cout),
            nn.ReLU()]


def resnet_generator(channels: int = 1, ngf: int = 16, n_blocks: int = 3) -> nn.Sequential:
    """The CycleGAN generator (Johnson et al.'s ResNet) for 28x28 images: a 7x7 conv, two
    stride-2 convs (28 -> 14 -> 7), ``n_blocks`` residual blocks (reflection pad, 3x3 conv,
    instance norm, ReLU, twice), two transposed convs back to 28, a 7x7 conv and Tanh.
    The paper's layer order and names, with ``ngf`` filters at the first layer."""
    layers = [nn.ReflectionPad2d(3), *_conv_in_relu(channels, ngf, 7),
              *_conv_in_relu(ngf, 2 * ngf, 3, 2, 1), *_conv_in_relu(2 * ngf, 4 * ngf, 3, 2, 1)]
    c = 4 * ngf
    for _ in range(n_blocks):
        layers.append(nn.Residual(nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c))))
    for cin, cout in ((c, 2 * ngf), (2 * ngf, ngf)):
        layers += [nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1),
                   nn.InstanceNorm2d(cout), nn.ReLU()]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, channels, 7), nn.Tanh()]
    return nn.init.dcgan_init_(nn.Sequential(*layers))   # the paper's N(0, 0.02^2)


def patch_discriminator(channels: int = 1, ndf: int = 32, n_layers: int = 2) -> nn.Sequential:
    """The PatchGAN discriminator for 28x28 images, in the manner of pix2pix's NLayerDiscriminator
    (which counts its layers differently):
    ``n_layers`` 4x4 convs, the first two of stride 2 (28 -> 14 -> 7), any further ones of
    stride 1 (7 -> 6 -> ...), the width doubling each time, instance norm after all but the
    first, LeakyReLU(0.2); then a 4x4 conv of stride 1 to one logit per patch position.

    | n_layers | logits | receptive field |
    |---|---|---|
    | 1 | (N, 1, 13, 13) | 10x10 |
    | 2 (default) | (N, 1, 6, 6) | 22x22 |
    | 3 | (N, 1, 5, 5) | 34x34 (padding included: the whole digit) |

    The paper's 70x70 patches on 256x256 images judge texture and stroke, not the whole
    object; at 28x28 three layers see the whole digit and push G to redraw its shape towards
    the other domain's, two judge stroke-sized patches and keep more digits' classes
    (docs/results.md)."""
    n_layers = integer("patch_discriminator", "n_layers", n_layers, minimum=1)
    layers = [nn.Conv2d(channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
    c = ndf
    for k in range(1, n_layers):
        layers += [nn.Conv2d(c, 2 * c, 4, stride=2 if k < 2 else 1, padding=1),
                   nn.InstanceNorm2d(2 * c), nn.LeakyReLU(0.2)]
        c *= 2
    layers.append(nn.Conv2d(c, 1, 4, stride=1, padding=1))
    return nn.init.dcgan_init_(nn.Sequential(*layers))


def point_generator(dim: int = 2, hidden: int = 64) -> nn.Residual:
    """For points: x -> x + MLP(x), a translation that learns a displacement of each point
    (starting near the identity: the MLP's first outputs are small)."""
    mlp = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                        nn.Linear(hidden, dim))
    return nn.Residual(mlp)


def point_discriminator(dim: int = 2, hidden: int = 64) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                         nn.LeakyReLU(0.2), nn.Linear(hidden, 1))


class Translators(Tree):
    """G and F side by side, for what treats them as one: their weight average (an
    :class:`~minigan.gan.ema.EMA` of this tree, parameters named "G.<name>" and "F.<name>")."""

    def __init__(self, G: Module, F: Module):
        super().__init__()
        self.G, self.F = G, F


# ---------------------------------------------------------------- the image pool

class ImagePool:
    """The last ``size`` generated samples. ``query(batch)`` returns a batch for D: while the
    pool fills, the batch itself (and it is stored); once full, each sample is, with
    probability 1/2, swapped for a random stored one (which the new sample replaces).

    Vectorised with selects, so no step waits for the device; two samples of one batch
    that draw the same slot: the later one is stored."""

    def __init__(self, size: int = 50, rng=None):
        self.size = integer("ImagePool", "size", size, minimum=0)
        self.rng = rng if rng is not None else B.default_rng()
        self.images = None
        self.count = 0

    def query(self, batch):
        if self.size == 0:
            return batch
        xp = B.array_module(batch)
        n = batch.shape[0]
        if self.images is None:
            self.images = xp.zeros((self.size,) + tuple(batch.shape[1:]), dtype=batch.dtype)
        if self.count < self.size:
            k = min(n, self.size - self.count)
            self.images[self.count:self.count + k] = batch[:k]
            self.count += k
            return batch
        swap = self.rng.random((n,)) < 0.5
        slot = self.rng.integers(0, self.size, size=n)
        shape = (n,) + (1,) * (batch.ndim - 1)
        old = self.images[slot]
        out = xp.where(swap.reshape(shape), old, batch)
        self.images[slot] = xp.where(swap.reshape(shape), batch, old)
        return out

    def arrays(self) -> dict:
        return {} if self.images is None else {"images": self.images}

    def load(self, arrays: dict, count: int) -> None:
        if "images" in arrays:
            self.images = B.to_device(arrays["images"])
            self.count = int(count)


# ---------------------------------------------------------------- the trainer

class CycleGANTrainer(TrainingLoop):
    """Trains G: A -> B and F: B -> A with discriminators D_A and D_B.

    sample_a(n), sample_b(n) -> batches of the two domains (arrays, or (array, labels))
    g_opt                    -> one optimizer over G's and F's parameters (as the paper)
    d_opt                    -> one optimizer over D_A's and D_B's parameters
    lambda_cycle, lambda_identity -> the weights of the cycle loss and of the identity
                               loss (the latter relative to lambda_cycle, as in the paper)
    pool_size                -> fakes kept for the discriminators (0: none)
    ema                      -> an EMA of both generators (over ``Translators(G, F)``),
                               updated after every generator step, saved with checkpoints
    The rest as GANTrainer (checkpoints, state, flushes; minigan/gan/loop.py).
    """

    def __init__(self, G: Module, F: Module, D_A: Module, D_B: Module, g_opt: Optimizer,
                 d_opt: Optimizer, sample_a: Callable, sample_b: Callable, batch_size: int = 16,
                 lambda_cycle: float = 10.0, lambda_identity: float = 0.5, pool_size: int = 50,
                 pool_rng=None, checkpoint_path: str | None = None, checkpoint_every: int = 0,
                 meta: dict | None = None, check_every: int = 100, flush_seconds: float = 1.0,
                 grad_norms: bool = True, state: dict | None = None, log: Callable | None = None,
                 ema=None):
        where = "CycleGANTrainer"
        for name, m in (("G", G), ("F", F), ("D_A", D_A), ("D_B", D_B)):
            if not isinstance(m, Module):
                raise TypeError(f"{where}: {name} must be a Module, got {type(m).__name__}")
        for name, o in (("g_opt", g_opt), ("d_opt", d_opt)):
            if not isinstance(o, Optimizer):
                raise TypeError(f"{where}: {name} must be an optimizer, got {type(o).__name__}")
        for name, fn in (("sample_a", sample_a), ("sample_b", sample_b)):
            if not callable(fn):
                raise TypeError(f"{where}: {name} must be a function of the batch size")
        self.batch_size = integer(where, "batch_size", batch_size, minimum=1)
        self.lambda_cycle = real(where, "lambda_cycle", lambda_cycle, lo=0.0)
        self.lambda_identity = real(where, "lambda_identity", lambda_identity, lo=0.0)
        self.G, self.F, self.D_A, self.D_B = G, F, D_A, D_B
        self.g_opt, self.d_opt = g_opt, d_opt
        self.sample_a, self.sample_b = sample_a, sample_b
        rng = pool_rng if pool_rng is not None else B.default_rng()
        self.pool_a, self.pool_b = ImagePool(pool_size, rng), ImagePool(pool_size, rng)
        self.objective = LeastSquares()     # the GAN loss of both pairs (for the diagnostics)
        if ema is not None and {id(p) for p in ema.model.parameters()} != \
                {id(p) for p in G.parameters() + F.parameters()}:
            raise ValueError(f"{where}: ema must average G's and F's parameters (an EMA of "
                             f"Translators(G, F)), not another model's")
        self._init_loop(where, checkpoint_path, checkpoint_every, meta, check_every,
                        flush_seconds, grad_norms, state, ema, log)

    # the checkpoint holds four models and two optimizers (minigan/gan/checkpoint.py)
    def checkpoint_models(self):
        models = {"G": self.G, "F": self.F, "D_A": self.D_A, "D_B": self.D_B}
        return models, {"G": self.g_opt, "D": self.d_opt}

    def pool_arrays(self) -> dict:
        """The pools' contents, for the checkpoint's user arrays (and their fill counts)."""
        out = {}
        for name, pool in (("pool_a", self.pool_a), ("pool_b", self.pool_b)):
            out.update({f"{name}/{k}": v for k, v in pool.arrays().items()})
        return out

    def load_pools(self, arrays: dict) -> None:
        for name, pool in (("pool_a", self.pool_a), ("pool_b", self.pool_b)):
            part = {k[len(name) + 1:]: v for k, v in arrays.items() if k.startswith(name + "/")}
            pool.load(part, self.meta.get(f"{name}_count", pool.size))

    @staticmethod
    def _data(out):
        return out[0] if isinstance(out, tuple) else out

    # ------------------------------------------------------------ one step
    def _cycle(self, x, there, back, D_there, lam):
        """The adversarial and cycle terms of one direction: y = there(x) is judged by
        D_there and brought back by ``back``; backpropagates both into ``there`` (and the
        cycle term into ``back``). Returns (adversarial loss, cycle loss, y)."""
        y = there.forward(x)
        with frozen(D_there):
            adv, d_out = losses.mse(D_there.forward(y), 1.0)
            dy = D_there.backward(d_out)
        cyc, d_rec = losses.l1(back.forward(y), x)
        dy = dy + back.backward(d_rec * lam)
        there.backward(dy, need_dx=False)
        return adv, cyc, y

    def _identity(self, gen, x, lam):
        idt, d = losses.l1(gen.forward(x), x)
        gen.backward(d * lam, need_dx=False)
        return idt

    def _d_half(self, D, real_x, fake_x):
        """1/2 (mse(D(real), 1) + mse(D(fake), 0)): D's loss on one domain."""
        loss_r, g_r = losses.mse(D.forward(real_x), 1.0)
        D.backward(g_r * 0.5, need_dx=False)
        loss_f, g_f = losses.mse(D.forward(fake_x), 0.0)
        D.backward(g_f * 0.5, need_dx=False)
        return 0.5 * (loss_r + loss_f), loss_r, loss_f

    def g_step(self, a, b) -> tuple:
        """One update of G and F on batches ``a`` and ``b``; returns (diagnostics, G(a), F(b))."""
        lam, lam_idt = self.lambda_cycle, self.lambda_identity * self.lambda_cycle
        self.g_opt.zero_grad()
        adv_b, cyc_a, fake_b = self._cycle(a, self.G, self.F, self.D_B, lam)
        adv_a, cyc_b, fake_a = self._cycle(b, self.F, self.G, self.D_A, lam)
        # in LSGAN's units (least_squares = 1/2 mse), averaged over the two directions
        row = {"g_loss": 0.25 * (adv_a + adv_b), "cycle": 0.5 * (cyc_a + cyc_b)}
        if lam_idt > 0:
            idt = self._identity(self.G, b, lam_idt) + self._identity(self.F, a, lam_idt)
            row["identity"] = 0.5 * idt
        self.g_opt.step()
        if self.ema is not None:
            self.ema.update()
        if self.grad_norms:
            row["g_grad_norm"] = _norm(self.g_opt, self.G, self.F)
        return row, fake_b, fake_a

    def d_step(self, a, b, fake_a, fake_b) -> dict:
        """One update of D_A and D_B on real batches and (pooled) fakes."""
        self.d_opt.zero_grad()
        loss_a, real_a, fake_a_loss = self._d_half(self.D_A, a, self.pool_a.query(fake_a))
        loss_b, real_b, fake_b_loss = self._d_half(self.D_B, b, self.pool_b.query(fake_b))
        self.d_opt.step()
        row = {"d_loss": 0.5 * (loss_a + loss_b), "d_real": 0.25 * (real_a + real_b),
               "d_fake": 0.25 * (fake_a_loss + fake_b_loss)}
        if self.grad_norms:
            row["d_grad_norm"] = _norm(self.d_opt, self.D_A, self.D_B)
        return row

    def iteration(self) -> dict:
        """One G/F update, then one D_A/D_B update on the fakes it made (the paper's order)."""
        a = self._data(self.sample_a(self.batch_size))
        b = self._data(self.sample_b(self.batch_size))
        row, fake_b, fake_a = self.g_step(a, b)
        row.update(self.d_step(a, b, fake_a, fake_b))
        return row


def _norm(opt, *models):
    """|gradient| over the parameters of ``models`` (one dot product of the optimizer's flat
    gradient where it has one), a 0-d device array."""
    flat = opt.flat_grad()
    if flat is not None:
        xp = B.array_module(flat)
        return xp.sqrt(xp.vdot(flat, flat))
    norms = [grad_norm(m) for m in models]
    return B.array_module(norms[0]).sqrt(sum(n * n for n in norms))


def translate(gen: Module, x, batch: int = 500):
    """``gen`` applied to ``x`` in evaluation mode, frozen, in batches; a device array."""
    xp = B.array_module(x)
    gen.eval()
    try:
        with frozen(gen):
            outs = [gen.forward(x[i:i + batch]) + 0 for i in range(0, x.shape[0], batch)]
    finally:
        gen.train()
    return xp.concatenate(outs, axis=0)


__all__ = ["CycleGANTrainer", "ImagePool", "Translators", "resnet_generator",
           "patch_discriminator", "point_generator", "point_discriminator", "translate"]
