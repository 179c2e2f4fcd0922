import type { FeatureHost } from '../../activation/featureHost';
import type { Tool } from '../../agent/tools/tool';

/** Each feature's agent tools, as our chat and @ml give them to the agent: asking loads the features. */
export function allFeatureTools(host: FeatureHost, reason: string): Tool[] {
  return [...host.load('gpu', reason).tools(), ...host.load('kernels', reason).tools(), ...host.load('tracking', reason).tools(), ...host.load('models', reason).tools(), ...host.load('data', reason).tools()];
}
