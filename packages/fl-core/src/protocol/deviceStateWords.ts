import type { DeviceState } from './device.ts';

const DEVICE_STATE_WORDS: Record<DeviceState, string> = {
  idle: 'Not joined',
  joining: 'Joining',
  'downloading-data': 'Downloading its data',
  'waiting-for-round': 'Waiting for a round',
  training: 'Training',
  uploading: 'Sending its update',
  error: 'Stopped by an error',
};

/** What a device is doing, as a person says it: the device page, the console and `flockctl client` show this, never the state's code name. */
export function deviceStateWords(state: DeviceState): string {
  return DEVICE_STATE_WORDS[state];
}
