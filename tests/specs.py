"""Experiment-file text shared by tests and benchmarks: the TLS pair's [model] table (lecture 4's
charger + battery at F/g = 0.5, gamma_c = 1), to which each file appends its [times], [run] and
[sweep] tables."""

TLS_PAIR = '[model]\nkind = "tls_pair"\ng = 1.0\nF = 0.5\ngamma_c = 1.0\n'
