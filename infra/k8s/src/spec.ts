/**
 * What each service needs from Kubernetes: the one table the generated manifests
 * (`pnpm --filter @neurocards/k8s generate`) are written from. Ports, consumers, streams and
 * NATS permissions come from @neurocards/contracts; the rest is here.
 */
import { DEFAULT_PORTS, SERVICES, type ServiceName } from '@neurocards/contracts';

export const NAMESPACE = { dev: 'neurocards-dev', prod: 'neurocards' } as const;
export type Overlay = keyof typeof NAMESPACE;
export const OVERLAYS = Object.keys(NAMESPACE) as Overlay[];

/** The ingress controller's namespace: the only source of public traffic (the webhooks). */
export const INGRESS_NAMESPACE = 'ingress-nginx';
/** Prometheus's namespace: it scrapes every service's /metrics. */
export const MONITORING_NAMESPACE = 'monitoring';

/** The NATS Helm release (`helm install nats nats/nats -f infra/k8s/nats/values.yaml`). */
export const NATS_RELEASE = 'nats';
/** Pods of the NATS chart carry this label. */
export const NATS_POD_LABELS = { 'app.kubernetes.io/name': 'nats' };
/** The CloudNativePG cluster (base/postgres) and its read-write service. */
export const PG_CLUSTER = 'neurocards-db';
export const PG_DATABASE = 'neurocards';
/** The NATS users' passwords: `kubectl create secret generic nats-users --from-env-file=…` (see README). */
export const NATS_USERS_SECRET = 'nats-users';
/** Third-party secrets (BOT_TOKEN, KIE_API_KEYS, …), created out of band. */
export const APP_SECRET = 'neurocards-secrets';

export interface ServiceSpec {
  /** Takes public traffic through the ingress (Telegram's webhook, KIE's callbacks). */
  publicIngress: boolean;
  /** Calls a service on the internet over https (Telegram, KIE, OpenAI). */
  internet: string | undefined;
  /** Its PostgreSQL schema (apps/<service>/src/adapters/migrations.ts SCHEMA); the role has the same name. */
  schema: string | undefined;
  /** Variables from APP_SECRET, with whether the service fails without them. */
  secrets: Record<string, { optional: boolean }>;
}

export const SPEC: Record<ServiceName, ServiceSpec> = {
  'bot-gateway': {
    publicIngress: true,
    internet: 'Telegram Bot API',
    schema: undefined,
    secrets: { BOT_TOKEN: { optional: false }, TELEGRAM_WEBHOOK_SECRET: { optional: false } },
  },
  billing: { publicIngress: false, internet: undefined, schema: 'billing', secrets: {} },
  orchestrator: {
    publicIngress: false,
    internet: 'OpenAI API (the prompt step)',
    schema: 'orchestrator',
    secrets: { OPENAI_API_KEY: { optional: true } },
  },
  'kie-dispatcher': {
    publicIngress: true,
    internet: 'KIE API and KIE file upload',
    schema: 'kie',
    secrets: { KIE_API_KEYS: { optional: false }, KIE_WEBHOOK_HMAC_KEY: { optional: true } },
  },
  notifier: {
    publicIngress: false,
    internet: 'Telegram Bot API (sendVideo, sendMessage)',
    schema: 'notifier',
    secrets: { BOT_TOKEN: { optional: false } },
  },
};

export interface Scale {
  /** Replica floor: the autoscaler's minimum (KEDA's minReplicaCount, the HPA's minReplicas). */
  min: number;
  max: number;
}

/** Real replica floors and ceilings per overlay. */
export const SCALE: Record<Overlay, Record<ServiceName, Scale>> = {
  dev: {
    'bot-gateway': { min: 1, max: 2 },
    billing: { min: 1, max: 2 },
    orchestrator: { min: 1, max: 2 },
    'kie-dispatcher': { min: 1, max: 2 },
    notifier: { min: 1, max: 2 },
  },
  prod: {
    'bot-gateway': { min: 3, max: 10 },
    billing: { min: 2, max: 6 },
    orchestrator: { min: 3, max: 12 },
    // Key budgets are the account's, shared through KV: more replicas do not send faster.
    'kie-dispatcher': { min: 3, max: 6 },
    // Telegram's 30 messages/s are shared through KV `telegram_budget` by every replica.
    notifier: { min: 3, max: 8 },
  },
};

/** Pending messages per replica a consumer may hold before KEDA adds a replica. */
export const LAG_THRESHOLD: Record<string, number> = {
  // GPT-bound: 8 calls at once per replica, two seller-fair rounds of them.
  'orchestrator-prompt-requested': 16,
  // sendVideo uploads take seconds each.
  'notifier-video-ready': 30,
};
export const DEFAULT_LAG_THRESHOLD = 100;

/** Image tags per overlay: a version (or a digest), never `latest`. */
export const IMAGES: Record<Overlay, { newName: string; newTag?: string; digest?: string }> = {
  dev: { newName: 'registry.example.com/neurocards', newTag: '0.1.0' },
  prod: { newName: 'registry.example.com/neurocards', newTag: '0.1.0' },
};

/** Services with a KEDA ScaledObject on their consumers' pending counts; bot-gateway scales on CPU. */
export const KEDA_SERVICES: ServiceName[] = ['orchestrator', 'kie-dispatcher', 'notifier', 'billing'];

export { DEFAULT_PORTS, SERVICES };
export type { ServiceName };

/** `NATS_PASSWORD_BOT_GATEWAY`: the key of a service's password in NATS_USERS_SECRET (as `pnpm nats-config` names it). */
export const passwordVariable = (s: ServiceName) => `NATS_PASSWORD_${s.toUpperCase().replace(/-/g, '_')}`;
