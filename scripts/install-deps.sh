#!/usr/bin/env bash
# Installs the system packages the tests and the dev stack need:
# PostgreSQL 15 server binaries, PostGIS 3, Redis (several Directus
# instances share state through it), HAProxy (checks deploy/haproxy.cfg and
# fronts the two-instance benchmark), and Chromium for the admin-UI test. Idempotent: does nothing when they are present. Needs root (or
# sudo) only when something is missing.
set -euo pipefail

pg_bin=/usr/lib/postgresql/15/bin
need=()
[ -x "$pg_bin/initdb" ] || need+=(postgresql-15)
ls /usr/share/postgresql/15/extension/postgis.control >/dev/null 2>&1 || need+=(postgresql-15-postgis-3)
[ -x /usr/sbin/runuser ] || [ -x /sbin/runuser ] || need+=(util-linux)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v curl >/dev/null 2>&1 || need+=(curl)

if [ ${#need[@]} -eq 0 ]; then
  echo "install-deps: PostgreSQL 15, PostGIS, Redis, HAProxy and Chromium present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=sudo
  else
    echo "install-deps: missing ${need[*]}; run as root: apt-get update && apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi

start=$(date +%s)
echo "install-deps: installing ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The Debian packages create and, where systemd runs, start a default
# PostgreSQL cluster on port 5432, Redis on 6379 and HAProxy: tests and the
# dev stack start throwaway servers of their own on other ports.
echo "install-deps: done in $(( $(date +%s) - start ))s"
