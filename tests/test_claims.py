"""The claims' verdicts, condition by condition (issue 14). Each claim is a list of conditions, each an effect
with an interval judged against a threshold; the claim is supported when every condition is, contradicted
when any is. These tests build inputs where every condition holds, then break exactly one condition at a
time (or put it exactly on its threshold) and check which condition moved and what the row says. Curves
without jackknife replicates have zero-width intervals, so each verdict follows from the estimate alone.
The reference numbers (Student's t, the binomial standard error) are computed here independently."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from occlusion_mim.claims import (
    Z95,
    claim_c1,
    claim_c2,
    claim_c3,
    claim_c4,
    claim_c5,
    cka_diff,
    cka_stat,
    combine,
    combine_seeds,
    diff_interval,
    judge,
    slope,
    t975,
    top1_interval,
    top1_se,
    verdict,
)

RATIOS = np.round(np.arange(0.1, 1.0, 0.1), 1)


def flat(v=0.9, **at):
    "A CKA curve at `v` for every mask ratio except those given as `at={'0.6': value}` (no replicates)."
    cka = [at.get(f'{r:.1f}', v) for r in RATIOS]
    return pd.DataFrame(dict(ratio=RATIOS, cka=cka))


def verdicts(row):
    return {c['test']: c['verdict'] for c in row['conditions']}


def only_moved(row, test, to):
    "Exactly the condition `test` has the verdict `to`, every other condition is supported."
    v = verdicts(row)
    assert v.pop(test) == to, verdicts(row)
    assert set(v.values()) == {'supported'}, verdicts(row)


# --- the building blocks ---------------------------------------------------------------------------------
def test_verdict_and_judge_at_their_boundaries():
    assert verdict(0.1, 0.2, 0.0) == 'supported' and verdict(0.1, 0.2, 0.0, above=False) == 'contradicted'
    assert verdict(-0.2, -0.1, 0.0) == 'contradicted' and verdict(-0.2, -0.1, 0.0, above=False) == 'supported'
    assert verdict(0.0, 0.2, 0.0) == 'inconclusive'  # touching the threshold is not beyond it
    assert verdict(-0.2, 0.0, 0.0) == 'inconclusive'
    assert verdict(float('nan'), 0.2, 0.0) == 'inconclusive' and verdict(0.1, None, 0.0) == 'inconclusive'
    within = dict(within=0.05)
    assert judge({**within, 'lo': -0.05, 'hi': 0.05}) == 'supported'  # the closed interval [-w, w]
    assert judge({**within, 'lo': -0.06, 'hi': 0.0}) == 'inconclusive'
    assert judge({**within, 'lo': 0.0, 'hi': 0.06}) == 'inconclusive'
    assert judge({**within, 'lo': 0.051, 'hi': 0.2}) == 'contradicted'
    assert judge({**within, 'lo': -0.2, 'hi': -0.051}) == 'contradicted'
    assert judge({**within, 'lo': 0.05, 'hi': 0.2}) == 'inconclusive'  # reaching +w is not beyond it
    assert judge({**within, 'lo': -0.2, 'hi': -0.05}) == 'inconclusive'
    assert judge(dict(lo=0.1, hi=0.2, threshold=0.0, above=False)) == 'contradicted'
    assert judge(dict(lo=0.1, hi=0.2, threshold=0.0)) == 'supported'  # a claim is 'above' unless it says


def test_combine_needs_every_condition():
    assert combine(['supported', 'supported']) == 'supported'
    assert combine(['supported', 'inconclusive']) == 'inconclusive'
    assert combine(['inconclusive', 'contradicted', 'supported']) == 'contradicted'
    assert combine([]) == 'inconclusive'


def test_standard_errors_and_t_quantiles_match_independent_values():
    assert top1_se(50.0, 100) == pytest.approx(5.0)  # 100 sqrt(0.25 / 100)
    assert top1_se(90.0, 400) == pytest.approx(1.5)
    assert top1_se(50.0, 1) == pytest.approx(50.0)  # one image
    assert diff_interval(3.0, 0.3, 1.0, 0.4) == pytest.approx((2.0, 2.0 - Z95 * 0.5, 2.0 + Z95 * 0.5))
    for df in (1, 2, 5, 10, 29, 30, 31, 60, 200):
        assert t975(df) == pytest.approx(stats.t.ppf(0.975, df), abs=5e-4), df
    assert (t975(1), t975(30)) == (12.706, 2.042)  # the table's ends, as printed
    # past the table, two Cornish-Fisher terms: 1e-4 off at 31 degrees of freedom, 3e-9 at 1000
    assert t975(31) == pytest.approx(stats.t.ppf(0.975, 31), abs=1e-4)
    assert t975(1000) == pytest.approx(stats.t.ppf(0.975, 1000), abs=1e-8)
    with pytest.raises(ValueError, match='got 0'):
        t975(0)
    with pytest.raises(ValueError, match='at least one value'):
        top1_interval([], [])
    m, lo, hi = top1_interval([50.0], [100])  # one seed: the binomial interval
    assert (m, lo, hi) == pytest.approx((50.0, 50.0 - Z95 * 5.0, 50.0 + Z95 * 5.0))
    t = np.array([40.0, 44.0, 51.0])  # several seeds: Student's t over their spread
    half = stats.t.ppf(0.975, 2) * t.std(ddof=1) / math.sqrt(3)
    assert top1_interval(t, 2000) == pytest.approx((t.mean(), t.mean() - half, t.mean() + half), rel=2e-4)


def test_slope_is_least_squares_per_replicate():
    r = np.array([0.7, 0.8, 0.9])
    v = np.array([[0.4, 0.5], [0.3, 0.5], [0.2, 0.6]])  # (ratios, leave-one-out replicates)
    assert slope(r, v[:, 0]) == pytest.approx(-1.0)
    assert slope(r, v) == pytest.approx([-1.0, 0.5])  # one slope per column


def jack(v, reps):
    "A CKA curve `v` (R,) with leave-one-group-out replicates `reps` (R, G)."
    return pd.DataFrame(dict(ratio=RATIOS, cka=v, jack=list(np.asarray(reps))))


def jackknife_by_hand(est, theta, z=Z95):
    "est ± z SE, SE = sqrt((G - 1) / G * sum (theta_g - mean theta)^2) over the G replicate values theta."
    G = len(theta)
    se = math.sqrt((G - 1) / G * sum((t - np.mean(theta)) ** 2 for t in theta))
    return est - z * se, est + z * se


def test_intervals_come_from_the_jackknife_replicates():
    g = np.random.default_rng(0)
    va, vb = np.linspace(0.95, 0.6, 9), np.linspace(0.9, 0.5, 9)
    ra, rb = va[:, None] + g.normal(0, 0.01, (9, 5)), vb[:, None] + g.normal(0, 0.01, (9, 5))
    a, b = jack(va, ra), jack(vb, rb)
    assert cka_stat(a) == pytest.approx((va.mean(), *jackknife_by_hand(va.mean(), ra.mean(0))))
    z50 = stats.norm.ppf(0.75)
    assert cka_stat(a, level=0.5) == pytest.approx(
        (va.mean(), *jackknife_by_hand(va.mean(), ra.mean(0), z50))
    )
    r = RATIOS - RATIOS.mean()
    s_a, s_reps = (va @ r) / (r @ r), (ra.T @ r) / (r @ r)  # the slope of the curve and of each replicate
    assert cka_stat(a, slope) == pytest.approx((s_a, *jackknife_by_hand(s_a, s_reps)))
    d, d_reps = va.mean() - vb.mean(), ra.mean(0) - rb.mean(0)  # paired: replicate by replicate
    assert cka_diff(a, b) == pytest.approx((d, *jackknife_by_hand(d, d_reps)))
    s_b, s_b_reps = (vb @ r) / (r @ r), (rb.T @ r) / (r @ r)
    want = (s_a - s_b, *jackknife_by_hand(s_a - s_b, s_reps - s_b_reps))
    assert cka_diff(a, b, slope) == pytest.approx(want, rel=1e-5)  # rounding: slopes of near-equal curves
    assert cka_diff(a, jack(vb, rb[:, :3])) == pytest.approx((d, d, d))  # other leave-outs: not paired
    assert cka_diff(a, b.drop(columns='jack')) == pytest.approx((d, d, d))
    assert cka_diff(b.drop(columns='jack'), a) == pytest.approx((-d, -d, -d))
    # C4 averages its per-epoch differences; the half-widths add in quadrature over the k epochs
    b2 = b.assign(cka=vb - 0.01, jack=list(rb - 0.02 + g.normal(0, 0.01, (9, 5))))
    base, aug = (
        runs([b, b2], [50.0, 50.0], epochs=(5, 50)),
        runs([a, b], [55.0, 55.0], epochs=(5, 50), aug=True),
    )
    runs4 = pd.concat([base, aug])
    two = [cka_diff(a, b), cka_diff(b, b2)]  # +aug - base at 5 and at 50 epochs
    dc = (two[0][0] + two[1][0]) / 2
    hw = math.sqrt(sum(((t[2] - t[1]) / 2) ** 2 for t in two)) / 2
    c = claim_c4(runs4)['conditions'][1]
    assert (c['est'], c['lo'], c['hi']) == pytest.approx((dc, dc - hw, dc + hw))


# --- C1: one-image pretraining is occlusion invariant ----------------------------------------------------
def test_c1_each_condition_on_its_own():
    ok = dict(untrained=flat(0.5), pixels=flat(0.4))
    row = claim_c1(flat(0.9), **ok)
    assert row['verdict'] == 'supported' and row['holds'] is True
    names = [c['test'] for c in row['conditions']]
    assert names[:3] == ['PT - untrained, mean CKA', 'PT - pixels, mean CKA', 'PT mean CKA']
    assert names[3:] == [f'PT CKA at {r:.1f}' for r in RATIOS if r <= 0.6]  # only up to ratio 0.6
    assert row['effect'] == 'PT - untrained, mean CKA' and row['estimate'] == pytest.approx(0.4)

    only_moved(
        claim_c1(flat(0.9), untrained=flat(0.95), pixels=flat(0.4)),
        'PT - untrained, mean CKA',
        'contradicted',
    )
    only_moved(
        claim_c1(flat(0.9), untrained=flat(0.5), pixels=flat(0.95)), 'PT - pixels, mean CKA', 'contradicted'
    )
    only_moved(
        claim_c1(flat(0.9), untrained=flat(0.9), pixels=flat(0.4)), 'PT - untrained, mean CKA', 'inconclusive'
    )
    only_moved(claim_c1(flat(0.75), untrained=flat(0.5), pixels=flat(0.4)), 'PT mean CKA', 'contradicted')
    only_moved(claim_c1(flat(0.8), untrained=flat(0.5), pixels=flat(0.4)), 'PT mean CKA', 'inconclusive')
    low = claim_c1(flat(0.95, **{'0.6': 0.45}), **ok)  # mean 0.894: only ratio 0.6 fails
    only_moved(low, 'PT CKA at 0.6', 'contradicted')
    assert low['verdict'] == 'contradicted' and low['holds'] is False
    only_moved(claim_c1(flat(0.95, **{'0.1': 0.5}), **ok), 'PT CKA at 0.1', 'inconclusive')
    assert claim_c1(flat(0.95, **{'0.7': 0.1}), **ok)['verdict'] == 'supported'  # 0.7 is beyond the claim


def test_c1_uses_each_ratios_interval_and_the_baselines_order():
    pt = flat(0.9).assign(cka_lo=0.45, cka_hi=0.95)  # 0.9 at every ratio, but each interval reaches 0.45
    v = verdicts(claim_c1(pt))
    assert [v[f'PT CKA at {r:.1f}'] for r in RATIOS if r <= 0.6] == ['inconclusive'] * 6
    assert v['PT mean CKA'] == 'supported'
    high = verdicts(claim_c1(flat(0.45).assign(cka_lo=0.4, cka_hi=0.55)))  # below 0.5, but reaching it
    assert [high[f'PT CKA at {r:.1f}'] for r in RATIOS if r <= 0.6] == ['inconclusive'] * 6
    only_pixels = claim_c1(flat(0.9), pixels=flat(0.4))
    assert [c['test'] for c in only_pixels['conditions']][:2] == ['PT - pixels, mean CKA', 'PT mean CKA']


# --- C2: fine-tuning the one-image model loses it; the full-set model keeps a flatter slope ---------------
def test_c2_each_condition_on_its_own():
    one = flat(0.8, **{'0.7': 0.4, '0.8': 0.3, '0.9': 0.2})  # slope after 0.7: -1
    full = flat(0.8, **{'0.7': 0.7, '0.8': 0.65, '0.9': 0.6})  # slope -0.5: less steep
    row = claim_c2(one, full)
    assert row['verdict'] == 'supported'
    slope = row['conditions'][0]
    assert slope['test'] == 'full - one-image FT, slope after 0.7' and slope['est'] == pytest.approx(0.5)
    assert [c['test'] for c in row['conditions'][1:]] == [f'one-image FT CKA at {r}' for r in (0.7, 0.8, 0.9)]
    only_moved(
        claim_c2(one, flat(0.8, **{'0.7': 0.7, '0.8': 0.5, '0.9': 0.3})), slope['test'], 'contradicted'
    )
    only_moved(claim_c2(one, one), slope['test'], 'inconclusive')  # the same slope
    # CKA 0.5 at 0.9 (the slope from 0.4 at 0.7 is then +0.5: the full set's must be steeper than that)
    one_up = flat(0.8, **{'0.7': 0.4, '0.8': 0.45, '0.9': 0.5})
    only_moved(
        claim_c2(one_up, flat(0.8, **{'0.7': 0.4, '0.8': 0.5, '0.9': 0.6})),
        'one-image FT CKA at 0.9',
        'inconclusive',
    )
    one_hi = flat(0.8, **{'0.7': 0.6, '0.8': 0.3, '0.9': 0.2})
    only_moved(
        claim_c2(one_hi, flat(0.8, **{'0.7': 0.7, '0.8': 0.65, '0.9': 0.6})),
        'one-image FT CKA at 0.7',
        'contradicted',
    )


def test_c2_uses_each_ratios_interval():
    one = flat(0.8, **{'0.7': 0.4, '0.8': 0.3, '0.9': 0.2}).assign(cka_lo=0.1, cka_hi=0.55)  # reaches 0.5
    full = flat(0.8, **{'0.7': 0.7, '0.8': 0.65, '0.9': 0.6})
    v = verdicts(claim_c2(one, full))
    assert [v[f'one-image FT CKA at {r}'] for r in (0.7, 0.8, 0.9)] == ['inconclusive'] * 3
    above = flat(0.8, **{'0.7': 0.6, '0.8': 0.55, '0.9': 0.5}).assign(
        cka_lo=0.45, cka_hi=0.7
    )  # reaching 0.45
    v = verdicts(claim_c2(above, full))
    assert [v[f'one-image FT CKA at {r}'] for r in (0.7, 0.8, 0.9)] == ['inconclusive'] * 3


# --- C3: longer pretraining on 10 images lowers CKA and fine-tuned top-1 ---------------------------------
def runs(pt, top1, epochs=(5, 50), aug=False, n=10**12):
    "Per-run rows; n = 1e12 validation images make the top-1 intervals points."
    return pd.DataFrame(
        dict(epochs=list(epochs), aug=[aug] * len(epochs), pt_curve=list(pt), ft_top1=list(top1), ft_n=n)
    )


def test_c3_each_condition_on_its_own():
    cka_name, top_name = '5 -> 50 epochs: PT mean CKA change', '5 -> 50 epochs: FT top-1 change (points)'
    row = claim_c3(runs([flat(0.9), flat(0.8)], [60.0, 50.0]))
    assert row['verdict'] == 'supported'
    assert [c['test'] for c in row['conditions']] == [cka_name, top_name]
    assert row['conditions'][0]['est'] == pytest.approx(-0.1) and row['conditions'][1][
        'est'
    ] == pytest.approx(-10)
    only_moved(claim_c3(runs([flat(0.8), flat(0.9)], [60.0, 50.0])), cka_name, 'contradicted')
    only_moved(claim_c3(runs([flat(0.9), flat(0.8)], [50.0, 60.0])), top_name, 'contradicted')
    only_moved(claim_c3(runs([flat(0.9), flat(0.9)], [60.0, 50.0])), cka_name, 'inconclusive')
    only_moved(claim_c3(runs([flat(0.9), flat(0.8)], [60.0, 60.0])), top_name, 'inconclusive')
    # rows out of order, and +aug rows that would contradict it, change nothing: first and last by epochs
    mixed = pd.concat(
        [
            runs([flat(0.8), flat(0.9)], [50.0, 60.0], epochs=(50, 5)),
            runs([flat(0.1), flat(0.99)], [10.0, 99.0], aug=True),
        ]
    )
    assert claim_c3(mixed)['verdict'] == 'supported'
    three = runs([flat(0.9), flat(0.95), flat(0.8)], [60.0, 70.0, 50.0], epochs=(5, 20, 50))
    assert verdicts(claim_c3(three)) == {cka_name: 'supported', top_name: 'supported'}  # first vs last
    assert claim_c3(runs([flat(0.9)], [60.0], epochs=(5,)))['verdict'] == 'not tested'


def test_c3_top1_interval_comes_from_the_validation_size():
    small = claim_c3(runs([flat(0.9), flat(0.8)], [60.0, 50.0], n=100))['conditions'][1]
    se = math.hypot(top1_se(60.0, 100), top1_se(50.0, 100))
    assert (small['lo'], small['hi']) == pytest.approx((-10 - Z95 * se, -10 + Z95 * se))
    assert small['verdict'] == 'inconclusive'  # -10 +- 13.7 points on 100 images


# --- C4: augmentation raises top-1 but not CKA (by more than 0.02) ----------------------------------------
def test_c4_each_condition_on_its_own():
    top_name, cka_name = '+aug - base: FT top-1 (points)', '+aug - base: PT mean CKA'

    def c4(aug_cka, aug_top1, base_cka=0.9, base_top1=50.0):
        return claim_c4(
            pd.concat(
                [
                    runs([flat(base_cka)] * 2, [base_top1] * 2),
                    runs([flat(aug_cka)] * 2, [aug_top1] * 2, aug=True),
                ]
            )
        )

    row = c4(0.9, 55.0)
    assert row['verdict'] == 'supported' and [c['test'] for c in row['conditions']] == [top_name, cka_name]
    only_moved(c4(0.9, 45.0), top_name, 'contradicted')
    only_moved(c4(0.9, 50.0), top_name, 'inconclusive')
    only_moved(c4(0.95, 55.0), cka_name, 'contradicted')  # CKA up by 0.05 > 0.02
    assert verdicts(c4(0.91, 55.0))[cka_name] == 'supported'  # up by 0.01: not more than 0.02
    assert c4(0.5, 55.0)['conditions'][1]['est'] == pytest.approx(-0.4)


def test_c4_pairs_runs_by_epochs_and_averages_the_pairs():
    base = runs([flat(0.9), flat(0.8), flat(0.7)], [50.0, 40.0, 30.0], epochs=(5, 50, 99))
    aug = runs([flat(0.9), flat(0.9)], [56.0, 42.0], epochs=(5, 50), aug=True)  # no +aug run at 99 epochs
    row = claim_c4(pd.concat([base, aug]))
    assert row['conditions'][0]['est'] == pytest.approx((6.0 + 2.0) / 2)
    assert row['conditions'][1]['est'] == pytest.approx((0.0 + 0.1) / 2)
    assert row['verdict'] == 'contradicted'  # CKA higher by 0.05 on average
    small = claim_c4(
        pd.concat(
            [
                runs([flat(0.9)] * 2, [50.0, 40.0], n=1000),
                runs([flat(0.9)] * 2, [56.0, 42.0], n=1000, aug=True),
            ]
        )
    )['conditions'][0]
    se = math.sqrt(sum(top1_se(t, 1000) ** 2 for t in (50.0, 40.0, 56.0, 42.0))) / 2
    assert (small['lo'], small['hi']) == pytest.approx((4.0 - Z95 * se, 4.0 + Z95 * se))
    assert claim_c4(base)['verdict'] == 'not tested'


# --- C5: shape bias ordering ---------------------------------------------------------------------------
GOOD = dict(supervised=0.2, mae=0.3, r_mae=0.32, mocov3=0.45, c_mae=0.44)
C, I = 'contradicted', 'inconclusive'


@pytest.mark.parametrize(
    'change, moved',
    [
        (dict(supervised=0.31), {'mae - supervised': C}),  # above MAE only
        (dict(mae=0.2), {'mae - supervised': I}),  # equal
        (dict(r_mae=0.15), {'r_mae - supervised': C}),
        (
            dict(supervised=0.45),
            {f'{k} - supervised': C for k in ('mae', 'r_mae', 'c_mae')} | {'mocov3 - supervised': I},
        ),
        (dict(mae=0.455, c_mae=0.46), {'mocov3 - mae': C}),  # between MoCo v3 and C-MAE
        (dict(mae=0.445), {'c_mae - mae': C}),
        (dict(r_mae=0.455, c_mae=0.46), {'mocov3 - r_mae': C}),
        (dict(r_mae=0.445), {'c_mae - r_mae': C}),
        (dict(r_mae=0.44), {'c_mae - r_mae': I}),
        (dict(c_mae=0.57), {'c_mae - mocov3 within ±0.1': C}),  # the margin is C5_MARGIN, 0.10
        (dict(c_mae=0.33), {'c_mae - mocov3 within ±0.1': C}),
    ],
)
def test_c5_each_condition_on_its_own(change, moved):
    row = claim_c5({**GOOD, **change})
    v = verdicts(row)
    assert {k: x for k, x in v.items() if x != 'supported'} == moved, v
    assert row['verdict'] == (C if C in moved.values() else I)


def test_c5_conditions_and_its_interval():
    row = claim_c5(GOOD)
    assert row['verdict'] == 'supported'
    names = [c['test'] for c in row['conditions']]
    assert names == [f'{k} - supervised' for k in ('mae', 'r_mae', 'mocov3', 'c_mae')] + [
        'mocov3 - mae',
        'c_mae - mae',
        'mocov3 - r_mae',
        'c_mae - r_mae',
        'c_mae - mocov3 within ±0.1',
    ]
    assert row['effect'] == 'c_mae - mocov3 within ±0.1' and row['estimate'] == pytest.approx(-0.01)
    with_ci = {k: (v, v - 0.02, v + 0.02) for k, v in GOOD.items()}  # each: se = 0.02 / 1.96
    close = claim_c5(with_ci)['conditions'][-1]
    half = stats.norm.ppf(0.95) * math.hypot(0.02 / Z95, 0.02 / Z95)  # TOST at 5%: the 90% interval
    assert (close['lo'], close['hi']) == pytest.approx((-0.01 - half, -0.01 + half))
    assert close['verdict'] == 'supported'  # [-0.034, 0.014] lies within ±0.1
    assert close['resolves'] == pytest.approx(0.01 + half)
    wide = claim_c5({**with_ci, 'c_mae': (0.56, 0.54, 0.58)})['conditions'][-1]  # +0.11 +- 0.024
    assert (wide['est'], wide['verdict']) == (pytest.approx(0.11), 'inconclusive')
    far = claim_c5({**with_ci, 'c_mae': (0.6, 0.58, 0.62)})['conditions'][-1]  # +0.15 +- 0.024
    assert far['verdict'] == 'contradicted'
    assert claim_c5(with_ci, margin=0.02)['conditions'][-1]['verdict'] == 'inconclusive'
    assert claim_c5({k: v for k, v in GOOD.items() if k != 'c_mae'})['verdict'] == 'not tested'


# --- several seeds ---------------------------------------------------------------------------------------
def test_combine_seeds_averages_each_condition_with_a_t_interval():
    rows = [
        claim_c3(runs([flat(0.9), flat(0.9 - d)], [60.0, 60.0 - t]))
        for d, t in [(0.1, 10), (0.2, 4), (0.3, 1)]
    ]
    both = combine_seeds(rows)
    assert both['seeds'] == 3
    for i, e in enumerate([np.array([-0.1, -0.2, -0.3]), np.array([-10.0, -4.0, -1.0])]):
        c = both['conditions'][i]
        half = stats.t.ppf(0.975, 2) * e.std(ddof=1) / math.sqrt(3)
        assert (c['est'], c['lo'], c['hi']) == pytest.approx(
            (e.mean(), e.mean() - half, e.mean() + half), abs=1e-3
        )
    assert [c['verdict'] for c in both['conditions']] == ['inconclusive', 'inconclusive']
    assert combine_seeds(rows[:1]) is rows[0]


def test_combine_seeds_keeps_the_claim_and_its_main_effect():
    c5 = [claim_c5({**GOOD, 'mae': m}) for m in (0.3, 0.31, 0.29)]
    both = combine_seeds(c5)
    assert (both['claim'], both['statement'], both['seeds']) == ('C5', c5[0]['statement'], 3)
    assert both['effect'] == 'c_mae - mocov3 within ±0.1'  # C5's main condition is its last
    assert [c['test'] for c in both['conditions']] == [c['test'] for c in c5[0]['conditions']]
    one_run = claim_c3(runs([flat(0.9)], [60.0], epochs=(5,)))
    ok = claim_c3(runs([flat(0.9), flat(0.8)], [60.0, 50.0]))
    assert combine_seeds([ok, one_run]) is ok  # a seed that could not test it: the rows are not combined


# --- every row names its claim, its statement and its seeds ---------------------------------------------
def test_rows_name_their_claim_statement_and_seeds():
    one = flat(0.8, **{'0.7': 0.4, '0.8': 0.3, '0.9': 0.2})
    r3 = runs([flat(0.9), flat(0.8)], [60.0, 50.0])
    both = pd.concat([r3, runs([flat(0.9), flat(0.8)], [65.0, 55.0], aug=True)])
    make = {
        'C1': (lambda **k: claim_c1(flat(0.9), **k), 'one-image pretraining learns occlusion invariance'),
        'C2': (
            lambda **k: claim_c2(one, one, **k),
            '"is not so sensitive to the change of mask ratio (after 0.7)"',
        ),
        'C3': (lambda **k: claim_c3(r3, **k), 'longer pretraining on 10 images lowers occlusion invariance'),
        'C4': (lambda **k: claim_c4(both, **k), 'stronger augmentation raises fine-tuned top-1'),
        'C5': (lambda **k: claim_c5(GOOD, **k), 'shape bias: supervised lowest; MAE, R-MAE below MoCo v3'),
    }
    assert 'PT mean CKA > 0.8' in make['C1'][0]()['thresholds']  # the direction of each condition, spelt
    assert '5 -> 50 epochs: PT mean CKA change < 0.0' in make['C3'][0]()['thresholds']
    assert '|c_mae - mocov3| <= 0.1 (TOST on the 90% interval' in make['C5'][0]()['thresholds']
    for name, (claim, words) in make.items():
        assert (claim()['claim'], claim()['seeds'], claim(seeds=3)['seeds']) == (name, 1, 3), name
        assert words in claim()['statement'], name
    untested = [
        (claim_c3(r3[:1]), 'C3', 'needs at least two pretraining lengths; got 1 run(s)'),
        (claim_c4(r3), 'C4', 'needs runs with and without +aug at the same epoch counts'),
        (
            claim_c5({k: v for k, v in GOOD.items() if k != 'c_mae'}),
            'C5',
            "needs all five methods; missing ['c_mae']",
        ),
    ]
    for row, name, why in untested:
        assert (row['claim'], row['verdict'], row['statement'], row['holds']) == (
            name,
            'not tested',
            why,
            None,
        )
    close = claim_c5(GOOD)['conditions'][-1]
    assert (close['within'], close['threshold'], close['level']) == (0.1, 0.1, 0.9)


# --- the verdict words and the family-wise rule (issue 26) -------------------------------------------------
def test_one_of_nine_conditions_contradicts_only_at_the_family_wise_level():
    def c1(at06, half):
        pt = flat(0.95, **{'0.6': at06})
        pt = pt.assign(cka_lo=pt.cka, cka_hi=pt.cka)
        pt.loc[pt.ratio == 0.6, ['cka_lo', 'cka_hi']] = (at06 - half, at06 + half)
        return claim_c1(pt, untrained=flat(0.5), pixels=flat(0.4))  # nine conditions

    weak = c1(0.45, 0.045)  # [0.405, 0.495]: below 0.5 at 95%; at 1 - 0.05/9 the half-width is 0.0635
    assert len(weak['conditions']) == 9
    assert verdicts(weak)['PT CKA at 0.6'] == 'contradicted'
    k9 = stats.norm.ppf(1 - 0.05 / 18) / stats.norm.ppf(0.975)
    assert 0.45 + 0.045 * k9 > 0.5  # so the family-wise interval reaches the threshold
    assert weak['verdict'] == 'inconclusive'
    assert 'not at the family-wise level (Bonferroni over 9)' in weak['evidence']
    strong = c1(0.40, 0.045)  # [0.336, 0.464] even at the family-wise level: the claim is contradicted
    assert strong['verdict'] == 'contradicted'


def test_seeds_use_students_t_at_the_family_wise_level():
    def row(d):
        r = claim_c3(runs([flat(0.9), flat(0.8)], [60.0, 60.0 + d]))
        return r

    both = combine_seeds([row(d) for d in (2.0, 3.0, 4.0)])  # top-1 rises by 3 +- t(2) * 1/sqrt(3)
    top = both['conditions'][1]
    assert top['df'] == 2 and top['verdict'] == 'contradicted'  # 3 - 2.48 > 0: contradicted at 95%
    # at the family-wise level over the 2 conditions: t(2) at 1 - 0.05/4 = 6.21 -> 3 - 3.59 < 0
    half = stats.t.ppf(1 - 0.05 / 4, 2) / math.sqrt(3)
    assert 3.0 - half < 0 and top['family'] == 'inconclusive' and both['verdict'] == 'inconclusive'


def test_a_baseline_the_model_cannot_be_told_from_gets_its_own_verdict():
    from occlusion_mim.claims import BASELINE_TIE, claims_markdown

    row = claim_c1(flat(0.9), untrained=flat(0.9), pixels=flat(0.4))  # the paper's criterion holds
    assert row['verdict'] == BASELINE_TIE == 'not distinguishable from the baseline'
    assert row['baseline'] == 'the untrained encoder' and row['holds'] is None
    assert '**not distinguishable from the baseline** (the untrained encoder)' in claims_markdown([row])
    both = claim_c1(flat(0.9), untrained=flat(0.9), pixels=flat(0.9))
    assert both['baseline'] == 'the untrained encoder; the pixel mean'
    assert claim_c1(flat(0.9), untrained=flat(0.95))['verdict'] == 'contradicted'  # below the baseline


def test_a_condition_whose_instrument_fails_its_check_is_uninformative():
    base = runs([flat(0.9), flat(0.9)], [50.0, 50.0])
    aug = runs([flat(0.9), flat(0.9)], [56.0, 56.0], aug=True)
    both = pd.concat([base, aug])
    assert claim_c4(both)['verdict'] == 'supported'  # without the check: CKA not higher, passes
    blind = claim_c4(both, untrained=flat(0.9))  # CKA cannot tell these encoders from an untrained one
    v = verdicts(blind)
    assert v['+aug - base: PT mean CKA'] == 'uninformative'
    assert v['PT - untrained, mean CKA (the instrument check)'] == 'inconclusive'
    assert blind['verdict'] == 'uninformative'
    assert 'does not separate' in blind['evidence']
    assert claim_c4(both, untrained=flat(0.5))['verdict'] == 'supported'  # it separates: the condition counts
    c3 = claim_c3(runs([flat(0.9), flat(0.8)], [60.0, 50.0]), untrained=flat(0.85))  # mean diff 0: blind
    assert verdicts(c3)['5 -> 50 epochs: PT mean CKA change'] == 'uninformative'
    assert c3['verdict'] == 'uninformative'
