import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { streams } from '@neurocards/contracts';
import type { RpcResponse } from '@neurocards/contracts';
import { isJetStreamNotFound, requestRpc } from '@neurocards/platform';

/** The panel answers within a poll (1–2 s); a silent dispatcher or server must not hold it up. */
const TIMEOUT_MS = 1500;

export type DispatcherView = { ok: true; stats: RpcResponse<'kie.keys.stats'> } | { ok: false; error: string };

export interface ConsumerView {
  name: string;
  filter: string | null;
  /** Messages matching the filter not yet delivered. */
  numPending: number;
  /** Delivered, not yet acked. */
  numAckPending: number;
  numRedelivered: number;
  /** Messages of its subject not yet acked: pending plus ack pending. */
  lag: number;
  /**
   * The stream's last sequence minus the last one delivered to this consumer. For a consumer
   * filtered to one subject of a shared stream this also counts other subjects' messages, so it
   * is only an upper bound; `lag` is the count that matters.
   */
  seqGap: number;
  /** Last delivery and last ack (ISO), so an idle consumer with unacked messages shows how long it waits. */
  lastDelivered: string | null;
  lastAcked: string | null;
}
export interface StreamView {
  name: string;
  messages: number;
  lastSeq: number;
  consumers: ConsumerView[];
}
export type JetStreamView = { ok: true; streams: StreamView[] } | { ok: false; error: string };

/** nats.js types `last_active` as nanos; the server sends an RFC 3339 time (absent before the first). */
const when = (v: unknown): string | null => (typeof v === 'string' && !v.startsWith('0001-') ? v : null);

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function dispatcherStats(nc: NatsConnection): Promise<DispatcherView> {
  try {
    return { ok: true, stats: await requestRpc(nc, 'kie.keys.stats', {}, TIMEOUT_MS) };
  } catch (err) {
    return { ok: false, error: `dispatcher not answering (${message(err)})` };
  }
}

/**
 * Every catalog stream's consumers with their pending and lag, through the JetStream API (an
 * admin connection: the services' users may not read other services' consumers). A stream not
 * created yet (its service has not started) is listed with no consumers.
 */
export async function jetStreamState(nc: NatsConnection, names: readonly string[] = Object.keys(streams)): Promise<JetStreamView> {
  try {
    const jsm = await jetstreamManager(nc, { timeout: TIMEOUT_MS });
    const out = await Promise.all(
      names.map(async (name): Promise<StreamView> => {
        try {
          const si = await jsm.streams.info(name);
          const consumers: ConsumerView[] = [];
          for await (const ci of jsm.consumers.list(name)) {
            consumers.push({
              name: ci.name,
              filter: ci.config.filter_subject ?? ci.config.filter_subjects?.join(', ') ?? null,
              numPending: ci.num_pending,
              numAckPending: ci.num_ack_pending,
              numRedelivered: ci.num_redelivered,
              lag: ci.num_pending + ci.num_ack_pending,
              seqGap: Math.max(0, si.state.last_seq - ci.delivered.stream_seq),
              lastDelivered: when(ci.delivered.last_active),
              lastAcked: when(ci.ack_floor.last_active),
            });
          }
          consumers.sort((a, b) => a.name.localeCompare(b.name));
          return { name, messages: si.state.messages, lastSeq: si.state.last_seq, consumers };
        } catch (err) {
          if (isJetStreamNotFound(err)) return { name, messages: 0, lastSeq: 0, consumers: [] };
          throw err;
        }
      }),
    );
    return { ok: true, streams: out };
  } catch (err) {
    return { ok: false, error: `JetStream not answering (${message(err)})` };
  }
}

/**
 * One lazily opened connection, opened again after it closes or fails; `connect` is the sandbox's
 * admin connection factory. Attempts are spaced so a down server costs a poll nothing but the error.
 */
export function natsLink(connect: () => Promise<NatsConnection>, retryMs = 2000) {
  let nc: NatsConnection | undefined;
  let failedAt = 0;
  let lastError = '';
  let opening: Promise<NatsConnection | undefined> | undefined;
  return {
    async get(): Promise<NatsConnection | { error: string }> {
      if (nc !== undefined && !nc.isClosed()) return nc;
      if (Date.now() - failedAt < retryMs) return { error: lastError };
      opening ??= connect()
        .then((c) => (nc = c))
        .catch((err: unknown) => {
          failedAt = Date.now();
          lastError = `NATS not reachable (${message(err)})`;
          return undefined;
        })
        .finally(() => (opening = undefined));
      return (await opening) ?? { error: lastError };
    },
    async close(): Promise<void> {
      await nc?.close();
    },
  };
}
