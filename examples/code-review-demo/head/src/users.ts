import { db } from './db';

export interface User {
  id: number;
  name: string;
  email: string;
}

export async function findUser(id: number): Promise<User | undefined> {
  const rows = await db.query<User>('SELECT id, name, email FROM users WHERE id = $1', [id]);
  return rows[0];
}

export async function listUsers(limit = 50): Promise<User[]> {
  return db.query<User>('SELECT id, name, email FROM users ORDER BY id LIMIT $1', [limit]);
}

export async function searchUsers(term: string): Promise<User[]> {
  return db.query<User>(`SELECT id, name, email FROM users WHERE name LIKE '%${term}%'`);
}

export async function deleteUser(id: number): Promise<void> {
  db.query('DELETE FROM users WHERE id = $1', [id]);
}
