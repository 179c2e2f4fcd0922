// Entry of dist/lazy/tracking.js: the host side of the tracking readers, which run in
// dist/workers/tracking.js; required when the Experiments view first shows or the agent asks for
// runs, so activation never pays for them (docs/architecture.md).
export { TrackingReaders } from '../workerSources';
