/**
 * The Kubernetes deployment validated offline: every manifest against the Kubernetes OpenAPI
 * schema, the set against itself, and broken copies shown to be rejected (a check that cannot fail
 * proves nothing). No cluster runs here: what a cluster would add (admission, scheduling, DNS) is
 * not tested.
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import type { IDeployment } from "kubernetes-models/apps/v1";
import type { IJob } from "kubernetes-models/batch/v1";
import type { IConfigMap, ISecret, IService } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import {
  crossReferenceProblems,
  describe as describeManifest,
  kustomizationProblems,
  loadManifestSet,
  type Manifest,
  schemaProblems,
} from "./test/manifests.js";

const DIR = dirname(fileURLToPath(import.meta.url));
const SET = loadManifestSet(DIR);

/** A broken copy of the set: one manifest (the `kind` document of `file`) changed by `edit`. */
function broken<T>(
  what: string,
  file: string,
  kind: T extends { kind: infer K } ? K : never,
  edit: (doc: T) => void,
  expected: RegExp,
): [string, Manifest[], RegExp] {
  const manifests = SET.manifests.map((m) => {
    const doc = structuredClone(m.doc);
    if (m.file === file && doc["kind"] === kind) edit(doc as T);
    return { ...m, doc };
  });
  return [what, manifests, expected];
}

type Path = readonly (string | number)[];

/** Every scalar of a document, by path (the leaves a schema types). */
function leaves(value: unknown, path: Path = []): Path[] {
  if (value === null || typeof value !== "object") return [path];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return entries.flatMap(([k, v]) => leaves(v, [...path, k]));
}

function withLeaf(doc: Record<string, unknown>, path: Path, replacement: unknown): Record<string, unknown> {
  const copy = structuredClone(doc);
  type Node = Record<string | number, unknown>;
  let node = copy as Node;
  for (const k of path.slice(0, -1)) node = node[k] as Node;
  node[path[path.length - 1]!] = replacement;
  return copy;
}

/**
 * The scalars the schema accepts whatever they hold: a field the schema does not know (a misspelt
 * `paralelism`) accepts anything, which the validators let through, while every field it knows
 * rejects a mapping in place of a scalar.
 */
function untypedFields(manifests: readonly Manifest[]): string[] {
  const untyped: string[] = [];
  for (const m of manifests)
    for (const path of leaves(m.doc))
      if (schemaProblems({ ...m, doc: withLeaf(m.doc, path, { wrong: true }) }).length === 0)
        untyped.push(`${describeManifest(m)}: ${path.join(".")}`);
  return untyped;
}

describe("deploy/kubernetes", () => {
  it("kustomization.yaml lists every manifest file and nothing else", () => {
    expect(SET.manifests.length).toBeGreaterThan(0);
    expect(kustomizationProblems(SET)).toEqual([]);
  });

  it.each(SET.manifests.map((m) => [describeManifest(m), m] as const))(
    "%s is valid against the Kubernetes OpenAPI schema",
    (_, m) => {
      expect(schemaProblems(m)).toEqual([]);
    },
  );

  it("the manifests agree with each other (workers, headless Service, coordinator, token, workload)", () => {
    expect(crossReferenceProblems(SET.manifests)).toEqual([]);
  });

  it("every scalar of every manifest is typed by the schema (no unknown fields)", () => {
    expect(untypedFields(SET.manifests)).toEqual([]);
  });

  it("finds a misspelt field, which the validators alone let through", () => {
    const [, manifests] = broken<IJob>(
      "",
      "workers-job.yaml",
      "Job",
      (j) => Object.assign(j.spec!, { paralelism: 3 }),
      /x/,
    );
    expect(untypedFields(manifests)).toEqual(["workers-job.yaml#0 Job/brokerbench-worker: spec.paralelism"]);
  });

  it("a scalar replaced by any mapping or list is rejected by the schema", () => {
    const cases = SET.manifests.flatMap((m) => leaves(m.doc).map((path) => ({ m, path })));
    const wrong = fc.oneof(
      fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue(), { minKeys: 1, maxKeys: 3 }),
      fc.array(fc.jsonValue(), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...cases), wrong, ({ m, path }, value) => {
        expect(schemaProblems({ ...m, doc: withLeaf(m.doc, path, value) })).not.toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("rejects a kind without a schema, a missing required field and a namespace", () => {
    const job = SET.manifests.find((m) => m.doc["kind"] === "Job")!;
    expect(schemaProblems({ ...job, doc: { ...job.doc, apiVersion: "batch/v2" } })[0]).toMatch(
      /no schema for apiVersion batch\/v2 kind Job/,
    );
    const noContainers = withLeaf(job.doc, ["spec", "template", "spec"], { restartPolicy: "Never" });
    expect(schemaProblems({ ...job, doc: noContainers }).join("\n")).toMatch(/containers/);
    const badMode = withLeaf(job.doc, ["spec", "completionMode"], "Indexd");
    expect(schemaProblems({ ...job, doc: badMode }).join("\n")).toMatch(/completionMode/);
    const namespaced = withLeaf(job.doc, ["metadata", "namespace"], "bench");
    expect(schemaProblems({ ...job, doc: namespaced }).join("\n")).toMatch(/metadata.namespace is set/);
  });

  const firstContainer = (j: IJob) => j.spec!.template.spec!.containers[0]!;
  it.each([
    broken<IJob>(
      "a worker more than the coordinator names",
      "workers-job.yaml",
      "Job",
      (j) => Object.assign(j.spec!, { completions: 4, parallelism: 4 }),
      /--worker .*the 4 workers are/,
    ),
    broken<IJob>(
      "parallelism below completions",
      "workers-job.yaml",
      "Job",
      (j) => (j.spec!.parallelism = 2),
      /parallelism 2/,
    ),
    broken<IJob>(
      "a subdomain that is not the headless Service",
      "workers-job.yaml",
      "Job",
      (j) => (j.spec!.template.spec!.subdomain = "workers"),
      /subdomain workers names no Service/,
    ),
    broken<IService>(
      "a Service that is not headless",
      "workers-service.yaml",
      "Service",
      (s) => delete s.spec!.clusterIP,
      /clusterIP must be None/,
    ),
    broken<IService>(
      "a headless Service selecting other pods",
      "workers-service.yaml",
      "Service",
      (s) => (s.spec!.selector!["app.kubernetes.io/component"] = "workers"),
      /selector does not match the worker pods/,
    ),
    broken<IJob>(
      "workers without --exit-after-run",
      "workers-job.yaml",
      "Job",
      (j) => firstContainer(j).args!.pop(),
      /--exit-after-run/,
    ),
    broken<IJob>(
      "workers listening on another port",
      "workers-job.yaml",
      "Job",
      (j) => (firstContainer(j).args![2] = "0.0.0.0:7879"),
      /readiness probe port is not the --listen port 7879/,
    ),
    broken<IJob>(
      "a readiness probe on another path",
      "workers-job.yaml",
      "Job",
      (j) => (firstContainer(j).readinessProbe!.httpGet!.path = "/"),
      /GET \/health/,
    ),
    broken<IConfigMap>(
      "a workload key the ConfigMap lacks",
      "workload-configmap.yaml",
      "ConfigMap",
      (c) => (c.data = { "workloads.yaml": c.data!["workload.yaml"]! }),
      /ConfigMap brokerbench-workload has no key workload.yaml/,
    ),
    broken<IConfigMap>(
      "a workload brokerbench refuses",
      "workload-configmap.yaml",
      "ConfigMap",
      (c) => (c.data!["workload.yaml"] += "\npartitions: 0\n"),
      /partitions/,
    ),
    broken<IConfigMap>(
      "a workload with fewer producers than workers",
      "workload-configmap.yaml",
      "ConfigMap",
      (c) =>
        (c.data!["workload.yaml"] = c.data!["workload.yaml"]!.replace(
          "producersPerTopic: 3",
          "producersPerTopic: 2",
        )),
      /workload k8s-throughput has 2 producer\(s\) .* for 3 workers/,
    ),
    broken<ISecret>(
      "a token Secret under another name",
      "token-secret.yaml",
      "Secret",
      (s) => (s.metadata!.name = "token"),
      /no Secret brokerbench-token in the set/,
    ),
    broken<IJob>(
      "a broker address on a port its Service lacks",
      "coordinator-job.yaml",
      "Job",
      (j) => {
        const args = firstContainer(j).args!;
        args[args.indexOf("--set") + 1] = "url=brokerbench-broker:9093";
      },
      /Service brokerbench-broker has no port 9093/,
    ),
    broken<IDeployment>(
      "a container without a memory limit",
      "broker.yaml",
      "Deployment",
      (d) => delete d.spec!.template.spec!.containers[0]!.resources!.limits,
      /resources need/,
    ),
  ])("the cross-reference check catches %s", (_, manifests, expected) => {
    expect(crossReferenceProblems(manifests).join("\n")).toMatch(expected);
  });

  it("the kustomization check catches a file left out and a resource that is not there", () => {
    const problems = kustomizationProblems({
      ...SET,
      resources: [...SET.resources.filter((r) => r !== "broker.yaml"), "missing.yaml"],
    });
    expect(problems).toEqual([
      "kustomization.yaml: resource missing.yaml is not a file of the folder",
      "kustomization.yaml: broker.yaml is not listed in resources",
    ]);
  });
});
