import type { Tool } from '../agent/tools/tool';
import { dataTools, type DataToolOptions } from './dataTools';

/**
 * The data tools every agent surface gets (the chat, @ml, the MCP server, the headless agent):
 * describe_dataset and query_dataset. query_dataset's SQL is judged on DuckDB's parse tree
 * (engine/confinedSql.ts: CTEs scoped as DuckDB binds them and renamed, every other table a reader
 * call over real workspace files with one link, no modifiers inside table-function calls); the
 * engine child is killed past its memory cap. This is the one place to take it out again.
 */
export function agentDataTools(options: DataToolOptions = {}): Tool[] {
  return dataTools(options);
}
