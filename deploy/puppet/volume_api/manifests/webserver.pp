# @summary Apache or Nginx in front of the PM2 apps: the package, the server running, the vhost.
#
# The vhost is the project's: `volume-api-deploy install apache|nginx` generates it from the ecosystem
# (upstream port from volume-api.env) and the options below, validates it with the server's own
# configuration test, backs up the file it replaces, writes it, enables it (a2enmod/a2ensite-like on
# Debian, conf.d on RHEL), runs the full configuration test and reloads gracefully; a refused vhost
# leaves the running one alone. Its `--dry-run` says "already installed" when the file and the link are
# as they would be written: that is the `unless`, so a changed parameter (server_name, TLS files, port)
# installs and reloads, and an unchanged one does nothing.
#
# With webserver_root other than '/', the tool writes the files under that root only (no prepare, test
# or reload), like `install --root`: the server's service is then left alone (packaging, tests).
#
# The `file` resource only states ownership and mode (the content is the tool's), so other manifests can
# refer to File[<vhost path>]. The paths are the ones of deploy/lib/layouts.ts.
#
# @api private
class volume_api::webserver {
  $server = $volume_api::webserver
  $rhel = $volume_api::layout == 'rhel'
  $systemd = $volume_api::service_provider == 'systemd'

  if $server == 'apache' {
    $packages = $rhel ? {
      true    => ['httpd'] + ($volume_api::tls_cert ? { undef => [], default => ['mod_ssl'] }),
      default => ['apache2'],
    }
    $service_name = $rhel ? { true => 'httpd', default => 'apache2' }
    $vhost_file = $rhel ? {
      true    => '/etc/httpd/conf.d/volume-api.conf',
      default => '/etc/apache2/sites-available/volume-api.conf',
    }
    $pidfile = $rhel ? { true => '/run/httpd/httpd.pid', default => '/run/apache2/apache2.pid' }
    $ctl = $rhel ? { true => 'httpd -k', default => 'apache2ctl' }
    $base_commands = { 'start' => "${ctl} start", 'stop' => "${ctl} stop" }
  } else {
    $packages = ['nginx']
    $service_name = 'nginx'
    $vhost_file = $rhel ? {
      true    => '/etc/nginx/conf.d/volume-api.conf',
      default => '/etc/nginx/sites-available/volume-api',
    }
    $pidfile = '/run/nginx.pid'
    $base_commands = { 'start' => 'nginx', 'stop' => 'nginx -s quit' }
  }

  $live = $volume_api::webserver_root == '/'
  $root = $live ? { true => '', default => regsubst($volume_api::webserver_root, '/+$', '') }
  $vhost_path = "${root}${vhost_file}"

  # The package also serves the tool's validation (the server's own configuration test), even under
  # another root.
  if $volume_api::manage_packages {
    package { $packages:
      ensure => installed,
      before => Exec["volume-api vhost ${vhost_path}"],
    }
  }

  # Under another root the tool writes files only (no reload): nothing runs that would need the server.
  if !$live {
    $server_running = []
  } elsif $systemd {
    service { $service_name:
      ensure => running,
      enable => true,
    }
    $server_running = [Service[$service_name]]
  } else {
    service { $service_name:
      ensure   => running,
      provider => 'base',
      start    => $base_commands['start'],
      stop     => $base_commands['stop'],
      status   => "test -f ${pidfile} && kill -0 \"\$(cat ${pidfile})\"",
    }
    $server_running = [Service[$service_name]]
  }

  $listen = $volume_api::vhost_listen ? { undef => [], default => ['--listen', $volume_api::vhost_listen] }
  $tls = $volume_api::tls_cert ? {
    undef   => [],
    default => ['--tls-cert', $volume_api::tls_cert, '--tls-key', $volume_api::tls_key],
  }
  $options = [
    '--layout', $volume_api::layout,
    '--ecosystem', $volume_api::ecosystem,
    '--env', $volume_api::ecosystem_env,
    '--server-name', $volume_api::server_name,
    '--root', $volume_api::webserver_root,
  ] + $listen + $tls + $volume_api::vhost_options
  $args = $options.map |$arg| { "'${arg}'" }.join(' ')
  $install = "${volume_api::with_env} ${volume_api::deploy} install ${server} ${args}"

  exec { "volume-api vhost ${vhost_path}":
    command   => $install,
    unless    => "${install} --dry-run | grep -q 'already installed, nothing to do'",
    path      => $volume_api::path,
    provider  => 'shell',
    logoutput => true,
    require   => $server_running,
  }
  file { $vhost_path:
    ensure  => file,
    owner   => 'root',
    group   => 'root',
    mode    => '0644',
    require => Exec["volume-api vhost ${vhost_path}"],
  }
}
