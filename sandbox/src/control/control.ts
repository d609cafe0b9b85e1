/**
 * The sandbox control panel, served by the Telegram sim (same origin as the chat page):
 * GET /control (the page), GET /_control/state (JSON snapshot), POST /_control/kie,
 * POST /_control/kie/models/:id and POST /_control/telegram (docs/design.md, the sandbox section).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { NatsConnection } from '@nats-io/transport-node';
import type { TelegramSimInternals } from '../telegram/sim.js';
import { kieControl } from './kie.js';
import type { KieTarget, KieView } from './kie.js';
import { dispatcherStats, jetStreamState, natsLink } from './nats.js';
import type { DispatcherView, JetStreamView } from './nats.js';
import { describe, kieInput, modelInput, telegramInput } from './schema.js';

/**
 * What the panel steers and reads. Filled in as the sandbox starts (the Telegram sim comes up
 * before the KIE sim and NATS): until a part is set, the state shows it as unavailable.
 */
export interface ControlTargets {
  kie?: KieTarget;
  /** Key → the dispatcher's name for it (`sandbox-key-1` → `main/primary`). */
  keyNames?: Record<string, string>;
  telegram?: TelegramSimInternals;
  /** Opens an admin NATS connection (JetStream API and the dispatcher's RPC). */
  nats?: () => Promise<NatsConnection>;
}

export interface TelegramView {
  throttlePercent: number;
  blockedPercent: number;
  blockedUsers: number[];
  /** Sending/editing calls so far and how many were answered 429, 403 or 5xx. */
  sends: number;
  throttled: number;
  blocked: number;
  failed: number;
}

export interface ControlState {
  at: string;
  kie: KieView | null;
  telegram: TelegramView | null;
  dispatcher: DispatcherView;
  jetstream: JetStreamView;
}

const pct = (p: number | undefined): number => Math.round((p ?? 0) * 10_000) / 100;
const SENDING = /^(send(?!chataction)|edit)/i;

function telegramView(tg: TelegramSimInternals): TelegramView {
  const v: TelegramView = {
    throttlePercent: pct(tg.behavior.throttleRate),
    blockedPercent: pct(tg.behavior.blockedRate),
    blockedUsers: tg.blockedUsers(),
    sends: 0,
    throttled: 0,
    blocked: 0,
    failed: 0,
  };
  for (const c of tg.apiCalls()) {
    if (!SENDING.test(c.method)) continue;
    v.sends++;
    if (c.status === 429) v.throttled++;
    else if (c.status === 403) v.blocked++;
    else if (c.status !== undefined && c.status >= 500) v.failed++;
  }
  return v;
}

const bad = (reply: FastifyReply, error: string): FastifyReply => reply.code(400).send({ ok: false, error });
const unavailable = (reply: FastifyReply, what: string): FastifyReply => reply.code(503).send({ ok: false, error: `${what} is not running yet` });

export function registerControlPanel(app: FastifyInstance, targets: ControlTargets): void {
  let link: ReturnType<typeof natsLink> | undefined;
  const kie = () => (targets.kie ? kieControl(targets.kie, targets.keyNames) : undefined);
  app.addHook('onClose', async () => link?.close());

  async function natsState(): Promise<Pick<ControlState, 'dispatcher' | 'jetstream'>> {
    if (targets.nats === undefined) {
      const error = 'NATS is not connected yet';
      return { dispatcher: { ok: false, error: `dispatcher not answering (${error})` }, jetstream: { ok: false, error } };
    }
    link ??= natsLink(targets.nats);
    const nc = await link.get();
    if ('error' in nc) return { dispatcher: { ok: false, error: `dispatcher not answering (${nc.error})` }, jetstream: { ok: false, error: nc.error } };
    const [dispatcher, jetstream] = await Promise.all([dispatcherStats(nc), jetStreamState(nc)]);
    return { dispatcher, jetstream };
  }

  app.get('/control', async (_req, reply) => reply.header('cache-control', 'no-store').sendFile('control.html'));

  app.get('/_control/state', async (): Promise<ControlState> => ({
    at: new Date().toISOString(),
    kie: kie()?.view() ?? null,
    telegram: targets.telegram ? telegramView(targets.telegram) : null,
    ...(await natsState()),
  }));

  app.post('/_control/kie', async (req, reply) => {
    const k = kie();
    if (k === undefined) return unavailable(reply, 'the KIE simulator');
    const input = kieInput.safeParse(req.body);
    if (!input.success) return bad(reply, describe(input.error));
    const error = k.apply(input.data);
    if (error !== undefined) return bad(reply, error);
    return { ok: true, kie: k.view() };
  });

  app.post('/_control/kie/models/:id', async (req, reply) => {
    const k = kie();
    if (k === undefined) return unavailable(reply, 'the KIE simulator');
    const input = modelInput.safeParse(req.body);
    if (!input.success) return bad(reply, describe(input.error));
    const { id } = req.params as { id: string };
    if (!k.setWithdrawn(id, input.data.withdrawn)) return bad(reply, `unknown model ${id}`);
    return { ok: true, model: id, withdrawn: input.data.withdrawn };
  });

  app.post('/_control/telegram', async (req, reply) => {
    const tg = targets.telegram;
    if (tg === undefined) return unavailable(reply, 'the Telegram simulator');
    const input = telegramInput.safeParse(req.body);
    if (!input.success) return bad(reply, describe(input.error));
    const { throttlePercent, blockedPercent, block } = input.data;
    if (throttlePercent !== undefined) tg.behavior.throttleRate = throttlePercent / 100;
    if (blockedPercent !== undefined) tg.behavior.blockedRate = blockedPercent / 100;
    if (block !== undefined) tg.setBlocked(block.userId, block.blocked);
    return { ok: true, telegram: telegramView(tg) };
  });
}
