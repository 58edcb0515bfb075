# @summary Keeps the application running: the standalone process, or the PM2 ecosystem as the service user.
#
# standalone + systemd: the unit is the one `volume-api-deploy host-setup --mode standalone` writes
# (rendered under the staging root, installed when it differs), plus a drop-in that loads volume-api.env
# (EnvironmentFile= wins over the unit's Environment=). A new build, config or unit restarts it.
#
# standalone + base (no systemd): start-stop-daemon runs the same command line as the service user,
# output appended to log_dir/volume-api.out (not rotated: this is for containers and tests).
#
# pm2, apache, nginx: `pm2 start ecosystem.config.js` as the service user when its apps are not all
# online (files/pm2-online.js reads the names from the ecosystem); a new build or config goes through
# `npm run upgrade`'s script (config check, canary on a spare port, `pm2 reload`, watch): a build that
# cannot start is refused and the running processes are left alone. `pm2 save` after either; with
# systemd, `pm2 startup systemd` (pm2-USER.service resurrects the saved list at boot).
#
# @api private
class volume_api::service {
  $with_env = $volume_api::with_env
  $as_user = $volume_api::as_user
  $systemd = $volume_api::service_provider == 'systemd'
  $restart_on = [
    File[$volume_api::config_file],
    File[$volume_api::env_file],
    Exec['volume-api npm packages'],
    Exec['volume-api build'],
  ]

  Exec {
    path      => $volume_api::path,
    provider  => 'shell',
    timeout   => 600,
    logoutput => 'on_failure',
  }

  if $volume_api::mode == 'standalone' {
    if $systemd {
      $unit = '/etc/systemd/system/volume-api.service'
      $staged = "${volume_api::staging_dir}/etc/systemd/system/volume-api.service"
      $host_setup = join([
        "${with_env} ${volume_api::deploy} host-setup --mode standalone --root '${volume_api::staging_dir}'",
        "--layout ${volume_api::layout} --env ${volume_api::ecosystem_env} --app-dir '${volume_api::install_dir}'",
        "--user '${volume_api::user}' --home '${volume_api::home}' > /dev/null",
      ], ' ')
      exec { 'volume-api systemd unit':
        command => "install -m 0644 '${staged}' '${unit}'",
        unless  => "${host_setup} && cmp -s '${staged}' '${unit}'",
      }
      file { "${unit}.d":
        ensure => directory,
        owner  => 'root',
        group  => 'root',
        mode   => '0755',
      }
      file { "${unit}.d/puppet.conf":
        ensure  => file,
        owner   => 'root',
        group   => 'root',
        mode    => '0644',
        content => "# Managed by Puppet (class volume_api).\n[Service]\nEnvironmentFile=${volume_api::env_file}\n",
      }
      exec { 'volume-api systemd daemon-reload':
        command     => 'systemctl daemon-reload',
        refreshonly => true,
        subscribe   => [Exec['volume-api systemd unit'], File["${unit}.d/puppet.conf"]],
      }
      service { 'volume-api':
        ensure    => running,
        enable    => true,
        provider  => 'systemd',
        subscribe => $restart_on + [Exec['volume-api systemd daemon-reload']],
      }
    } else {
      $pidfile = "/run/volume-api-${volume_api::user}.pid"
      $start = join([
        "${with_env} start-stop-daemon --start --quiet --background --make-pidfile --pidfile '${pidfile}'",
        "--chuid '${volume_api::user}:${volume_api::group}' --chdir '${volume_api::install_dir}'",
        "--output '${volume_api::log_dir}/volume-api.out' --exec \"\$(command -v node)\" --",
        '--enable-source-maps --disable-warning=DEP0111 dist/standalone.js',
      ], ' ')
      service { 'volume-api':
        ensure    => running,
        provider  => 'base',
        start     => $start,
        stop      => "start-stop-daemon --stop --quiet --oknodo --pidfile '${pidfile}' --retry TERM/20/KILL/5 --remove-pidfile",
        status    => "start-stop-daemon --status --pidfile '${pidfile}'",
        subscribe => $restart_on,
      }
    }
  } else {
    $pm2 = "'${volume_api::pm2}'"
    $env_name = $volume_api::ecosystem_env
    $online_check = "${volume_api::staging_dir}/pm2-online.js"
    $pid = "${volume_api::pm2_home}/pm2.pid"

    file { $online_check:
      ensure => file,
      owner  => 'root',
      group  => 'root',
      mode   => '0644',
      source => 'puppet:///modules/volume_api/pm2-online.js',
    }
    # Ask PM2 only when its daemon runs: `pm2 jlist` would start one.
    exec { 'volume-api pm2 start':
      command => "${with_env} ${as_user} ${pm2} start '${volume_api::ecosystem}' --env ${env_name}",
      unless  => join([
        "test -f '${pid}' && kill -0 \"\$(cat '${pid}')\" &&",
        "${with_env} ${as_user} ${pm2} jlist | node '${online_check}'",
      ], ' '),
      require => File[$online_check],
    }
    exec { 'volume-api pm2 reload':
      command     => join([
        "${with_env} ${as_user} ${volume_api::upgrade}",
        "--ecosystem '${volume_api::ecosystem}' --env ${env_name}",
      ], ' '),
      refreshonly => true,
      subscribe   => $restart_on,
      require     => Exec['volume-api pm2 start'],
    }
    # State, not events: a save skipped by an earlier failure is made up by the next run. The dump holds
    # the apps' environment, which changes only with volume-api.env.
    $dump = "${volume_api::pm2_home}/dump.pm2"
    exec { 'volume-api pm2 save':
      command => "${with_env} ${as_user} ${pm2} save",
      unless  => "test -f '${dump}' && test '${dump}' -nt '${volume_api::env_file}'",
      require => [Exec['volume-api pm2 start'], Exec['volume-api pm2 reload']],
    }
    if $systemd {
      exec { 'volume-api pm2 startup':
        command => "${pm2} startup systemd -u '${volume_api::user}' --hp '${volume_api::home}'",
        creates => "/etc/systemd/system/pm2-${volume_api::user}.service",
        require => Exec['volume-api pm2 save'],
      }
    }
  }
}
