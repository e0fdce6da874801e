"""Deprecated alias of :mod:`growth.contrib.torch_nets` (moved there so that the core package
does not need PyTorch); importing it warns, and it will be removed in 2.0."""
import warnings

from .contrib.torch_nets import DSSMModel, HashedLinear, Tower, WideDeep, mlp, to_bags  # noqa: F401

warnings.warn("growth.torch_nets moved to growth.contrib.torch_nets; the old name will be removed "
              "in growth 2.0", DeprecationWarning, stacklevel=2)
