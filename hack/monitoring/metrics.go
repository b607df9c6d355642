package monitoring

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// The metrics a dashboard or a rule queries are read from their PromQL with Prometheus'
// own parser, so that the list cannot miss one a query names.

// grafanaMacros are replaced by values PromQL accepts before a dashboard query is
// parsed.
var grafanaMacros = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")

// labelValues matches a variable's label_values(selector, label) query.
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$`)

// ExprMetrics returns the metric names expr selects.
func ExprMetrics(expr string) ([]string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(grafanaMacros.Replace(expr))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", expr, err)
	}
	var names []string
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok && vs.Name != "" {
			names = append(names, vs.Name)
		}
		return nil
	})
	if len(names) == 0 {
		return nil, fmt.Errorf("%q selects no metric by name", expr)
	}
	return names, nil
}

// dashboardJSON is the part of a dashboard's JSON that holds queries.
type dashboardJSON struct {
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// DashboardExprs returns the PromQL of a dashboard's panel targets and query
// variables.
func DashboardExprs(data []byte) ([]string, error) {
	var d dashboardJSON
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	var exprs []string
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			if t.Expr != "" {
				exprs = append(exprs, t.Expr)
			}
		}
	}
	for _, v := range d.Templating.List {
		q, ok := v.Query.(string)
		if v.Type != "query" || !ok {
			continue
		}
		m := labelValues.FindStringSubmatch(q)
		if m == nil {
			return nil, fmt.Errorf("variable %s: query %q is not label_values(selector, label)", v.Name, q)
		}
		exprs = append(exprs, m[1])
	}
	return exprs, nil
}

// RuleExprs returns the expressions of a Prometheus rule file, which it validates as
// Prometheus loads it.
func RuleExprs(data []byte) ([]string, error) {
	groups, errs := rulefmt.Parse(data, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		return nil, fmt.Errorf("rule file: %w", errs[0])
	}
	var exprs []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
		}
	}
	return exprs, nil
}

// QueriedMetrics returns, sorted and once each, the metric names exprs select.
func QueriedMetrics(exprs []string) ([]string, error) {
	var all []string
	for _, e := range exprs {
		names, err := ExprMetrics(e)
		if err != nil {
			return nil, err
		}
		all = append(all, names...)
	}
	slices.Sort(all)
	return slices.Compact(all), nil
}
