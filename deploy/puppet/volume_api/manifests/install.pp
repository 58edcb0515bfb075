# @summary Node, the service user, the application copied from `source`, its npm packages and its build.
#
# The copy is a recursive `file` resource, so Puppet reports (and reacts to) exactly the files that
# changed. `npm ci` and `npm run build` are execs whose `unless` checks the state they produce, with the
# rules of `volume-api-deploy host-setup` (steps 1 and 2): node_modules/.package-lock.json not older than
# package-lock.json; every dist/ entry point newer than src/, the lock and the tsconfig files. A copy
# that changes package-lock.json or src/ therefore triggers them, and a run that failed half-way is
# retried by the next one (a refreshonly exec would have lost its event).
#
# Both run as root in install_dir, like host-setup: the service user only reads the application and
# writes data_dir and log_dir.
#
# @api private
class volume_api::install {
  $app = $volume_api::install_dir

  Exec {
    path      => $volume_api::path,
    provider  => 'shell',
    timeout   => 1800,
    logoutput => 'on_failure',
  }

  if $volume_api::manage_packages {
    package { $volume_api::node_packages:
      ensure => installed,
      before => Exec['volume-api npm packages'],
    }
  }

  if $volume_api::manage_user {
    group { $volume_api::group:
      ensure => present,
      system => true,
    }
    user { $volume_api::user:
      ensure     => present,
      gid        => $volume_api::group,
      home       => $volume_api::home,
      managehome => true,
      shell      => '/usr/sbin/nologin',
      system     => true,
      require    => Group[$volume_api::group],
    }
  }

  # The home holds PM2_HOME (.pm2); it is the user's, the application inside it is root's.
  file { $volume_api::home:
    ensure => directory,
    owner  => $volume_api::user,
    group  => $volume_api::group,
    mode   => '0755',
  }

  file { $app:
    ensure  => directory,
    source  => $volume_api::source,
    recurse => true,
    ignore  => $volume_api::source_ignore,
    owner   => 'root',
    group   => 'root',
    mode    => 'u+rwX,go+rX,go-w',
    backup  => false,
  }

  $lock = "${app}/node_modules/.package-lock.json"
  if $volume_api::node_modules_source {
    $prebuilt = $volume_api::node_modules_source
    # Swapped in whole (copy beside, then rename) so a failed copy never leaves half a tree; the touch
    # keeps npm's hidden lockfile newer than the package folders (npm's own validity rule) and tells
    # the build check below that the dependencies changed.
    exec { 'volume-api npm packages':
      command => join([
        "rm -rf '${app}/node_modules.new'",
        "cp -a '${prebuilt}' '${app}/node_modules.new'",
        "rm -rf '${app}/node_modules'",
        "mv '${app}/node_modules.new' '${app}/node_modules'",
        "touch '${lock}'",
      ], ' && '),
      unless  => "cmp -s '${prebuilt}/.package-lock.json' '${lock}'",
      require => File[$app],
    }
  } else {
    $ci_options = join(['--no-audit', '--no-fund'] + $volume_api::npm_ci_options, ' ')
    exec { 'volume-api npm packages':
      command => "cd '${app}' && npm ci ${ci_options}",
      unless  => "test -f '${lock}' && ! test '${app}/package-lock.json' -nt '${lock}'",
      require => File[$app],
    }
  }

  $build_inputs = "src tsconfig.json tsconfig.build.json package-lock.json '${lock}'"
  exec { 'volume-api build':
    command => "cd '${app}' && npm run build",
    unless  => join([
      "cd '${app}' && for f in standalone server worker config; do",
      "test -f dist/\$f.js || exit 1;",
      "test -z \"\$(find ${build_inputs} -newer dist/\$f.js -print -quit)\" || exit 1;",
      'done',
    ], ' '),
    require => Exec['volume-api npm packages'],
  }

  # What the service user writes: the store and the logs.
  file { [$volume_api::data_dir, $volume_api::log_dir]:
    ensure => directory,
    owner  => $volume_api::user,
    group  => $volume_api::group,
    mode   => '0750',
  }
}
