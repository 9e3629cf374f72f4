import { db } from './db';

export interface User {
  id: number;
  name: string;
  email: string;
}

const MAX_PAGE = 100;

export async function findUser(id: number): Promise<User | undefined> {
  const rows = await db.query<User>('SELECT id, name, email FROM users WHERE id = $1', [id]);
  return rows[0];
}

export async function listUsers(limit = 50): Promise<User[]> {
  const pageSize = Math.min(limit, MAX_PAGE);
  return db.query<User>('SELECT id, name, email FROM users ORDER BY id LIMIT $1', [pageSize]);
}
