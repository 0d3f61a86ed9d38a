package static_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A created domain is encrypted at rest and between nodes, HTTPS only with
// TLS 1.2 or later, with fine-grained access control whose master password
// is generated in Secrets Manager, and outlives the stack.
func TestTemplateDomain(t *testing.T) {
	tpl := loadTemplate(t)
	r := tpl.resource("OpenSearchDomain")
	if r == nil || get(r.Node, "Condition").Value != "CreateDomain" || get(r.Node, "DeletionPolicy").Value != "Retain" {
		t.Fatal("OpenSearchDomain: Condition CreateDomain, DeletionPolicy Retain")
	}
	d := tpl.props("OpenSearchDomain")
	for _, c := range []struct {
		path []string
		want any
	}{
		{[]string{"EncryptionAtRestOptions", "Enabled"}, "true"},
		{[]string{"EncryptionAtRestOptions", "KmsKeyId"}, map[string]any{"Fn::If": []any{"CreateLogBucketKey", map[string]any{"Ref": "LogBucketKey"}, map[string]any{"Ref": "AWS::NoValue"}}}},
		{[]string{"NodeToNodeEncryptionOptions", "Enabled"}, "true"},
		{[]string{"DomainEndpointOptions", "EnforceHTTPS"}, "true"},
		{[]string{"AdvancedSecurityOptions", "Enabled"}, "true"},
		{[]string{"AdvancedSecurityOptions", "InternalUserDatabaseEnabled"}, "true"},
		{[]string{"AdvancedSecurityOptions", "MasterUserOptions", "MasterUserPassword"}, map[string]any{"Fn::Sub": "{{resolve:secretsmanager:${OpenSearchMasterSecret}:SecretString:password}}"}},
		{[]string{"EBSOptions", "EBSEnabled"}, "true"},
		{[]string{"DomainName"}, map[string]any{"Ref": "ClusterName"}},
	} {
		if got := dig(d, c.path...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("OpenSearchDomain.%s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
	if tls, _ := dig(d, "DomainEndpointOptions", "TLSSecurityPolicy").(string); !strings.HasPrefix(tls, "Policy-Min-TLS-1-2") {
		t.Errorf("TLSSecurityPolicy %q", tls)
	}
	// The resource policy names only this domain; FGAC authenticates.
	st := statements(dig(d, "AccessPolicies"))
	if len(st) != 1 || !reflect.DeepEqual(st[0].S["Resource"], map[string]any{"Fn::Sub": "arn:${AWS::Partition}:es:${AWS::Region}:${AWS::AccountId}:domain/${ClusterName}/*"}) {
		t.Errorf("AccessPolicies %v", st)
	}
	sec := tpl.props("OpenSearchMasterSecret")
	if n := dig(sec, "GenerateSecretString", "PasswordLength"); n != "32" || dig(sec, "GenerateSecretString", "GenerateStringKey") != "password" ||
		!strings.Contains(dig(sec, "GenerateSecretString", "SecretStringTemplate", "Fn::Sub").(string), `"username": "${DomainMasterUserName}"`) {
		t.Errorf("OpenSearchMasterSecret %v", sec)
	}
	// The configurator signs in as the master user of a created domain.
	env := dig(tpl.props("ConfigureFunction"), "Environment", "Variables")
	if !reflect.DeepEqual(dig(env, "OPENSEARCH_AUTH"), map[string]any{"Fn::If": []any{"UseCreatedDomain", "basic", map[string]any{"Ref": "OpenSearchAuth"}}}) ||
		!reflect.DeepEqual(dig(env, "OPENSEARCH_SECRET_ARN"), map[string]any{"Fn::If": []any{"UseCreatedDomain", map[string]any{"Ref": "OpenSearchMasterSecret"}, map[string]any{"Ref": "OpenSearchSecretArn"}}}) {
		t.Errorf("ConfigureFunction auth %v %v", dig(env, "OPENSEARCH_AUTH"), dig(env, "OPENSEARCH_SECRET_ARN"))
	}
	if !contains(dig(tpl.props("ConfigureFunction"), "Policies"), "OpenSearchMasterSecret") {
		t.Error("ConfigureFunction cannot read OpenSearchMasterSecret")
	}
	// Every function learns the created endpoint.
	g := plain(path(tpl.top, "Globals", "Function", "Environment", "Variables", "OPENSEARCH_STACK_ENDPOINT"))
	if !contains(g, "OpenSearchDomain") || !contains(g, "OpenSearchCollection") {
		t.Errorf("Globals OPENSEARCH_STACK_ENDPOINT %v", g)
	}
}

// resolveSub substitutes ${Name} in a !Sub string with sample values.
func resolveSub(s string, vals map[string]string) string {
	for k, v := range vals {
		s = strings.ReplaceAll(s, "${"+k+"}", v)
	}
	return s
}

// A created collection has encryption, network and data access policies
// that parse as the JSON OpenSearch Serverless takes, scoped to the
// collection, and the loader's roles may write log-* and metrics-*.
func TestTemplateCollection(t *testing.T) {
	tpl := loadTemplate(t)
	col := tpl.resource("OpenSearchCollection")
	if col == nil || get(col.Node, "Condition").Value != "CreateCollection" || dig(tpl.props("OpenSearchCollection"), "Type") != "TIMESERIES" {
		t.Fatal("OpenSearchCollection (CreateCollection, TIMESERIES)")
	}
	if deps := plain(get(col.Node, "DependsOn")); !contains(deps, "CollectionEncryptionPolicy") || !contains(deps, "CollectionNetworkPolicy") {
		t.Errorf("collection DependsOn %v", deps)
	}
	vals := map[string]string{"ClusterName": "siem", "LogBucketKey.Arn": "arn:aws:kms:eu-west-1:111122223333:key/k"}
	parse := func(what, s string) any {
		var v any
		if err := json.Unmarshal([]byte(resolveSub(s, vals)), &v); err != nil {
			t.Errorf("%s: %v\n%s", what, err, s)
		}
		if strings.Contains(resolveSub(s, vals), "${") {
			t.Errorf("%s: unresolved placeholder in %s", what, s)
		}
		return v
	}
	enc := dig(tpl.props("CollectionEncryptionPolicy"), "Policy", "Fn::If")
	if dig(enc, "#0") != "CreateLogBucketKey" {
		t.Fatalf("encryption policy %v", enc)
	}
	kms := parse("encryption (KMS)", dig(enc, "#1", "Fn::Sub").(string))
	owned := parse("encryption (AWS owned)", dig(enc, "#2", "Fn::Sub").(string))
	if dig(kms, "KmsARN") != vals["LogBucketKey.Arn"] || dig(owned, "AWSOwnedKey") != true || dig(kms, "Rules", "#0", "Resource", "#0") != "collection/siem" {
		t.Errorf("encryption policies %v / %v", kms, owned)
	}
	net := parse("network", dig(tpl.props("CollectionNetworkPolicy"), "Policy", "Fn::If", "#2", "Fn::Sub").(string))
	if dig(net, "#0", "Rules", "#1", "ResourceType") != "dashboard" {
		t.Errorf("network policy %v", net)
	}
	data := dig(tpl.props("CollectionAccessPolicy"), "Policy", "Fn::Sub").([]any)
	vals["Loaders"] = `arn:aws:iam::1:role/a","arn:aws:iam::1:role/b`
	admins := dig(data[1], "Admins", "Fn::If")
	for _, a := range []string{"", resolveSub(dig(admins, "#1", "Fn::Sub", "#0").(string), map[string]string{"ClusterName": "siem", "Principals": "arn:aws:iam::1:user/me"})} {
		vals["Admins"] = a
		p := parse("data access", data[0].(string))
		rules := dig(p, "#0", "Rules")
		if !reflect.DeepEqual(dig(rules, "#0", "Resource"), []any{"index/siem/log-*", "index/siem/metrics-*"}) || !contains(dig(rules, "#0", "Permission"), "aoss:WriteDocument") ||
			!reflect.DeepEqual(dig(p, "#0", "Principal"), []any{"arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"}) {
			t.Errorf("data access policy %v", p)
		}
		if a != "" && dig(p, "#1", "Principal", "#0") != "arn:aws:iam::1:user/me" {
			t.Errorf("admins %v", p)
		}
	}
	loaders := dig(data[1], "Loaders")
	for _, role := range []string{"ReplayFunctionRole", "ConfigureFunctionRole"} {
		if !contains(loaders, role) {
			t.Errorf("data access policy lacks %s", role)
		}
	}
}

// cfn-lint on the template as deployed with the parameter combinations
// that change what is created (the defaults are linted by TestCfnLint).
func TestCfnLintParameterCombinations(t *testing.T) {
	requireTool(t, "cfn-lint", "pip install cfn-lint")
	src := string(readFile(t, "template.yaml"))
	dir := t.TempDir()
	var files []string
	for name, defaults := range map[string]map[string]string{
		"domain+kms+org":      {"OpenSearchDeployment": "domain", "LogBucketKmsKey": `"true"`, "OrganizationId": "o-abcdefghij", "DomainInstanceCount": "2"},
		"serverless+admins":   {"OpenSearchDeployment": "serverless", "CollectionAdminPrincipals": "arn:aws:iam::111122223333:role/admin", "LogBucketKmsKey": `"true"`},
		"existing+endpoint":   {"OpenSearchEndpoint": "https://search-x.eu-west-1.es.amazonaws.com", "DashboardsImport": `"warn"`},
		"serverless+endpoint": {"OpenSearchDeployment": "serverless", "OpenSearchEndpoint": "https://x.eu-west-1.aoss.amazonaws.com"},
		"domain+vpc+endpoints": {"OpenSearchDeployment": "domain", "VpcSubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1", "VpcId": "vpc-0123456789abcdef0",
			"VpcEndpoints": `"true"`, "VpcRouteTableIds": "rtb-0123456789abcdef0", "DomainInstanceCount": "2"},
		"serverless+vpc": {"OpenSearchDeployment": "serverless", "VpcSubnetIds": "subnet-0123456789abcdef0", "VpcId": "vpc-0123456789abcdef0"},
		// A named existing domain (the exporter's and loader's grants name
		// it), basic auth, extra buckets and a log archive role (the
		// backfill lists them).
		"existing+domainarn+basic+sources": {"OpenSearchEndpoint": "https://search-x.eu-west-1.es.amazonaws.com",
			"OpenSearchDomainArn": "arn:aws:es:eu-west-1:111122223333:domain/x", "OpenSearchAuth": "basic",
			"OpenSearchSecretArn": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:siem-abc", "ExtraLogBuckets": "other-logs,more-logs",
			"LogArchiveRoleArn": "arn:aws:iam::444455556666:role/siem-read", "LogArchiveBuckets": "archive-*"},
	} {
		out := src
		for param, v := range defaults {
			out = setDefault(t, out, param, v)
		}
		f := filepath.Join(dir, strings.ReplaceAll(name, "+", "_")+".yaml")
		if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	// One cfn-lint for all (its start-up is most of the cost).
	if b, err := exec.Command("cfn-lint", files...).CombinedOutput(); err != nil || len(strings.TrimSpace(string(b))) > 0 {
		t.Errorf("cfn-lint on the combinations: %v\n%s", err, b)
	}
}

// setDefault rewrites the Default line of a parameter.
func setDefault(t *testing.T, tpl, param, value string) string {
	t.Helper()
	i := strings.Index(tpl, "\n  "+param+":\n")
	if i < 0 {
		t.Fatalf("no parameter %s", param)
	}
	j := strings.Index(tpl[i:], "\n    Default: ")
	if j < 0 {
		t.Fatalf("parameter %s has no Default", param)
	}
	j += i + 1
	k := strings.Index(tpl[j:], "\n") + j
	return tpl[:j] + "    Default: " + value + tpl[k:]
}
