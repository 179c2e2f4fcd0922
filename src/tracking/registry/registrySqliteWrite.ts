import { execFile } from 'node:child_process';
import { checkedPromotion, RegistryWriteError, type Promotion } from './registryPromote';

// Promote… in an mlflow.db, written as MLflow's SqlAlchemyStore writes it, in one transaction
// (BEGIN IMMEDIATE: a running MLflow server waits for it, or it waits for the server, up to the
// busy timeout): set_registered_model_alias checks the version exists and is not
// Deleted_Internal, then merges the (name, alias) row — no timestamp changes;
// transition_model_version_stage archives the other versions in that stage when asked, sets the
// version's current_stage and last_updated_time and the model's last_updated_time. Node 20 has no
// SQLite writer and our reader is read-only, so Python's own sqlite3 module (in every Python
// MLflow runs on) does the write; the statements are fixed, the values bound as parameters.

const SCRIPT = `
import json, sqlite3, sys
spec = json.load(sys.stdin)
name, version, now = spec['name'], spec['version'], spec['now']
db = sqlite3.connect(spec['path'], timeout=10, isolation_level=None)
try:
    db.execute('BEGIN IMMEDIATE')
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if 'model_versions' not in tables:
        raise LookupError('this database has no model registry tables')
    if db.execute('SELECT 1 FROM registered_models WHERE name = ?', (name,)).fetchone() is None:
        raise LookupError('Registered Model with name=%s not found' % name)
    row = db.execute('SELECT current_stage FROM model_versions WHERE name = ? AND version = ?', (name, version)).fetchone()
    if row is None or row[0] == 'Deleted_Internal':
        raise LookupError('Model Version (name=%s, version=%s) not found' % (name, version))
    if spec['kind'] == 'alias':
        if 'registered_model_aliases' not in tables:
            raise LookupError('this mlflow.db is from before aliases (MLflow < 2.3): move a stage instead')
        alias = spec['alias']
        if db.execute('UPDATE registered_model_aliases SET version = ? WHERE name = ? AND alias = ?', (version, name, alias)).rowcount == 0:
            db.execute('INSERT INTO registered_model_aliases (alias, version, name) VALUES (?, ?, ?)', (alias, version, name))
    else:
        stage = spec['stage']
        if spec['archiveExisting']:
            db.execute("UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ? WHERE name = ? AND version != ? AND current_stage = ?", (now, name, version, stage))
        db.execute('UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE name = ? AND version = ?', (stage, now, name, version))
        db.execute('UPDATE registered_models SET last_updated_time = ? WHERE name = ?', (now, name))
    db.execute('COMMIT')
except Exception as e:
    if db.in_transaction:
        db.execute('ROLLBACK')
    sys.stderr.write('%s\\n' % e)
    sys.exit(3)
finally:
    db.close()
`;

/** Applies a promotion to the registry tables of an mlflow.db with `python` (the user's interpreter). */
export function promoteInSqlite(python: string, path: string, name: string, version: number, promotion: Promotion, now = Date.now()): Promise<void> {
  const p = checkedPromotion(promotion);
  return new Promise((resolve, reject) => {
    const child = execFile(python, ['-c', SCRIPT], { timeout: 30_000, windowsHide: true }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const message = stderr.trim().split('\n').pop() || error.message;
      reject(new RegistryWriteError(`${path}: ${message}`));
    });
    child.stdin?.end(JSON.stringify({ path, name, version, now, ...p }));
  });
}
