// A model's graph as the graph view, its agent tool and its tests read it: nodes and the tensors
// between them, each tensor named once and referred to by index (a 10,000-node graph crosses the
// worker, the host and the webview as a few megabytes, edges implied by the indices). Plain data:
// the webview imports these types.

/** One attribute, its value said in words (lists and tensors cut short: see the reader's caps). */
export interface GraphAttribute {
  readonly name: string;
  /** `int`, `float`, `string`, `ints`, `tensor`, `graph`… */
  readonly type: string;
  readonly value: string;
}

export interface GraphNode {
  /** The node's name in the file ('' when it has none). */
  readonly name: string;
  readonly op: string;
  /** The operator's domain where it is not the default one (`com.microsoft`). */
  readonly domain?: string;
  /** Tensor indices; -1 for an omitted optional input (''). */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly attributes?: readonly GraphAttribute[];
  /** The module path an exporter recorded (torch.onnx's `pkg.torch.onnx.name_scopes`), when there is one. */
  readonly scopes?: readonly string[];
  /** Nodes inside its subgraph attributes (If, Loop, Scan bodies), counted. */
  readonly subgraphNodes?: number;
}

/** Where an initializer's values are: in the model file (raw_data or a typed field) or in an external file. */
export interface TensorData {
  /** Bytes of values in this file, or in the external file. */
  readonly bytes: number;
  /** Position in the model file of the field holding the values. */
  readonly offset?: number;
  /** The external data file (relative to the model's folder), when the values are there. */
  readonly location?: string;
}

export type TensorKind = 'input' | 'output' | 'initializer' | 'value';

export interface GraphTensor {
  readonly name: string;
  readonly kind: TensorKind;
  /** From the graph's inputs, outputs, value_info or initializers; absent where the file does not say. */
  readonly dtype?: string;
  readonly shape?: readonly (number | string)[];
  /** For initializers. */
  readonly data?: TensorData;
}

export interface ModelGraph {
  readonly path: string;
  /** The graph's own name. */
  readonly name: string;
  readonly nodes: readonly GraphNode[];
  readonly tensors: readonly GraphTensor[];
  /** Tensor indices of the graph's inputs (initializers listed as inputs left out) and outputs. */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  /** What was not read or kept, in words. */
  readonly problems: readonly string[];
}

/** Values of one initializer, summarised (tensorStats.ts). */
export interface TensorStatistics {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly (number | string)[];
  /** Values the tensor holds, and how many were read for these figures. */
  readonly count: number;
  readonly read: number;
  readonly bytesRead: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly std: number;
  readonly zeros: number;
  readonly nan: number;
  readonly infinite: number;
  /** How the values read were chosen when not all were: in words. */
  readonly sample?: string;
}
