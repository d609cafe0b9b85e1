/// <reference lib="dom" />
import { expect, it } from 'vitest';
import { browserSession, chatAs, failureHint, screenshot, until } from './support';

/** The chat page on a phone-sized screen (360×740): one pane at a time, nothing wider than the screen, usable by keyboard. */

const session = browserSession({ width: 360, height: 740 });

it('fits a phone and switches users with the buttons on top', async () => {
  const s = session();
  failureHint(s, 'phone');
  const { page } = s;
  await page.goto(s.base);
  const first = await chatAs(page, 1001);
  await page.getByRole('button', { name: 'User 1001', exact: true }).click();
  await until.visible(first);
  await until.hidden(page.getByRole('region', { name: 'User 1002', exact: true }));
  await until.visible(page.getByRole('link', { name: 'Control panel' }));
  await until.visible(first.getByRole('log'));
  const sendBox = await first.getByRole('button', { name: 'Send', exact: true }).boundingBox();
  expect(sendBox && sendBox.x + sendBox.width <= 360 && sendBox.y + sendBox.height <= 740).toBe(true);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  // Keyboard: Menu opens with Enter, arrows move, Escape closes it and gives the focus back.
  const menuButton = first.getByRole('button', { name: 'Menu' });
  await menuButton.focus();
  await page.keyboard.press('Enter');
  await until.focused(first.getByRole('button', { name: /^\/start / }));
  await page.keyboard.press('ArrowDown');
  expect(
    await first.getByRole('button', { name: /^\/start / }).evaluate((e) => e === document.activeElement),
  ).toBe(false);
  await page.keyboard.press('Escape');
  await until.attribute(menuButton, 'aria-expanded', 'false');
  await until.focused(menuButton);

  await page.getByRole('button', { name: 'User 1002', exact: true }).click();
  await until.visible(page.getByRole('region', { name: 'User 1002', exact: true }));
  await until.hidden(first);
  await page.getByRole('button', { name: 'User 1001', exact: true }).click();
  await until.visible(first);
  await screenshot(page, 'phone');
});
