"""``python -m gpunet_ray``: the ``gpunet-ray`` command (see :mod:`gpunet_ray.console`)."""

import sys

from .console import main

if __name__ == "__main__":
    sys.exit(main())
