package static_test

import (
	"reflect"
	"testing"
)

// The configurator imports the dashboards: it is told how (DASHBOARDS_*),
// may POST (the import API), and its custom resource changes with every
// new code version (so a deploy of new dashboards re-imports them) and
// with the import parameters.
func TestTemplateDashboardsImport(t *testing.T) {
	tpl := loadTemplate(t)
	fn := tpl.props("ConfigureFunction")
	env := dig(fn, "Environment", "Variables")
	for name, param := range map[string]string{"DASHBOARDS_IMPORT": "DashboardsImport", "DASHBOARDS_URL": "DashboardsUrl"} {
		if got := dig(env, name); !reflect.DeepEqual(got, map[string]any{"Ref": param}) {
			t.Errorf("ConfigureFunction %s = %v, want !Ref %s", name, got, param)
		}
	}
	if !contains(dig(fn, "Policies"), "es:ESHttpPost") {
		t.Error("ConfigureFunction may not es:ESHttpPost (the saved objects import)")
	}
	if dig(fn, "AutoPublishAlias") == nil {
		t.Error("ConfigureFunction has no AutoPublishAlias: no version to tie the custom resource to")
	}
	cr := tpl.props("OpenSearchConfig")
	for prop, want := range map[string]any{
		"CodeVersion":      map[string]any{"Ref": "ConfigureFunction.Version"},
		"DashboardsImport": map[string]any{"Ref": "DashboardsImport"},
		"DashboardsUrl":    map[string]any{"Ref": "DashboardsUrl"},
	} {
		if got := cr[prop]; !reflect.DeepEqual(got, want) {
			t.Errorf("OpenSearchConfig.%s = %v, want %v", prop, got, want)
		}
	}
	p := dig(plain(get(tpl.top, "Parameters")), "DashboardsImport")
	if dig(p, "Default") != "true" || !reflect.DeepEqual(dig(p, "AllowedValues"), []any{"true", "warn", "false"}) {
		t.Errorf("DashboardsImport parameter %v", p)
	}
}
