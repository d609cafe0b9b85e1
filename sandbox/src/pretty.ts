import { prettyFactory } from 'pino-pretty';
import { SERVICES } from '@neurocards/contracts';

/**
 * How the sandbox shows its services' logs. The services always write pino's JSON (as in
 * production); the sandbox turns each line into one coloured line — time, level, service,
 * message and the event's fields — unless `LOG_FORMAT=json`, which passes the JSON through.
 */
export type LogFormat = 'pretty' | 'json';

export function logFormat(value: string | undefined): LogFormat {
  if (value === undefined || value === '' || value === 'pretty') return 'pretty';
  if (value === 'json') return 'json';
  throw new Error(`LOG_FORMAT must be pretty or json, not ${JSON.stringify(value)}`);
}

/** The services' and the simulators' names, in one column. */
const WIDTH = Math.max(...[...SERVICES, 'telegram-sim'].map((s) => s.length));

/** One output line of a service, formatted for a person (or left as JSON). */
export function serviceLineFormatter(
  format: LogFormat,
  opts: { colorize?: boolean } = {},
): (service: string, line: string) => string {
  if (format === 'json') return (_service, line) => line;
  const pretty = prettyFactory({
    colorize: opts.colorize ?? process.stdout.isTTY === true,
    singleLine: true,
    customColors: 'trace:gray,debug:blue,info:green,warn:yellow,error:red,fatal:bgRed,message:reset',
    errorLikeObjectKeys: [],
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,name',
    messageFormat: (log, messageKey, _level, extras) => {
      const service = String(log.service ?? log.name ?? '').padEnd(WIDTH);
      const msg = String(log[messageKey] ?? '');
      return `${extras.colors.cyan(service)} ${msg}`;
    },
  });
  return (service, line) => {
    // Anything that is not a pino line (a stack trace of a crash, a driver's warning) is
    // shown as it came, under the service's name.
    if (!line.startsWith('{')) return `${service.padEnd(WIDTH)} ${line}`;
    let log: Record<string, unknown>;
    try {
      log = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return `${service.padEnd(WIDTH)} ${line}`;
    }
    // An error's stack would take many lines: keep its type and message on the event's line
    // (LOG_FORMAT=json shows the whole error).
    for (const [k, v] of Object.entries(log)) {
      if (v !== null && typeof v === 'object' && 'stack' in v && 'message' in v) {
        const e = v as { type?: unknown; message?: unknown };
        log[k] = `${String(e.type ?? 'Error')}: ${String(e.message)}`;
      }
    }
    return pretty(log).replace(/\n+$/, '');
  };
}
