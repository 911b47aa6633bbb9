"""The network settings of a run: proxy URLs, routes, PAC files, the resolver and trust.

`config.py` (`NetConfig`, `build_netconfig`) puts together `proxyurl.py` (the one proxy-URL
validator), `routes.py` (direct, explicit, environment), `pac.py` and `pacworker.py` (PAC files,
in a child process), `resolver.py` and `trust.py`. None of them reads ``os.environ``: the CLI
reads the environment once and passes it down.
"""
