import { kvCompareAndSet, type KV } from '@neurocards/platform';
import { parseSession, type Session } from '../domain/session';

export interface LoadedSession {
  /** Null when the chat has no (valid) session yet. */
  session: Session | null;
  /** KV revision to compare-and-set against; 0 when the key was never written. */
  revision: number;
}

/**
 * Conversation state per chat in KV `bot_sessions`. Writes are compare-and-set on the
 * revision read, so two updates of one chat handled at once (webhook deliveries in
 * parallel, or two replicas) cannot silently overwrite each other: the loser re-reads.
 * grammY's session plugin has no such check, which is why this is not a StorageAdapter.
 */
export interface SessionStore {
  load(chatId: number): Promise<LoadedSession>;
  /** False when someone else wrote the session since `revision`. */
  save(chatId: number, session: Session, revision: number): Promise<boolean>;
}

const enc = new TextEncoder();

/** `prefix` isolates tests that share the bucket; production uses none. */
export function createKvSessionStore(kv: KV, prefix = ''): SessionStore {
  const key = (chatId: number) => `${prefix}${chatId}`; // "-100…" of a group is a valid key too
  return {
    async load(chatId) {
      const e = await kv.get(key(chatId));
      if (!e) return { session: null, revision: 0 };
      if (e.operation !== 'PUT') return { session: null, revision: e.revision };
      let json: unknown = null;
      try {
        json = e.json();
      } catch {
        // Not JSON: treated like a missing session and overwritten on the next save.
      }
      return { session: parseSession(json), revision: e.revision };
    },
    async save(chatId, session, revision) {
      return kvCompareAndSet(kv, key(chatId), enc.encode(JSON.stringify(session)), revision);
    },
  };
}
