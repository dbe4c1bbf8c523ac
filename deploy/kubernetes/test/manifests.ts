/**
 * The Kubernetes manifests of deploy/kubernetes, judged offline (no cluster runs here): each
 * document against the Kubernetes OpenAPI schema (kubernetes-models' validators, generated from
 * it), and the set against itself — the names, labels, ports and counts one manifest gives and
 * another relies on, which a schema cannot see. Every check returns problems as lines, so that a
 * test can show them and a broken copy can be shown to fail.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Deployment, type IDeployment } from "kubernetes-models/apps/v1";
import { type IJob, Job } from "kubernetes-models/batch/v1";
import {
  ConfigMap,
  type IConfigMap,
  type IContainer,
  type IPodSpec,
  type ISecret,
  type IService,
  Secret,
  Service,
} from "kubernetes-models/v1";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { parseWorkloadText } from "../../../harness/workload/index.js";

/** One YAML document of the set, as parsed (not yet known to be valid). */
export interface Manifest {
  readonly file: string;
  /** Position of the document in its file, from 0. */
  readonly index: number;
  readonly doc: Record<string, unknown>;
}

export interface ManifestSet {
  /** kustomization.yaml's `resources`, in order. */
  readonly resources: readonly string[];
  /** Every other .yaml file of the folder. */
  readonly files: readonly string[];
  readonly manifests: readonly Manifest[];
}

/** The kinds the set uses, each with the model whose validate() applies its OpenAPI schema. */
const MODELS: Readonly<Record<string, new (data: never) => { validate(): void }>> = {
  "v1/Secret": Secret,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
};

export const KUSTOMIZATION = "kustomization.yaml";

export function loadManifestSet(dir: string): ManifestSet {
  const kustomization = parseYaml(readFileSync(join(dir, KUSTOMIZATION), "utf8")) as {
    resources?: unknown;
  };
  const resources = Array.isArray(kustomization.resources) ? kustomization.resources.map(String) : [];
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && f !== KUSTOMIZATION)
    .sort();
  const manifests: Manifest[] = [];
  for (const file of resources.filter((r) => files.includes(r))) {
    for (const [index, document] of parseAllDocuments(readFileSync(join(dir, file), "utf8")).entries()) {
      if (document.errors.length > 0)
        throw new Error(`${file} document ${index}: ${document.errors[0]?.message}`);
      manifests.push({ file, index, doc: document.toJS() as Record<string, unknown> });
    }
  }
  return { resources, files, manifests };
}

/** A field's value in a problem line, whatever was written there. */
const shown = (v: unknown): string => (typeof v === "string" ? v : (JSON.stringify(v) ?? "undefined"));

/** `file#index Kind/name`, how every problem names its manifest. */
export function describe(m: Manifest): string {
  const meta = m.doc["metadata"] as { name?: unknown } | undefined;
  return `${m.file}#${m.index} ${shown(m.doc["kind"])}/${shown(meta?.name)}`;
}

/** The kustomization lists every manifest file of the folder, and only files that exist. */
export function kustomizationProblems(set: ManifestSet): string[] {
  const problems: string[] = [];
  for (const r of set.resources)
    if (!set.files.includes(r)) problems.push(`${KUSTOMIZATION}: resource ${r} is not a file of the folder`);
  for (const f of set.files)
    if (!set.resources.includes(f)) problems.push(`${KUSTOMIZATION}: ${f} is not listed in resources`);
  return problems;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The document against its kind's OpenAPI schema, plus what the set promises: a name, no namespace. */
export function schemaProblems(m: Manifest): string[] {
  const where = describe(m);
  const apiVersion = shown(m.doc["apiVersion"]);
  const kind = shown(m.doc["kind"]);
  const model = Object.hasOwn(MODELS, `${apiVersion}/${kind}`) ? MODELS[`${apiVersion}/${kind}`] : undefined;
  if (model === undefined)
    return [
      `${where}: no schema for apiVersion ${apiVersion} kind ${kind} (known: ${Object.keys(MODELS).join(", ")})`,
    ];
  const problems: string[] = [];
  try {
    new model(m.doc as never).validate();
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message}`);
  }
  const meta = (m.doc["metadata"] ?? {}) as { name?: unknown; namespace?: unknown };
  if (typeof meta.name !== "string" || !DNS_LABEL.test(meta.name))
    problems.push(`${where}: metadata.name must be a DNS label`);
  if (meta.namespace !== undefined)
    problems.push(`${where}: metadata.namespace is set; the set is applied with -n <namespace>`);
  return problems;
}

/** Every value given to `flag` in an argument list (`--flag value`, repeatable). */
export function flagValues(args: readonly string[], flag: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length; i++)
    if (args[i] === flag && i + 1 < args.length) values.push(args[i + 1]!);
  return values;
}

function hostPort(address: string): { host: string; port: number } | null {
  const m = /^(.+):(\d+)$/.exec(address);
  return m === null ? null : { host: m[1]!, port: Number(m[2]) };
}

const ofKind = <T>(set: readonly Manifest[], kind: string) =>
  set.filter((m) => m.doc["kind"] === kind).map((m) => m.doc as unknown as T);

/** The container's port number of a probe or Service target given by name or number. */
function containerPort(c: IContainer, port: string | number | undefined): number | null {
  if (typeof port === "number") return port;
  return c.ports?.find((p) => p.name === port)?.containerPort ?? null;
}

const selects = (selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * The file a `--token-file` or workload argument names comes from a mounted Secret or ConfigMap
 * of the set, with that key; null when it does, else the problem.
 */
function mountedKeyProblem(
  path: string,
  pod: IPodSpec,
  c: IContainer,
  secrets: readonly ISecret[],
  configMaps: readonly IConfigMap[],
): string | null {
  const mount = c.volumeMounts?.find((vm) => path.startsWith(`${vm.mountPath}/`));
  if (mount === undefined) return `${path} is under no volume mount of container ${c.name}`;
  const file = path.slice(mount.mountPath.length + 1);
  const volume = pod.volumes?.find((v) => v.name === mount.name);
  const source = volume?.secret ?? volume?.configMap;
  if (source === undefined) return `${path}: volume ${mount.name} is not a Secret or ConfigMap volume`;
  const key = source.items === undefined ? file : source.items.find((it) => it.path === file)?.key;
  if (key === undefined) return `${path}: volume ${mount.name} maps no item to ${file}`;
  if (volume?.secret !== undefined) {
    const secret = secrets.find((s) => s.metadata?.name === volume.secret?.secretName);
    if (secret === undefined) return `${path}: no Secret ${volume.secret.secretName} in the set`;
    if (secret.stringData?.[key] === undefined && secret.data?.[key] === undefined)
      return `${path}: Secret ${volume.secret.secretName} has no key ${key}`;
  } else {
    const cm = configMaps.find((c2) => c2.metadata?.name === volume?.configMap?.name);
    if (cm === undefined) return `${path}: no ConfigMap ${volume?.configMap?.name} in the set`;
    if (cm.data?.[key] === undefined)
      return `${path}: ConfigMap ${volume?.configMap?.name} has no key ${key}`;
  }
  return null;
}

/**
 * What the manifests rely on from each other: the worker Job's pods behind the headless Service,
 * the coordinator naming every worker by its DNS name on the port the workers listen on, the token
 * and the workload mounted from the Secret and the ConfigMap of the set, the workload itself valid.
 */
export function crossReferenceProblems(set: readonly Manifest[]): string[] {
  const problems: string[] = [];
  const jobs = ofKind<IJob>(set, "Job");
  const services = ofKind<IService>(set, "Service");
  const secrets = ofKind<ISecret>(set, "Secret");
  const configMaps = ofKind<IConfigMap>(set, "ConfigMap");
  const deployments = ofKind<IDeployment>(set, "Deployment");

  const workerJobs = jobs.filter((j) => j.spec?.completionMode === "Indexed");
  const coordinators = jobs.filter((j) => j.spec?.template.spec?.containers[0]?.args?.[0] === "run");
  if (workerJobs.length !== 1)
    problems.push(`expected one Indexed Job (the workers), found ${workerJobs.length}`);
  if (coordinators.length !== 1)
    problems.push(
      `expected one Job running \`brokerbench run\` (the coordinator), found ${coordinators.length}`,
    );
  const workers = workerJobs[0];
  const coordinator = coordinators[0];
  if (workers === undefined || coordinator === undefined) return problems;

  // Every pod of the set: each container asks for resources, and its image is the one kustomize sets.
  const pods = [...jobs.map((j) => j.spec?.template), ...deployments.map((d) => d.spec?.template)];
  for (const pod of pods)
    for (const c of pod?.spec?.containers ?? []) {
      const r = c.resources;
      if (
        r?.requests?.["cpu"] === undefined ||
        r.requests["memory"] === undefined ||
        r.limits?.["memory"] === undefined
      )
        problems.push(`container ${c.name}: resources need requests.cpu, requests.memory and limits.memory`);
      if (c.image !== "brokerbench")
        problems.push(`container ${c.name}: image ${c.image}, expected brokerbench`);
    }
  // Every Service selects the pods of some template in the set.
  for (const s of services) {
    const selector = s.spec?.selector ?? {};
    if (!pods.some((p) => selects(selector, p?.metadata?.labels ?? {})))
      problems.push(`Service ${s.metadata?.name}: its selector matches no pod template of the set`);
  }

  const wName = workers.metadata?.name ?? "";
  const wSpec = workers.spec;
  const wPod = wSpec?.template.spec;
  const wContainer = wPod?.containers[0];
  if (wSpec === undefined || wPod === undefined || wContainer === undefined)
    return [...problems, "worker Job has no container"];
  const n = wSpec.completions ?? 0;
  if (wSpec.parallelism !== n)
    problems.push(
      `worker Job ${wName}: parallelism ${wSpec.parallelism} ≠ completions ${n} (every worker runs at once)`,
    );
  const headless = services.find((s) => s.metadata?.name === wPod.subdomain);
  if (headless === undefined)
    problems.push(`worker Job ${wName}: subdomain ${wPod.subdomain} names no Service of the set`);
  else {
    if (headless.spec?.clusterIP !== "None")
      problems.push(`Service ${wPod.subdomain}: clusterIP must be None (headless) for per-pod DNS names`);
    if (!selects(headless.spec?.selector ?? {}, wSpec.template.metadata?.labels ?? {}))
      problems.push(`Service ${wPod.subdomain}: its selector does not match the worker pods' labels`);
  }
  const wArgs = wContainer.args ?? [];
  if (wArgs[0] !== "worker") problems.push(`worker Job ${wName}: args must start with worker`);
  if (!wArgs.includes("--exit-after-run"))
    problems.push(
      `worker Job ${wName}: without --exit-after-run the workers never end and the Job never completes`,
    );
  const listen = hostPort(flagValues(wArgs, "--listen")[0] ?? "");
  if (listen === null) problems.push(`worker Job ${wName}: --listen HOST:PORT missing`);
  const probe = wContainer.readinessProbe?.httpGet;
  if (probe?.path !== "/health") problems.push(`worker Job ${wName}: readiness probe must GET /health`);
  else if (listen !== null && containerPort(wContainer, probe.port) !== listen.port)
    problems.push(`worker Job ${wName}: readiness probe port is not the --listen port ${listen.port}`);
  if (headless !== undefined && listen !== null) {
    const target = headless.spec?.ports?.[0]?.targetPort;
    if (containerPort(wContainer, target) !== listen.port)
      problems.push(
        `Service ${wPod.subdomain}: targetPort ${target} is not the workers' --listen port ${listen.port}`,
      );
  }

  const cPod = coordinator.spec?.template.spec;
  const cContainer = cPod?.containers[0];
  if (cPod === undefined || cContainer === undefined)
    return [...problems, "coordinator Job has no container"];
  const cArgs = cContainer.args ?? [];
  const expected = Array.from({ length: n }, (_, i) => `${wName}-${i}.${wPod.subdomain}:${listen?.port}`);
  const given = flagValues(cArgs, "--worker");
  if (given.join(" ") !== expected.join(" "))
    problems.push(
      `coordinator: --worker ${given.join(", ") || "(none)"}; the ${n} workers are ${expected.join(", ")}`,
    );

  for (const [who, pod, c, args] of [
    ["worker Job", wPod, wContainer, wArgs],
    ["coordinator", cPod, cContainer, cArgs],
  ] as const) {
    const tokenFile = flagValues(args, "--token-file")[0];
    if (tokenFile === undefined) problems.push(`${who}: no --token-file`);
    else {
      const p = mountedKeyProblem(tokenFile, pod, c, secrets, configMaps);
      if (p !== null) problems.push(`${who}: --token-file ${p}`);
    }
  }
  const workloadPath = cArgs[1] ?? "";
  const p = mountedKeyProblem(workloadPath, cPod, cContainer, secrets, configMaps);
  if (p !== null) problems.push(`coordinator: workload ${p}`);
  else {
    const mount = cContainer.volumeMounts?.find((vm) => workloadPath.startsWith(`${vm.mountPath}/`));
    const source = cPod.volumes?.find((v) => v.name === mount?.name)?.configMap;
    const file = workloadPath.slice((mount?.mountPath.length ?? 0) + 1);
    const key = source?.items?.find((it) => it.path === file)?.key ?? file;
    const text = configMaps.find((cm) => cm.metadata?.name === source?.name)?.data?.[key] ?? "";
    try {
      for (const run of parseWorkloadText(text, `ConfigMap ${source?.name} key ${key}`)) {
        // The workers' own rule (harness/workers/segments.ts on the workers branch): each runs a
        // share of the producers, so a workload split over n workers needs at least n.
        const producers = run.workload.topics * run.workload.producersPerTopic;
        if (producers < n)
          problems.push(
            `coordinator: workload ${run.id} has ${producers} producer(s) (topics × producersPerTopic) for ${n} workers; each needs one`,
          );
      }
    } catch (err) {
      problems.push(`coordinator: workload ${(err as Error).message}`);
    }
  }
  // A broker address that names a Service of the set names one of its ports.
  for (const setting of flagValues(cArgs, "--set")) {
    const addr = hostPort(setting.replace(/^[\w.-]*url=/, ""));
    const svc = services.find((s) => s.metadata?.name === addr?.host);
    if (addr !== null && svc !== undefined && !svc.spec?.ports?.some((pt) => pt.port === addr.port))
      problems.push(`coordinator: --set ${setting}: Service ${addr.host} has no port ${addr.port}`);
  }
  return problems;
}
