package static_test

import (
	pathpkg "path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// statement is one policy statement with the condition it is under
// (!If [Cond, statement, AWS::NoValue]), "" when unconditional.
type statement struct {
	Under string
	S     map[string]any
}

func statements(doc any) []statement {
	var out []statement
	list, _ := dig(doc, "Statement").([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			if ifv, ok := m["Fn::If"].([]any); ok && len(ifv) == 3 {
				if s, ok := ifv[1].(map[string]any); ok {
					out = append(out, statement{Under: ifv[0].(string), S: s})
				}
				continue
			}
			out = append(out, statement{S: m})
		}
	}
	return out
}

func bySid(sts []statement) map[string]statement {
	out := map[string]statement{}
	for _, s := range sts {
		if sid, _ := s.S["Sid"].(string); sid != "" {
			out[sid] = s
		}
	}
	return out
}

// strs flattens a string or a list of strings.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, strs(e)...)
		}
		sort.Strings(out)
		return out
	}
	return nil
}

// subs returns the !Sub strings of a Resource value.
func subs(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["Fn::Sub"].(string); ok {
			out = append(out, s)
		}
		if g, ok := x["Fn::GetAtt"].([]any); ok {
			out = append(out, "${"+g[0].(string)+"."+g[1].(string)+"}")
		}
	case []any:
		for _, e := range x {
			out = append(out, subs(e)...)
		}
	}
	return out
}

// allows reports whether an IAM resource pattern (${...} resolved by
// vars, * any run of characters) matches arn.
func allows(pattern string, vars map[string]string, arn string) bool {
	for k, v := range vars {
		pattern = strings.ReplaceAll(pattern, "${"+k+"}", v)
	}
	// path.Match's * stops at '/', IAM's does not: compare with '/' hidden.
	ok, _ := pathpkg.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(arn, "/", "\x00"))
	return ok
}

const acct = "111122223333"

var vars = map[string]string{"LogBucket.Arn": "arn:aws:s3:::logs", "AWS::AccountId": acct, "AWS::Partition": "aws"}

// Every bucket blocks public access and denies plain HTTP.
func TestBucketsBlockPublicAccessAndRequireTLS(t *testing.T) {
	tpl := loadTemplate(t)
	policies := map[string]any{}
	for _, r := range tpl.resources() {
		if r.Type == "AWS::S3::BucketPolicy" {
			p := plain(r.Props).(map[string]any)
			if ref, ok := p["Bucket"].(map[string]any); ok {
				policies[ref["Ref"].(string)] = p["PolicyDocument"]
			}
		}
	}
	for _, r := range tpl.resources() {
		if r.Type != "AWS::S3::Bucket" {
			continue
		}
		pab := dig(tpl.props(r.ID), "PublicAccessBlockConfiguration")
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if dig(pab, k) != "true" {
				t.Errorf("%s: PublicAccessBlockConfiguration.%s is not true", r.ID, k)
			}
		}
		doc, ok := policies[r.ID]
		if !ok {
			t.Errorf("%s has no bucket policy", r.ID)
			continue
		}
		tls, ok := bySid(statements(doc))["EnforceTLS"]
		if !ok || tls.Under != "" || tls.S["Effect"] != "Deny" || tls.S["Principal"] != "*" || tls.S["Action"] != "s3:*" ||
			dig(tls.S, "Condition", "Bool", "aws:SecureTransport") != "false" || len(subs(tls.S["Resource"])) != 2 {
			t.Errorf("%s: no unconditional EnforceTLS deny on the bucket and its objects: %v", r.ID, tls.S)
		}
	}
}

// The log bucket policy lets the services deliver where the log types
// expect their keys, only for this account (or the organization), and
// nothing else: every Allow to a service or to "*" carries a source
// condition.
func TestLogBucketPolicy(t *testing.T) {
	tpl := loadTemplate(t)
	sts := statements(dig(tpl.props("LogBucketPolicy"), "PolicyDocument"))
	sids := bySid(sts)
	services := []string{"cloudtrail.amazonaws.com", "config.amazonaws.com", "delivery.logs.amazonaws.com", "guardduty.amazonaws.com"}
	elb := "logdelivery.elasticloadbalancing.amazonaws.com"
	for _, tc := range []struct {
		sid, under, condKey, condValue string
		principals                     []string
		actions                        []string
	}{
		{"ServiceBucketCheck", "", "aws:SourceAccount", "AWS::AccountId", services, []string{"s3:GetBucketAcl", "s3:GetBucketLocation", "s3:ListBucket"}},
		{"ServiceDelivery", "", "aws:SourceAccount", "AWS::AccountId", append(slices.Clone(services), elb), []string{"s3:PutObject"}},
		{"OrganizationServiceBucketCheck", "HasOrganization", "aws:SourceOrgID", "OrganizationId", services, []string{"s3:GetBucketAcl", "s3:GetBucketLocation", "s3:ListBucket"}},
		{"OrganizationServiceDelivery", "HasOrganization", "aws:SourceOrgID", "OrganizationId", append(slices.Clone(services), elb), []string{"s3:PutObject"}},
		{"OrganizationWriteAndReplicate", "HasOrganization", "aws:PrincipalOrgID", "OrganizationId", nil, []string{"s3:ObjectOwnerOverrideToBucketOwner", "s3:PutObject", "s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"}},
	} {
		s, ok := sids[tc.sid]
		if !ok {
			t.Errorf("no statement %s", tc.sid)
			continue
		}
		if s.Under != tc.under || s.S["Effect"] != "Allow" {
			t.Errorf("%s: under %q effect %v", tc.sid, s.Under, s.S["Effect"])
		}
		if tc.principals != nil {
			want := slices.Clone(tc.principals)
			sort.Strings(want)
			if got := strs(dig(s.S, "Principal", "Service")); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: principals %v, want %v", tc.sid, got, want)
			}
		} else if s.S["Principal"] != "*" {
			t.Errorf("%s: principal %v", tc.sid, s.S["Principal"])
		}
		if got := strs(s.S["Action"]); !reflect.DeepEqual(got, tc.actions) {
			t.Errorf("%s: actions %v, want %v", tc.sid, got, tc.actions)
		}
		if got := dig(s.S, "Condition", "StringEquals", tc.condKey); !reflect.DeepEqual(got, map[string]any{"Ref": tc.condValue}) {
			t.Errorf("%s: condition %s = %v, want !Ref %s", tc.sid, tc.condKey, got, tc.condValue)
		}
	}
	for _, s := range sts {
		if s.S["Effect"] != "Allow" {
			continue
		}
		if (s.S["Principal"] == "*" || dig(s.S, "Principal", "Service") != nil) && s.S["Condition"] == nil {
			t.Errorf("%v: an Allow to a service or to * without a condition", s.S["Sid"])
		}
	}
	elbAcct, ok := sids["ElbAccountDelivery"]
	if !ok || elbAcct.Under != "ElbLegacyRegion" || !contains(elbAcct.S["Principal"], "ElbAccounts") {
		t.Errorf("ElbAccountDelivery: %v", elbAcct)
	}

	// Keys as the services write them (the log types' layouts).
	allowed := func(sid, key string) bool {
		for _, p := range subs(sids[sid].S["Resource"]) {
			if allows(p, vars, "arn:aws:s3:::logs/"+key) {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		key     string
		account bool // delivered for this account: ServiceDelivery
		org     bool // OrganizationServiceDelivery
	}{
		{"AWSLogs/" + acct + "/CloudTrail/eu-west-1/2025/01/02/" + acct + "_CloudTrail_eu-west-1_20250102T0000Z_abc.json.gz", true, true},
		{"AWSLogs/o-abcdefghij/" + acct + "/CloudTrail/eu-west-1/2025/01/02/x.json.gz", false, true},
		{"AWSLogs/" + acct + "/Config/eu-west-1/2025/1/2/ConfigHistory/x.json.gz", true, true},
		{"AWSLogs/" + acct + "/vpcflowlogs/eu-west-1/2025/01/02/x.log.gz", true, true},
		{"alb/AWSLogs/" + acct + "/elasticloadbalancing/eu-west-1/2025/01/02/x.log.gz", true, true},
		{"AWSLogs/" + acct + "/GuardDuty/eu-west-1/2025/01/02/x.jsonl.gz", true, true},
		{"AWSLogs/444455556666/vpcflowlogs/eu-west-1/2025/01/02/x.log.gz", false, true},
		{"elsewhere/x.log.gz", false, false},
	} {
		if got := allowed("ServiceDelivery", tc.key); got != tc.account {
			t.Errorf("ServiceDelivery on %s: %v, want %v", tc.key, got, tc.account)
		}
		if got := allowed("OrganizationServiceDelivery", tc.key); got != tc.org {
			t.Errorf("OrganizationServiceDelivery on %s: %v, want %v", tc.key, got, tc.org)
		}
	}
}

// The ELB account map and the ElbLegacyRegion condition list the same
// regions (a mapped region outside the condition would never be used, a
// region in the condition but not mapped fails the deploy).
func TestElbAccountsMatchCondition(t *testing.T) {
	tpl := loadTemplate(t)
	mapped := keys(path2(tpl, "Mappings", "ElbAccounts"))
	var cond []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if eq, ok := x["Fn::Equals"].([]any); ok && len(eq) == 2 && reflect.DeepEqual(eq[0], map[string]any{"Ref": "AWS::Region"}) {
				cond = append(cond, eq[1].(string))
				return
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(plain(path2(tpl, "Conditions", "ElbLegacyRegion")))
	sort.Strings(mapped)
	sort.Strings(cond)
	if len(mapped) < 20 || !reflect.DeepEqual(mapped, cond) {
		t.Errorf("ElbAccounts %v\nElbLegacyRegion %v", mapped, cond)
	}
	for _, r := range mapped {
		a := dig(plain(path2(tpl, "Mappings", "ElbAccounts", r)), "Account")
		if s, _ := a.(string); len(s) != 12 {
			t.Errorf("ElbAccounts.%s.Account = %v", r, a)
		}
	}
}

func path2(tpl *template, keys ...string) *yaml.Node { return path(tpl.top, keys...) }

// The optional key: the bucket uses it only when created, and its policy
// lets the delivering services encrypt (bound to this account or the
// organization) and this stack's functions decrypt through S3.
func TestLogBucketKey(t *testing.T) {
	tpl := loadTemplate(t)
	r := tpl.resource("LogBucketKey")
	if r == nil || get(r.Node, "Condition").Value != "CreateLogBucketKey" || tpl.resource("LogBucketKeyAlias") == nil {
		t.Fatal("LogBucketKey (Condition CreateLogBucketKey) and its alias")
	}
	if dig(tpl.props("LogBucketKey"), "EnableKeyRotation") != "true" {
		t.Error("key rotation off")
	}
	enc := dig(tpl.props("LogBucket"), "BucketEncryption", "ServerSideEncryptionConfiguration", "#0", "Fn::If")
	if dig(enc, "#0") != "CreateLogBucketKey" || dig(enc, "#1", "ServerSideEncryptionByDefault", "SSEAlgorithm") != "aws:kms" ||
		!reflect.DeepEqual(dig(enc, "#1", "ServerSideEncryptionByDefault", "KMSMasterKeyID"), map[string]any{"Fn::GetAtt": []any{"LogBucketKey", "Arn"}}) ||
		dig(enc, "#2", "ServerSideEncryptionByDefault", "SSEAlgorithm") != "AES256" {
		t.Errorf("LogBucket encryption %v", enc)
	}
	sids := bySid(statements(dig(tpl.props("LogBucketKey"), "KeyPolicy")))
	if s := sids["AccountAdministers"]; !contains(s.S["Principal"], "arn:${AWS::Partition}:iam::${AWS::AccountId}:root") {
		t.Errorf("AccountAdministers %v", s.S)
	}
	if s := sids["CloudTrailEncrypts"]; !contains(s.S["Principal"], "cloudtrail.amazonaws.com") || !contains(s.S["Action"], "kms:GenerateDataKey*") ||
		dig(s.S, "Condition", "StringLike", "kms:EncryptionContext:aws:cloudtrail:arn") == nil {
		t.Errorf("CloudTrailEncrypts %v", s.S)
	}
	s := sids["ServicesEncrypt"]
	for _, svc := range []string{"config.amazonaws.com", "delivery.logs.amazonaws.com", "guardduty.amazonaws.com"} {
		if !contains(s.S["Principal"], svc) {
			t.Errorf("ServicesEncrypt lacks %s", svc)
		}
	}
	if !reflect.DeepEqual(dig(s.S, "Condition", "StringEquals", "aws:SourceAccount"), map[string]any{"Ref": "AWS::AccountId"}) {
		t.Errorf("ServicesEncrypt condition %v", s.S["Condition"])
	}
	for _, sid := range []string{"OrganizationServicesEncrypt", "OrganizationPrincipalsEncrypt"} {
		if sids[sid].Under != "HasOrganization" || !contains(sids[sid].S["Condition"], "OrganizationId") {
			t.Errorf("%s %v", sid, sids[sid])
		}
	}
	d := sids["StackFunctionsDecrypt"]
	if strs(d.S["Action"])[0] != "kms:Decrypt" || !strings.Contains(dig(d.S, "Condition", "StringEquals", "kms:ViaService", "Fn::Sub").(string), "s3.") ||
		!strings.Contains(dig(d.S, "Condition", "ArnLike", "aws:PrincipalArn", "Fn::Sub").(string), ":role/${AWS::StackName}-") {
		t.Errorf("StackFunctionsDecrypt %v", d.S)
	}
}
