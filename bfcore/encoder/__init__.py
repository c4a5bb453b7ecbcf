"""The agent's language-understanding part: a pretrained LLM cut to its first K layers, frozen.

``load_encoder(model=None, layers=4, lora_layers=0)`` -> :class:`Encoder` with ``encode(prompt)``
-> :class:`Encoded` and ``encode_batch(prompts)`` -> (states, mask, pooled). See
``bfcore/encoder/model.py`` for the framing/pooling choice, speed notes and thread rules.
"""

from .errors import EncoderError
from .load import load_encoder
from .model import MAX_TOKENS, Encoded, Encoder

__all__ = ["Encoded", "Encoder", "EncoderError", "MAX_TOKENS", "load_encoder"]
