// examples/kubernetes agrees with prefork: the probes use the metrics server's /readyz and /healthz (test/cli/metrics.ts
// checks what they answer), terminationGracePeriodSeconds is above the container's --graceful-timeout plus the
// preStop pause, and the ports match the Dockerfile's --bind and --metrics-bind; and every manifest is valid against
// the Kubernetes OpenAPI schema (the npm package kubernetes-models: its classes validate with ajv, offline).
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../helpers/prefork';

const dir = path.join(ROOT, 'examples', 'kubernetes');

t.test('every manifest validates against the Kubernetes schema (kubernetes-models)', async t => {
  const models: Record<string, Record<string, new (o: unknown) => { validate(): void }>> = { 'apps/v1': require('kubernetes-models/apps/v1'), v1: require('kubernetes-models/v1') };
  let n = 0;
  for (const file of fs.readdirSync(dir).filter(f => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map(d => d.toJS())) {
      if (!doc) continue;
      const Model = models[doc.apiVersion]?.[doc.kind];
      if (!t.ok(Model, `${file}: a model for ${doc.apiVersion} ${doc.kind}`) || !Model) continue;
      t.doesNotThrow(() => new Model(doc).validate(), `${file}: ${doc.kind} ${doc.metadata?.name} is valid`);
      n++;
    }
  }
  t.ok(n >= 2, `${n} manifests validated`);
  // the check can fail: a port that is not a number is refused
  const bad = structuredClone(parseAllDocuments(fs.readFileSync(path.join(dir, 'deployment.yaml'), 'utf8')).map(d => d.toJS()).find(d => d?.kind === 'Deployment'));
  bad.spec.template.spec.containers[0].ports[0].containerPort = 'http';
  t.throws(() => new (models['apps/v1']!.Deployment!)(bad).validate(), /containerPort must be integer/, 'a broken Deployment is refused');
});

t.test('the Deployment, Service and Dockerfile agree with prefork', async t => {
  const docs = parseAllDocuments(fs.readFileSync(path.join(dir, 'deployment.yaml'), 'utf8')).map(d => d.toJS());
  const deployment = docs.find(d => d?.kind === 'Deployment');
  t.ok(deployment, 'a Deployment');
  const spec = deployment.spec.template.spec;
  const c = spec.containers[0];
  const docker = fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
  const graceful = Number(/"--graceful-timeout", "(\d+)"/.exec(docker)?.[1]);
  const pause = Number(c.lifecycle.preStop.exec.command[1]);
  t.ok(spec.terminationGracePeriodSeconds > graceful + pause, `terminationGracePeriodSeconds ${spec.terminationGracePeriodSeconds} > --graceful-timeout ${graceful} + preStop ${pause}`);
  t.same([c.readinessProbe.httpGet.path, c.livenessProbe.httpGet.path, c.startupProbe.httpGet.path], ['/readyz', '/healthz', '/readyz'], 'probes on the supervisor\'s metrics server');
  const ports = Object.fromEntries(c.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
  t.match(docker, new RegExp(`"--bind", "0\\.0\\.0\\.0:${ports.http}"`), 'the http port is --bind');
  t.match(docker, new RegExp(`"--metrics-bind", "0\\.0\\.0\\.0:${ports.metrics}"`), 'the metrics port is --metrics-bind');
  const service = parseAllDocuments(fs.readFileSync(path.join(dir, 'service.yaml'), 'utf8')).map(d => d.toJS())[0];
  t.same(service.spec.selector, deployment.spec.selector.matchLabels, 'the Service selects the pods');
});
