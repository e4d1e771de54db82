"""The PyTorch peer of `gantry bench`: the same networks, losses, optimizers and per-step extras
(spectral norm, EMA of G, DiffAugment, class labels), timed the same way (median milliseconds per
D+G step on random data after a warm-up).

    OMP_NUM_THREADS=1 /usr/bin/python3 bench/pytorch_peer.py --preset dcgan-mnist --batch-size 64 --json
"""
import argparse
import copy
import json
import resource
import statistics
import time

import torch
from torch import nn
import torch.nn.functional as F

SN = nn.utils.spectral_norm


def bn1d(n):
    # Keras' batchnorm momentum 0.99 is PyTorch's 0.01; epsilon 1e-3 as in Keras
    return nn.BatchNorm1d(n, momentum=0.01, eps=1e-3)


def bn2d(n):
    return nn.BatchNorm2d(n, momentum=0.01, eps=1e-3)


def keras_adam(lr, b1, b2):
    return dict(lr=lr, betas=(b1, b2), eps=1e-7)


def preset(g, d, adam_g, batch, shape, latent=100, adam_d=None, loss='non-saturating', ema=False, augment=(), classes=0,
           d_steps=1, gradient_penalty=0.0):
    return dict(g=g, d=d, adam_g=adam_g, adam_d=adam_d or adam_g, batch=batch, shape=shape, latent=latent,
                loss=loss, ema=ema, augment=augment, classes=classes, d_steps=d_steps, gradient_penalty=gradient_penalty)


def seed_mlp():
    g = nn.Sequential(nn.Linear(100, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)))
    d = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 1))
    return preset(g, d, keras_adam(1e-3, 0.9, 0.999), 32, (1, 28, 28))


def dcgan_g():
    return nn.Sequential(
        nn.Linear(100, 7 * 7 * 128, bias=False), bn1d(7 * 7 * 128), nn.ReLU(),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1, bias=False), bn2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1), nn.Tanh(),
    )


def dcgan_mnist():
    d = nn.Sequential(
        nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1),
    )
    return preset(dcgan_g(), d, keras_adam(2e-4, 0.5, 0.999), 64, (1, 28, 28))


def dcgan_d_features():
    return nn.Sequential(
        nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Flatten(),
    )


def wgan_gp_mnist():
    d = nn.Sequential(dcgan_d_features(), nn.Linear(128 * 7 * 7, 1))
    return preset(dcgan_g(), d, keras_adam(1e-4, 0.5, 0.9), 64, (1, 28, 28), loss='wasserstein', d_steps=5, gradient_penalty=10.0)


def cgan_mnist():
    g = dcgan_g()
    g[0] = nn.Linear(150, 7 * 7 * 128, bias=False)
    return preset(LabelConcatG(g, 10), ProjectionD(dcgan_d_features(), 128 * 7 * 7, 10), keras_adam(2e-4, 0.5, 0.999), 64, (1, 28, 28), classes=10)


def hinge_sngan_mnist():
    d = nn.Sequential(
        SN(nn.Conv2d(1, 64, 4, stride=2, padding=1)), nn.LeakyReLU(0.1),
        SN(nn.Conv2d(64, 128, 4, stride=2, padding=1)), nn.LeakyReLU(0.1),
        nn.Flatten(), SN(nn.Linear(128 * 7 * 7, 1)),
    )
    return preset(dcgan_g(), d, keras_adam(1e-4, 0.0, 0.9), 64, (1, 28, 28), adam_d=keras_adam(4e-4, 0.0, 0.9), loss='hinge')


class ResBlockUp(nn.Module):
    """BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3, plus a 1x1 shortcut, as Gantry's resBlockUp."""

    def __init__(self, cin, cout):
        super().__init__()
        self.bn1, self.bn2 = bn2d(cin), bn2d(cout)
        self.conv1, self.conv2 = nn.Conv2d(cin, cout, 3, padding=1), nn.Conv2d(cout, cout, 3, padding=1)
        self.shortcut = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        h = F.interpolate(F.relu(self.bn1(x)), scale_factor=2, mode='nearest')
        h = self.conv2(F.relu(self.bn2(self.conv1(h))))
        return h + F.interpolate(self.shortcut(x), scale_factor=2, mode='nearest')


class ResBlockDown(nn.Module):
    """(ReLU)-conv3x3-ReLU-conv3x3-avgpool, plus a 1x1 shortcut, spectrally normalised, as Gantry's resBlockDown."""

    def __init__(self, cin, cout, preactivation=True):
        super().__init__()
        self.pre = preactivation
        self.conv1, self.conv2 = SN(nn.Conv2d(cin, cout, 3, padding=1)), SN(nn.Conv2d(cout, cout, 3, padding=1))
        self.shortcut = SN(nn.Conv2d(cin, cout, 1))

    def forward(self, x):
        h = F.relu(x) if self.pre else x
        h = F.avg_pool2d(self.conv2(F.relu(self.conv1(h))), 2)
        return h + self.shortcut(F.avg_pool2d(x, 2))


def resnet(start, g_blocks, d_blocks, latent):
    """G: dense to 4x4xstart, an up-block per entry of g_blocks; D: a down-block per entry of d_blocks."""
    g = nn.Sequential(
        nn.Linear(latent, 4 * 4 * start), nn.Unflatten(1, (start, 4, 4)),
        *[ResBlockUp(a, b) for a, b in zip([start] + g_blocks[:-1], g_blocks)],
        bn2d(g_blocks[-1]), nn.ReLU(), nn.Conv2d(g_blocks[-1], 3, 3, padding=1), nn.Tanh(),
    )
    d = nn.Sequential(
        *[ResBlockDown(a, b, preactivation=i > 0) for i, (a, b) in enumerate(zip([3] + d_blocks[:-1], d_blocks))],
        nn.ReLU(), SumPool(), SN(nn.Linear(d_blocks[-1], 1)),
    )
    return g, d


class SumPool(nn.Module):
    def forward(self, x):
        return x.sum(dim=(2, 3))


def resnet_folder32():
    g, d = resnet(128, [128, 128, 128], [128, 128, 128], 128)
    return preset(g, d, keras_adam(2e-4, 0.0, 0.9), 32, (3, 32, 32), latent=128, loss='hinge', ema=True, augment=('translation', 'cutout'))


def sngan64():
    g, d = resnet(128, [128, 64, 32, 16], [16, 32, 64, 128], 128)
    return preset(g, d, keras_adam(2e-4, 0.0, 0.9), 32, (3, 64, 64), latent=128, loss='hinge', ema=True, augment=('translation', 'cutout'))


DCGAN64_AUGMENT = ('color', 'translation', 'cutout')


def dcgan64_nets():
    def up(cin, cout):
        return [nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False), bn2d(cout), nn.ReLU()]

    def down(cin, cout, norm):
        return [nn.Conv2d(cin, cout, 4, stride=2, padding=1, bias=not norm), *([bn2d(cout)] if norm else []), nn.LeakyReLU(0.2)]

    g = nn.Sequential(
        nn.Linear(100, 4 * 4 * 256, bias=False), bn1d(4 * 4 * 256), nn.ReLU(), nn.Unflatten(1, (256, 4, 4)),
        *up(256, 128), *up(128, 64), *up(64, 32), nn.ConvTranspose2d(32, 3, 4, stride=2, padding=1), nn.Tanh(),
    )
    features = nn.Sequential(*down(3, 32, False), *down(32, 64, True), *down(64, 128, True), *down(128, 256, True), nn.Flatten())
    return g, features


def dcgan64():
    g, features = dcgan64_nets()
    return preset(g, nn.Sequential(features, nn.Linear(4 * 4 * 256, 1)), keras_adam(2e-4, 0.5, 0.999), 64, (3, 64, 64),
                  augment=DCGAN64_AUGMENT)


class LabelConcatG(nn.Module):
    """G with a learned label embedding joined to z, as Gantry's labelConcat."""

    def __init__(self, g, classes, width=50):
        super().__init__()
        self.embed, self.g = nn.Embedding(classes, width), g

    def forward(self, z, y):
        return self.g(torch.cat([z, self.embed(y)], dim=1))


class ProjectionD(nn.Module):
    """D features h, then h w + b + <embed(y), h> (Miyato and Koyama), as Gantry's projection."""

    def __init__(self, features, width, classes):
        super().__init__()
        self.features, self.linear, self.embed = features, nn.Linear(width, 1), nn.Embedding(classes, width)

    def forward(self, x, y):
        h = self.features(x)
        return self.linear(h) + (self.embed(y) * h).sum(dim=1, keepdim=True)


def cgan_emoji():
    g, features = dcgan64_nets()
    g[0] = nn.Linear(150, 4 * 4 * 256, bias=False)
    return preset(LabelConcatG(g, 10), ProjectionD(features, 4 * 4 * 256, 10), keras_adam(2e-4, 0.5, 0.999), 64, (3, 64, 64),
                  classes=10, augment=DCGAN64_AUGMENT)


PRESETS = {
    'seed-mlp': seed_mlp, 'dcgan-mnist': dcgan_mnist, 'hinge-sngan-mnist': hinge_sngan_mnist,
    'resnet-folder32': resnet_folder32, 'dcgan64': dcgan64, 'sngan64': sngan64, 'cgan-emoji': cgan_emoji,
    'wgan-gp-mnist': wgan_gp_mnist, 'cgan-mnist': cgan_mnist,
}


def color(x):
    """Brightness, saturation and contrast, each with a random factor per image (as Gantry's DiffAugment op)."""
    b = x.shape[0]
    x = x + (torch.rand(b, 1, 1, 1) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (torch.rand(b, 1, 1, 1) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(b, 1, 1, 1) + 0.5) + mean


def translation(x, ratio=0.125):
    """Shift each image by up to ratio of its size, filling with zeros (as Gantry's DiffAugment op)."""
    b, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sh, sh + 1, (b, 1, 1))
    dx = torch.randint(-sw, sw + 1, (b, 1, 1))
    rows = (torch.arange(h).view(1, h, 1) - dy).clamp(-1, h)  # -1 and h land on the zero border
    cols = (torch.arange(w).view(1, 1, w) - dx).clamp(-1, w)
    padded = F.pad(x, (1, 1, 1, 1))
    idx = (rows + 1) * (w + 2) + (cols + 1)  # [b, h, w] into the padded plane
    flat = padded.flatten(2)
    return flat.gather(2, idx.flatten(1).unsqueeze(1).expand(-1, x.shape[1], -1)).view_as(x)


def cutout(x, ratio=0.5):
    """Zero one square of half the image's size per image, at a random place."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h + 1 - ch % 2, (b, 1, 1))
    cx = torch.randint(0, w + 1 - cw % 2, (b, 1, 1))
    ys = torch.arange(h).view(1, h, 1)
    xs = torch.arange(w).view(1, 1, w)
    keep = ~(((ys - cy).abs() < ch // 2 + 1) & ((xs - cx).abs() < cw // 2 + 1))
    return x * keep.unsqueeze(1).to(x.dtype)


AUGMENT = {'color': color, 'translation': translation, 'cutout': cutout}


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
    s = PRESETS[a.preset]()
    g, d = s['g'], s['d']
    batch = a.batch_size or s['batch']
    opt_g = torch.optim.Adam(g.parameters(), **s['adam_g'])
    opt_d = torch.optim.Adam(d.parameters(), **s['adam_d'])
    real = torch.empty(batch, *s['shape']).uniform_(-1.0, 1.0)
    if a.channels_last:
        g = g.to(memory_format=torch.channels_last)
        d = d.to(memory_format=torch.channels_last)
        real = real.contiguous(memory_format=torch.channels_last)
    g_ema = copy.deepcopy(g).eval() if s['ema'] else None
    classes = s['classes']

    def aug(x):
        for op in s['augment']:
            x = AUGMENT[op](x)
        return x

    def gen(z, y):
        return g(z, y) if classes else g(z)

    def disc(x, y):
        x = aug(x)
        return d(x, y) if classes else d(x)

    if s['loss'] == 'hinge':
        def loss_d_of(real_logits, fake_logits):
            return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()

        def loss_g_of(fake_logits):
            return -fake_logits.mean()
    elif s['loss'] == 'wasserstein':
        def loss_d_of(real_logits, fake_logits):
            return fake_logits.mean() - real_logits.mean()

        def loss_g_of(fake_logits):
            return -fake_logits.mean()
    else:
        def loss_d_of(real_logits, fake_logits):
            return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()

        def loss_g_of(fake_logits):
            return F.softplus(-fake_logits).mean()

    def penalty(fake, y):
        # WGAN-GP: (||grad D(mix)|| - 1)^2 on random mixes of real and fake
        e = torch.rand(batch, *([1] * (real.dim() - 1)))
        mix = (e * real + (1 - e) * fake).requires_grad_(True)
        grad, = torch.autograd.grad(disc(mix, y).sum(), mix, create_graph=True)
        return ((grad.flatten(1).pow(2).sum(1) + 1e-12).sqrt() - 1).pow(2).mean()

    times = []
    for i in range(a.warmup + a.steps):
        z_g = torch.randn(batch, s['latent'])
        y_real, y_d, y_g = (torch.randint(0, classes, (batch,)) for _ in range(3)) if classes else (None, None, None)
        t0 = time.perf_counter()
        for _ in range(s['d_steps']):
            # D step: G's output held fixed
            z_d = torch.randn(batch, s['latent'])
            with torch.no_grad():
                fake = gen(z_d, y_d)
            loss_d = loss_d_of(disc(real, y_real), disc(fake, y_d))
            if s['gradient_penalty']:
                loss_d = loss_d + s['gradient_penalty'] * penalty(fake, y_real)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        # G step on fresh noise; only G's optimizer steps
        loss_g = loss_g_of(disc(gen(z_g, y_g), y_g))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if g_ema is not None:
            with torch.no_grad():
                for pe, pg in zip(g_ema.parameters(), g.parameters()):
                    pe.lerp_(pg, 1 - 0.999)
        ms = (time.perf_counter() - t0) * 1000
        if i >= a.warmup:
            times.append(ms)
    result = {
        'preset': a.preset, 'backend': 'pytorch-' + torch.__version__, 'threads': torch.get_num_threads(),
        'batchSize': batch, 'steps': a.steps, 'channelsLast': a.channels_last,
        'msPerStep': {'median': statistics.median(times), 'min': min(times), 'max': max(times)},
        'imagesPerSecond': 1000 * batch / statistics.median(times),
        'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if a.json:
        print(json.dumps(result))
    else:
        print(f"{a.preset} batch {batch} on PyTorch {torch.__version__} ({result['threads']} threads): "
              f"median {result['msPerStep']['median']:.2f} ms per D+G step")


if __name__ == '__main__':
    main()
