package useragent

import "testing"

func TestEnrich(t *testing.T) {
	cases := []struct {
		ua                                    any
		name, version, osName, osFull, device string
	}{
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.83 Safari/537.36",
			"Chrome", "99.0.4844", "Mac OS X", "Mac OS X 10.15.7", "Mac"},
		{"Mozilla/5.0%20(iPhone;%20CPU%20iPhone%20OS%2017_3%20like%20Mac%20OS%20X)%20AppleWebKit/605.1.15%20(KHTML,%20like%20Gecko)%20Version/17.3%20Mobile/15E148%20Safari/604.1",
			"Mobile Safari", "17.3", "iOS", "iOS 17.3", "iPhone"},
		{[]any{"aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.amzn.2023 prompt/off command/s3.ls"},
			"aws-cli", "2.15.0", "Linux", "Linux 6.1.0", "Other"},
		{"curl/8.4.0", "curl", "8.4.0", "Other", "Other", "Other"},
	}
	p := Default()
	for _, c := range cases {
		d := map[string]any{"user_agent": map[string]any{"original": c.ua}}
		p.Enrich(d, "user_agent")
		ua := d["user_agent"].(map[string]any)
		os, _ := ua["os"].(map[string]any)
		dev, _ := ua["device"].(map[string]any)
		if ua["name"] != c.name || ua["version"] != c.version || os["name"] != c.osName || os["full"] != c.osFull || dev["name"] != c.device {
			t.Errorf("%v: %v", c.ua, ua)
		}
	}
	// "-" and missing agents are left alone.
	d := map[string]any{"user_agent": map[string]any{"original": "-"}}
	p.Enrich(d, "user_agent")
	if len(d["user_agent"].(map[string]any)) != 1 {
		t.Errorf("'-' parsed: %v", d)
	}
}

func BenchmarkParseCached(b *testing.B) {
	p := Default()
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	p.Parse(ua)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Parse(ua)
	}
}
