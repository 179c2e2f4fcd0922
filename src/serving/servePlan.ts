import { basename, dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { ModelInfo } from '../models/modelInfo';
import { planDeployment, type DeployPlan } from '../models/deploy/deployPlan';
import { tritonModelName } from '../models/deploy/tritonConfig';
import { SKLEARN_SERVE_REQUIREMENTS, sklearnServeApp } from './sklearnServeApp';
import { TORCH_SERVE_KINDS, TORCH_SERVE_REQUIREMENTS, torchServeApp } from './torchServeApp';

// Serve Locally on a model file writes a FastAPI app first (an ONNX model: Deploy's own FastAPI
// scaffold; a scikit-learn pickle or joblib: sklearnServeApp; a TorchScript archive or a pickled
// nn.Module: torchServeApp), planned without touching the disk so
// the command can show it and ask. On a folder, the folder's app.py is served as it is.

/** The app module a folder serves, or undefined when it holds no FastAPI app we know. */
export function servableApp(dir: string): { appDir: string; module: string } | undefined {
  for (const module of ['app', 'main', 'service']) {
    if (existsSync(join(dir, `${module}.py`))) return { appDir: dir, module };
  }
  return undefined;
}

export function planServeApp(info: ModelInfo, modelPath: string): DeployPlan {
  if (info.format === 'onnx') return planDeployment(info, modelPath, 'fastapi');
  const name = tritonModelName(basename(modelPath));
  if (info.format === 'sklearn') return pythonApp(info, modelPath, sklearnServeApp(basename(modelPath), name), SKLEARN_SERVE_REQUIREMENTS);
  if (info.format === 'pytorch') {
    const kind = info.torchKind ?? 'weights';
    if (!TORCH_SERVE_KINDS.includes(kind)) throw new Error(unservableTorch(basename(modelPath)));
    return pythonApp(info, modelPath, torchServeApp(basename(modelPath), name, kind), TORCH_SERVE_REQUIREMENTS);
  }
  throw new Error(`Serve Locally serves ONNX models, scikit-learn pickles and PyTorch files (TorchScript or a pickled nn.Module); ${basename(modelPath)} is ${info.format}. Export it to ONNX first (in ${basename(dirname(modelPath))}).`);
}

/** Whether loading the file runs code from classes it pickles: the user says yes first. */
export function servingLoadsPickle(info: ModelInfo): boolean {
  return info.format === 'sklearn' || (info.format === 'pytorch' && info.torchKind === 'pickled-module');
}

function unservableTorch(file: string): string {
  return `${file} holds weights only (a state dict or a checkpoint): serving needs the model's class too. Load the weights into it and save the module (torch.save(model, path)) or TorchScript (torch.jit.script(model).save(path)), then Serve Locally on that file.`;
}

function pythonApp(info: ModelInfo, modelPath: string, app: string, requirements: string): DeployPlan {
  return {
    target: 'fastapi',
    name: tritonModelName(basename(modelPath)),
    files: [
      { path: 'app.py', content: app },
      { path: 'requirements.txt', content: requirements },
    ],
    copies: [{ from: modelPath, to: `model/${basename(modelPath)}` }],
    notes: [...(info.warnings ?? [])],
  };
}
