#!/bin/bash
# Issue 16's GPU checks in one run (about 10 minutes on one H100 / H200): the trainer against the bare MAE
# ViT-S/16 step (batch 128, 224 px) on a real JPEG folder (3840 files of 500 x 375 px, decoding and random
# resized crops in nproc/2 and nproc DataLoader workers, against --decode device: nvJPEG and the crops on the
# GPU; goal: within 5%), and the default preset's fig3 and fig4 on the GPU from an empty run cache (wall time).
#     OUT=/tmp/gpu bash benchmarks/gpu_check_16.sh
set -u
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1
O=${OUT:-/tmp/gpu_check}; mkdir -p "$O"; R=$(mktemp -d)
py=${PYTHON:-python3}
$py -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__, torch.cuda.get_device_name(0))"
nproc
echo "== (issue 16) trainer vs bare step on a JPEG folder: 3840 files of 500 x 375 px, MAE ViT-S/16, batch 128"
for w in $(( $(nproc) / 2 )) $(nproc); do for dec in workers device; do
  echo "-- $w workers, --decode $dec"
  timeout 150 $py benchmarks/trainer_overhead.py --device cuda --model mae_vit_small_patch16 --batch 128 --steps 30 --rounds 2 --num-workers $w --jpegs 3840 --decode $dec 2>&1 | tail -4 | tee "$O/trainer_jpegs_w${w}_$dec.txt"
done; done
echo "== (issue 16) the default preset on the GPU: fig3 and fig4 from an empty cache (wall time)"
t0=$(date +%s); OCCLUSION_MIM_CACHE=$R/cache timeout 300 $py scripts/run_all.py --only fig3,fig4 --out "$R/default" -p device=cuda 2>&1 | tail -4
echo "default preset fig3 + fig4 on the GPU: $(( $(date +%s) - t0 )) s"; cp "$R/default/run_all.csv" "$O/default_preset_gpu.csv" 2>/dev/null
