"""Fairness cases for Chapter 1 (issue 19): correct answers written independently of the reference,
in other styles. Each case replaces the named answer cells of solutions/01_micrograd/micrograd.ipynb
and must score full marks every time it is graded."""

# A student who writes closures that push gradients back (the lecture's style of engine), a
# log-sum-exp loss, numpy for the gradient, and an MLP with its own structure and attribute names
# that draws each bias before its weights and returns a tuple for several outputs.
_CLOSURES = {
    "numerical_derivative_solution": '''
def numerical_derivative(f, x, h=1e-5):
    """Central difference."""
    ahead, behind = f(x + h), f(x - h)
    return (ahead - behind) / h / 2
''',
    "analytic_gradient_solution": '''
import numpy as np


def gradient_f(a, b, c):
    """The gradient of f, as a numpy array."""
    return np.array([-3.0 * a * a - 0.5 / np.sqrt(a),
                     3.0 * np.cos(3.0 * b) + 2.5 * b * np.sqrt(b),
                     c ** -2.0])
''',
    "value_class_solution": '''
import math


class Value:
    """A scalar that records how it was computed, with closures for the backward pass."""

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._kids = list(_children)
        self._push = lambda: None

    def __repr__(self):
        return f"Value({self.data}, grad={self.grad})"

    @staticmethod
    def _wrap(x):
        return x if isinstance(x, Value) else Value(x)

    def __add__(self, other):
        other = Value._wrap(other)
        out = Value(self.data + other.data, (self, other))
        def push():
            self.grad += out.grad
            other.grad += out.grad
        out._push = push
        return out

    __radd__ = __add__

    def __mul__(self, other):
        other = Value._wrap(other)
        out = Value(self.data * other.data, (self, other))
        def push():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._push = push
        return out

    __rmul__ = __mul__

    def __pow__(self, k):
        out = Value(self.data ** k, (self,))
        def push():
            self.grad += k * self.data ** (k - 1) * out.grad
        out._push = push
        return out

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-Value._wrap(other))

    def __rsub__(self, other):
        return Value._wrap(other) + (-self)

    def __truediv__(self, other):
        return self * Value._wrap(other) ** -1

    def __rtruediv__(self, other):
        return Value._wrap(other) * self ** -1

    def _unary(self, value, slope):
        out = Value(value, (self,))
        def push():
            self.grad += slope * out.grad
        out._push = push
        return out

    def exp(self):
        e = math.exp(self.data)
        return self._unary(e, e)

    def log(self):
        return self._unary(math.log(self.data), 1.0 / self.data)

    def tanh(self):
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t ** 2)

    def relu(self):
        return self._unary(max(self.data, 0.0), 1.0 if self.data > 0 else 0.0)

    def backward(self):
        topo, visited = [], set()
        def build(v):
            if v in visited:
                return
            visited.add(v)
            for kid in v._kids:
                build(kid)
            topo.append(v)
        build(self)
        self.grad = 1.0
        for v in topo[::-1]:
            v._push()
''',
    "softmax_nll_solution": '''
def softmax(logits):
    """Stable softmax."""
    biggest = max(v.data for v in logits)
    shifted = [(v - biggest).exp() for v in logits]
    denominator = shifted[0]
    for e in shifted[1:]:
        denominator = denominator + e
    return [e / denominator for e in shifted]


def nll_loss(logits, label):
    """-log softmax(logits)[label], as log-sum-exp minus the correct logit."""
    biggest = max(v.data for v in logits)
    total = sum((v - biggest).exp() for v in logits)
    return total.log() + biggest - logits[label]
''',
    "mlp_solution": '''
import random


class Neuron:
    """A neuron with its own attribute names; it draws its bias before its weights."""

    def __init__(self, n_inputs, activation="tanh"):
        self.b = Value(random.uniform(-1, 1))
        self.w = [Value(random.uniform(-1, 1)) for _ in range(n_inputs)]
        self.kind = activation

    def __call__(self, x):
        s = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        if self.kind == "tanh":
            return s.tanh()
        elif self.kind == "relu":
            return s.relu()
        return s

    def parameters(self):
        return self.w + [self.b]


class Layer:
    def __init__(self, n_inputs, n_neurons, activation="tanh"):
        self.units = tuple(Neuron(n_inputs, activation=activation) for _ in range(n_neurons))

    def __call__(self, x):
        return tuple(u(x) for u in self.units)

    def parameters(self):
        out = []
        for u in self.units:
            out.extend(u.parameters())
        return out


class MLP:
    def __init__(self, n_inputs, layer_sizes, activation="tanh", output_activation="linear"):
        dims = [n_inputs] + list(layer_sizes)
        kinds = [activation] * (len(layer_sizes) - 1) + [output_activation]
        self.stack = [Layer(a, b, k) for a, b, k in zip(dims, dims[1:], kinds)]

    def __call__(self, x):
        for layer in self.stack:
            x = layer(x)
        if len(x) == 1:
            return x[0]
        return x

    def parameters(self):
        return [p for layer in self.stack for p in layer.parameters()]
''',
    "train_solution": '''
def train(model, xs, ys, steps, lr):
    """Gradient descent on the summed squared error."""
    history = []
    step = 0
    while step < steps:
        predictions = [model(x) for x in xs]
        loss = Value(0.0)
        for p, y in zip(predictions, ys):
            loss = loss + (p - y) * (p - y)
        for param in model.parameters():
            param.grad = 0
        loss.backward()
        for param in model.parameters():
            param.data += -lr * param.grad
        history.append(float(loss.data))
        step += 1
    return history
''',
}

# A student who adapts the chapter's own code: its final Value engine (local derivatives stored with
# each result, a recursive topological sort), its Neuron/Layer/MLP classes, its training loop; a
# tuple for the gradient, and a softmax written with the operators.
_CHAPTER = {
    "analytic_gradient_solution": '''
import math


def gradient_f(a, b, c):
    return (-3 * a ** 2 - 0.5 * a ** -0.5, 3 * math.cos(3 * b) + 2.5 * b ** 1.5, 1 / c ** 2)
''',
    "value_class_solution": '''
import math


def as_value(x):
    return x if isinstance(x, Value) else Value(x)


def topological_order(root):
    order, seen = [], set()
    def visit(v):
        if v not in seen:
            seen.add(v)
            for p in v.parents:
                visit(p)
            order.append(v)
    visit(root)
    return order


class Value:
    def __init__(self, data, parents=(), local_grads=(), op="", label=""):
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents
        self.local_grads = local_grads
        self.op = op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data:.4f}, grad={self.grad:.4f})"

    def __add__(self, other):
        other = as_value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __sub__(self, other):
        other = as_value(other)
        return Value(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __mul__(self, other):
        other = as_value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __truediv__(self, other):
        other = as_value(other)
        ratio = self.data / other.data
        return Value(ratio, (self, other), (1 / other.data, -ratio / other.data), "/")

    def __neg__(self):
        return Value(-self.data, (self,), (-1.0,), "neg")

    def __pow__(self, p):
        return Value(self.data ** p, (self,), (p * self.data ** (p - 1),), f"**{p}")

    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), (e,), "exp")

    def log(self):
        return Value(math.log(self.data), (self,), (1 / self.data,), "log")

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1 - t * t,), "tanh")

    def relu(self):
        active = self.data > 0
        return Value(self.data if active else 0.0, (self,), (1.0 if active else 0.0,), "relu")

    def __radd__(self, other):
        return as_value(other) + self

    def __rsub__(self, other):
        return as_value(other) - self

    def __rmul__(self, other):
        return as_value(other) * self

    def __rtruediv__(self, other):
        return as_value(other) / self

    def backward(self):
        self.grad = 1.0
        for node in reversed(topological_order(self)):
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad
''',
    "softmax_nll_solution": '''
def softmax(logits):
    m = max(z.data for z in logits)
    counts = [(z - m).exp() for z in logits]
    total = sum(counts)
    return [c / total for c in counts]


def nll_loss(logits, label):
    return -(softmax(logits)[label].log())
''',
    "mlp_solution": '''
import random

ACTIVATIONS = {
    "tanh": lambda z: z.tanh(),
    "relu": lambda z: z.relu(),
    "linear": lambda z: z,
}


class Neuron:
    def __init__(self, n_inputs, activation="tanh"):
        self.weights = [Value(random.uniform(-1, 1)) for _ in range(n_inputs)]
        self.bias = Value(random.uniform(-1, 1))
        self.activation = activation

    def __call__(self, inputs):
        z = self.bias
        for weight, x in zip(self.weights, inputs):
            z = z + weight * x
        return ACTIVATIONS[self.activation](z)

    def parameters(self):
        return [*self.weights, self.bias]


class Layer:
    def __init__(self, n_inputs, n_neurons, activation="tanh"):
        self.neurons = [Neuron(n_inputs, activation) for _ in range(n_neurons)]

    def __call__(self, inputs):
        return [neuron(inputs) for neuron in self.neurons]

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    def __init__(self, n_inputs, layer_sizes, activation="tanh", output_activation="linear"):
        self.layers = []
        width = n_inputs
        for depth, size in enumerate(layer_sizes):
            is_output = depth == len(layer_sizes) - 1
            self.layers.append(Layer(width, size, output_activation if is_output else activation))
            width = size

    def __call__(self, inputs):
        for layer in self.layers:
            inputs = layer(inputs)
        return inputs[0] if len(inputs) == 1 else inputs

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]
''',
    "train_solution": '''
def train(model, xs, ys, steps, lr):
    losses = []
    for step in range(steps):
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        losses.append(loss.data)
    return losses
''',
}

CASES = {
    "closures, log-sum-exp, numpy gradient, own MLP structure returning tuples, bias drawn first": _CLOSURES,
    "the chapter's own code adapted (local-derivative engine, its Neuron/Layer/MLP, its loop), a tuple gradient": _CHAPTER,
}
