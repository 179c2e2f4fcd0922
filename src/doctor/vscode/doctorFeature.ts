import type { FeatureHost, NoApi } from '../../activation/featureHost';
import { registerDoctorCommand } from './doctorCommand';

/** dist/features/doctor.js (src/activation/): "Check Environment". */
export function activateFeature(host: FeatureHost): NoApi {
  registerDoctorCommand(host.context, host.log, host.apiKeys);
  return {};
}
