/**
 * The manifests' CI check: renders every overlay (`kubectl kustomize` when present, and always
 * the Node renderer, which must agree with it), validates every object against the Kubernetes,
 * KEDA, CloudNativePG and prometheus-operator schemas (the `kubernetes-models` packages), and
 * checks the manifests against the code: images, ports, probe paths, every variable each service
 * reads, NATS users, consumers, schemas, and the metric names in alerts and the dashboard.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { consumers, natsPermissions, streamOf, type Subject } from '@neurocards/contracts';
import * as billingConfig from '../../../apps/billing/src/config';
import * as gatewayConfig from '../../../apps/bot-gateway/src/config';
import * as dispatcherConfig from '../../../apps/kie-dispatcher/src/config';
import * as notifierConfig from '../../../apps/notifier/src/config';
import * as orchestratorConfig from '../../../apps/orchestrator/src/config';
import { SCHEMA as billingSchema } from '../../../apps/billing/src/adapters/migrations';
import { SCHEMA as dispatcherSchema } from '../../../apps/kie-dispatcher/src/adapters/migrations';
import { SCHEMA as notifierSchema } from '../../../apps/notifier/src/adapters/migrations';
import { SCHEMA as orchestratorSchema } from '../../../apps/orchestrator/src/adapters/migrations';
import { ADMIN_PASSWORD_VARIABLE, generatedFiles, natsAuthInclude, ROOT } from './generate';
import { kustomizeKubectl, kustomizeNode, objectKey, readYamlDocs, type K8sObject } from './kustomize';
import {
  DEFAULT_PORTS,
  INGRESS_NAMESPACE,
  KEDA_SERVICES,
  NAMESPACE,
  NATS_USERS_SECRET,
  OVERLAYS,
  SCALE,
  SERVICES,
  SPEC,
  passwordVariable,
  type Overlay,
  type ServiceName,
} from './spec';

const CONFIGS: Record<ServiceName, { schema: z.ZodObject; loadConfig: (env: NodeJS.ProcessEnv) => unknown }> =
  {
    billing: billingConfig,
    'bot-gateway': gatewayConfig,
    'kie-dispatcher': dispatcherConfig,
    notifier: notifierConfig,
    orchestrator: orchestratorConfig,
  };
const SCHEMAS: Partial<Record<ServiceName, string>> = {
  billing: billingSchema,
  'kie-dispatcher': dispatcherSchema,
  notifier: notifierSchema,
  orchestrator: orchestratorSchema,
};

/** Variables a service reads that the manifests leave unset on purpose (the default is right). */
const UNSET: Record<string, string> = {
  KIE_MODEL: 'a legacy alias of KIE_MODELS',
  KIE_MODEL_PRICES: 'every model costs 1 credit until priced',
  KIE_CALLBACK_BASE_URL: 'callbacks go to PUBLIC_BASE_URL',
};

const keysOf = (s: ServiceName) => new Set(Object.keys(CONFIGS[s].schema.shape));
/** HTTP_PORT is read by platform's httpPort(), outside the zod schemas. */
const reads = (s: ServiceName, name: string) => name === 'HTTP_PORT' || keysOf(s).has(name);

const rendered = Object.fromEntries(
  OVERLAYS.map((o) => [o, kustomizeNode(path.join(ROOT, 'overlays', o))]),
) as Record<Overlay, K8sObject[]>;

type Container = {
  name: string;
  image: string;
  command?: string[];
  workingDir?: string;
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { key: string } };
  }[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: { httpGet: { path: string; port: string | number } };
  livenessProbe?: { httpGet: { path: string; port: string | number } };
};
const podSpec = (o: K8sObject) =>
  (o.spec as { template: { spec: { containers: Container[] } } }).template.spec;
const find = (objs: K8sObject[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const configMap = (objs: K8sObject[]) =>
  (find(objs, 'ConfigMap', 'neurocards-config').data ?? {}) as Record<string, string>;

/** The environment a container would see: ConfigMap, then env (later wins), `$(VAR)` expanded; secrets as well-formed placeholders. */
function containerEnvironment(objs: K8sObject[], c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? [])
    if (from.configMapRef?.name === 'neurocards-config') Object.assign(env, configMap(objs));
  const placeholders: Record<string, string> = {
    BOT_TOKEN: '123456:placeholder_token',
    TELEGRAM_WEBHOOK_SECRET: 'placeholder-secret',
    KIE_API_KEYS: 'main/key1=placeholder',
  };
  for (const e of c.env ?? []) {
    if (e.value !== undefined)
      env[e.name] = e.value.replace(/\$\(([A-Z_]+)\)/g, (_m, v: string) => env[v] ?? `$(${v})`);
    else if (e.valueFrom?.configMapKeyRef)
      env[e.name] = configMap(objs)[e.valueFrom.configMapKeyRef.key] ?? '';
    else if (e.valueFrom?.secretKeyRef) env[e.name] = placeholders[e.name] ?? 'placeholder';
  }
  return env;
}

describe('infra/k8s', () => {
  it('generated files are up to date (pnpm --filter @neurocards/k8s generate)', () => {
    for (const [rel, text] of Object.entries(generatedFiles())) {
      const file = path.join(ROOT, rel);
      expect(existsSync(file), `${rel} missing`).toBe(true);
      expect(readFileSync(file, 'utf8'), `${rel} is stale`).toBe(text);
    }
  });

  it.each(OVERLAYS)('%s: the Node renderer agrees with kubectl kustomize (when installed)', (overlay) => {
    const kubectl = kustomizeKubectl(path.join(ROOT, 'overlays', overlay));
    if (!kubectl) return;
    const byKey = (objs: K8sObject[]) => Object.fromEntries(objs.map((o) => [objectKey(o), o]));
    expect(byKey(rendered[overlay])).toEqual(byKey(kubectl));
  });

  it.each(OVERLAYS)('%s: every object validates against its Kubernetes / CRD schema', async (overlay) => {
    const modules: Record<string, string> = {
      v1: 'kubernetes-models/v1',
      'apps/v1': 'kubernetes-models/apps/v1',
      'batch/v1': 'kubernetes-models/batch/v1',
      'policy/v1': 'kubernetes-models/policy/v1',
      'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
      'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
      'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1',
      'postgresql.cnpg.io/v1': '@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1',
      'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
    };
    const failures: string[] = [];
    for (const o of rendered[overlay]) {
      const mod = modules[o.apiVersion];
      expect(mod, `no schema for ${o.apiVersion}`).toBeDefined();
      const Model = (
        (await import(`${mod}/${o.kind}`)) as Record<string, new (d: unknown) => { validate(): void }>
      )[o.kind];
      expect(Model, `no model for ${o.apiVersion} ${o.kind}`).toBeDefined();
      try {
        new Model!(o).validate();
      } catch (err) {
        failures.push(`${objectKey(o)}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it.each(OVERLAYS)('%s: images are pinned, never latest', (overlay) => {
    for (const o of rendered[overlay].filter((x) => x.kind === 'Deployment' || x.kind === 'Job')) {
      for (const c of podSpec(o).containers) {
        expect(c.image, objectKey(o)).toMatch(
          /^registry\.example\.com\/neurocards(:\d+\.\d+\.\d+|@sha256:[0-9a-f]{64})$/,
        );
      }
    }
  });

  it.each(OVERLAYS)('%s: ports and probe paths are what the services serve', (overlay) => {
    const http = readFileSync(path.join(ROOT, '../../packages/platform/src/http.ts'), 'utf8');
    for (const p of ['/healthz', '/readyz', '/metrics']) expect(http).toContain(`app.get('${p}'`);
    const objs = rendered[overlay];
    for (const s of SERVICES) {
      const d = find(objs, 'Deployment', s);
      const [c] = podSpec(d).containers;
      expect(c?.workingDir).toBe(`/app/apps/${s}`);
      expect(c?.command).toEqual(['node', 'dist/main.js']);
      expect(c?.ports).toEqual([{ name: 'http', containerPort: DEFAULT_PORTS[s] }]);
      expect(c?.env?.find((e) => e.name === 'HTTP_PORT')?.value).toBe(String(DEFAULT_PORTS[s]));
      expect(c?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(c?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      const svc = find(objs, 'Service', s).spec as {
        ports: { targetPort: string }[];
        selector: Record<string, string>;
      };
      expect(svc.ports.map((p) => p.targetPort)).toEqual(['http']);
      expect(svc.selector).toEqual({ app: s });
    }
    const sm = find(objs, 'ServiceMonitor', 'neurocards').spec as {
      endpoints: { port: string; path: string }[];
    };
    expect(sm.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
  });

  it.each(OVERLAYS)(
    '%s: every variable set is read, every variable read is set, and the values parse',
    (overlay) => {
      const objs = rendered[overlay];
      const shared = Object.keys(configMap(objs));
      for (const key of shared) {
        const readers = SERVICES.filter((s) => reads(s, key));
        expect(readers.length, `ConfigMap key ${key} is read by no service`).toBeGreaterThan(0);
      }
      const workloads = [
        ...SERVICES.map((s) => [s, find(objs, 'Deployment', s)] as const),
        ...SERVICES.filter((s) => SPEC[s].schema).map((s) => [s, find(objs, 'Job', `${s}-migrate`)] as const),
      ];
      for (const [s, w] of workloads) {
        const [c] = podSpec(w).containers;
        const names = (c?.env ?? []).map((e) => e.name);
        const interpolated = (c?.env ?? []).flatMap((e) =>
          [...(e.value ?? '').matchAll(/\$\(([A-Z_]+)\)/g)].map((m) => m[1]),
        );
        for (const n of names) {
          const ok = reads(s, n) || interpolated.includes(n);
          expect(ok, `${objectKey(w)} sets ${n}, which ${s} does not read`).toBeTruthy();
        }
        const env = containerEnvironment(objs, c!);
        for (const key of keysOf(s)) {
          if (key === 'DATABASE_URL' && !SPEC[s].schema) continue;
          const optionalSecret = SPEC[s].secrets[key]?.optional;
          expect(
            key in env || key in UNSET || optionalSecret,
            `${s} reads ${key}, which ${objectKey(w)} does not set`,
          ).toBeTruthy();
        }
        expect(
          () => CONFIGS[s].loadConfig(env),
          `${objectKey(w)}: its environment fails ${s}'s config`,
        ).not.toThrow();
      }
    },
  );

  it('prod: streams with 3 replicas, provisioned by a Job; services only check', () => {
    const prod = configMap(rendered.prod);
    expect(prod.NATS_REPLICAS).toBe('3');
    expect(prod.NATS_PROVISION).toBe('check');
    expect(configMap(rendered.dev).NATS_PROVISION).toBe('check');
    for (const overlay of OVERLAYS) {
      const [c] = podSpec(find(rendered[overlay], 'Job', 'nats-provision')).containers;
      expect(c?.command).toEqual(['node', 'dist/provision-cli.js']);
      const env = containerEnvironment(rendered[overlay], c!);
      expect(env).toMatchObject({
        NATS_USER: 'admin',
        NATS_REPLICAS: configMap(rendered[overlay]).NATS_REPLICAS,
      });
      for (const s of SERVICES.filter((x) => SPEC[x].schema)) {
        expect(podSpec(find(rendered[overlay], 'Job', `${s}-migrate`)).containers[0]?.command).toEqual([
          'node',
          'dist/main.js',
          '--migrate-only',
        ]);
      }
    }
  });

  it('NATS: 3 JetStream nodes on PVCs with sync_interval always, users from the contracts', () => {
    const values = parse(readFileSync(path.join(ROOT, 'nats/values.yaml'), 'utf8')) as {
      config: {
        cluster: { enabled: boolean; replicas: number };
        jetstream: {
          enabled: boolean;
          fileStore: { pvc: { enabled: boolean } };
          merge: Record<string, unknown>;
        };
        merge: Record<string, unknown>;
      };
      container: {
        image: { tag: string };
        env: Record<string, { valueFrom: { secretKeyRef: { name: string; key: string } } }>;
      };
    };
    expect(values.config.cluster).toMatchObject({ enabled: true, replicas: 3 });
    expect(values.config.jetstream).toMatchObject({ enabled: true, fileStore: { pvc: { enabled: true } } });
    expect(values.config.jetstream.merge.sync_interval).toBe('always');
    expect(values.config.merge.$include).toBe('auth/nats-auth.conf');
    expect(values.container.image.tag).not.toMatch(/latest/);

    // The include: one block per service whose permissions are the contracts', and every
    // password variable it names is given to the server from the Secret.
    const conf = readFileSync(path.join(ROOT, 'nats/nats-auth.conf'), 'utf8');
    expect(conf).toBe(natsAuthInclude());
    const variables = [...conf.matchAll(/password: \$([A-Z_]+)/g)].map((m) => m[1]);
    expect(variables.sort()).toEqual([ADMIN_PASSWORD_VARIABLE, ...SERVICES.map(passwordVariable)].sort());
    for (const v of variables)
      expect(values.container.env[v!]?.valueFrom.secretKeyRef).toEqual({ name: NATS_USERS_SECRET, key: v });
    for (const s of SERVICES) {
      const block = new RegExp(
        `user: "${s}"\\n\\s+password: \\$[A-Z_]+\\n\\s+permissions: \\{\\n\\s+publish: \\{ allow: (\\[.*\\]) \\}\\n\\s+subscribe: \\{ allow: (\\[.*\\]) \\}`,
      ).exec(conf);
      expect(block, `no user ${s}`).not.toBeNull();
      const p = natsPermissions(s, { provision: false });
      expect(JSON.parse(block![1]!)).toEqual(p.publish);
      expect(JSON.parse(block![2]!)).toEqual(p.subscribe);
      for (const overlay of OVERLAYS) {
        const env = podSpec(find(rendered[overlay], 'Deployment', s)).containers[0]?.env ?? [];
        expect(env.find((e) => e.name === 'NATS_USER')?.value).toBe(s);
        expect(env.find((e) => e.name === 'NATS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
          name: NATS_USERS_SECRET,
          key: passwordVariable(s),
        });
      }
    }
    // The server itself accepts the include (when nats-server is installed).
    try {
      const dir = mkdtempSync(path.join(tmpdir(), 'nats-auth-'));
      mkdirSync(path.join(dir, 'auth'));
      writeFileSync(path.join(dir, 'auth/nats-auth.conf'), conf);
      writeFileSync(path.join(dir, 'nats.conf'), 'port: 4222\ninclude auth/nats-auth.conf\n');
      const env = { ...process.env, ...Object.fromEntries(variables.map((v) => [v, 'secret'])) };
      execFileSync('nats-server', ['-c', path.join(dir, 'nats.conf'), '-t'], { env, stdio: 'pipe' });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
    }
  });

  it.each(OVERLAYS)(
    '%s: KEDA scales each consumer service on its consumers, the HPA the gateway, from the overlay floors',
    (overlay) => {
      const objs = rendered[overlay];
      for (const s of KEDA_SERVICES) {
        const so = find(objs, 'ScaledObject', s).spec as {
          scaleTargetRef: { name: string };
          minReplicaCount: number;
          maxReplicaCount: number;
          triggers: { type: string; metadata: Record<string, string> }[];
        };
        expect(so.scaleTargetRef.name).toBe(s);
        expect(so.minReplicaCount).toBe(SCALE[overlay][s].min);
        expect(so.maxReplicaCount).toBe(SCALE[overlay][s].max);
        const defs = consumers[s] as readonly { durable: string; subject: Subject }[];
        expect(so.triggers.map((t) => [t.type, t.metadata.stream, t.metadata.consumer])).toEqual(
          defs.map((c) => ['nats-jetstream', streamOf(c.subject), c.durable]),
        );
        for (const t of so.triggers) {
          expect(t.metadata.natsServerMonitoringEndpoint).toBe(
            `nats-headless.${NAMESPACE[overlay]}.svc.cluster.local:8222`,
          );
          expect(Number(t.metadata.lagThreshold)).toBeGreaterThan(0);
        }
      }
      const hpa = find(objs, 'HorizontalPodAutoscaler', 'bot-gateway').spec as {
        minReplicas: number;
        scaleTargetRef: { kind: string; name: string };
      };
      expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'bot-gateway' });
      expect(hpa.minReplicas).toBe(SCALE[overlay]['bot-gateway'].min);
      // Every Deployment is autoscaled, so none sets `replicas` (kubectl apply would reset it).
      for (const s of SERVICES) {
        expect((find(objs, 'Deployment', s).spec as { replicas?: number }).replicas, s).toBeUndefined();
      }
      // Real floors in prod: no service runs a single replica.
      for (const s of SERVICES) expect(SCALE.prod[s].min, s).toBeGreaterThanOrEqual(2);
    },
  );

  it.each(OVERLAYS)(
    '%s: network policies: ingress only to the webhooks, egress only where each service calls',
    (overlay) => {
      const objs = rendered[overlay];
      type Rule = {
        from?: { namespaceSelector?: { matchLabels: Record<string, string> } }[];
        to?: { ipBlock?: unknown; podSelector?: { matchLabels: Record<string, string> } }[];
        ports: { port: number | string }[];
      };
      for (const s of SERVICES) {
        const np = find(objs, 'NetworkPolicy', s).spec as {
          podSelector: { matchLabels: Record<string, string> };
          policyTypes: string[];
          ingress: Rule[];
          egress: Rule[];
        };
        expect(np.podSelector.matchLabels).toEqual({ app: s });
        expect(np.policyTypes).toEqual(['Ingress', 'Egress']);
        const fromIngress = np.ingress.some((r) =>
          r.from?.some(
            (f) => f.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === INGRESS_NAMESPACE,
          ),
        );
        expect(fromIngress, s).toBe(s === 'bot-gateway' || s === 'kie-dispatcher');
        const internet = np.egress.some((r) => r.to?.some((t) => t.ipBlock));
        expect(internet, s).toBe(s !== 'billing');
        for (const r of np.egress.filter((x) => x.to?.some((t) => t.ipBlock)))
          expect(r.ports).toEqual([{ protocol: 'TCP', port: 443 }]);
        const postgres = np.egress.some((r) =>
          r.to?.some((t) => t.podSelector?.matchLabels['cnpg.io/cluster']),
        );
        expect(postgres, s).toBe(s !== 'bot-gateway');
      }
      const ingress = find(objs, 'Ingress', 'neurocards').spec as {
        rules: { http: { paths: { backend: { service: { name: ServiceName } } }[] } }[];
      };
      for (const p of ingress.rules.flatMap((r) => r.http.paths))
        expect(SPEC[p.backend.service.name].publicIngress).toBe(true);
    },
  );

  it('PostgreSQL: every service at its ceiling fits the connection budget, pools as configured', () => {
    const objs = rendered.prod;
    const cluster = find(objs, 'Cluster', 'neurocards-db').spec as {
      postgresql: { parameters: { max_connections: string } };
      managed: { roles: { name: string; connectionLimit: number }[] };
    };
    const cm = configMap(objs);
    const pool = (s: ServiceName) => Number(s === 'billing' ? cm.BILLING_DB_POOL_SIZE : cm.DATABASE_POOL_SIZE) + 1;
    let total = 0;
    for (const s of SERVICES) {
      if (!SCHEMAS[s]) continue;
      const scaled = find(objs, 'ScaledObject', s).spec as { maxReplicaCount: number };
      const need = scaled.maxReplicaCount * pool(s);
      const role = cluster.managed.roles.find((r) => r.name === SCHEMAS[s])!;
      expect(role.connectionLimit, s).toBeGreaterThanOrEqual(need);
      total += role.connectionLimit;
    }
    // CloudNativePG's own connections (streaming replicas, the operator, superuser_reserved) need room too.
    expect(total + 20).toBeLessThanOrEqual(Number(cluster.postgresql.parameters.max_connections));
  });

  it('PostgreSQL: 3 instances, one login role per service schema, owning it', () => {
    for (const overlay of OVERLAYS) {
      const cluster = find(rendered[overlay], 'Cluster', 'neurocards-db').spec as {
        instances: number;
        managed: { roles: { name: string; login: boolean; passwordSecret: { name: string } }[] };
        bootstrap: { initdb: { postInitApplicationSQL: string[] } };
      };
      expect(cluster.instances).toBe(3);
      const schemas = SERVICES.flatMap((s) => (SCHEMAS[s] ? [SCHEMAS[s]] : []));
      expect(schemas.length).toBe(4);
      expect(cluster.managed.roles.map((r) => r.name).sort()).toEqual([...schemas, 'ops'].sort());
      for (const s of SERVICES) {
        expect(SPEC[s].schema, s).toBe(SCHEMAS[s]);
        if (!SCHEMAS[s]) continue;
        expect(cluster.bootstrap.initdb.postInitApplicationSQL).toContain(
          `CREATE SCHEMA ${SCHEMAS[s]} AUTHORIZATION ${SCHEMAS[s]}`,
        );
        const env = podSpec(find(rendered[overlay], 'Deployment', s)).containers[0]?.env ?? [];
        expect(env.find((e) => e.name === 'DB_PASSWORD')?.valueFrom?.secretKeyRef?.name).toBe(
          `neurocards-db-${SCHEMAS[s]}`,
        );
      }
    }
  });

  it('alerts and dashboard queries name only catalogued metrics (monitoring/metrics.md)', () => {
    const table = readFileSync(path.join(ROOT, 'monitoring/metrics.md'), 'utf8');
    const catalogue = new Map(
      [...table.matchAll(/^\| (neurocards_[a-z0-9_]+) \| (counter|gauge|histogram)[^|]* \|/gm)].map((m) => [
        m[1]!,
        m[2]!,
      ]),
    );
    expect(catalogue.size).toBeGreaterThan(20);
    const known = (name: string) => {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return catalogue.has(name) || (base !== name && catalogue.get(base) === 'histogram');
    };
    const named = (expr: string) => [...expr.matchAll(/\b(neurocards_[a-z0-9_]+)/g)].map((m) => m[1]!);

    const [rule] = readYamlDocs(path.join(ROOT, 'monitoring/prometheusrule.yaml'));
    const rules = (rule!.spec as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap(
      (g) => g.rules,
    );
    expect(rules.map((r) => r.alert).sort()).toEqual(
      [
        'NeurocardsAllKieKeysBlocked',
        'NeurocardsKieCreditsLow',
        'NeurocardsDeadGrowing',
        'NeurocardsFirstVideoWaitHigh',
        'NeurocardsRefundsSpiking',
        'NeurocardsConsumerLagGrowing',
        'NeurocardsOutboxNotDraining',
        'NeurocardsNothingDelivered',
        'NeurocardsServiceMetricsAbsent',
      ].sort(),
    );
    for (const r of rules) {
      expect(named(r.expr).length, r.alert).toBeGreaterThan(0);
      for (const n of named(r.expr)) expect(known(n), `${r.alert}: ${n} is not in metrics.md`).toBe(true);
    }

    const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'monitoring/dashboard.json'), 'utf8')) as {
      panels: { title: string; type: string; targets?: { expr: string }[] }[];
    };
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr] as const));
    expect(queries.length).toBeGreaterThan(15);
    for (const [title, expr] of queries) {
      expect(named(expr).length, title).toBeGreaterThan(0);
      for (const n of named(expr)) expect(known(n), `${title}: ${n} is not in metrics.md`).toBe(true);
    }
    // The catalogue is the agreed list: every metric is on the dashboard.
    const onDashboard = new Set(
      queries.flatMap(([, e]) => named(e)).map((n) => n.replace(/_(bucket|sum|count)$/, '')),
    );
    expect([...catalogue.keys()].filter((m) => !onDashboard.has(m))).toEqual([]);
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows.some((t) => t.startsWith("Seller's view"))).toBe(true);
    expect(rows.some((t) => t.startsWith("Operator's view"))).toBe(true);
  });
});
