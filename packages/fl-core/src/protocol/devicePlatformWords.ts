import type { BackendName, DevicePlatform } from './device.ts';

const DEVICE_PLATFORM_WORDS: Record<DevicePlatform, string> = {
  tab: 'Browser tab',
  node: 'Node silo',
  python: 'Python silo',
};

/** The platform only one kind of client trains on; webgpu and cpu run in tabs and in Node alike. */
const ONLY_PLATFORM_OF: Partial<Record<BackendName, DevicePlatform>> = { webgl: 'tab', wasm: 'tab', pytorch: 'python', numpy: 'python' };

/**
 * What kind of client a device is, as the dashboard says it. A device from before hello named its platform is placed by
 * its backend where only one kind of client has it, else "Unknown".
 */
export function devicePlatformWords(platform: DevicePlatform | undefined, backend: BackendName | null): string {
  const known = platform ?? (backend ? ONLY_PLATFORM_OF[backend] : undefined);
  return known ? DEVICE_PLATFORM_WORDS[known] : 'Unknown';
}
