"""Fairness cases for Chapter 2 (issue 19): correct answers written independently of the reference,
in other styles. Each case replaces the named answer cells of solutions/02_bigram/bigram.ipynb and
must score full marks every time it is graded."""

# Loops, dicts and numpy where the reference is vectorised torch (and the other way round), log-softmax
# where it exponentiates, the global random module for the split, a Counter for the trigrams.
_LOOPS = {
    "vocab_solution": '''
def build_vocab(words):
    letters = sorted(set("".join(words)))
    itos = {0: "."}
    for i, ch in enumerate(letters):
        itos[i + 1] = ch
    stoi = {ch: i for i, ch in itos.items()}
    return stoi, itos
''',
    "bigram_counts_solution": '''
import torch


def bigram_counts(words, stoi):
    N = torch.zeros((len(stoi), len(stoi)), dtype=torch.int64)
    for w in words:
        chars = ["."] + list(w) + ["."]
        for a, b in zip(chars, chars[1:]):
            N[stoi[a], stoi[b]] += 1
    return N
''',
    "bigram_probs_solution": '''
import numpy as np


def bigram_probs(N, k=1.0):
    counts = N.numpy().astype(np.float64) + k
    return torch.from_numpy(counts / counts.sum(axis=1, keepdims=True)).float()
''',
    "sample_words_solution": '''
def sample_words(P, itos, n, generator):
    out = []
    while len(out) < n:
        word, ix = "", 0
        ix = int(torch.multinomial(P[ix], 1, replacement=True, generator=generator))
        while ix != 0:
            word += itos[ix]
            ix = int(torch.multinomial(P[ix], 1, replacement=True, generator=generator))
        out.append(word)
    return out
''',
    "average_nll_solution": '''
import math


def average_nll(words, P, stoi):
    total, count = 0.0, 0
    for w in words:
        chars = "." + w + "."
        for a, b in zip(chars, chars[1:]):
            p = float(P[stoi[a], stoi[b]])
            if p <= 0.0:
                return math.inf
            total -= math.log(p)
            count += 1
    return total / count
''',
    "bigram_dataset_solution": '''
import torch


def bigram_dataset(words, stoi):
    pairs = [(stoi[a], stoi[b]) for w in words for a, b in zip("." + w, w + ".")]
    xs = torch.tensor([a for a, _ in pairs], dtype=torch.long)
    ys = torch.tensor([b for _, b in pairs], dtype=torch.long)
    return xs, ys
''',
    "neural_bigram_loss_solution": '''
import torch.nn.functional as F


def neural_bigram_loss(W, xs, ys, reg=0.0):
    onehot = F.one_hot(xs, num_classes=W.shape[0]).to(W.dtype)
    logp = (onehot @ W).log_softmax(dim=-1)
    nll = -logp.gather(1, ys.unsqueeze(1)).mean()
    return nll + reg * W.pow(2).sum() / W.numel()
''',
    "train_neural_bigram_solution": '''
def train_neural_bigram(xs, ys, V, steps, lr, reg, generator):
    W = torch.randn((V, V), generator=generator, requires_grad=True)
    losses = []
    for step in range(steps):
        loss = neural_bigram_loss(W, xs, ys, reg)
        losses.append(float(loss))
        if W.grad is not None:
            W.grad.zero_()
        loss.backward()
        W.data.add_(W.grad, alpha=-lr)
    return W, losses
''',
    "trigram_counts_solution": '''
import collections


def trigram_counts(words, stoi):
    V = len(stoi)
    counter = collections.Counter()
    for w in words:
        padded = ".." + w + "."
        for i in range(len(padded) - 2):
            counter[padded[i:i + 3]] += 1
    N3 = torch.zeros((V, V, V), dtype=torch.int64)
    for (a, b, c), n in counter.items():
        N3[stoi[a], stoi[b], stoi[c]] = n
    return N3
''',
    "trigram_probs_solution": '''
def trigram_probs(N3, k=1.0):
    P3 = N3.double() + k
    P3 = P3 / P3.sum(-1, keepdim=True)
    return P3.float()
''',
    "trigram_nll_solution": '''
def trigram_nll(words, P3, stoi):
    logs = []
    for w in words:
        padded = ".." + w + "."
        for i in range(len(padded) - 2):
            a, b, c = (stoi[ch] for ch in padded[i:i + 3])
            logs.append(math.log(P3[a, b, c].item()) if P3[a, b, c].item() > 0 else -math.inf)
    return -sum(logs) / len(logs)
''',
    "trigram_dataset_solution": '''
def trigram_dataset(words, stoi):
    rows, targets = [], []
    for w in words:
        ids = [0, 0] + [stoi[ch] for ch in w] + [0]
        for t in range(2, len(ids)):
            rows.append([ids[t - 2], ids[t - 1]])
            targets.append(ids[t])
    return torch.tensor(rows, dtype=torch.int64).reshape(-1, 2), torch.tensor(targets, dtype=torch.int64)
''',
    "neural_trigram_loss_solution": '''
def neural_trigram_loss(W, xs, ys, reg=0.0):
    V = W.shape[1]
    logits = W[xs[:, 0]] + W[V + xs[:, 1]]          # the two halves of W, picked by index
    return F.cross_entropy(logits, ys) + reg * (W * W).mean()
''',
    "train_neural_trigram_solution": '''
def train_neural_trigram(xs, ys, V, steps, lr, reg, generator):
    W = torch.randn((2 * V, V), generator=generator).requires_grad_()
    history = []
    for _ in range(steps):
        loss = neural_trigram_loss(W, xs, ys, reg)
        W.grad = None
        loss.backward()
        with torch.no_grad():
            W.sub_(lr * W.grad)
        history.append(loss.item())
    return W, history
''',
    "split_words_solution": '''
import random


def split_words(words, seed=42):
    mixed = words[:]
    random.seed(seed)
    random.shuffle(mixed)
    a, b = int(0.8 * len(words)), int(0.9 * len(words))
    return mixed[:a], mixed[a:b], mixed[b:]
''',
    "evaluate_splits_solution": '''
def evaluate_splits(train, dev, test, stoi, k):
    V = len(stoi)
    x2, y2 = bigram_dataset(train, stoi)
    N2 = torch.zeros((V, V)).index_put_((x2, y2), torch.ones(len(x2)), accumulate=True)
    P2 = (N2 + k) / (N2 + k).sum(1, keepdim=True)
    x3, y3 = trigram_dataset(train, stoi)
    N3 = torch.zeros((V, V, V)).index_put_((x3[:, 0], x3[:, 1], y3), torch.ones(len(y3)), accumulate=True)
    P3 = (N3 + k) / (N3 + k).sum(2, keepdim=True)
    result = {"bigram": [], "trigram": []}
    for part in (train, dev, test):
        xs, ys = bigram_dataset(part, stoi)
        result["bigram"].append(-P2[xs, ys].double().log().mean().item())
        xs, ys = trigram_dataset(part, stoi)
        result["trigram"].append(-P3[xs[:, 0], xs[:, 1], ys].double().log().mean().item())
    return result
''',
    "choose_smoothing_solution": '''
def choose_smoothing(train, dev, stoi, ks):
    counts = trigram_counts(train, stoi)
    losses, best_k, best = [], None, None
    for k in ks:
        loss = trigram_nll(dev, trigram_probs(counts, k), stoi)
        losses.append(loss)
        if best is None or loss < best:
            best, best_k = loss, k
    return best_k, losses
''',
    "neural_bigram_loss_indexing_solution": '''
def neural_bigram_loss_indexing(W, xs, ys, reg=0.0):
    logits = W.index_select(0, xs)
    logp = logits - logits.logsumexp(dim=1, keepdim=True)
    return -logp[torch.arange(len(ys)), ys].mean() + reg * W.square().mean()
''',
    "neural_bigram_loss_ce_solution": '''
def neural_bigram_loss_ce(W, xs, ys, reg=0.0):
    return F.cross_entropy(W.index_select(0, xs), ys, reduction="mean") + reg * W.square().mean()
''',
}

# The chapter's own code adapted: its vocabulary, Counter of pairs, sample_name, average_loss, its
# forward pass and training loop; then the indexing and cross_entropy parts the way the chapter's
# gradient formula suggests (a gather of log-probabilities).
_CHAPTER = {
    "vocab_solution": '''
def build_vocab(words):
    letters = sorted(set("".join(words)))
    stoi = {".": 0} | {ch: i for i, ch in enumerate(letters, start=1)}
    itos = {i: ch for ch, i in stoi.items()}
    return stoi, itos
''',
    "bigram_counts_solution": '''
import collections
import torch


def pairs_of(word):
    padded = "." + word + "."
    return list(zip(padded, padded[1:]))


def bigram_counts(words, stoi):
    V = len(stoi)
    bigram_counter = collections.Counter(p for w in words for p in pairs_of(w))
    N = torch.zeros((V, V), dtype=torch.int64)
    for (a, b), n in bigram_counter.items():
        N[stoi[a], stoi[b]] = n
    return N
''',
    "bigram_probs_solution": '''
def bigram_probs(N, k=1.0):
    fake = N.float() + k
    return fake / fake.sum(dim=1, keepdim=True)
''',
    "sample_words_solution": '''
def sample_name(probs, generator, itos):
    ix, out = 0, []
    while True:
        ix = torch.multinomial(probs[ix], 1, replacement=True, generator=generator).item()
        if ix == 0:
            return "".join(out)
        out.append(itos[ix])


def sample_words(P, itos, n, generator):
    return [sample_name(P, generator, itos) for _ in range(n)]
''',
    "average_nll_solution": '''
def average_nll(words, P, stoi):
    pairs = [(stoi[a], stoi[b]) for w in words for a, b in pairs_of(w)]
    rows, cols = zip(*pairs)
    return -P[list(rows), list(cols)].log().mean().item()
''',
    "bigram_dataset_solution": '''
def bigram_dataset(words, stoi):
    xs = torch.tensor([stoi[a] for w in words for a, _ in pairs_of(w)])
    ys = torch.tensor([stoi[b] for w in words for _, b in pairs_of(w)])
    return xs, ys
''',
    "neural_bigram_loss_solution": '''
import torch.nn.functional as F


def forward(W, inputs, targets):
    logits = inputs @ W
    counts = logits.exp()
    probs = counts / counts.sum(1, keepdims=True)
    nll = -probs[torch.arange(len(targets)), targets].log().mean()
    return probs, nll


def neural_bigram_loss(W, xs, ys, reg=0.0):
    xenc = F.one_hot(xs, num_classes=W.shape[0]).to(W.dtype)
    _, nll = forward(W, xenc, ys)
    return nll + reg * (W ** 2).mean()
''',
    "train_neural_bigram_solution": '''
def train_neural_bigram(xs, ys, V, steps, lr, reg, generator):
    W = torch.randn((V, V), generator=generator, requires_grad=True)
    history = []
    for step in range(steps):
        loss = neural_bigram_loss(W, xs, ys, reg)
        history.append(loss.item())
        W.grad = None
        loss.backward()
        with torch.no_grad():
            W -= lr * W.grad
    return W, history
''',
    "neural_bigram_loss_indexing_solution": '''
def neural_bigram_loss_indexing(W, xs, ys, reg=0.0):
    logp = torch.log_softmax(W[xs], dim=1)
    return -logp.gather(1, ys[:, None]).squeeze(1).mean() + reg * (W ** 2).mean()
''',
    "neural_bigram_loss_ce_solution": '''
def neural_bigram_loss_ce(W, xs, ys, reg=0.0):
    logits = W[xs]
    return torch.nn.functional.cross_entropy(logits, ys) + reg * (W ** 2).mean()
''',
}

CASES = {
    "loops, numpy, log-softmax, Counter, index_put_, the global random module for the split": _LOOPS,
    "the chapter's own code adapted (pairs_of, sample_name, average_loss, forward)": _CHAPTER,
}
