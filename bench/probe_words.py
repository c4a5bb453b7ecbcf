"""How close the frozen encoder puts task words: can it bridge a phrasing that training never used?

Run: .venv/bin/python bench/probe_words.py [--layers 4 8 30] [--word shout] [--generate]

Encodes "<verb> cat" for each verb and prints the cosine between the mean states of the verb's own
tokens, at each encoder depth K. A held-out word (the test split's "shout") is only bridged if it
lands near a trained word with the same meaning ("yell", "uppercase") and away from ones with
another ("say", "whisper").

--generate asks the whole embedded model (every layer, its chat template, greedy) to answer
"<verb> cat" and prints the start of each reply: what the LLM itself makes of the request.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VERBS = ["yell", "scream", "whisper", "say", "print", "uppercase", "capitalize", "reverse", "count"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layers", type=int, nargs="+", default=[4, 8, 16, 30])
    ap.add_argument("--word", default="shout")
    ap.add_argument("--generate", action="store_true", help="print the whole model's own replies instead")
    args = ap.parse_args()
    if args.generate:
        return generate([args.word, *VERBS])
    import numpy as np

    from bfcore.encoder import load_encoder

    print(f"cosine between '{args.word} cat' and '<verb> cat', mean state of the verb's tokens")
    print("K    " + " ".join(f"{v:>10}" for v in VERBS))
    for k in args.layers:
        enc = load_encoder(None, layers=k, cache=False)

        def vec(verb: str):
            out = enc.encode(f"{verb} cat")
            n = len(enc.tokenize(verb))
            return np.array(out.states)[:n].mean(0)

        w = vec(args.word)
        cos = [float(w @ v / np.linalg.norm(w) / np.linalg.norm(v)) for v in map(vec, VERBS)]
        print(f"{k:<4} " + " ".join(f"{c:>10.2f}" for c in cos))
    return 0


def generate(verbs: list[str], tokens: int = 10) -> int:
    from bfcore.encoder import gguf, load_encoder
    from bfcore.encoder.tokenizer import tokenizer_from_gguf
    from bfcore.runtime import mx

    path = gguf.default_path()
    meta = gguf.read_gguf(path)[1]
    total = gguf.model_args(meta, None)[1]
    enc = load_encoder(None, layers=total, cache=False)
    tok = tokenizer_from_gguf(meta, gguf.file_key(path), None)
    reply = tok.encode("<|im_end|>\n<|im_start|>assistant\n").ids  # the ChatML turn the default model uses
    stop = tok.token_to_id("<|im_end|>")
    print(f"{path.name}, all {total} layers, greedy reply to '<verb> cat':")
    for verb in verbs:
        ids, out = list(enc.prefix) + enc.tokenize(f"{verb} cat") + reply, []
        for _ in range(tokens):
            h = enc.model.norm(enc._layers(mx.array([ids]), None))[:, -1]
            nxt = int(mx.argmax(enc.model.embed_tokens.as_linear(h), axis=-1).item())
            if nxt == stop:
                break
            ids.append(nxt)
            out.append(nxt)
        print(f"  {verb + ' cat':16s} -> {tok.decode(out)!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
