#!/usr/bin/env bash
# make bench CLUSTER=1: the approve and read scenarios of cmd/reviewqbench on
# one MariaDB and then on the three-node Galera cluster of cluster.sh (the
# instance on node 1, all writes to one node as behind
# deploy/haproxy/galera.cfg). The single server is a standalone mariadbd with
# the nodes' own settings (cluster.sh single, 127.0.0.1:13309), so the
# difference is Galera alone; same data set, same machine. Both tables go to
# bench/results/ (…-SCALE-single-… and …-SCALE-cluster-…).
#   deploy/galera/bench.sh BIN [SCALE]    SCALE: 100k (default), tiny, 1m
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:?usage: bench.sh BIN [SCALE]}
scale=${2:-100k}
here=deploy/galera
only="queue page,API tasks,API stats,approve"
db=reviewq_bench_${scale}
# GALERA_DIR of its own, so a cluster of make test-cluster is not touched.
export GALERA_DIR="${GALERA_DIR:-/tmp/reviewq-galera-bench}"

trap '"$here/cluster.sh" single stop >/dev/null 2>&1 || true; "$here/cluster.sh" stop' EXIT
echo "== single MariaDB without Galera (127.0.0.1:13309)"
"$here/cluster.sh" single start
go run ./cmd/reviewqbench --scale "$scale" --bin "$bin" --only "$only" --tag single \
  --db "mysql://root@127.0.0.1:13309/$db"
"$here/cluster.sh" single stop

echo "== three-node Galera cluster (instance on node 1, 127.0.0.1:13306)"
"$here/cluster.sh" start
go run ./cmd/reviewqbench --scale "$scale" --bin "$bin" --only "$only" --tag cluster \
  --db "mysql://root@127.0.0.1:13306/$db"
echo "== conflict counters after the cluster run"
for n in 1 2 3; do
  printf 'node%d: %s\n' "$n" "$("$here/cluster.sh" sql "$n" "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures','wsrep_local_bf_aborts','wsrep_replicated','wsrep_flow_control_paused')" | tr '\t\n' '= ')"
done
