import { stat } from 'node:fs/promises';
import * as z from 'zod/mini';
import { defineTool } from '../../agent/tools/tool';
import { modelReader } from '../modelReader';
import { asToolInputError } from '../modelTool';
import { DEFAULT_TOKENS, MAX_TOKENS, prepareGraph, queryGraph, type PreparedGraph } from './graphQuery';

/** The last graph read, kept while its file is unchanged: an agent asks several questions about one model. */
let kept: { key: string; graph: PreparedGraph } | undefined;

/** The agent's `query_model_graph`: an ONNX model's nodes, scopes and shapes, answered within a token budget. */
export function queryModelGraphTool() {
  return defineTool({
    name: 'query_model_graph',
    description:
      "Queries an ONNX model's computation graph (read without loading weights). With only path: an overview (node count, inputs, outputs, " +
      'operator counts, name scopes such as model/layers.0/self_attn with their node counts). scope: one name scope\'s nodes with their ' +
      'input/output shapes and dtypes, what enters and leaves it. op: the nodes of an operator (e.g. Softmax), optionally filtered by name. ' +
      'name: nodes whose name or output contains the text. tensor: a tensor by exact name, its producer and consumers. ' +
      `The answer is cut to max_tokens (default ${DEFAULT_TOKENS}); narrow the question rather than raising it.`,
    input: z.object({
      path: z.string().check(z.minLength(1)),
      scope: z.optional(z.string().check(z.maxLength(2000))),
      op: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
      name: z.optional(z.string().check(z.minLength(1), z.maxLength(2000))),
      tensor: z.optional(z.string().check(z.minLength(1), z.maxLength(4000))),
      max_tokens: z.optional(z.number().check(z.int(), z.minimum(200), z.maximum(MAX_TOKENS))),
    }),
    risk: 'read',
    async run(input, context, signal) {
      const path = await context.files.resolve(input.path);
      let prepared: PreparedGraph;
      try {
        const s = await stat(path);
        const key = `${path}\u0000${s.size}\u0000${s.mtimeMs}`;
        if (kept?.key !== key) kept = { key, graph: prepareGraph(await modelReader().graph(path, signal)) };
        prepared = kept.graph;
      } catch (error) {
        return asToolInputError(error, input.path);
      }
      const content = queryGraph(prepared, {
        ...(input.scope !== undefined ? { scope: input.scope } : {}),
        ...(input.op !== undefined ? { op: input.op } : {}),
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.tensor !== undefined ? { tensor: input.tensor } : {}),
        ...(input.max_tokens !== undefined ? { maxTokens: input.max_tokens } : {}),
      });
      const asked = input.tensor ?? input.scope ?? input.op ?? input.name;
      return { content, summary: `${context.files.display(path)}: ${prepared.graph.nodes.length} nodes${asked !== undefined ? `, ${asked.slice(0, 60)}` : ''}` };
    },
  });
}
