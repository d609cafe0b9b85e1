/**
 * `pnpm nats-config [out]`: writes the nats-server authorization generated from the contracts
 * (one user per service, allowed only its own subjects, and an admin), default
 * `infra/nats/nats-auth.conf`, for the server to `include`. Passwords come from
 * `NATS_ADMIN_PASSWORD` and `NATS_PASSWORD_<SERVICE>` (e.g. `NATS_PASSWORD_BOT_GATEWAY`);
 * a missing one is generated and written, with every service's `NATS_USER`/`NATS_PASSWORD`,
 * to `<out>.env` (mode 0600) — never printed.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { natsServerConfig, publishes, type ServiceName } from '@neurocards/contracts';

const out = path.resolve(process.argv[2] ?? 'infra/nats/nats-auth.conf');
const services = Object.keys(publishes) as ServiceName[];
const secret = (name: string) => (name && process.env[name]) || randomBytes(24).toString('base64url');
const variable = (s: ServiceName) => `NATS_PASSWORD_${s.toUpperCase().replace(/-/g, '_')}`;

const passwords = Object.fromEntries(services.map((s) => [s, secret(variable(s))])) as Record<ServiceName, string>;
const admin = { user: 'admin', password: process.env.NATS_ADMIN_PASSWORD || secret('') };
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, natsServerConfig({ passwords, admin }), { mode: 0o600 });
const env = [
  `NATS_ADMIN_PASSWORD=${admin.password}`,
  ...services.map((s) => `${variable(s)}=${passwords[s]}`),
  '# Each service runs with NATS_USER=<its name> and NATS_PASSWORD=<its password above>.',
];
writeFileSync(`${out}.env`, `${env.join('\n')}\n`, { mode: 0o600 });
process.stdout.write(`wrote ${out} (${services.length} service users and admin) and ${out}.env\n`);
