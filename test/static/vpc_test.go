package static_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// VPC mode: every function in the given subnets behind a security group
// that admits nothing; the domain, the collection's endpoint and the
// interface endpoints admit HTTPS from the functions only.
func TestTemplateVpcMode(t *testing.T) {
	tpl := loadTemplate(t)
	vpc := plain(path(tpl.top, "Globals", "Function", "VpcConfig"))
	if dig(vpc, "Fn::If", "#0") != "VpcMode" || !reflect.DeepEqual(dig(vpc, "Fn::If", "#1", "SecurityGroupIds"), []any{map[string]any{"Ref": "FunctionSecurityGroup"}}) ||
		!contains(dig(vpc, "Fn::If", "#1", "SubnetIds"), "VpcSubnetIds") {
		t.Errorf("Globals VpcConfig %v", vpc)
	}
	fsg := tpl.props("FunctionSecurityGroup")
	if fsg["SecurityGroupIngress"] != nil {
		t.Errorf("FunctionSecurityGroup admits %v", fsg["SecurityGroupIngress"])
	}
	for _, e := range fsg["SecurityGroupEgress"].([]any) {
		if dig(e, "FromPort") != "443" || dig(e, "ToPort") != "443" || dig(e, "IpProtocol") != "tcp" {
			t.Errorf("FunctionSecurityGroup egress %v: HTTPS only", e)
		}
	}
	hsg := tpl.props("VpcHttpsSecurityGroup")
	in := hsg["SecurityGroupIngress"].([]any)
	if len(in) != 1 || dig(in[0], "FromPort") != "443" || !reflect.DeepEqual(dig(in[0], "SourceSecurityGroupId"), map[string]any{"Ref": "FunctionSecurityGroup"}) {
		t.Errorf("VpcHttpsSecurityGroup ingress %v", in)
	}
	for id, svc := range map[string]string{"SqsEndpoint": "sqs", "StsEndpoint": "sts", "SecretsManagerEndpoint": "secretsmanager", "StepFunctionsEndpoint": "states", "LambdaEndpoint": "lambda", "MonitoringEndpoint": "monitoring", "SnsEndpoint": "sns"} {
		r := tpl.resource(id)
		p := tpl.props(id)
		if r == nil || get(r.Node, "Condition").Value != "CreateVpcEndpoints" || p["VpcEndpointType"] != "Interface" || p["PrivateDnsEnabled"] != "true" ||
			!reflect.DeepEqual(p["ServiceName"], map[string]any{"Fn::Sub": "com.amazonaws.${AWS::Region}." + svc}) ||
			!reflect.DeepEqual(p["SecurityGroupIds"], []any{map[string]any{"Ref": "VpcHttpsSecurityGroup"}}) {
			t.Errorf("%s: %v", id, p)
		}
	}
	if r := tpl.resource("S3GatewayEndpoint"); r == nil || get(r.Node, "Condition").Value != "CreateS3Endpoint" || tpl.props("S3GatewayEndpoint")["VpcEndpointType"] != "Gateway" {
		t.Error("S3GatewayEndpoint (Gateway, CreateS3Endpoint)")
	}
	dv := dig(tpl.props("OpenSearchDomain"), "VPCOptions", "Fn::If")
	if dig(dv, "#0") != "DomainInVpc" || !reflect.DeepEqual(dig(dv, "#1", "SecurityGroupIds"), []any{map[string]any{"Ref": "VpcHttpsSecurityGroup"}}) {
		t.Errorf("domain VPCOptions %v", dv)
	}
	nw := dig(tpl.props("CollectionNetworkPolicy"), "Policy", "Fn::If")
	if dig(nw, "#0") != "CollectionInVpc" {
		t.Fatalf("network policy %v", nw)
	}
	var p any
	src := strings.NewReplacer("${ClusterName}", "siem", "${CollectionVpcEndpoint}", "vpce-1").Replace(dig(nw, "#1", "Fn::Sub").(string))
	if err := json.Unmarshal([]byte(src), &p); err != nil || dig(p, "#0", "AllowFromPublic") != false || dig(p, "#0", "SourceVPCEs", "#0") != "vpce-1" {
		t.Errorf("VPC network policy %v %v", p, err)
	}
}
