"""Chapter 7's gpu cell at full size, as a script: the lecture's configuration and recipe on a CUDA GPU.

The configuration: 6 blocks, 6 heads, 384 channels, a context of 256 characters, batches of 64, dropout
0.2 (10,788,929 parameters). The recipe, the lecture's: AdamW with PyTorch's defaults (betas 0.9, 0.999,
weight decay 0.01 on every parameter) at a constant learning rate of 3e-4, no warm-up, no decay, no
clipping, 5,000 steps, the losses estimated every 500 steps on 200 batches of each split (fixed batches,
as in the chapter). The model is the chapter's (benchmarks/gpt_training.py holds the same code), with
F.scaled_dot_product_attention for the attention, as the chapter's gpu cell uses it.

    python benchmarks/gpt_gpu.py              # the full run (about 15 minutes on an A100, in the lecture)
    python benchmarks/gpt_gpu.py --steps 500  # a shorter run

It prints the val loss, the tokens per second of the training steps and the wall time (with and without
the loss estimates), next to the lecture's figures: val about 1.48 after about 15 minutes on an A100.
Without a CUDA device it says so and exits with status 2.
Set COURSE_DATA_DIR to the folder that holds tinyshakespeare.txt (default: ../shared/data).
"""
import argparse
import pathlib
import sys
import time

import torch
from torch.nn import functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from gpt_training import GPT, batcher, evaluator, load_shakespeare  # noqa: E402  (the chapter's model and data)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--eval-batches", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device here: this benchmark runs the full configuration on a GPU only "
              "(the chapter's gpu cell runs a scaled-down version elsewhere)", file=sys.stderr)
        sys.exit(2)
    device = "cuda"

    chars, train_data, val_data = load_shakespeare()
    B, T = 64, 256
    batch = batcher(B, T, device)

    evaluate = evaluator(batch, train_data, val_data, args.eval_batches)

    torch.manual_seed(args.seed)
    model = GPT(len(chars), T, 384, 6, 6, dropout=0.2, fast=True).to(device)
    print(f"{torch.cuda.get_device_name()}: GPT(65, 256, 384, 6, 6, dropout 0.2), "
          f"{sum(p.numel() for p in model.parameters()):,} parameters; {args.steps} steps of {B} x {T} tokens", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    trained, started = 0.0, time.perf_counter()
    for step in range(args.steps + 1):
        if step % args.eval_every == 0 or step == args.steps:
            losses = evaluate(model)
            print(f"step {step:5d}: train {losses['train']:.4f}, val {losses['val']:.4f}  "
                  f"({(time.perf_counter() - started) / 60:.1f} min)", flush=True)
        if step == args.steps:
            break
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        x, y = batch(train_data)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        torch.cuda.synchronize()
        trained += time.perf_counter() - t0
    wall = time.perf_counter() - started
    print(f"final val loss {losses['val']:.4f} (the lecture: about 1.48)")
    print(f"training steps: {trained / 60:.1f} min, {args.steps * B * T / trained:,.0f} tokens/s; "
          f"wall time with the loss estimates {wall / 60:.1f} min (the lecture: about 15 min on an A100)")


if __name__ == "__main__":
    main()
