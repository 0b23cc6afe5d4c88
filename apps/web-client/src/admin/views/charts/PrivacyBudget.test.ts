import { FederationConfig } from '@flock/fl-core/config';
import { privacySpend } from '@flock/fl-core/strategy';
import { MINIMAL_CONFIG } from '@flock/fl-core/testing';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { PrivacyBudget } from './PrivacyBudget.tsx';

const privacy = { mode: 'central', clipNorm: 1, noiseMultiplier: 1, delta: 1e-5, targetEpsilon: 8, onTarget: 'stop' } as const;
const withPrivacy = FederationConfig.parse({ ...MINIMAL_CONFIG, privacy });
const without = FederationConfig.parse(MINIMAL_CONFIG);

const card = (config: FederationConfig, spend: ReturnType<typeof privacySpend> | null) =>
  renderToStaticMarkup(createElement(PrivacyBudget, { config, points: [], spend }));
const spendLine = (html: string) => /<p data-testid="privacy-spend">([^<]*)<\/p>/.exec(html)?.[1] ?? null;

describe("the privacy card's query spend", () => {
  it("says training's ε and the queries' beside it, against the target", () => {
    expect(spendLine(card(withPrivacy, privacySpend(privacy, 3.2, 1)))).toBe('Training has spent ε 3.2 and queries ε 1: ε 4.2 of the target 8.');
  });

  it('says what queries spent on a federation that trains without noise, and nothing while none has', () => {
    expect(spendLine(card(without, privacySpend(undefined, null, 1.5)))).toBe(
      'Training adds no differential-privacy noise, so it has no ε bound; queries have spent ε 1.5.',
    );
    expect(spendLine(card(without, privacySpend(undefined, null, 0)))).toBeNull();
  });
});
