/// <reference lib="dom" />
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { DOCS_IMAGE } from './paths';
import {
  BOT,
  botMessages,
  browserSession,
  chatAs,
  failureHint,
  numberIn,
  screenshot,
  sendPhotoForDraft,
  stepText,
  until,
} from './support';

/**
 * The seller's order through the chat page, as a person would click it: a photo, UGC, no
 * wishes, the default quality, format and length ("Next"), three videos, Confirm — the draft
 * is one message the bot edits step by step — then three videos that play in the page and
 * the order's summary with the new balance (the demo user 1001 starts with 20 credits).
 */

const session = browserSession({ width: 1280, height: 800 });

const button = (name: string) => ({ name, exact: true });

it('orders three UGC videos from a photo and watches them play', async () => {
  const s = session();
  failureHint(s, 'order');
  const { page } = s;
  await page.goto(s.base);
  await until.attribute(page.getByRole('link', { name: 'Control panel' }), 'href', '/control');
  const chat = await chatAs(page, 1001);

  // Step 1: the draft message. Every later step edits this same message.
  const sameDraft = await sendPhotoForDraft(s, chat);
  const botCount = await botMessages(chat).count();

  // A pressed keyboard is disabled at once, until the bot edits the message.
  const disabledRightAfterPress = await chat
    .getByRole('button', button(BOT.templateUgc!))
    .evaluate((b: HTMLButtonElement) => {
      b.click();
      return b.disabled;
    });
  expect(disabledRightAfterPress).toBe(true);
  await until.text(sameDraft, stepText(2), 30_000);
  await chat.getByRole('button', button(BOT.skip!)).click();
  await until.text(sameDraft, stepText(3), 30_000);
  // Quality, format and length come pre-selected (✓); "Next" takes them.
  await until.count(sameDraft.getByRole('button', { name: /^✓ / }), 3);
  await chat.getByRole('button', button(BOT.next!)).click();
  await until.text(sameDraft, stepText(4), 30_000);
  const before = numberIn(await sameDraft.textContent(), /Balance: (\d+) credit/);
  expect(before).toBe(20); // the demo credits of a fresh sandbox
  await chat.getByRole('button', button('3')).click();
  await until.text(sameDraft, stepText(5), 30_000);
  const charged = numberIn(await sameDraft.textContent(), /Credits to be charged: (\d+)/);
  // The five steps were edits of one message: no new bot message since the draft appeared.
  expect(await botMessages(chat).count()).toBe(botCount);
  await chat.getByRole('button', button(BOT.confirm!)).click();
  await until.text(sameDraft, 'Your order (3 videos) is on its way', 30_000);
  expect(await sameDraft.getAttribute('class')).toMatch(/edited/);
  expect(
    await chat
      .locator('.msg.bot')
      .filter({ hasText: stepText(1) })
      .count(),
  ).toBe(0);

  // Three videos, each playable inline.
  const videos = chat.locator('video');
  await until.count(videos, 3, 120_000);
  for (const v of await videos.all()) {
    await until.attribute(v, 'controls', '');
    await until.attribute(v, 'playsinline', '');
  }
  const played = await videos.evaluateAll(async (els: HTMLVideoElement[]) =>
    Promise.all(
      els.map(async (v) => {
        v.muted = true;
        await v.play();
        return { paused: v.paused, error: v.error?.message ?? null };
      }),
    ),
  );
  expect(played).toEqual([
    { paused: false, error: null },
    { paused: false, error: null },
    { paused: false, error: null },
  ]);
  await page.waitForFunction(
    () => {
      const vs = Array.from(document.querySelectorAll<HTMLVideoElement>('section[data-user="1001"] video'));
      return vs.length === 3 && vs.every((v) => v.readyState >= 2 && v.duration > 0);
    },
    undefined,
    { timeout: 30_000 },
  );
  // Rendered from the photo for a 9:16 order (the default format), not the simulator's 64×64
  // placeholder: the test command installs ffmpeg, so a placeholder here is a failure.
  const sizes = await videos.evaluateAll((els: HTMLVideoElement[]) =>
    els.map((v) => `${v.videoWidth}×${v.videoHeight}`),
  );
  expect(sizes).toEqual(['480×854', '480×854', '480×854']);

  // The summary: all three delivered, and the balance less the order's price.
  const summary = botMessages(chat).filter({ hasText: /Videos delivered: \d+ of \d+/ });
  await until.text(summary, 'Videos delivered: 3 of 3', 60_000);
  expect(numberIn(await summary.textContent(), /Balance: (\d+)\./)).toBe(before - charged);

  await videos.evaluateAll((els: HTMLVideoElement[]) => els.forEach((v) => v.pause()));
  const shot = await screenshot(page, 'order-videos');
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(path.dirname(DOCS_IMAGE), { recursive: true });
    copyFileSync(shot, DOCS_IMAGE);
  }
});
