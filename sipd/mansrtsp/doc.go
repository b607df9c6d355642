// Package mansrtsp encodes and decodes the MANSRTSP bodies (GB/T 28181-2016 Annex B)
// that control a playback or download inside its dialog: INFO requests with
// Content-Type: Application/MANSRTSP carrying an RTSP-like request,
//
//	PLAY RTSP/1.0        PLAY RTSP/1.0           PLAY RTSP/1.0         PAUSE RTSP/1.0
//	CSeq: 3              CSeq: 4                 CSeq: 5               CSeq: 6
//	Scale: 2.0           Range: npt=120-         Range: npt=now-       PauseTime: now
//	(speed)              (seek to 120 s)         (resume)              (pause)
//
// The platform encodes them and decodes the device's status in the answer (response.go);
// the simulator decodes them. Like package manscdp, it has no SIP or Kubernetes imports.
package mansrtsp
