"""Masked image modeling as learning occlusion-invariant features: the siamese framework, CKA and shape-bias experiments of Kong & Zhang (CVPR 2023), re-created as a library and notebooks.

Modules:

- `occlusion_mim.export`: Weights others can load: a run's encoder or classifier as a timm model, in a folder laid out as a Hugging Face Hub model repository (`model.safetensors`, `config.json`, `README.md`)."""

__version__ = "0.1.0"
