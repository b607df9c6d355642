package devices

// DefaultControllerName names the operator to the API server: the reporting controller
// of its Events and the field manager of its writes, for every controller.
const DefaultControllerName = "camera-operator"
