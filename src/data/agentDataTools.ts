import type { Tool } from '../agent/tools/tool';
import { dataTools, type DataToolOptions } from './dataTools';

/**
 * The data tools every agent surface gets (the chat, @ml, the MCP server, the headless agent).
 * query_dataset is kept out again: its SQL is judged on DuckDB's parse tree (engine/confinedSql.ts),
 * but an independent attack got a CTE name past that check (a CTE used before it is defined, and
 * a name that only Unicode case folding makes a CTE's), reaching DuckDB's settings and a FIFO;
 * no file outside the workspace was read (allowed_directories held). The CLI's `data query`
 * (the user's own SQL) keeps it. This is the one place to give it back.
 */
export function agentDataTools(options: DataToolOptions = {}): Tool[] {
  return dataTools(options).filter((tool) => tool.name !== 'query_dataset');
}
