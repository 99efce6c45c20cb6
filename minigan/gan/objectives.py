"""GAN objectives: what D and G minimise, as (loss, gradient w.r.t. D's output).
Math: docs/math/gan_objectives.md (and docs/math/losses.md, docs/math/mmd.md).
An objective turns the discriminator's raw outputs (logits or critic scores)
into losses; the trainer backpropagates the gradients through D (and, for G, on
into G). The D interface is the pair:

    d_loss(real_out, fake_out) -> (loss, dL/d real_out, dL/d fake_out)
    g_loss(fake_out[, real_out]) -> (loss, dL/d fake_out)

Most D losses are a term on real data plus a term on fakes (``separable``); those
objectives write the halves, ``d_real(real_out)`` and ``d_fake(fake_out)``, and
``d_loss`` adds them, which lets the trainer backpropagate each half right after
its own forward pass. A loss that couples the halves (the relativistic GAN)
writes ``d_loss`` itself and sets ``separable = False``; the trainer then runs both
forwards first. ``g_uses_real``: G's loss needs D's outputs on real data too.

Hooks: ``after_d_step(D)`` (weight clipping) and ``penalty`` (a term on D's input
gradients, such as WGAN-GP's; None here). The MMD matching network has no D at
all: its generator loss is computed on the samples themselves (``sample_loss``).

Each objective also carries what the trainer, the presets and the report need to
know of it, so that nothing there asks for it by name: ``threshold`` (an output
above it means "real", for D's accuracy; None for Wasserstein critics),
``critic`` (a Wasserstein-type score whose mean difference is tracked),
``defaults`` (the optimizer settings and critic steps of the introducing paper),
``equilibrium`` (the losses where D cannot tell real from fake, drawn in the loss
plot), ``critic_batchnorm`` (whether D may hold batch norm), ``config_fields``
(constructor arguments a preset's Config supplies) and ``reports_mmd`` (runs
report MMD^2 of their samples).
"""
from __future__ import annotations

from .. import losses
from ..backend import array_module
from ..checks import as_value_error, real
from ..ops.mmd import mmd2_backward, mmd2_forward
from .objective import LN2, Objective


class _LogisticD(Objective):
    """D is a logistic classifier: L_D = BCE(real, 1) + BCE(fake, 0)."""
    nonnegative_d_loss = True
    reading_label = "D(x) = sigmoid(logit): P(real)"
    reading_centre, reading_limits = 0.5, (0.0, 1.0)

    def reading(self, out, fake_out):
        return losses.sigmoid(out)

    def d_real(self, real_out):
        return losses.bce_with_logits(real_out, 1.0)

    def d_fake(self, fake_out):
        return losses.bce_with_logits(fake_out, 0.0)


class Minimax(_LogisticD):
    """Goodfellow et al.'s original game: G minimises E[log(1 - D(G(z)))] ("saturating")."""
    name = "minimax"
    equilibrium = {"d_loss": 2 * LN2, "g_loss": -LN2}     # D(x) = 1/2 everywhere

    def g_loss(self, fake_out, real_out=None):
        return losses.minimax_generator_loss(fake_out)


class NonSaturating(_LogisticD):
    """The heuristic of the same paper: G maximises E[log D(G(z))] (strong gradients early on)."""
    name = "nonsaturating"
    equilibrium = {"d_loss": 2 * LN2, "g_loss": LN2}

    def g_loss(self, fake_out, real_out=None):
        return losses.nonsaturating_generator_loss(fake_out)


class LeastSquares(Objective):
    """LSGAN (Mao et al., 2017) with labels a = 0 (fake), b = 1 (real), c = 1 (G's target):
    L_D = 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2],  L_G = 1/2 E[(D(G(z)) - 1)^2]."""
    name = "lsgan"
    threshold = 0.5
    reading_label = "D(x) (targets: real 1, fake 0)"
    reading_centre = 0.5
    nonnegative_d_loss = True
    equilibrium = {"d_loss": 0.25, "g_loss": 0.125}      # D outputs 1/2 everywhere

    def d_real(self, real_out):
        return losses.least_squares(real_out, 1.0)

    def d_fake(self, fake_out):
        return losses.least_squares(fake_out, 0.0)

    def g_loss(self, fake_out, real_out=None):
        return losses.least_squares(fake_out, 1.0)


class Hinge(Objective):
    """The hinge game (Lim & Ye 2017; SN-GAN): L_D = E[relu(1 - D(x))] + E[relu(1 + D(G(z)))],
    L_G = -E[D(G(z))]."""
    name = "hinge"
    critic = True
    reading_label = "critic D(x) (margins at +1 and -1)"
    reading_centre = 0.0
    nonnegative_d_loss = True

    def d_real(self, real_out):
        return losses.hinge(real_out, -1)

    def d_fake(self, fake_out):
        return losses.hinge(fake_out, +1)

    def g_loss(self, fake_out, real_out=None):
        return losses.mean_score(fake_out, -1)


class RelativisticAverage(Objective):
    """The relativistic average GAN (Jolicoeur-Martineau, 2019: RaSGAN). D estimates whether
    a real sample is more realistic than the average fake, and a fake than the average real:

        d_r = o_r - mean(o_f),   d_f = o_f - mean(o_r)
        L_D = E[softplus(-d_r)] + E[softplus(d_f)]     BCE of d_r against 1, of d_f against 0
        L_G = E[softplus(-d_f)] + E[softplus(d_r)]     the same with the labels swapped

    Each half holds the other batch's mean, so D's loss does not split into a real and a
    fake term (``separable`` is False) and G's loss reads D's outputs on real data too."""
    name = "ragan"
    separable = False
    g_uses_real = True
    threshold = None             # "real" is relative to the other batch: no fixed origin
    nonnegative_d_loss = True
    equilibrium = {"d_loss": 2 * LN2, "g_loss": 2 * LN2}   # o_r = o_f: every d is 0
    reading_label = "sigmoid(D(x) - mean D(fake)): P(x more real than the average fake)"
    reading_centre, reading_limits = 0.5, (0.0, 1.0)

    def reading(self, out, fake_out):
        return losses.sigmoid(out - fake_out.mean())

    @staticmethod
    def _relative_loss(up, down):
        """L = E[softplus(-(u - mean d))] + E[softplus(d - mean u)] for u = ``up`` (the batch
        that should look more real) and d = ``down``, with dL/du and dL/dd: each batch's
        gradient is its own BCE gradient minus the other term's gradient summed over its
        batch, spread over this batch (the mean it subtracts; docs/math/gan_objectives.md)."""
        xp = array_module(up)
        lu, gu = losses.bce_with_logits(up - down.mean(), 1.0)
        ld, gd = losses.bce_with_logits(down - up.mean(), 0.0)
        du = gu - xp.sum(gd) / up.size
        dd = gd - xp.sum(gu) / down.size
        return xp.asarray(lu + ld), du, dd

    def d_loss(self, real_out, fake_out):
        return self._relative_loss(real_out, fake_out)

    def g_loss(self, fake_out, real_out=None):
        if real_out is None:
            raise ValueError("ragan: G's loss needs D's outputs on a real batch (real_out)")
        loss, d_fake, _ = self._relative_loss(fake_out, real_out)   # fakes should look real
        return loss, d_fake


class Wasserstein(Objective):
    """WGAN (Arjovsky et al., 2017): the critic maximises E[D(x)] - E[D(G(z))], an estimate
    of the Wasserstein-1 distance when D is 1-Lipschitz, which weight clipping to
    [-clip_value, clip_value] after every critic step enforces (crudely). G minimises
    -E[D(G(z))]. The paper's settings: RMSprop(5e-5), 5 critic steps, clip 0.01."""
    name = "wgan"
    critic = True
    threshold = None
    defaults = dict(optimizer="rmsprop", lr=5e-5, n_critic=5)
    config_fields = ("clip_value",)

    def __init__(self, clip_value: float | None = 0.01):
        if clip_value is not None:
            with as_value_error():
                clip_value = real("Wasserstein", "clip_value", clip_value, positive=True)
        self.clip_value = clip_value

    def d_real(self, real_out):
        return losses.mean_score(real_out, -1)

    def d_fake(self, fake_out):
        return losses.mean_score(fake_out, +1)

    def g_loss(self, fake_out, real_out=None):
        return losses.mean_score(fake_out, -1)

    def after_d_step(self, D) -> None:
        if self.clip_value is None:
            return
        c = self.clip_value
        for p in D.parameters():
            array_module(p.data).clip(p.data, -c, c, out=p.data)

    def config(self) -> dict:
        return {"name": self.name, "clip_value": self.clip_value}


class WassersteinGP(Wasserstein):
    """WGAN-GP (Gulrajani et al., 2017): the Wasserstein critic without clipping, kept near
    1-Lipschitz by the penalty lambda E[(|grad_x D(x_hat)| - 1)^2] on random interpolates
    x_hat of real and fake samples, whose exact gradient a hand-written double backward
    computes (minigan.gan.penalty, docs/math/gradient_penalty.md). Settings: lambda = 10
    and 5 critic steps as in the paper, Adam(1e-4, betas (0.5, 0.9)) as in the authors'
    released toy and MNIST code (the paper's Algorithm 1 lists beta1 = 0). The critic may
    not contain batch norm (the penalty is per sample)."""
    name = "wgan-gp"
    defaults = dict(optimizer="adam", lr=1e-4, betas=(0.5, 0.9), n_critic=5)
    critic_batchnorm = False
    config_fields = ("lambda_gp",)

    def __init__(self, lambda_gp: float = 10.0):
        super().__init__(clip_value=None)
        from .penalty import GradientPenalty
        self.penalty = GradientPenalty(lambda_gp)
        self.lambda_gp = self.penalty.lam

    def config(self) -> dict:
        return {"name": self.name, "lambda_gp": self.lambda_gp}


class MMD(Objective):
    """The generative moment matching network (Li, Swersky & Zemel, 2015; Dziugaite et al.,
    2015): no discriminator; G descends the unbiased MMD^2 between a generated and a real
    batch under a mixture of Gaussian kernels, through its hand-written gradient
    (docs/math/mmd.md). Samples with more than one axis after the batch are flattened."""
    name = "mmd"
    needs_discriminator = False
    threshold = None
    reports_mmd = True
    config_fields = ("bandwidths",)
    # no D: the game picture colours the witness function of the kernel (ops/mmd.py)
    reading_label = "MMD witness f(x) = mean k(x, real) - mean k(x, fake)"
    reading_centre = 0.0
    defaults = dict(optimizer="adam", lr=1e-3, betas=(0.5, 0.999), n_critic=0)

    def __init__(self, bandwidths=(2.0, 5.0, 10.0, 20.0, 40.0, 80.0)):
        bws = tuple(float(b) for b in bandwidths)
        if not bws or not all(0 < b < float("inf") for b in bws):
            raise ValueError(f"MMD: bandwidths must be positive numbers, got {bandwidths!r}")
        self.bandwidths = bws

    def sample_loss(self, fake, real, fake_onehot=None, real_onehot=None):
        """(MMD^2_u of the batches, dMMD^2/d fake with fake's shape). With one-hot labels
        of both batches (a conditional run) the kernel compares only samples of one class."""
        if fake.shape[1:] != real.shape[1:]:
            raise ValueError(f"MMD: generated samples {tuple(fake.shape)} and real samples "
                             f"{tuple(real.shape)} differ in shape")
        if fake.shape[0] < 2 or real.shape[0] < 2:
            raise ValueError("MMD: the unbiased estimate needs at least 2 samples on each side")
        x = fake.reshape(fake.shape[0], -1)
        y = real.reshape(real.shape[0], -1)
        labels = None if fake_onehot is None else (fake_onehot, real_onehot)
        value, cache = mmd2_forward(x, y, self.bandwidths, labels)
        return value, mmd2_backward(1.0, cache).reshape(fake.shape)

    def config(self) -> dict:
        return {"name": self.name, "bandwidths": list(self.bandwidths)}


OBJECTIVES = {cls.name: cls for cls in (Minimax, NonSaturating, LeastSquares, Hinge,
                                        RelativisticAverage, Wasserstein, WassersteinGP, MMD)}
ALIASES = {"non-saturating": "nonsaturating", "ns": "nonsaturating", "vanilla": "minimax",
           "least-squares": "lsgan", "ls": "lsgan", "wasserstein": "wgan", "gmn": "mmd",
           "gmmn": "mmd", "wgangp": "wgan-gp", "wgan_gp": "wgan-gp", "relativistic": "ragan",
           "rasgan": "ragan"}


def objective_class(name: str) -> type:
    """The Objective class of a name in ``OBJECTIVES`` or an alias such as "wasserstein"."""
    key = ALIASES.get(str(name).strip().lower(), str(name).strip().lower())
    if key not in OBJECTIVES:
        raise ValueError(f"unknown GAN objective {name!r}; choose one of {sorted(OBJECTIVES)}")
    return OBJECTIVES[key]


def get_objective(name: str, **kwargs) -> Objective:
    """An objective by name (``OBJECTIVES`` or an alias such as "wasserstein"); keyword
    arguments go to its constructor (``clip_value`` for wgan, ``lambda_gp`` for wgan-gp,
    ``bandwidths`` for mmd)."""
    cls = objective_class(name)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ValueError(f"objective {cls.name!r}: {exc}") from None
