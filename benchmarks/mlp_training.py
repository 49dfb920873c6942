"""Wall time of Chapter 3's full training run: the chapter's network (context of 3 characters, embeddings
of 10 numbers, 200 hidden units: 11,897 parameters) trained on minibatches of 32 with learning rate 0.1,
then 0.01 for the second half, on one CPU thread, as in book/03_mlp.ipynb.

    python benchmarks/mlp_training.py                # the full 200,000 steps (a few minutes on a CPU)
    python benchmarks/mlp_training.py --steps 20000  # fewer steps; extrapolates to 200,000

With the full 200,000 steps it also prints the final training and dev losses, which should match the
chapter's stored outputs (same seed, same order of random draws).
"""
import argparse
import os
import pathlib
import platform
import random
import time

import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
FULL_STEPS = 200_000
BLOCK_SIZE, N_EMBD, N_HIDDEN, BATCH_SIZE = 3, 10, 200, 32


def build_dataset(words, stoi):
    X, Y = [], []
    for w in words:
        context = [0] * BLOCK_SIZE
        for ch in w + ".":
            X.append(context)
            Y.append(stoi[ch])
            context = context[1:] + [stoi[ch]]
    return torch.tensor(X), torch.tensor(Y)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=FULL_STEPS, help=f"training steps to time (default: {FULL_STEPS:,})")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1, as in the chapter)")
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    torch.set_num_threads(args.threads)

    data_dir = pathlib.Path(os.environ.get("COURSE_DATA_DIR", ROOT.parent / "shared" / "data"))
    words = (data_dir / "names.txt").read_text().splitlines()
    stoi = {ch: i + 1 for i, ch in enumerate(sorted(set("".join(words))))}
    stoi["."] = 0
    shuffled = list(words)
    random.seed(42)
    random.shuffle(shuffled)
    n1, n2 = int(0.8 * len(shuffled)), int(0.9 * len(shuffled))
    Xtr, Ytr = build_dataset(shuffled[:n1], stoi)
    Xdev, Ydev = build_dataset(shuffled[n1:n2], stoi)

    g = torch.Generator().manual_seed(2147483647)
    params = [torch.randn(shape, generator=g) for shape in
              [(27, N_EMBD), (BLOCK_SIZE * N_EMBD, N_HIDDEN), (N_HIDDEN,), (N_HIDDEN, 27), (27,)]]
    for p in params:
        p.requires_grad = True

    def forward(X):
        C, W1, b1, W2, b2 = params
        emb = C[X]
        return torch.tanh(emb.view(emb.shape[0], -1) @ W1 + b1) @ W2 + b2

    print(f"MLP training benchmark on {platform.node()}: {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s)")
    print(f"model: {sum(p.nelement() for p in params):,} parameters; {len(Xtr):,} training examples; "
          f"batch {BATCH_SIZE}; timing {args.steps:,} steps ...", flush=True)
    start = time.perf_counter()
    for step in range(args.steps):
        ix = torch.randint(0, Xtr.shape[0], (BATCH_SIZE,), generator=g)
        loss = F.cross_entropy(forward(Xtr[ix]), Ytr[ix])
        for p in params:
            p.grad = None
        loss.backward()
        lr = 0.1 if step < args.steps // 2 else 0.01
        for p in params:
            p.data -= lr * p.grad
        loss.item()  # as the chapter does, to record the loss of each step
    seconds = time.perf_counter() - start

    rate = args.steps / seconds
    print(f"{args.steps:,} steps in {seconds:.1f} s: {rate:,.0f} steps/s")
    if args.steps == FULL_STEPS:
        print(f"the full {FULL_STEPS:,}-step run takes {seconds:.0f} s ({seconds / 60:.1f} min) on this machine "
              "(training steps only; the chapter's loop also evaluates every 10,000 steps)")
        with torch.no_grad():
            print(f"final loss: training {F.cross_entropy(forward(Xtr), Ytr).item():.4f}, "
                  f"dev {F.cross_entropy(forward(Xdev), Ydev).item():.4f}")
    else:
        print(f"extrapolated: the full {FULL_STEPS:,}-step run would take about {FULL_STEPS / rate:.0f} s "
              f"({FULL_STEPS / rate / 60:.1f} min) on this machine")


if __name__ == "__main__":
    main()
