# @summary Defaults that depend on the host family.
#
# Only what differs between Debian-like and RHEL-like hosts lives here; every other default is written
# next to its parameter in init.pp. The layout names match `volume-api-deploy --layout`, so the vhost
# paths come from the project's generators (deploy/lib/layouts.ts), not from a second table here.
#
# Node: Debian 12's own nodejs is 18, older than package.json's engines (>= 20.19): hosts need a
# NodeSource (or distribution >= 20) repository configured before this class runs. NodeSource's nodejs
# package ships npm, so `npm` is not listed by default.
class volume_api::params {
  case $facts['os']['family'] {
    'RedHat': {
      $layout = 'rhel'
      $node_packages = ['nodejs']
    }
    default: {
      $layout = 'debian'
      $node_packages = ['nodejs']
    }
  }
}
