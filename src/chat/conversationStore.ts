import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ConversationTotals } from '../agent/agentSession';
import type { ChatMessage } from '../agent/chatMessage';
import { repairConversation } from '../agent/conversationRepair';
import { writeFileAtomic } from '../common/atomicWrite';
import { titleOf, type TranscriptItem } from './transcript';

export interface ConversationRecord {
  readonly version: 1;
  readonly id: string;
  title: string;
  readonly createdAt: string;
  updatedAt: string;
  model: string;
  /** What the API sees. */
  messages: ChatMessage[];
  /** What the view shows. */
  items: TranscriptItem[];
  totals: ConversationTotals;
}

export interface ConversationSummary {
  readonly id: string;
  readonly title: string;
  readonly updatedAt: string;
}

/** Conversations hold code, data and file contents: readable by their owner only. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * Conversations of one workspace, one JSON file each in a folder the editor gives us
 * (workspace storage), plus an index. Every write goes to a temporary file that is renamed
 * over the old one, so a crash or a full disk never leaves a half-written conversation. Files
 * are 0600 in a 0700 folder; ones an earlier version left 0644 / 0755 are tightened on write.
 */
export class ConversationStore {
  private dirChecked = false;

  constructor(
    private readonly dir: string,
    /** Told what was repaired in a conversation stored in a shape the API refuses. */
    private readonly onRepair: (id: string, repairs: readonly string[]) => void = () => undefined,
  ) {}

  create(model: string): ConversationRecord {
    const now = new Date().toISOString();
    return {
      version: 1,
      id: randomUUID(),
      title: 'New chat',
      createdAt: now,
      updatedAt: now,
      model,
      messages: [],
      items: [],
      totals: { usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }, costUsd: 0, contextTokens: 0 },
    };
  }

  async list(): Promise<ConversationSummary[]> {
    const index = await this.readJson<ConversationSummary[]>('index.json');
    return Array.isArray(index) ? index.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)) : [];
  }

  /**
   * A stored conversation, repaired if an earlier version (or a crash) left it in a shape the
   * API refuses (an empty answer, a tool call without its result...): repairConversation().
   */
  async load(id: string): Promise<ConversationRecord | undefined> {
    if (!/^[\w-]+$/.test(id)) return undefined;
    const record = await this.readJson<ConversationRecord>(`${id}.json`);
    if (!(record?.version === 1 && record.id === id && Array.isArray(record.messages) && Array.isArray(record.items))) return undefined;
    const { messages, repairs } = repairConversation(record.messages);
    if (repairs.length > 0) {
      record.messages = messages;
      this.onRepair(id, repairs);
    }
    return record;
  }

  async save(record: ConversationRecord): Promise<void> {
    record.updatedAt = new Date().toISOString();
    if (record.title === 'New chat') record.title = titleOf(record.items);
    await this.writeAtomic(`${record.id}.json`, JSON.stringify(record));
    const index = (await this.list()).filter((c) => c.id !== record.id);
    index.unshift({ id: record.id, title: record.title, updatedAt: record.updatedAt });
    await this.writeAtomic('index.json', JSON.stringify(index));
  }

  async delete(id: string): Promise<void> {
    if (!/^[\w-]+$/.test(id)) return;
    await fs.rm(join(this.dir, `${id}.json`), { force: true });
    const index = (await this.list()).filter((c) => c.id !== id);
    await this.writeAtomic('index.json', JSON.stringify(index));
  }

  private async readJson<T>(name: string): Promise<T | undefined> {
    try {
      return JSON.parse(await fs.readFile(join(this.dir, name), 'utf8')) as T;
    } catch {
      return undefined; // missing or damaged: the rest of the history still loads
    }
  }

  private async writeAtomic(name: string, text: string): Promise<void> {
    if (!this.dirChecked) {
      // Once a session: the folder and the conversations saved before, by a version that left them readable.
      await fs.mkdir(this.dir, { recursive: true, mode: DIR_MODE });
      await fs.chmod(this.dir, DIR_MODE);
      for (const entry of await fs.readdir(this.dir, { withFileTypes: true })) {
        if (entry.isFile() && entry.name.endsWith('.json')) await fs.chmod(join(this.dir, entry.name), FILE_MODE).catch(() => undefined);
      }
      this.dirChecked = true;
    }
    await writeFileAtomic(join(this.dir, name), text, { mode: FILE_MODE });
  }
}

