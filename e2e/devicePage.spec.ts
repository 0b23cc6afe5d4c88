import { mkdirSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { createMnistFederation, operateFederation } from './support/mnistFederation.ts';

test('Join is enabled within 3 s of the page loading, while the engine is still being chosen', async ({ browser, request }) => {
  await createMnistFederation(request, 'device-join');
  // A fresh context remembers no engine: the chooser measures them all, as on a first visit.
  const context = await browser.newContext();
  const page = await context.newPage();
  // Timed in the page, when the button stops being disabled (Playwright's polling would add its own delay).
  await page.addInitScript(() => {
    const observer = new MutationObserver(() => {
      const button = document.querySelector<HTMLButtonElement>('[data-testid="join"]');
      if (!button || button.disabled) return;
      document.documentElement.dataset.joinEnabledAt = String(performance.now());
      observer.disconnect();
    });
    observer.observe(document, { subtree: true, childList: true, attributes: true });
  });
  await page.goto('/?federation=device-join', { waitUntil: 'commit' });
  const join = page.getByTestId('join');
  await expect(join).toBeEnabled({ timeout: 10_000 });
  const enabledAfterMs = Number(await page.locator('html').getAttribute('data-join-enabled-at'));
  test.info().annotations.push({ type: 'join enabled after (ms since navigation)', description: String(Math.round(enabledAfterMs)) });
  expect(enabledAfterMs).toBeGreaterThan(0);
  expect(enabledAfterMs).toBeLessThan(3_000);
  await expect(join).toHaveText('Join federation “device-join”');

  // Joined before the engine is known: the page says what it waits for, then connects by itself.
  await expect(page.getByTestId('engine')).toContainText(
    /Measuring which engine trains fastest on this device \(webgpu, webgl, wasm, cpu\)|Starting the training engine/,
  );
  await join.click();
  await expect(page.getByTestId('notice')).toContainText('Joined: this device connects to the federation as soon as it knows which engine trains fastest here');
  await expect(page.getByTestId('backend-reason')).toContainText('fastest for mnist-mlp on this device: ', { timeout: 90_000 });
  await expect(page.getByTestId('engine')).not.toContainText('setBackend');
  await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 60_000 });
  await context.close();
});

test('a paused federation: the training device stops, discards its round, says it is paused, and trains the round afresh on resume', async ({
  browser,
  request,
}) => {
  // 60 epochs of 200 examples on cpu: a round trains long enough to be paused in the middle.
  await createMnistFederation(request, 'device-pause', { training: { epochs: 60, batchSize: 10, learningRate: 0.05 } });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/?federation=device-pause&backend=cpu&autojoin=1');
  await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 90_000 });
  await operateFederation(request, 'device-pause', 'start');
  await expect(page.getByTestId('progress-text')).toContainText('Epoch', { timeout: 60_000 });

  await operateFederation(request, 'device-pause', 'pause');
  const notice = page.getByTestId('notice');
  await expect(notice).toContainText('Round 1 was called off (the operator paused the federation): this device stopped and discarded its work on it.');
  await expect(notice).toContainText('The operator paused the federation. Nothing to do: this device carries on by itself when it resumes.');
  await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round');
  await expect(page.getByTestId('progress')).toHaveCount(0);
  await expect(page.getByTestId('progress-text')).toHaveText(/^Round 1 was called off .*: its training was stopped and its work discarded\.$/);
  await expect(page.getByTestId('rounds-done')).toHaveText('0');

  // Resumed: round 1 is handed out again and trained anew (about half a minute), not answered at once with the discarded work.
  await operateFederation(request, 'device-pause', 'resume');
  await expect(page.getByTestId('progress-text')).toHaveText(/^Epoch \d+ of 60, batch \d+ of 20$/, { timeout: 30_000 });
  await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'training');
  await expect(page.getByTestId('rounds-done')).toHaveText('0');
  await context.close();
});

async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number }> {
  return page.evaluate(() => {
    const root = document.scrollingElement!;
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
  });
}

test('the device page at 390x844 (a phone) has no horizontal overflow', async ({ browser, request }) => {
  await createMnistFederation(request, 'device-phone');
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  // Unforced: the engine line carries the longest words the page shows (each engine's speed, or why it did not start).
  await page.goto('/?federation=device-phone&autojoin=1');
  await expect(page.getByTestId('backend-reason')).toContainText('fastest for mnist-mlp on this device', { timeout: 90_000 });
  await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 60_000 });
  await page.getByTestId('try-predict').click();
  await expect(page.locator('[data-testid=try-result], [data-testid=try-error]')).toBeVisible({ timeout: 60_000 });

  const { scrollWidth, clientWidth } = await horizontalOverflow(page);
  await test.info().attach('device-page-390x844.png', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
  expect(scrollWidth, `the page is ${scrollWidth} px wide in a ${clientWidth} px viewport`).toBeLessThanOrEqual(clientWidth);
  await context.close();
});

// The README's picture: FLOCK_README_SCREENSHOTS=1 npx playwright test e2e/devicePage.spec.ts writes docs/device.png.
test('README screenshot of the device page while it trains', async ({ browser, request }) => {
  test.skip(!process.env.FLOCK_README_SCREENSHOTS, 'set FLOCK_README_SCREENSHOTS=1 to refresh docs/device.png');
  await createMnistFederation(request, 'device-picture', { maxRounds: 5, training: { epochs: 20, batchSize: 10, learningRate: 0.05 } });
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  const page = await context.newPage();
  await page.goto('/?federation=device-picture&backend=webgpu&autojoin=1');
  await expect(page.getByTestId('device-status')).toHaveAttribute('data-state', 'waiting-for-round', { timeout: 90_000 });
  await operateFederation(request, 'device-picture', 'start');
  await expect(page.getByTestId('rounds-done')).toHaveText('2', { timeout: 300_000 });
  await expect(page.getByTestId('progress-text')).toContainText('Epoch 5', { timeout: 120_000 });
  mkdirSync('docs', { recursive: true });
  await page.screenshot({ path: 'docs/device.png', fullPage: true });
  await context.close();
});
