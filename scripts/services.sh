#!/usr/bin/env bash
# Starts the local PostgreSQL (127.0.0.1:5432, trust auth for user postgres) and NATS with
# JetStream (127.0.0.1:4222) that the tests use, installing them from Debian's packages when
# missing. Idempotent: does nothing for a server that already answers.
set -u
pg_up()   { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
nats_up() { (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; }
apt_install() { (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >/dev/null; }

if ! pg_up; then
  ls /etc/postgresql >/dev/null 2>&1 || { echo "installing postgresql" >&2; apt_install postgresql; }
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || pg_ctlcluster "$ver" main start
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  if ! psql -h 127.0.0.1 -U postgres -Atc 'select 1' >/dev/null 2>&1; then
    hba="/etc/postgresql/$ver/main/pg_hba.conf"
    sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(host\s+all\s+all\s+::1\/128\s+)\S+/\1trust/' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main reload 2>/dev/null || pg_ctlcluster "$ver" main reload
  fi
fi
if ! nats_up; then
  command -v nats-server >/dev/null 2>&1 || { echo "installing nats-server" >&2; apt_install nats-server; }
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  for _ in $(seq 1 30); do nats_up && break; sleep 0.5; done
fi
pg_up   || { echo "postgres did not start" >&2; exit 1; }
nats_up || { echo "nats did not start" >&2; exit 1; }
