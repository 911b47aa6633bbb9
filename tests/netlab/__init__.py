"""netlab: a real small corporate network in two network namespaces, for netaudit's integration tests.

Client namespace (the workstation, 192.0.2.2) -> net namespace (192.0.2.1: dnsmasq, Squid; origins on
198.51.100.0/24 and 203.0.113.0/24; nftables). Needs root, iproute2, nftables, dnsmasq and Squid.
"""

from .errors import LabError
from .lab import Lab, build_lab, environment_problem
from .plan import HOSTS, Hosts
from .squid import SquidPort

__all__ = ["HOSTS", "Hosts", "Lab", "LabError", "SquidPort", "build_lab", "environment_problem"]
