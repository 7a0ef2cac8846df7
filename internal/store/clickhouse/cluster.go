package clickhouse

import (
	"fmt"
	"regexp"
	"strings"
)

// Cluster mode. The migrations are written once, for a single server; in
// cluster mode (Options.Cluster) each statement is rewritten by onCluster
// before it runs, so a table added by a later migration is replicated and,
// when it has a ts_code column, sharded without any work of its own:
//
//   - CREATE TABLE IF NOT EXISTS t (… ts_code String …) ENGINE = XMergeTree(args) …
//     becomes a local table t_local with ReplicatedXMergeTree(
//     '/clickhouse/tables/{shard}/<db>/t', '{replica}', args) on every host
//     (ON CLUSTER) and a Distributed table t in front of it, sharded by
//     cityHash64(ts_code): one code's rows, every version of them, live on
//     one shard, so FINAL and argMax on a shard see all of them.
//   - A table without ts_code (trade_cal, workflows, sync_state,
//     schema_migrations, …) is small: it is not sharded but replicated on
//     every host of the cluster ('/clickhouse/tables/all/<db>/t',
//     '{shard}-{replica}'), keeps its name and is read locally.
//   - CREATE MATERIALIZED VIEW v TO t AS SELECT … FROM s … is created on
//     every host between the local tables (t_local, s_local): a row inserted
//     into a shard feeds that shard's view, and the view's table replicates
//     like any other.
//   - ALTER TABLE t ADD|DROP|MODIFY COLUMN … is applied to the local table
//     and to the Distributed one.
//   - INSERT … SELECT (backfills) runs once, through the Distributed tables.
//
// Anything else is refused, so a migration the rewrite does not understand
// fails in TestOnClusterCoversEveryMigration rather than on a cluster.
//
// Writes go to the Distributed tables with insert_distributed_sync=1: a
// write returns when a replica of the shard has stored it, not when it is
// queued on the host the client talks to. Replication to the other replicas
// of the shard is asynchronous (no insert quorum), so writes continue while
// a replica is down and the replica catches up from ZooKeeper's log when it
// returns.

// localSuffix names the local table behind a Distributed one.
const localSuffix = "_local"

var (
	createTableRE = regexp.MustCompile(`(?is)^\s*CREATE TABLE IF NOT EXISTS (\w+)\s*(\(.*\))\s*ENGINE\s*=\s*(\w*MergeTree)\(([^)]*)\)(.*)$`)
	createViewRE  = regexp.MustCompile(`(?is)^\s*CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+)\s+TO\s+(\w+)\s+AS\s+(SELECT\s.*?\sFROM\s+)(\w+)\b(.*)$`)
	alterRE       = regexp.MustCompile(`(?is)^\s*ALTER TABLE (\w+)\s+((?:ADD|DROP|MODIFY) COLUMN\s.*)$`)
	insertRE      = regexp.MustCompile(`(?is)^\s*INSERT INTO \w+\s*\([^)]*\)\s*SELECT\s`)
	tsCodeRE      = regexp.MustCompile(`(?i)[(,]\s*ts_code\s+String\b`)
)

// clusterSchema rewrites migration statements for a cluster. It learns
// which tables are sharded from their CREATE statements, so it must see the
// statements in order, from the first migration on.
type clusterSchema struct {
	cluster, db string
	sharded     map[string]bool
	known       map[string]bool
}

func newClusterSchema(cluster, db string) *clusterSchema {
	return &clusterSchema{cluster: cluster, db: db, sharded: map[string]bool{}, known: map[string]bool{}}
}

// local is the name of the table that holds t's rows on a host.
func (c *clusterSchema) local(t string) string {
	if c.sharded[t] {
		return t + localSuffix
	}
	return t
}

// onCluster rewrites one statement into the statements that run on the
// cluster.
func (c *clusterSchema) onCluster(stmt string) ([]string, error) {
	on := " ON CLUSTER " + c.cluster
	if m := createTableRE.FindStringSubmatch(stmt); m != nil {
		name, columns, engine, args, rest := m[1], m[2], m[3], strings.TrimSpace(m[4]), m[5]
		c.known[name] = true
		if !tsCodeRE.MatchString(columns) {
			return []string{fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s %s ENGINE = Replicated%s(%s)%s",
				c.db, name, on, columns, engine, replicatedArgs("/clickhouse/tables/all/"+c.db+"/"+name, "{shard}-{replica}", args), rest)}, nil
		}
		c.sharded[name] = true
		local := name + localSuffix
		return []string{
			fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s %s ENGINE = Replicated%s(%s)%s",
				c.db, local, on, columns, engine, replicatedArgs("/clickhouse/tables/{shard}/"+c.db+"/"+name, "{replica}", args), rest),
			fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s %s ENGINE = Distributed(%s, %s, %s, cityHash64(ts_code))",
				c.db, name, on, columns, c.cluster, c.db, local),
		}, nil
	}
	if m := createViewRE.FindStringSubmatch(stmt); m != nil {
		view, target, sel, source, rest := m[1], m[2], m[3], m[4], m[5]
		for _, t := range []string{target, source} {
			if !c.known[t] {
				return nil, fmt.Errorf("cluster mode: view %s refers to %s, which no earlier migration creates", view, t)
			}
		}
		return []string{fmt.Sprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s.%s%s TO %s.%s AS %s%s.%s%s",
			c.db, view, on, c.db, c.local(target), sel, c.db, c.local(source), rest)}, nil
	}
	if m := alterRE.FindStringSubmatch(stmt); m != nil {
		name, change := m[1], m[2]
		if !c.known[name] {
			return nil, fmt.Errorf("cluster mode: ALTER of %s, which no earlier migration creates", name)
		}
		out := []string{fmt.Sprintf("ALTER TABLE %s.%s%s %s", c.db, c.local(name), on, change)}
		if c.sharded[name] {
			out = append(out, fmt.Sprintf("ALTER TABLE %s.%s%s %s", c.db, name, on, change))
		}
		return out, nil
	}
	if insertRE.MatchString(stmt) {
		return []string{stmt}, nil
	}
	return nil, fmt.Errorf("cluster mode: no rewrite for the statement %.60q…; write CREATE TABLE IF NOT EXISTS, CREATE MATERIALIZED VIEW IF NOT EXISTS … TO, ALTER TABLE … COLUMN or INSERT INTO t (…) SELECT", strings.TrimSpace(stmt))
}

// replicatedArgs puts the ZooKeeper path and the replica name before the
// engine's own arguments.
func replicatedArgs(path, replica, args string) string {
	s := "'" + path + "', '" + replica + "'"
	if args != "" {
		s += ", " + args
	}
	return s
}
