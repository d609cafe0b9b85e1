import { expect, it } from 'vitest';
import {
  BOT,
  NOTIFIER,
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
 * A content refusal set in the control panel (/control, built beside the chat page): with
 * 100 % of KIE tasks refused for content, the seller's video fails with the content-rules
 * message and its credit comes back. The panel's accessible contract: a number field labelled
 * "Content refusals (%)" (all accounts), a button "Apply", then a status "Applied".
 */

const session = browserSession({ width: 1280, height: 800 });

async function setRefusals(percent: number, shot?: string): Promise<void> {
  const s = session();
  const panel = await s.context.newPage();
  await panel.goto(`${s.base}/control`);
  await panel.getByLabel('Content refusals (%)', { exact: true }).fill(String(percent));
  await panel.getByRole('button', { name: 'Apply', exact: true }).click();
  await until.text(panel.getByRole('status'), 'Applied');
  if (shot !== undefined) {
    // The panel shows the live world: the dispatcher's keys and the consumers' counts.
    await until.text(panel.locator('#disp-keys'), 'main/primary', 30_000);
    await until.text(panel.locator('#js-consumers'), 'notifier-video-ready', 30_000);
    await screenshot(panel, shot);
  }
  await panel.close();
}

it('shows the refusal and the refund when the control panel refuses all content', async () => {
  const s = session();
  failureHint(s, 'refusal');
  const { page } = s;
  await setRefusals(100, 'control-panel');
  try {
    await page.goto(s.base);
    const chat = await chatAs(page, 1002);
    const same = await sendPhotoForDraft(s, chat);
    await chat.getByRole('button', { name: BOT.templateUgc!, exact: true }).click();
    await until.text(same, stepText(2), 30_000);
    await chat.getByRole('button', { name: BOT.skip!, exact: true }).click();
    await until.text(same, stepText(3), 30_000);
    await chat.getByRole('button', { name: BOT.next!, exact: true }).click();
    await until.text(same, stepText(4), 30_000);
    const before = numberIn(await same.textContent(), /Balance: (\d+) credit/);
    await chat.getByRole('button', { name: '1', exact: true }).click();
    await until.text(same, stepText(5), 30_000);
    await chat.getByRole('button', { name: BOT.confirm!, exact: true }).click();

    const refusal = NOTIFIER.videoFailedUserViolation!.split('\n')[0]!.replace(
      '❌ Video {index} of {count}: ',
      '',
    );
    await until.visible(botMessages(chat).filter({ hasText: refusal }), 90_000);
    const summary = botMessages(chat).filter({ hasText: /Videos delivered: \d+ of \d+/ });
    await until.text(summary, 'Videos delivered: 0 of 1', 60_000);
    await until.text(summary, 'Videos refunded: 1.');
    expect(numberIn(await summary.textContent(), /Balance: (\d+)\./)).toBe(before);
    await screenshot(page, 'content-refusal');
  } finally {
    await setRefusals(0);
  }
});
