"""Install netaudit: the package, its built-in catalog and example profiles, and the `netaudit` command."""

import re
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).parent
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "netaudit" / "__init__.py").read_text()).group(1)

setup(
    name="netaudit",
    version=VERSION,
    description="Audit whether social-media sites are reachable through the corporate firewall and proxy",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=[
        "netaudit",
        "netaudit.bypass",
        "netaudit.cli",
        "netaudit.model",
        "netaudit.net",
        "netaudit.probe",
        "netaudit.render",
        "netaudit.checks",
        "netaudit.profiles",
    ],
    # The catalog and the example profiles live at the top of the repository (data only, easy to
    # edit) and ship inside the installed package, so an installed netaudit finds them anywhere.
    package_dir={"netaudit.checks": "checks", "netaudit.profiles": "profiles"},
    package_data={
        "netaudit": ["data/*.toml", "py.typed"],
        "netaudit.render": ["templates/*.html"],
        "netaudit.checks": ["*.toml"],
        "netaudit.profiles": ["*.toml"],
    },
    install_requires=[
        "requests>=2.31",
        "dnspython>=2.6",
        "click>=8.1",
        "tabulate>=0.9",
        "truststore>=0.9",
        "pypac>=0.16",
        "idna>=3.4",  # international host names in their IDNA 2008 form
        "certifi",
        "cryptography>=42",
        "pyspnego>=0.10",
        "ahocorasick-rs>=0.22",  # one pass over a page for a thousand block-page fingerprints
        "tzdata",  # time-zone data where the system has none (Windows, slim images)
        "prometheus_client>=0.17",  # --pushgateway
        "jinja2>=3.1",  # the HTML report (autoescaped templates)
        "aioquic>=1.0",  # the QUIC handshake of --bypass
        "greenlet>=3.0",  # many probes on one thread (probe/hub.py)
    ],
    extras_require={
        "test": [
            "pytest>=8",
            "pytest-timeout>=2.3",
            "responses>=0.25",
            "trustme>=1.1",
            "hypothesis>=6.100",
            "croniter>=2.0",
            "ruff>=0.6",
            "mypy>=1.10",
            "types-requests",
            "types-tabulate",
            "junitparser>=3.1",  # reads the JUnit form back
            "prometheus_client>=0.17",  # its parser reads the Prometheus form back
        ],
    },
    entry_points={"console_scripts": ["netaudit=netaudit.cli:main"]},
    classifiers=[
        "Environment :: Console",
        "Intended Audience :: System Administrators",
        "Programming Language :: Python :: 3",
        "Topic :: System :: Networking :: Monitoring",
    ],
)
