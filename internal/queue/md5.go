package queue

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
)

// MD5OfBody is the hex MD5 of a message body's UTF-8 bytes.
func MD5OfBody(body string) string {
	sum := md5.Sum([]byte(body))
	return hex.EncodeToString(sum[:])
}

// Transport type bytes of SQS's message attribute digest.
const (
	transportString     = 1
	transportBinary     = 2
	transportStringList = 3
	transportBinaryList = 4
)

// MD5OfMessageAttributes is SQS's digest of message attributes: for each
// attribute in name order, the name, the data type and the value, each as a
// 4-byte big-endian length followed by its bytes, with one transport-type
// byte (1 string, 2 binary, 3 string list, 4 binary list) before the value.
// Empty when there are no attributes.
func MD5OfMessageAttributes(attrs map[string]MessageAttributeValue) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	h := md5.New()
	for _, n := range names {
		v := attrs[n]
		writeLenBytes(h, []byte(n))
		writeLenBytes(h, []byte(v.DataType))
		switch {
		case v.StringValue != nil:
			h.Write([]byte{transportString})
			writeLenBytes(h, []byte(*v.StringValue))
		case v.BinaryValue != nil:
			h.Write([]byte{transportBinary})
			writeLenBytes(h, v.BinaryValue)
		case len(v.StringListValues) > 0:
			h.Write([]byte{transportStringList})
			for _, s := range v.StringListValues {
				writeLenBytes(h, []byte(s))
			}
		case len(v.BinaryListValues) > 0:
			h.Write([]byte{transportBinaryList})
			for _, b := range v.BinaryListValues {
				writeLenBytes(h, b)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeLenBytes(h hash.Hash, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}
