"""Where the built-in catalog (checks/) and example profiles (profiles/) are on this machine."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


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
