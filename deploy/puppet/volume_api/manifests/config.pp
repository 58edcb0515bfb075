# @summary The app's JSON config file and the environment file every process and tool of the app loads.
#
# Two files because the app has two inputs (src/config.ts: defaults <- JSON file <- environment):
#   volume-api.json  every setting this class manages, plus config_overrides (top-level keys replace);
#   volume-api.env   VOLUME_API_CONFIG pointing at it, and the few keys ecosystem.config.js sets from the
#                    environment of `pm2 start` (port, data dir, log level ...): those would win over the
#                    file, so they carry the same values here. Also read by volume-api-deploy (the vhost's
#                    upstream port, the logrotate paths) and, as an EnvironmentFile, by systemd.
# Both are root's and readable by the service group (0640): they may hold the database and Keystone
# passwords. A change to either restarts (standalone) or reloads (PM2) the service.
#
# @api private
class volume_api::config {

  file { $volume_api::config_dir:
    ensure => directory,
    owner  => 'root',
    group  => $volume_api::group,
    mode   => '0750',
  }
  # Generated files are compared here before they replace the live ones.
  file { $volume_api::staging_dir:
    ensure => directory,
    owner  => 'root',
    group  => 'root',
    mode   => '0700',
  }

  $keystone = {
    'url'          => $volume_api::keystone_url,
    'username'     => $volume_api::keystone_username,
    'password'     => $volume_api::keystone_password,
    'project_name' => $volume_api::keystone_project_name,
    'ca_file'      => $volume_api::keystone_ca_file,
  }.filter |$key, $value| { $value != undef }

  $settings = {
    'host'            => $volume_api::host,
    'port'            => $volume_api::port,
    'data_dir'        => $volume_api::data_dir,
    'database_url'    => $volume_api::database_url,
    'log_level'       => $volume_api::log_level,
    'public_endpoint' => $volume_api::public_endpoint,
    'trusted_proxies' => $volume_api::trusted_proxies,
    'auth'            => { 'strategy' => $volume_api::auth_strategy, 'keystone' => $keystone },
  } + $volume_api::config_overrides

  file { $volume_api::config_file:
    ensure  => file,
    owner   => 'root',
    group   => $volume_api::group,
    mode    => '0640',
    content => template('volume_api/volume-api.json.erb'),
  }

  $environment = {
    'VOLUME_API_CONFIG'        => $volume_api::config_file,
    'VOLUME_API_HOST'          => $volume_api::host,
    'VOLUME_API_PORT'          => String($volume_api::port),
    'VOLUME_API_DATA_DIR'      => $volume_api::data_dir,
    'VOLUME_API_LOG_LEVEL'     => $volume_api::log_level,
    'VOLUME_API_LOG_DIR'       => $volume_api::log_dir,
    'VOLUME_API_LOG_MAX_SIZE'  => $volume_api::log_max_size,
    'VOLUME_API_LOG_RETAIN'    => String($volume_api::log_retain),
    'VOLUME_API_INSTANCES'     => $volume_api::instances ? { undef => undef, default => String($volume_api::instances) },
    'VOLUME_API_DATABASE_URL'  => $volume_api::database_url ? { '' => undef, default => $volume_api::database_url },
    'PM2_HOME'                 => $volume_api::pm2_home,
    'NODE_ENV'                 => 'production',
  }.filter |$key, $value| { $value != undef }

  # Single quotes are read the same way by sh and by systemd's EnvironmentFile=; a value holding one
  # could not be written safely.
  $environment.each |$key, $value| {
    if "'" in $value {
      fail("volume_api: ${key} must not contain a single quote")
    }
  }

  file { $volume_api::env_file:
    ensure  => file,
    owner   => 'root',
    group   => $volume_api::group,
    mode    => '0640',
    content => epp('volume_api/volume-api.env.epp', { 'environment' => $environment }),
  }
}
