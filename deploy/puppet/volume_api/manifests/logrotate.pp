# @summary Log rotation of the PM2 apps' files: the project's `npm run logrotate:setup`, with the module's policy.
#
# The policy (log_max_size, log_retain) reaches the project's script through volume-api.env
# (VOLUME_API_LOG_MAX_SIZE, VOLUME_API_LOG_RETAIN, read by ecosystem.config.js). The script renders
# to the staging directory first; the live file is replaced only when that differs, so an unchanged
# policy is no change for Puppet. The script itself checks its output with `logrotate -d`.
#
# @api private
class volume_api::logrotate {
  $file = $volume_api::logrotate_file
  $staged = "${volume_api::staging_dir}/logrotate"
  $setup = join([
    "${volume_api::with_env} ${volume_api::logrotate_setup} --ecosystem '${volume_api::ecosystem}'",
    "--pm2-home '${volume_api::pm2_home}' --output",
  ], ' ')

  if $volume_api::manage_packages {
    package { 'logrotate':
      ensure => installed,
      before => Exec['volume-api logrotate'],
    }
  }

  exec { 'volume-api logrotate':
    command   => "${setup} '${file}'",
    unless    => "${setup} '${staged}' > /dev/null && cmp -s '${staged}' '${file}'",
    path      => $volume_api::path,
    provider  => 'shell',
    logoutput => 'on_failure',
  }
}
