"""TensorFlow and Keras, imported once and quietly: every module takes them from here.

TensorFlow prints start-up chatter from C++ before its logging is configured (oneDNN and
CUDA-driver notices, ``absl::InitializeLog``), whatever ``TF_CPP_MIN_LOG_LEVEL`` says, and a
``cuInit`` error on a host with CUDA libraries but no GPU. Importing through this module
keeps the first kind off stderr (file descriptor 2 points at /dev/null while TensorFlow
loads), raises TensorFlow's C++ log level to errors-only unless the user set one, and keeps
TensorFlow's Python warnings (e.g. on ``tf.function`` retracing) below ERROR.
``FLIPFLOP_VERBOSE=1`` (the CLI's ``--verbose``) leaves all of it as TensorFlow has it.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import Iterator


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null (C++ writes included) inside the block."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. some notebooks): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _verbose() -> bool:
    return os.environ.get("FLIPFLOP_VERBOSE", "") not in ("", "0")


def _import():
    if _verbose():
        import keras
        import tensorflow as tf

        return keras, tf
    if not os.environ.get("TF_CPP_MIN_LOG_LEVEL"):
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    with stderr_silenced():
        import keras
        import tensorflow as tf
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    return keras, tf


keras, tf = _import()

__all__ = ["keras", "tf", "stderr_silenced"]
