"""Checks the layer tests share (Conv2d, ConvTranspose2d, BatchNorm): gradients against
a reference, freezing, and comparison with PyTorch.  Tolerances are always passed in."""
import numpy as np

import minigan as mg


def assert_op_grads(grads, ref_grads, bias, atol):
    """An op's (dx, dW, db) against a naive reference's, elementwise within ``atol``;
    without a bias the op must return db None."""
    dx, dW, db = grads
    rdx, rdW, rdb = ref_grads
    np.testing.assert_allclose(dx, rdx, rtol=0, atol=atol)
    np.testing.assert_allclose(dW, rdW, rtol=0, atol=atol)
    if bias:
        np.testing.assert_allclose(db, rdb, rtol=0, atol=atol)
    else:
        assert db is None


def assert_layer_grads(layer, dx, want_dx, want_dweight, want_dbias, atol):
    """A layer's dx and accumulated weight and bias gradients (on either backend) against
    NumPy arrays, within ``atol``."""
    np.testing.assert_allclose(mg.backend.to_numpy(dx), want_dx, atol=atol)
    np.testing.assert_allclose(mg.backend.to_numpy(layer.weight.grad), want_dweight, atol=atol)
    np.testing.assert_allclose(mg.backend.to_numpy(layer.bias.grad), want_dbias, atol=atol)


def trained_dx_then_freeze(layer, x, dy, how):
    """Run forward and backward with ``layer`` training, zero its gradients, then freeze it by
    ``how``: "freeze" (``Module.freeze``) or "requires_grad" (every parameter's set False).
    Returns the trained dx, for comparison with the frozen one."""
    layer(x)
    dx = layer.backward(dy)
    layer.zero_grad()
    if how == "freeze":
        layer.freeze()
    else:
        for p in layer.parameters():
            p.requires_grad = False
    return dx


def assert_no_param_grads(layer):
    """No parameter of ``layer`` received any gradient."""
    assert not layer.weight.grad.any() and not layer.bias.grad.any()


def assert_matches_torch(layer, ref, x, rng, atol):
    """Copy ``layer``'s weight and bias into the torch module ``ref``, run both forward on
    ``x`` and backward on one random dy (drawn from ``rng``), and compare y, dx and the
    weight and bias gradients within ``atol``."""
    import torch
    ref.weight.data = torch.from_numpy(layer.weight.data.copy())
    ref.bias.data = torch.from_numpy(layer.bias.data.copy())
    xt = torch.from_numpy(x).requires_grad_()
    yt = ref(xt)
    y = layer(x)
    assert y.shape == tuple(yt.shape)
    dy = rng.standard_normal(y.shape)
    yt.backward(torch.from_numpy(dy))
    dx = layer.backward(dy)
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=atol)
    assert_layer_grads(layer, dx, xt.grad.numpy(), ref.weight.grad.numpy(),
                       ref.bias.grad.numpy(), atol)


def assert_same_training_state(a, b, array_prefixes) -> None:
    """Two loaded checkpoints (minigan.gan.checkpoint.load_checkpoint) hold the same model
    and optimizer arrays, and the same arrays under each of ``array_prefixes``."""
    for kind in ("models", "optimizers"):
        for name in a[kind]:
            for key, value in a[kind][name].items():
                if isinstance(value, np.ndarray):
                    np.testing.assert_array_equal(value, b[kind][name][key], err_msg=f"{name}/{key}")
    for key in a["arrays"]:
        if key.startswith(tuple(array_prefixes)):
            np.testing.assert_array_equal(a["arrays"][key], b["arrays"][key], err_msg=key)
