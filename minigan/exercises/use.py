"""``minigan check FILE --use``: a tiny GAN on the 1-D Gaussian N(4, 1.25^2), trained
once with the student's op in it and once with minigan's, with the same seed.

    G: z (4 normal numbers) -> Linear 32 -> act -> Linear 32 -> act -> Linear 1
    D: x -> Linear 32 -> act -> Linear 32 -> act -> Linear 1 (a logit)

The non-saturating GAN with Adam(1e-3, (0.5, 0.999)) decaying linearly to 0, batch 256.
Where the student's op goes: every Linear (linear); every hidden activation (relu,
leaky_relu, tanh, softplus; sigmoid in D only, where it does not saturate G); batch norm
after G's hidden Linears (batchnorm); both losses (bce_with_logits). The matching network
trains G on MMD^2 alone (mmd2); WGAN-GP with the critic Linear-Tanh-Linear trains on the
student's penalty gradient (gradient_penalty).
A right op learns what minigan's learns: the mean and std of G's samples come out the
same up to rounding (GAN training amplifies rounding, so not bit for bit).
"""
from __future__ import annotations

import numpy

from .. import losses, nn, optim
from .plug import StudentActivation, StudentBatchNorm, StudentLinear
from .student import CheckError

MEAN, STD = 4.0, 1.25
LATENT, HIDDEN, BATCH = 4, 32, 256
STEPS = {"mmd2": 1500, "gradient_penalty": 1500}
ACTIVATION_HYPER = {"leaky_relu": {"negative_slope": 0.2}, "softplus": {"beta": 1.0, "threshold": 20.0}}
USABLE = ("linear", "relu", "leaky_relu", "tanh", "sigmoid", "softplus", "bce_with_logits",
          "batchnorm", "mmd2", "gradient_penalty")
F64 = numpy.float64


def _require_usable(name):
    if name not in USABLE:
        raise CheckError(f"--use trains the 1-D Gaussian GAN, which has no {name}; it can plug "
                         f"in: {', '.join(USABLE)}")


def _ops(name, module):
    """The student's (forward, backward) for exercise ``name``."""
    from .catalogue import EXERCISES
    ex = EXERCISES[name]
    return getattr(module, ex.forward), getattr(module, ex.backward)


def _mlp(sizes, name, fwd, bwd, rng, batchnorm=False):
    """Linear layers with hidden activations; exercise ``name``'s op where it belongs (the
    student's when ``fwd`` is given, else minigan's)."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        if name == "linear" and fwd is not None:
            layers.append(StudentLinear(a, b, fwd, bwd, dtype=F64, rng=rng))
        else:
            layers.append(nn.Linear(a, b, dtype=F64, rng=rng))
        if i < len(sizes) - 2:
            if batchnorm:
                layers.append(StudentBatchNorm(b, fwd, bwd, dtype=F64) if fwd is not None
                              else nn.BatchNorm1d(b, dtype=F64))
            if name in ACTIVATION_HYPER or name in ("relu", "tanh", "sigmoid"):
                layers.append(StudentActivation(fwd, bwd, **ACTIVATION_HYPER.get(name, {}))
                              if fwd is not None else _minigan_activation(name))
            else:
                layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def _minigan_activation(name):
    return {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(),
            "leaky_relu": nn.LeakyReLU(0.2), "softplus": nn.Softplus()}[name]


def train(name: str, module=None, steps: int | None = None, seed: int = 0, progress=None):
    """Train the tiny GAN with exercise ``name``'s op from ``module`` (None: minigan's).
    Returns {"mean", "std", "samples"} of 10,000 samples of G (10000, 1), and the last
    losses."""
    _require_usable(name)
    steps = steps or STEPS.get(name, 2000)
    rng = numpy.random.default_rng(seed)
    from ..backend import RNG
    init = RNG(seed)
    student = module is not None
    layer_name = name if name not in ("bce_with_logits", "mmd2", "gradient_penalty") else None
    fwd, bwd = _ops(name, module) if student and layer_name else (None, None)
    # sigmoid hidden units saturate a generator into one point: the sigmoid goes into D only
    g_name = None if name == "sigmoid" else layer_name
    G = _mlp([LATENT, HIDDEN, HIDDEN, 1], g_name, fwd, bwd, init, batchnorm=name == "batchnorm")
    if name == "gradient_penalty":
        D = nn.Sequential(nn.Linear(1, HIDDEN, dtype=F64, rng=init), nn.Tanh(),
                          nn.Linear(HIDDEN, 1, dtype=F64, rng=init))
    else:
        D = _mlp([1, HIDDEN, HIDDEN, 1], layer_name if name != "batchnorm" else None,
                 fwd if name != "batchnorm" else None, bwd, init)
    loop = {"mmd2": _mmd_steps, "gradient_penalty": _wgan_gp_steps}.get(name, _gan_steps)
    last = loop(name, module, G, D, rng, steps, progress)
    z = rng.standard_normal((10000, LATENT))
    x = numpy.asarray(G.forward(z))
    return {"mean": float(x.mean()), "std": float(x.std()), "samples": x, **last}


def _real(rng, n):
    return rng.normal(MEAN, STD, (n, 1))


def _bar(progress, steps, desc):
    from tqdm.auto import tqdm
    return tqdm(total=steps, desc=desc, disable=not progress, dynamic_ncols=True, leave=False)


def _decay(opts, lr, step, steps):
    """Linear decay of the learning rate to 0: the last steps settle instead of circling."""
    for o in opts:
        o.lr = lr * (1 - step / steps)


def _gan_steps(name, module, G, D, rng, steps, progress):
    bce = module.bce_with_logits if name == "bce_with_logits" and module is not None \
        else losses.bce_with_logits
    opt_g = optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    bar = _bar(progress, steps, f"GAN with your {name}" if module is not None else "minigan's")
    for step in range(steps):
        _decay((opt_g, opt_d), 1e-3, step, steps)
        z, x = rng.standard_normal((BATCH, LATENT)), _real(rng, BATCH)
        fake = G.forward(z)
        D.zero_grad()
        loss_r, g = bce(D.forward(x), 1.0)
        D.backward(g, need_dx=False)
        loss_f, g = bce(D.forward(fake), 0.0)
        D.backward(g, need_dx=False)
        opt_d.step()
        G.zero_grad()
        loss_g, g = bce(D.forward(fake), 1.0)
        G.backward(D.backward(g))
        D.zero_grad()                     # D's gradients from G's step are not D's update
        opt_g.step()
        bar.update(1)
        bar.set_postfix(d=f"{float(loss_r) + float(loss_f):.3f}", g=f"{float(loss_g):.3f}")
    bar.close()
    return {"d_loss": float(loss_r) + float(loss_f), "g_loss": float(loss_g)}


def _mmd_steps(name, module, G, D, rng, steps, progress):
    from ..ops import mmd
    fwd, bwd = (module.mmd2_forward, module.mmd2_backward) if module is not None \
        else (mmd.mmd2_forward, mmd.mmd2_backward)
    bandwidths = (0.5, 1.0, 2.0, 4.0)
    opt = optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    bar = _bar(progress, steps, "MMD network with your mmd2" if module is not None else "minigan's")
    for step in range(steps):
        _decay((opt,), 1e-3, step, steps)
        fake = G.forward(rng.standard_normal((BATCH, LATENT)))
        value, cache = fwd(fake, _real(rng, BATCH), bandwidths)
        G.zero_grad()
        G.backward(bwd(1.0, cache))
        opt.step()
        bar.update(1)
        bar.set_postfix(mmd2=f"{float(value):.4f}")
    bar.close()
    return {"mmd2": float(value)}


def _wgan_gp_steps(name, module, G, D, rng, steps, progress, n_critic=5, lam=1.0):
    from ..gan.penalty import gradient_penalty
    first, last = D[0], D[2]
    opt_g = optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9))
    opt_d = optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.9))
    bar = _bar(progress, steps, "WGAN-GP with your penalty" if module is not None else "minigan's")
    for step in range(steps):
        _decay((opt_g, opt_d), 1e-3, step, steps)
        for _ in range(n_critic):
            z, x = rng.standard_normal((BATCH, LATENT)), _real(rng, BATCH)
            fake = G.forward(z)
            D.zero_grad()
            d_real, d_fake = D.forward(x), D.forward(fake)
            D.backward(numpy.ones_like(d_fake) / BATCH, need_dx=False)      # + mean D(fake)
            D.forward(x)
            D.backward(-numpy.ones_like(d_real) / BATCH, need_dx=False)     # - mean D(real)
            e = rng.uniform(0, 1, (BATCH, 1))
            x_hat = e * x + (1 - e) * fake
            if module is None:
                gradient_penalty(D, x_hat, lam)
            else:
                _, cache = module.gradient_penalty_forward(
                    x_hat, first.weight.data, first.bias.data, last.weight.data, last.bias.data,
                    lam)
                for p, g in zip((first.weight, first.bias, last.weight, last.bias),
                                module.gradient_penalty_backward(1.0, cache)):
                    p.grad = g if p.grad is None else p.grad + g
            opt_d.step()
        G.zero_grad()
        d_fake = D.forward(G.forward(rng.standard_normal((BATCH, LATENT))))
        G.backward(D.backward(-numpy.ones_like(d_fake) / BATCH))
        D.zero_grad()
        opt_g.step()
        bar.update(1)
        w = float(d_real.mean() - d_fake.mean())
        bar.set_postfix(wasserstein=f"{w:.3f}")
    bar.close()
    return {"wasserstein": w}


def compare(module, name: str, steps: int | None = None, seed: int = 0, progress=False):
    """(the run with the student's op from ``module``, the run with minigan's), same seed."""
    return train(name, module, steps, seed, progress), train(name, None, steps, seed, progress)


def run_use(path: str, name: str, steps: int | None = None, out: str | None = None,
            seed: int = 0, progress: bool = True) -> str:
    """Train with the student's op (loaded from ``path``) and with minigan's; write the
    histogram of the student's G beside the target's density to ``out`` (default: beside
    the file, NAME_use.png); return the summary text."""
    import os

    from .. import viz
    from ..data import Gaussian1D
    from .student import load
    _require_usable(name)
    out = out or os.path.join(os.path.dirname(os.path.abspath(path)), f"{name}_use.png")
    if not out.endswith(".png"):
        raise CheckError(f"--out {out!r}: expected a .png file")
    _, module = load(path, name)
    steps = steps or STEPS.get(name, 2000)
    yours, ours = compare(module, name, steps, seed, progress)
    same = abs(yours["mean"] - ours["mean"]) < 1e-3 and abs(yours["std"] - ours["std"]) < 1e-3
    viz.histogram_1d(yours["samples"], out, pdf=Gaussian1D(MEAN, STD).pdf,
                     title=f"G trained with your {name}: mean {yours['mean']:.2f}, std "
                           f"{yours['std']:.2f} (minigan's {ours['mean']:.2f}, {ours['std']:.2f})")
    return "\n".join([
        f"--use: a GAN learns the 1-D Gaussian N({MEAN:g}, {STD:g}^2) in {steps} steps, seed {seed}",
        f"  with your {name:<17} G's samples have mean {yours['mean']:.3f}, std {yours['std']:.3f}",
        f"  with minigan's op{'':<9} G's samples have mean {ours['mean']:.3f}, std {ours['std']:.3f}",
        "  your op trains the GAN as minigan's does" if same else
        "  the two runs differ: a wrong gradient trains a different GAN",
        f"  picture: {out}"])
