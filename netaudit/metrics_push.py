"""Handing a run's Prometheus form to Prometheus: a textfile for node_exporter, or a push to a Pushgateway.

`write_textfile` writes the exposition text atomically (store.write_atomic), so node_exporter's
textfile collector, which reads the folder at every scrape, never sees half a file. `push` sends
the same text to a Pushgateway with `prometheus_client`: the text is parsed back into metric
families (which checks it) and pushed under the job ``netaudit`` with the site and the instance as
the grouping key, replacing that group's previous push (PUT), so each vantage point keeps one
current set of series.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from netaudit.errors import EnvironmentProblem, InputError
from netaudit.secrets import mask_url
from netaudit.store import write_atomic

__all__ = ["JOB", "push", "write_textfile"]

JOB = "netaudit"


def write_textfile(path: Path, text: str) -> None:
    """Write the exposition text for the textfile collector (which reads only ``*.prom`` files)."""
    if path.suffix != ".prom":
        raise InputError(f"--prometheus-textfile {path}: node_exporter's textfile collector reads only *.prom files")
    write_atomic(path, text)


def push(url: str, text: str, *, site: str, instance: str, timeout: float = 10.0) -> None:
    """Push the exposition text to the Pushgateway at `url`, grouped by site and instance (PUT).

    InputError when the text is not exposition format; EnvironmentProblem when the push fails.
    """
    from prometheus_client import CollectorRegistry, push_to_gateway
    from prometheus_client.parser import text_string_to_metric_families
    from prometheus_client.registry import Collector

    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as exc:
        raise InputError(f"the Prometheus form is not valid exposition text: {exc}") from exc

    class _Families(Collector):
        def collect(self) -> Iterable[object]:  # type: ignore[override]
            return families

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families())
    try:
        grouping = {"site": site, "instance": instance}
        push_to_gateway(url, job=JOB, registry=registry, grouping_key=grouping, timeout=timeout)
    except OSError as exc:  # URLError and HTTPError are OSErrors
        reason = getattr(exc, "reason", None) or exc
        raise EnvironmentProblem(f"cannot push to the Pushgateway {mask_url(url)}: {reason}") from exc
    except ValueError as exc:
        raise InputError(f"--pushgateway {mask_url(url)}: {exc}") from exc
