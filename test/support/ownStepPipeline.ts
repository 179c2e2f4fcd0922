import { basename, extname, join } from 'node:path';
import { writeDeployment } from '../../src/models/deploy/deployPlan';
import { inspectModel } from '../../src/models/inspectModel';
import { planServeApp } from '../../src/serving/servePlan';

// Pickled scikit-learn pipelines with a step of the user's own (a notebook's class, a workspace
// module's, a class missing from the installed scikit-learn), and the app Serve Locally writes for
// one: what servePipelineStep.test.ts serves to see how each loads or fails.

/** A transformer of the user's own, as a notebook cell or a workspace module defines it. */
export const DOUBLER_CLASS: readonly string[] = [
  'from sklearn.base import BaseEstimator, TransformerMixin',
  'class Doubler(TransformerMixin, BaseEstimator):',
  '    def fit(self, X, y=None): return self',
  '    def transform(self, X): return X * 2',
];

/**
 * Python that runs `setup` (defining or importing `step`, a transformer class), then fits `step`
 * and a LogisticRegression on ten rows and pickles the pipeline to `file` (joblib; relative to
 * the script's working folder).
 */
export function pipelineScript(setup: readonly string[], step: string, file: string): string {
  return [
    'import joblib, numpy as np',
    'from sklearn.linear_model import LogisticRegression',
    'from sklearn.pipeline import make_pipeline',
    ...setup,
    'X = np.arange(20.0).reshape(10, 2)',
    `joblib.dump(make_pipeline(${step}(), LogisticRegression()).fit(X, np.arange(10) % 2), ${JSON.stringify(file)})`,
  ].join('\n');
}

/** Writes Serve Locally's app for `model` to ws/deploy/<model's name>-fastapi and returns that folder. */
export function writeServeApp(ws: string, model: string): string {
  const appDir = join(ws, 'deploy', `${basename(model, extname(model))}-fastapi`);
  writeDeployment(planServeApp(inspectModel(model), model), appDir);
  return appDir;
}
