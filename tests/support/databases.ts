// Fresh, isolated databases for tests: one new database per call on the shared test
// PostgreSQL server, dropped afterwards, so suites can run in parallel without sharing rows.
import { randomBytes } from "node:crypto";
import pg from "pg";

export interface TestPostgresDatabase {
  url: string;
  drop: () => Promise<void>;
}

export async function createPostgresDatabase(serverUrl: string): Promise<TestPostgresDatabase> {
  const name = `gatehouse_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
