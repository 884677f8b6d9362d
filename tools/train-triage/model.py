"""A llama-architecture decoder computed the way llama.cpp computes arch "llama":
pre-norm blocks, RMSNorm, grouped-query attention, NORM RoPE (adjacent pairs (2i, 2i+1)
rotated by pos * base^(-2i/head_dim)), SwiGLU feed-forward, untied output.

Because the rotation is llama.cpp's own, the exported Q/K weights need no permutation.
"""

from dataclasses import dataclass, asdict

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class Config:
    n_vocab: int
    n_embd: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_head_kv: int = 2
    n_ff: int = 256
    context: int = 256
    rope_base: float = 10000.0
    rms_eps: float = 1e-5

    @property
    def head_dim(self):
        return self.n_embd // self.n_head

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg, n_pos):
    """cos/sin of shape (n_pos, head_dim/2)."""
    i = torch.arange(cfg.head_dim // 2, dtype=torch.float32)
    inv_freq = cfg.rope_base ** (-2.0 * i / cfg.head_dim)
    angles = torch.arange(n_pos, dtype=torch.float32)[:, None] * inv_freq[None, :]
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """x: (batch, heads, seq, head_dim); rotates adjacent pairs like ggml's NORM mode."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    r0 = x0 * cos - x1 * sin
    r1 = x0 * sin + x1 * cos
    return torch.stack((r0, r1), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        kv_dim = cfg.n_head_kv * cfg.head_dim
        self.attn_norm = RMSNorm(cfg.n_embd, cfg.rms_eps)
        self.attn_q = nn.Linear(cfg.n_embd, cfg.n_embd, bias=False)
        self.attn_k = nn.Linear(cfg.n_embd, kv_dim, bias=False)
        self.attn_v = nn.Linear(cfg.n_embd, kv_dim, bias=False)
        self.attn_output = nn.Linear(cfg.n_embd, cfg.n_embd, bias=False)
        self.ffn_norm = RMSNorm(cfg.n_embd, cfg.rms_eps)
        self.ffn_gate = nn.Linear(cfg.n_embd, cfg.n_ff, bias=False)
        self.ffn_up = nn.Linear(cfg.n_embd, cfg.n_ff, bias=False)
        self.ffn_down = nn.Linear(cfg.n_ff, cfg.n_embd, bias=False)

    def forward(self, x, cos, sin):
        cfg = self.cfg
        b, t, _ = x.shape
        h = self.attn_norm(x)
        q = self.attn_q(h).view(b, t, cfg.n_head, cfg.head_dim).transpose(1, 2)
        k = self.attn_k(h).view(b, t, cfg.n_head_kv, cfg.head_dim).transpose(1, 2)
        v = self.attn_v(h).view(b, t, cfg.n_head_kv, cfg.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        group = cfg.n_head // cfg.n_head_kv
        k = k.repeat_interleave(group, dim=1)  # query head h uses kv head h // group
        v = v.repeat_interleave(group, dim=1)
        att = (q @ k.transpose(-2, -1)) / cfg.head_dim ** 0.5
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)
        att = att.masked_fill(causal, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, cfg.n_embd)
        x = x + self.attn_output(y)
        h = self.ffn_norm(x)
        return x + self.ffn_down(F.silu(self.ffn_gate(h)) * self.ffn_up(h))


class TriageModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.token_embd = nn.Embedding(cfg.n_vocab, cfg.n_embd)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.output_norm = RMSNorm(cfg.n_embd, cfg.rms_eps)
        self.output = nn.Linear(cfg.n_embd, cfg.n_vocab, bias=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)
                if name.endswith(("attn_output.weight", "ffn_down.weight")):
                    p.data /= (2 * cfg.n_layer) ** 0.5

    def forward(self, tokens):
        """tokens: (batch, seq) -> logits (batch, seq, n_vocab)."""
        cos, sin = rope_tables(self.cfg, tokens.shape[1])
        x = self.token_embd(tokens)
        for block in self.blocks:
            x = block(x, cos, sin)
        return self.output(self.output_norm(x))
