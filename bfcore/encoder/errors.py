"""The encoder's one error type."""

from __future__ import annotations

from bfcore.errors import InputError


class EncoderError(InputError):
    """A problem with the encoder's model, tokenizer or input; ``str(err)`` is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
