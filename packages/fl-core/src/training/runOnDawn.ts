import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Debian's Chromium ships a Vulkan loader and SwiftShader: Dawn finds its adapter there when the system has no loader. */
const CHROMIUM_LIBS = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_LIBS}/vk_swiftshader_icd.json`;

/** What a fixture prints when Dawn finds no WebGPU adapter: the test skips, saying why. */
export interface NoAdapter {
  noAdapter: string;
}

/**
 * Runs `fixture` (a module that prints one JSON line last) in a Node process of its own, started with
 * Chromium's Vulkan loader and SwiftShader on its library path: a test worker cannot change where its
 * dynamic loader looks, and Dawn needs a loader to find an adapter.
 */
export async function runOnDawn<T>(fixture: URL): Promise<T | NoAdapter> {
  const env = { ...process.env };
  if (existsSync(`${CHROMIUM_LIBS}/libvulkan.so.1`)) env.LD_LIBRARY_PATH = [env.LD_LIBRARY_PATH, CHROMIUM_LIBS].filter(Boolean).join(':');
  if (!env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(fixture)], { env, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T | NoAdapter;
}
