import { createTranslator, type Translator } from '@neurocards/i18n';
import en from '../locales/en.json' with { type: 'json' };
import ru from '../locales/ru.json' with { type: 'json' };

export { ru, en };

export type TextKey = keyof typeof ru;
export type T = Translator<TextKey>;

/** The gateway's texts: Russian is the source of truth, English mirrors its keys. */
export const t: T = createTranslator({ ru, en });
