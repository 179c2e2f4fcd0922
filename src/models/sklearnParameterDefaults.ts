import type { ParameterDefault } from './modelInfo';
import { SKLEARN_DEFAULTS, SKLEARN_DEFAULTS_VERSION, type SklearnDefault } from './sklearnDefaults';

// Whether a scikit-learn hyperparameter read from a pickle is its class's default, from the table
// scripts/sklearn-defaults.py made from one scikit-learn release (the viewer cannot import
// scikit-learn, and never runs the pickle). Values are compared as the reader writes them
// (sklearnPickle.ts scalarText: None, True, 0.5, lbfgs; a nested estimator by its class name).

// Class names come from the file: looked up in Maps, never as keys of a plain object.
const TABLE = new Map(Object.entries(SKLEARN_DEFAULTS).map(([cls, params]) => [cls, new Map(Object.entries(params))]));

export { SKLEARN_DEFAULTS_VERSION };

/** The default of `param` of the estimator class `module.name`, and whether `value` differs from it. */
export function parameterDefault(module: string, className: string, param: string, value: string): Omit<ParameterDefault, 'name'> {
  const table = /^sklearn(\.|$)/.test(module) ? TABLE.get(className) : undefined;
  if (!table?.has(param)) return { default: null, differs: null };
  const known = table.get(param)!;
  return { default: defaultText(known), differs: differsFrom(value, known) };
}

/** A default as Python writes it: None, True, 0.0001, 'lbfgs', nan. */
export function defaultText(value: SklearnDefault): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  return value.repr;
}

/** true / false, or null where the text cannot be compared with that default. */
function differsFrom(value: string, known: SklearnDefault): boolean | null {
  if (known === null) return value !== 'None';
  if (typeof known === 'boolean') return value !== (known ? 'True' : 'False');
  if (typeof known === 'number') return !/^-?[\d.]+(e[+-]?\d+)?$/i.test(value) || Number(value) !== known;
  if (typeof known === 'string') return value !== known;
  const special = new Map([
    ['nan', 'NaN'],
    ['inf', 'Infinity'],
    ['-inf', '-Infinity'],
  ]).get(known.repr);
  return special === undefined ? null : value !== special;
}
