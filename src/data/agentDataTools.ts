import type { Tool } from '../agent/tools/tool';
import { dataTools, type DataToolOptions } from './dataTools';

/**
 * The data tools every agent surface gets (the chat, the MCP server, the headless agent).
 * query_dataset stays out until its SQL cannot reach a file through a link or a pattern out of
 * the workspace (a review found both); describe_dataset reads one resolved file.
 */
export function agentDataTools(options: DataToolOptions = {}): Tool[] {
  return dataTools(options).filter((tool) => tool.name !== 'query_dataset');
}
