"""Chapter 4 (activations, gradients, batch normalisation): correct answers written independently
of the reference, in other styles (issue 19). Each case must score full marks on every grading."""

# Loops, plain Python and numpy where a number is asked for, uniform initialisations, autograd asked
# what a network of zeros can learn, objects of one's own.
LOOPS_AND_NUMPY = {
    "init_output_layer_solution": '''
# a student who reshuffles the notebook's globals and reseeds while experimenting
random.seed(0)
random.shuffle(words)
torch.manual_seed(123)


def init_output_layer(fan_in, vocab_size, generator):
    """Uniform weights in [-0.01, 0.01) and zero biases: every logit starts close to 0."""
    W = (torch.rand(fan_in, vocab_size, generator=generator) * 2 - 1) * 0.01
    b = torch.full((vocab_size,), 0.0)
    return W, b
''',
    "saturation_fraction_solution": '''
def saturation_fraction(h, threshold=0.99):
    """Count the saturated entries one by one."""
    values = h.flatten().tolist()
    saturated = 0
    for v in values:
        if abs(v) > threshold:
            saturated += 1
    return saturated / len(values)
''',
    "kaiming_std_solution": '''
import numpy as np

def kaiming_std(fan_in, nonlinearity):
    """Gain over the square root of the fan-in, with numpy."""
    if nonlinearity == "tanh":
        gain = 5 / 3
    elif nonlinearity == "relu":
        gain = np.sqrt(2)
    else:
        gain = 1
    return gain / np.sqrt(fan_in)
''',
    "batchnorm_forward_solution": '''
def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """One column at a time."""
    n, d = x.shape
    columns = []
    for j in range(d):
        col = x[:, j]
        mu = col.sum() / n
        var = ((col - mu) * (col - mu)).sum() / n
        columns.append(gamma[j] * (col - mu) / (var + eps) ** 0.5 + beta[j])
    return torch.stack(columns, dim=1)
''',
    "BatchNorm1d_solution": '''
class BatchNorm1d:
    """The running estimates are updated in place, with the unbiased variance computed directly."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.num_features = num_features
        self.momentum = momentum
        self.eps = eps
        self.training = True
        self.running_var = torch.ones(num_features)
        self.running_mean = torch.zeros(num_features)
        self.bias = torch.zeros(num_features)
        self.weight = torch.ones(num_features)

    def __call__(self, x):
        if not self.training:
            xhat = (x - self.running_mean) / (self.running_var + self.eps).sqrt()
            return xhat * self.weight + self.bias
        mu = x.mean(dim=0)
        centred = x - mu
        biased = (centred ** 2).mean(dim=0)
        with torch.no_grad():
            self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mu)
            self.running_var.mul_(1 - self.momentum).add_(self.momentum * x.var(dim=0))
        return centred / (biased + self.eps).sqrt() * self.weight + self.bias

    def train(self, mode=True):
        self.training = bool(mode)
        return self

    def eval(self):
        self.training = False
        return self

    def parameters(self):
        return [self.weight, self.bias]
''',
    "Linear_solution": '''
class Linear:
    """Uniform initial weights (as torch.nn.Linear draws them) with standard deviation 1/sqrt(fan_in)."""

    def __init__(self, fan_in, fan_out, bias=True, generator=None):
        limit = math.sqrt(3 / fan_in)  # the standard deviation of U(-a, a) is a / sqrt(3)
        self.weight = (torch.rand(fan_in, fan_out, generator=generator) * 2 - 1) * limit
        self.bias = None
        if bias:
            self.bias = torch.zeros(fan_out)

    def forward(self, x):
        y = torch.matmul(x, self.weight)
        return y if self.bias is None else y + self.bias

    __call__ = forward

    def parameters(self):
        found = [self.weight]
        if self.bias is not None:
            found.append(self.bias)
        return found


class Tanh:
    def __call__(self, x):
        return x.tanh()

    def parameters(self):
        return list()
''',
    "count_parameters_solution": '''
def count_parameters(sizes, batchnorm):
    """Layer by layer: weights, then a bias or a BatchNorm's gain and shift."""
    count = 0
    for i in range(1, len(sizes)):
        count += sizes[i - 1] * sizes[i]
        if batchnorm:
            count += sizes[i] + sizes[i]
        else:
            count += sizes[i]
    return count
''',
    "update_to_data_ratios_solution": '''
import numpy as np

def update_to_data_ratios(parameters, learning_rate):
    """With numpy (the ratio of two standard deviations over the same number of entries)."""
    ratios = []
    for p in parameters:
        update = learning_rate * p.grad.detach().numpy()
        ratios.append(np.std(update) / np.std(p.detach().numpy()))
    return ratios
''',
    "trained_at_zero_init_solution": '''
def trained_at_zero_init(depth, nonlinearity):
    """Build the network with zeros and let autograd say which gradients are not zero."""
    g = torch.Generator().manual_seed(0)
    f = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[nonlinearity]
    n_embd, width = 10, 50
    params = {"C": torch.randn(vocab_size, n_embd, generator=g)}
    fan_in = 3 * n_embd
    for i in range(1, depth + 1):
        params[f"W{i}"], params[f"b{i}"] = torch.zeros(fan_in, width), torch.zeros(width)
        fan_in = width
    params[f"W{depth + 1}"], params[f"b{depth + 1}"] = torch.zeros(fan_in, vocab_size), torch.zeros(vocab_size)
    for p in params.values():
        p.requires_grad_()
    ix = torch.randint(0, len(Xtr), (64,), generator=g)
    h = params["C"][Xtr[ix]].view(64, -1)
    for i in range(1, depth + 1):
        h = f(h @ params[f"W{i}"] + params[f"b{i}"])
    logits = h @ params[f"W{depth + 1}"] + params[f"b{depth + 1}"]
    F.cross_entropy(logits, Ytr[ix]).backward()
    return sorted(name for name, p in params.items() if p.grad.abs().max().item() > 0)
''',
    "zero_init_limit_solution": '''
from collections import Counter

def zero_init_limit(Y, vocab_size):
    """The entropy of the targets' frequencies, in plain Python."""
    counts = Counter(Y.tolist())
    n = len(Y)
    return -sum(c / n * math.log(c / n) for c in counts.values())
''',
    "fold_batchnorm_solution": '''
import types

def fold_batchnorm(linear, bn):
    """Column by column, into a plain object with the two attributes."""
    fan_in, fan_out = linear.weight.shape
    weight = torch.empty(fan_in, fan_out)
    bias = torch.empty(fan_out)
    for j in range(fan_out):
        s = float(bn.weight[j]) / math.sqrt(float(bn.running_var[j]) + bn.eps)
        b = 0.0 if linear.bias is None else float(linear.bias[j])
        weight[:, j] = linear.weight[:, j] * s
        bias[j] = (b - float(bn.running_mean[j])) * s + float(bn.bias[j])
    return types.SimpleNamespace(weight=weight, bias=bias)
''',
}

# The chapter's own layers (a Module base class with the training flag as a class attribute, lerp_
# for the running estimates, addmm), and its other formulas.
CHAPTER_CODE = {
    "init_output_layer_solution": '''
def init_output_layer(fan_in, vocab_size, generator):
    # small weights scaled by the fan-in, and a bias drawn too, then zeroed
    W = torch.randn(fan_in, vocab_size, generator=generator) * (0.1 / math.sqrt(fan_in))
    b = torch.randn(vocab_size, generator=generator) * 0
    return W, b
''',
    "saturation_fraction_solution": '''
def saturation_fraction(h, threshold=0.99):
    return (h.abs() > threshold).sum().item() / h.numel()
''',
    "kaiming_std_solution": '''
def kaiming_std(fan_in, nonlinearity):
    return torch.nn.init.calculate_gain(nonlinearity) / math.sqrt(fan_in)
''',
    "batchnorm_forward_solution": '''
def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(0), x.var(0, unbiased=False)
    return (x - mean) * torch.rsqrt(var + eps) * gamma + beta
''',
    "BatchNorm1d_solution": '''
class Module:
    training = True
    param_names = ()  # the attributes that hold learnable tensors

    def __call__(self, x):
        self.out = self.forward(x)
        return self.out

    def parameters(self):
        return [t for t in (getattr(self, name) for name in self.param_names) if t is not None]

    def train(self, mode=True):
        self.training = mode
        return self

    def eval(self):
        return self.train(False)


class BatchNorm1d(Module):
    param_names = ("weight", "bias")

    def __init__(self, size, eps=1e-5, momentum=0.1):
        self.eps, self.momentum = eps, momentum
        self.weight, self.bias = torch.ones(size), torch.zeros(size)
        self.running_mean, self.running_var = torch.zeros(size), torch.ones(size)

    def forward(self, x):
        if not self.training:
            mean, var = self.running_mean, self.running_var
        else:
            mean, var = x.mean(0), x.var(0, unbiased=False)
            with torch.no_grad():
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * len(x) / (len(x) - 1), self.momentum)
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias
''',
    "Linear_solution": '''
class Linear(Module):
    param_names = ("weight", "bias")

    def __init__(self, fan_in, fan_out, bias=True, generator=None):
        self.weight = torch.randn(fan_in, fan_out, generator=generator) / math.sqrt(fan_in)
        self.bias = torch.zeros(fan_out) if bias else None

    def forward(self, x):
        return x @ self.weight if self.bias is None else torch.addmm(self.bias, x, self.weight)


class Tanh(Module):
    def forward(self, x):
        return torch.tanh(x)
''',
    "count_parameters_solution": '''
def count_parameters(sizes, batchnorm):
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers.append(Linear(fan_in, fan_out, bias=not batchnorm))
        if batchnorm:
            layers.append(BatchNorm1d(fan_out))
    return sum(p.numel() for layer in layers for p in layer.parameters())
''',
    "update_to_data_ratios_solution": '''
def update_to_data_ratios(parameters, learning_rate):
    return [float((learning_rate * p.grad).std() / p.data.std()) for p in parameters]
''',
    "trained_at_zero_init_solution": '''
def trained_at_zero_init(depth, nonlinearity):
    # The output layer sees h_depth; with zero weights every hidden layer outputs f(0).
    last = f"{depth + 1}"
    if depth > 0 and nonlinearity in ("tanh", "relu"):  # f(0) = 0: the output weights see zeros
        return ["b" + last]
    return ["W" + last, "b" + last]
''',
    "zero_init_limit_solution": '''
def zero_init_limit(Y, vocab_size):
    # the best constant logits are the log-frequencies of the targets
    freq = torch.bincount(Y, minlength=vocab_size).float() / len(Y)
    logits = freq.log().expand(len(Y), vocab_size)
    return F.cross_entropy(logits, Y).item()
''',
    "fold_batchnorm_solution": '''
def fold_batchnorm(linear, bn):
    fan_in, fan_out = linear.weight.shape
    scale = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
    shift = bn.bias - bn.running_mean * scale
    out = Linear(fan_in, fan_out, bias=True)
    out.weight = linear.weight * scale
    out.bias = shift if linear.bias is None else linear.bias * scale + shift
    return out
''',
}

CASES = {
    "loops, numpy floats, uniform initialisations, autograd asked": LOOPS_AND_NUMPY,
    "the chapter's own layers and formulas": CHAPTER_CODE,
}
