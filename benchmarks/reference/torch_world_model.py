"""Our world model (models/) written again in PyTorch, layer for layer and term for term.

This is the speed reference and the numerical cross-check. It mirrors
models/world_model.cpp, models/rssm.cpp, models/encoders.cpp, models/decoders.cpp and the
distributions they use; module names equal our state-dict keys, so one safetensors file
written by aime (`train_step --dump`) loads here with `load_state_dict(strict=True)`.

It reads like PyTorch code of the original (aime/models/*.py) would: eager ops, the filter
as a Python loop over time, one module call per layer. That is the point: it is what a
PyTorch user runs, and what aime must beat.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
TANH_CLIP = 0.999  # distributions/tanh_normal.h


# ---------------------------------------------------------------------------------------
# Configuration: WorldModelConfig (models/world_model.h), from a checkpoint's metadata or
# from WorldModelConfig::original.
# ---------------------------------------------------------------------------------------
def parse_sensors(text):
    out = []
    for item in filter(None, text.split(",")):
        name, dims = item.split(":")
        out.append((name, tuple(int(d) for d in dims.split("x"))))
    return out


def sensors_text(sensors):
    return ",".join(n + ":" + "x".join(str(d) for d in s) for n, s in sensors)


def config_from_metadata(meta):
    g = lambda k: meta["world_model." + k]
    return dict(
        model=g("model"), inputs=parse_sensors(g("inputs")), outputs=parse_sensors(g("outputs")),
        probes=parse_sensors(g("probes")), action_size=int(g("action_size")),
        deterministic_size=int(g("deterministic_size")), stochastic_size=int(g("stochastic_size")),
        hidden_size=int(g("hidden_size")), hidden_layers=int(g("hidden_layers")), min_std=float(g("min_std")),
        nll_reweight=g("nll_reweight"), kl_scale=float(g("kl_scale")), free_nats=float(g("free_nats")),
        kl_rebalance=float(g("kl_rebalance")), idm=g("idm") == "detach",
        head_hidden_size=int(g("head_hidden_size")), head_hidden_layers=int(g("head_hidden_layers")),
        head_layer_norm=g("head_layer_norm") == "1", head_activation=g("head_activation"),
        stochastic_vector_decoder=g("stochastic_vector_decoder") == "1", cnn_width=int(meta.get("world_model.cnn_width", "32")))


def original_config(model, setup, sensors, action_size):
    """WorldModelConfig::original: the original's effective defaults per model and setup."""
    images = [s for s in sensors if len(s[1]) == 3]
    first = [s for s in sensors if len(s[1]) != 3 and s[0] != "velocity"]
    second = [s for s in sensors if len(s[1]) != 3 and s[0] == "velocity"]
    vectors = first + second
    if setup == "visual":
        inputs, probes = images, vectors
    elif setup == "lpomdp":
        inputs, probes = first, second
    else:
        inputs, probes = vectors, []
    c = dict(model=model, inputs=inputs, outputs=inputs, probes=probes, action_size=action_size,
             deterministic_size=512, stochastic_size=128 if model == "rssm" else 30,
             hidden_size=128 if model == "rssm" else 512, hidden_layers=2,
             min_std=1e-6 if model == "rssm" else 0.1, nll_reweight="dim_wise", kl_scale=1.0, free_nats=0.0,
             kl_rebalance=-1.0, idm=True, head_hidden_size=128, head_hidden_layers=2, head_layer_norm=False,
             head_activation="elu", stochastic_vector_decoder=True, cnn_width=32)
    if model == "rssmo":
        c.update(nll_reweight="none", free_nats=1.0, kl_rebalance=0.8, head_hidden_size=512, head_layer_norm=True,
                 head_activation="silu", stochastic_vector_decoder=False)
    return c


# ---------------------------------------------------------------------------------------
# Layers: nn::MLP (nn/mlp.cpp), the original's builder.
# ---------------------------------------------------------------------------------------
def activation(name):
    return {"relu": nn.ReLU, "elu": nn.ELU, "silu": nn.SiLU, "swish": nn.SiLU, "tanh": nn.Tanh,
            "sigmoid": nn.Sigmoid, "softplus": nn.Softplus}[name]()


def mlp(in_features, out_features, hidden_size, hidden_layers, layer_norm=False, act="elu", have_head=True):
    layers, width = [], in_features
    for _ in range(hidden_layers):
        layers.append(nn.Linear(width, hidden_size))
        if layer_norm:
            layers.append(nn.LayerNorm(hidden_size))
        layers.append(activation(act))
        width = hidden_size
    if have_head:
        layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


class Normal:
    """distributions/normal.h: loc, scale, log_prob, rsample from given noise."""

    def __init__(self, loc, scale):
        self.loc, self.scale = loc, scale

    def log_prob(self, x):
        return -(x - self.loc) ** 2 / (2.0 * self.scale ** 2) - torch.log(self.scale) - HALF_LOG_2PI

    def detach(self):
        return Normal(self.loc.detach(), self.scale.detach())


def kl_normal(p, q):
    var_ratio = (p.scale / q.scale) ** 2
    mean_term = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + mean_term - 1.0 - torch.log(var_ratio))


def kl_balance(q, p, alpha):
    return alpha * kl_normal(q.detach(), p) + (1.0 - alpha) * kl_normal(q, p.detach())


def free_nats(kl_per_dim, nats):
    dims = kl_per_dim.shape[-1]
    total = kl_per_dim.sum(-1, keepdim=True)
    clamped = torch.maximum(total, torch.full_like(total, nats)) / dims
    return clamped + (kl_per_dim - clamped).detach()


def softplus_std(raw, min_std):
    return F.softplus(raw) + min_std


def sigmoid_std(raw, min_std):
    return 2.0 * torch.sigmoid(raw * 0.5) + min_std


def tanh_normal_log_prob(loc, scale, action):
    u = torch.atanh(torch.clamp(action, -TANH_CLIP, TANH_CLIP))
    log_one_minus_tanh2 = 2.0 * (math.log(2.0) - u - F.softplus(-2.0 * u))
    return Normal(loc, scale).log_prob(u) - log_one_minus_tanh2


# ---------------------------------------------------------------------------------------
# Encoders and decoders (models/encoders.cpp, models/decoders.cpp).
# ---------------------------------------------------------------------------------------
class CNNEncoderHa(nn.Module):
    def __init__(self, channels, width):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2), nn.ReLU(), nn.Conv2d(width, 2 * width, 4, 2), nn.ReLU(),
            nn.Conv2d(2 * width, 4 * width, 4, 2), nn.ReLU(), nn.Conv2d(4 * width, 8 * width, 4, 2))
        self.channels, self.output_size = channels, 8 * width * 4

    def forward(self, x):
        lead = x.shape[:-3]
        return self.net(x.reshape(-1, self.channels, 64, 64)).reshape(*lead, self.output_size)


class CNNDecoderHa(nn.Module):
    def __init__(self, feature_size, channels, width):
        super().__init__()
        self.fc = nn.Linear(feature_size, 32 * width)
        self.net = nn.Sequential(
            nn.ConvTranspose2d(32 * width, 4 * width, 5, 2), nn.ReLU(), nn.ConvTranspose2d(4 * width, 2 * width, 5, 2),
            nn.ReLU(), nn.ConvTranspose2d(2 * width, width, 6, 2), nn.ReLU(), nn.ConvTranspose2d(width, channels, 6, 2))

    def forward(self, feature):
        lead = feature.shape[:-1]
        x = self.fc(feature.reshape(-1, feature.shape[-1]))
        mean = torch.sigmoid(self.net(x.reshape(x.shape[0], x.shape[1], 1, 1)))
        mean = mean.reshape(*lead, *mean.shape[1:])
        return Normal(mean, torch.ones(1, dtype=mean.dtype, device=mean.device))


class MLPDeterministicDecoder(nn.Module):
    def __init__(self, f, out, hidden, layers, ln, act):
        super().__init__()
        self.net = mlp(f, out, hidden, layers, ln, act)

    def forward(self, feature):
        mean = self.net(feature)
        return Normal(mean, torch.ones(1, dtype=mean.dtype, device=mean.device))


class MLPStochasticDecoder(nn.Module):
    def __init__(self, f, out, hidden, layers, min_std, ln, act):
        super().__init__()
        self.min_std = min_std
        self.mean_net = mlp(f, out, hidden, layers, ln, act)
        self.std_net = mlp(f, out, hidden, layers, ln, act)

    def forward(self, feature):
        return Normal(self.mean_net(feature), softplus_std(self.std_net(feature), self.min_std))


class TanhGaussianPolicy(nn.Module):
    def __init__(self, f, a, hidden, layers):
        super().__init__()
        self.mean_net = mlp(f, a, hidden, layers)
        self.std_net = mlp(f, a, hidden, layers)

    def log_prob(self, x, action):
        return tanh_normal_log_prob(self.mean_net(x), softplus_std(self.std_net(x), 1e-6), action)


# ---------------------------------------------------------------------------------------
# State-space models (models/rssm.cpp): transition, prior, posterior.
# ---------------------------------------------------------------------------------------
class RSSM(nn.Module):
    def __init__(self, a, e, H, Z, hidden, layers, min_std):
        super().__init__()
        self.register_buffer("initial_h", torch.zeros(1, H))
        self.register_buffer("initial_z", torch.zeros(1, Z))
        self.min_std = min_std
        self.memory_cell = nn.GRUCell(Z + a, H)
        self.prior_mean = mlp(H, Z, hidden, layers)
        self.prior_std = mlp(H, Z, hidden, layers)
        self.posterior_mean = mlp(H + e, Z, hidden, layers)
        self.posterior_std = mlp(H + e, Z, hidden, layers)

    def transition(self, h, z, a):
        return self.memory_cell(torch.cat([z, a], -1), h)

    def prior(self, h):
        return Normal(self.prior_mean(h), softplus_std(self.prior_std(h), self.min_std))

    def posterior(self, h, e):
        x = torch.cat([h, e], -1)
        return Normal(self.posterior_mean(x), softplus_std(self.posterior_std(x), self.min_std))


class RSSMO(nn.Module):
    def __init__(self, a, e, H, Z, W, min_std):
        super().__init__()
        self.register_buffer("initial_h", torch.zeros(1, H))
        self.register_buffer("initial_z", torch.zeros(1, Z))
        self.min_std = min_std
        self.pre_memory = mlp(Z + a, 0, W, 1, True, "silu", have_head=False)
        self.memory_cell = nn.GRUCell(W, H)
        self.prior_net = mlp(H, 2 * Z, W, 1, True, "silu")
        self.posterior_net = mlp(H + e, 2 * Z, W, 1, True, "silu")

    def transition(self, h, z, a):
        return self.memory_cell(self.pre_memory(torch.cat([z, a], -1)), h)

    def _normal(self, out):
        mean, raw = out.chunk(2, -1)
        return Normal(mean, sigmoid_std(raw, self.min_std))

    def prior(self, h):
        return self._normal(self.prior_net(h))

    def posterior(self, h, e):
        return self._normal(self.posterior_net(torch.cat([h, e], -1)))


# ---------------------------------------------------------------------------------------
# The world model and its ELBO (models/world_model.cpp, WorldModel::elbo_of).
# ---------------------------------------------------------------------------------------
class WorldModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.encoder = nn.ModuleDict()
        self.groups = []  # (module name, [sensors])
        e, vector_inputs, vector_size = 0, [], 0
        for name, shape in c["inputs"]:
            if len(shape) == 3:
                self.encoder[name] = CNNEncoderHa(shape[0], c["cnn_width"])
                self.groups.append((name, [name]))
                e += self.encoder[name].output_size
            elif c["model"] == "rssm":
                self.groups.append((None, [name]))
                e += math.prod(shape)
            else:
                vector_inputs.append(name)
                vector_size += math.prod(shape)
        if vector_inputs:
            self.encoder["tabular"] = mlp(vector_size, 0, 512, 2, True, "silu", have_head=False)
            self.groups.append(("tabular", vector_inputs))
            e += 512
        self.embedding_size = e
        H, Z = c["deterministic_size"], c["stochastic_size"]
        if c["model"] == "rssm":
            self.ssm = RSSM(c["action_size"], e, H, Z, c["hidden_size"], c["hidden_layers"], c["min_std"])
        else:
            self.ssm = RSSMO(c["action_size"], e, H, Z, c["hidden_size"], c["min_std"])
        f = H + Z
        self.decoders = nn.ModuleDict({name: self._decoder(name, shape, False, f) for name, shape in c["outputs"]})
        if c["probes"]:
            self.probes = nn.ModuleDict({name: self._decoder(name, shape, True, f) for name, shape in c["probes"]})
        if c["idm"]:
            self.idm = TanhGaussianPolicy(f + e, c["action_size"], c["head_hidden_size"], c["head_hidden_layers"])

    def _decoder(self, name, shape, probe, f):
        c = self.c
        if len(shape) == 3:
            return CNNDecoderHa(f, shape[0], c["cnn_width"])
        args = (f, math.prod(shape), c["head_hidden_size"], c["head_hidden_layers"])
        if not probe and c["stochastic_vector_decoder"]:
            return MLPStochasticDecoder(*args, c["min_std"], c["head_layer_norm"], c["head_activation"])
        return MLPDeterministicDecoder(*args, c["head_layer_norm"], c["head_activation"])

    def embed(self, batch):
        parts = []
        for module, sensors in self.groups:
            x = batch[sensors[0]] if len(sensors) == 1 else torch.cat([batch[s] for s in sensors], -1)
            parts.append(x if module is None else self.encoder[module](x))
        return parts[0] if len(parts) == 1 else torch.cat(parts, -1)

    def filter(self, embeddings, actions, noise):
        """The posterior filter: noise(shape, dtype) draws the reparameterisation noise."""
        T, B = embeddings.shape[:2]
        h = self.ssm.initial_h.expand(B, -1)
        z = self.ssm.initial_z.expand(B, -1)
        hs, zs, priors, posts = [], [], [], []
        for t in range(T):
            h = self.ssm.transition(h, z, actions[t])
            prior = self.ssm.prior(h)
            post = self.ssm.posterior(h, embeddings[t])
            z = post.loc + post.scale * noise(post.loc.shape, post.loc.dtype, post.loc.device)
            hs.append(h), zs.append(z), priors.append(prior), posts.append(post)
        return torch.cat([torch.stack(hs), torch.stack(zs)], -1), priors, posts

    def elbo(self, batch, noise):
        """Returns (loss, elbo, kl) as WorldModel::elbo in training mode."""
        c = self.c
        embeddings = self.embed(batch)
        actions = batch["pre_action"]
        features, priors, posts = self.filter(embeddings, actions, noise)
        T = features.shape[0]
        sum_event = lambda x: x.sum(tuple(range(2, x.dim()))) if x.dim() > 2 else x
        rec_loss = features.new_zeros(())
        elbo = features.new_zeros(())
        std_sum, output_dims = None, 0
        for name, shape in c["outputs"]:
            target = batch[name]
            dist = self.decoders[name](features)
            log_p = dist.log_prob(target)
            per_step = sum_event(log_p)
            reconstruction = per_step.sum(0).mean()
            elbo = elbo + reconstruction
            if c["nll_reweight"] == "dim_wise":
                stddev = dist.scale.detach().expand(log_p.shape)
                rec_loss = rec_loss - sum_event(log_p * stddev).sum(0).mean()
                s_sum = sum_event(stddev)
                std_sum = s_sum if std_sum is None else std_sum + s_sum
                output_dims += math.prod(shape)
            else:
                rec_loss = rec_loss - reconstruction
        kl_true, kl_train = [], []
        for q, p in zip(posts, priors):
            kl = kl_normal(q, p)
            train = kl_balance(q, p, c["kl_rebalance"]) if c["kl_rebalance"] >= 0 else kl
            if c["free_nats"] > 0:
                train = free_nats(train, c["free_nats"])
            kl_true.append(kl.sum(-1))
            kl_train.append(train.sum(-1))
        kl_steps, kl_train_steps = torch.stack(kl_true), torch.stack(kl_train)
        kl = kl_steps.sum(0).mean()
        elbo = (elbo - kl).detach()
        weighted_kl = kl_train_steps
        if c["nll_reweight"] == "dim_wise" and std_sum is not None:
            weighted_kl = weighted_kl * (std_sum / output_dims)
        loss = rec_loss + c["kl_scale"] * weighted_kl.sum(0).mean()
        if T > 1:
            detached = features[1:].detach()
            for name, _ in c["probes"]:
                log_p = self.probes[name](detached).log_prob(batch[name][1:])
                loss = loss - sum_event(log_p).sum(0).mean()
            if c["idm"]:
                x = torch.cat([features[:-1].detach(), embeddings[1:].detach()], -1)
                log_p = self.idm.log_prob(x, actions[1:]).sum(-1)
                loss = loss - log_p.mean(0).sum()
        return loss, elbo, kl


# ---------------------------------------------------------------------------------------
# Noise: aime's Philox4x32-10 stream (autograd/generator.h, autograd/ops/creation.cpp), so
# that the cross-check draws the very numbers aime drew.
# ---------------------------------------------------------------------------------------
class PhiloxNormal:
    """randn(shape, gen): element i from block (offset + i // 4), word i % 4; Box-Muller on
    word pairs (0, 1) and (2, 3); computed in float64, then cast."""

    M = (1 << 32) - 1

    def __init__(self, seed):
        self.key, self.offset = seed, 0

    def blocks(self, first, n):
        import numpy as np
        ctr = np.arange(first, first + n, dtype=np.uint64)
        c0, c1 = ctr & np.uint64(self.M), ctr >> np.uint64(32)
        c2 = np.zeros_like(c0)
        c3 = np.zeros_like(c0)
        k0, k1 = self.key & self.M, (self.key >> 32) & self.M
        for _ in range(10):
            p0 = np.uint64(0xD2511F53) * c0
            p1 = np.uint64(0xCD9E8D57) * c2
            n0 = (p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0)
            n2 = (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1)
            c1, c3, c0, c2 = p1 & np.uint64(self.M), p0 & np.uint64(self.M), n0, n2
            k0, k1 = (k0 + 0x9E3779B9) & self.M, (k1 + 0xBB67AE85) & self.M
        return np.stack([c0, c1, c2, c3], -1).astype(np.float64)  # [n, 4]

    def __call__(self, shape, dtype, device):
        import numpy as np
        n = math.prod(shape)
        nb = (n + 3) // 4
        w = self.blocks(self.offset, nb)
        self.offset += nb
        u1 = (w[:, 0::2] + 0.5) * (1.0 / 4294967296.0)
        u2 = w[:, 1::2] * (1.0 / 4294967296.0)
        r = np.sqrt(-2.0 * np.log(u1))
        a = 6.283185307179586 * u2
        v = np.stack([r * np.cos(a), r * np.sin(a)], -1).reshape(nb, 4)  # words (0,1), (2,3)
        return torch.from_numpy(v.reshape(-1)[:n].reshape(shape)).to(dtype=dtype, device=device)
