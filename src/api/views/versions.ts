/* Version documents (GET / and GET /v3/): the same list shape for both, as Cinder sends. */
import { MAX_VERSION, MIN_VERSION, VERSION_UPDATED } from '../microversions';

export function versions(baseUrl: string): Record<string, unknown> {
  return {
    versions: [
      {
        id: 'v3.0',
        status: 'CURRENT',
        version: MAX_VERSION.toString(),
        min_version: MIN_VERSION.toString(),
        updated: VERSION_UPDATED,
        links: [
          { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
          { rel: 'self', href: `${baseUrl}/v3/` },
        ],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
      },
    ],
  };
}
