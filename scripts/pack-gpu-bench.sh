#!/usr/bin/env bash
# Packs `npm run bench -- train` for a GPU machine without Node.js or network (shared/docs/gpu-bench.md)
# into .devbench/ (git-ignored): node (xz), the benchmark bundled by esbuild with tfjs inside, Dawn's
# dawn.node (xz), the PyTorch reference script, and Debian's Vulkan loader in .gl/.
# There: bash .devbench/run-train.sh [bench args]   (carry .devbench and .gl)
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in /.devbench/ /.gl/; do grep -qx "$dir" .git/info/exclude 2>/dev/null || echo "$dir" >> .git/info/exclude; done
mkdir -p .devbench .gl
npx esbuild packages/fl-core/bench/train.ts --bundle --platform=node --format=cjs --target=node20 \
  --outfile=.devbench/train.cjs --external:webgpu --log-level=warning
cp packages/fl-core/bench/train_torch.py .devbench/
xz -T0 -c "$(command -v node)" > .devbench/node.xz
xz -T0 -c node_modules/webgpu/dist/linux-x64/dawn.node > .devbench/dawn.node.xz
# The NVIDIA Vulkan ICD (libGLX_nvidia) also needs glvnd's libraries, or Dawn finds no driver.
ls .gl/libglvnd0_*.deb >/dev/null 2>&1 || (cd .gl && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
cat > .devbench/run-train.sh <<'RUN'
#!/usr/bin/env bash
# On the GPU machine: Vulkan loader, node and Dawn unpacked, PyTorch's figures first, then tfjs on WebGPU.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for f in "$here"/../.gl/*.deb; do dpkg -x "$f" /; done; ldconfig
xz -dc "$here/node.xz" > /tmp/node && chmod +x /tmp/node
xz -dc "$here/dawn.node.xz" > /tmp/dawn.node
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-$icd} VK_DRIVER_FILES=${VK_DRIVER_FILES:-$icd} DAWN_NODE=/tmp/dawn.node
export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}
PYTHONUNBUFFERED=1 python3 "$here/train_torch.py" "${TORCH_SECONDS:-2}" | tee /tmp/torch.jsonl
/tmp/node "$here/train.cjs" --backend webgpu --torch /tmp/torch.jsonl "$@"
RUN
chmod +x .devbench/run-train.sh scripts/pack-gpu-bench.sh
du -sh .devbench/* .gl/*
