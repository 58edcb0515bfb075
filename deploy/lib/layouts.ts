/*
 * Where web-server configuration lives on each supported host family, in one place. Paths are relative
 * to a root (`/` on a real host, a temporary tree for packaging and tests: `install --root DIR`).
 */
import fs from 'node:fs';
import path from 'node:path';

export type LayoutName = 'debian' | 'rhel';

export interface Layout {
  name: LayoutName;
  apache: {
    /** Where the vhost file goes. */
    sitesDir: string;
    /** Debian: sites-enabled (a2ensite links it). RHEL: none (conf.d is read directly). */
    enabledDir?: string;
    /** Main configuration file (validate includes the vhost next to it). */
    mainConfig: string;
    /** `apache2ctl` (Debian) or `httpd` (RHEL): the binary for -t and graceful reload. */
    ctl: string;
    service: string;
    logDir: string;
    /** Debian: modules enabled with a2enmod. RHEL loads proxy modules by default (conf.modules.d). */
    enableModules: boolean;
  };
  nginx: {
    sitesDir: string;
    enabledDir?: string;
    mainConfig: string;
    service: string;
    logDir: string;
  };
}

export const LAYOUTS: Record<LayoutName, Layout> = {
  debian: {
    name: 'debian',
    apache: {
      sitesDir: 'etc/apache2/sites-available',
      enabledDir: 'etc/apache2/sites-enabled',
      mainConfig: 'etc/apache2/apache2.conf',
      ctl: 'apache2ctl',
      service: 'apache2',
      logDir: '/var/log/apache2',
      enableModules: true,
    },
    nginx: {
      sitesDir: 'etc/nginx/sites-available',
      enabledDir: 'etc/nginx/sites-enabled',
      mainConfig: 'etc/nginx/nginx.conf',
      service: 'nginx',
      logDir: '/var/log/nginx',
    },
  },
  rhel: {
    name: 'rhel',
    apache: {
      sitesDir: 'etc/httpd/conf.d',
      mainConfig: 'etc/httpd/conf/httpd.conf',
      ctl: 'httpd',
      service: 'httpd',
      logDir: '/var/log/httpd',
      enableModules: false,
    },
    nginx: {
      sitesDir: 'etc/nginx/conf.d',
      mainConfig: 'etc/nginx/nginx.conf',
      service: 'nginx',
      logDir: '/var/log/nginx',
    },
  },
};

/** The host's family: Debian/Ubuntu if /etc/debian_version exists, RHEL-like if /etc/redhat-release does. */
export function detectLayout(root = '/'): LayoutName {
  if (fs.existsSync(path.join(root, 'etc', 'debian_version'))) return 'debian';
  if (fs.existsSync(path.join(root, 'etc', 'redhat-release'))) return 'rhel';
  throw new Error('cannot detect the host layout (no /etc/debian_version or /etc/redhat-release): pass --layout debian|rhel');
}
