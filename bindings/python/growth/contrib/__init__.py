"""Helpers around libgrowth that need heavy optional dependencies (PyTorch), kept out of the
core package: ``import growth`` never imports them, and the core works without them installed.

- :mod:`growth.contrib.torch_nets`: PyTorch reference modules (MLP, Wide&Deep, the DSSM towers
  over growth's word hashing) whose weights ``growth.export.export_torch`` writes and
  ``growth.Net`` / ``growth.DSSM`` serve exactly.
- :mod:`growth.contrib.dssm_train`: trains a DSSM on a toy click log with in-batch softmax and
  exports it (``python3 -m growth.contrib.dssm_train --out toy.dssm``).

Import the submodules explicitly (``from growth.contrib.torch_nets import DSSMModel``).
"""
