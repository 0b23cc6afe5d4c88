import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { DeviceView } from './deviceController.ts';
import { PrivacyNotice } from './PrivacyNotice.tsx';

const guarantee = 'The coordinator clips every update and adds noise to their sum.';
const notice = (federation: Partial<NonNullable<DeviceView['federation']>>) =>
  renderToStaticMarkup(createElement(PrivacyNotice, { view: { federation: { status: 'running', round: 3, accuracy: null, ...federation } } as DeviceView }));

describe("the device page's privacy sentence", () => {
  it("says what the federation's queries spent beside training's guarantee, once they spent some", () => {
    const spent = 'Training has spent ε 3.2 and queries ε 1: ε 4.2 of the target 8.';
    expect(notice({ privacyGuarantee: guarantee, privacySpend: spent })).toBe(
      `<p class="privacy" data-testid="privacy-guarantee">${guarantee} <span data-testid="privacy-spend">Analytics queries about the devices&#x27; data spend ε too. ${spent}</span></p>`,
    );
    expect(notice({ privacyGuarantee: guarantee })).toBe(`<p class="privacy" data-testid="privacy-guarantee">${guarantee}</p>`);
  });
});
