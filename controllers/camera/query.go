package camera

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/go-logr/logr"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// defaultCatalogRefresh is the catalog refresh interval of objects that predate the API
// default.
const defaultCatalogRefresh = time.Hour

// queryResult is the latest DeviceInfo and Catalog answers of a device not yet written
// to its Camera's status: nil until one arrives, and again once written (consumed).
type queryResult struct {
	info      *manscdp.DeviceInfo
	catalog   *manscdp.Catalog
	catalogAt time.Time
	// detail is the device's status, settings, guard and presets (devicequery.go).
	detail *detailResult
}

// querier runs DeviceInfo and Catalog queries off the reconcile path: a query waits up to
// QueryTimeout for a device, and reconcile workers must never wait that long. At most
// MaxConcurrentQueries devices are queried at once; a device is queued at most once, so
// the queue is bounded by the number of Cameras. When a device's answers arrive the
// querier signals the device through the same path as the registrar (DeviceChanges), and
// the reconciler writes them to status.
type querier struct {
	reg         Registrar
	timeout     time.Duration
	retry       time.Duration
	concurrency int
	// detailTimeout and maxPresetChannels bound the requests of devicequery.go.
	detailTimeout     time.Duration
	maxPresetChannels int
	now               func() time.Time
	notify            func(deviceID string) // a change of detail: the device's answers
	// pace holds jobs back while the registrar's queue delay says it falls behind.
	pace *pacer
	log  logr.Logger

	mu      sync.Mutex
	devices map[string]*queryState
	// first are the devices queued for the first query of a registration, served
	// before pending: those queued for a refresh or a retry.
	first, pending []string
	// ahead bounds the first queries whose answers wait for their status write
	// (querylookahead.go).
	ahead lookahead
	kick  chan struct{}
}

// queryState is the querier's record of one device.
type queryState struct {
	// owner is the UID of the Camera the device is queried for: the registrar queries
	// it only through a binding that Camera's credentials accepted.
	owner string
	// registeredAt identifies the registration the latest query was made for: a new
	// registration (the device rebooted, maybe with new firmware) is queried at once.
	registeredAt time.Time
	refresh      time.Duration
	catalog      bool // query the Catalog too, not only DeviceInfo
	nextAt       time.Time
	queued       bool
	running      bool
	// mainDue: the queued job queries DeviceInfo and Catalog, not only what detail asks.
	mainDue bool
	detail  detailState
	result  queryResult
	// aheadSince is when this device's first query took a slot of the querier's
	// lookahead window, zero while it holds none.
	aheadSince time.Time
	// turnCame: its Camera's reconcile came while the queued job waited. The status
	// writes are past the device, so its job takes no slot.
	turnCame bool
}

func newQuerier(reg Registrar, opts Options, notify func(deviceID string), log logr.Logger) *querier {
	return &querier{
		reg:               reg,
		timeout:           opts.QueryTimeout,
		retry:             opts.QueryRetryInterval,
		concurrency:       opts.MaxConcurrentQueries,
		detailTimeout:     opts.DeviceQueryTimeout,
		maxPresetChannels: opts.MaxPresetChannels,
		now:               opts.now,
		notify:            notify,
		pace:              newPacer(queueDelayOf(reg), opts.Pacing, deviceJobPace),
		log:               log,
		devices:           make(map[string]*queryState),
		ahead:             lookahead{max: max(opts.QueryLookahead, 0)},
		kick:              make(chan struct{}, 1),
	}
}

// NeedLeaderElection: only the leader talks to devices.
func (q *querier) NeedLeaderElection() bool { return true }

// queryWant is what a reconcile asks of the querier for one device.
type queryWant struct {
	dev          sipd.DeviceRef
	registeredAt time.Time
	refresh      time.Duration
	catalog      bool // query the Catalog too, not only DeviceInfo
	// queriedAt is when the Camera's status received the catalog of this registration
	// (zero if it holds none): a leader that just took over, whose querier knows
	// nothing yet, does not query again what the status already holds, but waits for
	// the refresh.
	queriedAt time.Time
	// detail is what is asked beyond DeviceInfo and Catalog (devicequery.go).
	detail detailWant
}

// due schedules a query of w.dev when its registration is new to the querier, its
// refresh is due or w.detail asks something new (a changed guard, say), and returns when
// the next one will be due (zero while one is queued or running: its completion
// triggers a reconcile anyway). The first query of a new registration goes before
// refreshes, retries and detail-only jobs: a device that just registered is not kept
// waiting behind the fleet's periodic queries.
func (q *querier) due(w queryWant) time.Time {
	refresh := w.refresh
	if refresh <= 0 {
		refresh = defaultCatalogRefresh
	}
	now := q.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.devices[w.dev.ID]
	if s == nil {
		s = &queryState{}
		q.devices[w.dev.ID] = s
	}
	s.owner, s.refresh, s.catalog = w.dev.Owner, refresh, w.catalog
	s.detail.remember(w.detail)
	if s.queued || s.running {
		return time.Time{}
	}
	newRegistration := !s.registeredAt.Equal(w.registeredAt)
	if newRegistration && w.catalog && !w.queriedAt.IsZero() && s.registeredAt.IsZero() {
		// Queried by the previous leader: due at its refresh. (A querier that knows an
		// earlier registration asked it itself: the status's catalog, of the same
		// second perhaps, is of that one.)
		s.registeredAt, s.nextAt, newRegistration = w.registeredAt, w.queriedAt.Add(refresh), false
		s.detail.takeOver(w.detail, w.registeredAt)
	} else if newRegistration {
		s.detail.newRegistration()
	}
	if at := s.detail.presetsAgainAt; !at.IsZero() && !now.Before(at) {
		s.detail.presetsWanted, s.detail.presetsAgainAt = true, time.Time{}
	}
	mainDue := newRegistration || !now.Before(s.nextAt)
	if !mainDue && !s.detail.due() {
		return earliest(s.nextAt, s.detail.presetsAgainAt)
	}
	if s.detail.wantsPresets(mainDue) && w.detail.channels != nil {
		s.detail.presetChannels = w.detail.channels()
	}
	if !mainDue && s.detail.presetsWanted && len(s.detail.presetChannels) == 0 && w.catalog {
		// Presets asked again of a device whose Camera, as the reconcile's cache shows
		// it, lists no channel yet: a job without channels would ask nothing and take
		// the request as done. The catalog, asked with them, says which to ask.
		mainDue = true
	}
	s.registeredAt = w.registeredAt
	s.queued, s.mainDue, s.turnCame = true, mainDue, false
	if newRegistration {
		q.first = append(q.first, w.dev.ID)
	} else {
		q.pending = append(q.pending, w.dev.ID)
	}
	q.wake()
	return time.Time{}
}

// wake tells Start there may be a job to start; it never blocks.
func (q *querier) wake() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// settle gives back s's lookahead slot if its job has ended with nothing to write, and
// wakes Start for the first query it lets go; q.mu is held.
func (q *querier) settle(s *queryState) {
	if !s.running && s.result.empty() {
		q.giveBack(s)
	}
}

// giveBack gives back s's lookahead slot and wakes Start for the first query it lets
// go; q.mu is held.
func (q *querier) giveBack(s *queryState) {
	if q.ahead.giveBack(s, time.Time{}) {
		q.wake()
	}
}

// queryWantOf is what cam's registration b asks of the querier.
func queryWantOf(cam *gbv1.Camera, b *sipd.Binding, maxPresetChannels int) queryWant {
	return queryWant{
		dev:          sipd.DeviceRef{ID: cam.Spec.DeviceID, Owner: string(cam.UID)},
		registeredAt: b.RegisteredAt,
		refresh:      catalogRefresh(cam),
		catalog:      !cam.Spec.Catalog.Disabled,
		queriedAt:    queriedAt(&cam.Status, b.RegisteredAt),
		detail:       detailWantOf(cam, maxPresetChannels),
	}
}

// catalogRefresh is a Camera's catalog refresh interval (zero: the default).
func catalogRefresh(cam *gbv1.Camera) time.Duration {
	if ri := cam.Spec.Catalog.RefreshInterval; ri != nil {
		return ri.Duration
	}
	return 0
}

// queriedAt is when cam's status received the catalog of the registration made at
// registeredAt, zero when it holds none of it.
func queriedAt(st *gbv1.CameraStatus, registeredAt time.Time) time.Time {
	if st.DeviceInfo == nil || st.CatalogUpdatedAt == nil || st.CatalogUpdatedAt.Time.Before(registeredAt.Truncate(time.Second)) {
		return time.Time{}
	}
	return st.CatalogUpdatedAt.Time
}

// result returns the latest answers of deviceID.
func (q *querier) result(deviceID string) queryResult {
	q.mu.Lock()
	defer q.mu.Unlock()
	if s := q.devices[deviceID]; s != nil {
		return s.result
	}
	return queryResult{}
}

// consumed releases the answers of q once a status that holds them has been written:
// the Camera's status keeps them from then on, and buildStatus starts from it, so the
// querier need not keep a second copy of every device's catalog. Answers that arrived
// after q was read are kept. The device's lookahead slot is given back whatever the
// status took: its Camera's turn has come, so the status writes have reached it.
func (q *querier) consumed(deviceID string, r queryResult) {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.devices[deviceID]
	if s == nil {
		return
	}
	q.giveBack(s)
	if s.queued && !s.turnCame {
		// Its first query waits for a slot of the window it no longer needs: it joins
		// the queue no window holds back.
		s.turnCame = true
		q.pending = append(q.pending, deviceID)
		q.wake()
	}
	if r.info != nil && s.result.info == r.info {
		s.result.info = nil
	}
	if r.catalog != nil && s.result.catalog == r.catalog {
		s.result.catalog = nil
	}
	if r.detail != nil && s.result.detail == r.detail {
		s.result.detail = nil
	}
}

// empty: no answer waits for a status write.
func (r *queryResult) empty() bool {
	return r.info == nil && r.catalog == nil && r.detail == nil
}

// forget drops deviceID's record (its Camera was deleted, or no longer owns it); a query
// in flight completes without effect.
func (q *querier) forget(deviceID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if s := q.devices[deviceID]; s != nil {
		q.giveBack(s)
	}
	delete(q.devices, deviceID)
}

// pop takes the next queued device and whether there is one: first queries of
// registrations first, those whose Camera's turn is yet to come while the lookahead
// window has room. When it has none and such a query waits, the time returned is when a
// slot's hold ends (a slot given back sooner wakes Start through kick).
func (q *querier) pop() (string, *queryState, bool, time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	var wakeAt time.Time
	for _, queue := range []*[]string{&q.first, &q.pending} {
		for len(*queue) > 0 {
			id := (*queue)[0]
			s := q.devices[id]
			queued := s != nil && s.queued
			ahead := queued && queue == &q.first && !s.turnCame
			if ahead {
				if full, until := q.ahead.full(now); full {
					wakeAt = until
					break
				}
			}
			(*queue)[0] = ""
			*queue = (*queue)[1:]
			if queued {
				s.queued, s.running = false, true
				if ahead {
					q.ahead.take(s, now)
				}
				return id, s, true, time.Time{}
			}
		}
		if len(*queue) == 0 {
			*queue = nil // release the backing array once drained
		}
	}
	return "", nil, false, wakeAt
}

// Start runs queued queries until ctx ends.
func (q *querier) Start(ctx context.Context) error {
	sem := make(chan struct{}, q.concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	// held wakes the loop when the window is full and its oldest slot's hold ends.
	held := time.NewTimer(time.Hour)
	held.Stop()
	defer held.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-q.kick:
		case <-held.C:
		}
		for {
			id, s, ok, wakeAt := q.pop()
			if !wakeAt.IsZero() {
				held.Reset(max(wakeAt.Sub(q.now()), 0))
			}
			if !ok {
				break
			}
			// SIP first: while the registrar falls behind, jobs start at its pace. (On
			// the wall clock, as the registrar's queue delay is measured, not q.now.)
			if !q.pace.wait(ctx, time.Now()) {
				return nil
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				q.run(ctx, id, s)
			}()
		}
	}
}

// run queries one device and records the answers: DeviceInfo and Catalog when due, then
// what devicequery.go asks.
func (q *querier) run(ctx context.Context, deviceID string, s *queryState) {
	q.mu.Lock()
	main := s.mainDue
	q.mu.Unlock()
	var cat *manscdp.Catalog
	if main {
		var ok bool
		if cat, ok = q.runMain(ctx, deviceID, s); !ok {
			return
		}
	}
	q.runDetails(ctx, deviceID, s, main, cat)
}

// runMain queries the DeviceInfo and Catalog of one device and records the answers. It
// returns the catalog received and whether the job goes on (false when the device was
// forgotten meanwhile or the querier stops).
func (q *querier) runMain(ctx context.Context, deviceID string, s *queryState) (*manscdp.Catalog, bool) {
	log := q.log.WithValues("deviceID", deviceID)

	q.mu.Lock()
	dev, withCatalog := sipd.DeviceRef{ID: deviceID, Owner: s.owner}, s.catalog
	q.mu.Unlock()
	ictx, cancel := context.WithTimeout(ctx, q.timeout)
	info, infoErr := q.reg.QueryDeviceInfo(ictx, dev)
	cancel()
	var cat *manscdp.Catalog
	var catErr error
	if withCatalog {
		cctx, cancel := context.WithTimeout(ctx, q.timeout)
		cat, catErr = q.reg.QueryCatalog(cctx, dev)
		cancel()
	}
	if ctx.Err() != nil {
		return nil, false // shutting down; the next leader queries again
	}
	countQuery("DeviceInfo", infoErr)
	if withCatalog {
		countQuery("Catalog", catErr)
	}

	now := q.now()
	q.mu.Lock()
	if q.devices[deviceID] != s {
		q.mu.Unlock()
		return nil, false // forgotten meanwhile
	}
	failed := false
	if infoErr == nil && info != nil {
		s.result.info = info
	} else {
		failed = true
		log.Info("DeviceInfo query failed", "error", errorString(infoErr))
	}
	switch {
	case !withCatalog:
	case catErr == nil && cat != nil:
		s.result.catalog, s.result.catalogAt = cat, now
	case errors.Is(catErr, sipd.ErrPartialCatalog) && cat != nil:
		// Part of the catalog is better than none; ask again sooner for the rest.
		s.result.catalog, s.result.catalogAt = cat, now
		failed = true
		log.Info("Catalog query returned part of the catalog", "received", len(cat.Items), "announced", cat.SumNum)
	default:
		cat = nil
		failed = true
		log.Info("Catalog query failed", "error", errorString(catErr))
	}
	if failed {
		s.nextAt = now.Add(min(q.retry, s.refresh))
	} else {
		s.nextAt = now.Add(s.refresh)
	}
	q.mu.Unlock()
	return cat, true
}

func errorString(err error) string {
	if err == nil {
		return "no answer"
	}
	return err.Error()
}
