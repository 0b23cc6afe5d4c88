import { chromium, expect, test } from '@playwright/test';
import { findChromium, WEBGPU_SWIFTSHADER_ARGS } from './support/chromium.ts';

test('without ?backend= the device times training on each backend, picks the fastest, and remembers it', async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await page.goto('/');
  const reason = page.getByTestId('backend-reason');
  await expect(reason).toContainText('fastest for mnist-mlp on this device: ', { timeout: 90_000 });
  const text = (await reason.textContent()) ?? '';
  const speeds = [...text.matchAll(/(webgpu|webgl|wasm|cpu) (\d+)/g)].map((m) => ({ backend: m[1]!, speed: Number(m[2]) }));
  // The demo's model is dense: wasm (its binaries served by the coordinator) is timed too.
  expect(speeds.map((s) => s.backend)).toEqual(expect.arrayContaining(['webgpu', 'wasm', 'cpu']));
  const fastest = speeds.sort((a, b) => b.speed - a.speed)[0]!.backend;
  await expect(page.getByTestId('backend')).toHaveText(new RegExp(`^${fastest}`));

  await page.reload();
  await expect(reason).toContainText('remembered from an earlier measurement: fastest for mnist-mlp', { timeout: 60_000 });
  await expect(page.getByTestId('backend')).toHaveText(new RegExp(`^${fastest}`));
});

test('where WebGPU has no adapter the chooser falls back and says why', async () => {
  const noWebGpu = await chromium.launch({
    executablePath: findChromium(),
    args: WEBGPU_SWIFTSHADER_ARGS.filter((arg) => arg !== '--enable-unsafe-webgpu'),
  });
  try {
    const page = await noWebGpu.newPage({ baseURL: test.info().project.use.baseURL });
    await page.goto('/?backend=webgpu');
    await expect(page.getByTestId('backend-reason')).toContainText('?backend=webgpu asked for webgpu, but webgpu did not start', { timeout: 90_000 });
    await expect(page.getByTestId('backend-reason')).toContainText(/webgpu did not start \((this browser offers no WebGPU|WebGPU found no graphics adapter)\)/);
    await expect(page.getByTestId('backend')).toHaveText(/^(webgl|wasm|cpu)/);
    await expect(page.getByTestId('training-engine')).toHaveText(/^Training with TensorFlow\.js on (webgl|wasm|cpu): Flock's WebGPU engine needs WebGPU\.$/);

    await page.goto('/');
    await expect(page.getByTestId('backend-reason')).toContainText(/fastest for mnist-mlp on this device: .*; webgpu did not start/, {
      timeout: 90_000,
    });
    await expect(page.getByTestId('backend')).toHaveText(/^(webgl|wasm|cpu)/);
  } finally {
    await noWebGpu.close();
  }
});
