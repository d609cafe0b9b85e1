import type { Method } from './context.js';
import { bool, int, json, str } from './params.js';
import { badRequest } from './types.js';

export const getMe: Method = ({ state }) => ({
  result: {
    ...state.botUser,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  },
});

export const getUpdates: Method = async ({ queue, params, gone, onGone }) => {
  const allowed = json<string[]>(params, 'allowed_updates');
  const result = await queue.getUpdates(
    {
      ...(int(params, 'offset') !== undefined ? { offset: int(params, 'offset') } : {}),
      ...(int(params, 'limit') !== undefined ? { limit: int(params, 'limit') } : {}),
      ...(int(params, 'timeout') !== undefined ? { timeout: int(params, 'timeout') } : {}),
      ...(allowed !== undefined ? { allowedUpdates: allowed } : {}),
    },
    gone,
    onGone,
  );
  return { result };
};

export const setWebhook: Method = ({ queue, params }) => {
  const url = str(params, 'url') ?? '';
  const drop = bool(params, 'drop_pending_updates');
  if (url === '') {
    queue.deleteWebhook(drop);
    return { result: true, description: 'Webhook was deleted' };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest('invalid webhook URL specified');
  }
  // Real Telegram insists on HTTPS on ports 443/80/88/8443; the sandbox runs on plain local HTTP.
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
  const secret = str(params, 'secret_token');
  if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) throw badRequest('secret token contains unallowed characters');
  const maxConnections = int(params, 'max_connections') ?? 40;
  if (maxConnections < 1 || maxConnections > 100) throw badRequest('invalid max_connections specified');
  const allowed = json<string[]>(params, 'allowed_updates');
  const same = queue.webhook?.url === url;
  queue.setWebhook(
    { url, maxConnections, ...(secret ? { secretToken: secret } : {}), ...(allowed ? { allowedUpdates: allowed } : {}) },
    drop,
  );
  return { result: true, description: same ? 'Webhook is already set' : 'Webhook was set' };
};

export const deleteWebhook: Method = ({ queue, params }) => {
  const had = queue.deleteWebhook(bool(params, 'drop_pending_updates'));
  return { result: true, description: had ? 'Webhook was deleted' : 'Webhook is already deleted' };
};

export const getWebhookInfo: Method = ({ queue }) => {
  const hook = queue.webhook;
  return {
    result: {
      url: hook?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: queue.pendingCount,
      ...(hook
        ? {
            max_connections: hook.maxConnections,
            ip_address: '127.0.0.1',
            ...(hook.lastErrorDate !== undefined ? { last_error_date: hook.lastErrorDate, last_error_message: hook.lastErrorMessage } : {}),
            ...(queue.allowedUpdates ? { allowed_updates: queue.allowedUpdates } : {}),
          }
        : {}),
    },
  };
};

/**
 * Command lists per scope and language, as Telegram keeps them
 * (https://core.telegram.org/bots/api#setmycommands, #botcommandscope): setMyCommands
 * replaces the list of one (scope, language_code); getMyCommands reads exactly that pair.
 */
const commands = new WeakMap<object, Map<string, unknown[]>>();
const SCOPES = new Set(['default', 'all_private_chats', 'all_group_chats', 'all_chat_administrators', 'chat', 'chat_administrators', 'chat_member']);
const COMMAND = /^[a-z0-9_]{1,32}$/;

function scopeKey(params: Parameters<Method>[0]['params']): string {
  const scope = json<{ type?: string; chat_id?: number | string; user_id?: number }>(params, 'scope') ?? { type: 'default' };
  if (!scope.type || !SCOPES.has(scope.type)) throw badRequest('unsupported scope type');
  const needsChat = scope.type === 'chat' || scope.type === 'chat_administrators' || scope.type === 'chat_member';
  if (needsChat && (scope.chat_id === undefined || scope.chat_id === '')) throw badRequest('chat_id is empty');
  const lang = str(params, 'language_code') ?? '';
  if (lang !== '' && !/^[a-z]{2}$/.test(lang)) throw badRequest('invalid language code specified');
  return JSON.stringify([scope.type, needsChat ? String(scope.chat_id) : '', scope.user_id ?? '', lang]);
}

function listsOf(state: object): Map<string, unknown[]> {
  let m = commands.get(state);
  if (!m) commands.set(state, (m = new Map()));
  return m;
}

export const setMyCommands: Method = ({ state, params }) => {
  const list = json<Array<{ command?: unknown; description?: unknown }>>(params, 'commands');
  if (!Array.isArray(list)) throw badRequest('parameter "commands" is required');
  if (list.length > 100) throw badRequest('too many commands');
  for (const c of list) {
    if (typeof c.command !== 'string' || !COMMAND.test(c.command)) throw badRequest('BOT_COMMAND_INVALID');
    if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 256)
      throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
  }
  listsOf(state).set(scopeKey(params), list);
  return { result: true };
};
export const getMyCommands: Method = ({ state, params }) => ({ result: listsOf(state).get(scopeKey(params)) ?? [] });
export const deleteMyCommands: Method = ({ state, params }) => {
  listsOf(state).delete(scopeKey(params));
  return { result: true };
};
