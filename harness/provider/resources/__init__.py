"""Resource types: each module here defines one resource dataclass and its handler (``HANDLER``)."""
