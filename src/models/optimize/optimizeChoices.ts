import { pipInstallCommand } from '../../python/pythonModules';
import type { Precision, PythonOptimizers } from './pythonOptimize';

// What Optimize offers for an ONNX model: each precision by the user's Python tool (the standard
// one) and built in (no Python). A Python tool the interpreter lacks is still offered, marked with
// the package it needs and the command that installs it, so the user sees what a package would
// give and how to get it, instead of a list that silently changes with the environment.

export type OptimizeMethod = 'python' | 'built-in';

export interface MissingTool {
  /** The pip package to install. */
  readonly package: string;
  /** The interpreter it is missing from (none when no Python was found). */
  readonly python?: string;
  /** Why, as the probe said it ("onnxruntime is not installed in /usr/bin/python3"). */
  readonly problem: string;
  /** Short, for the picker: "needs onnxruntime in /usr/bin/python3". */
  readonly short: string;
  /** The install command, when there is a Python to install into. */
  readonly install?: string;
}

export interface OptimizeChoice {
  readonly precision: Precision;
  readonly method: OptimizeMethod;
  readonly label: string;
  /** What does it ("onnxruntime 1.17.1 quantize_dynamic", "built in"). */
  readonly description: string;
  /** What it gives. */
  readonly detail: string;
  /** Set when the method needs a package the Python lacks. */
  readonly missing?: MissingTool;
}

const PYTHON_TOOL: Readonly<Record<Precision, { package: string; label: string; detail: string; version: (t: PythonOptimizers) => string | undefined; call: string }>> = {
  int8: {
    package: 'onnxruntime',
    label: 'Dynamic int8',
    detail: 'int8 weights, activations quantized at run time (MatMulInteger / ConvInteger): about 4x smaller, and int8 arithmetic that is usually faster on CPU',
    version: (t) => t.onnxruntime,
    call: 'quantize_dynamic',
  },
  fp16: {
    package: 'onnxconverter-common',
    label: 'fp16 (onnxconverter-common)',
    detail: 'float16 weights and compute, operators that need float32 kept in it, inputs and outputs float32: about 2x smaller',
    version: (t) => t.onnxconverterCommon,
    call: 'convert_float_to_float16',
  },
};

export const BUILT_IN: Readonly<Record<Precision, { label: string; detail: string }>> = {
  int8: {
    label: 'Weight-only int8',
    detail: 'int8 weights + DequantizeLinear: about 4x smaller weights, any opset >= 10; the arithmetic stays float32, so expect no speed-up',
  },
  fp16: {
    label: 'fp16 (built in)',
    detail: 'float16 weights and compute (float32 kept where fp16 kernels are missing), inputs and outputs stay float32: about 2x smaller',
  },
};

/** The Python tool for `precision`, as the report names it. */
export function pythonToolName(precision: Precision): string {
  return `${PYTHON_TOOL[precision].package} ${PYTHON_TOOL[precision].call}`;
}

/** Why the Python tool cannot be used, with the package and its install command; undefined when it can. */
export function missingTool(precision: Precision, tools: PythonOptimizers | undefined, python: string | undefined): MissingTool | undefined {
  const pkg = PYTHON_TOOL[precision].package;
  if (!python) return { package: pkg, problem: 'no Python was found', short: `needs Python with ${pkg} (no Python found)` };
  const problem = tools ? tools.missing[precision] : `${python} was not asked`;
  if (!problem) return undefined;
  const short = /is not installed in/.test(problem) ? `needs ${pkg} in ${python}` : problem;
  return { package: pkg, python, problem, short, install: pipInstallCommand(python, [pkg]) };
}

/** The picker's entries: for each precision the Python tool (available or marked missing), then the built-in rewrite. */
export function optimizeChoices(tools: PythonOptimizers | undefined, python: string | undefined): OptimizeChoice[] {
  return (['int8', 'fp16'] as const).flatMap((precision): OptimizeChoice[] => {
    const tool = PYTHON_TOOL[precision];
    const missing = missingTool(precision, tools, python);
    const version = tools ? tool.version(tools) : undefined;
    return [
      missing
        ? { precision, method: 'python', label: tool.label, description: missing.short, detail: tool.detail, missing }
        : { precision, method: 'python', label: tool.label, description: `${tool.package} ${version ?? '?'} ${tool.call}`, detail: tool.detail },
      { precision, method: 'built-in', label: BUILT_IN[precision].label, description: 'built in, no Python needed', detail: BUILT_IN[precision].detail },
    ];
  });
}
