package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TimeRange is a span of time, start included, end excluded.
// +kubebuilder:validation:XValidation:rule="self.start < self.end",message="start must be before end"
type TimeRange struct {
	// start of the span.
	Start metav1.Time `json:"start"`
	// end of the span.
	End metav1.Time `json:"end"`
}
