#!/usr/bin/env bash
# make bench CLUSTER=1: the approve and read scenarios of cmd/reviewqbench on
# one MariaDB and on the three-node Galera cluster of cluster.sh (the
# instance on node 1, all writes to one node as behind
# deploy/haproxy/galera.cfg). The single server is a standalone mariadbd with
# the nodes' own settings (cluster.sh single, 127.0.0.1:13309), so the
# difference is Galera alone. Both run at once and the runs alternate
# (single, cluster, single, ...) ROUNDS times (default 2), so a busy machine
# weighs on both alike. Every table goes to bench/results/
# (…-SCALE-single-… and …-SCALE-cluster-…).
#   deploy/galera/bench.sh BIN [SCALE]    SCALE: 100k (default), tiny, 1m
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:?usage: bench.sh BIN [SCALE]}
scale=${2:-100k}
rounds=${ROUNDS:-2}
here=deploy/galera
only="queue page,API tasks,API stats,approve"
db=reviewq_bench_${scale}
# GALERA_DIR of its own, so a cluster of make test-cluster is not touched.
export GALERA_DIR="${GALERA_DIR:-/tmp/reviewq-galera-bench}"

trap '"$here/cluster.sh" single stop >/dev/null 2>&1 || true; "$here/cluster.sh" stop' EXIT
"$here/cluster.sh" single start
"$here/cluster.sh" start

run() { # run single|cluster
  local port=13309
  [ "$1" = single ] || port=13306
  echo "== round $round: $1 ($([ "$1" = single ] && echo "standalone MariaDB without Galera" || echo "three-node Galera cluster, instance on node 1"), 127.0.0.1:$port)"
  go run ./cmd/reviewqbench --scale "$scale" --bin "$bin" --only "$only" --tag "$1" \
    --db "mysql://root@127.0.0.1:$port/$db"
}
for round in $(seq 1 "$rounds"); do
  run single
  run cluster
done
echo "== Galera counters on the cluster after all rounds"
for n in 1 2 3; do
  printf 'node%d: %s\n' "$n" "$("$here/cluster.sh" sql "$n" "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures','wsrep_local_bf_aborts','wsrep_replicated','wsrep_flow_control_paused')" | tr '\t\n' '= ')"
done
