"""Sub-commands of the ``recommend`` command line, one module each."""
