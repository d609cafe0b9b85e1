import { createTranslator } from '@neurocards/i18n';
import ru from '../../locales/ru.json' with { type: 'json' };
import en from '../../locales/en.json' with { type: 'json' };

/** Russian is the source of truth; `en` must have the same keys (checked by a test). */
export const locales = { ru, en };
export const t = createTranslator(locales);
export type TextKey = keyof typeof ru;
