/// <reference lib="dom" />
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, onTestFailed } from 'vitest';
import { REPO_ROOT, SCREENSHOT_DIR } from './paths';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The bot's texts as the seller sees them (the page's language is set to English). */
const locale = (file: string): Record<string, string> =>
  JSON.parse(readFileSync(path.join(REPO_ROOT, file), 'utf8')) as Record<string, string>;
export const BOT = locale('apps/bot-gateway/locales/en.json');
export const NOTIFIER = locale('apps/notifier/locales/en.json');

export interface Session {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  base: string;
  /** Uncaught errors of the page's script. */
  errors: string[];
  close(): Promise<void>;
}

/** Chromium with a fresh profile, one page at `size`, and the sandbox's log named on a failure. */
export async function openBrowser(size = { width: 1280, height: 800 }): Promise<Session> {
  const base = inject('sandboxUrl');
  const profile = mkdtempSync(path.join(os.tmpdir(), 'nc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: size,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    browser: context.browser()!,
    context,
    page,
    base,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Call at the start of a test: on its failure, says where the sandbox's log is and what the page threw. */
export function failureHint(session: Session, name: string): void {
  onTestFailed(async () => {
    await session.page
      .screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-failed.png`) })
      .catch(() => undefined);
    process.stderr.write(
      `\nbrowser test failed; the sandbox's log: ${inject('sandboxLog')}; screenshots: ${SCREENSHOT_DIR}\n`,
    );
    if (session.errors.length > 0)
      process.stderr.write(`errors in the page:\n${session.errors.join('\n')}\n`);
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** The chat pane of one user. */
export function pane(page: Page, userId: number): Locator {
  return page.getByRole('region', { name: `User ${userId}`, exact: true });
}

/** Opens a user's pane (adding it when needed), in English. */
export async function chatAs(page: Page, userId: number): Promise<Locator> {
  const p = pane(page, userId);
  if ((await p.count()) === 0) {
    await page.getByLabel('New user id').fill(String(userId));
    await page.getByRole('button', { name: 'Add user', exact: true }).click();
  }
  await p.getByLabel('Language').selectOption('en');
  return p;
}

/** The bot's messages of a pane, newest last. */
export const botMessages = (p: Locator): Locator => p.locator('.msg.bot');

/** Types a message and sends it with Enter, as a seller would. */
export async function send(p: Locator, text: string): Promise<void> {
  const box = p.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

/** A product photo (a bottle on a table), drawn by the browser itself. */
export async function productPhoto(session: Session): Promise<Buffer> {
  const page = await session.context.newPage();
  await page.setViewportSize({ width: 480, height: 480 });
  await page.setContent(`<body style="margin:0">
    <div style="width:480px;height:480px;background:linear-gradient(#f4efe6,#d9cbb5);position:relative">
      <div style="position:absolute;left:190px;top:70px;width:100px;height:300px;border-radius:40px 40px 18px 18px;background:linear-gradient(90deg,#2e7d6b,#5fbfa6,#2e7d6b)"></div>
      <div style="position:absolute;left:215px;top:35px;width:50px;height:50px;border-radius:8px;background:#333"></div>
      <div style="position:absolute;left:200px;top:190px;width:80px;height:90px;background:#fff;border-radius:6px;font:bold 20px sans-serif;color:#2e7d6b;display:flex;align-items:center;justify-content:center">AQUA</div>
      <div style="position:absolute;left:0;top:370px;width:480px;height:110px;background:#8d6e52"></div>
    </div></body>`);
  const png = await page.screenshot({ type: 'png' });
  await page.close();
  return png;
}

/** The number in a text matched by `re` (its first group). */
export function numberIn(text: string | null, re: RegExp): number {
  const m = re.exec(text ?? '');
  if (!m?.[1]) throw new Error(`no ${re} in: ${text}`);
  return Number(m[1].replace(/[^\d]/g, ''));
}

// ---- waiting for the page (playwright-core has no web-first assertions; vitest's expect.poll stands in) ----

const now = (l: Locator) =>
  l
    .first()
    .textContent({ timeout: 1_000 })
    .catch(() => null);
const escape = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

export const until = {
  visible: (l: Locator, timeout = 30_000) => l.first().waitFor({ state: 'visible', timeout }),
  hidden: (l: Locator, timeout = 30_000) => l.first().waitFor({ state: 'hidden', timeout }),
  text: (l: Locator, text: string | RegExp, timeout = 30_000) =>
    expect
      .poll(async () => (await now(l)) ?? '', { timeout, message: `text of ${l.toString()}` })
      .toMatch(typeof text === 'string' ? escape(text) : text),
  attribute: (l: Locator, name: string, value: string | null, timeout = 30_000) =>
    expect
      .poll(
        () =>
          l
            .first()
            .getAttribute(name, { timeout: 1_000 })
            .catch(() => undefined),
        { timeout, message: `${name} of ${l.toString()}` },
      )
      .toBe(value),
  count: (l: Locator, n: number, timeout = 30_000) =>
    expect.poll(() => l.count(), { timeout, message: `count of ${l.toString()}` }).toBe(n),
  focused: (l: Locator, timeout = 10_000) =>
    expect
      .poll(
        () =>
          l
            .first()
            .evaluate((e) => e === document.activeElement, undefined, { timeout: 1_000 })
            .catch(() => false),
        { timeout, message: `focus on ${l.toString()}` },
      )
      .toBe(true),
};

/** One browser session for a test file: opened before its tests, closed after them. */
export function browserSession(size = { width: 1280, height: 800 }): () => Session {
  let session: Session | undefined;
  beforeAll(async () => {
    session = await openBrowser(size);
  });
  afterAll(async () => session?.close());
  return () => session!;
}

/** The order draft's step indicator ("Step 2 of 5"). */
export const stepText = (step: number): string =>
  BOT.stepIndicator!.replace('{step}', String(step)).replace('{total}', '5');

/**
 * Sends the product photo from `chat` and waits for the order draft (step 1); every later step
 * edits that same message, which the returned locator follows by its id.
 */
export async function sendPhotoForDraft(s: Session, chat: Locator): Promise<Locator> {
  await chat
    .locator('input[type=file]')
    .setInputFiles({ name: 'bottle.png', mimeType: 'image/png', buffer: await productPhoto(s) });
  await chat.getByRole('button', { name: 'Send', exact: true }).click();
  await until.visible(chat.getByRole('img', { name: 'Photo you sent' }).last());
  const draft = botMessages(chat).filter({ hasText: stepText(1) });
  await until.visible(draft, 30_000);
  const id = await draft.getAttribute('data-message-id');
  return chat.locator(`.msg.bot[data-message-id="${id}"]`);
}
