/**
 * The subset of kustomize these manifests use, in Node, so the manifest test renders the
 * overlays where `kubectl` is not installed (and checks it agrees with `kubectl kustomize`
 * where it is): `resources` (files and directories), `namespace`, `images` and `patches` with
 * strategic-merge patch files. Anything else in a kustomization fails loudly.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
};

interface Kustomization {
  resources?: string[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  patches?: { path: string }[];
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches']);
/** Kinds without a namespace among those we use. */
const CLUSTER_SCOPED = new Set(['Namespace']);

export function readYamlDocs(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as K8sObject | null;
    return value ? [value] : [];
  });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Lists merged by a key in strategic merge patches (Kubernetes' patchMergeKey), for the fields we patch. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  ports: 'containerPort',
  volumes: 'name',
  volumeMounts: 'mountPath',
};

export function strategicMerge(target: unknown, patch: unknown, field = ''): unknown {
  if (isObject(target) && isObject(patch)) {
    const out: Record<string, unknown> = { ...target };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = k in target ? strategicMerge(target[k], v, k) : v;
    }
    return out;
  }
  const key = MERGE_KEYS[field];
  if (Array.isArray(target) && Array.isArray(patch) && key) {
    const out = target.map((t) => {
      const p = patch.find((x) => isObject(x) && isObject(t) && x[key] === t[key]);
      return p === undefined ? t : strategicMerge(t, p);
    });
    for (const p of patch)
      if (!target.some((t) => isObject(t) && isObject(p) && t[key] === p[key])) out.push(p);
    return out;
  }
  return patch;
}

function setImages(node: unknown, images: NonNullable<Kustomization['images']>, field = ''): void {
  if (Array.isArray(node)) {
    for (const item of node) {
      if (
        (field === 'containers' || field === 'initContainers') &&
        isObject(item) &&
        typeof item.image === 'string'
      ) {
        const name = item.image.replace(/@.*$/, '').replace(/:[^/]*$/, '');
        const rule = images.find((i) => i.name === name);
        if (rule) {
          const tag = item.image.slice(name.length);
          item.image = `${rule.newName ?? name}${rule.digest ? `@${rule.digest}` : rule.newTag ? `:${rule.newTag}` : tag}`;
        }
      }
      setImages(item, images, field);
    }
  } else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) setImages(v, images, k);
  }
}

/** Renders the kustomization in `dir` (a directory holding kustomization.yaml). */
export function kustomizeNode(dir: string): K8sObject[] {
  const file = path.join(dir, 'kustomization.yaml');
  const k = readYamlDocs(file)[0] as unknown as Kustomization;
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key)) throw new Error(`${file}: "${key}" is outside the supported kustomize subset`);
  }
  let objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = path.resolve(dir, r);
    objects.push(...(statSync(p).isDirectory() ? kustomizeNode(p) : readYamlDocs(p)));
  }
  for (const { path: rel } of k.patches ?? []) {
    for (const patch of readYamlDocs(path.resolve(dir, rel))) {
      const i = objects.findIndex(
        (o) =>
          o.kind === patch.kind &&
          o.apiVersion === patch.apiVersion &&
          o.metadata.name === patch.metadata.name,
      );
      if (i < 0) throw new Error(`${rel}: no ${patch.kind} ${patch.metadata.name} to patch`);
      objects[i] = strategicMerge(objects[i], patch) as K8sObject;
    }
  }
  if (k.images) setImages(objects, k.images);
  if (k.namespace) {
    const ns = k.namespace;
    objects = objects.map((o) =>
      CLUSTER_SCOPED.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace: ns } },
    );
  }
  return objects;
}

/** `kubectl kustomize <dir>` when kubectl is on PATH, else undefined. */
export function kustomizeKubectl(dir: string): K8sObject[] | undefined {
  const found = (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((p) => p && existsSync(path.join(p, 'kubectl')));
  if (!found) return undefined;
  const text = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  return parseAllDocuments(text).map((d) => d.toJS() as K8sObject);
}

export const objectKey = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
