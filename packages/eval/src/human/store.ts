/**
 * SQLite storage of human judgments (better-sqlite3): one row per rater × task × criterion,
 * with the time it was made; re-judging replaces the earlier row.
 *
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import { ConfigError } from '@llm/core';
import type BetterSqlite3 from 'better-sqlite3';

/** One stored judgment. */
export interface Judgment {
  rater: string;
  taskId: string;
  /** `likert` or `pairwise`. */
  kind: 'likert' | 'pairwise';
  /** Likert criterion; `preference` for pairwise. */
  criterion: string;
  /** Likert rating 1–5 (null for pairwise). */
  rating: number | null;
  /** Pairwise: winning system name, or `tie` (null for Likert). */
  winner: string | null;
  /** Pairwise: the system shown on the left / right. */
  leftSystem: string | null;
  rightSystem: string | null;
  /** Likert: the rated system. */
  system: string | null;
  /** ISO time of the judgment. */
  createdAt: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS judgments (
  rater TEXT NOT NULL,
  task_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('likert', 'pairwise')),
  criterion TEXT NOT NULL,
  rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
  winner TEXT,
  left_system TEXT,
  right_system TEXT,
  system TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (rater, task_id, criterion)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

interface Row {
  rater: string; task_id: string; kind: 'likert' | 'pairwise'; criterion: string; rating: number | null;
  winner: string | null; left_system: string | null; right_system: string | null; system: string | null; created_at: string;
}

/** The judgment store. */
export class JudgmentStore {
  private readonly db: BetterSqlite3.Database;

  private constructor(db: BetterSqlite3.Database) {
    this.db = db;
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
    this.db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '1')`).run();
  }

  /** Open (or create) the database file. */
  static open(path: string): JudgmentStore {
    const require = createRequire(import.meta.url);
    let Database: typeof BetterSqlite3;
    try {
      Database = require('better-sqlite3') as typeof BetterSqlite3;
    } catch (err) {
      throw new ConfigError('better-sqlite3 is not available (its native build failed?)', {}, { cause: err });
    }
    return new JudgmentStore(new Database(path));
  }

  /** Save judgments of one task atomically (a transaction), replacing earlier ones by the same rater. */
  save(judgments: readonly Judgment[]): void {
    const stmt = this.db.prepare(`INSERT OR REPLACE INTO judgments (rater, task_id, kind, criterion, rating, winner, left_system, right_system, system, created_at)
      VALUES (@rater, @taskId, @kind, @criterion, @rating, @winner, @leftSystem, @rightSystem, @system, @createdAt)`);
    this.db.transaction((rows: readonly Judgment[]) => { for (const j of rows) stmt.run(j); })(judgments);
  }

  /** Task ids the rater has judged. */
  judgedTasks(rater: string): Set<string> {
    const rows = this.db.prepare('SELECT DISTINCT task_id FROM judgments WHERE rater = ?').all(rater) as Array<{ task_id: string }>;
    return new Set(rows.map((r) => r.task_id));
  }

  /** Every judgment, ordered by time. */
  all(): Judgment[] {
    const rows = this.db.prepare('SELECT * FROM judgments ORDER BY created_at, rater, task_id, criterion').all() as Row[];
    return rows.map((r) => ({
      rater: r.rater, taskId: r.task_id, kind: r.kind, criterion: r.criterion, rating: r.rating, winner: r.winner,
      leftSystem: r.left_system, rightSystem: r.right_system, system: r.system, createdAt: r.created_at,
    }));
  }

  close(): void {
    this.db.close();
  }
}
