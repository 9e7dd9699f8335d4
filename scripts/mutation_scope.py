"""The science's functions that the mutation runs cover (tests/MUTATION.md), as mutmut names, by scope.

    mutmut run --max-children 2 $(python scripts/mutation_scope.py claims)          # every mutant of a scope
    mutmut run --max-children 2 $(python scripts/mutation_scope.py cka --sample 100 --seed 14)   # a sample
    python scripts/mutation_report.py $(python scripts/mutation_scope.py cka)       # its table

Without `--sample` it prints fnmatch patterns (mutmut expands them); a sample needs the mutant list, which
any `mutmut run` writes into `mutants/` first. A sample is drawn with `random.Random(seed).sample` from the
sorted names, so the same seed on the same code gives the same mutants."""

import argparse, fnmatch, json, random, sys
from pathlib import Path

SCOPES = {
    'claims': (
        'claims',
        'verdict combine condition mean_cka slope _interval cka_stat cka_diff top1_se diff_interval judge '
        '_cond claim_c1 claim_c2 claim_c3 claim_c4 claim_c5 t975 combine_seeds top1_interval',
    ),
    'shape_bias': (
        'shape_bias',
        'label_space label_space_of_classes num_outputs category_probabilities decide wilson_interval '
        'shape_bias ShapeBias.*',
    ),
    'cka': (
        'cka',
        'gram_linear _median gram_rbf center_gram cka_from_grams _ratio _hsic_u _centred_pair '
        '_gram_of_columns linear_cka rbf_cka jackknife_weights linear_gram _weighted_hsic gram_cka_weighted '
        'jackknife_interval mask_noise _visible_pixel_mean _residual masked_vs_full_cka _pixel_grams '
        'pixel_cka StreamingLinearCKA.*',
    ),
    'models': (
        'models',
        'patchify unpatchify block_at_tokens masked_mse gather_across_processes info_nce normalized_l2 '
        'momentum_schedule mlp ViTEncoder.embed_patches ViTEncoder.embed_with_mask_token '
        'ViTEncoder.forward_encoder ViTEncoder.encode MaskedViews.forward TwoCropViews.forward '
        'PixelSpace.in_pixels PixelTarget.forward MomentumTarget.update MomentumTarget.forward '
        'MAEDecoder.embed MAEDecoder.forward MAEDecoder.predict_masked Reconstruction.forward '
        'Contrastive.forward Classifier.logits Classifier.forward Siamese.forward Siamese.pair_loss '
        'Siamese.update_target',
    ),
    # session 17 (issue 29): the trainer's schedule, evaluation, batches and run-folder checks; its options
    # and their checks moved to config.py in session 22 (run 3 sampled them together, as scope 'train')
    'train': (
        'train',
        'lr_at evaluate param_groups optimizer_groups resolve_batch EpochBatches.* check_run_folder '
        'step_noise view_generator _set_lr end_epoch',
    ),
    'config': (
        'config',
        '_check_types check_config _check_ranges in_interval _bound _check_recipe_options check_auto_augment '
        'resolved',
    ),
    # the checkpoints' files, sums and non-finite checks (moved out of train.py in session 15)
    'checkpoints': (
        'checkpoints',
        'file_sha256 _known_sums _current_sum nonfinite_tensors save_checkpoint load_checkpoint '
        'load_latest_checkpoint read_weights _sums_path _prev_path _keep_as_previous',
    ),
    'augment': (
        'augment',
        'check_images random_resized_crop_params CropFlip.* _bicubic _axis_weights resize_weights '
        'crop_flip_batch random_masking patch_noise blacken_patches PatchMask.* CutMixPaste.* _col gray '
        'adjust_brightness adjust_contrast adjust_saturation adjust_hue color_stage color_group '
        'ColorAugment.draw ColorAugment.params ColorAugment.apply ColorAugment._apply parse_augmentations '
        '_take SourceTransform.* make_views occluded_fraction TwoViews.*',
    ),
    # the run cache: its keys, the data fingerprint, done.json's checks, waiting for another process
    'cache': (
        'runs',
        'cache_root _file_hash _views_changed data_fingerprint key_precision run_key cache_entry_problem '
        '_claim_folder claim_entry entry_holder _progress_of wait_for_holder _cached_run run_cached',
    ),
}


def patterns(scope: str) -> list[str]:
    "mutmut name patterns of a scope: `x_f__mutmut_*` for a function, `xǁCǁm__mutmut_*` for a method."
    module, funcs = SCOPES[scope]
    out = []
    for f in funcs.split():
        mangled = 'xǁ' + f.replace('.', 'ǁ') if '.' in f else 'x_' + f
        out.append(f'occlusion_mim.{module}.{mangled}__mutmut_*')
    return out


def names(scope: str, root: Path = Path('mutants')) -> list[str]:
    "Every mutant of a scope, from mutmut's lists in `mutants/` (written by any `mutmut run`)."
    meta = root / 'occlusion_mim' / f'{SCOPES[scope][0]}.py.meta'
    if not meta.exists():
        sys.exit(
            f"{meta} not found: run `mutmut run $(python {sys.argv[0]} {scope})` once to create the mutants"
        )
    keys = json.loads(meta.read_text())['exit_code_by_key']
    pats = patterns(scope)
    return sorted(k for k in keys if any(fnmatch.fnmatch(k, p) for p in pats))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('scope', choices=list(SCOPES))
    ap.add_argument('--sample', type=int, help='this many mutants, drawn at random')
    ap.add_argument('--seed', type=int, default=14)
    ap.add_argument('--only', help="sample among the mutants matching this pattern, e.g. '*x_shape_bias__*'")
    a = ap.parse_args(argv)
    if a.sample is None:
        print(' '.join(patterns(a.scope)))
    else:
        all_names = [n for n in names(a.scope) if a.only is None or fnmatch.fnmatch(n, a.only)]
        print(' '.join(sorted(random.Random(a.seed).sample(all_names, min(a.sample, len(all_names))))))


if __name__ == '__main__':
    main()
