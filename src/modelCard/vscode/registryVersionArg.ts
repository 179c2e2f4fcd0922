import { registryVersionArg as carried } from '../../common/registryVersionArg';
import type { RegisteredModelRecord } from '../../tracking/registry/registryModel';
import type { CardRegistryVersion } from '../gatherFacts';

// The registry version a command was given, read by shape (common/registryVersionArg.ts, shared with Compare Models).

export function registryVersionArg(arg: unknown): CardRegistryVersion | undefined {
  return carried<RegisteredModelRecord>(arg);
}
