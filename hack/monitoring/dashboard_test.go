package monitoring

import (
	"strings"
	"testing"
)

// TestDashboard: the dashboard builds; every panel says what it shows, in a unit, with
// queries that parse as PromQL, select the operator's job and name their series; the
// variables list values with label_values.
func TestDashboard(t *testing.T) {
	data, err := DashboardJSON()
	if err != nil {
		t.Fatal(err)
	}
	exprs, err := DashboardExprs(data)
	if err != nil {
		t.Fatal(err)
	}
	panels := 0
	for _, r := range Rows {
		for _, p := range r.Panels {
			panels++
			if p.Description == "" || (p.Unit == "" && !p.Share) || len(p.Queries) == 0 {
				t.Errorf("panel %q: description, unit and queries are required", p.Title)
			}
			for _, q := range p.Queries {
				if _, err := ExprMetrics(q.Expr); err != nil {
					t.Errorf("panel %q: %v", p.Title, err)
				}
				if !strings.Contains(q.Expr, `job=~"$job"`) {
					t.Errorf("panel %q: %s does not select the operator's job", p.Title, q.Expr)
				}
				if q.Legend == "" {
					t.Errorf("panel %q: %s has no legend", p.Title, q.Expr)
				}
			}
		}
	}
	// Each panel's targets, and the three query variables.
	queries := 0
	for _, r := range Rows {
		for _, p := range r.Panels {
			queries += len(p.Queries)
		}
	}
	if len(exprs) != queries+3 {
		t.Errorf("the JSON holds %d queries, the rows %d and 3 variables", len(exprs), queries)
	}
	if panels < 15 {
		t.Errorf("%d panels", panels)
	}
}

// TestExprMetrics: the metric names of a query, through functions, aggregations,
// binary operators and subqueries, and Grafana's macros.
func TestExprMetrics(t *testing.T) {
	tests := []struct {
		expr string
		want []string
		err  bool
	}{
		{`sum by (state) (camera_operator_cameras{job=~"$job"})`, []string{"camera_operator_cameras"}, false},
		{`histogram_quantile(0.99, sum by (le) (rate(sipd_udp_queue_delay_seconds_bucket[$__rate_interval])))`, []string{"sipd_udp_queue_delay_seconds_bucket"}, false},
		{`a / on (pod) group_left b > 0.1 and max_over_time(c[10m:1m]) > 0`, []string{"a", "b", "c"}, false},
		{`vector(1)`, nil, true},
		{`sum(`, nil, true},
	}
	for _, tc := range tests {
		got, err := ExprMetrics(tc.expr)
		if (err != nil) != tc.err || strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("ExprMetrics(%q) = %v, %v; want %v (error %v)", tc.expr, got, err, tc.want, tc.err)
		}
	}
}
