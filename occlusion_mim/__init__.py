"""Masked image modeling as learning occlusion-invariant features: the siamese framework, CKA and shape-bias experiments of Kong & Zhang (CVPR 2023), re-created as a library and notebooks."""

__version__ = "0.1.0"
