package ha

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// containerEnv is the container's environment as the kubelet resolves it: literal
// values, and the downward-API fields the chart uses (the Pod's name, namespace and IP,
// its node's name).
func containerEnv(pod *corev1.Pod, c corev1.Container, node, podIP string) (map[string]string, error) {
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = expand(e.Value, env)
		case e.ValueFrom.FieldRef != nil:
			switch path := e.ValueFrom.FieldRef.FieldPath; path {
			case "metadata.name":
				env[e.Name] = pod.Name
			case "metadata.namespace":
				env[e.Name] = pod.Namespace
			case "spec.nodeName":
				env[e.Name] = node
			case "status.podIP":
				env[e.Name] = podIP
			default:
				return nil, fmt.Errorf("env %s: field %s is not served here", e.Name, path)
			}
		default:
			return nil, fmt.Errorf("env %s: only values and fieldRefs are served here", e.Name)
		}
	}
	return env, nil
}

// expandArgs expands $(NAME) in each argument from env, as the kubelet does; a name
// not in env stays as written.
func expandArgs(args []string, env map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = expand(a, env)
	}
	return out
}

func expand(s string, env map[string]string) string {
	pairs := make([]string, 0, 2*len(env))
	for name, value := range env {
		pairs = append(pairs, "$("+name+")", value)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// envList is env as NAME=value lines, sorted so that logs compare.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for name, value := range env {
		out = append(out, name+"="+value)
	}
	sort.Strings(out)
	return out
}
