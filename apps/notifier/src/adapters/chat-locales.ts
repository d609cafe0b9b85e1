import type { Locale } from '@neurocards/contracts';
import type { Sql } from '@neurocards/platform';

/** The language each chat chose with /language, as users.language.set.v1 reported it. */
export interface ChatLocales {
  /** Records a choice; an older one than the stored one changes nothing (idempotent). */
  save(choice: { chatId: number; locale: Locale; setAt: string }): Promise<void>;
  /** The chosen languages of these chats; a chat that never chose is absent. */
  of(chatIds: readonly number[]): Promise<Map<number, Locale>>;
}

export function createChatLocales(sql: Sql): ChatLocales {
  return {
    async save({ chatId, locale, setAt }) {
      await sql`
        insert into chat_locales (chat_id, locale, set_at) values (${chatId}, ${locale}, ${setAt})
        on conflict (chat_id) do update set locale = excluded.locale, set_at = excluded.set_at
        where chat_locales.set_at <= excluded.set_at`;
    },
    async of(chatIds) {
      if (chatIds.length === 0) return new Map();
      const rows = await sql<{ chat_id: string; locale: Locale }[]>`
        select chat_id, locale from chat_locales where chat_id in ${sql([...chatIds])}`;
      return new Map(rows.map((r) => [Number(r.chat_id), r.locale]));
    },
  };
}
