#!/usr/bin/python3
"""Reference numbers from PyTorch for vanishing's gradient tests.

Writes test/fixtures/pytorch/models.json: a list of small cases covering every
architecture (vanilla nn.RNN/LSTM/GRU stack, the original's ResidualRNN) x cell
(rnn-tanh, rnn-relu, lstm, gru) x head (last step, every step) x loss
(cross-entropy, MSE), plus a few deep ones. Each case holds the inputs, targets,
every parameter (PyTorch names and order), the loss, every gradient and the
gradient norm with respect to every layer's hidden state at every step.

Everything is computed in float64 on values first rounded to float32, so a
float32 implementation receives identical inputs and is compared against the
exact result. ||dL/dh_t|| is the TOTAL derivative (through the layer above AND
through h_{t+1}); nn.RNN does not expose it, so a functional unroll with the
same weights computes it, and the script asserts that the unroll's loss and
gradients equal the nn.Module's.

Run: /usr/bin/python3 tools/reference/make_fixtures.py   (needs python3-torch)
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'pytorch', 'models.json')


def cell_module(cell, nonlinearity, input_size, hidden, layers):
    if cell == 'rnn':
        return nn.RNN(input_size, hidden, layers, nonlinearity=nonlinearity, batch_first=True)
    if cell == 'lstm':
        return nn.LSTM(input_size, hidden, layers, batch_first=True)
    return nn.GRU(input_size, hidden, layers, batch_first=True)


class Vanilla(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.rnn = cell_module(cfg['cell'], cfg['nonlinearity'], cfg['inputSize'], cfg['hiddenSize'], cfg['numLayers'])
        self.fc = nn.Linear(cfg['hiddenSize'], cfg['outputSize'])
        self.every = cfg['output'] == 'every'

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out) if self.every else self.fc(out[:, -1, :])


class Residual(nn.Module):
    """The original's ResidualRNN: single-layer RNNs, out = out + layer(out) after the first."""

    def __init__(self, cfg):
        super().__init__()
        h = cfg['hiddenSize']
        self.rnn_layers = nn.ModuleList(
            [cell_module(cfg['cell'], cfg['nonlinearity'], cfg['inputSize'] if i == 0 else h, h, 1) for i in range(cfg['numLayers'])])
        self.fc = nn.Linear(h, cfg['outputSize'])
        self.every = cfg['output'] == 'every'

    def forward(self, x):
        out, _ = self.rnn_layers[0](x)
        for layer in self.rnn_layers[1:]:
            y, _ = layer(out)
            out = out + y
        return self.fc(out) if self.every else self.fc(out[:, -1, :])


def unrolled_layer(cfg, params, prefix, suffix, x, hidden_states):
    """One recurrent layer step by step with PyTorch's equations; appends every h_t (retained)."""
    w_ih, w_hh = params[f'{prefix}weight_ih_{suffix}'], params[f'{prefix}weight_hh_{suffix}']
    b_ih, b_hh = params[f'{prefix}bias_ih_{suffix}'], params[f'{prefix}bias_hh_{suffix}']
    batch, steps, _ = x.shape
    H = cfg['hiddenSize']
    h = torch.zeros(batch, H)
    c = torch.zeros(batch, H)
    outputs = []
    for t in range(steps):
        xt = x[:, t, :]
        if cfg['cell'] == 'rnn':
            pre = xt @ w_ih.T + b_ih + h @ w_hh.T + b_hh
            h = torch.tanh(pre) if cfg['nonlinearity'] == 'tanh' else torch.relu(pre)
        elif cfg['cell'] == 'lstm':
            gates = xt @ w_ih.T + b_ih + h @ w_hh.T + b_hh
            i, f, g, o = gates.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        else:
            gi = xt @ w_ih.T + b_ih
            gh = h @ w_hh.T + b_hh
            ir, iz, inn = gi.chunk(3, dim=1)
            hr, hz, hn = gh.chunk(3, dim=1)
            r = torch.sigmoid(ir + hr)
            z = torch.sigmoid(iz + hz)
            n = torch.tanh(inn + r * hn)
            h = (1 - z) * n + z * h
        h.retain_grad()
        hidden_states.append(h)
        outputs.append(h)
    return torch.stack(outputs, dim=1)


def unrolled_forward(cfg, params, x):
    """Returns the head's output and hidden_states[layer][t]."""
    hidden = []
    if cfg['architecture'] == 'vanilla':
        out = x
        for l in range(cfg['numLayers']):
            states = []
            out = unrolled_layer(cfg, params, 'rnn.', f'l{l}', out, states)
            hidden.append(states)
    else:
        states = []
        out = unrolled_layer(cfg, params, 'rnn_layers.0.', 'l0', x, states)
        hidden.append(states)
        for l in range(1, cfg['numLayers']):
            states = []
            out = out + unrolled_layer(cfg, params, f'rnn_layers.{l}.', 'l0', out, states)
            hidden.append(states)
    top = out if cfg['output'] == 'every' else out[:, -1, :]
    return top @ params['fc.weight'].T + params['fc.bias'], hidden


def loss_of(kind, output, targets):
    if kind == 'cross_entropy':
        return F.cross_entropy(output.reshape(-1, output.shape[-1]), targets.reshape(-1))
    return F.mse_loss(output, targets)


def f32(t):
    return t.float().double()


def make_case(name, cfg, loss_kind, batch, steps, generator, weight_scale):
    model = (Vanilla if cfg['architecture'] == 'vanilla' else Residual)(cfg)
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.copy_(f32((torch.rand(p.shape, generator=generator) * 2 - 1) * weight_scale))
    x = f32(torch.randn(batch, steps, cfg['inputSize'], generator=generator))
    rows = (batch, steps) if cfg['output'] == 'every' else (batch,)
    if loss_kind == 'cross_entropy':
        targets = torch.randint(0, cfg['outputSize'], rows, generator=generator)
    else:
        targets = f32(torch.randn(*rows, cfg['outputSize'], generator=generator))

    loss = loss_of(loss_kind, model(x), targets)
    model.zero_grad()
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}

    params = {n: p.detach().clone().requires_grad_(True) for n, p in model.named_parameters()}
    out, hidden = unrolled_forward(cfg, params, x)
    loss2 = loss_of(loss_kind, out, targets)
    loss2.backward()
    assert abs(loss.item() - loss2.item()) <= 1e-12 * max(1, abs(loss.item())), (name, loss.item(), loss2.item())
    for n, g in grads.items():
        err = (params[n].grad - g).norm().item()
        assert err <= 1e-10 * max(1e-30, g.norm().item()) + 1e-14, (name, n, err)
    hidden_norms = [[h.grad.norm().item() if h.grad is not None else 0.0 for h in layer] for layer in hidden]

    return {
        'name': name,
        'config': cfg,
        'loss': loss_kind,
        'batchSize': batch,
        'steps': steps,
        'inputs': x.reshape(-1).tolist(),
        'targets': targets.reshape(-1).tolist(),
        'parameters': [{'name': n, 'shape': list(p.shape), 'data': p.detach().reshape(-1).tolist()} for n, p in model.named_parameters()],
        'lossValue': loss.item(),
        'gradients': {n: g.reshape(-1).tolist() for n, g in grads.items()},
        'hiddenGradientNorms': hidden_norms,
    }


def main():
    generator = torch.Generator().manual_seed(20261124)
    cases = []
    kinds = [('rnn', 'tanh'), ('rnn', 'relu'), ('lstm', 'tanh'), ('gru', 'tanh')]
    index = 0
    for architecture in ['vanilla', 'residual']:
        for cell, nonlinearity in kinds:
            for output in ['last', 'every']:
                for loss_kind in ['cross_entropy', 'mse']:
                    layers = 1 + index % 3
                    index += 1
                    cfg = {'architecture': architecture, 'cell': cell, 'nonlinearity': nonlinearity, 'inputSize': 3,
                           'hiddenSize': 5, 'numLayers': layers, 'outputSize': 4, 'output': output}
                    name = f'{architecture}-{cell}-{nonlinearity}-{output}-{loss_kind}-L{layers}'
                    cases.append(make_case(name, cfg, loss_kind, 4, 6, generator, 0.6))
    deep = [
        ({'architecture': 'vanilla', 'cell': 'rnn', 'nonlinearity': 'tanh', 'numLayers': 20, 'hiddenSize': 8}, 10),
        ({'architecture': 'residual', 'cell': 'rnn', 'nonlinearity': 'relu', 'numLayers': 20, 'hiddenSize': 8}, 10),
        ({'architecture': 'vanilla', 'cell': 'lstm', 'nonlinearity': 'tanh', 'numLayers': 4, 'hiddenSize': 8}, 20),
        ({'architecture': 'vanilla', 'cell': 'gru', 'nonlinearity': 'tanh', 'numLayers': 4, 'hiddenSize': 8}, 20),
    ]
    for partial, steps in deep:
        cfg = {**partial, 'inputSize': 3, 'outputSize': 4, 'output': 'last'}
        name = f"deep-{cfg['architecture']}-{cfg['cell']}-{cfg['nonlinearity']}-L{cfg['numLayers']}-T{steps}"
        # 1/sqrt(H)-sized weights, like PyTorch's default init, keep a 20-layer stack finite.
        cases.append(make_case(name, cfg, 'cross_entropy', 4, steps, generator, 1 / cfg['hiddenSize'] ** 0.5))
    with open(OUT, 'w') as f:
        json.dump(cases, f, separators=(',', ':'))
    print(f'wrote {len(cases)} cases to {os.path.normpath(OUT)} (torch {torch.__version__})', file=sys.stderr)


if __name__ == '__main__':
    main()
