"""Trains the triage model on teacher-labelled synthetic readings.

  nice -n 10 /usr/bin/python3 train.py --out runs/triage

Writes vocab.json, config.json and checkpoint.pt (every --eval-every steps and at the end)
into --out. --resume continues from the checkpoint in --out with a fresh schedule (warm-up,
then cosine decay from --lr) and a fresh budget, e.g. a short low-rate phase to anneal a run
that had to stop early. The loss covers only the answer tokens (the JSON verdict and the end token).
Training stops at whichever comes first: --steps, --cpu-minutes of this process's CPU time
(the budget; wall time is longer on a busy machine), or a held-out status accuracy of
--target-accuracy (teacher-forced, on readings the trainer never sees).
"""

import argparse
import json
import math
import random
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import chat
import data
from model import Config, TriageModel
from vocab import Vocab

IGNORE = -100


def encode_example(vocab, prompt, answer):
    """Token ids and training targets; control segments map to their one token."""
    ids, targets = [vocab.index[chat.BOS]], []
    for segments, learn in ((prompt, False), (answer, True)):
        for is_control, text in segments:
            piece_ids = [vocab.index[text]] if is_control else vocab.encode(text)
            ids += piece_ids
            targets += piece_ids if learn else [IGNORE] * len(piece_ids)
    # Position p predicts token p+1.
    return ids[:-1], targets


def build_tensors(vocab, rows, rng):
    examples = [encode_example(vocab, *chat.training_example(row, rng)) for row in rows]
    length = max(len(ids) for ids, _ in examples)
    tokens = torch.zeros(len(examples), length, dtype=torch.long)
    targets = torch.full((len(examples), length), IGNORE, dtype=torch.long)
    for i, (ids, tgt) in enumerate(examples):
        tokens[i, :len(ids)] = torch.tensor(ids)
        targets[i, :len(tgt)] = torch.tensor(tgt)
    return tokens, targets


def status_positions(vocab, targets):
    """Index of the status token in each row's targets (the first ok/watch/alarm token)."""
    status_ids = torch.tensor([vocab.index[s] for s in data.LEVEL_NAMES])
    is_status = (targets[..., None] == status_ids).any(-1)
    return is_status.float().argmax(1)


@torch.no_grad()
def status_accuracy(model, tokens, targets, positions):
    model.eval()
    logits = model(tokens)
    rows = torch.arange(len(tokens))
    predicted = logits[rows, positions].argmax(-1)
    model.train()
    return float((predicted == targets[rows, positions]).float().mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--train-size", type=int, default=100_000)
    parser.add_argument("--cpu-minutes", type=float, default=25.0, help="CPU-time budget")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=4e-3)
    parser.add_argument("--steps", type=int, default=12000, help="most steps to take")
    parser.add_argument("--merges", type=int, default=300)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--target-accuracy", type=float, default=0.995)
    parser.add_argument("--resume", action="store_true", help="continue from --out/checkpoint.pt")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # the build machine's cores are shared
    torch.manual_seed(0)
    rng = random.Random(0)
    wall_start, cpu_start = time.time(), time.process_time()

    rows = data.make_set(data.TRAIN_SEED, args.train_size)
    vocab = Vocab.learn(list(chat.sample_texts(rows[:5000], random.Random(1))),
                        chat.CONTROL_TOKENS, args.merges)
    vocab.save(args.out / "vocab.json")
    cfg = Config(n_vocab=len(vocab.tokens))
    (args.out / "config.json").write_text(json.dumps(cfg.to_dict(), indent=1))
    tokens, targets = build_tensors(vocab, rows, rng)
    # Validation: the first 512 held-out readings (the evaluation uses all 1,000).
    val_tokens, val_targets = build_tensors(
        vocab, data.make_set(data.HELDOUT_SEED, data.HELDOUT_SIZE)[:512], random.Random(2))
    val_positions = status_positions(vocab, val_targets)
    print(f"vocab={len(vocab.tokens)} examples={len(rows)} seq={tokens.shape[1]}", flush=True)

    model = TriageModel(cfg)
    history = []  # earlier phases of this run: (steps, cpu seconds, wall seconds)
    if args.resume:
        previous = torch.load(args.out / "checkpoint.pt")
        model.load_state_dict(previous["model"])
        history = previous.get("history", []) + [
            (previous["step"], previous["cpu_seconds"], previous["wall_seconds"])]
        print(f"resumed after phases={history}", flush=True)
    print(f"params={sum(p.numel() for p in model.parameters())}", flush=True)
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    warmup = 100
    budget_s = args.cpu_minutes * 60
    step, accuracy = 0, 0.0

    def cpu_used():
        return time.process_time() - cpu_start

    while step < args.steps and cpu_used() < budget_s and accuracy < args.target_accuracy:
        # Cosine decay over whichever runs out first, steps or CPU time.
        progress = max(step / args.steps, cpu_used() / budget_s)
        lr = args.lr * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * progress))
        for group in opt.param_groups:
            group["lr"] = max(lr, args.lr * 0.02)
        idx = torch.randint(0, len(rows), (args.batch,))
        x, y = tokens[idx], targets[idx]
        used = int((y != IGNORE).any(0).nonzero().max()) + 1  # trim trailing padding
        logits = model(x[:, :used])
        loss = F.cross_entropy(logits.reshape(-1, cfg.n_vocab), y[:, :used].reshape(-1),
                               ignore_index=IGNORE)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 50 == 0:
            print(f"step={step} loss={loss.item():.4f} lr={lr:.2e} cpu_s={cpu_used():.0f} "
                  f"wall_s={time.time() - wall_start:.0f}", flush=True)
        if step % args.eval_every == 0:
            accuracy = status_accuracy(model, val_tokens, val_targets, val_positions)
            print(f"step={step} heldout_status_accuracy={accuracy:.4f}", flush=True)
            save(model, step, cpu_used(), time.time() - wall_start, history, args.out)
    save(model, step, cpu_used(), time.time() - wall_start, history, args.out)
    print(f"done steps={step} cpu_s={cpu_used():.0f} wall_s={time.time() - wall_start:.0f} "
          f"heldout_status_accuracy={accuracy:.4f}", flush=True)


def save(model, step, cpu_s, wall_s, history, out):
    torch.save({"model": model.state_dict(), "step": step, "cpu_seconds": cpu_s,
                "wall_seconds": wall_s, "history": history}, out / "checkpoint.tmp")
    (out / "checkpoint.tmp").replace(out / "checkpoint.pt")


if __name__ == "__main__":
    main()
