"""StyleGAN-lite: the whole generator's backward (mapping, constant, noise, AdaIN, style
mixing, truncation) against central differences in float64; the R1 penalty's gradient by
the second-order pass; mixing and truncation do what the paper says; the preset trains on
both backends without a sync inside a step."""
import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.gan.penalty import R1Penalty, check_critic, r1_penalty, r1_value
from minigan.gan.stylegan import N_STYLES, StyleGenerator
from minigan.gradcheck import check_gradients

BAD_ARGUMENTS = [        # collected by tests/test_bad_input.py
    ("StyleGenerator", lambda: StyleGenerator(8, widths=(4, 3)), ValueError),
    ("StyleGenerator", lambda: StyleGenerator(8, mixing=1.5), ValueError),
    ("StyleGenerator", lambda: StyleGenerator(0), ValueError),
    ("R1Penalty", lambda: R1Penalty(gamma=0.0), ValueError),
    ("R1Penalty", lambda: R1Penalty(gamma=1.0, every=0), ValueError),
]


def small_generator(seed=0, mixing=0.0):
    """A float64 StyleGenerator small enough for element-wise checks, with its constant and
    noise strengths moved off their initial values (a constant plane normalises to 0, whose
    instance norm is a 0/sqrt(eps) corner no difference quotient resolves), and its
    LeakyReLUs swapped for Tanh: with hundreds of pre-activations downstream of every
    parameter, one lands within a difference step of the kink for many seeds, and the
    quotient measures the jump (the activations are checked on their own)."""
    mg.backend.seed(seed)
    G = StyleGenerator(6, widths=(3, 2, 2), mapping_layers=2, mixing=mixing).double()
    G.set_noise("fixed")
    rng = np.random.default_rng(seed + 1)
    G.const.data[...] = rng.standard_normal(G.const.data.shape)
    for m in list(G.modules()):
        if isinstance(m, nn.NoiseInjection):
            m.weight.data[...] = rng.standard_normal(m.weight.data.shape)
        if isinstance(m, nn.Sequential):
            for i, layer in enumerate(list(m)):
                if isinstance(layer, nn.LeakyReLU):
                    setattr(m, str(i), nn.Tanh())
    return G


@pytest.mark.parametrize("n, seed", [(1, 0), (2, 1)])
def test_generator_gradient_without_mixing(n, seed):
    G = small_generator(seed)
    z = np.random.default_rng(seed).standard_normal((n, 6))
    y = G.forward(z)
    R = np.random.default_rng(seed + 7).standard_normal(y.shape)
    G.zero_grad()
    arrays, grads = {"z": z}, {"z": G.backward(R)}
    for name, p in G.named_parameters():
        arrays[name], grads[name] = p.data, p.grad.copy()
    # The five-point stencil: a conv bias just before an instance norm is almost cancelled
    # by it (only the activation between them lets it through), so its gradient is tiny
    # and the 2-point quotient's rounding is a visible share of it.
    report = check_gradients(lambda: (G.forward(z) * R).sum(), arrays, grads, eps=1e-3,
                             stencil=4, max_elements=64)
    assert report.ok, report.table()


@pytest.mark.parametrize("truncation", [1.0, 0.6])
def test_generator_gradient_with_mixing_and_truncation(truncation):
    """Style mixing on every sample (a crossover drawn per sample): the mixing draws are
    replayed for each evaluation by re-seeding the generator's stream."""
    G = small_generator(3, mixing=1.0)
    G.w_avg[...] = np.random.default_rng(9).standard_normal(G.w_avg.shape)
    G.truncation = truncation
    z = np.random.default_rng(4).standard_normal((3, 6))
    def run():
        G.set_rng(mg.backend.RNG(5))
        return G.forward(z)

    w_avg = G.w_avg.copy()
    y = run()
    R = np.random.default_rng(6).standard_normal(y.shape)
    G.zero_grad()
    dz = G.backward(R)
    arrays, grads = {"z": z}, {"z": dz}
    for name, p in G.named_parameters():
        arrays[name], grads[name] = p.data, p.grad.copy()

    def loss():
        G.w_avg[...] = w_avg          # (training forwards move the running mean)
        return (run() * R).sum()
    report = check_gradients(loss, arrays, grads, max_elements=64, eps=1e-3, stencil=4)
    assert report.ok, report.table()


def test_mixing_takes_coarse_styles_from_one_latent_and_fine_from_the_other():
    G = small_generator(0)
    G.eval()
    rng = np.random.default_rng(0)
    za, zb = rng.standard_normal((2, 6)), rng.standard_normal((2, 6))
    np.testing.assert_allclose(G.mixed(za, zb, N_STYLES), G.forward(za), atol=1e-12)
    ws, _ = G.styles(za, zb, np.array([2, 2]))
    wa, _ = G.styles(za)
    wb, _ = G.styles(zb)
    for i in range(N_STYLES):
        np.testing.assert_allclose(ws[i], (wa if i < 2 else wb)[i], atol=1e-12)


def test_truncation_pulls_w_to_its_running_mean():
    G = small_generator(0)
    G.eval()
    G.w_avg[...] = 0.5
    z = np.random.default_rng(1).standard_normal((4, 6))
    w = G.styles(z)[0][0]
    G.truncation = 0.25
    wt = G.styles(z)[0][0]
    np.testing.assert_allclose(wt, 0.5 + 0.25 * (w - 0.5), atol=1e-12)


def test_w_avg_follows_the_mapped_latents_in_training_only():
    G = small_generator(0)
    z = np.random.default_rng(1).standard_normal((64, 6))
    G.w_avg[...] = 0.0
    w_mean = G.styles(z)[0][0].mean(axis=0)          # a training forward: one update
    np.testing.assert_allclose(G.w_avg, 0.005 * w_mean, rtol=1e-10)
    before = G.w_avg.copy()
    G.eval()
    G.styles(z)
    np.testing.assert_array_equal(G.w_avg, before)
    assert "w_avg" in G.state_dict()


def test_mixing_probability_is_honoured():
    G = small_generator(0, mixing=0.9)
    G.set_rng(mg.backend.RNG(0))
    _, cut = G._mixing_draw(20000)
    share = float((cut < N_STYLES).mean())
    assert abs(share - 0.9) < 0.01
    assert cut.min() >= 1


# ---------------------------------------------------------------- R1

def _critics():
    mg.backend.seed(2)
    conv = nn.Sequential(nn.EqualizedLR(nn.Conv2d(1, 2, 3, stride=2, padding=1)), nn.LeakyReLU(0.2),
                         nn.Flatten(), nn.EqualizedLR(nn.Linear(2 * 3 * 3, 1), gain=1.0)).double()
    mlp = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 4), nn.Softplus(),
                        nn.Linear(4, 1)).double()
    return [(conv, (4, 1, 5, 5)), (mlp, (6, 3))]


@pytest.mark.parametrize("which", [0, 1])
def test_r1_gradient_by_the_second_order_pass(which):
    D, shape = _critics()[which]
    x = np.random.default_rng(which).standard_normal(shape)
    D.zero_grad()
    value = r1_penalty(D, x, gamma=3.0)
    assert float(value) == pytest.approx(float(r1_value(D, x, 3.0)), rel=1e-12)
    arrays = {n: p.data for n, p in D.named_parameters()}
    grads = {n: p.grad.copy() for n, p in D.named_parameters()}
    report = check_gradients(lambda: r1_value(D, x, 3.0), arrays, grads)
    assert report.ok, report.table()


def test_r1_value_is_half_gamma_times_the_mean_squared_input_gradient():
    mg.backend.seed(0)
    D = nn.Sequential(nn.Linear(3, 1)).double()
    x = np.random.default_rng(0).standard_normal((5, 3))
    w = D[0].weight.data
    assert float(r1_value(D, x, 4.0)) == pytest.approx(0.5 * 4.0 * float((w * w).sum()))


def test_r1_refuses_a_critic_with_batch_norm():
    D = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.LeakyReLU(0.2), nn.Linear(4, 1))
    with pytest.raises(ValueError, match="BatchNorm1d"):
        check_critic(D)


def test_lazy_r1_runs_every_kth_step_with_gamma_times_k():
    calls = []

    class T:
        step = 0
        D = None
    import minigan.gan.penalty as P
    orig = P.r1_penalty
    P.r1_penalty = lambda D, x, gamma, width=None: calls.append(gamma) or 1.0
    try:
        pen = R1Penalty(gamma=2.0, every=4)
        t = T()
        for s in range(9):
            t.step = s
            pen(t, None, None, None, None)
    finally:
        P.r1_penalty = orig
    assert calls == [8.0, 8.0, 8.0]


def test_the_presets_discriminator_has_a_second_order_pass():
    from minigan.presets.build import build_models
    from minigan.presets.config import PRESETS
    G, D = build_models(PRESETS["stylegan-mnist"])
    check_critic(D)            # no error: every layer has one (and no batch norm)
    assert D(np.zeros((3, 1, 28, 28), np.float32)).shape == (3, 1)
    assert G(np.zeros((3, 64), np.float32)).shape == (3, 1, 28, 28)


# ---------------------------------------------------------------- the trainer on the fake CuPy

def test_stylegan_steps_with_r1_never_synchronise():
    from minigan.gan import GANTrainer, dcgan28_discriminator, get_objective
    from tests import fakecupy
    from tests.fakecupy import counters, no_sync
    from minigan import optim
    fakecupy.install()
    mg.backend.use("fakecupy")
    try:
        mg.backend.seed(0)
        G = StyleGenerator(8, widths=(4, 4, 2), mapping_layers=2, mixing=0.9,
                           rng=mg.backend.RNG(1))
        D = dcgan28_discriminator(batchnorm=False)
        obj = get_objective("nonsaturating")
        obj.penalty, obj.critic_batchnorm = R1Penalty(1.0, every=2), False
        rng = mg.backend.RNG(2)
        tr = GANTrainer(G, D, obj, optim.Adam(G.parameters()), optim.Adam(D.parameters()),
                        lambda n: rng.uniform((n, 1, 28, 28), -1.0, 1.0),
                        lambda n: rng.standard_normal((n, 8)), batch_size=4)
        counters.reset()
        with no_sync("StyleGAN D and G steps with R1"):
            for _ in range(2):                 # one step with R1, one without
                tr.iteration()
                tr.step += 1
        assert counters.syncs == 0 and counters.launches > 0
    finally:
        mg.backend.use("numpy")


# ---------------------------------------------------------------- minigan sample --mix / --truncation

@pytest.fixture(scope="module")
def style_run(tmp_path_factory):
    from minigan.presets import run
    out = tmp_path_factory.mktemp("style")
    run("stylegan-mnist", out=str(out), progress=False, pictures=False,
        overrides={"steps": 2, "eval_samples": 100})
    return out


def test_mix_writes_the_grid_and_its_sources(style_run, tmp_path):
    from minigan.cli import main
    assert main(["sample", str(style_run), "--mix", "--rows", "3", "--cols", "4",
                 "--out", str(tmp_path / "m.npz")]) == 0
    with np.load(tmp_path / "m.npz") as z:
        assert z["images"].shape == (3, 4, 1, 28, 28)
        assert z["rows"].shape == (3, 1, 28, 28) and z["cols"].shape == (4, 1, 28, 28)
        cells, rows = z["images"], z["rows"]
    # crossover 6 (all layers from the row latent) would reproduce the rows; 4 keeps the
    # coarse layers only, so the cells differ from their row source but not wildly
    assert not np.allclose(cells[:, 0], rows)
    assert main(["sample", str(style_run), "--mix", "--out", str(tmp_path / "m.png")]) == 0
    assert (tmp_path / "m.png").stat().st_size > 0


def test_mix_with_every_layer_coarse_gives_the_row_sources(style_run):
    from minigan.presets.sampling import load_generator, mixing_grid
    G, _, _ = load_generator(style_run)
    grid = mixing_grid(G, 2, 3, crossover=N_STYLES)
    # the same arithmetic in batches of another size: GEMMs blocked differently round a
    # float32 pixel by up to about 1e-5 (a wrong style would move it by tenths)
    for c in range(3):
        np.testing.assert_allclose(grid["images"][:, c], grid["rows"], atol=1e-4)


def test_truncation_samples_and_bad_values(style_run, tmp_path, capsys):
    from minigan.cli import main
    assert main(["sample", str(style_run), "--n", "8", "--truncation", "0.7",
                 "--out", str(tmp_path / "t.npy")]) == 0
    assert np.load(tmp_path / "t.npy").shape == (8, 1, 28, 28)
    for bad in ("1.5", "0", "-0.2", "nan"):
        try:
            code = main(["sample", str(style_run), "--truncation", bad, "--out",
                         str(tmp_path / "x.png")])
        except SystemExit as exc:            # refused by the parser
            code = exc.code
        assert code == 2, bad
        assert "truncation" in capsys.readouterr().err
    from minigan.presets import ConfigError, sample
    with pytest.raises(ConfigError, match=r"\(0, 1\]"):
        sample(str(style_run), 4, str(tmp_path / "x.png"), truncation=1.5)
    assert not (tmp_path / "x.png").exists()


def test_mix_and_truncation_refuse_other_generators(tmp_path, capsys):
    from minigan.cli import main
    from minigan.presets import run
    run("gaussian1d", out=str(tmp_path / "g"), progress=False, pictures=False,
        overrides={"steps": 2})
    assert main(["sample", str(tmp_path / "g"), "--mix", "--out", str(tmp_path / "x.png")]) == 2
    assert "StyleGAN" in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "g"), "--truncation", "0.5",
                 "--out", str(tmp_path / "x.png")]) == 2
    assert "--truncation" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
