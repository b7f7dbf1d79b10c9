// examples/kubernetes agrees with prefork: the probes use the metrics server's /readyz and /healthz (test/cli/metrics.ts
// checks what they answer), terminationGracePeriodSeconds is above the container's --graceful-timeout plus the
// preStop pause, and the ports match the Dockerfile's --bind and --metrics-bind. (No schema validator for Kubernetes
// manifests is installed from npm here; the YAML is parsed and checked for what prefork needs.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../helpers/prefork';

const dir = path.join(ROOT, 'examples', 'kubernetes');

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
