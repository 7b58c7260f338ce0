package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Galera cluster nodes (MariaDB with wsrep_on): readiness and counter lanes.
//
// Counter lanes: every flag and decision adds to a few daily counter rows
// (stats_daily*, spread over statShards rows per key by review id). With an
// instance on each node of a cluster, two nodes adding to one row at the
// same moment conflict at certification and one transaction is run again.
// So each node writes its own block of statShards rows — the lane, the
// node's wsrep_local_index, read when the store opens and at every readiness
// check. Readers sum over the shards, so lanes change no figure; a lane that
// is stale after the membership changed costs only a possible conflict.

// galeraSynced is wsrep_local_state of a node that is part of the cluster
// and up to date (1 joining, 2 donor, 3 joined, 4 synced).
const galeraSynced = 4

// maxStatLanes bounds the counter lanes (the shard column is a SMALLINT).
const maxStatLanes = 64

// NodeStatus is the state of the database node this instance talks to.
type NodeStatus struct {
	// Galera is true when the server is a Galera node (wsrep_on = ON); a
	// plain MariaDB or MySQL is always ready here.
	Galera bool
	// LocalState is wsrep_local_state (4 = Synced), StateComment its name.
	LocalState   int
	StateComment string
	// ClusterStatus is wsrep_cluster_status: Primary, or non-Primary when
	// the node lost the quorum.
	ClusterStatus string
	// Ready: a Galera node that is synced and in the primary component.
	Ready bool
	// Reason says why not ready, for the readiness answer.
	Reason string
}

// NodeStatus reads whether the node is a Galera node and, if so, whether it
// is synced and in the primary component: a node that is joining, a donor,
// or cut off from the quorum refuses or delays work (error 1047), so the
// load balancer should not send requests to this instance. SHOW statements
// are answered even by a node that is not ready.
func (s *Store) NodeStatus(ctx context.Context) (NodeStatus, error) {
	st := NodeStatus{Ready: true}
	if s.Dialect != MySQL {
		return st, nil
	}
	var name, on string
	err := s.SQL.QueryRowContext(ctx, "SHOW VARIABLES LIKE 'wsrep_on'").Scan(&name, &on)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil // MySQL: no wsrep at all
	}
	if err != nil {
		return st, fmt.Errorf("node status: %w", err)
	}
	if !strings.EqualFold(on, "ON") {
		return st, nil
	}
	st.Galera = true
	rows, err := s.SQL.QueryContext(ctx, "SHOW STATUS WHERE Variable_name IN "+
		"('wsrep_local_state', 'wsrep_local_state_comment', 'wsrep_cluster_status', 'wsrep_local_index')")
	if err != nil {
		return st, fmt.Errorf("node status: %w", err)
	}
	defer rows.Close()
	lane := int64(-1)
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return st, fmt.Errorf("node status: %w", err)
		}
		switch strings.ToLower(k) {
		case "wsrep_local_state":
			st.LocalState, _ = strconv.Atoi(v)
		case "wsrep_local_state_comment":
			st.StateComment = v
		case "wsrep_cluster_status":
			st.ClusterStatus = v
		case "wsrep_local_index":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 && n < maxStatLanes {
				lane = n
			}
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("node status: %w", err)
	}
	switch {
	case st.ClusterStatus != "Primary":
		st.Ready = false
		st.Reason = fmt.Sprintf("galera node not in the primary component (wsrep_cluster_status %s)", orUnknown(st.ClusterStatus))
	case st.LocalState != galeraSynced:
		st.Ready = false
		st.Reason = fmt.Sprintf("galera node not synced (wsrep_local_state %d, %s)", st.LocalState, orUnknown(st.StateComment))
	}
	if st.Ready && lane >= 0 {
		s.statLane.Store(lane)
	}
	return st, nil
}

func orUnknown(v string) string {
	if v == "" {
		return "unknown"
	}
	return v
}
