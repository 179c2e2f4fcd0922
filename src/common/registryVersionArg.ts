// The registry version a command was given: the Experiments view's version node carries it
// (registryVersion, beside its modelUri) when its model file is on this machine. Read by shape,
// not through the tracking feature's tree code, which stays out of the other features' bundles
// (Write Model Card… and Compare Models read it).

export interface RegistryVersionArg<Model extends { readonly name: string }> {
  readonly model: Model;
  readonly version: number;
  /** The registry (its mlruns/ folder, mlflow.db or server). */
  readonly store: string;
}

export function registryVersionArg<Model extends { readonly name: string } = { readonly name: string }>(arg: unknown): RegistryVersionArg<Model> | undefined {
  const carried = arg !== null && typeof arg === 'object' ? (arg as { registryVersion?: { model?: { name?: unknown }; version?: unknown; store?: unknown } }).registryVersion : undefined;
  return typeof carried?.model?.name === 'string' && typeof carried.version === 'number' && typeof carried.store === 'string' ? (carried as unknown as RegistryVersionArg<Model>) : undefined;
}
