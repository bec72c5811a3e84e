"""Shared fixtures: deterministic seeds and small helpers for running the CLI."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
import torch

warnings.filterwarnings("ignore", category=UserWarning)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `bnnforge ARGS` in a child process, as a user would."""
    return subprocess.run([sys.executable, "-m", "bnnforge.generator.cli", *args],
                          capture_output=True, text=True, timeout=timeout)
