// Entry of dist/lazy/tracking.js: the tracking readers (yaml, csv-parse, protobufjs, our SQLite
// reader) in their own bundle, required when the Experiments view first shows or the agent asks
// for runs, so activation never pays for them (docs/architecture.md).
export { discoverSources, makeSource, sourcesForPath } from '../discovery';
