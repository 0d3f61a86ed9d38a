package main

import (
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	env := map[string]string{"DISPATCHER_FUNCTION": "siem-Notifications", "LOAD_FUNCTION": "siem-Load", "LOAD_CONCURRENCY": "10", "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:siem-alert"}
	sw, topic, err := fromEnv(func(k string) string { return env[k] })
	if err != nil || sw.Dispatcher != "siem-Notifications" || sw.Loader != "siem-Load" || sw.Concurrency != 10 || topic != env["ALERT_TOPIC_ARN"] {
		t.Errorf("%+v %q %v", sw, topic, err)
	}
	env["LOAD_CONCURRENCY"] = "0"
	if _, _, err := fromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "LOAD_CONCURRENCY") {
		t.Errorf("concurrency 0 would leave the loader paused on resume: %v", err)
	}
}
