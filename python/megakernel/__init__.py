"""megakernel: a persistent GPU bytecode interpreter with a CPU reference backend.

The C++ API's concepts under the same names: Megakernel.bootstrap, one-shot dispatch,
compact batches (BatchShape, Megakernel.dispatch_batch, BatchOutput), LiveSession and
Ticket, the protocol codec (encode_control, publish_slot, read_observables, ...) over
bytes / bytearray / NumPy buffers, and run(job) as `megakernel run --json`. Results
and observables come back as NumPy views without copies.
"""

from ._megakernel import *  # noqa: F401,F403 (the public names are listed in __init__.pyi)
from . import ir  # noqa: F401

__version__ = "0.1.0"
