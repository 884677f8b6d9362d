"""Checks that edgenode reads the exported model the way it was trained:
token ids of rendered chat prompts (`edgenode model tokenize`) equal this tool's SPM
encoder's, and `edgenode model logits` equals a torch forward over the file's weights.

  /usr/bin/python3 check_edgenode.py --edgenode BUILD/node/edgenode \
      --gguf ../../models/triage-q8_0.gguf --run runs/triage [-n 20]
"""

import argparse
import json
import subprocess
from pathlib import Path

import torch

import chat
import data
from check_export import load_gguf_model, prompt_ids
from model import Config
from vocab import Vocab


def edgenode_json(binary, *args, stdin=None):
    result = subprocess.run([str(binary), *args, "--json"], input=stdin, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"edgenode {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edgenode", type=Path, required=True)
    parser.add_argument("--gguf", type=Path, required=True)
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("-n", type=int, default=20, help="held-out readings to check")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg = Config(**json.loads((args.run / "config.json").read_text()))
    vocab = Vocab.load(args.run / "vocab.json")
    model, _ = load_gguf_model(cfg, args.gguf)
    model.eval()

    rows = data.make_set(data.HELDOUT_SEED, data.HELDOUT_SIZE)[:args.n]
    token_mismatches = 0
    worst = {"f32": 0.0, "q8_0": 0.0}
    argmax_agree = 0
    for row in rows:
        text = chat.render_chat([{"role": "user", "content": chat.user_text(row["reading"])}], True)
        expected = prompt_ids(vocab, row["reading"])
        got = edgenode_json(args.edgenode, "model", "tokenize", str(args.gguf), "--special",
                            "--text-file", "-", stdin=text)["tokens"]
        if got != expected:
            token_mismatches += 1
            print(f"token mismatch for {text!r}\n  python:   {expected}\n  edgenode: {got}")
        with torch.no_grad():
            reference = model(torch.tensor([expected]))[0, -1]
        for weights in ("f32", "q8_0"):
            out = edgenode_json(args.edgenode, "model", "logits", str(args.gguf), "--weights", weights,
                                "--threads", "1", "--tokens", " ".join(map(str, expected)))
            logits = torch.tensor(out["logits"])
            worst[weights] = max(worst[weights], float((logits - reference).abs().max()))
            if weights == "q8_0":
                argmax_agree += int(logits.argmax() == reference.argmax())
    print(f"prompts={len(rows)} token_mismatches={token_mismatches} "
          f"max_abs_logit_diff_f32={worst['f32']:.2e} max_abs_logit_diff_q8_0={worst['q8_0']:.2e} "
          f"q8_0_argmax_agreement={argmax_agree}/{len(rows)}")
    if token_mismatches:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
