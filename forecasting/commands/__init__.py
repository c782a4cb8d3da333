"""Sub-commands of the ``forecast`` command line, one module each."""
