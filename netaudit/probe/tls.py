"""The TLS layer: handshake with the workstation's trust, then check the chain against the public roots.

Trusted by the workstation and anchored in a public root: the real site. Trusted by the
workstation but not anchored publicly: someone inspects TLS (`inspected`), and the issuer says who.
"""

from __future__ import annotations

import functools
import socket
import ssl
import threading
import warnings
from pathlib import Path

import truststore
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from netaudit.model import Layer, Status, TlsEvidence
from netaudit.probe.deadline import Deadline, DeadlineExceeded, LayerFailure
from netaudit.probe.inspection import inspection_product
from netaudit.probe.stream import nonblocking, wait

_EVIDENCE_CACHE = 4096
"""Distinct certificate chains whose evidence a run keeps (a few MB at most)."""

_ENCODING_DER = 2  # _ssl.ENCODING_DER, for the (3.10+) chain accessors of SSLObject


class TrustStores:
    """The two trust stores a probe needs: what the workstation trusts, and the public web's roots."""

    def __init__(self, ca_bundle: Path | None, public_roots: Path) -> None:
        self.ca_bundle = ca_bundle
        self.public_roots = public_roots
        self.trusted = _client_context(ca_bundle)
        self.unverified = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.unverified.check_hostname = False
        self.unverified.verify_mode = ssl.CERT_NONE
        self.unverified.set_alpn_protocols(["http/1.1"])
        self.anchors = _load_anchors(public_roots)
        self._evidence_cache: dict[tuple[tuple[bytes, ...], str, bool], TlsEvidence] = {}
        self._cache_lock = threading.Lock()

    def evidence_of(self, tls: ssl.SSLSocket, *, verified_trusted: bool) -> TlsEvidence:
        """The evidence of a handshake's chain, worked out once per distinct chain this run.

        Parsing the certificates and checking the chain against the public roots is most of a
        probe's Python CPU, and many endpoints share a certificate (a site's hosts, a CDN, an
        inspecting proxy's CA): the evidence depends only on the chain's bytes, the TLS version
        and the trust verdict, so equal inputs share one (frozen) answer.
        """
        key = (_chain_der(tls), tls.version() or "", verified_trusted)
        with self._cache_lock:
            known = self._evidence_cache.get(key)
        if known is not None:
            return known
        chain = [x509.load_der_x509_certificate(der) for der in key[0]]
        evidence = _evidence(chain, tls, verified_trusted=verified_trusted, verified_public=self.is_public(chain))
        with self._cache_lock:
            if len(self._evidence_cache) >= _EVIDENCE_CACHE:
                self._evidence_cache.clear()
            self._evidence_cache[key] = evidence
        return evidence

    def is_public(self, chain: list[x509.Certificate]) -> bool:
        """True when the chain ends in (or is issued directly by) one of the public roots."""
        for cert in chain:
            if _anchor_key(cert) in self.anchors.keys:
                return True
        top = chain[-1] if chain else None
        if top is None:
            return False
        for anchor in self.anchors.by_subject.get(top.issuer.public_bytes(), []):
            try:
                top.verify_directly_issued_by(anchor)
                return True
            except (ValueError, TypeError, InvalidSignature):
                continue
        return False


class _Anchors:
    def __init__(self, certs: list[x509.Certificate]) -> None:
        self.keys = {_anchor_key(cert) for cert in certs}
        self.by_subject: dict[bytes, list[x509.Certificate]] = {}
        for cert in certs:
            self.by_subject.setdefault(cert.subject.public_bytes(), []).append(cert)


@functools.lru_cache(maxsize=8)
def _load_anchors(path: Path) -> _Anchors:
    with warnings.catch_warnings():
        # Some long-lived public roots predate RFC 5280's positive serial numbers; they still anchor chains.
        warnings.simplefilter("ignore")
        return _Anchors(x509.load_pem_x509_certificates(path.read_bytes()))


def _anchor_key(cert: x509.Certificate) -> tuple[bytes, bytes]:
    return cert.subject.public_bytes(), cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _client_context(ca_bundle: Path | None) -> ssl.SSLContext:
    context: ssl.SSLContext
    if ca_bundle is None:
        context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    else:
        context = ssl.create_default_context(cafile=str(ca_bundle))
    context.set_alpn_protocols(["http/1.1"])
    return context


def handshake(
    sock: socket.socket, host: str, stores: TrustStores, deadline: Deadline
) -> tuple[ssl.SSLSocket, TlsEvidence]:
    """Wrap `sock` in TLS for `host`, verified against the workstation's trust."""
    try:
        tls = _shake_hands(stores.trusted, sock, host, deadline)
    except ssl.SSLCertVerificationError as exc:
        raise LayerFailure(Status.TLS_UNTRUSTED, Layer.TLS, _untrusted_detail(exc, host)) from exc
    except (DeadlineExceeded, TimeoutError) as exc:
        raise LayerFailure(
            Status.TIMEOUT,
            Layer.TLS,
            f"the TLS handshake with {host} stalled until the deadline (SNI filtering drops packets this way)",
        ) from exc
    except (ssl.SSLError, ConnectionError, OSError) as exc:
        raise LayerFailure(Status.TLS_RESET, Layer.TLS, _reset_detail(exc, host)) from exc
    return tls, stores.evidence_of(tls, verified_trusted=True)


def _shake_hands(context: ssl.SSLContext, sock: socket.socket, host: str, deadline: Deadline) -> ssl.SSLSocket:
    """The TLS handshake on a non-blocking socket, waiting with poll within the deadline.

    Same outcome as wrap_socket on a socket with a timeout, without the system call per
    settimeout that hands the interpreter lock over (see stream.py). Closes the socket on failure.
    """
    try:
        tls = context.wrap_socket(nonblocking(sock), server_hostname=host, do_handshake_on_connect=False)
    except BaseException:
        sock.close()
        raise
    # SSLSocket.do_handshake() resets the socket's timeout after each call (one more system call
    # and lock hand-over); the SSL object under it does the same handshake step without that.
    step = getattr(getattr(tls, "_sslobj", None), "do_handshake", None) or tls.do_handshake
    try:
        while True:
            try:
                step()
                return tls
            except ssl.SSLWantReadError:
                wait(tls, deadline)
            except ssl.SSLWantWriteError:
                wait(tls, deadline, writing=True)
    except BaseException:
        tls.close()
        raise


def peek_certificate(sock: socket.socket, host: str, stores: TrustStores, deadline: Deadline) -> TlsEvidence | None:
    """The certificate a server presents, without trusting it (evidence for tls_untrusted)."""
    try:
        tls = _shake_hands(stores.unverified, sock, host, Deadline(min(deadline.remaining(), 2.0)))
    except (DeadlineExceeded, ssl.SSLError, OSError):
        return None
    try:
        return stores.evidence_of(tls, verified_trusted=False)
    finally:
        tls.close()


def _chain_der(tls: ssl.SSLSocket) -> tuple[bytes, ...]:
    sslobj = getattr(tls, "_sslobj", None)
    raw: list[bytes] = []
    for accessor in ("get_verified_chain", "get_unverified_chain"):
        getter = getattr(sslobj, accessor, None)
        if getter is None:
            continue
        certs = getter() or []
        raw = [c if isinstance(c, bytes) else c.public_bytes(_ENCODING_DER) for c in certs]
        if raw:
            break
    if not raw:
        leaf = tls.getpeercert(binary_form=True)
        raw = [leaf] if leaf else []
    return tuple(raw)


def _evidence(
    chain: list[x509.Certificate], tls: ssl.SSLSocket, *, verified_trusted: bool, verified_public: bool
) -> TlsEvidence:
    if not chain:
        return TlsEvidence(
            verified_trusted=verified_trusted, verified_public=verified_public, version=tls.version() or ""
        )
    leaf = chain[0]
    issuer = leaf.issuer.rfc4514_string()
    anchor = chain[-1].subject.rfc4514_string() if len(chain) > 1 else ""
    inspector = ""
    if verified_trusted and not verified_public:  # inspected: name the product by its CA, if known
        inspector = inspection_product(issuer) or inspection_product(anchor)
    return TlsEvidence(
        issuer=issuer,
        subject=leaf.subject.rfc4514_string(),
        not_after=leaf.not_valid_after_utc.isoformat(),
        verified_trusted=verified_trusted,
        verified_public=verified_public,
        version=tls.version() or "",
        anchor=anchor,
        inspector=inspector,
    )


def _untrusted_detail(exc: ssl.SSLCertVerificationError, host: str) -> str:
    message = exc.verify_message or exc.reason or str(exc)
    return f"the certificate of {host} is not trusted by this workstation: {message}"


def _reset_detail(exc: BaseException, host: str) -> str:
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or exc.strerror or str(exc)
        return f"the TLS handshake with {host} failed: {reason} (connection cut during the handshake)"
    if isinstance(exc, ConnectionResetError):
        return f"the connection to {host} was reset during the TLS handshake (SNI filtering does this)"
    return f"the connection to {host} died during the TLS handshake: {exc}"
