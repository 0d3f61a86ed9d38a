// Package cloudhsm registers AWS CloudHSM audit logs: blocks of
// "Label : value" lines, one block per HSM command.
package cloudhsm

import (
	"bufio"
	"bytes"
	"cmp"
	_ "embed"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/siemloader/siem/shared/doc"
	"github.com/siemloader/siem/shared/logtype"
)

//go:embed logtype.yaml
var definition []byte

func init() {
	logtype.Register(logtype.Package{YAML: definition, Transform: Transform, Decoder: logtype.BytesDecoder(Decode)})
}

var (
	timeLine = regexp.MustCompile(`^Time: (\d{2}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\.\d+)(?:, usecs:(\d+))?`)
	// "CN_LOGIN (0xd)": a name with its code.
	named = regexp.MustCompile(`^(.*?) \(((?:0x)?[0-9a-fA-F]+)\)$`)
	ident = regexp.MustCompile(`\W+`)
)

// Decode reads one audit block into fields named after its labels
// ("Sequence No" -> sequence_no); a value "NAME (code)" also gives
// <label>_code.
func Decode(raw []byte) (map[string]any, error) {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	out := map[string]any{}
	first := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if first {
			m := timeLine.FindStringSubmatch(line)
			if m == nil {
				return nil, errors.New(`audit block does not start with "Time: mm/dd/yy hh:mm:ss.usec"`)
			}
			out["timestamp"] = m[1]
			if m[2] != "" {
				out["timestamp_usec"] = m[2]
			}
			first = false
			continue
		}
		label, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key := strings.Trim(ident.ReplaceAllString(strings.ToLower(strings.TrimSpace(label)), "_"), "_")
		value = strings.TrimSpace(value)
		if key == "" || value == "" {
			continue
		}
		if m := named.FindStringSubmatch(value); m != nil {
			out[key] = m[1]
			out[key+"_code"] = m[2]
		} else {
			out[key] = value
		}
	}
	if first {
		return nil, errors.New("empty audit block")
	}
	return out, nil
}

var (
	keyIDs = regexp.MustCompile(`(?:^|\W)(cluster-[1-9a-z]{11})\W.*/(hsm-[1-9a-z]{11})(?:\W|$)`)
	// Commands about a user's own session, and those acting on another user.
	sessionOps = map[string]bool{"CN_LOGIN": true, "CN_LOGOUT": true, "CN_APP_FINALIZE": true, "CN_CLOSE_SESSION": true}
	targetOps  = map[string]bool{"CN_CREATE_USER": true, "CN_CREATE_CO": true, "CN_CREATE_APPLIANCE_USER": true, "CN_DELETE_USER": true, "CN_SET_M_VALUE": true, "CN_CHANGE_PSWD": true, "CN_APPROVE_TOKEN": true}
)

// Transform names the cluster and HSM (log group and stream, or the key),
// builds the record's id, turns the hex counters into numbers and reads
// the user or the target user by command.
func Transform(d map[string]any, r *logtype.Result) error {
	cluster, hsm := "", doc.GetString(d, "@log_stream")
	if parts := strings.Split(doc.GetString(d, "@log_group"), "/"); len(parts) > 3 {
		cluster = parts[3] // /aws/cloudhsm/cluster-xxxxxxxxxxx
	}
	if m := keyIDs.FindStringSubmatch(doc.GetString(d, "@log_s3key")); m != nil && (cluster == "" || hsm == "") {
		cluster, hsm = m[1], m[2]
	}
	if cluster != "" {
		doc.Set(d, "cloudhsm.cluster_id", cluster)
	}
	if hsm != "" {
		doc.Set(d, "cloudhsm.hsm_id", hsm)
		doc.Set(d, "cloud.instance.id", hsm)
		doc.Set(d, "related.hosts", []any{hsm})
	}
	for _, k := range []string{"sequence_no", "reboot_counter"} {
		if s := doc.GetString(d, k); strings.HasPrefix(s, "0x") {
			if n, err := strconv.ParseInt(s[2:], 16, 64); err == nil {
				d[k] = n
			}
		}
	}
	seq := doc.GetString(d, "sequence_no")
	if n, ok := d["sequence_no"].(int64); ok {
		seq = strconv.FormatInt(n, 10)
	}
	r.ID = cmp.Or(hsm, "unknown-hsm") + "_" + seq + "_" + cmp.Or(doc.GetString(d, "timestamp_usec"), doc.GetString(d, "timestamp"))
	op := cmp.Or(doc.GetString(d, "opcode"), doc.GetString(d, "opcode_v2"))
	if op != "" {
		doc.Set(d, "event.action", op)
	}
	switch {
	case sessionOps[op]:
		setUser(d, "user", doc.GetString(d, "user_name"), doc.GetString(d, "user_type"), "")
		doc.Set(d, "event.category", []any{"authentication"})
	case targetOps[op]:
		if doc.GetString(d, "target_user_name") != "" {
			setUser(d, "user", doc.GetString(d, "user_name"), doc.GetString(d, "user_type"), "")
		}
		setUser(d, "user.target", cmp.Or(doc.GetString(d, "target_user_name"), doc.GetString(d, "user_name")),
			cmp.Or(doc.GetString(d, "target_user_type"), doc.GetString(d, "user_type")), doc.GetString(d, "target_user_id"))
		doc.Set(d, "event.category", []any{"iam"})
	}
	// The HSM answers every command it ran; a failed one has no return.
	if strings.Contains(doc.GetString(d, "response"), "SUCCESS") || doc.GetString(d, "hsm_return") != "" {
		doc.Set(d, "event.outcome", "success")
	} else {
		doc.Set(d, "event.outcome", "failure")
	}
	return nil
}

func setUser(d map[string]any, at, name, typ, id string) {
	if name != "" {
		doc.Set(d, at+".name", name)
		cur, _ := doc.Get(d, "related.user")
		l, _ := cur.([]any)
		doc.Set(d, "related.user", append(l, name))
	}
	if typ != "" {
		doc.Set(d, at+".roles", []any{typ})
	}
	if id != "" {
		doc.Set(d, at+".id", id)
	}
}
