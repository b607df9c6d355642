package argocd

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// HealthLua is the health check, as it goes under the argocd-cm key HealthKey.
//
//go:embed camera-health.lua
var HealthLua string

// IgnoreUpdatesYAML is the ignoreResourceUpdates rule, as it goes under the argocd-cm
// key IgnoreUpdatesKey.
//
//go:embed camera-ignore-updates.yaml
var IgnoreUpdatesYAML string

// The argocd-cm keys of the Camera customizations: Argo CD names a kind group_Kind.
const (
	HealthKey        = "resource.customizations.health.gb28181.io_Camera"
	IgnoreUpdatesKey = "resource.customizations.ignoreResourceUpdates.gb28181.io_Camera"
)

// HealthStatus is what a health script returns, with Argo CD's field names.
type HealthStatus struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// The health statuses Argo CD accepts from a script; anything else it shows as Unknown.
var validStatuses = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true,
	"Suspended": true, "Missing": true, "Unknown": true,
}

// scriptTimeout is the budget Argo CD gives a health script.
const scriptTimeout = time.Second

// Evaluate runs a health script against obj (a decoded Kubernetes object) in the
// sandbox Argo CD gives user scripts from argocd-cm: only the package, base and table
// libraries (openLibs adds the standard libraries, as Argo CD does for its built-in
// scripts), obj bound as a global, and a one-second budget.
func Evaluate(script string, obj map[string]any, openLibs bool) (HealthStatus, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), Protect: true}, lua.LString(lib.name)); err != nil {
			return HealthStatus{}, fmt.Errorf("opening lua library %q: %w", lib.name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return HealthStatus{}, fmt.Errorf("running health script: %w", err)
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return HealthStatus{}, fmt.Errorf("health script returned %s, want a table", l.Get(-1).Type())
	}
	var hs HealthStatus
	if s, ok := ret.RawGetString("status").(lua.LString); ok {
		hs.Status = string(s)
	}
	if m, ok := ret.RawGetString("message").(lua.LString); ok {
		hs.Message = string(m)
	}
	if !validStatuses[hs.Status] {
		return hs, fmt.Errorf("health script returned status %q: %w", hs.Status, ErrInvalidStatus)
	}
	return hs, nil
}

// ErrInvalidStatus means the script returned a status Argo CD does not know.
var ErrInvalidStatus = errors.New("not an Argo CD health status")

// toLua converts a decoded object the way Argo CD's decodeValue does: maps become
// tables keyed by string, slices become 1-based arrays, numbers become Lua numbers.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case json.Number:
		return lua.LString(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for k, item := range v {
			t.RawSetH(lua.LString(k), toLua(l, item))
		}
		return t
	}
	return lua.LNil
}
