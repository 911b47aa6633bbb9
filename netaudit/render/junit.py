"""The audit as JUnit XML for CI systems: one suite per profile, one case per expectation.

A gap, leak or degraded finding is a failure (it makes the profile not ready), an unknown one is
skipped with the reason, ok and inspected pass (inspected with a note in system-out). Each suite
ends with a case for the profile's written rules, failing when one is missing. Built with
ElementTree, which escapes every text and attribute.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from netaudit.model import AuditRun, FindingKind
from netaudit.render.view import ProfileView, build_view
from netaudit.render.wording import seen

FAILING = frozenset({FindingKind.GAP, FindingKind.LEAK, FindingKind.DEGRADED})
_INSPECTED = "works through TLS inspection; apps that pin certificates may fail\n"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(element: ET.Element) -> None:
    """Drop the characters XML 1.0 cannot hold (a server's title may carry them) from every text and attribute."""
    for node in element.iter():
        node.text = _NOT_XML.sub("", node.text) if node.text else node.text
        for key, value in node.attrib.items():
            node.set(key, _NOT_XML.sub("", value))


def render_audit(run: AuditRun) -> str:
    """`<testsuites>` with one `<testsuite>` per profile."""
    view = build_view(run)
    root = ET.Element("testsuites", name=f"netaudit readiness of {view.organization.name}")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for profile in view.profiles:
        suite = _suite(profile, view.site, view.started_at)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    _clean(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(profile: ProfileView, site: str, timestamp: str) -> ET.Element:
    suite = ET.Element("testsuite", name=f"netaudit.{profile.name}", timestamp=timestamp)
    properties = ET.SubElement(suite, "properties")
    route = profile.route
    for name, value in (("site", site), ("via", route.via), ("identity", route.identity or "")):
        if value:
            ET.SubElement(properties, "property", name=name, value=value)
    failures = skipped = 0
    for finding_view in profile.findings:
        finding = finding_view.finding
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"netaudit.{profile.name}.{finding.platform}",
            name=f"{finding.capability}: {finding_view.expectation}",
        )
        evidence = "\n".join(seen(e) for e in finding_view.evidence)
        kind = finding_view.kind
        if kind in FAILING:
            failures += 1
            failure = ET.SubElement(case, "failure", type=kind.value, message=f"{kind}: {finding.remediation}")
            failure.text = f"{finding.detail}\n{evidence}".strip()
        elif kind is FindingKind.UNKNOWN:
            skipped += 1
            ET.SubElement(case, "skipped", message=f"could not be tested: {finding.detail}")
        elif evidence:
            out = ET.SubElement(case, "system-out")
            out.text = (_INSPECTED if kind is FindingKind.INSPECTED else "") + evidence
    rules = ET.SubElement(suite, "testcase", classname=f"netaudit.{profile.name}.rules", name="rules written down")
    if profile.rules.missing:
        failures += 1
        missing = ", ".join(profile.rules.missing)
        ET.SubElement(rules, "failure", type="missing_rules", message=f"missing rules: {missing}")
    suite.set("tests", str(len(profile.findings) + 1))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    return suite
