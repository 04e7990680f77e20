"""Configuration of the project's IPython kernels (``make`` copies it to .venv/etc/ipython/).

Every kernel started from the environment reads it: the chapters executed by ``make book``,
``make execute`` and ``make test`` (nbval), and the kernels of ``make lab``.

It drops one log line, ipykernel's "Kernel is running over TCP without encryption ...", which
every kernel prints when its manager (nbclient, nbval, JupyterLab) connects over TCP without
provisioning CurveZMQ keys: seven times per book build. The kernels listen on the loopback
interface of the reader's own machine and sign every message with a per-kernel key; the
warning is meant for kernels reached over a network, and is not the reader's concern. Only that
message is filtered: every other warning of the kernel still shows.
"""

import logging


class _LocalTransportWarning(logging.Filter):
    """Drop ipykernel's warning about unencrypted TCP transport; keep everything else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "running over TCP without encryption" not in record.getMessage()


# The kernel application logs under its class name (traitlets.Application's logger).
logging.getLogger("IPKernelApp").addFilter(_LocalTransportWarning())
