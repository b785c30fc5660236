#!/usr/bin/python3
"""Statistics of PyTorch's initialisations, for vanishing's init tests.

Writes test/fixtures/pytorch/init-stats.json:
  { torch, config: {inputSize, hiddenSize, numLayers, outputSize}, seeds,
    stats: { "<cell>/<scheme>": { "<param name>": {mean, std, min, max, orthogonality} } } }
averaged over `seeds` seeds. orthogonality = ||QᵀQ − I||_F/√cols (tall) or ||QQᵀ − I||_F/√rows
(wide) for 2-D weights, null for biases. Schemes follow the original program:
default (PyTorch's own), xavier (weight_ih xavier_uniform_, weight_hh orthogonal_, biases 0,
fc xavier_uniform_ + zero bias), he (kaiming_uniform_ fan_in relu instead of xavier),
orthogonal (all RNN weights orthogonal_, RNN biases 0, fc default), identity (rnn only:
weight_hh eye_, weight_ih normal std 0.001, RNN biases 0, fc default).

Run: /usr/bin/python3 tools/reference/make_init_stats.py
"""
import json
import os

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'pytorch', 'init-stats.json')
CONFIG = {'inputSize': 28, 'hiddenSize': 64, 'numLayers': 2, 'outputSize': 10}
SEEDS = 20


class Net(nn.Module):
    def __init__(self, cell):
        super().__init__()
        kind = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}[cell]
        self.rnn = kind(CONFIG['inputSize'], CONFIG['hiddenSize'], CONFIG['numLayers'], batch_first=True)
        self.fc = nn.Linear(CONFIG['hiddenSize'], CONFIG['outputSize'])


def initialise(net, scheme):
    if scheme == 'default':
        return
    for name, p in net.rnn.named_parameters():
        if 'bias' in name:
            nn.init.zeros_(p)
        elif 'weight_hh' in name:
            if scheme == 'identity':
                nn.init.eye_(p)
            else:
                nn.init.orthogonal_(p)
        else:
            if scheme == 'xavier':
                nn.init.xavier_uniform_(p)
            elif scheme == 'he':
                nn.init.kaiming_uniform_(p, mode='fan_in', nonlinearity='relu')
            elif scheme == 'orthogonal':
                nn.init.orthogonal_(p)
            else:
                nn.init.normal_(p, std=0.001)
    if scheme == 'xavier':
        nn.init.xavier_uniform_(net.fc.weight)
        nn.init.zeros_(net.fc.bias)
    elif scheme == 'he':
        nn.init.kaiming_uniform_(net.fc.weight, mode='fan_in', nonlinearity='relu')
        nn.init.zeros_(net.fc.bias)


def orthogonality(w):
    if w.dim() != 2:
        return None
    rows, cols = w.shape
    gram = w.T @ w if rows >= cols else w @ w.T
    n = gram.shape[0]
    return (torch.linalg.norm(gram - torch.eye(n)) / n ** 0.5).item()


def main():
    stats = {}
    for cell in ['rnn', 'lstm', 'gru']:
        for scheme in ['default', 'xavier', 'he', 'orthogonal', 'identity']:
            if scheme == 'identity' and cell != 'rnn':
                continue
            sums = {}
            for seed in range(SEEDS):
                torch.manual_seed(seed)
                net = Net(cell)
                with torch.no_grad():
                    initialise(net, scheme)
                for name, p in net.named_parameters():
                    w = p.detach().double()
                    entry = {'mean': w.mean().item(), 'std': w.std(unbiased=False).item(), 'min': w.min().item(),
                             'max': w.max().item(), 'orthogonality': orthogonality(w)}
                    acc = sums.setdefault(name, {k: 0.0 for k in entry})
                    for k, v in entry.items():
                        acc[k] = None if v is None else acc[k] + v / SEEDS
            stats[f'{cell}/{scheme}'] = sums
    with open(OUT, 'w') as f:
        json.dump({'torch': torch.__version__, 'config': CONFIG, 'seeds': SEEDS, 'stats': stats}, f, indent=1)
    print(f'wrote {os.path.normpath(OUT)}')


if __name__ == '__main__':
    main()
