// Package linux registers the Linux system logs: the authentication log
// (linux-secure) and the system log (linux-os-syslog), as the CloudWatch
// agent ships them or as plain files.
package linux

import (
	_ "embed"
	"regexp"
	"strconv"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/ecs"
	"github.com/siemloader/siem/shared/logtype"
)

var (
	//go:embed secure.yaml
	secureDefinition []byte
	//go:embed syslog.yaml
	syslogDefinition []byte
)

func init() {
	logtype.Register(logtype.Package{YAML: secureDefinition, Transform: Transform})
	logtype.Register(logtype.Package{YAML: syslogDefinition, Transform: Transform})
}

// SecureIndex receives authentication events found in the system log.
const SecureIndex = "log-linux-secure"

// sshPatterns are tried in order; the first match names the action, user
// and client (RE2 versions of the reference's sshd patterns).
var sshPatterns = []*regexp.Regexp{
	regexp.MustCompile(`^(?P<action>Invalid user) (?P<user>\S+) from (?P<ip>[0-9a-fA-F:.]+) port (?P<port>\d+)`),
	regexp.MustCompile(`^(?P<action>Accepted|Failed|failure|Invalid user)\b.*?(?: for (?:invalid user )?(?P<user>\S+))? from (?P<ip>[0-9a-fA-F:.]+) port (?P<port>\d+)`),
	regexp.MustCompile(`^(?P<action>Disconnected|Received disconnect) from (?:(?:invalid |authenticating )?user (?P<user>\S+) )?(?P<ip>[0-9a-fA-F:.]+) port (?P<port>\d+)`),
	regexp.MustCompile(`^error: (?P<action>AuthorizedKeysCommand)`),
	regexp.MustCompile(`pam_unix\(sshd:session\): session (?P<action>opened|closed) for user (?P<user>[^\s(]+)`),
	regexp.MustCompile(`^Connection (?P<action>reset|closed) by (?:(?:invalid |authenticating )?user (?P<user>\S+) )?(?P<ip>[0-9a-fA-F:.]+) port (?P<port>\d+)`),
	regexp.MustCompile(`(?:from|with) (?P<ip>[0-9a-fA-F:.]+) port (?P<port>\d+)`),
	regexp.MustCompile(`reverse mapping checking .*\[(?P<ip>[0-9.]+)\]`),
	regexp.MustCompile(`(?P<ip>\b\d{1,3}(?:\.\d{1,3}){3}\b)`),
}

var (
	sudoCommand = regexp.MustCompile(`^\s*(?P<user>\S+) : (?P<failed>\d+ incorrect password attempts? ; )?.*?COMMAND=(?P<cmd>.*)$`)
	pamAuthFail = regexp.MustCompile(`pam_unix\((?:sudo|su|su-l):auth\): authentication failure;.*?\bruser=(?P<ruser>\S*).*?(?:\buser=(?P<user>\S+))?$`)
	pamSession  = regexp.MustCompile(`pam_unix\((?:sudo|su|su-l):session\): session (?P<action>opened|closed) for user (?P<user>[^\s(]+)(?:\(uid=\d+\))?(?: by (?P<by>[^\s(]+))?`)
	suFailed    = regexp.MustCompile(`^FAILED SU \(to (?P<user>\S+)\) (?P<by>\S+)`)
)

// Transform names the instance from the log stream and reads sshd, sudo
// and su lines into authentication events; in the system log they go to
// the secure index.
func Transform(d map[string]any, r *logtype.Result) error {
	hostname := doc.GetString(d, "hostname")
	if id := ecs.EC2InstanceID(doc.GetString(d, "@log_stream")); id != "" {
		doc.Set(d, "cloud.instance.id", id)
		hosts := []any{id}
		if hostname != "" {
			hosts = []any{hostname, id}
		}
		doc.Set(d, "related.hosts", hosts)
	}
	proc := doc.GetString(d, "proc")
	msg := doc.GetString(d, "syslog_message")
	auth := false
	switch {
	case strings.Contains(proc, "sshd"):
		auth = true
		ssh(d, msg)
	case strings.Contains(proc, "sudo"):
		auth = true
		sudoSu(d, msg)
	case proc == "su":
		auth = true
		sudoSu(d, msg)
	}
	if auth {
		doc.Set(d, "event.module", "secure")
		r.Index = SecureIndex
	}
	var users []any
	for _, k := range []string{"user.name", "user.target.name"} {
		if u := doc.GetString(d, k); u != "" && (len(users) == 0 || users[0] != u) {
			users = append(users, u)
		}
	}
	if len(users) > 0 {
		doc.Set(d, "related.user", users)
	}
	if ip := doc.GetString(d, "source.ip"); ip != "" {
		doc.Set(d, "related.ip", []any{ip})
	}
	return nil
}

func ssh(d map[string]any, msg string) {
	for _, re := range sshPatterns {
		m := re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		get := func(name string) string {
			if i := re.SubexpIndex(name); i > 0 {
				return m[i]
			}
			return ""
		}
		if user := get("user"); user != "" {
			doc.Set(d, "user.name", user)
		}
		if ip := get("ip"); ip != "" {
			doc.Set(d, "source.ip", ip)
			doc.Set(d, "source.address", ip)
		}
		if port, err := strconv.Atoi(get("port")); err == nil {
			doc.Set(d, "source.port", port)
		}
		if action := get("action"); action != "" {
			doc.Set(d, "event.action", strings.ToLower(action))
			doc.Set(d, "event.category", []any{"authentication"})
			setOutcome(d, strings.ToLower(action))
		}
		return
	}
}

// setOutcome: accepted/opened succeed, failures and invalid users fail,
// disconnections have none.
func setOutcome(d map[string]any, action string) {
	switch {
	case strings.HasPrefix(action, "accept"), action == "opened":
		doc.Set(d, "event.outcome", "success")
	case strings.HasPrefix(action, "fail"), strings.HasPrefix(action, "invalid"), strings.HasPrefix(action, "err"), strings.HasPrefix(action, "authorizedkeys"):
		doc.Set(d, "event.outcome", "failure")
	case strings.Contains(action, "disconnect"), action == "reset", action == "closed":
	default:
		doc.Set(d, "event.outcome", "unknown")
	}
}

func sudoSu(d map[string]any, msg string) {
	doc.Set(d, "event.category", []any{"authentication"})
	if m := sudoCommand.FindStringSubmatch(msg); m != nil {
		doc.Set(d, "user.name", m[1])
		doc.Set(d, "process.command_line", strings.TrimSpace(m[3]))
		doc.Set(d, "event.action", "sudo")
		if m[2] != "" {
			doc.Set(d, "event.outcome", "failure")
		} else {
			doc.Set(d, "event.outcome", "success")
		}
		return
	}
	if m := pamAuthFail.FindStringSubmatch(msg); m != nil {
		doc.Set(d, "event.action", "authentication failure")
		doc.Set(d, "event.outcome", "failure")
		if m[1] != "" {
			doc.Set(d, "user.name", m[1])
		}
		if m[2] != "" {
			doc.Set(d, "user.target.name", m[2])
		}
		return
	}
	if m := pamSession.FindStringSubmatch(msg); m != nil {
		doc.Set(d, "event.action", "session "+m[1])
		if m[1] == "opened" {
			doc.Set(d, "event.outcome", "success")
		}
		if m[3] != "" {
			doc.Set(d, "user.name", m[3])
			doc.Set(d, "user.target.name", m[2])
		} else {
			doc.Set(d, "user.name", m[2])
		}
		return
	}
	if m := suFailed.FindStringSubmatch(msg); m != nil {
		doc.Set(d, "event.action", "su")
		doc.Set(d, "event.outcome", "failure")
		doc.Set(d, "user.name", m[2])
		doc.Set(d, "user.target.name", m[1])
	}
}
