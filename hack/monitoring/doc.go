// Package monitoring holds what turns the operator's metrics into a picture and alerts:
// the fleet dashboard, built from code with Grafana's foundation SDK, and the checks of
// the Prometheus alert rules (charts/camera-operator/files/alerts). Its command gen
// writes the dashboard JSON into the chart and the list of the metrics the dashboard
// and the rules query; the operator's e2e suite checks that a running operator exports
// each of them. A module of its own keeps Prometheus' and Grafana's dependency graphs
// out of the operator's go.mod.
package monitoring
