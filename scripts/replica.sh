#!/usr/bin/env bash
# A streaming read replica of the local PostgreSQL on 127.0.0.1:5433 (issue 14 item 4, docs/operations.md "Read replica").
#
#   scripts/replica.sh          make it (first time: pg_basebackup of the primary) and start it; nothing if it is up
#   scripts/replica.sh stop     stop it (its data stays: the next start resumes streaming, or re-copies if it fell too far behind)
#   scripts/replica.sh status   say whether it is up, streaming, and how far its replay is behind the primary (bytes)
#
# Everything is on loopback: the primary on 127.0.0.1:5432 (trust, user postgres, as .ci/run and the tests use it), the
# replica listening on 127.0.0.1 only. Run as root (the commands run as the postgres user) or as postgres.
# No replication slot, on purpose: a slot left behind by a stopped replica would keep every WAL segment of the shared
# primary until the disk fills. Without one, a replica that was stopped for long may miss WAL: start re-copies it.
set -euo pipefail

PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICA_PORT=${REPLICA_PORT:-5433}
PG_VERSION=${PG_VERSION:-$(ls /etc/postgresql | sort -V | tail -n 1)}
BIN=/usr/lib/postgresql/$PG_VERSION/bin
DATA=${REPLICA_DATA:-/var/lib/postgresql/$PG_VERSION/replica}
LOG=${REPLICA_LOG:-/var/log/postgresql/postgresql-$PG_VERSION-replica.log}
HBA_LINE="host replication postgres 127.0.0.1/32 trust"

as_postgres() {  # run a command as the postgres user (the owner of the data directories)
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
primary_sql() { psql -X -A -t -q -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -c "$1"; }
replica_sql() { psql -X -A -t -q -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -d postgres -c "$1"; }
replica_up() { pg_isready -q -h 127.0.0.1 -p "$REPLICA_PORT"; }

check_primary() {
  local level senders
  level=$(primary_sql "SHOW wal_level")
  senders=$(primary_sql "SHOW max_wal_senders")
  if [ "$level" = minimal ] || [ "$senders" -lt 1 ]; then
    echo "replica: the primary has wal_level=$level, max_wal_senders=$senders: streaming needs wal_level=replica" \
      "and max_wal_senders >= 1 (PostgreSQL's defaults), then a restart of the primary" >&2
    exit 1
  fi
}

allow_replication() {  # the loopback replication line in the primary's pg_hba.conf, once; then reload
  local hba
  hba=$(primary_sql "SHOW hba_file")
  if ! grep -qxF "$HBA_LINE" "$hba"; then
    printf '# Streaming replica on loopback (zoufang scripts/replica.sh)\n%s\n' "$HBA_LINE" >> "$hba"
    primary_sql "SELECT pg_reload_conf()" >/dev/null
    echo "replica: added '$HBA_LINE' to $hba and reloaded the primary"
  fi
}

base_backup() {
  echo "replica: copying the primary into $DATA (pg_basebackup)"
  rm -rf "$DATA"
  install -d -o postgres -g postgres -m 700 "$DATA"
  # -R: standby.signal and primary_conninfo; -X stream: the WAL written during the copy; -c fast: no waiting for the
  # next scheduled checkpoint.
  as_postgres "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DATA" -R -X stream -c fast
}

write_config() {
  # Debian keeps the primary's postgresql.conf and pg_hba.conf in /etc, outside the copied data directory: the
  # replica gets its own. A hot standby needs these at least as high as the primary's.
  local name conf="" value
  for name in max_connections max_worker_processes max_prepared_transactions max_locks_per_transaction \
    max_wal_senders shared_preload_libraries; do
    value=$(primary_sql "SHOW $name")
    conf+="$name = '$value'"$'\n'
  done
  as_postgres tee "$DATA/postgresql.conf" >/dev/null <<CONF
# Written by scripts/replica.sh: a hot standby of 127.0.0.1:$PRIMARY_PORT (primary_conninfo: postgresql.auto.conf).
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/var/run/postgresql'
hot_standby = on
# Long reads (a large export) are not cancelled because the primary vacuumed rows they still see.
hot_standby_feedback = on
cluster_name = '$PG_VERSION/replica'
$conf
CONF
  as_postgres tee "$DATA/pg_hba.conf" >/dev/null <<HBA
local all all trust
host all all 127.0.0.1/32 trust
HBA
}

streaming() { [ "$(replica_sql "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'")" = 1 ]; }

start_server() {
  write_config
  touch "$LOG" && chown postgres:postgres "$LOG" 2>/dev/null || true
  as_postgres "$BIN/pg_ctl" start -w -t 60 -D "$DATA" -l "$LOG" >/dev/null
  for _ in $(seq 1 30); do
    streaming && return 0
    sleep 1
  done
  return 1
}

start() {
  if replica_up; then
    if [ "$(replica_sql "SELECT pg_is_in_recovery()")" != t ]; then
      echo "replica: something that is not a standby answers on 127.0.0.1:$REPLICA_PORT" >&2
      exit 1
    fi
    # A test that paused replay and died would leave it paused: a replica that is up always replays.
    replica_sql "SELECT pg_wal_replay_resume() WHERE pg_is_wal_replay_paused()" >/dev/null
    echo "replica: already up on 127.0.0.1:$REPLICA_PORT"
    return 0
  fi
  check_primary
  allow_replication
  [ -f "$DATA/standby.signal" ] || base_backup
  if ! start_server; then
    echo "replica: not streaming after 30 s (fell behind the primary's WAL?): copying it again" >&2
    as_postgres "$BIN/pg_ctl" stop -m fast -w -D "$DATA" >/dev/null || true
    base_backup
    start_server || { echo "replica: not streaming; see $LOG" >&2; exit 1; }
  fi
  echo "replica: streaming on 127.0.0.1:$REPLICA_PORT (data $DATA, log $LOG)"
}

stop() {
  if [ -f "$DATA/postmaster.pid" ]; then
    as_postgres "$BIN/pg_ctl" stop -m fast -w -D "$DATA" >/dev/null
    echo "replica: stopped"
  else
    echo "replica: not running"
  fi
}

status() {
  if ! replica_up; then
    echo "replica: down"
    return 3
  fi
  local replay
  replay=$(replica_sql "SELECT pg_last_wal_replay_lsn()")
  echo "replica: up on 127.0.0.1:$REPLICA_PORT, streaming=$(streaming && echo yes || echo no)," \
    "replay $replay, behind the primary by $(primary_sql "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$replay')") bytes"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
