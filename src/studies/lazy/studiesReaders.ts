// Entry of dist/lazy/studies.js: the host side of the study and registry readers, which run in
// dist/workers/studies.js; required when the Experiments view first shows studies or the agent
// asks, never at activation (docs/architecture.md).
export { StudyReaders } from '../studyReaders';
