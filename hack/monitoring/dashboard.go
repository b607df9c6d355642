package monitoring

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// The fleet dashboard, written as data (rows of panels of PromQL queries) and built with
// Grafana's foundation SDK. Every query filters by the dashboard's variables: the
// operator's scrape job, and for the fleet gauges the Cameras' namespace and the shard.

// DashboardUID is the dashboard's stable uid: links and provisioning find it by it.
const DashboardUID = "camera-operator-fleet"

// Selectors of the queries: the operator's series, and the fleet gauges of the chosen
// namespaces and shards. The unsharded operator's series carry no shard label, which
// the All value (.*) matches.
const (
	job   = `job=~"$job"`
	fleet = `job=~"$job", namespace=~"$namespace", shard=~"$shard"`
)

// Query is one PromQL query of a panel and its legend.
type Query struct {
	Expr, Legend string
}

// Panel is one time series panel.
type Panel struct {
	Title, Description string
	// Unit is Grafana's unit id ("short", "reqps", "s", "bytes"...).
	Unit string
	// Stack stacks the series (parts of a whole, like Cameras by state).
	Stack bool
	// Share shows a ratio of a whole, from 0 to 100 %.
	Share   bool
	Queries []Query
}

// Row is a titled row of panels.
type Row struct {
	Title  string
	Panels []Panel
}

// Rows are the dashboard's rows, top to bottom.
var Rows = []Row{
	{Title: "Fleet", Panels: []Panel{
		{Title: "Cameras by state", Unit: "short", Stack: true,
			Description: "status.state of the Cameras of the chosen namespaces and shards, from the leading replica's cache.",
			Queries:     []Query{{`sum by (state) (camera_operator_cameras{` + fleet + `})`, "{{state}}"}}},
		{Title: "Registered share by namespace and shard", Share: true,
			Description: "The share of each namespace's Cameras that are Registered.",
			Queries: []Query{{`sum by (namespace, shard) (camera_operator_cameras{` + fleet + `, state="Registered"}) / sum by (namespace, shard) (camera_operator_cameras{` + fleet + `})`,
				"{{namespace}} {{shard}}"}}},
		{Title: "Registrations per second", Unit: "reqps", Stack: true,
			Description: "REGISTER requests answered, by result: registered, refreshed, unregistered, challenged (the 401 before each), and the failures.",
			Queries:     []Query{{`sum by (result) (rate(sipd_registrations_total{` + job + `}[$__rate_interval]))`, "{{result}}"}}},
		{Title: "Keepalives and failures per second", Unit: "reqps",
			Description: "Keepalives recorded, and REGISTERs refused for authentication.",
			Queries: []Query{
				{`sum(rate(sipd_keepalives_total{` + job + `}[$__rate_interval]))`, "keepalives"},
				{`sum(rate(sipd_auth_failures_total{` + job + `}[$__rate_interval]))`, "authentication failures"},
			}},
		{Title: "Streams by state", Unit: "short", Stack: true,
			Description: "status.state of the Streams of the chosen namespaces and shards.",
			Queries:     []Query{{`sum by (state) (camera_operator_streams{` + fleet + `})`, "{{state}}"}}},
	}},
	{Title: "Registrar", Panels: []Panel{
		{Title: "Requests shed per second", Unit: "reqps",
			Description: "Requests answered 503 (with Retry-After) or dropped unhandled because the registrar was over capacity. Devices retry; a steady rate means the pod needs more CPU or another shard.",
			Queries:     []Query{{`sum by (pod) (rate(sipd_requests_shed_total{` + job + `}[$__rate_interval]))`, "{{pod}}"}}},
		{Title: "UDP queue delay", Unit: "s",
			Description: "Time a datagram waited between the socket and a worker (past --sip-max-queue-delay it is dropped).",
			Queries: []Query{
				{`histogram_quantile(0.5, sum by (le) (rate(sipd_udp_queue_delay_seconds_bucket{` + job + `}[$__rate_interval])))`, "p50"},
				{`histogram_quantile(0.99, sum by (le) (rate(sipd_udp_queue_delay_seconds_bucket{` + job + `}[$__rate_interval])))`, "p99"},
			}},
		{Title: "Authentication failures by reason", Unit: "reqps", Stack: true,
			Description: "wrong_password, username_mismatch, no_credentials (the Camera's Secret is missing), blocked and suspended (the brute-force limiter).",
			Queries:     []Query{{`sum by (reason) (rate(sipd_auth_failures_total{` + job + `}[$__rate_interval]))`, "{{reason}}"}}},
		{Title: "Request handling time (p99)", Unit: "s",
			Description: "Time to handle one SIP request, by method.",
			Queries:     []Query{{`histogram_quantile(0.99, sum by (le, method) (rate(sipd_request_duration_seconds_bucket{` + job + `}[$__rate_interval])))`, "{{method}}"}}},
		{Title: "Device queries by result", Unit: "reqps", Stack: true,
			Description: "Requests the operator sent devices after they registered and at each refresh (DeviceInfo, Catalog, DeviceStatus, ConfigDownload, DeviceConfig, DeviceControl, PresetQuery), by how they ended: answered, partial, refused, no_answer, not_sent, unreadable. A steady no_answer of one command is a firmware that ignores it; of all of them, devices that stopped answering.",
			Queries:     []Query{{`sum by (command, result) (rate(camera_operator_device_queries_total{` + job + `}[$__rate_interval]))`, "{{command}} {{result}}"}}},
		{Title: "Live registrations and TCP connections", Unit: "short",
			Description: "Devices with a live registration, and the TCP connections devices keep open.",
			Queries: []Query{
				{`sum by (pod) (sipd_active_bindings{` + job + `})`, "bindings {{pod}}"},
				{`sum by (pod) (sipd_tcp_connections{` + job + `})`, "TCP {{pod}}"},
			}},
	}},
	{Title: "API path", Panels: []Panel{
		{Title: "Work queue depth", Unit: "short",
			Description: "Objects waiting for their controller. A camera queue that grows and does not drain means status writes cannot keep up.",
			Queries:     []Query{{`sum by (name) (workqueue_depth{` + job + `})`, "{{name}}"}}},
		{Title: "Work queue wait (p99)", Unit: "s",
			Description: "Time an object waited in the queue before its reconcile.",
			Queries:     []Query{{`histogram_quantile(0.99, sum by (le, name) (rate(workqueue_queue_duration_seconds_bucket{` + job + `}[$__rate_interval])))`, "{{name}}"}}},
		{Title: "Status writes per second", Unit: "reqps", Stack: true,
			Description: "Status subresource writes, by kind and result (ok, conflict, error).",
			Queries:     []Query{{`sum by (kind, result) (rate(camera_operator_status_writes_total{` + job + `}[$__rate_interval]))`, "{{kind}} {{result}}"}}},
		{Title: "Camera status writes by cause", Unit: "reqps", Stack: true,
			Description: "What each Camera status write changed first: state, registration, device (its answers to queries), catalog, events, conditions, liveness (keepalive time and expiry: at least hourly while Leases record liveness in between, else once per --keepalive-status-interval) or other. A storm should cost about one state write per Camera; more device or catalog writes than that mean answers came in after the first write.",
			Queries:     []Query{{`sum by (cause) (rate(camera_operator_camera_status_writes_total{` + job + `}[$__rate_interval]))`, "{{cause}}"}}},
		{Title: "Liveness Lease writes by result", Unit: "reqps", Stack: true,
			Description: "Writes of the Cameras' liveness Leases, which record keepalives between status writes (once per --keepalive-status-interval), by result: renewed, created, foreign (a Lease of the Camera's name it does not own) or failed. Foreign and failed ones put liveness back in the status, at four times the API server's cost.",
			Queries:     []Query{{`sum by (result) (rate(camera_operator_liveness_lease_writes_total{` + job + `}[$__rate_interval]))`, "{{result}}"}}},
		{Title: "Events dropped and reconcile errors per second", Unit: "reqps",
			Description: "Events the operator did not record (its budget was spent, or statuses were waiting), and reconciles that ended in an error.",
			Queries: []Query{
				{`sum(rate(camera_operator_events_dropped_total{` + job + `}[$__rate_interval]))`, "Events dropped"},
				{`sum by (controller) (rate(controller_runtime_reconcile_errors_total{` + job + `}[$__rate_interval]))`, "errors {{controller}}"},
			}},
	}},
	{Title: "Device events", Panels: []Panel{
		{Title: "Alarms per second by priority", Unit: "reqps", Stack: true,
			Description: "Alarms devices raised, by MESSAGE or in an alarm subscription, by priority (1 the most urgent; values a device makes up are \"other\").",
			Queries:     []Query{{`sum by (priority) (rate(camera_operator_alarms_total{` + job + `}[$__rate_interval]))`, "priority {{priority}}"}}},
		{Title: "Alarm delivery", Unit: "reqps",
			Description: "Alarms the sink (--alarm-sink-url) accepted, gave up on or dropped from a full queue, and Alarm Events over a Camera's budget.",
			Queries: []Query{
				{`sum(rate(camera_operator_alarm_sink_sent_total{` + job + `}[$__rate_interval]))`, "sent to the sink"},
				{`sum(rate(camera_operator_alarm_sink_failed_total{` + job + `}[$__rate_interval]))`, "failed at the sink"},
				{`sum(rate(camera_operator_alarm_sink_dropped_total{` + job + `}[$__rate_interval]))`, "dropped before the sink"},
				{`sum(rate(camera_operator_alarm_events_dropped_total{` + job + `}[$__rate_interval]))`, "Events over budget"},
			}},
		{Title: "Catalog changes dropped per second", Unit: "reqps",
			Description: "Catalog NOTIFY items dropped because a device's pending channel changes reached the bound of a Camera's status.",
			Queries:     []Query{{`sum(rate(camera_operator_channel_events_dropped_total{` + job + `}[$__rate_interval]))`, "dropped"}}},
	}},
	{Title: "Process", Panels: []Panel{
		{Title: "Leader", Unit: "short",
			Description: "1 for the replica that leads its shard's Lease and serves SIP; standbys show 0.",
			Queries:     []Query{{`max by (pod, name) (leader_election_master_status{` + job + `})`, "{{pod}} ({{name}})"}}},
		{Title: "CPU", Unit: "short",
			Description: "CPU time per second of each replica, in cores.",
			Queries:     []Query{{`sum by (pod) (rate(process_cpu_seconds_total{` + job + `}[$__rate_interval]))`, "{{pod}}"}}},
		{Title: "Resident memory", Unit: "bytes",
			Description: "RSS of each replica (GOMEMLIMIT follows the container's memory limit).",
			Queries:     []Query{{`sum by (pod) (process_resident_memory_bytes{` + job + `})`, "{{pod}}"}}},
		{Title: "Goroutines", Unit: "short",
			Description: "Goroutines of each replica: every one that outside traffic can start is bounded.",
			Queries:     []Query{{`sum by (pod) (go_goroutines{` + job + `})`, "{{pod}}"}}},
	}},
}

// panelHeight is the height of every panel, in grid units; the panels of a row share
// its 24 columns, at least 8 each.
const panelHeight = 8

// Dashboard builds the dashboard in Grafana's classic JSON model, the one its dashboard
// sidecar, its file provisioning and its import all take, from Grafana 9 on; the SDK
// prefers the v2 schema, which only Grafana 12 with its new layouts reads.
func Dashboard() (dashboard.Dashboard, error) { //nolint:staticcheck // the classic model, on purpose (above)
	//nolint:staticcheck // the classic model, on purpose (above)
	b := dashboard.NewDashboardBuilder("Camera operator: fleet").
		Uid(DashboardUID).
		Description("GB/T 28181 cameras as Kubernetes objects: the fleet, the SIP registrar, the API path and the process.").
		Tags([]string{"camera-operator", "gb28181"}).
		Refresh("30s").
		Time("now-1h", "now").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").Label("Data source").Type("prometheus")).
		WithVariable(queryVariable("job", "Job", `label_values(sipd_active_bindings, job)`, false)).
		WithVariable(queryVariable("namespace", "Namespace", `label_values(camera_operator_cameras{job=~"$job"}, namespace)`, true)).
		WithVariable(queryVariable("shard", "Shard", `label_values(camera_operator_cameras{job=~"$job"}, shard)`, true))
	for _, r := range Rows {
		b = b.WithRow(dashboard.NewRowBuilder(r.Title))
		width := uint32(24 / len(r.Panels))
		if width < 8 {
			width = 8
		}
		for _, p := range r.Panels {
			b = b.WithPanel(panelOf(p, width))
		}
	}
	return b.Build()
}

// datasource is the Prometheus the dashboard's variable chooses.
var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

// queryVariable is a variable whose values a label_values query lists; multi ones
// offer All, matching every value and the series without the label.
func queryVariable(name, label, query string, multi bool) *dashboard.QueryVariableBuilder {
	v := dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).
		Datasource(datasource).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)
	if multi {
		v = v.Multi(true).IncludeAll(true).AllValue(".*")
	}
	return v
}

func panelOf(p Panel, width uint32) *timeseries.PanelBuilder {
	b := timeseries.NewPanelBuilder().
		Title(p.Title).
		Description(p.Description).
		Datasource(datasource).
		Unit(p.Unit).
		Min(0).
		Height(panelHeight).
		Span(width).
		FillOpacity(10).
		Legend(common.NewVizLegendOptionsBuilder().DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom).ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
	if p.Share {
		b = b.Unit("percentunit").Max(1)
	}
	if p.Stack {
		b = b.Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).FillOpacity(40)
	}
	for i, q := range p.Queries {
		b = b.WithTarget(prometheus.NewDataqueryBuilder().
			Expr(q.Expr).
			LegendFormat(q.Legend).
			Range().
			RefId(fmt.Sprintf("%c", 'A'+i)))
	}
	return b
}

// DashboardJSON is the dashboard as Grafana imports it, indented.
func DashboardJSON() ([]byte, error) {
	d, err := Dashboard()
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
