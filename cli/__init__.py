"""The ``jepa-domains`` command line (installed as ``jepa_domains.cli``)."""
