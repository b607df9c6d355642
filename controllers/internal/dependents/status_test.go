package dependents

import (
	"context"
	"errors"
	"testing"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
	"github.com/gb28181/camera-operator/internal/controllertest"
)

// failingReader is a reader of the newest copy that cannot read.
type failingReader struct{ client.Reader }

var errUnreadable = errors.New("the API server is unreachable")

func (failingReader) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return errUnreadable
}

// TestWriteStatus runs the status write against kube-apiserver: an unchanged status is not
// written; a changed one is; after a conflict (a label changed meanwhile) the status is
// written onto the newest Stream and the label kept, in the API server and in the
// caller's copy; a Stream that is gone, or a newest copy that cannot be read, fails the
// write with that error.
func TestWriteStatus(t *testing.T) {
	kube := controllertest.ControlPlane(t)
	ns := controllertest.NewNamespace(t, kube)
	ctx := t.Context()
	playing := gbv1.StreamStatus{State: gbv1.StreamPlaying, MediaAddr: "127.0.0.1", MediaPort: 30000}

	tests := []struct {
		name string
		// meanwhile changes the Stream in the API server between the read and the write.
		meanwhile  func(t *testing.T, st *gbv1.Stream)
		status     gbv1.StreamStatus
		latest     client.Reader
		wantWrites int
		wantErr    func(error) bool
		wantLabel  bool
	}{
		{name: "an unchanged status is not written", status: gbv1.StreamStatus{}, wantWrites: 0},
		{name: "a changed status is written", status: playing, wantWrites: 1},
		{name: "a conflict puts the status onto the newest copy", status: playing, wantWrites: 2, wantLabel: true,
			meanwhile: func(t *testing.T, st *gbv1.Stream) {
				other := st.DeepCopy()
				other.Labels = map[string]string{"site": "gate"}
				if err := kube.Update(ctx, other); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "a Stream gone is not found", status: playing, wantWrites: 1, wantErr: kerrors.IsNotFound,
			meanwhile: func(t *testing.T, st *gbv1.Stream) {
				if err := kube.Delete(ctx, st.DeepCopy()); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "a newest copy that cannot be read fails the write", status: playing, wantWrites: 1, latest: failingReader{},
			wantErr: func(err error) bool { return errors.Is(err, errUnreadable) },
			meanwhile: func(t *testing.T, st *gbv1.Stream) {
				other := st.DeepCopy()
				other.Labels = map[string]string{"site": "gate"}
				if err := kube.Update(ctx, other); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := newStream(ns, "s"+string(rune('a'+i)), "gate")
			if err := kube.Create(ctx, st); err != nil {
				t.Fatal(err)
			}
			orig := st.DeepCopy()
			if tc.meanwhile != nil {
				tc.meanwhile(t, st)
			}
			latest := tc.latest
			if latest == nil {
				latest = kube
			}
			st.Status = tc.status
			writes := 0
			err := WriteStatus(ctx, latest, orig, st, func(st *gbv1.Stream) *gbv1.StreamStatus { return &st.Status }, func() error {
				writes++
				return kube.Status().Update(ctx, st)
			})
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("WriteStatus: %v", err)
			case tc.wantErr != nil && !tc.wantErr(err):
				t.Fatalf("WriteStatus: %v, not the error wanted", err)
			}
			if writes != tc.wantWrites {
				t.Errorf("%d writes, want %d", writes, tc.wantWrites)
			}
			if tc.wantErr != nil {
				return
			}
			var stored gbv1.Stream
			if err := kube.Get(ctx, client.ObjectKeyFromObject(st), &stored); err != nil {
				t.Fatal(err)
			}
			if stored.Status.State != tc.status.State || stored.Status.MediaAddr != tc.status.MediaAddr {
				t.Errorf("stored status %+v, want %+v", stored.Status, tc.status)
			}
			for what, labels := range map[string]map[string]string{"stored": stored.Labels, "caller's": st.Labels} {
				if got := labels["site"] == "gate"; got != tc.wantLabel {
					t.Errorf("%s copy has the label changed meanwhile: %v, want %v", what, got, tc.wantLabel)
				}
			}
			if st.ResourceVersion != stored.ResourceVersion {
				t.Errorf("caller's copy at version %s, the API server's at %s", st.ResourceVersion, stored.ResourceVersion)
			}
		})
	}
}

// newStream is a Stream of namespace ns naming Camera camera.
func newStream(ns, name, camera string) *gbv1.Stream {
	return &gbv1.Stream{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: gbv1.StreamSpec{
		CameraRef:   gbv1.LocalObjectReference{Name: camera},
		Destination: gbv1.Destination{Host: "127.0.0.1", Port: 30000},
	}}
}
