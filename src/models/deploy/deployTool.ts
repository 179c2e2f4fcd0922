import { join } from 'node:path';
import * as z from 'zod/mini';
import { defineTool, ToolInputError, type ToolContext } from '../../agent/tools/tool';
import { inspectForTool } from '../modelTool';
import { DEPLOY_TARGETS, existingFiles, planDeployment, writeDeployment, type DeployPlan, type DeployTarget } from './deployPlan';

const input = z.object({
  path: z.string().check(z.minLength(1)),
  target: z.enum(DEPLOY_TARGETS),
  output_dir: z.optional(z.string().check(z.minLength(1))),
  max_batch_size: z.optional(z.number().check(z.int(), z.positive())),
});
type Input = z.infer<typeof input>;

async function plan(args: Input, context: ToolContext): Promise<{ plan: DeployPlan; dir: string }> {
  const model = await context.files.resolve(args.path);
  const info = await inspectForTool(model, args.path);
  try {
    const deployment = planDeployment(info, model, args.target, args.max_batch_size !== undefined ? { maxBatchSize: args.max_batch_size } : {});
    const dir = await context.files.resolveForWrite(args.output_dir ?? join('deploy', `${deployment.name}-${args.target}`));
    const existing = existingFiles(deployment, dir);
    if (existing.length > 0) throw new ToolInputError(`${context.files.display(dir)} already holds ${existing.join(', ')}: choose another output_dir (nothing is overwritten).`);
    return { plan: deployment, dir };
  } catch (error) {
    if (error instanceof ToolInputError) throw error;
    throw new ToolInputError((error as Error).message);
  }
}

/** The file a person reads first in each scaffold: shown as the approval diff. */
function mainFile(deployment: DeployPlan): { path: string; content: string } {
  const main: Record<DeployTarget, string> = { triton: 'config.pbtxt', fastapi: 'app.py', kserve: 'inferenceservice.yaml', bentoml: 'service.py' };
  return deployment.files.find((f) => f.path.endsWith(main[deployment.target])) ?? deployment.files[0]!;
}

/** The agent's `scaffold_deployment`: writes a serving scaffold for an ONNX model, after the user approves. */
export function scaffoldDeploymentTool() {
  return defineTool({
    name: 'scaffold_deployment',
    description:
      'Writes a serving scaffold for an ONNX model into a workspace folder (default deploy/<name>-<target>): "triton" (model repository with a ' +
      'config.pbtxt built from the model\'s real inputs/outputs, batch axis and dynamic batching when the first axis is symbolic), "fastapi" ' +
      '(app.py with /predict and /health on onnxruntime, Dockerfile, requirements, sample_request.json), "kserve" (InferenceService, v2 protocol) ' +
      'or "bentoml" (service.py + bentofile.yaml). The model and its external data are copied in. Export other formats to ONNX first.',
    input,
    risk: 'write',
    confirmation: (args) => `Write a ${args.target} deployment of ${args.path}${args.output_dir ? ` into ${args.output_dir}` : ''}`,
    async preview(args, context) {
      const { plan: deployment, dir } = await plan(args, context);
      const main = mainFile(deployment);
      const absolutePath = join(dir, main.path);
      return { path: context.files.display(absolutePath), absolutePath, before: null, after: main.content };
    },
    async run(args, context) {
      const { plan: deployment, dir } = await plan(args, context);
      const written = writeDeployment(deployment, dir);
      const list = written.map((w) => `- ${context.files.display(w)}`).join('\n');
      const notes = deployment.notes.length ? `\nNotes:\n${deployment.notes.map((n) => `- ${n}`).join('\n')}` : '';
      return { content: `Wrote the ${deployment.target} deployment of ${deployment.name} (${written.length} files):\n${list}${notes}`, summary: `${deployment.target}: ${written.length} files in ${context.files.display(dir)}` };
    },
  });
}
