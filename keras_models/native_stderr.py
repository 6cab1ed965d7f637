"""Keeps the C++ libraries' start-up chatter (absl's "WARNING: All log messages before
absl::InitializeLog()...", CUDA probes on a machine without a GPU) out of the terminal while TensorFlow
loads, so that a command's first line is its own. What was printed is replayed if loading fails.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile


@contextlib.contextmanager
def silenced():
    """Sends file descriptor 2 (where C++ code writes) to a scratch file for the duration of the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as scratch:
        os.dup2(scratch.fileno(), 2)
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if failed:
                scratch.seek(0)
                sys.stderr.write(scratch.read().decode("utf-8", "replace"))
