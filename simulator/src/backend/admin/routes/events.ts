import type { AdminContext } from '../context.js';
import { idOf, intParam, queryOf } from '../ids.js';
import type { Router } from '../router.js';

/** `GET /api/v1/events?since=<id>&limit=<n>[&device_uuid=][&kind=]`, oldest first; `next_since` continues. */
export function eventRoutes(router: Router, { store }: AdminContext): void {
  router.add('GET', '/api/v1/events', ({ query }) => {
    const q = queryOf(query, ['since', 'limit', 'device_uuid', 'kind']);
    const since = intParam(q['since'], 'since', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const events = store.events.list({
      since,
      limit: intParam(q['limit'], 'limit', 1, 10_000) ?? 100,
      ...(q['device_uuid'] === undefined ? {} : { device_uuid: idOf(q['device_uuid'], 'device') }),
      ...(q['kind'] === undefined ? {} : { kind: q['kind'] }),
    });
    return { status: 200, body: { events, next_since: events.at(-1)?.id ?? since } };
  });
  router.add('GET', '/api/v1/organization', ({ query }) => {
    queryOf(query, []);
    return { status: 200, body: { organization: store.organization() } };
  });
}
