package queue

import "testing"

func str(s string) *string { return &s }

// Known answers for SQS's MD5OfMessageAttributes, published alongside other
// SQS implementations (AWS SDK samples, LocalStack, YDB's SQS front end);
// they pin the algorithm independently of this implementation.
func TestQueueMD5OfMessageAttributesKnownAnswers(t *testing.T) {
	cases := []struct {
		name  string
		attrs map[string]MessageAttributeValue
		want  string
	}{
		{"two strings, given out of order", map[string]MessageAttributeValue{
			"test_attribute_name_2": {DataType: "String", StringValue: str("test_attribute_value_2")},
			"test_attribute_name_1": {DataType: "String", StringValue: str("test_attribute_value_1")},
		}, "d53f3b558fe951154770f25cb63dbba9"},
		{"binary", map[string]MessageAttributeValue{
			"test_attribute_name": {DataType: "Binary", BinaryValue: []byte("test_attribute_value")},
		}, "23f6bd27ea87aab7dfeadcc9aebee495"},
		{"number", map[string]MessageAttributeValue{
			"timestamp": {DataType: "Number", StringValue: str("1493147359900")},
		}, "235c5c510d26fb653d073faed50ae77c"},
		{"number and string", map[string]MessageAttributeValue{
			"ordinal":  {DataType: "Number", StringValue: str("1")},
			"category": {DataType: "String", StringValue: str("test")},
		}, "d21ae90c49061e927f57df5f5d72be1f"},
		{"one string", map[string]MessageAttributeValue{
			"SellerName": {DataType: "String", StringValue: str("Example Store")},
		}, "cd28f3b68aeee4b2eac9c66f2f694b58"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := MD5OfMessageAttributes(tc.attrs); got != tc.want {
				t.Fatalf("MD5OfMessageAttributes = %s, want %s", got, tc.want)
			}
		})
	}
	if got := MD5OfMessageAttributes(nil); got != "" {
		t.Fatalf("no attributes: %q", got)
	}
}

func TestQueueMD5OfBody(t *testing.T) {
	// md5("hello") is a well-known digest.
	if got := MD5OfBody("hello"); got != "5d41402abc4b2a76b9719d911017c592" {
		t.Fatal(got)
	}
}
