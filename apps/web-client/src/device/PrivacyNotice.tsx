import type { DeviceView } from './deviceController.ts';

/** The federation's differential-privacy guarantee in one sentence, as the coordinator states it. */
export function PrivacyNotice({ view }: { view: DeviceView }) {
  const guarantee = view.federation?.privacyGuarantee;
  if (!guarantee) return null;
  return (
    <p className="privacy" data-testid="privacy-guarantee">
      {guarantee}
    </p>
  );
}
