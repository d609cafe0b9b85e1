import { modelId } from '@neurocards/contracts';

/**
 * Parsing of slash commands. `/cmd@OtherBot` is a command for another bot in a group and
 * is not ours; `/cmd@OurBot` and `/cmd` are.
 */
export interface ParsedCommand {
  name: string;
  args: string[];
}

export function parseCommand(text: string, botUsername: string | undefined): ParsedCommand | null {
  const m = /^\/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]+))?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m) return null;
  const [, name, mention, rest] = m;
  if (mention && botUsername && mention.toLowerCase() !== botUsername.toLowerCase()) return null;
  return { name: name!.toLowerCase(), args: rest ? rest.trim().split(/\s+/).filter(Boolean) : [] };
}

export type AdminCommand =
  | { type: 'grant'; userId: number; amount: number }
  | { type: 'balance'; userId: number }
  | { type: 'stats' }
  | { type: 'keys' }
  /** Lift the block or cool-down of a key, or of every key of an account (by its name). */
  | { type: 'unblock'; target: string }
  /** Offer a model again (`on`) or stop offering it (`off`). */
  | { type: 'model'; model: string; enabled: boolean }
  /** Refund a Stars purchase by its charge id (`telegram_payment_charge_id`). */
  | { type: 'refund'; chargeId: string }
  | { type: 'usage'; command: 'grant' | 'balance' | 'unblock' | 'model' | 'refund' };

const TG_ID = /^\d{1,15}$/;
/** Key and account names (`KIE_API_KEYS`: `account/name=key`); the RPC takes up to 64 characters. */
const KEY_OR_ACCOUNT = /^[A-Za-z0-9_./-]{1,64}$/;
/** A charge id as Telegram writes it: printable ASCII without spaces, at most 256 (the contracts' bound). */
const CHARGE_ID = /^[\x21-\x7e]{1,256}$/;
/** Matches the `billing.credits.grant` contract's upper bound. */
export const GRANT_MAX = 1_000_000;

/** Admin commands, or null when the command is not an admin command at all. */
export function parseAdminCommand(cmd: ParsedCommand): AdminCommand | null {
  switch (cmd.name) {
    case 'grant': {
      const [id, amount] = cmd.args;
      const n = Number(amount);
      if (
        cmd.args.length !== 2 ||
        !TG_ID.test(id ?? '') ||
        !/^\d+$/.test(amount ?? '') ||
        n < 1 ||
        n > GRANT_MAX
      ) {
        return { type: 'usage', command: 'grant' };
      }
      return { type: 'grant', userId: Number(id), amount: n };
    }
    case 'balance': {
      // Plain /balance is the admin's own balance, as for every seller (the conversation's).
      if (cmd.args.length === 0) return null;
      const [id] = cmd.args;
      if (cmd.args.length !== 1 || !TG_ID.test(id ?? '')) return { type: 'usage', command: 'balance' };
      return { type: 'balance', userId: Number(id) };
    }
    case 'stats':
      return { type: 'stats' };
    case 'keys':
      return { type: 'keys' };
    case 'unblock': {
      const [target] = cmd.args;
      if (cmd.args.length !== 1 || !KEY_OR_ACCOUNT.test(target ?? '')) return { type: 'usage', command: 'unblock' };
      return { type: 'unblock', target: target! };
    }
    case 'model': {
      const [switchTo, id] = cmd.args;
      const model = modelId.safeParse(id);
      if (cmd.args.length !== 2 || (switchTo !== 'on' && switchTo !== 'off') || !model.success)
        return { type: 'usage', command: 'model' };
      return { type: 'model', model: model.data, enabled: switchTo === 'on' };
    }
    case 'refund': {
      const [chargeId] = cmd.args;
      if (cmd.args.length !== 1 || !CHARGE_ID.test(chargeId ?? '')) return { type: 'usage', command: 'refund' };
      return { type: 'refund', chargeId: chargeId! };
    }
    default:
      return null;
  }
}

/**
 * grantId of an admin grant: derived from the update, so a redelivered update grants once.
 * The bot id is part of it because update ids are only unique per bot.
 */
export function adminGrantId(botId: number, updateId: number): string {
  return `admin-grant:${botId}:${updateId}`;
}

/** grantId of the welcome bonus: one per user, ever (billing applies a grantId once). */
export function welcomeGrantId(userId: number): string {
  return `welcome:${userId}`;
}
