// Package protobuf is the Protobuf codec: it reads a record's data as
// Protobuf JSON into the schema's first message and writes Confluent's
// message indexes followed by the message's binary encoding (README
// "Schemas").
//
// The schema is compiled in memory: imports reach only the registry's
// references, by their names, and the well-known google/protobuf/*.proto
// files; nothing is read from the file system.
package protobuf

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/restproxy-dev/restproxy-operator/proxy/schema/codec"
)

// recordFileName is the import path the record's own schema is compiled
// under; compile errors name it.
const recordFileName = "schema.proto"

// Codec is one compiled Protobuf schema. It is immutable and safe for
// concurrent use.
type Codec struct {
	messageType protoreflect.MessageType
	// indexesPrefix is the encoded message indexes every record starts with.
	indexesPrefix []byte
	unmarshal     protojson.UnmarshalOptions
}

var _ codec.Codec = (*Codec)(nil)

// marshal writes maps in key order, so that equal records are equal bytes.
// Unmarshal has already checked required fields (proto2); checking again
// would cost about a tenth of a record's allocations.
var marshal = proto.MarshalOptions{Deterministic: true, AllowPartial: true}

// Compile compiles a Protobuf schema text. refs are the files it imports,
// each under its import path. The record's message is the first message
// the file declares, as Confluent's serializer chooses by default.
func Compile(text string, refs []codec.Reference) (*Codec, error) {
	file, err := compileFile(text, refs)
	if err != nil {
		return nil, err
	}
	if file.Messages().Len() == 0 {
		return nil, errors.New("the schema declares no message")
	}
	record := file.Messages().Get(0)
	return &Codec{
		messageType:   dynamicpb.NewMessageType(record),
		indexesPrefix: appendMessageIndexes(nil, []int{record.Index()}),
		// Any's "@type" resolves to the messages the schema can see.
		unmarshal: protojson.UnmarshalOptions{Resolver: linker.ResolverFromFile(file)},
	}, nil
}

func compileFile(text string, refs []codec.Reference) (linker.File, error) {
	sources := make(map[string]string, len(refs)+1)
	for _, ref := range refs {
		if _, taken := sources[ref.Name]; !taken {
			sources[ref.Name] = ref.Schema
		}
	}
	recordFile := unusedFileName(sources)
	sources[recordFile] = text
	compiler := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: protocompile.SourceAccessorFromMap(sources),
		}),
	}
	files, err := compiler.Compile(context.Background(), recordFile)
	if err != nil {
		return nil, compileError(err)
	}
	return files[0], nil
}

// unusedFileName is recordFileName unless a reference is imported by that
// name.
func unusedFileName(sources map[string]string) string {
	name := recordFileName
	for n := 1; ; n++ {
		if _, taken := sources[name]; !taken {
			return name
		}
		name = "schema_" + strconv.Itoa(n) + ".proto"
	}
}

// compileError says what is wrong with the schema without the compiler's
// internals: a panic inside the compiler is reported as a failure to
// compile, not passed on.
func compileError(err error) error {
	var panicked protocompile.PanicError
	if errors.As(err, &panicked) {
		return fmt.Errorf("the schema could not be compiled: %v", panicked.Value)
	}
	return err
}

// Append reads data as Protobuf JSON into the record's message and appends
// the message indexes and the message's binary encoding. Unknown fields
// are errors, not dropped.
func (c *Codec) Append(dst, data []byte) ([]byte, error) {
	message := c.messageType.New().Interface()
	if err := c.unmarshal.Unmarshal(data, message); err != nil {
		return dst, dataError(err, data)
	}
	out, err := marshal.MarshalAppend(append(dst, c.indexesPrefix...), message)
	if err != nil {
		return dst, dataError(err, data)
	}
	return out, nil
}

// RecordName is the full name of the record's message ("shop.Order").
func (c *Codec) RecordName() string {
	return string(c.messageType.Descriptor().FullName())
}
