#!/bin/bash
# The GPU checks of issues 3 and 4 in one short run (about 8 minutes on one H100 / H200):
# MAE step images/s and bf16 MFU at batch 256 (eager and torch.compile), batched augmentations,
# trainer overhead, and the trainer on the GPU in bf16 / fp16 / fp32, under torchrun, and killed + resumed.
#     OUT=/tmp/gpu bash benchmarks/gpu_check.sh
set -u
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1
O=${OUT:-/tmp/gpu_check}; mkdir -p "$O"; R=$(mktemp -d)
py=${PYTHON:-python3}
$py -c "import torch, timm, torchvision; print('torch', torch.__version__, 'timm', timm.__version__, 'torchvision', torchvision.__version__, torch.cuda.get_device_name(0))"
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader
echo "== MAE step, batch 256, eager and torch.compile"; timeout 300 $py benchmarks/mae_step.py --device cuda --batch 256 --steps 5 --compile --min-ratio 0 2>&1 | tee "$O/mae_step.txt"
echo "== augmentations"; timeout 60 $py benchmarks/augment.py --device cuda --batch 256 --min-ratio 0 2>&1 | tee "$O/augment.txt"
for w in 0 6; do echo "== trainer overhead, $w workers"; timeout 200 $py benchmarks/trainer_overhead.py --device cuda --model mae_vit_small_patch16 --batch 128 --steps 30 --rounds 2 --num-workers $w 2>&1 | tee "$O/trainer_overhead_w$w.txt"; done
T="$py -m occlusion_mim.train"
common="--data photos:10 --epoch-length 1024 --batch-size 128 --num-workers 6 --epochs 1 --log-every 2"
for p in bf16 fp16 fp32; do
  echo "== trainer mae $p"; timeout 90 $T pretrain --model mae_vit_small_patch16 $common --precision $p --out $R/mae_$p 2>&1 | tail -2
done
echo "== trainer mocov3 bf16 under torchrun (1 process, NCCL not initialised for one)"; timeout 120 $py -m torch.distributed.run --nproc_per_node 1 -m occlusion_mim.train pretrain --model mocov3_vit_small_patch16 $common --out $R/moco 2>&1 | tail -2
echo "== finetune from the MAE run, bf16"; timeout 90 $T finetune --model vit_small_patch16 --init $R/mae_bf16/checkpoint.pt --data shapes --n-per-class 64 --batch-size 64 --epochs 1 --num-workers 6 --out $R/ft 2>&1 | tail -2
echo "== resume on the GPU: 2 epochs straight vs killed at step 6 and resumed"
res="pretrain --model mae_vit_small_patch16 --data photos:10 --epoch-length 256 --batch-size 64 --epochs 2 --save-every 2 --log-every 1 --num-workers 4"
timeout 90 $T $res --out $R/straight > /dev/null 2>&1
OCCLUSION_MIM_FAULT=step:6 timeout 90 $T $res --out $R/killed > /dev/null 2>&1; echo "killed run exit $?"
timeout 90 $T $res --out $R/killed 2>&1 | tail -3; echo "resumed run exit $?"
$py - "$R" <<'PY'
import sys, torch
a = torch.load(f'{sys.argv[1]}/straight/checkpoint.pt', weights_only=True, map_location='cpu')['model']
b = torch.load(f'{sys.argv[1]}/killed/checkpoint.pt', weights_only=True, map_location='cpu')['model']
d = max((a[k].float() - b[k].float()).abs().max().item() for k in a)
print(f"resume on GPU: {sum(torch.equal(a[k], b[k]) for k in a)}/{len(a)} tensors bitwise equal, max |diff| {d:.3g}")
PY
for f in $R/*/metrics.csv; do echo "$f"; tail -1 "$f"; done
