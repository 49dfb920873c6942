"""Chapter 6 (WaveNet): correct answers written independently of the reference, in other styles
(issue 19). Each case must score full marks on every grading."""

# Other tools and structures: unfold, index_select, strided slices, 2-D views for the statistics,
# layers that keep their output in self.out (as the lecture's do), a Sequential that overrides
# parameters() and train(), a float parameter count, the output layer built first, layers found by
# their class, convolution weights copied tap by tap.
OTHER_TOOLS = {
    "build_dataset_solution": '''
def build_dataset(words, block_size, stoi):
    end = stoi["."]
    xs, ys = [], []
    for w in words:
        seq = torch.tensor([end] * block_size + [stoi[c] for c in w] + [end])
        xs.append(seq[:-1].unfold(0, block_size, 1))   # every window of block_size, one per target
        ys.append(seq[block_size:])
    return torch.cat(xs), torch.cat(ys)
''',
    "embedding_solution": '''
class Embedding(Module):
    def __init__(self, num_embeddings, embedding_dim, generator=None):
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = torch.randn((num_embeddings, embedding_dim), generator=generator, requires_grad=True)

    def forward(self, idx):
        rows = self.weight.index_select(0, idx.reshape(-1))
        self.out = rows.reshape(*idx.shape, self.embedding_dim)   # kept, as the lecture's layers do
        return self.out
''',
    "flatten_solution": '''
class FlattenConsecutive(Module):
    def __init__(self, n):
        self.group = n

    def forward(self, x):
        n = self.group
        out = torch.cat([x[:, i::n] for i in range(n)], dim=2)   # position n*t + i goes to slot i
        if out.shape[1] == 1:
            out = out[:, 0]
        self.out = out
        return out
''',
    "batchnorm_solution": '''
class BatchNorm1d(Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.num_features = num_features
        self.momentum = momentum
        self.eps = eps
        self.running_var = torch.ones(num_features)
        self.running_mean = torch.zeros(num_features)
        self.bias = torch.zeros(num_features, requires_grad=True)
        self.weight = torch.ones(num_features, requires_grad=True)

    def forward(self, x):
        flat = x.reshape(-1, self.num_features)      # every dimension but the last, as rows
        if self.training:
            mean = flat.mean(0)
            var = flat.var(0, unbiased=False)
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(mean, alpha=self.momentum)
                self.running_var.mul_(1 - self.momentum).add_(flat.var(0, unbiased=True), alpha=self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        y = (flat - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias
        self.out = y.reshape(x.shape)
        return self.out
''',
    "sequential_solution": '''
import functools


class Sequential(Module):
    def __init__(self, *layers):
        self.layers = [*layers]

    def children(self):
        return list(self.layers)

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def train(self, mode=True):
        self.training = mode
        for layer in self.layers:
            layer.train(mode)
        return self

    def forward(self, x):
        return functools.reduce(lambda h, layer: layer(h), self.layers, x)


def hierarchical_num_params(vocab_size, n_embd, n_hidden, block_size):
    levels = math.log2(block_size)          # a float: the count comes out as a float too
    first = 2 * n_embd * n_hidden + 2 * n_hidden
    others = (levels - 1) * (2 * n_hidden * n_hidden + 2 * n_hidden)
    return vocab_size * n_embd + first + others + (n_hidden + 1) * vocab_size
''',
    "hierarchical_solution": '''
def hierarchical_model(vocab_size, n_embd, n_hidden, block_size, generator=None):
    head = Linear(n_hidden, vocab_size, generator=generator)   # the output layer first
    head.weight.data *= 0.1
    levels = []
    width = n_embd
    for _ in range(int(math.log2(block_size))):
        levels += [FlattenConsecutive(2), Linear(2 * width, n_hidden, bias=False, generator=generator),
                   BatchNorm1d(n_hidden), Tanh()]
        width = n_hidden
    return Sequential(Embedding(vocab_size, n_embd, generator), *levels, head)
''',
    "conv_solution": '''
def to_convolutions(model):
    linears = [layer for layer in model.layers if isinstance(layer, Linear)]
    norms = [layer for layer in model.layers if isinstance(layer, BatchNorm1d)]
    modules = []
    with torch.no_grad():
        for level, (lin, norm) in enumerate(zip(linears[:-1], norms)):
            W = lin.weight.detach()
            c_in, c_out = W.shape[0] // 2, W.shape[1]
            conv = nn.Conv1d(c_in, c_out, kernel_size=2, dilation=2 ** level, bias=False)
            conv.weight[:, :, 0] = W[:c_in].T     # the older position of a pair
            conv.weight[:, :, 1] = W[c_in:].T     # the newer one
            bn = nn.BatchNorm1d(c_out, eps=norm.eps)
            bn.weight.copy_(norm.weight)
            bn.bias.copy_(norm.bias)
            bn.running_mean.copy_(torch.as_tensor(norm.running_mean))
            bn.running_var.copy_(torch.as_tensor(norm.running_var))
            bn.eval()
            modules += [conv, bn, nn.Tanh()]
        last = linears[-1]
        out = nn.Conv1d(last.weight.shape[0], last.weight.shape[1], kernel_size=1)
        out.weight.copy_(last.weight.T.unsqueeze(-1))
        out.bias.copy_(last.bias)
        modules.append(out)
    return nn.Sequential(*modules)
''',
}

# The chapter's own code, adapted: its build_dataset with the vocabulary's '.', its layers (the
# BatchNorm1d with a batch_dims hook), a counting loop for the parameters, a recipe written as a
# named function.
CHAPTER_CODE = {
    "build_dataset_solution": '''
def build_dataset(words, block_size, stoi):
    dot = stoi["."]
    contexts, targets = [], []
    for name in words:
        window = [dot] * block_size
        for ix in [stoi[ch] for ch in name] + [dot]:
            contexts.append(window)
            targets.append(ix)
            window = window[1:] + [ix]
    return torch.tensor(contexts, dtype=torch.long).reshape(-1, block_size), torch.tensor(targets, dtype=torch.long)
''',
    "embedding_solution": '''
class Embedding(Module):
    """A table of num_embeddings learned vectors; indices of any shape (...) -> vectors (..., embedding_dim)."""

    def __init__(self, num_embeddings, embedding_dim, generator=None):
        self.weight = torch.randn(num_embeddings, embedding_dim, generator=generator).requires_grad_()

    def forward(self, idx):
        return self.weight[idx]
''',
    "flatten_solution": '''
class FlattenConsecutive(Module):
    def __init__(self, n):
        self.n = n

    def forward(self, x):
        B, T, C = x.shape
        grouped = x.reshape(B, T // self.n, self.n * C)
        return grouped[:, 0] if T == self.n else grouped
''',
    "batchnorm_solution": '''
class BatchNorm1d(Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.eps, self.momentum = eps, momentum
        self.weight = torch.ones(num_features, requires_grad=True)   # gamma
        self.bias = torch.zeros(num_features, requires_grad=True)    # beta
        self.running_mean = torch.zeros(num_features)
        self.running_var = torch.ones(num_features)

    def batch_dims(self, x):
        return tuple(range(x.dim() - 1))

    def forward(self, x):
        if not self.training:
            mean, var = self.running_mean, self.running_var
        else:
            dims = self.batch_dims(x)
            mean, var = x.mean(dims), x.var(dims, correction=0)
            n = x.numel() // mean.numel()
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var * n / (n - 1)
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias
''',
    "sequential_solution": '''
class Sequential(Module):
    def __init__(self, *layers):
        self.layers = list(layers)

    def children(self):
        return self.layers

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def hierarchical_num_params(vocab_size, n_embd, n_hidden, block_size):
    count, width, positions = vocab_size * n_embd, n_embd, block_size
    while positions > 1:
        count += 2 * width * n_hidden + 2 * n_hidden   # Linear without bias, then BatchNorm's gain and shift
        width, positions = n_hidden, positions // 2
    return count + n_hidden * vocab_size + vocab_size
''',
    "hierarchical_solution": '''
def hierarchical_model(vocab_size, n_embd, n_hidden, block_size, generator=None):
    layers = [Embedding(vocab_size, n_embd, generator)]
    fan_in = n_embd
    while len(layers) < 1 + 4 * round(math.log2(block_size)):
        layers += [FlattenConsecutive(2), Linear(2 * fan_in, n_hidden, bias=False, generator=generator),
                   BatchNorm1d(n_hidden), Tanh()]
        fan_in = n_hidden
    layers.append(Linear(n_hidden, vocab_size, generator=generator))
    with torch.no_grad():
        layers[-1].weight.mul_(0.1)
    return Sequential(*layers)
''',
    "my_config_solution": '''
STEPS = 150_000 // 64


def learning_rate(step):
    # a high rate while batch normalisation keeps things stable, then a tenth of it
    return 0.5 if step < 0.7 * STEPS else 0.05


def my_config():
    return dict(n_embd=12, n_hidden=64, batch_size=64, steps=STEPS, lr=learning_rate)
''',
}

CASES = {
    "unfold, index_select, 2-D views, self.out kept, layers found by class": OTHER_TOOLS,
    "the chapter's own code adapted": CHAPTER_CODE,
}
