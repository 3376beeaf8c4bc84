package awsapi

import (
	"encoding/json"
	"net/http"
)

// Error is an AWS-shaped error response.
type Error struct {
	Status  int
	Type    string
	Message string
	// QueryCode is the legacy query-protocol code sent in x-amzn-query-error
	// when it differs from Type (SQS: "AWS.SimpleQueueService.NonExistentQueue").
	QueryCode string
}

func (e *Error) Error() string { return "awsapi: " + e.Type + ": " + e.Message }

func writeJSONError(w http.ResponseWriter, contentType string, e *Error, queryErrorHeader bool) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-ErrorType", e.Type)
	if queryErrorHeader {
		// SQS's JSON protocol also names the legacy query error code;
		// aws-sdk-go-v2 prefers it when present.
		fault := "Sender"
		if e.Status >= 500 {
			fault = "Receiver"
		}
		code := e.Type
		if e.QueryCode != "" {
			code = e.QueryCode
		}
		h.Set("x-amzn-query-error", code+";"+fault)
	}
	w.WriteHeader(e.Status)
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Type, e.Message})
	w.Write(body)
}
