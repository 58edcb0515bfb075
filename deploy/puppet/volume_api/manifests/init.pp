# @summary Deploys volume-api (Cinder v3 compatible Block Storage API) in one of its four shapes.
#
# Design (issue 10). The module is thin on purpose: every step that the project already knows how to do
# is done by the project's own tools, so Puppet and `volume-api-deploy host-setup` cannot drift apart,
# and a Chef cookbook could follow the same list:
#
#   install    packages (Node, the web server), the service user, a copy of `source` in install_dir,
#              `npm ci` when package-lock.json changed, `npm run build` when src/ changed;
#   config     /etc/volume-api/volume-api.json (the app's config file, VOLUME_API_CONFIG) and
#              volume-api.env (the environment every process and tool of the app gets: the ecosystem
#              reads VOLUME_API_PORT & co. from it, and environment wins over the file in src/config.ts);
#   service    standalone: the systemd unit written by `volume-api-deploy host-setup --mode standalone`
#              (plus a drop-in that loads volume-api.env); pm2|apache|nginx: `pm2 start` of
#              ecosystem.config.js as the service user, reloads through `npm run upgrade` (health-gated),
#              `pm2 save`, `pm2 startup systemd`;
#   logrotate  pm2|apache|nginx: `npm run logrotate:setup` (the ecosystem's rotation policy);
#   webserver  apache|nginx: the server running, then `volume-api-deploy install apache|nginx` (validate,
#              back up, write, enable, config test, graceful reload). No vhost template lives in Puppet.
#
# The project's tools run as their own command lines, from install_dir with volume-api.env loaded:
# deploy/bin/volume-api-deploy.js (`volume-api-deploy`), and the scripts behind `npm run logrotate:setup`
# and `npm run upgrade` (deploy/scripts/logrotate.ts, upgrade.ts) through `node --import tsx`, which is
# what those npm scripts run, without npm in between.
#
# Idempotency comes from checks on state, not from refresh events alone: each exec has an `unless` that
# asks the project's tool or compares files, so a run interrupted half-way (a failed `npm ci`) is
# resumed by the next run instead of being forgotten.
#
# `service_provider => 'base'` runs the same processes without systemd (containers, the test suite):
# start-stop-daemon for standalone, PM2's own daemon for the PM2 modes, `apache2ctl`/`nginx` for the
# web servers. Production hosts keep the default, 'systemd'.
#
# @example Standalone, from a checkout on the host
#   class { 'volume_api':
#     source => '/usr/src/volume-api',
#   }
#
# @param source
#   Where the application comes from: an absolute directory on the node (a checkout or an unpacked
#   release; anything Puppet's `file { source => }` accepts works, e.g. puppet:///modules/site/volume-api).
#   Copied recursively into install_dir, without source_ignore.
# @param mode
#   standalone (one process: API and worker, `npm start` shape), pm2 (the ecosystem: API cluster and
#   worker), apache or nginx (pm2 behind that web server).
# @param install_dir
#   Where the application is copied, installed and built.
# @param source_ignore
#   Names (globs, at any depth) not copied from source: build outputs, local data, VCS metadata.
# @param node_modules_source
#   A node_modules tree built for exactly this package-lock.json (a build host's, a checkout's) to copy
#   instead of running `npm ci`: hosts without compilers or registry access. Copied when its
#   .package-lock.json differs from the installed one.
# @param npm_ci_options
#   Extra options of `npm ci` (e.g. --prefer-offline to use the npm cache first).
# @param user
#   Service user the processes run as.
# @param group
#   Its primary group; can read the config file.
# @param manage_user
#   Create the user and group (system accounts, no login shell).
# @param home
#   The user's home; PM2_HOME is home/.pm2.
# @param config_dir
#   Where volume-api.json and volume-api.env are written (root-owned, readable by group).
# @param data_dir
#   The app's data_dir: SQLite database and the file backend's volumes. Owned by user.
# @param log_dir
#   pm2 modes: the apps' log files (VOLUME_API_LOG_DIR); standalone with service_provider 'base': the
#   process output. Standalone under systemd logs to the journal.
# @param listen_host
#   Address the API binds. Default: 127.0.0.1 behind apache/nginx (only the web server reaches it),
#   0.0.0.0 otherwise.
# @param port
#   TCP port of the API (the web server's upstream in apache/nginx modes).
# @param instances
#   pm2 modes: API processes in the cluster. Default: the ecosystem's (one per CPU core).
# @param database_url
#   The store: empty for SQLite under data_dir, or postgres://USER:PASSWORD@HOST:PORT/DB.
# @param public_endpoint
#   Base URL clients see (links in responses), e.g. https://volume.example.com. Empty: from the request.
# @param trusted_proxies
#   Addresses whose X-Forwarded-* headers are believed.
# @param log_level
#   Bunyan level of the app's log.
# @param server_name
#   apache/nginx: host name of the vhost.
# @param vhost_listen
#   apache/nginx: ADDR:PORT the vhost listens on. Default: the generator's (*:80, *:443 with TLS).
# @param tls_cert
#   apache/nginx: certificate file (with tls_key): an HTTPS vhost plus an HTTP redirect.
# @param tls_key
#   apache/nginx: private key file of tls_cert.
# @param webserver_root
#   apache/nginx: `volume-api-deploy install --root`. '/' (a live host) installs, enables, tests and
#   reloads; any other directory only writes the vhost files under it (packaging, tests), and the web
#   server service is then not managed.
# @param vhost_options
#   apache/nginx: more `volume-api-deploy` vhost options, e.g. ['--max-body', '1048576'].
# @param log_max_size
#   pm2 modes: rotate a log file when it is larger (logrotate size: 50M, 500K, 1G).
# @param log_retain
#   pm2 modes: rotated files kept.
# @param logrotate_file
#   pm2 modes: the logrotate configuration written by `npm run logrotate:setup`.
# @param auth_strategy
#   noauth (token `user:project`) or keystone.
# @param keystone_url
#   keystone: base URL of the identity service.
# @param keystone_username
#   keystone: service user that validates callers' tokens.
# @param keystone_password
#   keystone: its password (the config file is mode 0640).
# @param keystone_project_name
#   keystone: the service user's project.
# @param keystone_ca_file
#   keystone: CA bundle for an https Keystone.
# @param config_overrides
#   Any other keys of the app's config file (etc/volume-api.example.json), merged over the ones above.
# @param manage_packages
#   Install Node (node_packages) and the web server package of the mode.
# @param node_packages
#   Packages that provide node >= 20.19 and npm.
# @param service_provider
#   systemd (production) or base (no systemd: containers, tests).
# @param layout
#   debian or rhel: where the vhost goes (volume-api-deploy --layout).
# @param ecosystem_env
#   The ecosystem environment (pm2 start --env).
# @param path
#   PATH of every command this module runs; must find node and npm.
class volume_api (
  String[1] $source,
  Enum['standalone', 'pm2', 'apache', 'nginx'] $mode = 'standalone',
  Pattern[/^\/./] $install_dir = '/srv/volume-api/app',
  Array[String[1]] $source_ignore = ['.git', 'node_modules', 'dist', 'data', 'logs', 'coverage', '.nyc_output', 'bench', 'test'],
  Optional[Pattern[/^\/./]] $node_modules_source = undef,
  Array[String[1]] $npm_ci_options = [],
  String[1] $user = 'volume-api',
  String[1] $group = 'volume-api',
  Boolean $manage_user = true,
  Pattern[/^\/./] $home = '/srv/volume-api',
  Pattern[/^\/./] $config_dir = '/etc/volume-api',
  Pattern[/^\/./] $data_dir = '/srv/volume-api/data',
  Pattern[/^\/./] $log_dir = '/var/log/volume-api',
  Optional[String[1]] $listen_host = undef,
  Integer[1, 65535] $port = 8776,
  Optional[Integer[1, 1024]] $instances = undef,
  String $database_url = '',
  Variant[Enum[''], Pattern[/^https?:\/\/./]] $public_endpoint = '',
  Array[String[1]] $trusted_proxies = ['127.0.0.1', '::1'],
  Enum['trace', 'debug', 'info', 'warn', 'error', 'fatal'] $log_level = 'info',
  String[1] $server_name = 'localhost',
  Optional[Pattern[/^.+:\d+$/]] $vhost_listen = undef,
  Optional[Pattern[/^\/./]] $tls_cert = undef,
  Optional[Pattern[/^\/./]] $tls_key = undef,
  Pattern[/^\//] $webserver_root = '/',
  Array[String[1]] $vhost_options = [],
  Pattern[/^\d+[KMG]?$/] $log_max_size = '50M',
  Integer[1] $log_retain = 14,
  Pattern[/^\/./] $logrotate_file = '/etc/logrotate.d/volume-api',
  Enum['noauth', 'keystone'] $auth_strategy = 'noauth',
  Optional[Pattern[/^https?:\/\/./]] $keystone_url = undef,
  Optional[String[1]] $keystone_username = undef,
  Optional[String[1]] $keystone_password = undef,
  String[1] $keystone_project_name = 'service',
  Optional[Pattern[/^\/./]] $keystone_ca_file = undef,
  Hash[String[1], Data] $config_overrides = {},
  Boolean $manage_packages = true,
  Array[String[1]] $node_packages = $volume_api::params::node_packages,
  Enum['systemd', 'base'] $service_provider = 'systemd',
  Enum['debian', 'rhel'] $layout = $volume_api::params::layout,
  String[1] $ecosystem_env = 'production',
  Array[Pattern[/^\/./]] $path = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'],
) inherits volume_api::params {
  if ($tls_cert == undef) != ($tls_key == undef) {
    fail('volume_api: tls_cert and tls_key go together (both or neither)')
  }
  if $auth_strategy == 'keystone' and ($keystone_url == undef or $keystone_username == undef or $keystone_password == undef) {
    fail('volume_api: auth_strategy keystone needs keystone_url, keystone_username and keystone_password')
  }

  # Values every subclass shares, computed once.
  $webserver = $mode ? {
    /^(apache|nginx)$/ => $mode,
    default            => undef,
  }
  $host = $listen_host ? {
    undef   => $webserver ? { undef => '0.0.0.0', default => '127.0.0.1' },
    default => $listen_host,
  }
  $config_file = "${config_dir}/volume-api.json"
  $env_file = "${config_dir}/volume-api.env"
  $staging_dir = "${config_dir}/staging"
  $pm2_home = "${home}/.pm2"
  $pm2 = "${install_dir}/node_modules/.bin/pm2"
  $ecosystem = "${install_dir}/ecosystem.config.js"
  # The project's command lines; each runs after $with_env (tsx is resolved from install_dir).
  $deploy = "node '${install_dir}/deploy/bin/volume-api-deploy.js'"
  $logrotate_setup = "node --import tsx '${install_dir}/deploy/scripts/logrotate.ts'"
  $upgrade = "node --import tsx '${install_dir}/deploy/scripts/upgrade.ts'"
  # Prefix of every command that must see the app's environment (the ecosystem is evaluated with it).
  $with_env = "set -a && . '${env_file}' && set +a && cd '${install_dir}' &&"
  $as_user = "runuser -u '${user}' --"

  contain volume_api::install
  contain volume_api::config
  contain volume_api::service

  Class['volume_api::install'] -> Class['volume_api::config'] -> Class['volume_api::service']

  if $mode != 'standalone' {
    contain volume_api::logrotate
    Class['volume_api::config'] -> Class['volume_api::logrotate']
  }
  if $webserver {
    contain volume_api::webserver
    Class['volume_api::service'] -> Class['volume_api::webserver']
  }
}
