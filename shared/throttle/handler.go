package throttle

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
)

// Request is what the switch function takes: {"action": "pause" |
// "resume" | "status"} from an operator, or a CloudWatch "Alarm State
// Change" event from EventBridge (the loader stopper): ALARM pauses, OK
// resumes, INSUFFICIENT_DATA changes nothing.
type Request struct {
	Action string `json:"action"`
	// Reason is an operator's note, repeated in the alert.
	Reason string `json:"reason"`

	DetailType string `json:"detail-type"`
	Account    string `json:"account"`
	Region     string `json:"region"`
	Detail     struct {
		AlarmName string `json:"alarmName"`
		State     struct {
			Value  string `json:"value"`
			Reason string `json:"reason"`
		} `json:"state"`
	} `json:"detail"`
}

// Result is the function's answer.
type Result struct {
	Action string `json:"action"`
	State  State  `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// Notifier publishes an operator alert (the SNS topic); nil sends none.
type Notifier interface {
	Notify(ctx context.Context, subject, message string) error
}

// Handle resolves the request to an action and runs it. A pause or resume
// that changes the switch is announced through n with the account, region
// and what to do.
func Handle(ctx context.Context, s Switch, n Notifier, payload []byte) (Result, error) {
	var r Request
	if err := json.Unmarshal(payload, &r); err != nil {
		return Result{}, fmt.Errorf("switch input: %w", err)
	}
	action, reason := strings.ToLower(r.Action), r.Reason
	if r.DetailType == "CloudWatch Alarm State Change" {
		switch r.Detail.State.Value {
		case "ALARM":
			action = "pause"
		case "OK":
			action = "resume"
		default:
			action = "status"
		}
		reason = fmt.Sprintf("alarm %s is %s: %s", r.Detail.AlarmName, r.Detail.State.Value, r.Detail.State.Reason)
	}
	before, err := s.State(ctx)
	if err != nil {
		return Result{}, err
	}
	var st State
	switch action {
	case "pause":
		st, err = s.Pause(ctx)
	case "resume":
		st, err = s.Resume(ctx)
	case "status", "":
		action = "status"
		st, err = s.State(ctx)
	default:
		return Result{}, fmt.Errorf("unknown action %q: want pause, resume or status", r.Action)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", action, err)
	}
	slog.InfoContext(ctx, "loader switch", "action", action, "paused", st.Paused, "load_concurrency", st.LoadConcurrency, "reason", reason)
	// Only a change is announced: a repeated alarm or invocation is not.
	if n != nil && action != "status" && before.Paused != st.Paused {
		subject, msg := alert(action, reason, r.Account, r.Region, st)
		if err := n.Notify(ctx, subject, msg); err != nil {
			// The switch is set; a lost alert must not undo or retry it.
			slog.ErrorContext(ctx, "alert not published", "error", err.Error())
		}
	}
	return Result{Action: action, State: st, Reason: reason}, nil
}

func alert(action, reason, account, region string, st State) (string, string) {
	where := strings.Trim(account+" "+region, " ")
	if action == "pause" {
		return "SIEM loader paused " + where, fmt.Sprintf(`The SIEM loader is paused (%s).

New log objects wait in the ingest queue (kept 14 days); running executions wait for the load function (reserved concurrency 0). Nothing is dropped or dead-lettered by the pause.
Account %s, region %s.
What to do: free or add storage on the OpenSearch cluster (delete old indices, add nodes or EBS), then resume: the free-storage alarm returning to OK resumes automatically, or invoke the switch function with {"action": "resume"}.
See README, "Pausing the loader".`, reason, account, region)
	}
	return "SIEM loader resumed " + where, fmt.Sprintf(`The SIEM loader is running again (%s): load concurrency %d; queued objects are being loaded.
Account %s, region %s.`, reason, st.LoadConcurrency, account, region)
}
