import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, normalize, sep } from 'node:path';
import { symlinkOnPath, writeFileNoFollow } from '../../common/symlinks';
import { externalDataFile } from '../externalData';
import { elementCount, type IoInfo, type ModelInfo } from '../modelInfo';
import { bentofile, bentomlService } from './bentomlService';
import { FASTAPI_DOCKERFILE, FASTAPI_REQUIREMENTS, fastapiApp } from './fastapiApp';
import { kserveInferenceService, kubernetesName } from './kserveManifest';
import { pythonClassName } from './pythonText';
import { REQUEST_LOG_SINK, REQUEST_LOG_SINK_FILE } from './requestLogSink';
import { tritonConfig, tritonModelName } from './tritonConfig';

// What "Deploy" writes for each target, planned without touching the disk (the command shows the
// list and asks before writing; the agent's tool shows it for approval), then written.

export const DEPLOY_TARGETS = ['fastapi', 'triton', 'kserve', 'bentoml'] as const;
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];

export const DEPLOY_TARGET_LABELS: Readonly<Record<DeployTarget, string>> = {
  fastapi: 'FastAPI app (/predict, /health) with a Dockerfile',
  triton: 'Triton model repository (config.pbtxt from the model)',
  kserve: 'KServe InferenceService',
  bentoml: 'BentoML service',
};

export interface DeployFile {
  /** Relative to the output folder, with "/". */
  readonly path: string;
  readonly content: string;
}

export interface DeployCopy {
  readonly from: string;
  readonly to: string;
}

export interface DeployPlan {
  readonly target: DeployTarget;
  readonly name: string;
  readonly files: readonly DeployFile[];
  /** The model (and its external data files) copied into the layout the server expects. */
  readonly copies: readonly DeployCopy[];
  readonly notes: readonly string[];
}

export interface DeployOptions {
  readonly name?: string;
  readonly maxBatchSize?: number;
  readonly gpu?: boolean;
}

/** Largest sample request written (elements): a 224x224 image is 150k. */
const MAX_SAMPLE_ELEMENTS = 200_000;

export function planDeployment(info: ModelInfo, modelPath: string, target: DeployTarget, options: DeployOptions = {}): DeployPlan {
  if (info.format !== 'onnx') throw new Error(`Deploy serves ONNX models; ${basename(modelPath)} is ${info.format}. Export it to ONNX first.`);
  if (!info.inputs?.length || !info.outputs?.length) throw new Error(`${basename(modelPath)} declares no graph inputs or outputs: nothing to serve`);
  const name = tritonModelName(options.name ?? basename(modelPath));
  const notes: string[] = [...info.problems];
  const modelFile = basename(modelPath);
  const copiesInto = (folder: string, fileName = modelFile): DeployCopy[] => [
    { from: modelPath, to: `${folder}/${fileName}` },
    // Checked: a location that leaves the model's folder (a "../.env") would be copied into the image.
    ...(info.externalData ?? []).map((location) => ({ from: externalDataFile(modelPath, location), to: `${folder}/${location.split(/[\\/]+/).filter((p) => p && p !== '.').join('/')}` })),
  ];
  switch (target) {
    case 'triton': {
      const config = tritonConfig(info, { name, ...(options.maxBatchSize !== undefined ? { maxBatchSize: options.maxBatchSize } : {}) });
      notes.push(...config.problems);
      const files: DeployFile[] = [
        { path: `${name}/config.pbtxt`, content: config.text },
        { path: 'README.md', content: tritonReadme(name, config.maxBatchSize, info) },
      ];
      return { target, name, files, copies: copiesInto(`${name}/1`, 'model.onnx'), notes };
    }
    case 'fastapi': {
      const files: DeployFile[] = [
        { path: 'app.py', content: fastapiApp(modelFile, name, info.inputs) },
        { path: 'requirements.txt', content: FASTAPI_REQUIREMENTS },
        { path: 'Dockerfile', content: FASTAPI_DOCKERFILE },
        { path: '.dockerignore', content: '__pycache__/\n*.pyc\n.venv/\nlogs/\n' },
        { path: 'README.md', content: fastapiReadme(name) },
      ];
      const sample = sampleRequest(info.inputs);
      if (sample) files.push({ path: 'sample_request.json', content: sample });
      else notes.push('no sample_request.json: the inputs are too large to write as JSON');
      return { target, name, files, copies: copiesInto('model'), notes };
    }
    case 'kserve':
      return {
        target,
        name,
        files: [
          { path: 'inferenceservice.yaml', content: kserveInferenceService(name, options.gpu ? { gpu: true } : {}) },
          { path: REQUEST_LOG_SINK_FILE, content: REQUEST_LOG_SINK },
          { path: 'README.md', content: kserveReadme(name) },
        ],
        copies: copiesInto('model', 'model.onnx'),
        notes: [...notes, 'storageUri is a placeholder: set it to where you upload model/'],
      };
    case 'bentoml':
      return {
        target,
        name,
        files: [{ path: 'service.py', content: bentomlService(modelFile, name, info.inputs) }, { path: 'bentofile.yaml', content: bentofile(name) }, { path: 'README.md', content: bentomlReadme(name) }],
        copies: copiesInto('model'),
        notes,
      };
  }
}

/** Zeros in each input's shape, symbolic axes as 1: a request that /predict accepts as it is. */
export function sampleRequest(inputs: readonly IoInfo[]): string | undefined {
  const inputsJson: Record<string, unknown> = {};
  for (const input of inputs) {
    const shape = input.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    if ((elementCount(shape) ?? Infinity) > MAX_SAMPLE_ELEMENTS) return undefined;
    const zero = input.dtype === 'bool' ? false : input.dtype === 'string' ? '' : 0;
    const fill = (dims: number[]): unknown => (dims.length === 0 ? zero : Array.from({ length: dims[0]! }, () => fill(dims.slice(1))));
    inputsJson[input.name] = fill(shape);
  }
  return JSON.stringify({ inputs: inputsJson }) + '\n';
}

/** Files of the plan that exist already in `dir` (the command asks before replacing them). */
export function existingFiles(plan: DeployPlan, dir: string): string[] {
  return [...plan.files.map((f) => f.path), ...plan.copies.map((c) => c.to)].filter((path) => existsSync(join(dir, path)));
}

/**
 * Writes the plan under `dir`. Paths stay inside it (names come from the model file and its
 * external data), and no file or folder below it may be a symbolic link: all are checked before
 * anything is written.
 */
export function writeDeployment(plan: DeployPlan, dir: string): string[] {
  const written: string[] = [];
  const full = (path: string): string => {
    const at = normalize(join(dir, path));
    if (!at.startsWith(normalize(dir) + sep)) throw new Error(`${path} would be written outside ${dir}`);
    const link = symlinkOnPath(dir, at);
    if (link !== undefined) throw new Error(`${link} in ${dir} is a symbolic link: Deploy does not write through links (remove it or choose another folder)`);
    return at;
  };
  const target = (path: string): string => {
    const at = full(path);
    mkdirSync(dirname(at), { recursive: true });
    written.push(at);
    return at;
  };
  for (const copy of plan.copies) {
    if (!existsSync(copy.from)) throw new Error(`${copy.from} is missing: the model refers to it`);
  }
  for (const path of [...plan.files.map((f) => f.path), ...plan.copies.map((c) => c.to)]) full(path);
  for (const file of plan.files) writeFileNoFollow(target(file.path), file.content);
  for (const copy of plan.copies) copyFileSync(copy.from, target(copy.to));
  return written;
}

function tritonReadme(name: string, maxBatchSize: number, info: ModelInfo): string {
  const io = [...(info.inputs ?? []).map((i) => `- input \`${i.name}\`: ${i.dtype} [${i.shape.join(', ')}]`), ...(info.outputs ?? []).map((o) => `- output \`${o.name}\`: ${o.dtype} [${o.shape.join(', ')}]`)].join('\n');
  return `# Triton model repository: ${name}

Generated by ML Engineer from the model's own inputs and outputs:

${io}

${maxBatchSize > 0 ? `The first axis is the batch axis: \`max_batch_size: ${maxBatchSize}\` with dynamic batching; \`dims\` leave it out.` : 'The model has no shared batch axis: `max_batch_size: 0`, dims in full.'}

Serve it (this folder is the repository). Triton asks no one for credentials: the ports are bound to
this machine only; put an authenticating proxy in front before opening them to a network.

    docker run --rm -p 127.0.0.1:8000:8000 -p 127.0.0.1:8001:8001 -p 127.0.0.1:8002:8002 -v "$PWD":/models:ro nvcr.io/nvidia/tritonserver:24.08-py3 tritonserver --model-repository=/models

Check: \`curl localhost:8000/v2/models/${name}/config\`
`;
}

function fastapiReadme(name: string): string {
  return `# ${name}: FastAPI + onnxruntime

Generated by ML Engineer.

    pip install -r requirements.txt
    export MODEL_API_TOKEN=$(python -c "import secrets; print(secrets.token_urlsafe(32))")
    uvicorn app:app --port 8000
    curl -s localhost:8000/health
    curl -s localhost:8000/predict -H "Authorization: Bearer $MODEL_API_TOKEN" -H 'content-type: application/json' -d @sample_request.json

With \`MODEL_API_TOKEN\` set, /predict and /metadata need \`Authorization: Bearer <token>\`; without it anyone
who reaches the port can use the model. Requests over \`MAX_REQUEST_BYTES\` (16 MB) get 413. Errors from
onnxruntime are logged by the server with an id; the client gets only the id.

Docker (runs as an unprivileged user): \`docker build -t ${kubernetesName(name)} . && docker run -p 127.0.0.1:8000:8000 -e MODEL_API_TOKEN ${kubernetesName(name)}\`
`;
}

function kserveReadme(name: string): string {
  return `# ${name}: KServe

Generated by ML Engineer. Upload \`model/\` (it holds \`model.onnx\`) to object storage, set \`storageUri\`
in \`inferenceservice.yaml\` to that folder, then:

    kubectl apply -f inferenceservice.yaml
    kubectl get inferenceservice ${kubernetesName(name)}

KServe serves ONNX with the v2 (Open Inference) protocol: \`POST /v2/models/${kubernetesName(name)}/infer\`.
The endpoint checks no credentials itself: require them at the ingress or service mesh (e.g. Istio
AuthorizationPolicy) before exposing it.

The \`logger\` section sends each request to \`http://${kubernetesName(name).slice(0, 51)}-request-log\` (a Service
in the same namespace): run \`request_log_sink.py\` behind it (\`pip install fastapi uvicorn\`, then
\`uvicorn request_log_sink:app --host 0.0.0.0 --port 8080\`, with a volume on \`logs/\`). It writes the
requests' rows to \`logs/requests.jsonl\`, which Compare Datasets… (drift) reads as the current data;
set \`MODEL_FEATURE_NAMES\` to the training data's column names. Delete the section to log nothing.
`;
}

function bentomlReadme(name: string): string {
  return `# ${name}: BentoML

Generated by ML Engineer.

    pip install bentoml onnxruntime numpy
    bentoml serve service:${pythonClassName(name)}
    bentoml build
`;
}
