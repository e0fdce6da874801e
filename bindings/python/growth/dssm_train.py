"""Deprecated alias of :mod:`growth.contrib.dssm_train` (moved there so that the core package
does not need PyTorch); importing or running it (``python3 -m growth.dssm_train``) warns, and it
will be removed in 2.0."""
import sys
import warnings

from .contrib.dssm_train import (CATEGORIES, BRANDS, COLORS, make_click_log, main,  # noqa: F401
                                 top1_category_accuracy, train)

warnings.warn("growth.dssm_train moved to growth.contrib.dssm_train; the old name will be removed "
              "in growth 2.0", DeprecationWarning, stacklevel=2)

if __name__ == "__main__":
    sys.exit(main())
