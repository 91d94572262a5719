import type { PrnType } from '@vfleet/core';
import { readJsonObject } from './body.js';
import { found, idOf, queryOf } from './ids.js';
import type { Router } from './router.js';

/** The repository shape the generic routes drive; bodies are validated by the store itself. */
export interface CrudRepo {
  create?(input: unknown): unknown;
  get(uuid: string): unknown;
  /** Absent when the caller registers its own listing route. */
  list?(filter?: Record<string, string>): unknown[];
  update?(uuid: string, patch: unknown): unknown;
  delete?(uuid: string): void;
}

export interface CrudSpec {
  /** URL segment, e.g. `artifact-versions`. */
  path: string;
  singular: string;
  plural: string;
  type: PrnType;
  repo: CrudRepo;
  /** List filters: query name → the type of id it takes. */
  filters?: Record<string, PrnType>;
}

/** `GET/POST /api/v1/<path>` and `GET/PATCH/DELETE /api/v1/<path>/:id`, as far as the repo supports them. */
export function crud(router: Router, spec: CrudSpec): void {
  const { repo, type, singular, plural } = spec;
  const base = `/api/v1/${spec.path}`;
  const filters = spec.filters ?? {};
  if (repo.list !== undefined) {
    const list = repo.list.bind(repo);
    router.add('GET', base, ({ query }) => {
      const q = queryOf(query, Object.keys(filters));
      const filter = Object.fromEntries(Object.entries(q).map(([k, v]) => [k, idOf(v, filters[k] as PrnType)]));
      return { status: 200, body: { [plural]: list(filter) } };
    });
  }
  if (repo.create !== undefined) {
    const create = repo.create.bind(repo);
    router.add('POST', base, async ({ req, query }) => {
      queryOf(query, []);
      return { status: 201, body: { [singular]: create(await readJsonObject(req)) } };
    });
  }
  router.add('GET', `${base}/:id`, ({ params, query }) => {
    queryOf(query, []);
    const id = params['id'] ?? '';
    return { status: 200, body: { [singular]: found(repo.get(idOf(id, type)), singular, id) } };
  });
  if (repo.update !== undefined) {
    const update = repo.update.bind(repo);
    router.add('PATCH', `${base}/:id`, async ({ req, params, query }) => {
      queryOf(query, []);
      const uuid = idOf(params['id'] ?? '', type);
      return { status: 200, body: { [singular]: update(uuid, await readJsonObject(req)) } };
    });
  }
  if (repo.delete !== undefined) {
    const remove = repo.delete.bind(repo);
    router.add('DELETE', `${base}/:id`, ({ params, query }) => {
      queryOf(query, []);
      remove(idOf(params['id'] ?? '', type));
      return { status: 204 };
    });
  }
}
