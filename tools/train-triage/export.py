"""Writes a trained checkpoint as a llama-architecture GGUF v3 file with Q8_0 matrices.

  /usr/bin/python3 export.py --run runs/triage --out ../../models/triage-q8_0.gguf

Metadata keys and tensor names are llama.cpp's. No Q/K permutation: the model rotates
adjacent pairs exactly as llama.cpp's NORM RoPE does.
"""

import argparse
import json
from pathlib import Path

import torch

import chat
import gguf
from model import Config
from vocab import Vocab


def write_gguf(cfg, vocab, state, path):
    w = gguf.GgufWriter()
    w.add("general.architecture", gguf.STRING, "llama")
    w.add("general.name", gguf.STRING, "edgenode-triage")
    w.add("general.file_type", gguf.UINT32, 7)  # LLAMA_FTYPE_MOSTLY_Q8_0
    w.add("general.quantization_version", gguf.UINT32, 2)
    w.add("llama.context_length", gguf.UINT32, cfg.context)
    w.add("llama.embedding_length", gguf.UINT32, cfg.n_embd)
    w.add("llama.block_count", gguf.UINT32, cfg.n_layer)
    w.add("llama.feed_forward_length", gguf.UINT32, cfg.n_ff)
    w.add("llama.attention.head_count", gguf.UINT32, cfg.n_head)
    w.add("llama.attention.head_count_kv", gguf.UINT32, cfg.n_head_kv)
    w.add("llama.rope.freq_base", gguf.FLOAT32, cfg.rope_base)
    w.add("llama.attention.layer_norm_rms_epsilon", gguf.FLOAT32, cfg.rms_eps)
    w.add("llama.rope.dimension_count", gguf.UINT32, cfg.head_dim)
    w.add("llama.vocab_size", gguf.UINT32, cfg.n_vocab)
    w.add("tokenizer.ggml.model", gguf.STRING, "llama")
    w.add_array("tokenizer.ggml.tokens", gguf.STRING, vocab.tokens)
    w.add_array("tokenizer.ggml.scores", gguf.FLOAT32, vocab.scores)
    w.add_array("tokenizer.ggml.token_type", gguf.INT32, vocab.types)
    w.add("tokenizer.ggml.unknown_token_id", gguf.UINT32, vocab.index["<unk>"])
    w.add("tokenizer.ggml.bos_token_id", gguf.UINT32, vocab.index[chat.BOS])
    w.add("tokenizer.ggml.eos_token_id", gguf.UINT32, vocab.index[chat.END])
    w.add("tokenizer.ggml.eot_token_id", gguf.UINT32, vocab.index[chat.END])
    w.add("tokenizer.ggml.add_bos_token", gguf.BOOL, True)
    w.add("tokenizer.ggml.add_eos_token", gguf.BOOL, False)
    w.add("tokenizer.ggml.add_space_prefix", gguf.BOOL, False)
    w.add("tokenizer.chat_template", gguf.STRING, chat.CHAT_TEMPLATE)

    def matrix(name):
        return state[name].float().numpy()

    w.add_tensor("token_embd.weight", matrix("token_embd.weight"), gguf.Q8_0)
    for i in range(cfg.n_layer):
        prefix = f"blocks.{i}."
        w.add_tensor(f"blk.{i}.attn_norm.weight", matrix(prefix + "attn_norm.weight"), gguf.F32)
        for part in ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"):
            w.add_tensor(f"blk.{i}.{part}.weight", matrix(prefix + part + ".weight"), gguf.Q8_0)
        w.add_tensor(f"blk.{i}.ffn_norm.weight", matrix(prefix + "ffn_norm.weight"), gguf.F32)
    w.add_tensor("output_norm.weight", matrix("output_norm.weight"), gguf.F32)
    w.add_tensor("output.weight", matrix("output.weight"), gguf.Q8_0)
    w.write(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="directory train.py wrote")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    cfg = Config(**json.loads((args.run / "config.json").read_text()))
    vocab = Vocab.load(args.run / "vocab.json")
    state = torch.load(args.run / "checkpoint.pt")["model"]
    write_gguf(cfg, vocab, state, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
