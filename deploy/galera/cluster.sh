#!/usr/bin/env bash
# A three-node MariaDB Galera cluster on loopback ports, for `make
# test-cluster`, `make bench CLUSTER=1` and trying the cluster by hand
# (docs/operations.md, "A Galera cluster"). Everything lives under
# $GALERA_DIR (default /tmp/reviewq-galera); nothing else on the machine is
# touched. Needs the Debian packages mariadb-server, galera-4 and rsync.
#
#   deploy/galera/cluster.sh start        bootstrap node 1, join 2 and 3, wait until all are Synced
#   deploy/galera/cluster.sh stop         stop every node and remove $GALERA_DIR
#   deploy/galera/cluster.sh kill N       SIGKILL node N (a crash)
#   deploy/galera/cluster.sh restart N    start node N again; it rejoins (IST when the gcache has its gap)
#   deploy/galera/cluster.sh status       per node: wsrep_local_state_comment, cluster size, status
#   deploy/galera/cluster.sh sql N 'SQL'  run SQL on node N
#   deploy/galera/cluster.sh single start|stop   one standalone MariaDB with the
#                                         nodes' settings but no Galera, on 13309 (for make bench CLUSTER=1)
#
# Ports (127.0.0.1 only), node N = 1..3:
#   MySQL 13305+N (13306-13308), group communication 13566+N (13567-13569),
#   IST 13576+N (13577-13579), SST (rsync) 13443+N (13444-13446);
#   the standalone server of "single" on 13309.
set -euo pipefail

GALERA_DIR="${GALERA_DIR:-/tmp/reviewq-galera}"
PROVIDER="${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}"
MARIADBD="${MARIADBD:-/usr/sbin/mariadbd}"
NODES=3
# mariadbd runs as mysql when started by root: the rsync daemon that
# receives a state transfer then runs as mysql too (as root it would drop to
# nobody and could not write the datadir).
RUN_AS="${GALERA_USER:-$([ "$(id -u)" = 0 ] && echo mysql || id -un)}"

port() { echo $((13305 + $1)); }
gmcast_port() { echo $((13566 + $1)); }
ist_port() { echo $((13576 + $1)); }
sst_port() { echo $((13443 + $1)); }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
die() { echo "cluster.sh: $*" >&2; exit 1; }
say() { echo "cluster.sh: $*" >&2; }

sql() { # sql N 'statement' — tab-separated rows, no header
  mariadb --protocol=tcp -h127.0.0.1 -P"$(port "$1")" -uroot -N -B --connect-timeout=2 -e "$2"
}
status_var() { sql "$1" "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2; }

cluster_address() {
  local a="" n
  for n in $(seq 1 $NODES); do a="${a:+$a,}127.0.0.1:$(gmcast_port "$n")"; done
  echo "gcomm://$a"
}

write_config() { # write_config N
  local n=$1 d="$GALERA_DIR/node$1"
  mkdir -p "$d/data"
  cat >"$d/my.cnf" <<EOF
[mariadbd]
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
bind-address=127.0.0.1
port=$(port "$n")
user=$RUN_AS
skip-name-resolve
max_connections=300
# Small and fast: this cluster runs in CI next to the rest of the suite.
innodb_buffer_pool_size=128M
innodb_log_file_size=48M
performance_schema=OFF
# What Galera requires.
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=$PROVIDER
wsrep_cluster_name=reviewq
wsrep_cluster_address=$(cluster_address)
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:$(gmcast_port "$n")
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$(sst_port "$n")
wsrep_slave_threads=2
# A crashed node is noticed within a few seconds (defaults: 5 s suspect,
# 15 s inactive), so the survivors go on without it quickly.
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$(gmcast_port "$n");ist.recv_addr=127.0.0.1:$(ist_port "$n");gcache.size=128M;evs.keepalive_period=PT0.5S;evs.inactive_check_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S;evs.install_timeout=PT4S"
EOF
}

# The standalone server: node 1's settings without the wsrep lines.
single_start() {
  local d="$GALERA_DIR/single"
  [ -z "$(pid_of single)" ] || die "the standalone server is already running"
  port_free 13309 || die "127.0.0.1:13309 is taken by another process"
  rm -rf "$d"
  mkdir -p "$d/data"
  (GALERA_DIR="$d/tmp" && write_config 1)
  grep -v '^wsrep_\|^# A crashed\|^# 15 s inactive' "$d/tmp/node1/my.cnf" | sed "s|$d/tmp/node1|$d|g; s|^port=.*|port=13309|" >"$d/my.cnf"
  rm -rf "$d/tmp"
  [ "$(id -u)" != 0 ] || chown -R "$RUN_AS:" "$GALERA_DIR"
  mariadb-install-db --defaults-file="$d/my.cnf" --auth-root-authentication-method=normal --skip-test-db >"$d/install.log" 2>&1 ||
    { cat "$d/install.log" >&2; die "mariadb-install-db failed"; }
  nohup "$MARIADBD" --defaults-file="$d/my.cnf" >>"$d/stdout.log" 2>&1 &
  for _ in $(seq 1 60); do
    mariadb --protocol=tcp -h127.0.0.1 -P13309 -uroot -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION" 2>/dev/null && {
      say "standalone MariaDB up on 127.0.0.1:13309 (no Galera)"; return 0; }
    sleep 0.5
  done
  die "the standalone server did not start (log: $d/error.log)"
}

single_stop() {
  local p
  p=$(pid_of single)
  [ -n "$p" ] && kill -TERM "$p"
  for _ in $(seq 1 60); do [ -z "$(pid_of single)" ] && break; sleep 0.5; done
  rm -rf "$GALERA_DIR/single"
  rmdir "$GALERA_DIR" 2>/dev/null || true
  say "standalone server stopped"
}

pid_of() { # the running mariadbd of node N, or nothing
  local f="$GALERA_DIR/node$1/mysqld.pid" p
  [ "$1" != single ] || f="$GALERA_DIR/single/mysqld.pid"
  [ -f "$f" ] || return 0
  p=$(cat "$f" 2>/dev/null || true)
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null && grep -q mariadbd "/proc/$p/cmdline" 2>/dev/null; then echo "$p"; fi
}

launch() { # launch N [extra mariadbd args...]
  local n=$1; shift
  local d="$GALERA_DIR/node$n"
  [ -z "$(pid_of "$n")" ] || die "node $n is already running (pid $(pid_of "$n"))"
  port_free "$(port "$n")" || die "127.0.0.1:$(port "$n") is taken by another process"
  # --wsrep-recover is no longer done by hand in 10.11 when the node starts
  # with an unknown position; keeping the log of every start helps diagnosis.
  nohup "$MARIADBD" --defaults-file="$d/my.cnf" "$@" >>"$d/stdout.log" 2>&1 &
  echo $! >"$d/launcher.pid"
}

wait_synced() { # wait_synced N SECONDS
  local n=$1 limit=$2 state="" start=$SECONDS
  while [ $((SECONDS - start)) -lt "$limit" ]; do
    state=$(status_var "$n" wsrep_local_state || true)
    if [ "$state" = 4 ] && [ "$(status_var "$n" wsrep_cluster_status)" = Primary ]; then
      return 0
    fi
    if [ -z "$(pid_of "$n")" ] && ! kill -0 "$(cat "$GALERA_DIR/node$n/launcher.pid" 2>/dev/null || echo 0)" 2>/dev/null; then
      tail -n 30 "$GALERA_DIR/node$n/error.log" >&2 || true
      die "node $n exited while starting (log: $GALERA_DIR/node$n/error.log)"
    fi
    sleep 0.5
  done
  tail -n 30 "$GALERA_DIR/node$n/error.log" >&2 || true
  die "node $n not Synced within ${limit}s (wsrep_local_state=${state:-no answer})"
}

wait_size() { # wait_size N SIZE SECONDS
  local start=$SECONDS size=""
  while [ $((SECONDS - start)) -lt "$3" ]; do
    size=$(status_var "$1" wsrep_cluster_size || true)
    [ "$size" = "$2" ] && return 0
    sleep 0.5
  done
  die "node $1 sees cluster size ${size:-?}, want $2"
}

cmd_start() {
  command -v mariadb-install-db >/dev/null || die "mariadb-install-db missing: apt-get install mariadb-server"
  [ -f "$PROVIDER" ] || die "$PROVIDER missing: apt-get install galera-4"
  command -v rsync >/dev/null || die "rsync missing (the state transfer method): apt-get install rsync"
  if [ -n "$(pid_of 1)$(pid_of 2)$(pid_of 3)" ]; then die "a cluster is already running under $GALERA_DIR (cluster.sh stop first)"; fi
  rm -rf "$GALERA_DIR"/node[0-9]*
  mkdir -p "$GALERA_DIR"
  for n in $(seq 1 $NODES); do write_config "$n"; done
  [ "$(id -u)" != 0 ] || chown -R "$RUN_AS:" "$GALERA_DIR"
  # Only node 1 is initialised; 2 and 3 receive its data by SST.
  mariadb-install-db --defaults-file="$GALERA_DIR/node1/my.cnf" --auth-root-authentication-method=normal \
    --skip-test-db >"$GALERA_DIR/node1/install.log" 2>&1 || { cat "$GALERA_DIR/node1/install.log" >&2; die "mariadb-install-db failed"; }
  say "bootstrapping node 1 on 127.0.0.1:$(port 1)"
  launch 1 --wsrep-new-cluster
  wait_synced 1 60
  # Root over TCP without a password, as on the development machine.
  sql 1 "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
         CREATE USER IF NOT EXISTS 'clustercheck'@'127.0.0.1'; GRANT USAGE ON *.* TO 'clustercheck'@'127.0.0.1';"
  for n in $(seq 2 $NODES); do
    say "joining node $n on 127.0.0.1:$(port "$n") (SST by rsync)"
    launch "$n"
    wait_synced "$n" 120
  done
  wait_size 1 $NODES 30
  say "cluster up: $NODES nodes Synced, cluster size $NODES"
}

cmd_stop() {
  for n in $(seq 1 $NODES); do
    local p
    p=$(pid_of "$n")
    [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true
  done
  for n in $(seq 1 $NODES); do
    for _ in $(seq 1 60); do [ -z "$(pid_of "$n")" ] && break; sleep 0.5; done
    p=$(pid_of "$n")
    [ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true
  done
  if [ "${GALERA_KEEP:-}" = 1 ]; then say "stopped; kept $GALERA_DIR"; return; fi
  rm -rf "$GALERA_DIR"/node[0-9]*
  rmdir "$GALERA_DIR" 2>/dev/null || true
  say "stopped the nodes and removed their data under $GALERA_DIR"
}

cmd_kill() {
  local n=${1:?node number} p
  p=$(pid_of "$n")
  [ -n "$p" ] || die "node $n is not running"
  kill -KILL "$p"
  for _ in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  say "node $n killed (SIGKILL, pid $p)"
}

cmd_restart() {
  local n=${1:?node number}
  [ -z "$(pid_of "$n")" ] || die "node $n is running"
  # After a crash grastate.dat says seqno -1; recover the last committed
  # position from InnoDB (what galera_recovery does for systemd) so the node
  # asks for the missing transactions only (IST), not a full copy.
  local pos=""
  pos=$("$MARIADBD" --defaults-file="$GALERA_DIR/node$n/my.cnf" --wsrep-recover --log-error="$GALERA_DIR/node$n/recover.log" >/dev/null 2>&1;
        grep -o 'Recovered position: .*' "$GALERA_DIR/node$n/recover.log" | tail -1 | sed 's/Recovered position: //') || true
  local before
  before=$(grep -c "IST received" "$GALERA_DIR/node$n/error.log" 2>/dev/null || true)
  say "restarting node $n${pos:+ from $pos}"
  if [ -n "$pos" ]; then launch "$n" --wsrep-start-position="$pos"; else launch "$n"; fi
  wait_synced "$n" 120
  local how=IST
  [ "$(grep -c "IST received" "$GALERA_DIR/node$n/error.log" || true)" -gt "${before:-0}" ] || how="SST"
  say "node $n Synced again (state transfer: $how)"
}

cmd_status() {
  for n in $(seq 1 $NODES); do
    if [ -z "$(pid_of "$n")" ]; then printf 'node%d 127.0.0.1:%d down\n' "$n" "$(port "$n")"; continue; fi
    printf 'node%d 127.0.0.1:%d %s size=%s %s\n' "$n" "$(port "$n")" \
      "$(status_var "$n" wsrep_local_state_comment || echo '?')" "$(status_var "$n" wsrep_cluster_size || echo '?')" \
      "$(status_var "$n" wsrep_cluster_status || echo '?')"
  done
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  kill) cmd_kill "${2:-}" ;;
  restart) cmd_restart "${2:-}" ;;
  status) cmd_status ;;
  sql) sql "${2:?node}" "${3:?SQL}" ;;
  single) case "${2:-}" in start) single_start ;; stop) single_stop ;; *) die "single start|stop" ;; esac ;;
  *) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
