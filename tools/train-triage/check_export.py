"""Checks an exported GGUF against the checkpoint it came from: loads the file's
(dequantized) weights into the same model, compares logits on held-out prompts, and
reports how often greedy answers agree with the teacher for both.

  /usr/bin/python3 check_export.py --run runs/triage --gguf ../../models/triage-q8_0.gguf [-n 200]
"""

import argparse
import json
import random
from pathlib import Path

import torch

import chat
import data
import gguf
from model import Config, TriageModel
from vocab import Vocab


def load_gguf_model(cfg, path):
    reader = gguf.GgufReader(path)
    state = {"token_embd.weight": reader.tensors["token_embd.weight"],
             "output_norm.weight": reader.tensors["output_norm.weight"],
             "output.weight": reader.tensors["output.weight"]}
    for i in range(cfg.n_layer):
        for part in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm",
                     "ffn_gate", "ffn_up", "ffn_down"):
            state[f"blocks.{i}.{part}.weight"] = reader.tensors[f"blk.{i}.{part}.weight"]
    model = TriageModel(cfg)
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    return model, reader


def prompt_ids(vocab, reading):
    ids = [vocab.index[chat.BOS]]
    for is_control, text in chat.prompt_segments(reading):
        ids += [vocab.index[text]] if is_control else vocab.encode(text)
    return ids


@torch.no_grad()
def greedy(model, vocab, ids, max_tokens=48):
    ids = list(ids)
    out = []
    for _ in range(max_tokens):
        token = int(model(torch.tensor([ids]))[0, -1].argmax())
        if token == vocab.index[chat.END]:
            break
        out.append(token)
        ids.append(token)
    return vocab.decode(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--gguf", type=Path, required=True)
    parser.add_argument("-n", type=int, default=200, help="held-out readings to decode")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg = Config(**json.loads((args.run / "config.json").read_text()))
    vocab = Vocab.load(args.run / "vocab.json")
    trained = TriageModel(cfg)
    trained.load_state_dict(torch.load(args.run / "checkpoint.pt")["model"])
    exported, reader = load_gguf_model(cfg, args.gguf)
    assert reader.metadata["tokenizer.ggml.tokens"] == vocab.tokens, "vocabulary differs"
    trained.eval()
    exported.eval()

    rows = data.make_set(data.HELDOUT_SEED, data.HELDOUT_SIZE)[:args.n]
    worst = 0.0
    agree = {"checkpoint": 0, "gguf": 0}
    parsed = {"checkpoint": 0, "gguf": 0}
    for row in rows:
        ids = prompt_ids(vocab, row["reading"])
        with torch.no_grad():
            a, b = trained(torch.tensor([ids]))[0], exported(torch.tensor([ids]))[0]
        worst = max(worst, float((a - b).abs().max()))
        for name, model in (("checkpoint", trained), ("gguf", exported)):
            try:
                verdict = json.loads(greedy(model, vocab, ids))
            except json.JSONDecodeError:
                continue
            parsed[name] += 1
            agree[name] += verdict.get("status") == row["verdict"]["status"]
    print(f"readings={len(rows)} max_abs_logit_diff={worst:.4f}")
    for name in agree:
        print(f"{name}: status_agreement={agree[name] / len(rows):.3f} "
              f"json_parsed={parsed[name] / len(rows):.3f}")


if __name__ == "__main__":
    main()
