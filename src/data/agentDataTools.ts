import type { Tool } from '../agent/tools/tool';
import { dataTools, type DataToolOptions } from './dataTools';

/**
 * The data tools every agent surface gets (the chat, the MCP server, the headless agent):
 * describe_dataset and query_dataset. query_dataset's SQL is judged on DuckDB's own parse tree
 * in the engine (engine/confinedSql.ts: allowed table functions, literal paths resolved to real
 * files inside the workspace) before it runs; the one place to take it out again is here.
 */
export function agentDataTools(options: DataToolOptions = {}): Tool[] {
  return dataTools(options);
}
