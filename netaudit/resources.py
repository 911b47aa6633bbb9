"""Where the built-in catalog (checks/) and example profiles (profiles/) are on this machine, and how package
data is loaded once."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

_PACKAGE = Path(__file__).resolve().parent

T = TypeVar("T")


def _data_dir(name: str) -> Path:
    # Installed: the folder ships inside the package. Source checkout or editable install:
    # it lives at the top of the repository, next to the package.
    installed = _PACKAGE / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def builtin_checks_dir() -> Path:
    """The folder of the built-in site catalog."""
    return _data_dir("checks")


def builtin_profiles_dir() -> Path:
    """The folder of the built-in example profiles."""
    return _data_dir("profiles")


def package_data(name: str) -> Path:
    """A data file that ships with the package (e.g. the block-page fingerprints)."""
    return _PACKAGE / "data" / name


def load_once(function: Callable[..., T]) -> Callable[..., T]:
    """Cache a loader of package data by its arguments, computed once even when many probe threads ask
    at the same moment (functools' caches let every thread that misses compute the value itself)."""
    results: dict[tuple[Any, ...], T] = {}
    lock = threading.Lock()

    @functools.wraps(function)
    def loader(*args: Any) -> T:
        try:
            return results[args]
        except KeyError:
            pass
        with lock:
            if args not in results:
                results[args] = function(*args)
            return results[args]

    return loader
