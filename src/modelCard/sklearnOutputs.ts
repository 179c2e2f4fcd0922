import type { ModelInfo } from '../models/modelInfo';
import { codeSpan, type Citations, type CardSource } from './cardSources';

// What a scikit-learn model outputs. A pickle declares no output tensors (#20: the card listed the
// churn pipeline's outputs as not found), but inspect_model reads its final estimator's class and its
// classes_: a classifier predicts one of those classes, a regressor a number. Whether a classifier
// gives probabilities is its class's (predict_proba is a method, not in the file), so it is said
// for the classes known here and left under "Not found" for the rest.

/** Classifiers whose predict_proba always works once fitted. */
const PROBA = new Set([
  'LogisticRegression', 'LogisticRegressionCV', 'RandomForestClassifier', 'ExtraTreesClassifier', 'DecisionTreeClassifier', 'ExtraTreeClassifier',
  'GradientBoostingClassifier', 'HistGradientBoostingClassifier', 'AdaBoostClassifier', 'BaggingClassifier', 'KNeighborsClassifier',
  'RadiusNeighborsClassifier', 'GaussianNB', 'MultinomialNB', 'BernoulliNB', 'ComplementNB', 'CategoricalNB', 'MLPClassifier',
  'LinearDiscriminantAnalysis', 'QuadraticDiscriminantAnalysis', 'GaussianProcessClassifier', 'CalibratedClassifierCV',
  'XGBClassifier', 'LGBMClassifier', 'CatBoostClassifier',
]);
/** Classifiers with no predict_proba (decision_function scores at most). */
const NO_PROBA = new Set(['RidgeClassifier', 'RidgeClassifierCV', 'LinearSVC', 'Perceptron', 'PassiveAggressiveClassifier', 'NearestCentroid']);
/** Regressors by class name (LogisticRegression is a classifier despite its name). */
const REGRESSOR = /^(?!Logistic)\w*(Regressor|Regression)$|^(Ridge|RidgeCV|Lasso|LassoCV|LassoLars\w*|ElasticNet|ElasticNetCV|Lars|LarsCV|BayesianRidge|SVR|NuSVR|LinearSVR|KernelRidge|OrthogonalMatchingPursuit(CV)?|PLSRegression)$/;

export interface SklearnOutputs {
  readonly lines: string[];
  readonly missing: string[];
}

/** The card's output lines for a scikit-learn model, each footnoted to inspect_model's line it rests on. */
export function sklearnOutputs(info: ModelInfo, inspect: CardSource, notes: Citations): SklearnOutputs {
  const fact = (label: string) => info.facts.find((f) => f.label === label)?.value;
  const cite = (label: string, value: string) => notes.cite(inspect, `${label}: ${value}`) ?? '';
  // The final estimator: a Pipeline's last step (unless the steps were cut), else the file's object.
  const steps = fact('Steps');
  const contents = fact('Contents');
  const last = steps !== undefined && !/ → … \(\d+ steps\)$/.test(steps) ? /(?:^|→ )([^→]*?): (\w+)$/.exec(steps) : undefined;
  const estimator = steps !== undefined ? last?.[2] : contents && /^(\w+) \(/.exec(contents)?.[1];
  // Its hyperparameters' prefix in get_params: the step's name in a Pipeline.
  const prefix = last ? `${last[1]}__` : '';
  const named = estimator && (steps !== undefined ? `${codeSpan(estimator)}${cite('Steps', steps)}` : `${codeSpan(estimator)}${cite('Contents', contents!)}`);
  const classes = fact('Classes');
  const lines: string[] = [];
  const missing: string[] = [];
  if (classes !== undefined) {
    const [, count, names] = /^(\d+)(?:: (.+))?$/.exec(classes) ?? [];
    const listed = names ? `: ${names.split(', ').map((n) => (n === '…' ? '…' : codeSpan(n))).join(', ')}` : '';
    lines.push(`- output: the predicted class (\`predict\`${named ? ` of ${named}` : ''}), one of ${count ?? classes} classes${listed}${cite('Classes', classes)}`);
    const proba = estimator ? probabilities(estimator, (name) => info.metadata[prefix + name]) : undefined;
    const by = proba?.param ? ` with ${codeSpan(prefix + proba.param)} = ${info.metadata[prefix + proba.param]!}${cite(prefix + proba.param, info.metadata[prefix + proba.param]!)}` : '';
    if (proba?.gives) lines.push(`- output: class probabilities (\`predict_proba\`), one column per class in the order above: ${named}${by} has them`);
    else if (proba) lines.push(`- no class probabilities: ${named}${by} has no \`predict_proba\` that works`);
    else missing.push(`class probabilities: whether ${estimator ? codeSpan(estimator) : 'the final estimator'} gives them (\`predict_proba\`) is not known from the file`);
  } else if (estimator && REGRESSOR.test(estimator)) {
    lines.push(`- output: a number per row, the predicted value (\`predict\` of ${named}, a regressor)`);
  }
  return { lines, missing };
}

/** Whether the estimator gives probabilities, and the hyperparameter that decides it (SVC's probability, SGD's loss); undefined when not known. */
function probabilities(estimator: string, param: (name: string) => string | undefined): { gives: boolean; param?: string } | undefined {
  if (PROBA.has(estimator)) return { gives: true };
  if (NO_PROBA.has(estimator)) return { gives: false };
  if (estimator === 'SVC' || estimator === 'NuSVC') {
    const value = param('probability');
    return value === undefined ? undefined : { gives: value === 'True', param: 'probability' };
  }
  if (estimator === 'SGDClassifier') {
    const value = param('loss');
    return value === undefined ? undefined : { gives: ['log_loss', 'log', 'modified_huber'].includes(value), param: 'loss' };
  }
  return undefined;
}
