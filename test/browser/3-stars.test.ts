import { expect, it } from 'vitest';
import {
  botMessages,
  browserSession,
  chatAs,
  failureHint,
  numberIn,
  screenshot,
  send,
  until,
} from './support';

/**
 * Buying credits with simulated Telegram Stars: a new user (added with "Add user") opens the
 * bot's command menu, sends /buy, picks a pack, pays the invoice with "Pay ⭐N", and sees the
 * credits arrive and the Stars leave their Star balance.
 */

const session = browserSession({ width: 1280, height: 800 });

it('buys a pack with Stars from the command menu and sees the balance grow', async () => {
  const s = session();
  failureHint(s, 'stars');
  const { page } = s;
  await page.goto(s.base);
  const chat = await chatAs(page, 1003);
  await until.attribute(page.getByRole('button', { name: 'User 1003', exact: true }), 'aria-current', 'true');

  // The balance before, through /balance typed in.
  await send(chat, '/balance');
  const balanceReply = botMessages(chat)
    .filter({ hasText: /Your balance: \d+ credit/ })
    .last();
  await until.visible(balanceReply, 30_000);
  const before = numberIn(await balanceReply.textContent(), /Your balance: (\d+) credit/);

  // The command menu the bot set (setMyCommands), used with the keyboard: /buy.
  const menuButton = chat.getByRole('button', { name: 'Menu' });
  await menuButton.focus();
  await page.keyboard.press('Enter');
  await until.attribute(menuButton, 'aria-expanded', 'true');
  const buy = chat.getByRole('button', { name: /^\/buy / });
  await until.visible(buy);
  await until.visible(chat.getByRole('button', { name: /^\/start / }));
  await buy.click();
  await until.attribute(menuButton, 'aria-expanded', 'false');

  // The packs, then the invoice of the first one.
  const pack = chat.getByRole('button', { name: /credits? — \d+ ⭐/ }).first();
  await until.visible(pack, 30_000);
  const packText = (await pack.textContent()) ?? '';
  const credits = numberIn(packText, /^(\d+) credit/);
  const price = numberIn(packText, /— (\d+) ⭐/);
  await pack.click();
  const stars = chat.locator('.stars');
  const starsBefore = numberIn(await stars.textContent(), /⭐([\d,]+)/);
  const pay = chat.getByRole('button', { name: `Pay ⭐${price.toLocaleString('en-US')}`, exact: true });
  await until.visible(pay, 30_000);
  await pay.click();

  const receipt = botMessages(chat).filter({ hasText: 'Payment received' });
  await until.visible(receipt, 60_000);
  expect(numberIn(await receipt.textContent(), /Your balance: (\d+)/)).toBe(before + credits);
  expect(await chat.getByRole('button', { name: 'Paid ✓' }).isDisabled()).toBe(true);
  await until.visible(chat.locator('.service').filter({ hasText: `You paid ${price} ⭐` }));
  await expect.poll(async () => numberIn(await stars.textContent(), /⭐([\d,]+)/)).toBe(starsBefore - price);
  await screenshot(page, 'stars-purchase');
});
