"""Trains the PyTorch peer of a Gantry preset on the same data and writes samples, so both
can be scored by the same metric code (`gantry eval --npy FILE --data mnist`).

    node bench/export-data.js mnist /tmp/mnist.npy
    OMP_NUM_THREADS=1 /usr/bin/python3 bench/pytorch_train.py --preset dcgan-mnist --data /tmp/mnist.npy \
        --steps 3000 --out /tmp/torch-dcgan.npy
    node packages/gantry/bin/gantry.js eval --npy /tmp/torch-dcgan.npy --data mnist

Same networks, losses, optimizers, batch size and number of steps as the preset; weights
start Glorot-uniform with zero biases as in Gantry (and Keras).
"""
import argparse
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from pytorch_peer import dcgan_mnist


def wgan_gp_mnist():
    g, d, _, batch, rng = dcgan_mnist()
    return g, d, dict(lr=1e-4, betas=(0.5, 0.9), eps=1e-7), batch, rng


PRESETS = {'dcgan-mnist': (dcgan_mnist, 'non-saturating', 1), 'wgan-gp-mnist': (wgan_gp_mnist, 'wgan-gp', 5)}


def glorot(module):
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--preset', default='dcgan-mnist', choices=sorted(PRESETS))
    p.add_argument('--data', required=True)
    p.add_argument('--steps', type=int, default=3000)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--n', type=int, default=2000)
    p.add_argument('--out', required=True)
    a = p.parse_args()

    torch.manual_seed(a.seed)
    build, loss, d_steps = PRESETS[a.preset]
    g, d, adam, batch, (lo, hi) = build()
    g.apply(glorot)
    d.apply(glorot)
    opt_g = torch.optim.Adam(g.parameters(), **adam)
    opt_d = torch.optim.Adam(d.parameters(), **adam)
    x01 = np.load(a.data).astype(np.float32)            # [N, 28, 28, 1] in [0, 1]
    data = torch.from_numpy(x01).permute(0, 3, 1, 2) * (hi - lo) + lo
    per_epoch = data.shape[0] // batch
    order, index = None, 0
    t0 = time.perf_counter()
    for step in range(a.steps):
        for _ in range(d_steps):
            if index % per_epoch == 0:
                order = torch.randperm(data.shape[0])
            real = data[order[(index % per_epoch) * batch:(index % per_epoch + 1) * batch]]
            index += 1
            with torch.no_grad():
                fake = g(torch.randn(batch, 100))
            if loss == 'wgan-gp':
                loss_d = d(fake).mean() - d(real).mean()
                e = torch.rand(batch, 1, 1, 1)
                mixed = (e * real + (1 - e) * fake).requires_grad_(True)
                grad, = torch.autograd.grad(d(mixed).sum(), mixed, create_graph=True)
                norm = torch.sqrt(grad.pow(2).sum(dim=(1, 2, 3)) + 1e-12)
                loss_d = loss_d + 10 * ((norm - 1) ** 2).mean()
            else:
                loss_d = F.softplus(-d(real)).mean() + F.softplus(d(fake)).mean()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        out = d(g(torch.randn(batch, 100)))
        loss_g = -out.mean() if loss == 'wgan-gp' else F.softplus(-out).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if (step + 1) % 500 == 0:
            print(f'step {step + 1}: L_D {loss_d.item():.4f} L_G {loss_g.item():.4f} ({time.perf_counter() - t0:.0f} s)', flush=True)
    g.eval()
    with torch.no_grad():
        x = g(torch.randn(a.n, 100))
    x01 = ((x - lo) / (hi - lo)).clamp(0, 1).permute(0, 2, 3, 1).contiguous().numpy().astype('<f4')
    np.save(a.out, x01)
    print(f'{a.steps} steps in {time.perf_counter() - t0:.0f} s; wrote {a.n} samples to {a.out}')


if __name__ == '__main__':
    main()
