"""The one error the wire decoders and encoders raise."""


class WireError(ValueError):
    """A payload that cannot be encoded or decoded; the message says why, for the client's log."""
