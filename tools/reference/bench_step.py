#!/usr/bin/python3
"""PyTorch reference for `npm run bench`: the same training step as bench/workloads.ts (trainingStep).

One step = zero_grad, forward, F.cross_entropy on the last step's logits, backward, every
parameter's grad.norm(2).item(), SGD step -- on the same models as vanishing (nn.RNN/LSTM/GRU
stack with batch_first=True, or the original's ResidualRNN), float32 on the CPU.

Reads the workloads as JSON on stdin (a list of {id, architecture, cell, nonlinearity, layers,
hidden, batch, steps, input, classes}), times each on 1 and on 2 threads and the single-thread
matrix product, and prints one JSON object on stdout: {torch, blas, workloads: [{id, ms: {"1": ..,
"2": ..}, configs: {"1": .., "2": ..}, everyConfig: {..}}], gemm: [...]}. PyTorch has two thread
pools, its own (torch.set_num_threads: OpenMP, for the elementwise work) and OpenBLAS's (the matrix
products); "n threads" is the best of every choice of the two counts a user with n cores could
make (each at most n, one of them n), `configs` names the one that won and `everyConfig` gives
each choice's time. On 2 cores both pools at 2 spin against each other: in a bench run on a
2-core Xeon B-tanh took 0.80 s a step that way, 0.24 s with torch on 1 thread and OpenBLAS on 2,
0.30 s with both on 1.

Run: /usr/bin/python3 tools/reference/bench_step.py --seconds 1.5 < workloads.json
(needs python3-torch and libopenblas0-pthread: without a BLAS PyTorch falls back to a slow one;
Debian 12's OpenBLAS 0.3.21 does not recognise recent Xeons and runs its SSE3 kernels there unless
OPENBLAS_CORETYPE names the CPU's kind, e.g. SkylakeX -- bench/bench.ts sets it).
"""
import argparse
import ctypes
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def openblas():
    """The OpenBLAS this process mapped (Debian's torch calls libblas.so.3), or None."""
    torch.mm(torch.rand(8, 8), torch.rand(8, 8))
    try:
        with open('/proc/self/maps') as maps:
            paths = {line.split()[-1] for line in maps if 'libopenblas' in line}
        return ctypes.CDLL(sorted(paths)[0]) if paths else None
    except (OSError, IndexError):
        return None


def set_threads(torch_threads, blas_threads, blas=None):
    """torch's threads and OpenBLAS's own pool: torch.set_num_threads alone leaves OpenBLAS on every core."""
    torch.set_num_threads(torch_threads)
    if blas is not None and hasattr(blas, 'openblas_set_num_threads'):
        blas.openblas_set_num_threads(blas_threads)


def thread_configs(n):
    """The (torch, OpenBLAS) thread counts a user with n cores could choose: each at most n, one of them n."""
    return [(k, m) for k in range(1, n + 1) for m in range(1, n + 1) if max(k, m) == n]


def recurrent(cell, nonlinearity, input_size, hidden, layers):
    if cell == 'rnn':
        return nn.RNN(input_size, hidden, layers, nonlinearity=nonlinearity, batch_first=True)
    if cell == 'lstm':
        return nn.LSTM(input_size, hidden, layers, batch_first=True)
    return nn.GRU(input_size, hidden, layers, batch_first=True)


class Vanilla(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.rnn = recurrent(w['cell'], w['nonlinearity'], w['input'], w['hidden'], w['layers'])
        self.fc = nn.Linear(w['hidden'], w['classes'])

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1, :])


class Residual(nn.Module):
    """The original's ResidualRNN: single-layer RNNs, out = out + layer(out) after the first."""

    def __init__(self, w):
        super().__init__()
        h = w['hidden']
        self.rnn_layers = nn.ModuleList(
            [recurrent(w['cell'], w['nonlinearity'], w['input'] if i == 0 else h, h, 1) for i in range(w['layers'])])
        self.fc = nn.Linear(h, w['classes'])

    def forward(self, x):
        out, _ = self.rnn_layers[0](x)
        for layer in self.rnn_layers[1:]:
            y, _ = layer(out)
            out = out + y
        return self.fc(out[:, -1, :])


def time_steps(step, seconds, min_steps=3, warmup=2):
    """Median ms of `step` after a warm-up, over as many steps as fit in `seconds` (at least min_steps)."""
    for _ in range(warmup):
        step()
    times = []
    start = time.perf_counter()
    while len(times) < min_steps or (time.perf_counter() - start < seconds and len(times) < 200):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench_workload(w, threads, seconds, blas):
    torch.manual_seed(0)
    model = (Vanilla if w['architecture'] == 'vanilla' else Residual)(w)
    params = list(model.parameters())
    optimizer = torch.optim.SGD(params, lr=1e-4)
    x = torch.rand(w['batch'], w['steps'], w['input'])
    y = torch.randint(0, w['classes'], (w['batch'],))

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        [p.grad.norm(2).item() for p in params]
        optimizer.step()

    ms, configs, every = {}, {}, {}
    for n in threads:
        for torch_threads, blas_threads in thread_configs(n):
            set_threads(torch_threads, blas_threads, blas)
            # Slow steps (B on two oversubscribed pools takes about a second) get fewer repetitions.
            t = time_steps(step, seconds, min_steps=3 if w['hidden'] < 256 else 2, warmup=1 if w['hidden'] >= 256 else 2)
            config = f'torch {torch_threads}, OpenBLAS {blas_threads}'
            every[config] = t
            if str(n) not in ms or t < ms[str(n)]:
                ms[str(n)] = t
                configs[str(n)] = config
    return ms, configs, every


def bench_gemm(shapes, seconds, blas):
    set_threads(1, 1, blas)
    out = []
    for m, k, n in shapes:
        a, b = torch.rand(m, k), torch.rand(k, n)
        c = torch.empty(m, n)
        for _ in range(20):
            torch.mm(a, b, out=c)
        reps = max(20, int(2e9 / (2 * m * n * k)))
        best = float('inf')
        deadline = time.perf_counter() + seconds
        while True:
            t0 = time.perf_counter()
            for _ in range(reps):
                torch.mm(a, b, out=c)
            best = min(best, (time.perf_counter() - t0) / reps)
            if time.perf_counter() > deadline:
                break
        out.append({'shape': f'{m}x{k}·{k}x{n}', 'gflops': 2 * m * n * k / best / 1e9})
    return out


def cpu_capability():
    """The vector level ATen's own kernels dispatch to (ATEN_CPU_CAPABILITY lowers it), e.g. AVX2."""
    for line in torch.__config__.show().splitlines():
        if 'CPU capability usage:' in line:
            return line.split(':', 1)[1].strip()
    return None


def loaded_blas():
    """The BLAS library this process actually mapped (Debian's torch uses whatever libblas.so.3 points to)."""
    torch.mm(torch.rand(64, 64), torch.rand(64, 64))
    try:
        with open('/proc/self/maps') as maps:
            names = {line.split()[-1] for line in maps if 'blas' in line.lower()}
        return ', '.join(sorted(n.rsplit('/', 1)[-1] for n in names)) or 'none found'
    except OSError:
        return 'unknown'


def blas_provider(loaded):
    """What answers sgemm_ for torch: Debian's torch calls whatever libblas.so.3 points to, which is
    the reference (netlib) BLAS when only libblas3 is installed, even where OpenBLAS's LAPACK (and so
    libopenblas) is loaded beside it. 'OpenBLAS', 'MKL', 'BLIS', 'reference' or 'unknown'.
    A torch that brings its own BLAS (pip's, with MKL inside) has no libblas.so.3 mapped: loading
    one here would name a library torch does not call. `loaded` is loaded_blas()'s answer."""
    if 'libblas.so' not in loaded:
        return 'MKL' if 'mkl' in torch.__config__.show().lower() else 'unknown'
    try:
        library = ctypes.CDLL('libblas.so.3')
    except OSError:
        return 'unknown'
    for symbol, name in (('openblas_get_config', 'OpenBLAS'), ('mkl_get_version', 'MKL'), ('bli_info_get_version_str', 'BLIS')):
        if hasattr(library, symbol):
            return name
    return 'reference'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=1.5, help='timing budget per workload and thread configuration')
    parser.add_argument('--threads', default='1,2', help='thread counts to try, best is reported by the caller')
    args = parser.parse_args()
    workloads = json.load(sys.stdin)
    threads = [int(t) for t in args.threads.split(',')]
    blas = loaded_blas()
    library = openblas()
    results = []
    for w in workloads:
        ms, configs, every = bench_workload(w, threads, args.seconds, library)
        results.append({'id': w['id'], 'ms': ms, 'configs': configs, 'everyConfig': every})
        best = ', '.join(f'{n} thread(s) {ms[n]:.1f} ms ({configs[n]})' for n in ms)
        print(f"pytorch {w['id']}: {best}; every choice: " + ', '.join(f'{c} {t:.1f} ms' for c, t in every.items()), file=sys.stderr, flush=True)
    gemm = bench_gemm([(64, 256, 256), (256, 256, 256), (64, 64, 64)], 0.5, library)
    json.dump({'torch': torch.__version__, 'blas': blas, 'blasProvider': blas_provider(blas), 'capability': cpu_capability(), 'workloads': results, 'gemm': gemm}, sys.stdout)


if __name__ == '__main__':
    main()
