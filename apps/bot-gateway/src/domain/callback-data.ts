import { templateId, type TemplateId, type VideoCount } from '@neurocards/contracts';

/**
 * Inline-button payloads: `<action>:<draftId>[:<arg>]`. Telegram caps callback data at
 * 64 bytes; the draft id makes a button of an older draft recognisable as outdated.
 */
export type CallbackData =
  | { action: 'template'; draftId: string; template: TemplateId }
  | { action: 'skip'; draftId: string }
  | { action: 'count'; draftId: string; count: VideoCount }
  /** A count the balance cannot pay: pressing it explains instead of ordering. */
  | { action: 'locked'; draftId: string; count: VideoCount }
  | { action: 'confirm'; draftId: string }
  | { action: 'cancel'; draftId: string };

const CODES = {
  template: 'tpl',
  skip: 'skip',
  count: 'cnt',
  locked: 'lock',
  confirm: 'ok',
  cancel: 'no',
} as const satisfies Record<CallbackData['action'], string>;

export const CALLBACK_DATA_MAX_BYTES = 64;
const DRAFT_ID = /^[A-Za-z0-9_-]{1,16}$/;

export function encodeCallback(d: CallbackData): string {
  switch (d.action) {
    case 'template':
      return `${CODES.template}:${d.draftId}:${d.template}`;
    case 'count':
    case 'locked':
      return `${CODES[d.action]}:${d.draftId}:${d.count}`;
    case 'skip':
    case 'confirm':
    case 'cancel':
      return `${CODES[d.action]}:${d.draftId}`;
  }
}

function parseCount(s: string | undefined): VideoCount | null {
  return s === '1' || s === '3' || s === '5' ? (Number(s) as VideoCount) : null;
}

/** Parses callback data; anything unknown or malformed (e.g. a forged button) is null. */
export function decodeCallback(raw: string | undefined): CallbackData | null {
  if (!raw || raw.length > CALLBACK_DATA_MAX_BYTES) return null;
  const [code = '', draftId, arg, ...rest] = raw.split(':');
  if (!draftId || !DRAFT_ID.test(draftId) || rest.length > 0) return null;
  switch (code) {
    case CODES.template: {
      const t = templateId.safeParse(arg);
      return t.success ? { action: 'template', draftId, template: t.data } : null;
    }
    case CODES.count:
    case CODES.locked: {
      const count = parseCount(arg);
      if (count === null) return null;
      return { action: code === CODES.count ? 'count' : 'locked', draftId, count };
    }
    case CODES.skip:
      return arg === undefined ? { action: 'skip', draftId } : null;
    case CODES.confirm:
      return arg === undefined ? { action: 'confirm', draftId } : null;
    case CODES.cancel:
      return arg === undefined ? { action: 'cancel', draftId } : null;
    default:
      return null;
  }
}
