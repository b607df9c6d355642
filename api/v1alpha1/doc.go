// Package v1alpha1 holds the gb28181.io/v1alpha1 API: the Camera resource, which makes
// a GB/T 28181 video device a Kubernetes object. It holds types, their documentation
// and their validation markers, and nothing else.
//
// +kubebuilder:object:generate=true
// +groupName=gb28181.io
package v1alpha1
