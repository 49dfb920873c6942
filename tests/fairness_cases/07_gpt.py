"""Chapter 7 (a GPT from scratch): correct answers written independently of the reference, in other
styles (issue 19). Each case must score full marks on every grading."""

# Loops and explicit bookkeeping, layers made in another order (a feed-forward that makes its output
# layer before its input layer, the issue's case), other attribute names inside the modules, Part 5's
# attention inside the block, einsum, an nn.Sequential of blocks, the lecture's crop-and-concatenate
# generation loop.
LOOPS_AND_OTHER_ORDERS = {
    "make_tokenizer_solution": '''
def make_tokenizer(text):
    """Two dictionaries, filled by hand."""
    vocabulary = sorted(set(text))
    to_id, to_char = {}, {}
    for i in range(len(vocabulary)):
        to_id[vocabulary[i]] = i
        to_char[i] = vocabulary[i]

    def encode(s):
        out = []
        for ch in s:
            out.append(to_id[ch])
        return out

    def decode(ids):
        pieces = []
        for i in ids:
            pieces.append(to_char[int(i)])
        return "".join(pieces)

    return encode, decode
''',
    "sample_batch_solution": '''
def sample_batch(data, block_size, batch_size, generator=None):
    """One window at a time, from a list of offsets."""
    offsets = torch.randint(0, len(data) - block_size, (batch_size,), generator=generator).tolist()
    xs, ys = [], []
    for i in offsets:
        xs.append(data[i:i + block_size])
        ys.append(data[i + 1:i + 1 + block_size])
    return torch.stack(xs), torch.stack(ys)
''',
    "averages_solution": '''
def average_loop(x):
    """A running sum, position by position."""
    B, T, C = x.shape
    out = torch.empty(B, T, C)
    for b in range(B):
        total = torch.zeros(C)
        for t in range(T):
            total = total + x[b, t]
            out[b, t] = total / (t + 1)
    return out


def average_matmul(x):
    """Weights 1/(t+1) written from a comparison of indices."""
    T = x.shape[1]
    rows = torch.arange(T).view(T, 1)
    cols = torch.arange(T).view(1, T)
    weights = (cols <= rows).float() / (rows + 1).float()
    return weights @ x


def average_softmax(x):
    """Scores of zero below the diagonal, -inf above it."""
    T = x.shape[1]
    scores = torch.zeros(T, T)
    scores[torch.triu(torch.ones(T, T), diagonal=1) == 1] = float("-inf")
    return torch.softmax(scores, dim=1) @ x
''',
    "head_solution": '''
class AttentionHead(nn.Module):
    """Layers made in the order value, key, query; the mask from torch.tril, built in forward."""

    def __init__(self, n_embd, head_size, dropout=0.0):
        super().__init__()
        self.to_value = nn.Linear(n_embd, head_size, bias=False)
        self.to_key = nn.Linear(n_embd, head_size, bias=False)
        self.to_query = nn.Linear(n_embd, head_size, bias=False)
        self.drop = nn.Dropout(p=dropout)
        self.head_size = head_size

    def forward(self, x):
        B, T, C = x.shape
        k = self.to_key(x)
        q = self.to_query(x)
        att = (q @ k.transpose(-2, -1)) * self.head_size ** -0.5
        allowed = torch.tril(torch.ones(T, T))
        att = att.masked_fill(allowed == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        att = self.drop(att)
        return att @ self.to_value(x)
''',
    "multi_head_attention_solution": '''
class MultiHeadAttention(nn.Module):
    """The mix made first, the heads appended one by one."""

    def __init__(self, n_embd, n_head, dropout=0.0):
        super().__init__()
        self.mix = nn.Linear(n_embd, n_embd)
        self.heads = nn.ModuleList()
        for _ in range(n_head):
            self.heads.append(AttentionHead(n_embd, n_embd // n_head, dropout))
        self.after = nn.Dropout(dropout)

    def forward(self, x):
        outputs = []
        for head in self.heads:
            outputs.append(head(x))
        return self.after(self.mix(torch.cat(outputs, dim=2)))
''',
    "batched_multi_head_attention_solution": '''
class BatchedMultiHeadAttention(nn.Module):
    """einsum for both products, view and permute for the heads, the mix made first."""

    def __init__(self, n_embd, n_head, dropout=0.0):
        super().__init__()
        self.mix = nn.Linear(n_embd, n_embd)
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.h = n_head
        self.p_attn = nn.Dropout(dropout)
        self.p_out = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        d = C // self.h
        both = self.qkv(x).view(B, T, 3, self.h, d).permute(2, 0, 3, 1, 4)  # (3, B, h, T, d)
        q, k, v = both[0], both[1], both[2]
        scores = torch.einsum("bhtd,bhsd->bhts", q, k) / d ** 0.5
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        scores = scores.masked_fill(~mask, float("-inf"))
        w = self.p_attn(torch.softmax(scores, dim=-1))
        y = torch.einsum("bhts,bhsd->bhtd", w, v)
        y = y.permute(0, 2, 1, 3).reshape(B, T, C)
        return self.p_out(self.mix(y))
''',
    "block_solution": '''
class MyFeedForward(nn.Module):
    """The output layer is made before the input layer, and applied after it."""

    def __init__(self, n_embd, dropout):
        super().__init__()
        self.second = nn.Linear(4 * n_embd, n_embd)
        self.first = nn.Linear(n_embd, 4 * n_embd)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.second(F.relu(self.first(x))))


class Block(nn.Module):
    """Part 5's attention, the feed-forward above, the norms made last."""

    def __init__(self, n_embd, n_head, dropout=0.0):
        super().__init__()
        self.ff = MyFeedForward(n_embd, dropout)
        self.attn = MultiHeadAttention(n_embd, n_head, dropout)
        self.ff_norm = nn.LayerNorm(n_embd)
        self.attn_norm = nn.LayerNorm(n_embd)

    def forward(self, x):
        h = x + self.attn(self.attn_norm(x))
        out = h + self.ff(self.ff_norm(h))
        return out
''',
    "gpt_solution": '''
class GPT(nn.Module):
    """The output layer made first, the blocks in an nn.Sequential."""

    def __init__(self, vocab_size, block_size, n_embd, n_head, n_layer, dropout=0.0):
        super().__init__()
        self.to_logits = nn.Linear(n_embd, vocab_size)
        self.final_norm = nn.LayerNorm(n_embd)
        self.blocks = nn.Sequential(*[Block(n_embd, n_head, dropout) for _ in range(n_layer)])
        self.pos_emb = nn.Embedding(block_size, n_embd)
        self.token_emb = nn.Embedding(vocab_size, n_embd)

    def forward(self, idx):
        B, T = idx.shape
        positions = torch.arange(0, T, dtype=torch.long)
        h = self.token_emb(idx) + self.pos_emb(positions)[None, :, :]
        h = self.blocks(h)
        h = self.final_norm(h)
        return self.to_logits(h)
''',
    "count_parameters_solution": '''
def count_parameters(model):
    """A loop over named parameters."""
    total = 0
    for name, p in model.named_parameters():
        if p.requires_grad:
            total += p.numel()
    return total
''',
    "generate_solution": '''
def generate(model, idx, max_new_tokens, block_size, generator=None):
    """Crop the context, take the last position, sample, concatenate."""
    for _ in range(max_new_tokens):
        context = idx if idx.shape[1] <= block_size else idx[:, idx.shape[1] - block_size:]
        with torch.no_grad():
            logits = model(context)
        last = logits[:, -1, :]
        probs = torch.softmax(last, dim=-1)
        nxt = torch.multinomial(probs, num_samples=1, generator=generator)
        idx = torch.cat((idx, nxt), dim=1)
    return idx
''',
    "initial_loss_solution": '''
def expected_initial_loss(vocab_size):
    """ln V, the same number."""
    return float(math.log(vocab_size))


def init_weights(model):
    """By module type, with the tensors' own in-place methods."""
    with torch.no_grad():
        for name, module in model.named_modules():
            if type(module) in (nn.Linear, nn.Embedding):
                module.weight.normal_(mean=0.0, std=0.02)
            if type(module) is nn.Linear and module.bias is not None:
                module.bias.zero_()
''',
}

# The chapter's own code (book/07_gpt.ipynb), adapted to the exercise's signatures: its batching by
# one indexing operation, its modules with their switches and their own initialisation, its
# preallocated generation loop, and the bigram's GPT-2 initialisation generalised.
THE_CHAPTERS_CODE = {
    "make_tokenizer_solution": '''
def make_tokenizer(text):
    """The chapter's tokenizer, wrapped in a function."""
    chars = sorted(set(text))
    char_to_id = {ch: position for position, ch in enumerate(chars)}

    def encode(s):
        return [char_to_id[ch] for ch in s]

    def decode(ids):
        return "".join(chars[i] for i in ids)

    return encode, decode
''',
    "sample_batch_solution": '''
def sample_batch(data, block_size, batch_size, generator=None):
    """The chapter's sample_batch, with DEVICE."""
    starts = torch.randint(len(data) - block_size, (batch_size, 1), generator=generator)  # (B, 1)
    positions = starts + torch.arange(block_size + 1)  # (B, T + 1)
    windows = data[positions]
    return windows[:, :-1].to(DEVICE), windows[:, 1:].to(DEVICE)
''',
    "averages_solution": '''
def average_loop(x):
    B, T, C = x.shape
    avg = torch.empty(B, T, C)
    for b in range(B):
        for t in range(T):
            avg[b, t] = x[b, :t + 1].sum(dim=0) / (t + 1)
    return avg


def average_matmul(x):
    T = x.shape[1]
    lower = torch.ones(T, T).tril()
    averaging = lower / lower.sum(dim=1, keepdim=True)
    return averaging @ x


def average_softmax(x):
    T = x.shape[1]
    future = torch.ones(T, T, dtype=torch.bool).triu(diagonal=1)
    scores = torch.zeros(T, T).masked_fill(future, float("-inf"))
    return scores.softmax(dim=-1) @ x
''',
    "head_solution": '''
class AttentionHead(nn.Module):
    """The chapter's head."""

    def __init__(self, n_embd, head_size, dropout=0.0):
        super().__init__()
        self.to_query = nn.Linear(n_embd, head_size, bias=False)
        self.to_key = nn.Linear(n_embd, head_size, bias=False)
        self.to_value = nn.Linear(n_embd, head_size, bias=False)
        self.weight_dropout = nn.Dropout(dropout)

    def forward(self, x):
        T = x.shape[1]
        q, k, v = self.to_query(x), self.to_key(x), self.to_value(x)
        scores = q @ k.transpose(1, 2) / math.sqrt(q.shape[-1])
        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(diagonal=1)
        weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
        return self.weight_dropout(weights) @ v
''',
    "multi_head_attention_solution": '''
class MultiHeadAttention(nn.Module):
    """The chapter's multi-head attention."""

    def __init__(self, n_embd, n_head, dropout=0.0):
        super().__init__()
        self.heads = nn.ModuleList(AttentionHead(n_embd, n_embd // n_head, dropout) for _ in range(n_head))
        self.mix = nn.Linear(n_embd, n_embd)
        self.out_dropout = nn.Dropout(dropout)

    def forward(self, x):
        found = torch.cat([head(x) for head in self.heads], dim=-1)
        return self.out_dropout(self.mix(found))
''',
    "batched_multi_head_attention_solution": '''
class BatchedMultiHeadAttention(nn.Module):
    """The chapter's batched attention, its switch to the fused kernel left off."""

    def __init__(self, n_embd, n_head, dropout=0.0, fast=False):
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"n_embd = {n_embd} does not split evenly into {n_head} heads")
        self.n_head = n_head
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.mix = nn.Linear(n_embd, n_embd)
        self.weight_dropout = nn.Dropout(dropout)
        self.out_dropout = nn.Dropout(dropout)
        self.fast = fast
        self.keep_weights = False
        self.weights = None

    def split_heads(self, t):
        return t.unflatten(-1, (self.n_head, -1)).transpose(1, 2)

    def forward(self, x):
        q, k, v = (self.split_heads(t) for t in self.qkv(x).chunk(3, dim=-1))
        T, d = q.shape[-2:]
        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(diagonal=1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)
        weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
        if self.keep_weights:
            self.weights = weights.detach()
        found = self.weight_dropout(weights) @ v
        return self.out_dropout(self.mix(found.transpose(1, 2).flatten(2)))
''',
    "block_solution": '''
class FeedForward(nn.Module):
    def __init__(self, n_embd, dropout=0.0):
        super().__init__()
        self.up = nn.Linear(n_embd, 4 * n_embd)
        self.down = nn.Linear(4 * n_embd, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.down(torch.relu(self.up(x))))


class Block(nn.Module):
    """The chapter's block, with its switches for the ladder."""

    def __init__(self, n_embd, n_head, dropout=0.0, ff=True, residual=True, norm=True):
        super().__init__()
        make_norm = (lambda: nn.LayerNorm(n_embd)) if norm else nn.Identity
        self.attn_norm, self.attn = make_norm(), BatchedMultiHeadAttention(n_embd, n_head, dropout)
        self.ff_norm, self.ff = (make_norm(), FeedForward(n_embd, dropout)) if ff else (None, None)
        self.residual = residual

    def forward(self, x):
        for norm, branch in ((self.attn_norm, self.attn), (self.ff_norm, self.ff)):
            if branch is not None:
                update = branch(norm(x))
                x = x + update if self.residual else update
        return x
''',
    "gpt_solution": '''
class GPT(nn.Module):
    """The chapter's GPT, with its initialisation (the grader sets the weights anyway)."""

    def __init__(self, vocab_size, block_size, n_embd, n_head, n_layer, dropout=0.0):
        super().__init__()
        self.block_size = block_size
        self.token_emb = nn.Embedding(vocab_size, n_embd)
        self.pos_emb = nn.Embedding(block_size, n_embd)
        self.blocks = nn.ModuleList(Block(n_embd, n_head, dropout) for _ in range(n_layer))
        self.final_norm = nn.LayerNorm(n_embd)
        self.to_logits = nn.Linear(n_embd, vocab_size)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def num_params(self):
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx):
        T = idx.shape[1]
        if T > self.block_size:
            raise ValueError(f"a context of {T} tokens is longer than block_size = {self.block_size}")
        stream = self.token_emb(idx) + self.pos_emb(torch.arange(T, device=idx.device))
        for block in self.blocks:
            stream = block(stream)
        return self.to_logits(self.final_norm(stream))
''',
    "count_parameters_solution": '''
def count_parameters(model):
    """numel of each trainable tensor, with numpy."""
    import numpy as np
    return int(np.sum([np.prod(p.shape) for p in model.parameters() if p.requires_grad], dtype=np.int64))
''',
    "generate_solution": '''
@torch.no_grad()
def generate(model, idx, max_new_tokens, block_size, generator=None):
    """The chapter's generate: a buffer for the whole result, a window of at most block_size tokens."""
    B, T0 = idx.shape
    out = torch.empty(B, T0 + max_new_tokens, dtype=torch.long, device=idx.device)
    out[:, :T0] = idx
    for end in range(T0, T0 + max_new_tokens):
        window = out[:, max(0, end - block_size):end]
        probs = F.softmax(model(window)[:, -1], dim=-1)
        out[:, end] = torch.multinomial(probs, 1, generator=generator).squeeze(1)
    return out
''',
    "initial_loss_solution": '''
def expected_initial_loss(vocab_size):
    return -math.log(1 / vocab_size)


def init_weights(model):
    """The chapter's GPT initialisation, as a function."""
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
''',
}

CASES = {
    "loops, layers made in other orders, other attribute names inside, einsum, the lecture's generation loop": LOOPS_AND_OTHER_ORDERS,
    "the chapter's own code adapted": THE_CHAPTERS_CODE,
}
