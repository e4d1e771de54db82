"""The PyTorch peer of `gantry bench`: the same networks, losses and optimizers, timed the
same way (median milliseconds per D+G step on random data after a warm-up).

    OMP_NUM_THREADS=1 /usr/bin/python3 bench/pytorch_peer.py --preset dcgan-mnist --batch-size 64 --json
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn
import torch.nn.functional as F


def seed_mlp():
    g = nn.Sequential(nn.Linear(100, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)))
    d = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 1))
    adam = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    return g, d, adam, 32, (0.0, 1.0)


def dcgan_mnist():
    # Keras' batchnorm momentum 0.99 is PyTorch's 0.01; epsilon 1e-3 as in Keras
    g = nn.Sequential(
        nn.Linear(100, 7 * 7 * 128, bias=False), nn.BatchNorm1d(7 * 7 * 128, momentum=0.01, eps=1e-3), nn.ReLU(),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(64, momentum=0.01, eps=1e-3), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1), nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1),
    )
    adam = dict(lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    return g, d, adam, 64, (-1.0, 1.0)


PRESETS = {'seed-mlp': seed_mlp, 'dcgan-mnist': dcgan_mnist}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--preset', default='dcgan-mnist', choices=sorted(PRESETS))
    p.add_argument('--batch-size', type=int)
    p.add_argument('--steps', type=int, default=30)
    p.add_argument('--warmup', type=int, default=5)
    p.add_argument('--json', action='store_true')
    p.add_argument('--channels-last', action='store_true', help='NHWC memory format (routes transposed convs to oneDNN)')
    a = p.parse_args()

    torch.manual_seed(0)
    g, d, adam, batch, (lo, hi) = PRESETS[a.preset]()
    batch = a.batch_size or batch
    opt_g = torch.optim.Adam(g.parameters(), **adam)
    opt_d = torch.optim.Adam(d.parameters(), **adam)
    real = torch.empty(batch, 1, 28, 28).uniform_(lo, hi)
    if a.channels_last:
        g = g.to(memory_format=torch.channels_last)
        d = d.to(memory_format=torch.channels_last)
        real = real.contiguous(memory_format=torch.channels_last)
    times = []
    for i in range(a.warmup + a.steps):
        z_d = torch.randn(batch, 100)
        z_g = torch.randn(batch, 100)
        t0 = time.perf_counter()
        # D step: G's output held fixed
        with torch.no_grad():
            fake = g(z_d)
        loss_d = F.softplus(-d(real)).mean() + F.softplus(d(fake)).mean()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # G step on fresh noise; only G's optimizer steps
        loss_g = F.softplus(-d(g(z_g))).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        ms = (time.perf_counter() - t0) * 1000
        if i >= a.warmup:
            times.append(ms)
    result = {
        'preset': a.preset, 'backend': 'pytorch-' + torch.__version__, 'threads': torch.get_num_threads(),
        'batchSize': batch, 'steps': a.steps, 'channelsLast': a.channels_last,
        'msPerStep': {'median': statistics.median(times), 'min': min(times), 'max': max(times)},
        'imagesPerSecond': 1000 * batch / statistics.median(times),
    }
    if a.json:
        print(json.dumps(result))
    else:
        print(f"{a.preset} batch {batch} on PyTorch {torch.__version__} ({result['threads']} threads): "
              f"median {result['msPerStep']['median']:.2f} ms per D+G step")


if __name__ == '__main__':
    main()
