// Package all links every built-in log type into a binary.
package all

import (
	_ "github.com/siemloader/siem/shared/logtypes/alb"
	_ "github.com/siemloader/siem/shared/logtypes/asff"
	_ "github.com/siemloader/siem/shared/logtypes/awsconfig"
	_ "github.com/siemloader/siem/shared/logtypes/clb"
	_ "github.com/siemloader/siem/shared/logtypes/clientvpn"
	_ "github.com/siemloader/siem/shared/logtypes/cloudfront"
	_ "github.com/siemloader/siem/shared/logtypes/cloudtrail"
	_ "github.com/siemloader/siem/shared/logtypes/deepsecurity"
	_ "github.com/siemloader/siem/shared/logtypes/elasticache"
	_ "github.com/siemloader/siem/shared/logtypes/guardduty"
	_ "github.com/siemloader/siem/shared/logtypes/indexmetrics"
	_ "github.com/siemloader/siem/shared/logtypes/inspector"
	_ "github.com/siemloader/siem/shared/logtypes/linux"
	_ "github.com/siemloader/siem/shared/logtypes/networkfirewall"
	_ "github.com/siemloader/siem/shared/logtypes/nlb"
	_ "github.com/siemloader/siem/shared/logtypes/ocsf"
	_ "github.com/siemloader/siem/shared/logtypes/okta"
	_ "github.com/siemloader/siem/shared/logtypes/opensearchaudit"
	_ "github.com/siemloader/siem/shared/logtypes/route53resolver"
	_ "github.com/siemloader/siem/shared/logtypes/s3accesslog"
	_ "github.com/siemloader/siem/shared/logtypes/trustedadvisor"
	_ "github.com/siemloader/siem/shared/logtypes/vpcflow"
	_ "github.com/siemloader/siem/shared/logtypes/waf"
	_ "github.com/siemloader/siem/shared/logtypes/workspaces"
)
