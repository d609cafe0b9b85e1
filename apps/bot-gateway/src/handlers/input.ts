import type { Message } from 'grammy/types';
import { parseCommand } from '../domain/commands';
import type { Command, Input } from '../domain/conversation';
import type { PhotoCandidate } from '../domain/validation';

/** A message as the conversation sees it: ready input, or a file to fetch first. */
export type Incoming =
  | { kind: 'input'; input: Input }
  /** `caption`: typed under the photo (the wishes); `mediaGroupId`: the album it is part of. */
  | { kind: 'file'; candidate: PhotoCandidate; caption?: string | undefined; mediaGroupId?: string | undefined };

const COMMANDS: readonly Command[] = ['start', 'help', 'cancel', 'language', 'balance'];

/** Maps a Telegram message to conversation input (admin commands are taken earlier). */
export function classifyMessage(msg: Message, botUsername: string | undefined): Incoming {
  if (msg.text !== undefined) {
    if (msg.text.startsWith('/')) {
      const cmd = parseCommand(msg.text, botUsername);
      if (cmd && (COMMANDS as readonly string[]).includes(cmd.name)) {
        return { kind: 'input', input: { kind: 'command', command: cmd.name as Command } };
      }
      return { kind: 'input', input: { kind: 'unknownCommand' } };
    }
    return { kind: 'input', input: { kind: 'text', text: msg.text } };
  }
  if (msg.photo && msg.photo.length > 0) {
    // Telegram lists the sizes of a compressed photo; the largest has the most detail.
    const largest = msg.photo.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    return {
      kind: 'file',
      ...extras(msg),
      candidate: {
        fileId: largest.file_id,
        fileUniqueId: largest.file_unique_id,
        declaredMime: 'image/jpeg',
        sizeBytes: largest.file_size ?? null,
        compressed: true,
      },
    };
  }
  // An animation (GIF) also carries `document`; it is not a product photo.
  if (msg.document && !msg.animation) {
    return {
      kind: 'file',
      ...extras(msg),
      candidate: {
        fileId: msg.document.file_id,
        fileUniqueId: msg.document.file_unique_id,
        declaredMime: msg.document.mime_type ?? null,
        sizeBytes: msg.document.file_size ?? null,
        compressed: false,
      },
    };
  }
  return { kind: 'input', input: { kind: 'otherMessage' } };
}

function extras(msg: Message): { caption?: string; mediaGroupId?: string } {
  return {
    ...(msg.caption !== undefined ? { caption: msg.caption } : {}),
    ...(msg.media_group_id !== undefined ? { mediaGroupId: msg.media_group_id } : {}),
  };
}
