package monitoring

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"log/slog"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/tsdb"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The dashboard drawn without Grafana: a recording of an operator's /metrics (the bench
// writes one with --record-metrics) is loaded into a Prometheus TSDB, each panel's
// queries run on it with Prometheus' own engine, and gonum/plot draws the results as the
// dashboard lays them out. The README's picture comes from a `make bench` run this way.

// scrapeMark starts each scrape of a recording, followed by its Unix time in
// milliseconds (test/bench's record.go writes it).
const scrapeMark = "# scrape "

// RecordedJob and RecordedPod are the target labels the scrapes of a recording get, as
// Prometheus would add them: the dashboard selects by job and groups by pod.
const (
	RecordedJob = "camera-operator"
	RecordedPod = "camera-operator-0"
)

// Recording is a recording loaded into a TSDB.
type Recording struct {
	db         *tsdb.DB
	Start, End time.Time
	// Interval is the time between scrapes.
	Interval time.Duration
}

// LoadRecording reads a recording into a TSDB in dir.
func LoadRecording(r io.Reader, dir string) (*Recording, error) {
	opts := tsdb.DefaultOptions()
	opts.OutOfOrderTimeWindow = 0
	db, err := tsdb.Open(dir, slog.New(slog.DiscardHandler), nil, opts, nil)
	if err != nil {
		return nil, err
	}
	rec := &Recording{db: db}
	if err := rec.load(r); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return rec, nil
}

// Close closes the TSDB.
func (r *Recording) Close() error { return r.db.Close() }

func (r *Recording) load(in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var (
		at     int64
		body   bytes.Buffer
		scrape int
		times  []int64
	)
	flush := func() error {
		if body.Len() == 0 {
			return nil
		}
		defer body.Reset()
		scrape++
		times = append(times, at)
		return r.appendScrape(at, &body)
	}
	for sc.Scan() {
		line := sc.Text()
		if ms, ok := strings.CutPrefix(line, scrapeMark); ok {
			if err := flush(); err != nil {
				return fmt.Errorf("scrape %d: %w", scrape, err)
			}
			t, err := strconv.ParseInt(ms, 10, 64)
			if err != nil {
				return fmt.Errorf("bad scrape mark %q", line)
			}
			at = t
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	if len(times) < 2 {
		return fmt.Errorf("%d scrapes recorded: at least 2 are needed", len(times))
	}
	r.Start, r.End = time.UnixMilli(times[0]), time.UnixMilli(times[len(times)-1])
	r.Interval = r.End.Sub(r.Start) / time.Duration(len(times)-1)
	return nil
}

// appendScrape adds one exposition's samples at time at (milliseconds).
func (r *Recording) appendScrape(at int64, body io.Reader) error {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(body)
	if err != nil {
		return err
	}
	app := r.db.Appender(context.Background())
	add := func(name string, m *dto.Metric, extra []string, v float64) error {
		b := labels.NewScratchBuilder(len(m.GetLabel()) + 4)
		b.Add(model.MetricNameLabel, name)
		b.Add("job", RecordedJob)
		b.Add("pod", RecordedPod)
		for _, l := range m.GetLabel() {
			b.Add(l.GetName(), l.GetValue())
		}
		for i := 0; i+1 < len(extra); i += 2 {
			b.Add(extra[i], extra[i+1])
		}
		b.Sort()
		_, err := app.Append(0, b.Labels(), at, v)
		return err
	}
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			var err error
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				err = add(name, m, nil, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				err = add(name, m, nil, m.GetGauge().GetValue())
			case dto.MetricType_UNTYPED:
				err = add(name, m, nil, m.GetUntyped().GetValue())
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, bucket := range h.GetBucket() {
					if err = add(name+"_bucket", m, []string{"le", formatLe(bucket.GetUpperBound())}, float64(bucket.GetCumulativeCount())); err != nil {
						break
					}
				}
				if err == nil {
					err = add(name+"_bucket", m, []string{"le", "+Inf"}, float64(h.GetSampleCount()))
				}
				if err == nil {
					err = add(name+"_sum", m, nil, h.GetSampleSum())
				}
				if err == nil {
					err = add(name+"_count", m, nil, float64(h.GetSampleCount()))
				}
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				err = add(name+"_sum", m, nil, s.GetSampleSum())
				if err == nil {
					err = add(name+"_count", m, nil, float64(s.GetSampleCount()))
				}
			}
			if err != nil {
				return errors.Join(err, app.Rollback())
			}
		}
	}
	return app.Commit()
}

// formatLe writes a bucket bound as Prometheus' client libraries do.
func formatLe(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// dashboardVars are the values the dashboard's variables take in a picture: every job,
// namespace and shard; the rate window four scrapes.
func (r *Recording) expand(expr string) string {
	window := model.Duration(4 * r.Interval).String()
	return strings.NewReplacer(
		`"$job"`, `".*"`, `"$namespace"`, `".*"`, `"$shard"`, `".*"`,
		"$__rate_interval", window,
	).Replace(expr)
}

// series is one line of a panel.
type series struct {
	name   string
	points plotter.XYs
}

// evaluate runs a panel's queries over the recording.
func (r *Recording) evaluate(ctx context.Context, engine *promql.Engine, p Panel) ([]series, error) {
	step := max(r.End.Sub(r.Start)/200, r.Interval)
	var out []series
	for _, q := range p.Queries {
		query, err := engine.NewRangeQuery(ctx, r.db, nil, r.expand(q.Expr), r.Start, r.End, step)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Title, err)
		}
		res := query.Exec(ctx)
		if res.Err != nil {
			query.Close()
			return nil, fmt.Errorf("%s: %w", p.Title, res.Err)
		}
		matrix, err := res.Matrix()
		if err != nil {
			query.Close()
			return nil, fmt.Errorf("%s: %w", p.Title, err)
		}
		for _, s := range matrix {
			pts := make(plotter.XYs, 0, len(s.Floats))
			for _, f := range s.Floats {
				if math.IsNaN(f.F) || math.IsInf(f.F, 0) {
					continue
				}
				pts = append(pts, plotter.XY{X: float64(f.T) / 1000, Y: f.F})
			}
			if len(pts) > 0 {
				out = append(out, series{name: legend(q.Legend, s.Metric), points: pts})
			}
		}
		query.Close()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// legendLabel matches a {{label}} of a legend format.
var legendLabel = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// legend fills a Grafana legend format with a series' labels.
func legend(format string, ls labels.Labels) string {
	name := legendLabel.ReplaceAllStringFunc(format, func(m string) string {
		return ls.Get(legendLabel.FindStringSubmatch(m)[1])
	})
	return strings.TrimSpace(name)
}

// Picture sizes: three panels to a row of the dashboard.
const (
	pictureColumns = 3
	panelWidth     = 5 * vg.Inch
	panelTall      = 3.2 * vg.Inch
)

// Render draws every panel of the dashboard, row by row, from the recording, as a PNG.
func Render(ctx context.Context, r *Recording, w io.Writer) error {
	engine := promql.NewEngine(promql.EngineOpts{
		Logger: slog.New(slog.DiscardHandler), MaxSamples: 50_000_000, Timeout: time.Minute,
		LookbackDelta: 5 * time.Minute,
	})
	var plots [][]*plot.Plot
	for _, row := range Rows {
		for i := 0; i < len(row.Panels); i += pictureColumns {
			line := make([]*plot.Plot, pictureColumns)
			for j := i; j < min(i+pictureColumns, len(row.Panels)); j++ {
				p, err := r.panelPlot(ctx, engine, row.Title, row.Panels[j])
				if err != nil {
					return err
				}
				line[j-i] = p
			}
			plots = append(plots, line)
		}
	}
	img := vgimg.New(pictureColumns*panelWidth, vg.Length(len(plots))*panelTall)
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	tiles := draw.Tiles{Rows: len(plots), Cols: pictureColumns, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		for j, p := range plots[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// panelPlot draws one panel.
func (r *Recording) panelPlot(ctx context.Context, engine *promql.Engine, rowTitle string, panel Panel) (*plot.Plot, error) {
	lines, err := r.evaluate(ctx, engine, panel)
	if err != nil {
		return nil, err
	}
	p := plot.New()
	p.Title.Text = rowTitle + ": " + panel.Title
	p.X.Tick.Marker = plot.TimeTicks{Format: "15:04"}
	// Every panel spans the whole recording, as Grafana's share one time range.
	p.X.Min, p.X.Max = float64(r.Start.Unix()), float64(r.End.Unix())
	p.Y.Min = 0
	p.Y.Label.Text = unitLabel(panel)
	p.Legend.Top = true
	p.Legend.Left = true
	if len(lines) == 0 {
		p.Title.Text += " (no data in this run)"
		return p, nil
	}
	const shown = 6
	for i, s := range lines {
		l, err := plotter.NewLine(s.points)
		if err != nil {
			return nil, err
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		if i < shown {
			p.Legend.Add(s.name, l)
		}
	}
	if panel.Share {
		p.Y.Max = 1
	}
	return p, nil
}

// unitLabel names a panel's unit on its Y axis.
func unitLabel(p Panel) string {
	if p.Share {
		return "share"
	}
	switch p.Unit {
	case "reqps":
		return "per second"
	case "s":
		return "seconds"
	case "bytes":
		return "bytes"
	}
	return ""
}
