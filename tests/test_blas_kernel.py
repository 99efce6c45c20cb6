"""minigan.blas_kernel: OpenBLAS is told to run its AVX-512 kernels only on an AMD processor
it does not know that has every AVX-512 subset they use, and only while the choice is
still open (NumPy not loaded, nothing set by the user)."""
from minigan import blas_kernel

FLAGS = "fpu sse2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16"


def _cpuinfo(tmp_path, vendor="AuthenticAMD", family=26, flags=FLAGS, n=2):
    block = f"processor\t: {{k}}\nvendor_id\t: {vendor}\ncpu family\t: {family}\n" \
            f"model\t\t: 2\nmodel name\t: AMD EPYC\nflags\t\t: {flags}\n"
    path = tmp_path / "cpuinfo"
    path.write_text("\n".join(block.format(k=k) for k in range(n)))
    return str(path)


def test_an_unknown_amd_with_avx512_gets_the_skylakex_kernels(tmp_path):
    env = {}
    assert blas_kernel.choose(env, {}, _cpuinfo(tmp_path)) == "SkylakeX"
    assert env == {"OPENBLAS_CORETYPE": "SkylakeX"}


def test_known_or_unable_processors_keep_openblass_choice(tmp_path):
    for kw in ({"family": 25},                              # Zen 4: OpenBLAS knows it
               {"vendor": "GenuineIntel", "family": 6},     # Intel: OpenBLAS knows its own
               {"flags": FLAGS.replace(" avx512vl", "")},   # a subset missing: illegal insn
               {"family": "unknown"}):
        env = {}
        assert blas_kernel.choose(env, {}, _cpuinfo(tmp_path, **kw)) is None and env == {}, kw


def test_the_users_choice_and_a_loaded_numpy_are_left_alone(tmp_path):
    path = _cpuinfo(tmp_path)
    env = {"OPENBLAS_CORETYPE": "Haswell"}
    assert blas_kernel.choose(env, {}, path) is None and env["OPENBLAS_CORETYPE"] == "Haswell"
    env = {"MINIGAN_BLAS_KERNEL": "off"}
    assert blas_kernel.choose(env, {}, path) is None and "OPENBLAS_CORETYPE" not in env
    env = {}
    assert blas_kernel.choose(env, {"numpy": object()}, path) is None and env == {}
    assert blas_kernel.choose(env, {}, str(tmp_path / "no-such-file")) is None and env == {}
