// Package manscdp encodes and decodes the MANSCDP XML bodies of GB/T 28181 MESSAGEs
// (Query, Response, Notify) and their charsets: bodies are declared GB2312 but arrive as
// GBK, GB18030 or UTF-8, sometimes mislabelled. It has no SIP or Kubernetes imports.
package manscdp
