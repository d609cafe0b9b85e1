import {
  locale,
  ORDER_BUTTON_CODES,
  templateId,
  type AspectRatio,
  type Locale,
  type OrderButton,
  type TemplateId,
  type VideoCount,
} from '@neurocards/contracts';

/**
 * Inline-button payloads: `<action>:<draftId>[:<arg>]`. Telegram caps callback data at
 * 64 bytes; the draft id makes a button of an older draft recognisable as outdated.
 * The language buttons of /language carry no draft: `lang:<locale>`.
 */
export type CallbackData =
  | { action: 'template'; draftId: string; template: TemplateId }
  | { action: 'skip'; draftId: string }
  /** A model of the offer, by its position (model ids may be long; the press is re-checked). */
  | { action: 'model'; draftId: string; index: number }
  | { action: 'format'; draftId: string; aspectRatio: AspectRatio }
  | { action: 'length'; draftId: string; seconds: number }
  /** From the video step (defaults or chosen settings) to the count. */
  | { action: 'next'; draftId: string }
  | { action: 'count'; draftId: string; count: VideoCount }
  /** A count the balance cannot pay: pressing it explains instead of ordering. */
  | { action: 'locked'; draftId: string; count: VideoCount }
  | { action: 'confirm'; draftId: string }
  /**
   * Under a top-up receipt (contracts `resumeDraft`): back to this draft's confirmation with
   * the count that was locked for lack of credits.
   */
  | { action: 'continue'; draftId: string; count: VideoCount }
  | { action: 'back'; draftId: string }
  | { action: 'cancel'; draftId: string }
  | { action: 'language'; locale: Locale }
  /** Under a video or an order summary (contracts `orderButtonData`): the order's key. */
  | { action: 'orderAgain'; orderKey: string; button: OrderButton };

const CODES = {
  template: 'tpl',
  skip: 'skip',
  model: 'mdl',
  format: 'fmt',
  length: 'len',
  next: 'next',
  count: 'cnt',
  locked: 'lock',
  confirm: 'ok',
  continue: 'cont',
  back: 'back',
  cancel: 'no',
  language: 'lang',
} as const satisfies Record<Exclude<CallbackData['action'], 'orderAgain'>, string>;

export const CALLBACK_DATA_MAX_BYTES = 64;
const DRAFT_ID = /^[A-Za-z0-9_-]{1,16}$/;
const FORMAT = { portrait: 'p', landscape: 'l' } as const satisfies Record<AspectRatio, string>;

export function encodeCallback(d: CallbackData): string {
  switch (d.action) {
    case 'template':
      return `${CODES.template}:${d.draftId}:${d.template}`;
    case 'count':
    case 'locked':
    case 'continue':
      return `${CODES[d.action]}:${d.draftId}:${d.count}`;
    case 'model':
      return `${CODES.model}:${d.draftId}:${d.index}`;
    case 'format':
      return `${CODES.format}:${d.draftId}:${FORMAT[d.aspectRatio]}`;
    case 'length':
      return `${CODES.length}:${d.draftId}:${d.seconds}`;
    case 'skip':
    case 'next':
    case 'confirm':
    case 'back':
    case 'cancel':
      return `${CODES[d.action]}:${d.draftId}`;
    case 'language':
      return `${CODES.language}:${d.locale}`;
    case 'orderAgain':
      return `${ORDER_BUTTON_CODES[d.button]}:${d.orderKey}`;
  }
}

function parseCount(s: string | undefined): VideoCount | null {
  return s === '1' || s === '3' || s === '5' ? (Number(s) as VideoCount) : null;
}

/** A small non-negative integer without leading zeros, or null. */
function parseSmallInt(s: string | undefined, max: number): number | null {
  if (s === undefined || !/^(0|[1-9]\d{0,2})$/.test(s)) return null;
  const n = Number(s);
  return n <= max ? n : null;
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
    case CODES.locked:
    case CODES.continue: {
      const count = parseCount(arg);
      if (count === null) return null;
      const action = code === CODES.count ? 'count' : code === CODES.locked ? 'locked' : 'continue';
      return { action, draftId, count };
    }
    case CODES.model: {
      const index = parseSmallInt(arg, 99);
      return index === null ? null : { action: 'model', draftId, index };
    }
    case CODES.format:
      if (arg === FORMAT.portrait) return { action: 'format', draftId, aspectRatio: 'portrait' };
      if (arg === FORMAT.landscape) return { action: 'format', draftId, aspectRatio: 'landscape' };
      return null;
    case CODES.length: {
      const seconds = parseSmallInt(arg, 60);
      return seconds === null || seconds === 0 ? null : { action: 'length', draftId, seconds };
    }
    case CODES.skip:
    case CODES.next:
    case CODES.confirm:
    case CODES.back:
    case CODES.cancel: {
      if (arg !== undefined) return null;
      const action = (Object.keys(CODES) as Array<keyof typeof CODES>).find((k) => CODES[k] === code)!;
      return { action, draftId } as CallbackData;
    }
    case ORDER_BUTTON_CODES.more:
    case ORDER_BUTTON_CODES.template:
      if (arg !== undefined) return null;
      return { action: 'orderAgain', orderKey: draftId, button: code === ORDER_BUTTON_CODES.more ? 'more' : 'template' };
    case CODES.language: {
      const l = locale.safeParse(draftId);
      return l.success && arg === undefined ? { action: 'language', locale: l.data } : null;
    }
    default:
      return null;
  }
}
