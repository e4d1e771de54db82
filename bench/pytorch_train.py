"""Trains the PyTorch peer of a Gantry preset on the same data and writes samples, so both
can be scored by the same metric code (`gantry eval --npy FILE --data mnist`).

    node bench/export-data.js mnist /tmp/mnist.npy
    OMP_NUM_THREADS=1 /usr/bin/python3 bench/pytorch_train.py --preset dcgan-mnist --data /tmp/mnist.npy \
        --steps 3000 --out /tmp/torch-dcgan.npy
    node packages/gantry/bin/gantry.js eval --npy /tmp/torch-dcgan.npy --data mnist

dcgan-mnist, wgan-gp-mnist and dcgan64 are the same networks, losses, optimizers and batch size as
the Gantry preset; their weights start Glorot-uniform with zero biases as in Gantry (and Keras).
dcgan64-examples is the 64x64 DCGAN as PyTorch's own example trains it (twice dcgan64's widths),
the peer for colour quality on emoji (`node bench/export-data.js emoji /tmp/emoji.npy`).
Every step draws fresh noise for G's update, as the tutorial's loop does. --minutes stops the
run on time instead of steps.
"""
import argparse
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from pytorch_peer import AUGMENT, dcgan_mnist, dcgan64 as gantry_dcgan64


def glorot(module):
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def normal_kernels(module):
    """Gantry's init {"kind": "normal", "std": 0.02}: every kernel N(0, 0.02), biases 0, batchnorm as built."""
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def dcgan_init(module):
    """The DCGAN paper's start: conv weights N(0, 0.02), batchnorm scale N(1, 0.02), shift 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def same_as_gantry(s, adam=None, start=glorot):
    """A preset of pytorch_peer.py (Gantry's networks, layer for layer, and its DiffAugment ops), pixels in
    [-1, 1], the preset's start (Glorot unless it says otherwise)."""
    return s['g'], s['d'], adam or s['adam_g'], s['batch'], (-1.0, 1.0), start, s['augment']


def wgan_gp_mnist():
    return same_as_gantry(dcgan_mnist(), dict(lr=1e-4, betas=(0.5, 0.9), eps=1e-7))


def dcgan64_examples():
    """The 64x64 DCGAN as PyTorch's own example trains it: ngf = ndf = 64, so G 512-256-128-64 and
    D 64-128-256-512 (twice dcgan64's widths, half the paper's), PyTorch's batchnorm defaults,
    N(0, 0.02) start, Adam 2e-4 (0.5, 0.999), batch 64."""
    def up(cin, cout, k=4, s=2, p=1):
        return [nn.ConvTranspose2d(cin, cout, k, s, p, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]

    def down(cin, cout, norm=True):
        return [nn.Conv2d(cin, cout, 4, 2, 1, bias=False), *([nn.BatchNorm2d(cout)] if norm else []), nn.LeakyReLU(0.2, True)]

    g = nn.Sequential(nn.Unflatten(1, (100, 1, 1)), *up(100, 512, 4, 1, 0), *up(512, 256), *up(256, 128), *up(128, 64),
                      nn.ConvTranspose2d(64, 3, 4, 2, 1, bias=False), nn.Tanh())
    d = nn.Sequential(*down(3, 64, False), *down(64, 128), *down(128, 256), *down(256, 512),
                      nn.Conv2d(512, 1, 4, 1, 0, bias=False), nn.Flatten())
    return g, d, dict(lr=2e-4, betas=(0.5, 0.999)), 64, (-1.0, 1.0), dcgan_init, ()


PRESETS = {
    'dcgan-mnist': (lambda: same_as_gantry(dcgan_mnist()), 'non-saturating', 1),
    'wgan-gp-mnist': (wgan_gp_mnist, 'wgan-gp', 5),
    'dcgan64': (lambda: same_as_gantry(gantry_dcgan64(), start=normal_kernels), 'non-saturating', 1), 'dcgan64-examples': (dcgan64_examples, 'non-saturating', 1),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--preset', default='dcgan-mnist', choices=sorted(PRESETS))
    p.add_argument('--data', required=True)
    p.add_argument('--steps', type=int, default=3000)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--n', type=int, default=2000)
    p.add_argument('--out', required=True)
    p.add_argument('--minutes', type=float, help='stop after this many minutes of training, at the end of a step')
    p.add_argument('--augment', help="DiffAugment ops on everything D sees, e.g. color,translation,cutout (default: the preset's)")
    a = p.parse_args()

    torch.manual_seed(a.seed)
    build, loss, d_steps = PRESETS[a.preset]
    g, d, adam, batch, (lo, hi), init, ops = build()
    if a.augment is not None:
        ops = tuple(op for op in a.augment.split(',') if op)
    unknown = [op for op in ops if op not in AUGMENT]
    if unknown:
        p.error(f"unknown augment op {unknown[0]}; use {', '.join(AUGMENT)}")

    def aug(x):
        for op in ops:
            x = AUGMENT[op](x)
        return x

    g.apply(init)
    d.apply(init)
    opt_g = torch.optim.Adam(g.parameters(), **adam)
    opt_d = torch.optim.Adam(d.parameters(), **adam)
    x01 = np.load(a.data).astype(np.float32)            # [N, H, W, C] in [0, 1]
    data = torch.from_numpy(x01).permute(0, 3, 1, 2) * (hi - lo) + lo
    per_epoch = data.shape[0] // batch
    order, index = None, 0
    t0 = time.perf_counter()
    done = 0
    for step in range(a.steps):
        if a.minutes is not None and time.perf_counter() - t0 > a.minutes * 60:
            break
        for _ in range(d_steps):
            if index % per_epoch == 0:
                order = torch.randperm(data.shape[0])
            real = data[order[(index % per_epoch) * batch:(index % per_epoch + 1) * batch]]
            index += 1
            with torch.no_grad():
                fake = g(torch.randn(batch, 100))
            if loss == 'wgan-gp':
                loss_d = d(aug(fake)).mean() - d(aug(real)).mean()
                e = torch.rand(batch, 1, 1, 1)
                mixed = (e * real + (1 - e) * fake).requires_grad_(True)
                grad, = torch.autograd.grad(d(aug(mixed)).sum(), mixed, create_graph=True)
                norm = torch.sqrt(grad.pow(2).sum(dim=(1, 2, 3)) + 1e-12)
                loss_d = loss_d + 10 * ((norm - 1) ** 2).mean()
            else:
                loss_d = F.softplus(-d(aug(real))).mean() + F.softplus(d(aug(fake))).mean()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        out = d(aug(g(torch.randn(batch, 100))))
        loss_g = -out.mean() if loss == 'wgan-gp' else F.softplus(-out).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        done = step + 1
        if (step + 1) % 100 == 0:
            print(f'step {step + 1}: L_D {loss_d.item():.4f} L_G {loss_g.item():.4f} ({time.perf_counter() - t0:.0f} s)', flush=True)
    g.eval()
    with torch.no_grad():
        x = g(torch.randn(a.n, 100))
    x01 = ((x - lo) / (hi - lo)).clamp(0, 1).permute(0, 2, 3, 1).contiguous().numpy().astype('<f4')
    np.save(a.out, x01)
    print(f'{done} steps in {time.perf_counter() - t0:.0f} s; wrote {a.n} samples to {a.out}')


if __name__ == '__main__':
    main()
