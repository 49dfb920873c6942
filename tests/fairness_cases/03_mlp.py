"""Chapter 3 (an MLP language model): correct answers written independently of the reference, in
other styles (issue 19). Each case must score full marks on every grading."""

# Loops and lists, the lecture's habits (shuffling the global `words` in place), a trailing moving
# average as pandas' rolling() gives it, and a configuration close to the bar: the lecture's network
# with a faster recipe (the grader's three runs average 2.193).
LOOPS_AND_LECTURE_HABITS = {
    "build_dataset_solution": '''
import random
random.seed(42)
random.shuffle(words)  # as the lecture does: the tests must not care


def build_dataset(words, block_size):
    """A sliding window over each name, written out with explicit loops."""
    contexts = []
    targets = []
    for word in words:
        window = []
        for _ in range(block_size):
            window.append(stoi["."])
        for letter in list(word) + ["."]:
            contexts.append(list(window))
            targets.append(stoi[letter])
            window.pop(0)
            window.append(stoi[letter])
    X = torch.zeros((len(contexts), block_size), dtype=torch.long)
    for row, context in enumerate(contexts):
        for col, index in enumerate(context):
            X[row, col] = index
    return X, torch.tensor(targets, dtype=torch.long)
''',
    "init_params_solution": '''
def init_params(vocab_size, n_embd, block_size, n_hidden, generator):
    """One tensor at a time, requires_grad passed to randn."""
    C = torch.randn(vocab_size, n_embd, generator=generator, requires_grad=True)
    W1 = torch.randn(block_size * n_embd, n_hidden, generator=generator, requires_grad=True)
    b1 = torch.randn(n_hidden, generator=generator, requires_grad=True)
    W2 = torch.randn(n_hidden, vocab_size, generator=generator, requires_grad=True)
    b2 = torch.randn(vocab_size, generator=generator, requires_grad=True)
    return [C, W1, b1, W2, b2]


def count_params(params):
    total = 0
    for p in params:
        size = 1
        for d in p.shape:
            size *= d
        total += size
    return total
''',
    "forward_solution": '''
def forward(params, X):
    """Concatenate the embedding of each position explicitly."""
    C, W1, b1, W2, b2 = params
    pieces = [C[X[:, position]] for position in range(X.shape[1])]
    hidden = torch.tanh(torch.cat(pieces, dim=1) @ W1 + b1)
    return hidden @ W2 + b2
''',
    "cross_entropy_loss_solution": '''
def cross_entropy_loss(logits, Y):
    """Log-sum-exp by hand, the target's logit picked with gather."""
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_total = torch.log(torch.exp(shifted).sum(dim=1))
    picked = shifted.gather(1, Y.view(-1, 1)).squeeze(1)
    return (log_total - picked).mean()
''',
    "sgd_step_solution": '''
def sgd_step(params, X, Y, batch_size, lr, generator):
    """Zero the gradients in place, use my own loss."""
    rows = torch.randint(0, X.shape[0], (batch_size,), generator=generator)
    loss = cross_entropy_loss(forward(params, X[rows]), Y[rows])
    for p in params:
        if p.grad is not None:
            p.grad.zero_()
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return float(loss)
''',
    "lr_sweep_solution": '''
def lr_sweep(params, X, Y, lrs, batch_size, generator):
    losses = []
    for lr in lrs:
        losses.append(sgd_step(params, X, Y, batch_size, lr, generator))
    return losses
''',
    "suggest_lr_solution": '''
def suggest_lr(lrs, losses):
    """A trailing moving average (pandas' rolling(w).mean()), reported at the window's end, windows
    holding inf or nan skipped."""
    w = max(1, len(losses) // 20)
    best_value, best_lr = None, None
    for end in range(w - 1, len(losses)):
        window = [float(l) for l in losses[end - w + 1:end + 1]]
        if not all(math.isfinite(l) for l in window):
            continue
        value = sum(window) / w
        if best_value is None or value < best_value:
            best_value, best_lr = value, float(lrs[end])
    return best_lr
''',
    "init_params_calibrated_solution": '''
def init_params_calibrated(vocab_size, n_embd, block_size, n_hidden, generator):
    """1/sqrt(fan-in) without a gain, zero hidden biases, tiny output weights."""
    fan_in = block_size * n_embd
    C = torch.randn(vocab_size, n_embd, generator=generator)
    W1 = torch.randn(fan_in, n_hidden, generator=generator) / math.sqrt(fan_in)
    b1 = torch.zeros(n_hidden)
    W2 = torch.randn(n_hidden, vocab_size, generator=generator) * 0.01
    b2 = torch.zeros(vocab_size)
    return [t.requires_grad_() for t in (C, W1, b1, W2, b2)]
''',
    "my_config_solution": '''
def my_config():
    """The lecture's network (block 3, 10-number embeddings, 200 hidden units), batches of 128 and a
    larger learning rate: close to the bar, but below it."""
    steps = 300_000 // 128
    def lr(step):
        if step < 0.75 * steps:
            return 0.5
        return 0.05
    return dict(block_size=3, n_embd=10, n_hidden=200, batch_size=128, steps=steps, lr=lr)
''',
}

# Vectorised torch and numpy: unfold, einsum, a centred median filter, uniform initialisations, a
# schedule as a lookup table.
VECTORISED_AND_NUMPY = {
    "build_dataset_solution": '''
def build_dataset(words, block_size):
    """Every window of each padded name at once, with unfold."""
    xs, ys = [], []
    for w in words:
        ids = torch.tensor([0] * block_size + [stoi[c] for c in w] + [0])
        xs.append(ids.unfold(0, block_size, 1)[:-1])
        ys.append(ids[block_size:])
    if not xs:
        return torch.zeros((0, block_size), dtype=torch.int64), torch.zeros(0, dtype=torch.int64)
    return torch.cat(xs).to(torch.int64), torch.cat(ys).to(torch.int64)
''',
    "init_params_solution": '''
SHAPES = ("C", "W1", "b1", "W2", "b2")


def init_params(vocab_size, n_embd, block_size, n_hidden, generator):
    sizes = {"C": (vocab_size, n_embd), "W1": (block_size * n_embd, n_hidden), "b1": (n_hidden,),
             "W2": (n_hidden, vocab_size), "b2": (vocab_size,)}
    return [torch.randn(*sizes[name], generator=generator).requires_grad_() for name in SHAPES]


def count_params(params):
    return int(np.sum([np.prod(p.shape) for p in params]))
''',
    "forward_solution": '''
def forward(params, X):
    C, W1, b1, W2, b2 = params
    n, block = X.shape
    W1_blocks = W1.view(block, C.shape[1], W1.shape[1])  # one block of rows of W1 per position
    pre = torch.einsum("nbe,beh->nh", C[X], W1_blocks) + b1
    return torch.einsum("nh,hv->nv", torch.tanh(pre), W2) + b2
''',
    "cross_entropy_loss_solution": '''
def cross_entropy_loss(logits, Y):
    m = logits.amax(dim=1, keepdim=True)
    log_probs = (logits - m) - (logits - m).exp().sum(dim=1, keepdim=True).log()
    return -log_probs[torch.arange(len(Y)), Y].sum() / len(Y)
''',
    "sgd_step_solution": '''
def sgd_step(params, X, Y, batch_size, lr, generator):
    ix = torch.randint(0, X.shape[0], (batch_size,), generator=generator)
    loss = F.cross_entropy(forward(params, X[ix]), Y[ix])
    grads = torch.autograd.grad(loss, params)
    for p, g in zip(params, grads):
        p.grad = g
        p.data.sub_(lr * g)
    return loss.item()
''',
    "lr_sweep_solution": '''
def lr_sweep(params, X, Y, lrs, batch_size, generator):
    out, k = [], 0
    while k < len(lrs):
        out.append(sgd_step(params, X, Y, batch_size, float(lrs[k]), generator))
        k += 1
    return out
''',
    "suggest_lr_solution": '''
def suggest_lr(lrs, losses):
    """A centred median filter over 3% of the points, in numpy."""
    a = np.asarray(losses, dtype=float)
    a[~np.isfinite(a)] = np.nanmax(np.where(np.isfinite(a), a, np.nan))
    half = max(1, int(0.03 * len(a))) // 2
    padded = np.pad(a, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    return float(np.asarray(lrs, dtype=float)[int(np.argmin(np.median(windows, axis=1)))])
''',
    "init_params_calibrated_solution": '''
def init_params_calibrated(vocab_size, n_embd, block_size, n_hidden, generator):
    """Uniform draws with the variances of the chapter's better start."""
    def uniform(shape, std):
        return (torch.rand(shape, generator=generator) * 2 - 1) * std * 3 ** 0.5
    fan_in = block_size * n_embd
    params = [uniform((vocab_size, n_embd), 1.0), uniform((fan_in, n_hidden), (5 / 3) / fan_in ** 0.5),
              uniform((n_hidden,), 0.01), uniform((n_hidden, vocab_size), 0.01), torch.zeros(vocab_size)]
    for p in params:
        p.requires_grad_(True)
    return params
''',
    "my_config_solution": '''
def my_config():
    steps = 2343
    schedule = [0.3] * int(0.75 * steps) + [0.03] * (steps - int(0.75 * steps))
    return {"block_size": 4, "n_embd": 12, "n_hidden": 150, "batch_size": 128, "steps": steps,
            "lr": schedule.__getitem__}
''',
}

CASES = {
    "loops, lists and the lecture's habits (words shuffled in place, a trailing average, near the bar)": LOOPS_AND_LECTURE_HABITS,
    "vectorised torch and numpy (unfold, einsum, a median filter, uniform draws)": VECTORISED_AND_NUMPY,
}
