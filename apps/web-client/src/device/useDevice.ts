import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { DeviceController, type DeviceView } from './deviceController.ts';
import type { DeviceOptions } from './queryParams.ts';

const noopSubscribe = () => () => {};

/** Owns one DeviceController for the life of the page and re-renders on each of its changes. */
export function useDevice(options: DeviceOptions): { view: DeviceView | null; join: () => void; controller: DeviceController | null } {
  const [controller, setController] = useState<DeviceController | null>(null);
  const { federationId, backend, autojoin, enrollmentToken } = options;

  useEffect(() => {
    const created = new DeviceController({ federationId, autojoin, ...(backend ? { backend } : {}), ...(enrollmentToken ? { enrollmentToken } : {}) });
    setController(created);
    void created.start();
    return () => created.dispose();
  }, [federationId, backend, autojoin, enrollmentToken]);

  const view = useSyncExternalStore(controller?.subscribe ?? noopSubscribe, () => controller?.getView() ?? null);
  const join = useCallback(() => controller?.join(), [controller]);
  return { view, join, controller };
}
