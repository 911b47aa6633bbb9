"""The probe engine: one module per layer (dns, tcp, proxy, tls, http, block pages) and the engine that runs them."""
