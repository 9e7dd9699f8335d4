#!/bin/bash
# The GPU checks in one short run (about 6 minutes on one H100 / H200), after the transform / target /
# similarity refactor (issue 11): the MAE step of ViT-S/16 and ViT-B/16 at batch 256 (images/s for the
# paper preset's cost plan), the trainer's overhead over the bare step with uint8 batches and persistent
# workers (0 and 6 workers), JPEG decoding on one CPU core against the GPU (the data path of issue 16),
# the trainer on the GPU for MAE, C-MAE with a source augmentation and MoCo v3, killed + resumed.
# Issue 16's data-path checks are in benchmarks/gpu_check_16.sh (about 10 minutes): run that first when
# the device time is short.
#     OUT=/tmp/gpu bash benchmarks/gpu_check.sh
# The checks of earlier sessions (torch.compile, fp16 / fp32, torchrun, fine-tuning) are in git history.
set -u
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1
O=${OUT:-/tmp/gpu_check}; mkdir -p "$O"; R=$(mktemp -d)
py=${PYTHON:-python3}
$py -c "import torch, timm, torchvision; print('torch', torch.__version__, 'timm', timm.__version__, 'torchvision', torchvision.__version__, torch.cuda.get_device_name(0))"
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader; nproc
for a in vit_small_patch16 vit_base_patch16; do
  echo "== MAE step $a, batch 256, eager"; timeout 100 $py benchmarks/mae_step.py --device cuda --arch $a --batch 256 --steps 5 --min-ratio 0 2>&1 | tee "$O/mae_step_$a.txt"
done
for w in 0 6; do echo "== trainer overhead, $w workers"; timeout 90 $py benchmarks/trainer_overhead.py --device cuda --model mae_vit_small_patch16 --batch 128 --steps 30 --rounds 2 --num-workers $w 2>&1 | tee "$O/trainer_overhead_w$w.txt"; done
echo "== JPEG decode"; timeout 60 $py benchmarks/jpeg_decode.py --n 1024 --batch 128 --step-rate 4300 2>&1 | tee "$O/jpeg.txt"
T="$py -m occlusion_mim.train"
common="--data photos:10 --epoch-length 1024 --batch-size 128 --num-workers 6 --epochs 1 --log-every 2"
echo "== trainer mae bf16"; timeout 60 $T pretrain --model mae_vit_small_patch16 $common --out $R/mae 2>&1 | tail -2
echo "== trainer c_mae bf16, --source-aug mask+cutmix+color"; timeout 60 $T pretrain --model c_mae_vit_small_patch16 --source-aug mask+cutmix+color $common --out $R/cmae 2>&1 | tail -2
echo "== trainer mocov3 bf16"; timeout 60 $T pretrain --model mocov3_vit_small_patch16 $common --out $R/moco 2>&1 | tail -2
echo "== resume on the GPU: 2 epochs straight vs killed at step 6 and resumed (C-MAE, source aug mask)"
res="pretrain --model c_mae_vit_small_patch16 --source-aug mask --data photos:10 --epoch-length 256 --batch-size 64 --epochs 2 --save-every 2 --log-every 1 --num-workers 4"
timeout 60 $T $res --out $R/straight > /dev/null 2>&1
OCCLUSION_MIM_FAULT=step:6 timeout 60 $T $res --out $R/killed > /dev/null 2>&1; echo "killed run exit $?"
timeout 60 $T $res --out $R/killed 2>&1 | tail -3; echo "resumed run exit $?"
$py - "$R" <<'PY'
import sys, torch
a = torch.load(f'{sys.argv[1]}/straight/checkpoint.pt', weights_only=True, map_location='cpu')['model']
b = torch.load(f'{sys.argv[1]}/killed/checkpoint.pt', weights_only=True, map_location='cpu')['model']
d = max((a[k].float() - b[k].float()).abs().max().item() for k in a)
print(f"resume on GPU: {sum(torch.equal(a[k], b[k]) for k in a)}/{len(a)} tensors bitwise equal, max |diff| {d:.3g}")
PY
for f in $R/*/metrics.csv; do echo "$f"; tail -1 "$f"; done
echo "== the paper preset's training types through the trainer (issue 15): images/s and whether the loss falls"
timeout 420 $py benchmarks/paper_recipes.py --device cuda --steps 40 --num-workers 8 --out "$O" 2>&1 | tail -8
