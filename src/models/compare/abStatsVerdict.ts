// The A/B verdict (abStats.ts): which metric it is on (pickMetric) and the sentence saying which
// model is better and how sure that is (intervalVerdict).
import { CLASSIFIER_METRICS, RARE_POSITIVE, REGRESSOR_METRICS, type ABMetric, type Interval, type RocAuc } from './abStats';

const METRIC_NAMES: Record<ABMetric, string> = { roc_auc: 'ROC AUC', average_precision: 'average precision', accuracy: 'accuracy', f1_macro: 'macro F1', mae: 'MAE', rmse: 'RMSE', r2: 'R²' };

/**
 * The verdict's metric and why: the one asked for where it can be computed; else two classes with
 * scores ROC AUC (average precision where positives are under RARE_POSITIVE of the rows), more
 * classes with scores their one-vs-rest ROC AUC, labels only accuracy; regressors MAE.
 */
export function pickMetric(task: 'classification' | 'regression', asked: ABMetric | undefined, auc: RocAuc | string | undefined): { metric: ABMetric; note: string } {
  let fallback = '';
  if (asked) {
    const wrongTask = task === 'classification' ? !(CLASSIFIER_METRICS as readonly string[]).includes(asked) : !(REGRESSOR_METRICS as readonly string[]).includes(asked);
    const noScores = (asked === 'roc_auc' || asked === 'average_precision') && typeof auc === 'string';
    const noAp = asked === 'average_precision' && typeof auc !== 'string' && !auc?.averagePrecision;
    if (!wrongTask && !noScores && !noAp) return { metric: asked, note: `${METRIC_NAMES[asked]}, as asked` };
    fallback = wrongTask
      ? `${METRIC_NAMES[asked]} is not a ${task === 'classification' ? 'classifier' : 'regressor'} metric; `
      : noScores
        ? `no ${METRIC_NAMES[asked]} (${String(auc)}); `
        : `no average precision for ${(auc as RocAuc).classes?.length ?? 0} classes; `;
  }
  if (task === 'regression') return { metric: 'mae', note: `${fallback}MAE, the default for regressors` };
  if (typeof auc === 'string' || !auc) return { metric: 'accuracy', note: `${fallback}accuracy, the default where the models give no scores` };
  if (auc.classes) return { metric: 'roc_auc', note: `${fallback}ROC AUC (one-vs-rest, macro over ${auc.classes.length} classes), the default where both models give class probabilities` };
  const share = `${auc.positive} is ${((auc.positiveShare ?? 0) * 100).toFixed(1)}% of the rows`;
  return (auc.positiveShare ?? 1) < RARE_POSITIVE
    ? { metric: 'average_precision', note: `${fallback}average precision, the default for two classes with scores where the positive class is rare (${share}, under ${RARE_POSITIVE * 100}%)` }
    : { metric: 'roc_auc', note: `${fallback}ROC AUC, the default for two classes with scores (${share})` };
}

/**
 * "B is better than A on M by d (vb vs va), 95% CI of the gain [l, h]: …": the gain's interval is
 * B − A's for the better side (turned round where lower is better or A wins).
 */
export function intervalVerdict(metric: ABMetric, names: readonly [string, string], va: number, vb: number, diff: Interval, higherIsBetter: boolean, format: (x: number) => string): string {
  const [nameA, nameB] = names;
  const label = METRIC_NAMES[metric];
  if (va === vb) return `${nameA} and ${nameB} have the same ${label} (${format(va)}), 95% CI of B − A [${format(diff.low)}, ${format(diff.high)}].`;
  // Equal as shown and not told apart by the interval: "better by 0.0000" would read as a win.
  if (format(va) === format(vb) && diff.low <= 0 && diff.high >= 0) {
    return `${nameA} and ${nameB} are level on ${label} (${format(va)} each as shown), 95% CI of B − A [${format(diff.low)}, ${format(diff.high)}]: not a significant difference.`;
  }
  const bBetter = higherIsBetter ? vb > va : vb < va;
  const [better, worse, vBetter, vWorse] = bBetter ? [nameB, nameA, vb, va] : [nameA, nameB, va, vb];
  // The gain is B − A where B wins on a higher-is-better metric, A − B where A does; lower-is-better the other way round.
  const gain = bBetter === higherIsBetter ? diff : { low: -diff.high, high: -diff.low };
  const sure = gain.low > 0 ? 'the interval excludes 0' : 'the interval includes 0: not a significant difference';
  return `${better} is better than ${worse} on ${label} by ${format(Math.abs(vb - va))} (${format(vBetter)} vs ${format(vWorse)}), 95% CI of the gain [${format(gain.low)}, ${format(gain.high)}]: ${sure}.`;
}
