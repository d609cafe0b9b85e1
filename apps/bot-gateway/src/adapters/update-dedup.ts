import { createHash } from 'node:crypto';
import { kvCompareAndSet, type KV } from '@neurocards/platform';

/**
 * Telegram update de-duplication in KV `bot_updates` (grammY does not de-duplicate;
 * Telegram redelivers an update when the webhook answers slowly). `claim` is an atomic
 * create of the key `update_id`: of two deliveries of one update, exactly one wins.
 *
 * The value is a fingerprint of the update. A redelivery is the same update, byte for byte;
 * an update whose id was seen with *different* content is a new update that reuses an old
 * id (a new bot behind the same deployment, a restarted simulator) and is processed rather
 * than silently dropped for the 24 h the keys live.
 */
export interface UpdateDedup {
  /** True for the first delivery of an update, false for every repeat. */
  claim(updateId: number, update: unknown): Promise<boolean>;
  /** Gives the update back after its handling failed, so a redelivery is processed. */
  release(updateId: number): Promise<void>;
}

export function fingerprint(update: unknown): string {
  return createHash('sha256').update(JSON.stringify(update)).digest('base64url');
}

export function createUpdateDedup(kv: KV, prefix = ''): UpdateDedup {
  const key = (id: number) => `${prefix}${id}`;
  return {
    async claim(updateId, update) {
      const fp = fingerprint(update);
      if (await kvCompareAndSet(kv, key(updateId), fp, 0)) return true;
      const seen = await kv.get(key(updateId));
      if (!seen || seen.operation !== 'PUT' || seen.string() === fp) return false;
      return kvCompareAndSet(kv, key(updateId), fp, seen.revision);
    },
    async release(updateId) {
      await kv.purge(key(updateId));
    },
  };
}
