// Package rds registers the Amazon RDS / Aurora database logs:
// PostgreSQL, and MySQL/MariaDB audit, general, error and slow query logs.
package rds

import (
	_ "embed"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

var (
	//go:embed postgresql.yaml
	postgresqlDefinition []byte
	//go:embed mysql-audit.yaml
	auditDefinition []byte
	//go:embed mysql-general.yaml
	generalDefinition []byte
	//go:embed mysql-error.yaml
	errorDefinition []byte
	//go:embed mysql-slowquery.yaml
	slowDefinition []byte
)

func init() {
	for _, def := range [][]byte{postgresqlDefinition, auditDefinition, generalDefinition, errorDefinition, slowDefinition} {
		logtype.Register(logtype.Package{YAML: def, Transform: Transform})
	}
}

var (
	logGroup      = regexp.MustCompile(`^/aws/rds/(instance|cluster)/([^/]+)/`)
	sessionTime   = regexp.MustCompile(`disconnection: session time: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)`)
	pgStatement   = regexp.MustCompile(`(?s)^statement: (.*)$`)
	pgDuration    = regexp.MustCompile(`(?s)^duration: ([\d.]+) ms(?:\s+(parse|bind|execute)[^:]*:\s*(.*))?$`)
	accessDenied  = regexp.MustCompile(`Access denied for user '([^']*)'@'([^']*)'`)
	unknownDB     = regexp.MustCompile(`Unknown database '([^']*)'`)
	useDatabase   = regexp.MustCompile(`(?mi)^use ([^ ;]+);`)
	notUseOrSet   = regexp.MustCompile(`(?mi)^(?:use|set) `)
	quotedLiteral = regexp.MustCompile(`\\(.)`)
)

// Transform names the cluster and instance from the log group, reads the
// engine's events (logins, statements, slow queries) into ECS fields and
// moves the raw fields under postgresql.* or mysql.*.
func Transform(d map[string]any, r *logtype.Result) error {
	if m := logGroup.FindStringSubmatch(doc.GetString(d, "@log_group")); m != nil {
		if m[1] == "instance" {
			doc.Set(d, "rds.instance_identifier", m[2])
		} else {
			doc.Set(d, "rds.cluster_identifier", m[2])
			stream, _, _ := strings.Cut(doc.GetString(d, "@log_stream"), ".")
			if stream != "" {
				doc.Set(d, "rds.instance_identifier", stream)
			}
		}
	}
	switch doc.GetString(d, "event.module") {
	case "rds-postgresql":
		postgres(d)
		doc.MoveUnder(d, "postgresql_", "postgresql")
	case "rds-mysql-audit":
		mysqlAudit(d)
		doc.MoveUnder(d, "mysql_", "mysql")
	case "rds-mysql-error":
		mysqlError(d)
		doc.MoveUnder(d, "mysql_", "mysql")
	case "rds-mysql-slowquery":
		mysqlSlow(d)
		doc.MoveUnder(d, "mysql_", "mysql")
	default:
		if q := doc.GetString(d, "mysql_query"); q != "" {
			doc.Set(d, "rds.query", strings.TrimSpace(q))
		}
		doc.MoveUnder(d, "mysql_", "mysql")
	}
	return nil
}

func auth(d map[string]any, typ, action, outcome string) {
	doc.Set(d, "event.category", []any{"database", "authentication"})
	doc.Set(d, "event.type", []any{typ})
	doc.Set(d, "event.action", action)
	doc.Set(d, "event.outcome", outcome)
}

func postgres(d map[string]any) {
	level, msg := doc.GetString(d, "postgresql_log_level"), doc.GetString(d, "postgresql_message")
	switch {
	case level == "STATEMENT":
		doc.Set(d, "rds.query", strings.TrimSpace(msg))
	case level == "FATAL" && strings.Contains(msg, "authentication failed"):
		auth(d, "start", "failed", "failure")
	case level == "LOG" && strings.Contains(msg, "connection authorized"):
		auth(d, "start", "authorized", "success")
	case level == "LOG" && strings.HasPrefix(msg, "disconnection:"):
		if m := sessionTime.FindStringSubmatch(msg); m != nil {
			h, _ := strconv.Atoi(m[1])
			mi, _ := strconv.Atoi(m[2])
			s, _ := strconv.ParseFloat(m[3], 64)
			// The reference multiplied hours by 60·24; an hour is 3,600 s.
			doc.Set(d, "postgresql.session_time_seconds", float64(h*3600+mi*60)+s)
		}
		auth(d, "end", "disconnected", "success")
	default:
		if m := pgStatement.FindStringSubmatch(msg); m != nil {
			doc.Set(d, "rds.query", strings.TrimSuffix(strings.TrimSpace(m[1]), ";"))
			doc.Set(d, "postgresql.query_step", "execute")
		} else if m := pgDuration.FindStringSubmatch(msg); m != nil {
			ms, _ := strconv.ParseFloat(m[1], 64)
			doc.Set(d, "postgresql.duration_ms", ms)
			doc.Set(d, "rds.query_time", ms/1000)
			if m[2] != "" {
				doc.Set(d, "postgresql.query_step", m[2])
				doc.Set(d, "rds.query", strings.TrimSuffix(strings.TrimSpace(m[3]), ";"))
			}
		}
	}
}

func mysqlAudit(d map[string]any) {
	if obj := doc.GetString(d, "mysql_object"); obj != "" {
		q := strings.TrimSpace(obj)
		if len(q) >= 2 && q[0] == '\'' && q[len(q)-1] == '\'' {
			q = quotedLiteral.ReplaceAllString(q[1:len(q)-1], "$1")
		}
		doc.Set(d, "rds.query", strings.TrimSuffix(strings.TrimSpace(q), ";"))
	}
	retcode := doc.GetString(d, "mysql_retcode")
	switch doc.GetString(d, "mysql_operation") {
	case "FAILED_CONNECT":
		auth(d, "start", "failed", "failure")
	case "CONNECT":
		auth(d, "start", "authorized", outcome(retcode))
	case "DISCONNECT":
		auth(d, "end", "disconnected", outcome(retcode))
	default:
		// The reference compared the text "0" with a number, so every
		// record was a failure.
		doc.Set(d, "event.outcome", outcome(retcode))
	}
}

func outcome(retcode string) string {
	if retcode == "0" {
		return "success"
	}
	return "failure"
}

func mysqlError(d map[string]any) {
	msg := doc.GetString(d, "mysql_message")
	if m := accessDenied.FindStringSubmatch(msg); m != nil {
		auth(d, "start", "failed", "failure")
		doc.Set(d, "user.name", m[1])
		doc.Set(d, "related.user", []any{m[1]})
		doc.Set(d, "source.address", m[2])
		if isIP(m[2]) {
			doc.Set(d, "source.ip", m[2])
			doc.Set(d, "related.ip", []any{m[2]})
		}
	} else if m := unknownDB.FindStringSubmatch(msg); m != nil {
		auth(d, "start", "failed", "failure")
		doc.Set(d, "rds.database_name", m[1])
	}
}

func mysqlSlow(d map[string]any) {
	if t, err := strconv.ParseFloat(doc.GetString(d, "mysql_query_time"), 64); err == nil {
		doc.Set(d, "rds.query_time", t)
	}
	q := doc.GetString(d, "mysql_query")
	if m := useDatabase.FindStringSubmatch(q); m != nil {
		doc.Set(d, "rds.database_name", m[1])
	}
	// The statement starts at the first line that is not "use" or "SET".
	var lines []string
	started := false
	for _, l := range strings.Split(q, "\n") {
		if !started && notUseOrSet.MatchString(l) {
			continue
		}
		started = true
		lines = append(lines, l)
	}
	if stmt := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";"); stmt != "" {
		doc.Set(d, "rds.query", stmt)
	}
}

func isIP(s string) bool { return net.ParseIP(s) != nil }
