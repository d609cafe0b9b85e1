import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BROWSER_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(BROWSER_DIR, '../..');
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test/.screenshots');
export const LOG_FILE = path.join(REPO_ROOT, 'test/.logs/browser-sandbox.log');
export const DOCS_IMAGE = path.join(REPO_ROOT, 'docs/img/sandbox-chat.png');
