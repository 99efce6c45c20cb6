"""GAN objectives: every loss's gradient against central differences in float64, closed
forms, the MMD^2 op against the metric and numerically, and the gradients the trainer
computes through the conditional label paths (one-hot into G, one-hot / label maps
into D) checked numerically end to end."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigan as mg
from minigan import metrics, optim
from minigan.gan import GANTrainer, dcgan8_discriminator, dcgan8_generator, get_objective, mlp
from minigan.gan.objectives import MMD, OBJECTIVES, Wasserstein
from minigan.gradcheck import check_gradients, check_loss
from minigan.ops.mmd import mmd2_backward, mmd2_forward

DISCRIMINATING = [n for n, c in OBJECTIVES.items() if c.needs_discriminator]


def _logits(rng, shape):
    z = rng.standard_normal(shape) * 2
    z[np.abs(np.abs(z) - 1) < 0.05] += 0.2      # keep the hinge's kinks out of the differences
    return z


@pytest.mark.parametrize("name", DISCRIMINATING)
@given(n=st.integers(1, 8), m=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_objective_gradients_numerically(name, n, m, seed):
    """The paired D loss against both outputs at once, and G's loss (given D's real outputs
    where it reads them), for batches of different sizes."""
    obj = get_objective(name)
    rng = np.random.default_rng(seed)
    real, fake = _logits(rng, (n, 1)), _logits(rng, (m, 1))
    _, dr, df = obj.d_loss(real, fake)
    report = check_gradients(lambda: obj.d_loss(real, fake)[0], {"real_out": real, "fake_out": fake},
                             {"real_out": dr, "fake_out": df}, title=f"{name}.d_loss")
    assert report.ok and report.worst < 1e-7, report.table()
    report = check_loss(lambda z: obj.g_loss(z, real), fake, title=f"{name}.g_loss")
    assert report.ok and report.worst < 1e-7, report.table()


@pytest.mark.parametrize("name", [n for n in DISCRIMINATING if OBJECTIVES[n].separable])
def test_separable_d_loss_is_the_sum_of_its_halves(name, rng):
    obj = get_objective(name)
    real, fake = _logits(rng, (5, 1)), _logits(rng, (3, 1))
    loss, dr, df = obj.d_loss(real, fake)
    (lr, gr), (lf, gf) = obj.d_real(real), obj.d_fake(fake)
    assert float(loss) == float(lr + lf)
    np.testing.assert_array_equal(dr, gr)
    np.testing.assert_array_equal(df, gf)


def test_relativistic_loss_closed_form_and_its_halves_refused():
    obj = get_objective("relativistic")
    real, fake = np.array([[0.7], [0.1]]), np.array([[-0.4]])

    def sp(v):
        return np.log1p(np.exp(v))
    d_r, d_f = real - fake.mean(), fake - real.mean()
    d, _, _ = obj.d_loss(real, fake)
    g, _ = obj.g_loss(fake, real)
    assert float(d) == pytest.approx(sp(-d_r).mean() + sp(d_f).mean(), rel=1e-12)
    assert float(g) == pytest.approx(sp(-d_f).mean() + sp(d_r).mean(), rel=1e-12)
    # at equilibrium (equal outputs) both losses are 2 ln 2, as the record says
    same = np.zeros((3, 1))
    assert float(obj.d_loss(same, same)[0]) == pytest.approx(obj.equilibrium["d_loss"])
    assert float(obj.g_loss(same, same)[0]) == pytest.approx(obj.equilibrium["g_loss"])
    assert not obj.separable and obj.g_uses_real
    with pytest.raises(NotImplementedError, match="ragan: D's loss does not split"):
        obj.d_real(real)
    with pytest.raises(ValueError, match="ragan: G's loss needs"):
        obj.g_loss(fake)


@pytest.mark.parametrize("name,value", [
    # D's loss and G's loss at D outputs real 0.7, fake -0.4 (closed forms)
    ("lsgan", (0.5 * 0.3 ** 2 + 0.5 * 0.4 ** 2, 0.5 * 1.4 ** 2)),
    ("hinge", (0.3 + 0.6, 0.4)),
    ("wgan", (-0.7 - 0.4, 0.4)),
])
def test_objective_values_closed_form(name, value):
    obj = get_objective(name)
    d, _, _ = obj.d_loss(np.array([[0.7]]), np.array([[-0.4]]))
    g, _ = obj.g_loss(np.array([[-0.4]]))
    assert float(d) == pytest.approx(value[0]) and float(g) == pytest.approx(value[1])


def test_objective_names_aliases_and_errors():
    assert get_objective("wasserstein").name == "wgan" and get_objective("ls").name == "lsgan"
    assert get_objective("wgan", clip_value=0.05).clip_value == 0.05
    with pytest.raises(ValueError, match="unknown GAN objective 'wgan-gpx'"):
        get_objective("wgan-gpx")
    with pytest.raises(ValueError, match="clip_value"):
        Wasserstein(clip_value=-1)
    with pytest.raises(ValueError, match="bandwidths"):
        MMD(bandwidths=(1.0, 0.0))
    with pytest.raises(ValueError, match="objective 'hinge'"):
        get_objective("hinge", clip_value=1)


def test_weight_clipping_after_each_critic_step(backend_name):
    D = mlp([2, 4, 1])
    for p in D.parameters():
        p.data[...] = 3.0
    Wasserstein(0.01).after_d_step(D)
    for p in D.parameters():
        assert float(mg.backend.array_module(p.data).abs(p.data).max()) == pytest.approx(0.01)


# ---------------------------------------------------------------- MMD^2

@given(m=st.integers(2, 7), n=st.integers(2, 7), d=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_mmd2_value_matches_the_metric_and_gradient_numerically(m, n, d, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((m, d)), rng.standard_normal((n, d)) + 0.5
    bws = (0.5, 1.0, 3.0)
    value, cache = mmd2_forward(x, y, bws)
    assert float(value) == pytest.approx(metrics.mmd2(x, y, bandwidths=bws), rel=1e-10, abs=1e-12)
    dx = mmd2_backward(1.0, cache)
    report = check_gradients(lambda: mmd2_forward(x, y, bws)[0], {"x": x}, {"x": dx})
    assert report.ok, report.table()


def test_mmd2_with_labels_compares_only_samples_of_one_class():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((5, 3))
    lx, ly = np.eye(2)[[0, 1, 0, 1, 0, 1]], np.eye(2)[[0, 0, 1, 1, 1]]
    bws = (1.0, 2.0)
    value, cache = mmd2_forward(x, y, bws, (lx, ly))
    # by hand: the kernel times [label equal]
    def k(a, b):
        return sum(np.exp(-((a - b) ** 2).sum() / (2 * s * s)) for s in bws)
    ax, ay = lx.argmax(1), ly.argmax(1)
    kxx = sum(k(x[i], x[j]) for i in range(6) for j in range(6) if i != j and ax[i] == ax[j])
    kyy = sum(k(y[i], y[j]) for i in range(5) for j in range(5) if i != j and ay[i] == ay[j])
    kxy = sum(k(x[i], y[j]) for i in range(6) for j in range(5) if ax[i] == ay[j])
    assert float(value) == pytest.approx(kxx / 30 + kyy / 20 - 2 * kxy / 30, rel=1e-12)
    dx = mmd2_backward(1.0, cache)
    report = check_gradients(lambda: mmd2_forward(x, y, bws, (lx, ly))[0], {"x": x}, {"x": dx})
    assert report.ok, report.table()


def test_mmd_objective_on_images_and_its_errors(backend_name):
    rng = np.random.default_rng(1)
    fake = mg.backend.to_device(rng.standard_normal((4, 1, 3, 3)))
    real = mg.backend.to_device(rng.standard_normal((5, 1, 3, 3)))
    value, grad = MMD((1.0, 4.0)).sample_loss(fake, real)
    assert grad.shape == fake.shape and mg.backend.backend_of(grad) == backend_name
    assert float(value) == pytest.approx(metrics.mmd2(fake, real, bandwidths=(1.0, 4.0)), rel=1e-9)
    with pytest.raises(ValueError, match="differ in shape"):
        MMD().sample_loss(fake, real[:, :, :2])
    with pytest.raises(ValueError, match="at least 2 samples"):
        MMD().sample_loss(fake[:1], real)


# ---------------------------------------------------------------- the trainer's gradients, end to end

class FixedLabels:
    """A label generator that always draws the same labels (for repeatable differences)."""

    def __init__(self, labels):
        self.labels = labels

    def integers(self, low, high=None, size=None):
        return mg.backend.to_device(self.labels[:size])


def _trainer(G, D, objective, n_classes, x_real, y_real, z):
    zero = lambda ps: optim.SGD(ps, lr=0.0)             # noqa: E731  (gradients only, no update)
    real = (lambda n: (x_real, y_real)) if n_classes else (lambda n: x_real)
    return GANTrainer(G.double(), None if D is None else D.double(), get_objective(objective),
                      zero(G.parameters()), None if D is None else zero(D.parameters()),
                      real, lambda n: z, batch_size=len(z), d_steps=None if D is not None else 0,
                      n_classes=n_classes, label_rng=FixedLabels(np.arange(len(z)) % max(n_classes, 1)),
                      grad_norms=False)


def _check_step(tr, step, model, eps=1e-6):
    """Analytic gradients of ``model``'s parameters after ``step`` vs central differences of
    the loss that step reports."""
    key = "g_loss" if step == "g_step" else "d_loss"
    getattr(tr, step)()
    params = dict(model.named_parameters())
    grads = {k: p.grad.copy() for k, p in params.items()}
    # a gradient that is exactly 0 (WGAN's loss does not depend on D's output bias) has no
    # relative error to speak of: it must be ~0 analytically, and is left out of the ratio
    zero = {k for k in params if np.abs(grads[k]).max() < 1e-12}
    for k in zero:
        lo = getattr(tr, step)()[key]
        params[k].data[...] += 1e-3
        hi = getattr(tr, step)()[key]
        params[k].data[...] -= 1e-3
        assert abs(float(hi) - float(lo)) < 1e-12, k
    small = {k: p.data for k, p in params.items() if p.data.size <= 40 and k not in zero}
    report = check_gradients(lambda: getattr(tr, step)()[key], small,
                             {k: grads[k] for k in small}, directions=3, eps=eps)
    assert report.ok, report.table()


@pytest.mark.parametrize("objective", ["nonsaturating", "minimax", "lsgan", "hinge", "wgan", "ragan"])
@pytest.mark.parametrize("n_classes", [0, 3])
def test_mlp_trainer_gradients_through_the_label_paths(objective, n_classes):
    mg.backend.seed(0)
    rng = np.random.default_rng(0)
    k = n_classes
    G, D = mlp([3 + k, 5, 2], "tanh"), mlp([2 + k, 5, 1], "tanh")
    x, y = rng.standard_normal((6, 2)), np.arange(6) % max(k, 1)
    tr = _trainer(G, D, objective, k, x, y, rng.standard_normal((6, 3)))
    if objective == "wgan":
        tr.objective.clip_value = None       # clipping would move the weights between evaluations
    _check_step(tr, "g_step", G)
    _check_step(tr, "d_step", D)


def test_conv_trainer_gradients_through_label_maps():
    mg.backend.seed(1)
    rng = np.random.default_rng(1)
    G, D = dcgan8_generator(4, n_classes=3), dcgan8_discriminator(n_classes=3)
    for m in (G, D):                       # gradient checks need evaluation-mode batch norm
        m.eval()
        for p in m.parameters():           # DCGAN's N(0, 0.02) weights give gradients of ~1e-7,
            p.data *= 10                   # below what central differences resolve
    x, y = rng.uniform(-1, 1, (4, 1, 8, 8)), np.array([0, 1, 2, 1])
    tr = _trainer(G, D, "nonsaturating", 3, x, y, rng.standard_normal((4, 4)))
    _check_step(tr, "g_step", G)
    _check_step(tr, "d_step", D)


@pytest.mark.parametrize("n_classes", [0, 2])
def test_matching_network_gradients(n_classes):
    mg.backend.seed(2)
    rng = np.random.default_rng(2)
    G = mlp([3 + n_classes, 6, 2], "tanh")
    x, y = rng.standard_normal((7, 2)), np.arange(7) % max(n_classes, 1)
    tr = _trainer(G, None, "mmd", n_classes, x, y, rng.standard_normal((5, 3)))
    tr.objective.bandwidths = (0.5, 2.0)
    _check_step(tr, "g_step", G)
