"""CKA speed, in the same run:

1. linear CKA of n = 10,000 examples with d = 384 features (`occlusion_mim.cka.linear_cka`, feature form,
   float64) against a float64 numpy reference in the Gram form (Kornblith et al.'s algorithm: n x n Gram
   matrices, centred); the two must agree to 1e-10; prints the speed ratio (target >= 20x);
2. the masked-vs-full protocol (`masked_vs_full_cka`, 9 ratios, streamed linear CKA) against the bare encoder
   forward passes it needs (one full and nine masked `encode` calls per batch, nothing else); prints the
   overhead (target <= 10%).

    python benchmarks/cka.py [--n 10000] [--d 384] [--model mae_vit_cpu_patch8] [--images 256] \
        [--device cpu|cuda]

Exits 1 if the results disagree or a target is missed."""

import argparse, sys, time
import numpy as np
import torch


def reference_gram_cka(X, Y):
    """Float64 numpy linear CKA in the Gram form: centre both n x n Gram matrices, take the normalised
    Frobenius product."""

    def centre(K):
        K = K.copy()
        m = K.mean(0)
        m -= m.mean() / 2
        K -= m[:, None]
        K -= m[None, :]
        return K

    K, L = centre(X @ X.T), centre(Y @ Y.T)
    return float((K * L).sum() / np.sqrt((K * K).sum() * (L * L).sum()))


def best_of(fn, repeats):
    best, out = float('inf'), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n', type=int, default=10000)
    p.add_argument('--d', type=int, default=384)
    p.add_argument('--model', default='mae_vit_cpu_patch8')
    p.add_argument('--images', type=int, default=256)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--device', default='cpu')
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--min-ratio', type=float, default=20.0)
    p.add_argument('--max-overhead', type=float, default=10.0)
    a = p.parse_args(argv)
    from occlusion_mim.cka import linear_cka, masked_vs_full_cka, mask_noise
    from occlusion_mim.models import create_model, ARCHS, parse_model_name
    from occlusion_mim.data import normalize

    ok = True
    rng = np.random.default_rng(0)
    X = rng.standard_normal((a.n, a.d)).astype(np.float32)
    Y = X @ rng.standard_normal((a.d, a.d)).astype(np.float32) * 0.05 + rng.standard_normal(
        (a.n, a.d)
    ).astype(np.float32)
    Xt, Yt = torch.from_numpy(X).to(a.device), torch.from_numpy(Y).to(a.device)
    t_ours, v_ours = best_of(lambda: linear_cka(Xt, Yt), a.repeats)
    t_ref, v_ref = best_of(
        lambda: reference_gram_cka(X.astype(np.float64), Y.astype(np.float64)), max(1, a.repeats - 1)
    )
    print(f"linear CKA, n={a.n}, d={a.d}, device {a.device}, threads {torch.get_num_threads()}")
    print(f"  occlusion_mim (feature form, float64): {t_ours * 1e3:9.1f} ms  CKA {v_ours:.12f}")
    print(f"  numpy Gram-form float64 reference   : {t_ref * 1e3:9.1f} ms  CKA {v_ref:.12f}")
    print(
        f"  |difference| {abs(v_ours - v_ref):.2e} (must be < 1e-10); speed ratio {t_ref / t_ours:.1f}x "
        f"(target >= {a.min_ratio}x)"
    )
    ok &= abs(v_ours - v_ref) < 1e-10 and t_ref / t_ours >= a.min_ratio

    torch.manual_seed(0)
    m = create_model(a.model).to(a.device).eval()
    size = ARCHS[parse_model_name(a.model)[1]]['img_size']
    imgs = torch.rand(a.images, 3, size, size, generator=torch.Generator().manual_seed(0))
    ratios = tuple(i / 10 for i in range(1, 10))
    noise = mask_noise(a.images, m.encoder.num_patches, 0)
    sync = torch.cuda.synchronize if a.device.startswith('cuda') else (lambda: None)

    @torch.no_grad()
    def bare():
        for i in range(0, a.images, a.batch):
            x = normalize(imgs[i : i + a.batch].to(a.device))
            nz = noise[i : i + a.batch].to(a.device)
            m.encode(x)
            for r in ratios:
                m.encode(x, r, nz)
        sync()

    def protocol():
        df = masked_vs_full_cka(m, imgs, ratios, batch_size=a.batch, device=a.device)
        sync()
        return df

    bare()
    protocol()  # warm-up
    tb, tp = [], []
    for _ in range(a.repeats + 2):  # alternate, so machine noise hits both alike
        t = time.perf_counter()
        bare()
        tb.append(time.perf_counter() - t)
        t = time.perf_counter()
        protocol()
        tp.append(time.perf_counter() - t)
    over = 100 * (min(tp) / min(tb) - 1)
    print(f"masked-vs-full protocol, {a.model}, {a.images} images, 9 ratios, batch {a.batch}")
    print(
        f"  bare encoder forwards: {min(tb) * 1e3:9.1f} ms;  protocol: {min(tp) * 1e3:9.1f} ms;  overhead "
        f"{over:+.1f}% (target <= {a.max_overhead}%)"
    )
    ok &= over <= a.max_overhead
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
