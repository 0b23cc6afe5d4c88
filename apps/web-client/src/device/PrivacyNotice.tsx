import type { DeviceView } from './deviceController.ts';

/** The federation's differential-privacy guarantee in one sentence, and what training and its queries spent together once queries spent some, as the coordinator states them. */
export function PrivacyNotice({ view }: { view: DeviceView }) {
  const guarantee = view.federation?.privacyGuarantee;
  if (!guarantee) return null;
  const spend = view.federation?.privacySpend;
  return (
    <p className="privacy" data-testid="privacy-guarantee">
      {guarantee}
      {spend && (
        <>
          {' '}
          <span data-testid="privacy-spend">Analytics queries about the devices' data spend ε too. {spend}</span>
        </>
      )}
    </p>
  );
}
