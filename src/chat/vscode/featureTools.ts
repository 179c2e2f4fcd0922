import type { FeatureHost } from '../../activation/featureHost';
import type { Tool } from '../../agent/tools/tool';
import { TOOL_FEATURES } from '../../toolset/toolFeatures';

/** Each feature's agent tools, as our chat and @ml give them to the agent (TOOL_FEATURES, as the MCP server): asking loads the features. */
export function allFeatureTools(host: FeatureHost, reason: string): Tool[] {
  return TOOL_FEATURES.flatMap((name) => host.load(name, reason).tools());
}
