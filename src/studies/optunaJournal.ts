import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { setOwn } from '../tracking/ownProps';
import { finishTrial, samplerOf, type TrialDraft } from './optunaSqlite';
import { direction, externalValue, parseDistribution, trialState, type Direction, type Distribution, type StudyFileSnapshot } from './studyModel';

// Optuna's JournalFileStorage (optuna/storages/_journal/storage.py, 3.1): one JSON operation a
// line, appended under a lock. Replayed as Optuna's JournalStorageReplayResult does (study ids
// and trial ids are counters over the whole log), and tailed: a reread starts where the last one
// stopped, so a running study costs only its new lines. A last line without its newline is a
// write in progress, read next time; a line that is not JSON is reported and skipped.

const OP = { createStudy: 0, deleteStudy: 1, studyUserAttr: 2, studySystemAttr: 3, createTrial: 4, setParam: 5, setStateValues: 6, intermediate: 7, trialUserAttr: 8, trialSystemAttr: 9 } as const;
const CHUNK = 1 << 20;
/** One operation's line at most; a longer one is damage (Optuna's are a few hundred bytes). */
export const MAX_JOURNAL_LINE = 8 * 1024 * 1024;
const MAX_PROBLEMS = 20;

type Op = Record<string, unknown>;

interface StudyState {
  name: string;
  directions: Direction[];
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
  distributions: Record<string, Distribution>;
  trials: TrialDraft[];
  deleted: boolean;
}

export class JournalReplay {
  private offset = 0;
  private lineNumber = 0;
  private readonly studies: StudyState[] = [];
  /** Trial ids are positions in this list, across studies (as Optuna counts them). */
  private readonly trials: { draft: TrialDraft; study: StudyState }[] = [];
  private readonly problems: string[] = [];

  constructor(readonly path: string) {}

  /** Reads what was appended since the last call (the whole file the first time, or after it shrank). */
  read(): StudyFileSnapshot {
    const fd = openSync(this.path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) this.reset();
      let carry = Buffer.alloc(0);
      while (this.offset + carry.length < size) {
        const chunk = Buffer.alloc(Math.min(CHUNK, size - this.offset - carry.length));
        const got = readSync(fd, chunk, 0, chunk.length, this.offset + carry.length);
        if (got <= 0) break;
        let data = carry.length ? Buffer.concat([carry, chunk.subarray(0, got)]) : chunk.subarray(0, got);
        let start = 0;
        for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
          this.apply(data.subarray(start, nl));
          start = nl + 1;
        }
        this.offset += start;
        data = data.subarray(start);
        if (data.length > MAX_JOURNAL_LINE) throw new Error(`line ${this.lineNumber + 1} of the journal is longer than ${MAX_JOURNAL_LINE / 1024 / 1024} MB: not an Optuna journal, or damaged`);
        carry = Buffer.from(data);
      }
    } finally {
      closeSync(fd);
    }
    return this.snapshot();
  }

  private reset(): void {
    this.offset = 0;
    this.lineNumber = 0;
    this.studies.length = 0;
    this.trials.length = 0;
    this.problems.length = 0;
  }

  private problem(text: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(text);
  }

  private apply(line: Buffer): void {
    this.lineNumber++;
    if (line.length === 0 || (line.length === 1 && line[0] === 13)) return;
    let op: unknown;
    try {
      op = JSON.parse(line.toString('utf8'));
    } catch {
      this.problem(`line ${this.lineNumber} is not JSON (skipped)`);
      return;
    }
    if (!op || typeof op !== 'object' || Array.isArray(op) || typeof (op as Op).op_code !== 'number') {
      this.problem(`line ${this.lineNumber} is not an Optuna journal operation (skipped)`);
      return;
    }
    this.applyOp(op as Op);
  }

  private study(op: Op): StudyState | undefined {
    const id = op.study_id;
    const study = typeof id === 'number' ? this.studies[id] : undefined;
    return study && !study.deleted ? study : undefined;
  }

  private trial(op: Op): { draft: TrialDraft; study: StudyState } | undefined {
    const id = op.trial_id;
    const entry = typeof id === 'number' ? this.trials[id] : undefined;
    return entry && !entry.study.deleted ? entry : undefined;
  }

  private applyOp(op: Op): void {
    const attr = (value: unknown): [string, unknown] | undefined => {
      if (!value || typeof value !== 'object') return undefined;
      const [entry] = Object.entries(value as Record<string, unknown>);
      return entry;
    };
    switch (op.op_code) {
      case OP.createStudy: {
        const name = typeof op.study_name === 'string' ? op.study_name : `study ${this.studies.length}`;
        // Optuna refuses a second study of a live name (that worker raises); the id is not taken.
        if (this.studies.some((s) => !s.deleted && s.name === name)) return;
        this.studies.push({ name, directions: Array.isArray(op.directions) ? op.directions.map(direction) : ['minimize'], userAttrs: {}, systemAttrs: {}, distributions: {}, trials: [], deleted: false });
        return;
      }
      case OP.deleteStudy: {
        const study = this.study(op);
        if (study) study.deleted = true;
        return;
      }
      case OP.studyUserAttr:
      case OP.studySystemAttr: {
        const study = this.study(op);
        const entry = attr(op.op_code === OP.studyUserAttr ? op.user_attr : op.system_attr);
        if (study && entry) setOwn(op.op_code === OP.studyUserAttr ? study.userAttrs : study.systemAttrs, entry[0], entry[1]);
        return;
      }
      case OP.createTrial: {
        const study = this.study(op);
        if (!study) return;
        const draft: TrialDraft = { number: study.trials.length, studyId: '', state: trialState(op.state ?? 0) ?? 'running', values: [], params: {}, intermediate: [], userAttrs: {} };
        const distributions: Record<string, Distribution> = {};
        if (op.distributions && typeof op.distributions === 'object') {
          for (const [k, v] of Object.entries(op.distributions as Record<string, unknown>)) {
            const d = typeof v === 'string' ? parseDistribution(v) : undefined;
            if (d) setOwn(distributions, k, d);
          }
        }
        if (op.params && typeof op.params === 'object') {
          for (const [k, v] of Object.entries(op.params as Record<string, unknown>)) {
            if (typeof v !== 'number') continue;
            setOwn(draft.params, k, externalValue(v, distributions[k]));
            if (distributions[k]) setOwn(study.distributions, k, distributions[k]);
          }
        }
        const values = Array.isArray(op.values) ? op.values : typeof op.value === 'number' ? [op.value] : [];
        draft.values = values.map((v: unknown) => (typeof v === 'number' ? v : NaN));
        if (op.user_attrs && typeof op.user_attrs === 'object') for (const [k, v] of Object.entries(op.user_attrs)) setOwn(draft.userAttrs, k, v);
        if (op.intermediate_values && typeof op.intermediate_values === 'object') {
          for (const [k, v] of Object.entries(op.intermediate_values as Record<string, unknown>)) if (typeof v === 'number') draft.intermediate.push([Number(k), v]);
        }
        setTimes(draft, op);
        study.trials.push(draft);
        this.trials.push({ draft, study });
        return;
      }
      case OP.setParam: {
        const entry = this.trial(op);
        if (!entry || typeof op.param_name !== 'string' || typeof op.param_value_internal !== 'number') return;
        const d = typeof op.distribution === 'string' ? parseDistribution(op.distribution) : undefined;
        if (d) setOwn(entry.study.distributions, op.param_name, d);
        setOwn(entry.draft.params, op.param_name, externalValue(op.param_value_internal, d));
        return;
      }
      case OP.setStateValues: {
        const entry = this.trial(op);
        if (!entry) return;
        const state = trialState(op.state);
        if (state) entry.draft.state = state;
        if (Array.isArray(op.values)) entry.draft.values = op.values.map((v: unknown) => (typeof v === 'number' ? v : NaN));
        setTimes(entry.draft, op);
        return;
      }
      case OP.intermediate: {
        const entry = this.trial(op);
        if (entry && typeof op.step === 'number') entry.draft.intermediate.push([op.step, typeof op.intermediate_value === 'number' ? op.intermediate_value : NaN]);
        return;
      }
      case OP.trialUserAttr: {
        const entry = this.trial(op);
        const a = attr(op.user_attr);
        if (entry && a) setOwn(entry.draft.userAttrs, a[0], a[1]);
        return;
      }
      case OP.trialSystemAttr:
        return;
      default:
        this.problem(`line ${this.lineNumber}: unknown operation ${String(op.op_code)} (skipped)`);
    }
  }

  private snapshot(): StudyFileSnapshot {
    const studies = this.studies
      .filter((s) => !s.deleted)
      .map((s) => ({
        key: `${this.path}#${s.name}`,
        name: s.name,
        directions: s.directions,
        distributions: { ...s.distributions },
        // Each snapshot is a copy: the replay keeps changing its drafts as lines arrive.
        trials: s.trials.map((t) => finishTrial({ ...t, values: [...t.values], params: { ...t.params }, intermediate: [...t.intermediate], userAttrs: { ...t.userAttrs } })),
        userAttrs: { ...s.userAttrs },
        ...samplerOf(s.systemAttrs, s.userAttrs),
      }));
    return { kind: 'optuna-journal', path: this.path, studies, problems: [...this.problems] };
  }
}

function setTimes(draft: TrialDraft, op: Op): void {
  const parse = (v: unknown): number | undefined => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Date.parse(v.replace(/(\.\d{3})\d+$/, '$1')) : undefined);
  const start = parse(op.datetime_start);
  const complete = parse(op.datetime_complete);
  if (start !== undefined) draft.start = start;
  if (complete !== undefined) draft.complete = complete;
}

/** Whether a file's first line is an Optuna journal's first operation (create a study). */
export function looksLikeJournal(firstLine: string): boolean {
  return /^\{"op_code": ?0,/.test(firstLine) && firstLine.includes('"study_name"');
}
