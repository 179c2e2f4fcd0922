import type { CardRegistryVersion } from '../gatherFacts';

// The registry version a command was given: the Experiments view's version node carries it
// (registryVersion, beside its modelUri) when its model file is on this machine. Read here by
// shape, not through the tracking feature's tree code, which stays out of this feature's bundle.

export function registryVersionArg(arg: unknown): CardRegistryVersion | undefined {
  const carried = arg !== null && typeof arg === 'object' ? (arg as { registryVersion?: Partial<CardRegistryVersion> }).registryVersion : undefined;
  return carried?.model && typeof carried.version === 'number' && typeof carried.store === 'string' ? (carried as CardRegistryVersion) : undefined;
}
