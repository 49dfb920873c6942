"""Chapter 7's CPU training run, timed: tokens per second and the validation loss reached.

The model and the recipe are the chapter's (book/07_gpt.ipynb, "Training on the CPU"): a GPT of 4 blocks,
4 heads, 128 channels, a context of 128 characters, batches of 32, trained on tiny Shakespeare for at most
10 minutes of training steps (and at most 5,000 steps), with AdamW (betas 0.9, 0.99; weight decay 0.1 on the
weight matrices and embeddings), 100 steps of warm-up to 3e-3, a cosine decay to 3e-4 that follows the step
budget or the time budget, whichever is further along, gradient clipping at 1, no dropout.

    python benchmarks/gpt_training.py                       # the chapter's run: 10 minutes of training at most
    python benchmarks/gpt_training.py --minutes 2           # a shorter run: the val loss reached after 2 minutes
    python benchmarks/gpt_training.py --speed               # only the speed of each option (a few steps each)
    python benchmarks/gpt_training.py --lr 1e-3 --dropout 0.1  # another recipe

It prints the load of the machine (`uptime`) next to every timing: the machine may be shared, and a
timing taken under load is pessimistic. Ratios measured in one run are the reliable part.
Set COURSE_DATA_DIR to the folder that holds tinyshakespeare.txt (default: ../shared/data).
"""
import argparse
import math
import os
import pathlib
import platform
import time

import torch
import torch.nn as nn
from torch.nn import functional as F

import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from autograder.layout import DEVELOPMENT_DATA  # noqa: E402  (where a clone finds the data sets)


# ---- the chapter's model (book/07_gpt.ipynb, "The transformer block and the full model") -------------------

class BatchedMultiHeadAttention(nn.Module):
    def __init__(self, n_embd, n_head, dropout=0.0, fast=False):
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"n_embd = {n_embd} does not split into {n_head} heads")
        self.n_head = n_head
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.mix = nn.Linear(n_embd, n_embd)
        self.weight_dropout = nn.Dropout(dropout)
        self.out_dropout = nn.Dropout(dropout)
        self.fast = fast

    def split_heads(self, t):
        return t.unflatten(-1, (self.n_head, -1)).transpose(1, 2)

    def forward(self, x):
        q, k, v = (self.split_heads(t) for t in self.qkv(x).chunk(3, dim=-1))
        if self.fast:
            p = self.weight_dropout.p if self.training else 0.0
            mixed = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        else:
            T, d = q.shape[-2:]
            future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(diagonal=1)
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(d)
            weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
            mixed = self.weight_dropout(weights) @ v
        return self.out_dropout(self.mix(mixed.transpose(1, 2).flatten(2)))


class FeedForward(nn.Module):
    def __init__(self, n_embd, dropout=0.0):
        super().__init__()
        self.up = nn.Linear(n_embd, 4 * n_embd)
        self.down = nn.Linear(4 * n_embd, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.down(torch.relu(self.up(x))))


class Block(nn.Module):
    def __init__(self, n_embd, n_head, dropout=0.0, fast=False):
        super().__init__()
        self.attn_norm = nn.LayerNorm(n_embd)
        self.attn = BatchedMultiHeadAttention(n_embd, n_head, dropout, fast)
        self.ff_norm = nn.LayerNorm(n_embd)
        self.ff = FeedForward(n_embd, dropout)

    def forward(self, x):
        x = x + self.attn(self.attn_norm(x))
        return x + self.ff(self.ff_norm(x))


class GPT(nn.Module):
    def __init__(self, vocab_size, block_size, n_embd, n_head, n_layer, dropout=0.0, fast=False):
        super().__init__()
        self.block_size = block_size
        self.token_emb = nn.Embedding(vocab_size, n_embd)
        self.pos_emb = nn.Embedding(block_size, n_embd)
        self.blocks = nn.ModuleList(Block(n_embd, n_head, dropout, fast) for _ in range(n_layer))
        self.final_norm = nn.LayerNorm(n_embd)
        self.to_logits = nn.Linear(n_embd, vocab_size)
        for module in self.modules():  # small weights, zero biases: the first predictions are near uniform
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, idx):
        x = self.token_emb(idx) + self.pos_emb(torch.arange(idx.shape[1], device=idx.device))
        for block in self.blocks:
            x = block(x)
        return self.to_logits(self.final_norm(x))


# ---- the chapter's recipe ----------------------------------------------------------------------------------

def learning_rate(step, progress, peak, floor, warmup):
    """Linear warm-up to peak over `warmup` steps, then a cosine from peak to floor as progress goes 0 -> 1."""
    if step < warmup:
        return peak * (step + 1) / warmup
    return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def load():
    with open("/proc/loadavg") as f:
        return "load " + " ".join(f.read().split()[:3])



def load_shakespeare():
    """(characters, train ids, val ids): tiny Shakespeare, the chapter's 90/10 split."""
    data_dir = pathlib.Path(os.environ.get("COURSE_DATA_DIR", DEVELOPMENT_DATA))
    text = (data_dir / "tinyshakespeare.txt").read_text()
    chars = sorted(set(text))
    lookup = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([lookup[c] for c in text])
    split = int(0.9 * len(data))
    return chars, data[:split], data[split:]


def batcher(B, T, device="cpu"):
    """batch(source, generator) -> (inputs, targets), B random windows of T characters."""
    offsets = torch.arange(T + 1)

    def batch(source, g=None):
        starts = torch.randint(len(source) - T, (B, 1), generator=g)
        window = source[starts + offsets]
        return window[:, :-1].to(device), window[:, 1:].to(device)
    return batch

def evaluator(batch, train_data, val_data, n_batches):
    """The mean loss of a model on the same n_batches fixed batches of each split, every call."""
    g_eval = torch.Generator().manual_seed(0)
    eval_batches = {name: [batch(src, g_eval) for _ in range(n_batches)]
                    for name, src in (("train", train_data), ("val", val_data))}

    @torch.no_grad()
    def evaluate(model):
        model.eval()
        out = {name: sum(F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item() for x, y in bs) / len(bs)
               for name, bs in eval_batches.items()}
        model.train()
        return out
    return evaluate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="minutes of training steps, loss estimates excluded (default 10, as in the chapter)")
    parser.add_argument("--steps", type=int, default=5000, help="at most this many steps (default 5000, as in the chapter)")
    parser.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (default 3e-3)")
    parser.add_argument("--min-lr", type=float, default=None, help="end of the cosine (default lr / 10)")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--beta2", type=float, default=0.99)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--clip", type=float, default=1.0, help="gradient-norm clipping (0: none)")
    parser.add_argument("--constant", action="store_true", help="a constant learning rate (no warm-up, no decay)")
    parser.add_argument("--plain", action="store_true", help="the plain attention instead of scaled_dot_product_attention")
    parser.add_argument("--unfused", action="store_true", help="AdamW's default implementation instead of fused=True")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--eval-batches", type=int, default=50)
    parser.add_argument("--speed", action="store_true", help="time a few steps of each option, then stop")
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args()
    min_lr = args.lr / 10 if args.min_lr is None else args.min_lr
    torch.set_num_threads(args.threads)

    chars, train_data, val_data = load_shakespeare()
    B, T = 32, 128
    batch = batcher(B, T)

    evaluate = evaluator(batch, train_data, val_data, args.eval_batches)

    print(f"GPT training benchmark on {platform.node()}: {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s); {load()}", flush=True)

    if args.speed:
        def tokens_per_s(fast, fused, threads, steps=8, compiled=False):
            torch.set_num_threads(threads)
            torch.manual_seed(args.seed)
            model = GPT(len(chars), T, 128, 4, 4, 0.0, fast)
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=fused)
            step_fn = model
            if compiled:
                step_fn = torch.compile(model)
            x, y = batch(train_data)
            for i in range(steps + 2):
                if i == 2:
                    t0 = time.perf_counter()
                loss = F.cross_entropy(step_fn(x).flatten(0, 1), y.flatten())
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            return steps * B * T / (time.perf_counter() - t0)
        options = [("plain attention, AdamW default, 1 thread", dict(fast=False, fused=False, threads=1)),
                   ("+ fused AdamW", dict(fast=False, fused=True, threads=1)),
                   ("+ scaled_dot_product_attention", dict(fast=True, fused=True, threads=1)),
                   ("+ 2 threads", dict(fast=True, fused=True, threads=2)),
                   ("sdpa, fused, 1 thread, torch.compile", dict(fast=True, fused=True, threads=1, compiled=True))]
        for _ in range(2):
            for name, kw in options:
                print(f"{name:<45} {tokens_per_s(**kw):>8,.0f} tokens/s   ({load()})", flush=True)
        return

    torch.manual_seed(args.seed)
    model = GPT(len(chars), T, 128, 4, 4, args.dropout, fast=not args.plain)
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, args.beta2), fused=not args.unfused)
    print(f"recipe: {vars(args)}", flush=True)
    budget, trained, step = args.minutes * 60, 0.0, 0
    while step < args.steps and trained < budget:
        if step % args.eval_every == 0:
            losses = evaluate(model)
            print(f"step {step:5d}  {trained / 60:5.2f} min  train {losses['train']:.4f}  val {losses['val']:.4f}  "
                  f"{step * B * T / max(trained, 1e-9):,.0f} tokens/s  ({load()})", flush=True)
        t0 = time.perf_counter()
        done = max((step - args.warmup) / max(1, args.steps - args.warmup), trained / budget)
        lr = args.lr if args.constant else learning_rate(step, done, args.lr, min_lr, args.warmup)
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = batch(train_data)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip:
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        trained += time.perf_counter() - t0
        step += 1
    losses = evaluate(model)
    print(f"step {step:5d}  {trained / 60:5.2f} min  train {losses['train']:.4f}  val {losses['val']:.4f}  "
          f"{step * B * T / trained:,.0f} tokens/s  ({load()})")
    print(f"reached val {losses['val']:.4f} after {step} steps, {trained / 60:.2f} min of training "
          f"({step * B * T / trained:,.0f} tokens/s)")


if __name__ == "__main__":
    main()
