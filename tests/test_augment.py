"""Integration checks of the batched source augmentations beyond the notebook's inline tests:
the compiled colour path equals the eager one, results do not depend on chunking, and the batch is
never modified in place."""

import pytest
import torch
from occlusion_mim.augment import ColorAugment, SourceTransform, COMPOSITIONS, _can_compile
from occlusion_mim.core import make_generator


@pytest.mark.slow  # torch.compile: a C++ build
@pytest.mark.skipif(not _can_compile('cpu'), reason='no C++ compiler for torch.compile')
def test_compiled_colour_equals_eager():
    x = torch.rand(16, 3, 32, 32)
    ca = ColorAugment()
    prm = ca.draw(16, make_generator(0))
    eager = ColorAugment(compile=False).apply(x, prm)
    compiled = ColorAugment(compile=True).apply(x, prm)
    torch.testing.assert_close(compiled, eager, atol=1e-5, rtol=0)


@pytest.mark.parametrize('spec', COMPOSITIONS)
def test_chunking_and_input_untouched(spec):
    x = torch.rand(10, 3, 32, 32)
    x0 = x.clone()
    st = SourceTransform.from_spec(spec, patch_size=8, compile=False)
    whole = SourceTransform(st.ops, chunk=None)(x, make_generator(3))
    chunked = SourceTransform(st.ops, chunk=4)(x, make_generator(3))
    torch.testing.assert_close(chunked, whole, atol=0, rtol=0)
    assert torch.equal(x, x0)
