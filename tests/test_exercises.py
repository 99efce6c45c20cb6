"""minigan exercise / minigan check: the worked answers and minigan's own ops pass, every
known mistake fails with its gradient named and its hint, bad files give a clear message
(exit 2) and never a traceback, and --use trains the 1-D GAN with the student's op."""
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigan import exercises as E
from minigan.cli import main
from minigan.exercises import references as R
from minigan.exercises.checker import judge
from minigan.exercises.hints import solution_source
from minigan.exercises.verdict import rel_error, verdict

NAMES = E.names()


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def _mutated(tmp_path, name, old, new, fname=None):
    src = solution_source(name)
    assert src.count(old) == 1, (name, old)
    return _write(tmp_path, fname or f"{name}_planted.py", src.replace(old, new))


def test_the_catalogue_covers_what_the_tutorial_teaches():
    for name in ("linear", "relu", "leaky_relu", "tanh", "sigmoid", "softplus",
                 "bce_with_logits", "batchnorm", "conv2d", "conv_transpose2d", "upsample",
                 "mmd2", "gradient_penalty", "instance_norm"):
        assert name in NAMES
    for ex in E.EXERCISES.values():
        assert os.path.exists(ex.math.split(",")[0]), ex.math    # the page it points to
        assert len(ex.grads) == len(ex.wrt) and ex.mistakes


def test_verdict_thresholds_are_cs231ns():
    assert verdict(1e-8) == "right" and verdict(1e-5) == "suspicious" and verdict(1e-3) == "wrong"
    assert verdict(float("nan")) == "wrong"
    assert rel_error([1.0, 0.0], [1.0, 1e-17]) < 1e-7        # rounding at 0 is not an error
    assert rel_error([1.0, 2.0], [1.0, 2.2]) == pytest.approx(0.2 / 4.2)


@pytest.mark.parametrize("name", NAMES)
def test_worked_answer_passes(name, tmp_path):
    path = E.write(name, str(tmp_path / f"{name}.py"), solution=True)
    result = E.check(path)
    assert result.ok, result.text()
    assert all(g.numerical < 1e-7 for g in result.grads), result.text()
    assert "all right" in result.text()


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
@pytest.mark.parametrize("name", NAMES)
def test_minigans_own_op_agrees_with_central_differences(name, seed):
    # minigan's op as the "student": the verdict against itself is trivial, the numerical
    # column is not - it checks minigan's op against central differences on drawn shapes
    ex = E.EXERCISES[name]
    ref = getattr(R, name) if hasattr(R, name) else R.activation(name)

    def forward(**inputs):
        if ex.kind == "loss":
            y, grads = ref(inputs, None)
            return y, grads[0]
        return ref(inputs, None)[0], inputs

    def backward(dy, inputs):
        grads = ref(inputs, dy)[1]
        return grads if len(grads) > 1 else grads[0]

    result = judge(ex, forward, backward, seed=seed)
    assert result.problem is None
    assert all(g.numerical < 1e-7 for g in result.grads), result.text()


@given(seed=st.integers(0, 2**31 - 1))
@settings(max_examples=5, deadline=None)
def test_worked_answers_pass_on_drawn_shapes(seed):
    for name in ("linear", "conv2d", "conv_transpose2d", "upsample", "batchnorm"):
        ex, mod = E.load(os.path.join(os.path.dirname(E.__file__), "solutions", f"{name}.py"))
        r = judge(ex, getattr(mod, ex.forward), getattr(mod, ex.backward), seed=seed)
        assert r.ok, r.text()


MISTAKES = [(n, i) for n in NAMES for i in range(len(E.EXERCISES[n].mistakes))]


@pytest.mark.parametrize("name,index", MISTAKES)
def test_each_known_mistake_fails_with_its_gradient_and_hint(name, index, tmp_path, capsys):
    m = E.EXERCISES[name].mistakes[index]
    path = _mutated(tmp_path, name, m.old, m.new)
    assert main(["check", path]) == 1
    out = capsys.readouterr().out
    assert f"{m.grad} is wrong, first at:" in out and m.hint in out
    result = E.check(path)
    assert not result.ok and m.grad in result.wrong()
    # the gradients it does not touch stay right (the mistake is located, not smeared)
    assert "right" in {g.verdict for g in result.grads} or len(result.grads) == 1 \
        or name == "gradient_penalty"


PLANTED = [  # (exercise, old, new, the gradient named, words of the hint)
    ("linear", "dx = dy @ W", "dx = dy @ W * 2", "dx", "constant factor of 2"),
    ("sigmoid", "return dy * y * (1 - y)", "return -dy * y * (1 - y)", "dx", "wrong sign"),
    ("tanh", "return dy * (1 - y * y)", "return dy * 0 * y", "dx", "all zeros"),
    ("conv2d", "dx = dxpad[:, :, ph:ph + H, pw:pw + Wd]",
     "dx = dxpad[:, :, ph + 1:ph + 1 + H, pw:pw + Wd]", "dx", "dx has shape"),   # off by one
    ("conv_transpose2d", "dW[:, :, i, j] = np.einsum(\"nchw,nohw->co\", x, window)",
     "dW[:, :, i, j] = np.einsum(\"nchw,nohw->co\", x, window)[:, ::-1]", "dW", "see docs/math"),
    ("instance_norm", "mean_dx = (dxhat * xhat).mean(axis=(2, 3), keepdims=True)",
     "mean_dx = (dxhat * xhat).mean(axis=(1, 2, 3), keepdims=True)", "dx", "see docs/math"),
    ("linear", "db = dy.sum(axis=0) if", "db = dy.sum() if", "db", "db has shape ()"),  # axes
    ("gradient_penalty", "dW2 = (du * s).sum(axis=0)[None, :]", "dW2 = (du * s).sum(axis=0)",
     "dW2", "dW2 has shape (H"),
]


@pytest.mark.parametrize("name,old,new,grad,words", PLANTED)
def test_planted_mistakes_outside_the_catalogue(name, old, new, grad, words, tmp_path):
    result = E.check(_mutated(tmp_path, name, old, new))
    assert not result.ok and result.problem is None and grad in result.wrong(), result.text()
    hint = next(g.hint for g in result.grads if g.name == grad)
    assert words.split(" (")[0] in hint, hint


def test_shape_of_the_transpose_is_named(tmp_path):
    result = E.check(_mutated(tmp_path, "linear", "dW = dy.T @ x", "dW = (dy.T @ x).T"))
    hint = next(g.hint for g in result.grads if g.name == "dW")
    assert result.wrong() == ["dW"] and "has the shape of W.T" in hint, result.text()
    # the shape alone gives it away, whatever the values
    from minigan.exercises.hints import hint as hint_for
    ex = E.EXERCISES["gradient_penalty"]
    case = ex.cases(np.random.default_rng(0))[1]
    want = np.ones((4, 2))
    text = hint_for(ex, case, 1.0, "dW1", "W1", np.zeros((2, 4)), want)
    assert "dW1 has the shape of W1.T, (2, 4): transpose it" in text


def test_an_unwritten_exercise_says_so(tmp_path, capsys):
    path = str(tmp_path / "relu.py")
    assert main(["exercise", "relu", "--out", path]) == 0
    text = open(path).read()
    assert "raise NotImplementedError" in text and "# hint:" in text
    assert "return dy * (y > 0)" not in text                      # the answer is not given
    assert "np.maximum(x, 0)" in text                             # the forward is
    assert f"minigan check {os.path.basename(path)}" in text
    assert main(["check", path]) == 1
    out = capsys.readouterr().out
    assert "relu_backward is not written yet" in out and "Traceback" not in out


def test_forward_mode_blanks_both_and_solution_mode_writes_the_answer(tmp_path, capsys):
    both = str(tmp_path / "conv.py")
    assert main(["exercise", "conv2d", "--forward", "--out", both]) == 0
    text = open(both).read()
    assert text.count("raise NotImplementedError") == 2 and "np.einsum" not in text
    assert main(["check", both]) == 1
    assert "conv2d_forward is not written yet" in capsys.readouterr().out
    answer = str(tmp_path / "answer.py")
    assert main(["exercise", "conv2d", "--solution", "--out", answer]) == 0
    assert "NotImplementedError" not in open(answer).read()
    assert main(["check", answer]) == 0
    assert "all right" in capsys.readouterr().out


def test_exercise_command_usage(tmp_path, capsys):
    assert main(["exercise", "--list"]) == 0
    listing = capsys.readouterr().out
    assert all(n in listing for n in NAMES)
    assert main(["exercise", "no_such_op"]) == 2
    err = capsys.readouterr().err
    assert "unknown exercise 'no_such_op'" in err and "linear" in err and "conv2d" in err
    assert main(["exercise"]) == 2
    path = str(tmp_path / "linear.py")
    assert main(["exercise", "linear", "--out", path]) == 0
    assert main(["exercise", "linear", "--out", path]) == 2          # never overwrites work
    assert "exists" in capsys.readouterr().err
    assert main(["exercise", "linear", "--out", path, "--force"]) == 0
    assert main(["exercise", "linear", "--out", str(tmp_path / "x.txt")]) == 2
    assert main(["exercise", "linear", "--out", str(tmp_path / "no" / "x.py")]) == 2


BAD_FILES = [  # (file name, text or None for missing, exit status, words of the message)
    ("missing.py", None, 2, "does not exist"),
    ("notes.txt", "hello", 2, "not a Python file"),
    ("syntax.py", "# minigan exercise: relu\ndef relu_forward(x:\n", 2, "syntax error on line 2"),
    ("nofunc.py", "# minigan exercise: relu\ndef relu_forward(x):\n    return x, x\n", 2,
     "no function relu_backward(dy, y)"),
    ("signature.py", "# minigan exercise: relu\ndef relu_forward(x):\n    return x, x\n"
     "def relu_backward(grad, y, extra):\n    return grad\n", 2,
     "expected relu_backward(dy, y), found relu_backward(grad, y, extra)"),
    ("cheat.py", "# minigan exercise: relu\nfrom minigan.ops.activations import relu_forward, "
     "relu_backward\n", 2, "imports minigan (line 2)"),
    ("cheat2.py", "# minigan exercise: relu\nimport importlib\n"
     "A = importlib.import_module('minigan.ops.activations')\n", 2, "imports minigan (line 3)"),
    ("unknown.py", "# minigan exercise: softmax\n", 2, "unknown exercise 'softmax'"),
    ("crash.py", "# minigan exercise: relu\nimport numpy as np\n1 / 0\n", 2,
     "raised ZeroDivisionError"),
    ("arity.py", "# minigan exercise: linear\ndef linear_forward(x, W, b=None):\n"
     "    return x @ W.T, (x, W)\ndef linear_backward(dy, cache):\n    return dy @ cache[1], 0\n",
     1, "linear_backward returned 2 values; expected 3: (dx, dW, db)"),
    ("raises.py", "# minigan exercise: tanh\nimport numpy as np\ndef tanh_forward(x):\n"
     "    return np.tanh(x), None\ndef tanh_backward(dy, y):\n    return dy * (1 - y * y)\n", 1,
     "tanh_backward raised TypeError"),
    ("notarray.py", "# minigan exercise: tanh\nimport numpy as np\ndef tanh_forward(x):\n"
     "    y = np.tanh(x)\n    return y, y\ndef tanh_backward(dy, y):\n    return 'dx'\n", 1,
     "dx is a str, expected a NumPy array"),
]


@pytest.mark.parametrize("fname,text,status,words", BAD_FILES)
def test_bad_files_give_a_clear_message(fname, text, status, words, tmp_path, capsys):
    path = str(tmp_path / fname)
    if text is not None:
        _write(tmp_path, fname, text)
    assert main(["check", path]) == status
    cap = capsys.readouterr()
    assert words in cap.out + cap.err, cap.out + cap.err
    assert "Traceback" not in cap.out + cap.err


def test_the_failing_line_is_named(tmp_path):
    result = E.check(_write(tmp_path, "t.py", "# minigan exercise: tanh\nimport numpy as np\n"
                            "def tanh_forward(x):\n    return np.tanh(x), None\n"
                            "def tanh_backward(dy, y):\n    return dy * (1 - y * y)\n"))
    assert "line 6 of t.py: `return dy * (1 - y * y)`" in result.problem


def test_a_file_without_its_marker_is_recognised_by_its_functions(tmp_path):
    src = solution_source("tanh").replace("# minigan exercise: tanh\n", "")
    assert E.check(_write(tmp_path, "mine.py", src)).ok


# ---------------------------------------------------------------- --use

def test_use_trains_the_gan_with_the_students_op(tmp_path, capsys):
    answer = E.write("leaky_relu", str(tmp_path / "leaky.py"), solution=True)
    picture = str(tmp_path / "use.png")
    assert main(["check", answer, "--use", "--steps", "300", "--out", picture, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "your op trains the GAN as minigan's does" in out and "300 steps" in out
    assert open(picture, "rb").read(4) == b"\x89PNG"
    from minigan.exercises.use import MEAN, STD, compare
    yours, ours = compare(E.load(answer)[1], "leaky_relu")
    # the default 2,000 steps, seed 0: mean 4.004, std 1.247 against the target's 4 and 1.25
    assert abs(yours["mean"] - MEAN) < 0.2 and abs(yours["std"] - STD) < 0.25
    assert yours["mean"] == pytest.approx(ours["mean"], abs=1e-6)
    assert yours["std"] == pytest.approx(ours["std"], abs=1e-6)


def test_use_with_a_wrong_op_trains_a_different_gan(tmp_path, capsys):
    m = E.EXERCISES["bce_with_logits"].mistakes[1]      # the sign flipped (a gradient off by
    # a constant factor, as mistake 0, would train the same: Adam does not see the scale)
    path = _mutated(tmp_path, "bce_with_logits", m.old, m.new)
    assert main(["check", path, "--use", "--steps", "200", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "the two runs differ" in out
    assert os.path.exists(tmp_path / "bce_with_logits_use.png")


@pytest.mark.parametrize("name", ["mmd2", "gradient_penalty", "batchnorm", "linear"])
def test_use_plugs_in_every_kind_of_op(name, tmp_path):
    from minigan.exercises.use import run_use
    answer = E.write(name, str(tmp_path / f"{name}.py"), solution=True)
    text = run_use(answer, name, steps=60, progress=False)
    assert "your op trains the GAN as minigan's does" in text


def test_use_refuses_image_ops(tmp_path, capsys):
    answer = E.write("conv2d", str(tmp_path / "conv.py"), solution=True)
    assert main(["check", answer, "--use"]) == 2
    assert "has no conv2d" in capsys.readouterr().err


def test_the_hint_text_of_every_mistake_is_unique_per_exercise():
    for ex in E.EXERCISES.values():
        hints = [m.hint for m in ex.mistakes]
        assert len(set(hints)) == len(hints), ex.name
        assert all(m.grad in ex.grads for m in ex.mistakes)


def test_inputs_are_not_changed_by_a_student_who_writes_in_place(tmp_path):
    # an answer that modifies dy in place must not corrupt the checker's own reference
    src = solution_source("relu").replace("return dy * (y > 0)", "dy *= (y > 0)\n    return dy")
    assert E.check(_write(tmp_path, "inplace.py", src)).ok
    rng = np.random.default_rng(0)
    cases = E.EXERCISES["relu"].cases(rng)
    assert all(np.abs(c.inputs["x"]).min() >= 0.01 for c in cases)     # away from the kink
