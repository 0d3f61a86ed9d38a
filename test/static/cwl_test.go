package static_test

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/siemloader/siem/shared/logtype"
	_ "github.com/siemloader/siem/shared/logtypes/all"
	"github.com/siemloader/siem/shared/pipeline"
	"gopkg.in/yaml.v3"
)

const cwlTemplate = "templates/cwl-delivery.yaml"

// cwlSources: each Source of the CloudWatch Logs delivery template and the
// log type the loader must read its objects as.
var cwlSources = map[string]string{
	"rds-postgresql":      "rds-postgresql",
	"rds-mysql-audit":     "rds-mysql-audit",
	"rds-mysql-error":     "rds-mysql-error",
	"rds-mysql-general":   "rds-mysql-general",
	"rds-mysql-slowquery": "rds-mysql-slowquery",
	"linux-secure":        "linux-secure",
	"linux-system":        "linux-os-syslog",
	"apache-access":       "apache-access",
	"apache-error":        "apache-error",
	"nginx-access":        "nginx-access",
	"nginx-error":         "nginx-error",
	"clientvpn":           "clientvpn",
	"opensearch-audit":    "opensearch-audit",
	"cloudhsm":            "cloudhsm",
	"directory-service":   "directory-service",
	"windows-event":       "windows-event",
}

func loadCWLTemplate(t *testing.T) *template {
	t.Helper()
	tpl, err := parseTemplate(readFile(t, cwlTemplate))
	if err != nil {
		t.Fatalf("%s: %v", cwlTemplate, err)
	}
	return tpl
}

// firehoseKey is the key Firehose writes for an object of stream under
// the template's Prefix expression (a !Sub string): the stack's account
// and region, the hour's !{timestamp:...}, then Firehose's own object
// name <stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>.
func firehoseKey(sub string, vars map[string]string, stream string) string {
	key := regexp.MustCompile(`\$\{([A-Za-z:]+)\}`).ReplaceAllStringFunc(sub, func(m string) string {
		return vars[m[2:len(m)-1]]
	})
	key = strings.NewReplacer("!{timestamp:yyyy/MM/dd/HH}", "2024/03/04/05", "!{timestamp:yyyy}", "2024",
		"!{timestamp:MM}", "03", "!{timestamp:dd}", "04", "!{timestamp:HH}", "05").Replace(key)
	return key + stream + "-1-2024-03-04-05-00-00-0a1b2c3d-4e5f-6789-abcd-ef0123456789"
}

// Every Source's objects, at the key the Firehose stream writes them to,
// are detected as the intended log type by the registry (s3_key patterns
// and their order), with the default stream name in the key.
func TestCWLDeliveryKeysMatchLogTypes(t *testing.T) {
	tpl := loadCWLTemplate(t)
	allowed := path(tpl.top, "Parameters", "Source", "AllowedValues")
	var sources []string
	for _, v := range allowed.Content {
		sources = append(sources, v.Value)
	}
	if got := append([]string(nil), sources...); !slices.Equal(sorted(got), sortedKeys(cwlSources)) {
		t.Errorf("Source AllowedValues %v, the test knows %v", sources, sortedKeys(cwlSources))
	}
	mapping := path(tpl.top, "Mappings", "Sources")
	prefix := path(tpl.resource("DeliveryStream").Props, "ExtendedS3DestinationConfiguration", "Prefix")
	if prefix == nil || prefix.Tag != "!If" || len(prefix.Content) != 3 {
		t.Fatalf("Prefix is not !If [WebSource, web, other]")
	}
	web := prefix.Content[1].Value
	other := prefix.Content[2].Content[0].Value // !Sub [string, {Path: ...}]
	reg := logtype.Builtin()
	for _, src := range sources {
		want, ok := cwlSources[src]
		if !ok {
			t.Errorf("Source %s: the test does not know which log type it is", src)
			continue
		}
		p := path(mapping, src, "Path")
		if p == nil {
			t.Errorf("Source %s has no Mappings.Sources entry", src)
			continue
		}
		vars := map[string]string{"AWS::AccountId": "123456789012", "AWS::Region": "eu-west-1", "Source": src, "SiteName": "shop", "Path": p.Value}
		expr, stream := other, "siem-"+src
		if p.Value == "web" {
			expr, stream = web, "siem-"+src+"-shop"
		}
		key := firehoseKey(expr, vars, stream)
		def := reg.Detect(key)
		switch {
		case def == nil:
			t.Errorf("%s: no log type reads %s", src, key)
		case def.Name != want:
			t.Errorf("%s: %s is read as %s, want %s", src, key, def.Name, want)
		}
	}
	// Firehose's error output (named after the stream, so its type would
	// match) must be skipped as the loader's own output.
	ep := path(tpl.resource("DeliveryStream").Props, "ExtendedS3DestinationConfiguration", "ErrorOutputPrefix")
	errKey := firehoseKey(strings.ReplaceAll(ep.Value, "!{firehose:error-output-type}", "processing-failed"), map[string]string{"Source": "rds-postgresql"}, "siem-rds-postgresql")
	if !pipeline.DefaultOwnKeys.MatchString(errKey) {
		t.Errorf("Firehose error object %s would be loaded: put ErrorOutputPrefix under siem-loader/", errKey)
	}
}

// The delivery template's roles: Firehose (this account only) may write
// only under AWSLogs/ and siem-loader/firehose-errors/ of the log bucket; CloudWatch Logs
// (this account's log groups) may only put records into this stream.
func TestCWLDeliveryPolicies(t *testing.T) {
	tpl := loadCWLTemplate(t)
	check := func(role, service, condKey string) *yaml.Node {
		t.Helper()
		r := tpl.resource(role)
		if r == nil {
			t.Fatalf("no %s", role)
		}
		st := path(r.Props, "AssumeRolePolicyDocument", "Statement").Content[0]
		if got := path(st, "Principal", "Service").Value; got != service {
			t.Errorf("%s trusts %s, want %s", role, got, service)
		}
		cond := get(st, "Condition")
		if cond == nil || !strings.Contains(nodeText(cond), condKey) {
			t.Errorf("%s: trust without a %s condition (confused deputy)", role, condKey)
		}
		return path(r.Props, "Policies").Content[0]
	}
	deliver := nodeText(check("DeliveryRole", "firehose.amazonaws.com", "aws:SourceAccount"))
	for _, want := range []string{"s3:PutObject", "${LogBucketName}/AWSLogs/*", "${LogBucketName}/siem-loader/firehose-errors/*", "kms:ViaService"} {
		if !strings.Contains(deliver, want) {
			t.Errorf("DeliveryRole policy lacks %s", want)
		}
	}
	if strings.Contains(deliver, "s3:*") || strings.Contains(deliver, "s3:DeleteObject") || strings.Contains(deliver, "${LogBucketName}/*\"") {
		t.Errorf("DeliveryRole may do more than write the log prefixes:\n%s", deliver)
	}
	sub := nodeText(check("SubscriptionRole", "logs.amazonaws.com", "aws:SourceArn"))
	if !strings.Contains(sub, "firehose:PutRecordBatch") || !strings.Contains(sub, "DeliveryStream.Arn") || strings.Contains(sub, "firehose:*") {
		t.Errorf("SubscriptionRole policy:\n%s", sub)
	}
	if c := path(tpl.resource("DeliveryStream").Props, "ExtendedS3DestinationConfiguration", "CompressionFormat"); c == nil || c.Value != "UNCOMPRESSED" {
		t.Error("Firehose must not compress again: CloudWatch Logs subscription data is already gzip")
	}
}

func nodeText(n *yaml.Node) string {
	b, _ := yaml.Marshal(n)
	return string(b)
}

// cfn-lint on the delivery template (warnings fail too).
func TestCfnLintCWLDelivery(t *testing.T) {
	requireTool(t, "cfn-lint", "pip install cfn-lint")
	cmd := exec.Command("cfn-lint", cwlTemplate)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("cfn-lint %s: %v\n%s", cwlTemplate, err, out)
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
