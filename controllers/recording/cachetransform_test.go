package recording

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gbv1 "github.com/gb28181/camera-operator/api/v1alpha1"
)

func TestCacheTransformDropsTheAnswer(t *testing.T) {
	rq := &gbv1.RecordingQuery{Status: gbv1.RecordingQueryStatus{
		Phase: gbv1.RecordingQueryComplete, Total: 2, CoverageSummary: "50% of 1h, 1 gap",
		Items:    []gbv1.RecordingItem{{Name: "a"}, {Name: "b"}},
		Coverage: []gbv1.TimeRange{{Start: metav1.Now(), End: metav1.Now()}},
	}}
	out, err := CacheTransform(rq)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*gbv1.RecordingQuery).Status
	if got.Items != nil || got.Coverage != nil {
		t.Errorf("cached query keeps %d items, %d coverage spans", len(got.Items), len(got.Coverage))
	}
	if got.Phase != gbv1.RecordingQueryComplete || got.Total != 2 || got.CoverageSummary == "" {
		t.Errorf("cached query lost what the controller reads: %+v", got)
	}
	cam := &gbv1.Camera{}
	if out, _ := CacheTransform(cam); out != cam {
		t.Error("a Camera changed")
	}
}
