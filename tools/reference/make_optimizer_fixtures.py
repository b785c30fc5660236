#!/usr/bin/python3
"""Reference optimiser steps and gradient surgery from PyTorch.

Writes test/fixtures/pytorch/optimizers.json: a list of cases
  { name, optimizer: {type, learningRate, momentum?, weightDecay?, beta1?, beta2?, epsilon?},
    clipMaxNorm | null, clipMinNorm | null,
    parameters: [{name, shape, data}],              # initial values
    steps: [{ gradients: {name: [...]},              # the gradient given to this step
              totalNorm,                              # total norm before surgery
              gradientsAfterSurgery: {name: [...]},
              parametersAfter: {name: [...]} }] }
Gradients are fixed inputs (not computed). Everything in float64 on float32 values.
Surgery: torch.nn.utils.clip_grad_norm_(max) and the original's minimum-norm
rescale (grad *= min / (total + 1e-8) when total < min).

Run: /usr/bin/python3 tools/reference/make_optimizer_fixtures.py
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'pytorch', 'optimizers.json')
SHAPES = {'rnn.weight_hh_l0': [3, 3], 'rnn.bias_ih_l0': [3], 'fc.weight': [2, 3]}


def f32(t):
    return t.float().double()


def run(name, optimizer, clip_max, clip_min, generator, gradient_scale):
    params = {n: torch.nn.Parameter(f32(torch.randn(*s, generator=generator))) for n, s in SHAPES.items()}
    initial = {n: p.detach().clone() for n, p in params.items()}
    if optimizer['type'] == 'sgd':
        opt = torch.optim.SGD(params.values(), lr=optimizer['learningRate'], momentum=optimizer.get('momentum', 0),
                              weight_decay=optimizer.get('weightDecay', 0))
    else:
        opt = torch.optim.Adam(params.values(), lr=optimizer['learningRate'],
                               betas=(optimizer.get('beta1', 0.9), optimizer.get('beta2', 0.999)),
                               eps=optimizer.get('epsilon', 1e-8), weight_decay=optimizer.get('weightDecay', 0))
    steps = []
    for _ in range(5):
        grads = {n: f32(torch.randn(*s, generator=generator) * gradient_scale) for n, s in SHAPES.items()}
        for n, p in params.items():
            p.grad = grads[n].clone()
        total = torch.sqrt(sum((p.grad ** 2).sum() for p in params.values())).item()
        if clip_max is not None:
            returned = torch.nn.utils.clip_grad_norm_(params.values(), clip_max).item()
            assert abs(returned - total) <= 1e-12 * total
        if clip_min is not None and total < clip_min:
            for p in params.values():
                p.grad.mul_(clip_min / (total + 1e-8))
        after_surgery = {n: p.grad.reshape(-1).tolist() for n, p in params.items()}
        opt.step()
        steps.append({
            'gradients': {n: g.reshape(-1).tolist() for n, g in grads.items()},
            'totalNorm': total,
            'gradientsAfterSurgery': after_surgery,
            'parametersAfter': {n: p.detach().reshape(-1).tolist() for n, p in params.items()},
        })
    return {
        'name': name, 'optimizer': optimizer, 'clipMaxNorm': clip_max, 'clipMinNorm': clip_min,
        'parameters': [{'name': n, 'shape': s, 'data': initial[n].reshape(-1).tolist()} for n, s in SHAPES.items()],
        'steps': steps,
    }


def main():
    generator = torch.Generator().manual_seed(7)
    cases = [
        run('sgd', {'type': 'sgd', 'learningRate': 0.1}, None, None, generator, 1.0),
        run('sgd-momentum', {'type': 'sgd', 'learningRate': 0.1, 'momentum': 0.9}, None, None, generator, 1.0),
        run('sgd-momentum-weight-decay', {'type': 'sgd', 'learningRate': 0.1, 'momentum': 0.9, 'weightDecay': 1e-3}, None, None, generator, 1.0),
        run('adam', {'type': 'adam', 'learningRate': 0.01}, None, None, generator, 1.0),
        run('adam-weight-decay', {'type': 'adam', 'learningRate': 0.01, 'weightDecay': 1e-2}, None, None, generator, 1.0),
        run('sgd-clip-max', {'type': 'sgd', 'learningRate': 0.1, 'momentum': 0.9}, 0.5, None, generator, 1.0),
        run('sgd-min-rescale', {'type': 'sgd', 'learningRate': 0.1}, None, 1.0, generator, 1e-4),
    ]
    with open(OUT, 'w') as f:
        json.dump(cases, f, separators=(',', ':'))
    print(f'wrote {len(cases)} cases to {os.path.normpath(OUT)} (torch {torch.__version__})')


if __name__ == '__main__':
    main()
