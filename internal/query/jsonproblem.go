package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrTrailingData is returned by DecodeStrict for data after the value.
var ErrTrailingData = errors.New("trailing data after the JSON value")

// DecodeStrict decodes one JSON value from data into v, refusing unknown
// object fields and anything but white space after the value. Describe its
// errors to a user with JSONProblem.
func DecodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrTrailingData
	}
	return nil
}

// JSONProblem says in words what is wrong with a JSON document, from an
// error of encoding/json: the field and the type it wants, or where the
// syntax breaks. Go's own messages name Go types ("Go struct field
// .pattern of type string"), which mean nothing to an API's user.
func JSONProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ):
		want := "of another type"
		if typ.Type != nil {
			want = JSONTypeName(typ.Type.Kind().String())
		}
		if typ.Field == "" {
			return fmt.Sprintf("the document must be %s, not %s", want, typ.Value)
		}
		return fmt.Sprintf("field %s must be %s, not %s", typ.Field, want, typ.Value)
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.Is(err, ErrTrailingData):
		return err.Error()
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON document ends early"
	case errors.Is(err, io.EOF):
		return "empty body"
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "unknown field " + name
	}
	if strings.Contains(msg, "Go ") || strings.Contains(msg, "json: ") {
		return "not valid JSON of the expected shape"
	}
	return msg
}

// JSONTypeName names a reflect.Kind as a JSON user knows it.
func JSONTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	}
	return "a value of another type"
}
